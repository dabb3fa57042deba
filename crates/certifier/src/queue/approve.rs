//! Approving queued requests: duplicate-identity checks, then attestation on chain,
//! each outcome written to the queue and each credential to disk as it happens.

use std::{
    collections::HashMap,
    fmt,
    path::{Path, PathBuf},
};

use alloy::primitives::{Address, B256};
use kyc_core::files::Credential;
use serde::Serialize;

use super::{i64_of, keys::DocumentIdentity, unix_now, Intake, Queue, Refused, RequestStatus};
use crate::{
    attest::{
        attest_batch, AttestOptions, BatchSummary, Disposition, Failure, Item, Journal, Outcome,
    },
    files::write_credential,
    relay::revoke,
    Chain, Error, Result,
};

/// What became of one request of an approval.
#[derive(Clone, Debug, Serialize)]
pub struct RequestOutcome {
    /// The queue's ID of the request.
    pub request: i64,
    /// The person.
    #[serde(with = "kyc_core::hex")]
    pub subject: Address,
    /// What happened.
    #[serde(flatten)]
    pub settled: Settled,
}

/// How a request of an approval was settled, written as its lower-case code.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Settled {
    /// Recorded on chain and confirmed (now or by an earlier run); its credential written.
    Attested(Box<AttestedRequest>),
    /// Refused: the identity document backs a live attestation of another address, or
    /// another request of this approval. It stays pending.
    DuplicateIdentity {
        /// Which attestation or request holds the identity.
        reason: String,
        /// Whether an approval with [`ApproveOptions::rebind`] would revoke the other
        /// attestation and attest this request (not when the other is in this approval).
        rebindable: bool,
    },
    /// Not attested, with the registry's decoded error or the check that refused it.
    Failed {
        /// Where the request stands now: pending (worth another try), rejected (its
        /// nonce was used) or timed out (its deadline passed).
        status: RequestStatus,
        /// Why.
        reason: String,
    },
    /// Left pending because the chain could not be reached.
    Unavailable {
        /// The outage.
        reason: String,
    },
}

/// An attested request: its transaction and its credential.
#[derive(Clone, Debug, Serialize)]
pub struct AttestedRequest {
    /// The attested root.
    pub root: B256,
    /// The transaction that recorded it.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
    /// When the attestation was recorded.
    pub issued_at: u64,
    /// When it lapses.
    pub expires_at: u64,
    /// Found on chain from an earlier, interrupted run rather than sent now.
    pub already_on_chain: bool,
    /// Where the credential was written.
    #[serde(rename = "credential")]
    pub credential_file: PathBuf,
    /// The credential to hand to the person (personal data: never serialized here).
    #[serde(skip)]
    pub credential: Credential,
}

impl RequestOutcome {
    /// Whether the request is attested.
    pub fn is_attested(&self) -> bool {
        matches!(self.settled, Settled::Attested(_))
    }
}

impl fmt::Display for RequestOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (id, subject) = (self.request, self.subject);
        match &self.settled {
            Settled::Attested(attested) => {
                let verb = if attested.already_on_chain {
                    "already attested"
                } else {
                    "attested"
                };
                write!(
                    f,
                    "{verb} #{id} {subject} in transaction {} (block {})",
                    attested.tx_hash, attested.block_number
                )
            }
            Settled::DuplicateIdentity { reason, .. } | Settled::Unavailable { reason } => {
                write!(f, "pending #{id} {subject}: {reason}")
            }
            Settled::Failed { status, reason } => write!(f, "{status} #{id} {subject}: {reason}"),
        }
    }
}

/// The outcome of an approval: every request's, and the totals.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Approval {
    /// Request files refused before they were queued (by [`Queue::attest_files`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<Refused>,
    /// Each request's outcome, in the order they were settled.
    pub outcomes: Vec<RequestOutcome>,
    /// The totals.
    #[serde(flatten)]
    pub summary: BatchSummary,
}

impl Approval {
    /// How many requests (and refused files) were not attested.
    pub fn not_attested(&self) -> usize {
        self.refused.len() + self.outcomes.iter().filter(|o| !o.is_attested()).count()
    }

    /// How many requests and refused files the approval covered.
    pub fn total(&self) -> usize {
        self.refused.len() + self.outcomes.len()
    }

    /// `2 of 5 requests were not attested`; `None` when every one was.
    pub fn describe_not_attested(&self) -> Option<String> {
        let missed = self.not_attested();
        (missed > 0).then(|| format!("{missed} of {} requests were not attested", self.total()))
    }
}

impl fmt::Display for Approval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        write!(
            f,
            "{} of {} attested ({} already on chain), {} transactions, {} gas",
            self.total() - self.not_attested(),
            self.total(),
            s.already_on_chain,
            s.transactions,
            s.gas_used
        )
    }
}

/// Which requests to approve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Selection {
    /// These IDs; each must be pending.
    Ids(Vec<i64>),
    /// Every pending request for this chain, registry and certifier.
    AllPending,
}

/// How to approve.
#[derive(Clone, Debug)]
pub struct ApproveOptions {
    /// Evidence, validity and batching.
    pub attest: AttestOptions,
    /// Where credentials are written, one file per subject.
    pub out_dir: PathBuf,
    /// Revoke a live attestation of the same identity document for another address
    /// first, instead of refusing.
    pub rebind: bool,
}

/// On chain, revoked attestations carry this public reason: nothing personal.
const REBIND_REASON: &str = "identity rebound to another address";

impl Queue {
    /// Approves the selected requests: each attested on chain (or found attested by an
    /// interrupted earlier run), marked approved and its credential written to
    /// `options.out_dir`. `on_outcome` hears of each request as it is settled; all
    /// outcomes are returned.
    ///
    /// A request whose identity document already backs a live attestation of another
    /// address is refused unless `options.rebind`, which revokes that one first.
    /// Requests that fail stay pending with the reason recorded, except those that can
    /// never succeed: a used nonce rejects them, a passed deadline times them out.
    pub async fn approve(
        &self,
        chain: &Chain,
        selection: &Selection,
        options: &ApproveOptions,
        on_outcome: impl FnMut(&RequestOutcome),
    ) -> Result<Approval> {
        let ids = self.approval_ids(chain, selection).await?;
        let mut journal = QueueJournal {
            queue: self,
            out_dir: &options.out_dir,
            on_outcome,
            subjects: HashMap::new(),
            outcomes: Vec::new(),
        };
        let mut identities: Vec<(DocumentIdentity, i64)> = Vec::new();
        let mut items = Vec::new();
        for id in ids {
            let (entry, request) = self.request_of(id).await?;
            journal.subjects.insert(id, entry.subject);
            let identity = self.keys.identity(&request.claims);
            if let Some(identity) = &identity {
                let earlier = identities.iter().find(|(other, _)| other.matches(identity));
                if let Some(&(_, other_id)) = earlier {
                    journal
                        .duplicate(id, &Error::DuplicateInBatch { other_id })
                        .await?;
                    continue;
                }
                identities.push((identity.clone(), id));
            }
            let legacy = self.keys.legacy_identity(&request.claims);
            match self
                .free_identity(chain, id, identity, legacy, entry.subject, options.rebind)
                .await
            {
                Ok(()) => items.push(Item { key: id, request }),
                Err(error @ Error::DuplicateIdentity { .. }) => {
                    journal.duplicate(id, &error).await?
                }
                Err(error) => journal.fail(id, &error).await?,
            }
        }
        let mut summary = attest_batch(chain, items, &options.attest, &mut journal).await?;
        summary.failed = journal.outcomes.iter().filter(|o| !o.is_attested()).count();
        Ok(Approval {
            refused: Vec::new(),
            outcomes: journal.outcomes,
            summary,
        })
    }

    /// The direct path: checks and queues each request file (a file whose request is
    /// already pending joins under its ID), then approves them at once, with the same
    /// duplicate-identity check as any approval. Files refused by the checks are in
    /// [`Approval::refused`], and nothing of them is stored.
    pub async fn attest_files(
        &self,
        chain: &Chain,
        inputs: &[PathBuf],
        options: &ApproveOptions,
        on_outcome: impl FnMut(&RequestOutcome),
    ) -> Result<Approval> {
        let Intake { queued, refused } = self.admit_files(chain, inputs, true).await?;
        let ids = queued.iter().map(|queued| queued.id).collect();
        let approval = self
            .approve(chain, &Selection::Ids(ids), options, on_outcome)
            .await?;
        Ok(Approval {
            refused,
            ..approval
        })
    }

    /// The pending IDs an approval of `selection` works on; an ID that is unknown or not
    /// pending is an error.
    pub async fn approval_ids(&self, chain: &Chain, selection: &Selection) -> Result<Vec<i64>> {
        match selection {
            Selection::Ids(ids) => {
                let mut unique = Vec::new();
                for &id in ids {
                    let entry = self.entry(id).await?;
                    if entry.status != RequestStatus::Pending {
                        return Err(Error::NotPending {
                            id,
                            status: entry.status.to_string(),
                        });
                    }
                    if !unique.contains(&id) {
                        unique.push(id);
                    }
                }
                Ok(unique)
            }
            Selection::AllPending => Ok(sqlx::query_scalar(
                "SELECT id FROM requests WHERE status = 'pending' AND chain_id = ? AND registry = ?
                     AND certifier = ? ORDER BY id",
            )
            .bind(i64_of(chain.chain_id(), "chain_id")?)
            .bind(chain.registry_address().to_checksum(None))
            .bind(chain.account().to_checksum(None))
            .fetch_all(&self.pool)
            .await?),
        }
    }

    /// Makes sure no live attestation of ours binds the identity to another address:
    /// refuses, or with `rebind` revokes it. `legacy` is the first schema's hash of the
    /// same document, matched against requests whose personal data is gone.
    async fn free_identity(
        &self,
        chain: &Chain,
        id: i64,
        identity: Option<DocumentIdentity>,
        legacy: Option<Vec<u8>>,
        subject: Address,
        rebind: bool,
    ) -> Result<()> {
        if identity.is_none() && legacy.is_none() {
            return Ok(());
        }
        // With an issuer: the same issuer and number, or the number stored without one.
        // Without: the number under any issuer.
        let (issued, unissued, number) = match identity {
            Some(identity) if identity.has_issuer => {
                (Some(identity.issued), Some(identity.unissued), None)
            }
            Some(identity) => (None, None, Some(identity.number)),
            None => (None, None, None),
        };
        let others: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, subject, root FROM requests
             WHERE (identity = ? OR identity = ? OR number_identity = ? OR legacy_identity = ?)
                 AND status = 'approved' AND subject != ? AND chain_id = ? AND registry = ?
                 AND certifier = ? ORDER BY id",
        )
        .bind(issued)
        .bind(unissued)
        .bind(number)
        .bind(legacy)
        .bind(subject.to_checksum(None))
        .bind(i64_of(chain.chain_id(), "chain_id")?)
        .bind(chain.registry_address().to_checksum(None))
        .bind(chain.account().to_checksum(None))
        .fetch_all(&self.pool)
        .await?;
        let now = chain.now().await?;
        for (other_id, other, root) in others {
            let (Ok(other), Ok(root)) = (other.parse::<Address>(), root.parse::<B256>()) else {
                continue;
            };
            let pair = chain.pair(other, chain.account()).await?;
            let live = pair.attestation.is_live(now) && pair.attestation.root == root;
            if !live {
                continue;
            }
            if !rebind {
                return Err(Error::DuplicateIdentity { other, other_id });
            }
            let revoked = revoke(chain, other, REBIND_REASON).await?;
            sqlx::query("UPDATE requests SET reason = ? WHERE id = ?")
                .bind(format!(
                    "revoked in transaction {}: identity rebound to request #{id}",
                    revoked.tx_hash
                ))
                .bind(other_id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }
}

/// Writes each outcome to the queue (and each credential to disk) as it happens.
struct QueueJournal<'a, F> {
    queue: &'a Queue,
    out_dir: &'a Path,
    on_outcome: F,
    subjects: HashMap<i64, Address>,
    outcomes: Vec<RequestOutcome>,
}

impl<F: FnMut(&RequestOutcome)> QueueJournal<'_, F> {
    async fn fail(&mut self, id: i64, error: &Error) -> Result<()> {
        self.record(&id, Outcome::Failed(Failure::from(error)))
            .await
    }

    /// A duplicate identity: the request stays pending with the reason.
    async fn duplicate(&mut self, id: i64, error: &Error) -> Result<()> {
        let reason = error.to_string();
        self.queue.note_failure(&[id], &reason).await?;
        let rebindable = matches!(error, Error::DuplicateIdentity { .. });
        self.settle(id, Settled::DuplicateIdentity { reason, rebindable });
        Ok(())
    }

    fn settle(&mut self, id: i64, settled: Settled) {
        let outcome = RequestOutcome {
            request: id,
            subject: self.subjects.get(&id).copied().unwrap_or_default(),
            settled,
        };
        (self.on_outcome)(&outcome);
        self.outcomes.push(outcome);
    }
}

impl<F: FnMut(&RequestOutcome)> Journal<i64> for QueueJournal<'_, F> {
    async fn record(&mut self, id: &i64, outcome: Outcome) -> Result<()> {
        let now = i64_of(unix_now()?, "time")?;
        let settled = match outcome {
            Outcome::Attested(attested) => {
                let credential = attested.credential;
                // The file first: if we stop between the two, the next run finds the
                // attestation on chain and writes the same file again.
                let credential_file = write_credential(self.out_dir, &credential)?;
                sqlx::query(
                    "UPDATE requests SET status = 'approved', reason = NULL, decided_at = ?,
                         evidence = ?, issued_at = ?, expires_at = ?, tx_hash = ?, block_number = ?
                     WHERE id = ? AND status = 'pending'",
                )
                .bind(now)
                .bind(i64::from(credential.evidence.bits()))
                .bind(i64_of(credential.issued_at, "issued_at")?)
                .bind(i64_of(credential.expires_at, "expires_at")?)
                .bind(credential.tx_hash.to_string())
                .bind(i64_of(credential.block_number, "block_number")?)
                .bind(id)
                .execute(&self.queue.pool)
                .await?;
                Settled::Attested(Box::new(AttestedRequest {
                    root: credential.root,
                    tx_hash: credential.tx_hash,
                    block_number: credential.block_number,
                    issued_at: credential.issued_at,
                    expires_at: credential.expires_at,
                    already_on_chain: attested.already_on_chain,
                    credential_file,
                    credential,
                }))
            }
            Outcome::Failed(failure) => {
                let status = match failure.disposition {
                    Disposition::Retry | Disposition::Unavailable => RequestStatus::Pending,
                    Disposition::Stale => RequestStatus::Rejected,
                    Disposition::Expired => RequestStatus::TimedOut,
                };
                let decided_at = (status != RequestStatus::Pending).then_some(now);
                sqlx::query(
                    "UPDATE requests SET status = ?, reason = ?, decided_at = ?
                     WHERE id = ? AND status = 'pending'",
                )
                .bind(status.code())
                .bind(&failure.reason)
                .bind(decided_at)
                .bind(id)
                .execute(&self.queue.pool)
                .await?;
                match failure.disposition {
                    Disposition::Unavailable => Settled::Unavailable {
                        reason: failure.reason,
                    },
                    _ => Settled::Failed {
                        status,
                        reason: failure.reason,
                    },
                }
            }
        };
        self.settle(*id, settled);
        Ok(())
    }
}
