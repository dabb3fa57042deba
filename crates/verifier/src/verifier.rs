//! The verifier: opens sessions and turns submissions into verdicts.

use alloy::{
    eips::BlockId,
    primitives::{Address, Bytes, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use kyc_core::{
    attestation::Status,
    claims::Claim,
    files::{Decline, SignedConsentWithdrawal, Submission},
};
use tokio::sync::mpsc;

use crate::{
    batch::{Batch, Contents, Inspecting},
    chain::{Answer, Chain, Query},
    clock::unix_now,
    consent::{self, Withdrawal},
    customers::CustomerReport,
    decline::{self, Declining},
    inspect::{inspect_submission, Inspection, SignatureCheck},
    parallel::on_every_core_aside,
    session::SessionReport,
    store::Consuming,
    watcher::{WatchOptions, Watcher},
    Error, Outcome, Policy, Reason, Result, Session, SessionRecord, SessionRequest, Store, Verdict,
};

/// Verifies submissions against one registry on one chain, with sessions kept in a [`Store`].
///
/// A session is used up by the first answer signed by its subject (bound to its
/// registration ID) whose subject holds an attestation by the named certifier with the
/// submitted root, whatever the rest of the verdict: one registration, one answer.
/// Answers that prove nothing (malformed, bad signature, signer mismatch, no
/// attestation, root mismatch; see [`Reason::leaves_session_open`]) do not use it up,
/// so a stranger who saw the QR code can neither spoil nor take it with a throwaway
/// key; neither does an RPC or database failure, which is an error, not a verdict.
#[derive(Clone, Debug)]
pub struct Verifier<S> {
    chain: Chain,
    store: S,
}

impl<S: Store> Verifier<S> {
    /// A verifier reading `registry` through `provider`; asks the chain for its ID.
    pub async fn new(provider: DynProvider, registry: Address, store: S) -> Result<Self> {
        Ok(Self {
            chain: Chain::connect(provider, registry).await?,
            store,
        })
    }

    /// A verifier reading `registry` through the JSON-RPC endpoint at `rpc_url` (HTTP).
    pub async fn connect(rpc_url: &str, registry: Address, store: S) -> Result<Self> {
        let url = rpc_url
            .parse()
            .map_err(|_| Error::Rpc(format!("{rpc_url:?} is not a url")))?;
        let provider = ProviderBuilder::new().connect_http(url).erased();
        Self::new(provider, registry, store).await
    }

    /// Limits every request to the node to `limit` reads (at least 1): the reads of one
    /// `eth_call`, and the calls of one JSON-RPC batch. A hosted node may refuse larger
    /// batches; the default is [`DEFAULT_BATCH_LIMIT`](crate::DEFAULT_BATCH_LIMIT).
    pub fn with_batch_limit(mut self, limit: usize) -> Self {
        self.chain.set_batch_limit(limit);
        self
    }

    /// The chain the verifier reads.
    pub fn chain_id(&self) -> u64 {
        self.chain.chain_id()
    }

    /// The registry the verifier reads.
    pub fn registry(&self) -> Address {
        self.chain.registry()
    }

    /// The store of sessions and verdicts.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// A watcher of this verifier's registry for the customers in its store.
    pub fn watcher(&self, options: WatchOptions) -> Watcher<S>
    where
        S: Clone,
    {
        Watcher::new(self.chain.clone(), self.store.clone(), options)
    }

    /// Honours a person's consent withdrawal sent to the session `registration_id`: when
    /// it names that session, the session was answered and its subject signed the
    /// withdrawal (by key, or as a contract through ERC-1271), deletes the disclosed
    /// claims and records the withdrawal; the verdict stays, without them.
    pub async fn withdraw_consent(
        &self,
        registration_id: B256,
        withdrawal: &SignedConsentWithdrawal,
    ) -> Result<Withdrawal> {
        let now = unix_now()?;
        consent::withdraw_consent(&self.chain, &self.store, registration_id, withdrawal, now).await
    }

    /// Records a person's decline of the open session `registration_id`, the one it
    /// was sent to and must name (see [`Declining`]). A decline is unsigned, so the
    /// session stays open: a later authentic answer still counts.
    pub async fn decline(&self, registration_id: B256, decline: &Decline) -> Result<Declining> {
        decline::decline(&self.store, registration_id, decline, unix_now()?).await
    }

    /// What became of the session `registration_id`; `None` for an unknown one.
    pub async fn session_report(&self, registration_id: B256) -> Result<Option<SessionReport>> {
        let record = self.store.session(registration_id).await?;
        let now = unix_now()?;
        Ok(record.map(|record| SessionReport::of(record, now)))
    }

    /// Where the monitored customer `subject` stands; `None` for a subject not monitored.
    pub async fn customer_report(&self, subject: Address) -> Result<Option<CustomerReport>> {
        let Some(customer) = self.store.customer(subject).await? else {
            return Ok(None);
        };
        let checked_through = (self.store.watcher_cursor().await?)
            .and_then(|next| next.checked_sub(1))
            .filter(|block| *block >= customer.block);
        Ok(Some(CustomerReport {
            reason: customer.status.reason(),
            checked_through,
            customer,
        }))
    }

    /// Opens a session on this verifier's chain and registry and stores it.
    pub async fn open_session(&self, request: SessionRequest) -> Result<Session> {
        let session = Session::open(request, self.chain_id(), self.registry(), unix_now()?)?;
        self.store.insert_session(&session).await?;
        Ok(session)
    }

    /// Verifies a submission (its JSON bytes) under `policy`, and uses up its session
    /// if the answer proves its subject (see [`Verifier`]).
    pub async fn verify(&self, submission: &[u8], policy: &Policy) -> Result<Verdict> {
        let mut verdicts = self.verify_many(&[submission], policy).await?;
        verdicts
            .pop()
            .ok_or_else(|| Error::Rpc("no verdict for the submission".to_owned()))
    }

    /// [`verify`](Self::verify) for a submission already parsed.
    pub async fn verify_submission(
        &self,
        submission: &Submission,
        policy: &Policy,
    ) -> Result<Verdict> {
        let judged = self.judge_submission(submission, policy).await?;
        let mut verdicts = self.record(vec![judged]).await?;
        verdicts
            .pop()
            .ok_or_else(|| Error::Rpc("no verdict for the submission".to_owned()))
    }

    /// The verdict on a parsed submission before its session is used up; give it to
    /// [`record`](Self::record), alone or with others.
    pub async fn judge_submission(
        &self,
        submission: &Submission,
        policy: &Policy,
    ) -> Result<Judged> {
        let inspection = inspect_submission(submission.clone());
        let mut judged = self.judge_many(vec![inspection], policy).await?;
        judged
            .pop()
            .ok_or_else(|| Error::Rpc("no verdict for the submission".to_owned()))
    }

    /// Verifies many submissions together: [`verify_batch`](Self::verify_batch) of a
    /// [`Batch`] of them.
    pub async fn verify_many<T: AsRef<[u8]> + Sync>(
        &self,
        submissions: &[T],
        policy: &Policy,
    ) -> Result<Vec<Verdict>> {
        self.verify_batch(Batch::new(submissions), policy).await
    }

    /// Verifies a batch of submissions together, reading the chain in as few round trips
    /// as batching allows. Verdicts come in the order of the submissions. The sessions
    /// they use up are all used up in one transaction, or none when it fails.
    ///
    /// For a large batch, the chain is read for all of it in one round trip, and the
    /// sessions a part of 256 at a time, while its signatures are still being
    /// recovered. Each part is judged as soon as it is inspected and its reads are in,
    /// and written while the next one is judged.
    pub async fn verify_batch(&self, batch: Batch, policy: &Policy) -> Result<Vec<Verdict>> {
        let verdicts = self.verify_batch_rendered(batch, policy, |_| ()).await?;
        Ok(verdicts.into_iter().map(|(verdict, ())| verdict).collect())
    }

    /// [`verify_batch`](Self::verify_batch), each verdict also rendered by `render` (as
    /// JSON, say). A large batch is rendered on every core while its sessions are being
    /// committed, so the rendering is done when the commit is; a verdict the commit
    /// changes (its answer lost the session to another) is rendered again.
    pub async fn verify_batch_rendered<T: Send + 'static>(
        &self,
        batch: Batch,
        policy: &Policy,
        render: fn(&Verdict) -> T,
    ) -> Result<Vec<(Verdict, T)>> {
        let Inspecting {
            ids,
            queries,
            part_ids,
            mut inspections,
        } = match batch.into_contents() {
            Contents::Inspected(inspections) => {
                let judged = self.judge_many(inspections, policy).await?;
                let verdicts = self.record(judged).await?;
                return Ok(verdicts
                    .into_iter()
                    .map(|verdict| {
                        let rendered = render(&verdict);
                        (verdict, rendered)
                    })
                    .collect());
            }
            Contents::Inspecting(inspecting) => inspecting,
        };
        let (claims, claimed) = mpsc::channel(part_ids.len() + 1);
        let judging = async move {
            // The chain is read for the whole batch, and the sessions a part at a time,
            // the next part's while this one is judged.
            let mut part_ids = part_ids.into_iter();
            let first = part_ids.next().unwrap_or_default();
            let (chain, records) = futures_util::future::join(
                self.chain
                    .read(&queries, policy.confirmations, BlockId::latest()),
                self.store.sessions(&first),
            )
            .await;
            let (block, mut answers) = chain?;
            let mut records = records?;
            let mut judged = Vec::with_capacity(queries.len());
            while let Some(part) = inspections.next_part().await {
                let read = Read {
                    block,
                    answers: answers.drain(..records.len().min(answers.len())).collect(),
                    records,
                };
                let next = part_ids.next().unwrap_or_default();
                let (part, next) = futures_util::future::join(
                    self.judge_inspected(part, read, policy),
                    self.store.sessions(&next),
                )
                .await;
                let part = part?;
                records = next?;
                let part_claims = part.iter().filter_map(Judged::claim);
                let part_claims = part_claims.map(|(id, verdict)| (id, verdict.clone()));
                // A closed queue means the write failed: its error is the answer.
                if claims
                    .send(Consuming::Part(part_claims.collect()))
                    .await
                    .is_err()
                {
                    break;
                }
                judged.extend(part);
            }
            let _ = claims.send(Consuming::Commit).await;
            Ok::<_, Error>(judged)
        };
        let rendering = async move {
            let judged = judging.await?;
            Ok::<_, Error>(on_every_core_aside(judged, move |judged| render(&judged.verdict)).await)
        };
        let writing = self.store.consume_parts(&ids, claimed);
        let (rendered, used) = futures_util::future::join(rendering, writing).await;
        match (used?, rendered) {
            (Some(used), Ok((judged, rendered))) => Ok(settle(judged, used)
                .zip(rendered)
                .map(|((verdict, lost), rendered)| {
                    let rendered = if lost { render(&verdict) } else { rendered };
                    (verdict, rendered)
                })
                .collect()),
            // Nothing was written: the judging failed, or the writer was left unfinished.
            (_, Err(error)) => Err(error),
            (None, Ok(_)) => Err(Error::WriterStopped),
        }
    }

    /// The verdicts on inspected submissions given what was read for them, once the
    /// subjects whose key did not sign have given their ERC-1271 answer at the block read.
    async fn judge_inspected(
        &self,
        inspections: Vec<Inspection>,
        mut read: Read,
        policy: &Policy,
    ) -> Result<Vec<Judged>> {
        let asked: Vec<(usize, (Address, B256, Bytes))> = inspections
            .iter()
            .filter_map(|inspection| inspection.submission.as_ref().map(|s| (inspection, s)))
            .enumerate()
            .filter_map(|(index, (inspection, submission))| {
                let (SignatureCheck::AskContract(_), Some(digest)) =
                    (inspection.signature, inspection.digest)
                else {
                    return None;
                };
                Some((
                    index,
                    (submission.subject, digest, submission.signature.clone()),
                ))
            })
            .collect();
        if !asked.is_empty() {
            let (indexes, checks): (Vec<usize>, Vec<_>) = asked.into_iter().unzip();
            let accepts = self
                .chain
                .contracts_accept(checks, BlockId::number(read.block))
                .await?;
            if accepts.len() != indexes.len() {
                return Err(Error::Rpc(
                    "the chain answered fewer queries than asked".to_owned(),
                ));
            }
            for (index, accepts) in indexes.into_iter().zip(accepts) {
                read.answers[index].contract_accepts = Some(accepts);
            }
        }
        self.judge_read(inspections, read, policy)
    }

    /// Verdicts on inspected submissions once the store and the chain have answered,
    /// before any session is used up (see [`record`](Self::record)).
    pub async fn judge_many(
        &self,
        inspections: Vec<Inspection>,
        policy: &Policy,
    ) -> Result<Vec<Judged>> {
        let queries = inspections
            .iter()
            .filter_map(|inspection| {
                let submission = inspection.submission.as_ref()?;
                let contract_signature = match (inspection.signature, inspection.digest) {
                    (SignatureCheck::AskContract(_), Some(digest)) => {
                        Some((digest, submission.signature.clone()))
                    }
                    _ => None,
                };
                Some((
                    submission.registration_id,
                    Query::of(submission, contract_signature),
                ))
            })
            .collect();
        let read = self.read(queries, policy).await?;
        self.judge_read(inspections, read, policy)
    }

    /// Reads the sessions of the registrations and the chain's answers to the queries,
    /// the store and the chain at the same time.
    async fn read(&self, queries: Vec<(B256, Query)>, policy: &Policy) -> Result<Read> {
        let (ids, queries): (Vec<B256>, Vec<Query>) = queries.into_iter().unzip();
        let (found, read) = futures_util::future::join(
            self.store.sessions(&ids),
            self.chain
                .read(&queries, policy.confirmations, BlockId::latest()),
        )
        .await;
        let (block, answers) = read?;
        Ok(Read {
            block,
            records: found?,
            answers,
        })
    }

    /// The verdicts on inspected submissions, given what was read for those parsed.
    fn judge_read(
        &self,
        inspections: Vec<Inspection>,
        read: Read,
        policy: &Policy,
    ) -> Result<Vec<Judged>> {
        let now = unix_now()?;
        let block = read.block;
        let mut found = read.records.into_iter().zip(read.answers);
        let mut judged = Vec::with_capacity(inspections.len());
        for inspection in inspections {
            let Some(submission) = &inspection.submission else {
                judged.push(Judged {
                    verdict: unreadable(now),
                    uses_up_session: false,
                });
                continue;
            };
            let (record, answer) = found.next().ok_or_else(|| {
                Error::Rpc("the chain answered fewer queries than asked".to_owned())
            })?;
            let verdict = Judgement {
                inspection: &inspection,
                submission,
                record: record.as_ref(),
                answer: &answer,
                policy,
                chain_id: self.chain_id(),
                registry: self.registry(),
                now,
                block,
            }
            .verdict();
            judged.push(verdict);
        }
        Ok(judged)
    }

    /// Records judged answers: the sessions their subjects' answers use up are marked
    /// used with their verdicts, all in one transaction of the store. An answer that
    /// loses its session to an earlier one (in the batch, or from another process) is
    /// rejected as `registration_used`. Verdicts come in the order of `judged`.
    pub async fn record(&self, judged: Vec<Judged>) -> Result<Vec<Verdict>> {
        let claims: Vec<(B256, &Verdict)> = judged.iter().filter_map(Judged::claim).collect();
        let used = match claims.is_empty() {
            true => Vec::new(),
            false => self.store.consume_many(&claims).await?,
        };
        Ok(settle(judged, used).map(|(verdict, _)| verdict).collect())
    }
}

/// The verdicts of judged answers once written, each with whether it lost its session:
/// `used` says, for each answer that claimed its session (see [`Judged::claim`]) in
/// order, whether it won it; one that lost gets `registration_used`.
fn settle(judged: Vec<Judged>, used: Vec<bool>) -> impl Iterator<Item = (Verdict, bool)> {
    let mut used = used.into_iter();
    judged.into_iter().map(move |judged| {
        let claimed = judged.claim().is_some();
        let mut verdict = judged.verdict;
        let lost = claimed && !used.next().unwrap_or_default();
        if lost {
            verdict.lose_registration();
        }
        (verdict, lost)
    })
}

/// What the store and the chain hold for parsed submissions, in their order.
struct Read {
    block: u64,
    records: Vec<Option<SessionRecord>>,
    answers: Vec<Answer>,
}

/// The verdict on bytes that are not a submission.
fn unreadable(now: u64) -> Verdict {
    Verdict::unattributed(vec![Reason::Malformed], now)
}

/// A verdict reached but not yet recorded: [`Verifier::record`] uses up the session
/// when the answer is the subject's, attested with its root (see [`Verifier`]), and the
/// session was unused when read.
#[derive(Clone, Debug)]
pub struct Judged {
    verdict: Verdict,
    uses_up_session: bool,
}

impl Judged {
    /// The verdict, as it stands unless another answer wins the session first.
    pub fn verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The session this answer uses up if it wins it, with its verdict.
    fn claim(&self) -> Option<(B256, &Verdict)> {
        let id = self
            .verdict
            .registration_id
            .filter(|_| self.uses_up_session)?;
        Some((id, &self.verdict))
    }
}

/// Everything known about one submission once the store and the chain have answered.
struct Judgement<'a> {
    inspection: &'a Inspection,
    submission: &'a Submission,
    record: Option<&'a SessionRecord>,
    answer: &'a Answer,
    policy: &'a Policy,
    chain_id: u64,
    registry: Address,
    now: u64,
    block: u64,
}

impl Judgement<'_> {
    fn verdict(&self) -> Judged {
        let mut reasons = self.inspection.reasons.clone();
        self.signature(&mut reasons);
        self.session(&mut reasons);
        self.attestation(&mut reasons);
        self.fields(&mut reasons);
        reasons.sort_unstable();
        reasons.dedup();
        let outcome = Verdict::outcome_of(&reasons);
        let submission = self.submission;
        let claims = match outcome {
            Outcome::Rejected => Vec::new(),
            Outcome::Approved | Outcome::Review => submission
                .disclosed()
                .map(|claim| Claim {
                    key: claim.key.clone(),
                    value: claim.value.clone(),
                })
                .collect(),
        };
        let certifier_name =
            Some(self.answer.certifier_name.clone()).filter(|name| !name.is_empty());
        let unused = self.record.is_some_and(|record| record.used_at.is_none());
        let proves_subject = !reasons.iter().any(|reason| reason.leaves_session_open());
        Judged {
            verdict: Verdict {
                outcome,
                reasons,
                registration_id: Some(submission.registration_id),
                subject: Some(submission.subject),
                certifier: Some(submission.certifier),
                certifier_name,
                attestation: self.answer.attestation,
                block_number: Some(self.block),
                fields: submission
                    .disclosed()
                    .map(|claim| claim.key.clone())
                    .collect(),
                claims,
                claims_deleted: false,
                verified_at: self.now,
            },
            uses_up_session: proves_subject && unused,
        }
    }

    /// Whether the subject signed: by its key, or as a contract through ERC-1271.
    fn signature(&self, reasons: &mut Vec<Reason>) {
        match self.inspection.signature {
            SignatureCheck::Valid => {}
            SignatureCheck::AskContract(_) if self.answer.contract_accepts == Some(true) => {}
            SignatureCheck::AskContract(reason) | SignatureCheck::Invalid(reason) => {
                reasons.push(reason)
            }
        }
    }

    fn session(&self, reasons: &mut Vec<Reason>) {
        let submission = self.submission;
        let Some(record) = self.record else {
            reasons.push(Reason::UnknownRegistration);
            if submission.chain_id != self.chain_id {
                reasons.push(Reason::WrongChain);
            }
            if submission.registry != self.registry {
                reasons.push(Reason::WrongRegistry);
            }
            return;
        };
        let session = &record.session;
        if record.used_at.is_some() {
            reasons.push(Reason::RegistrationUsed);
        }
        if session.is_expired(self.now) {
            reasons.push(Reason::RegistrationExpired);
        }
        if submission.service != session.service {
            reasons.push(Reason::WrongService);
        }
        if submission.chain_id != session.chain_id || submission.chain_id != self.chain_id {
            reasons.push(Reason::WrongChain);
        }
        if submission.registry != session.registry || submission.registry != self.registry {
            reasons.push(Reason::WrongRegistry);
        }
    }

    fn attestation(&self, reasons: &mut Vec<Reason>) {
        let submission = self.submission;
        if self.answer.certifier_name.is_empty() || !self.policy.trusts(submission.certifier) {
            reasons.push(Reason::UntrustedCertifier);
        }
        let Some(attestation) = &self.answer.attestation else {
            reasons.push(Reason::NoAttestation);
            return;
        };
        match attestation.status {
            Status::Revoked => reasons.push(Reason::Revoked),
            Status::Withdrawn => reasons.push(Reason::Withdrawn),
            Status::None | Status::Active => {}
        }
        if self.now >= attestation.expires_at {
            reasons.push(Reason::AttestationExpired);
        }
        if !attestation.evidence.contains(self.policy.required_evidence) {
            reasons.push(Reason::InsufficientEvidence);
        }
        if attestation.root != submission.root
            || self.inspection.computed_root != Some(attestation.root)
        {
            reasons.push(Reason::RootMismatch);
        }
        if let Some(max_age) = self.policy.max_attestation_age {
            if self.now.saturating_sub(attestation.issued_at) > max_age.as_secs() {
                reasons.push(Reason::AttestationTooOld);
            }
        }
    }

    /// Every field the session or the policy asks for is disclosed.
    fn fields(&self, reasons: &mut Vec<Reason>) {
        let asked = self
            .record
            .map(|record| record.session.fields.as_slice())
            .unwrap_or_default();
        let disclosed: Vec<&str> = self
            .submission
            .disclosed()
            .map(|claim| claim.key.as_str())
            .collect();
        let missing = asked
            .iter()
            .chain(&self.policy.required_fields)
            .any(|field| !disclosed.contains(&field.as_str()));
        if missing {
            reasons.push(Reason::MissingFields);
        }
    }
}
