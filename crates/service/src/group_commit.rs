//! Group commit: the verdicts of submissions that arrive together are recorded
//! together, in one transaction of the store, so that under load the service does
//! not commit (and sync to disk) once per request. A lone submission is recorded at
//! once; while one group commits, the next gathers.

use std::sync::Arc;

use axum::http::StatusCode;
use kyc_verifier::{AnyStore, Judged, Verdict, Verifier};
use tokio::sync::{mpsc, oneshot};
use tracing::error;

use crate::problem::Problem;

/// The most verdicts recorded in one transaction.
const MAX_GROUP: usize = 1024;

type Reply = oneshot::Sender<Result<Verdict, Arc<kyc_verifier::Error>>>;

/// The queue of judged submissions waiting for their commit, and the task that commits them.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    queue: mpsc::UnboundedSender<(Judged, Reply)>,
}

impl GroupCommit {
    /// Starts the task that records what `verifier` judged; it ends when the queue is dropped.
    pub(crate) fn start(verifier: Verifier<AnyStore>) -> Self {
        let (queue, mut arrivals) = mpsc::unbounded_channel::<(Judged, Reply)>();
        tokio::spawn(async move {
            let mut group = Vec::with_capacity(MAX_GROUP);
            while arrivals.recv_many(&mut group, MAX_GROUP).await > 0 {
                let (judged, replies): (Vec<Judged>, Vec<Reply>) = group.drain(..).unzip();
                match verifier.record(judged).await {
                    Ok(verdicts) => {
                        for (reply, verdict) in replies.into_iter().zip(verdicts) {
                            // A client that went away no longer waits for its verdict.
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
        Self { queue }
    }

    /// Records `judged` with whatever else arrived meanwhile, and returns its verdict
    /// once committed (`registration_used` if another answer won the session first).
    pub(crate) async fn record(&self, judged: Judged) -> Result<Verdict, Problem> {
        let (reply, verdict) = oneshot::channel();
        let stopped = |_| {
            error!("the group commit task stopped");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
        };
        self.queue.send((judged, reply)).map_err(|_| stopped(()))?;
        verdict
            .await
            .map_err(|_| stopped(()))?
            .map_err(|error| Problem::from(&*error))
    }
}
