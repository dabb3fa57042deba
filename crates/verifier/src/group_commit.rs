//! Answers to sessions arriving one at a time, as at an HTTP callback: each is judged
//! on its own, and the verdicts of submissions that arrive together are recorded
//! together, in one transaction of the store (group commit), so that under load the
//! store does not commit (and sync to disk) once per answer. A lone submission is
//! recorded at once; while one group commits, the next gathers.

use std::sync::{Arc, OnceLock};

use alloy::primitives::B256;
use kyc_core::files::{parse_json, Decline, Submission};
use tokio::sync::{mpsc, oneshot};

use crate::{Declining, Error, Judged, Policy, Result, Store, Verdict, Verifier};

/// The most verdicts recorded in one transaction.
const MAX_GROUP: usize = 1024;

type Reply = oneshot::Sender<Result<Verdict, Arc<Error>>>;

/// What became of one answer to a session.
#[derive(Debug)]
pub enum Answer {
    /// A submission's verdict, recorded: its session is used up when the verdict says
    /// so (see [`Verifier`]). Bytes that are not a submission get a `malformed` verdict.
    Judged(Verdict),
    /// A submission naming another registration than the session it was sent to:
    /// nothing was judged or recorded.
    RegistrationMismatch,
    /// A decline (a body shaped as one, see [`Decline::is_decline_shaped`]), and what
    /// became of it.
    Declined(Declining),
    /// A body shaped as a decline that is not a valid one: nothing was recorded.
    MalformedDecline(kyc_core::Error),
}

/// Takes the answers sent to sessions one at a time, and records the verdicts of
/// those that arrive together in one transaction.
///
/// Cloning shares the queue. The task that commits starts with the first answer, on
/// the Tokio runtime that sends it, and ends when the last clone is dropped.
#[derive(Clone, Debug)]
pub struct GroupCommit<S> {
    verifier: Verifier<S>,
    queue: Arc<OnceLock<mpsc::UnboundedSender<(Judged, Reply)>>>,
}

impl<S: Store + Clone + Send + Sync + 'static> GroupCommit<S> {
    /// Answers taken for `verifier`.
    pub fn new(verifier: Verifier<S>) -> Self {
        Self {
            verifier,
            queue: Arc::default(),
        }
    }

    /// Takes `body`, sent to the session `registration_id`: a decline is recorded (see
    /// [`Verifier::decline`]); anything else is judged as a submission under `policy`
    /// and its verdict recorded with whatever else arrived meanwhile, once committed
    /// (`registration_used` when another answer won the session first).
    ///
    /// An error means nothing was decided: the chain or the store failed, and the
    /// session stays as it was.
    pub async fn answer(
        &self,
        registration_id: B256,
        body: &[u8],
        policy: &Policy,
    ) -> Result<Answer, Arc<Error>> {
        if Decline::is_decline_shaped(body) {
            let decline = match Decline::from_bytes(body) {
                Ok(decline) => decline,
                Err(error) => return Ok(Answer::MalformedDecline(error)),
            };
            let declining = self.verifier.decline(registration_id, &decline).await?;
            return Ok(Answer::Declined(declining));
        }
        let parsed = std::str::from_utf8(body)
            .ok()
            .and_then(|text| parse_json::<Submission>(text).ok());
        let Some(submission) = parsed else {
            // Not a submission: the verdict says `malformed`, and nothing is recorded.
            return Ok(Answer::Judged(self.verifier.verify(body, policy).await?));
        };
        if submission.registration_id != registration_id {
            return Ok(Answer::RegistrationMismatch);
        }
        let judged = self.verifier.judge_submission(&submission, policy).await?;
        Ok(Answer::Judged(self.record(judged).await?))
    }

    /// Records `judged` with whatever else arrived meanwhile.
    async fn record(&self, judged: Judged) -> Result<Verdict, Arc<Error>> {
        let (reply, verdict) = oneshot::channel();
        let queue = self.queue.get_or_init(|| self.start());
        let stopped = || Arc::new(Error::WriterStopped);
        queue.send((judged, reply)).map_err(|_| stopped())?;
        verdict.await.map_err(|_| stopped())?
    }

    /// Starts the task that records what arrives on the queue it returns.
    fn start(&self) -> mpsc::UnboundedSender<(Judged, Reply)> {
        let (queue, mut arrivals) = mpsc::unbounded_channel::<(Judged, Reply)>();
        let verifier = self.verifier.clone();
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(MAX_GROUP);
            while arrivals.recv_many(&mut group, MAX_GROUP).await > 0 {
                let (judged, replies): (Vec<Judged>, Vec<Reply>) = group.drain(..).unzip();
                match verifier.record(judged).await {
                    Ok(verdicts) => {
                        for (reply, verdict) in replies.into_iter().zip(verdicts) {
                            // An answer whose sender went away no longer waits.
                            let _ = reply.send(Ok(verdict));
                        }
                    }
                    Err(error) => {
                        let error = Arc::new(error);
                        for reply in replies {
                            let _ = reply.send(Err(error.clone()));
                        }
                    }
                }
            }
        });
        queue
    }
}
