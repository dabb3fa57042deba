//! Approving queued requests: duplicate-identity checks, then attestation on chain,
//! each outcome written to the queue and each credential to disk as it happens.

use std::{collections::HashMap, path::PathBuf};

use alloy::primitives::{Address, B256};

use super::{i64_of, unix_now, Queue, RequestStatus};
use crate::{
    attest::{
        attest_batch, AttestOptions, BatchSummary, Disposition, Failure, Item, Journal, Outcome,
    },
    files::write_credential,
    relay::revoke,
    Chain, Error, Result,
};

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
    /// `options.out_dir`. `on_outcome` hears of each request as it is settled.
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
        on_outcome: impl FnMut(i64, Address, &Outcome),
    ) -> Result<BatchSummary> {
        let ids = self.approval_ids(chain, selection).await?;
        let mut journal = QueueJournal {
            queue: self,
            out_dir: &options.out_dir,
            on_outcome,
            subjects: HashMap::new(),
            failed: 0,
        };
        let mut identities: HashMap<Vec<u8>, i64> = HashMap::new();
        let mut items = Vec::new();
        for id in ids {
            let (entry, request, identity) = self.request_of(id).await?;
            journal.subjects.insert(id, entry.subject);
            if let Some(identity) = identity {
                if let Some(&other_id) = identities.get(&identity) {
                    journal
                        .fail(id, &Error::DuplicateInBatch { other_id })
                        .await?;
                    continue;
                }
                identities.insert(identity.clone(), id);
                if let Err(error) = self
                    .free_identity(chain, id, &identity, entry.subject, options.rebind)
                    .await
                {
                    journal.fail(id, &error).await?;
                    continue;
                }
            }
            items.push(Item { key: id, request });
        }
        let mut summary = attest_batch(chain, items, &options.attest, &mut journal).await?;
        summary.failed = journal.failed;
        Ok(summary)
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

    /// Makes sure no live attestation of ours binds `identity` to another address:
    /// refuses, or with `rebind` revokes it.
    async fn free_identity(
        &self,
        chain: &Chain,
        id: i64,
        identity: &[u8],
        subject: Address,
        rebind: bool,
    ) -> Result<()> {
        let others: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT id, subject, root FROM requests WHERE identity = ? AND status = 'approved'
                 AND subject != ? AND chain_id = ? AND registry = ? AND certifier = ? ORDER BY id",
        )
        .bind(identity)
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
    out_dir: &'a PathBuf,
    on_outcome: F,
    subjects: HashMap<i64, Address>,
    failed: usize,
}

impl<F: FnMut(i64, Address, &Outcome)> QueueJournal<'_, F> {
    async fn fail(&mut self, id: i64, error: &Error) -> Result<()> {
        self.record(&id, Outcome::Failed(Failure::from(error)))
            .await
    }
}

impl<F: FnMut(i64, Address, &Outcome)> Journal<i64> for QueueJournal<'_, F> {
    async fn record(&mut self, id: &i64, outcome: Outcome) -> Result<()> {
        let now = i64_of(unix_now(), "time")?;
        match &outcome {
            Outcome::Attested(attested) => {
                let credential = &attested.credential;
                // The file first: if we stop between the two, the next run finds the
                // attestation on chain and writes the same file again.
                write_credential(self.out_dir, credential)?;
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
            }
            Outcome::Failed(failure) => {
                self.failed += 1;
                let status = match failure.disposition {
                    Disposition::Retry => RequestStatus::Pending,
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
            }
        }
        let subject = self.subjects.get(id).copied().unwrap_or_default();
        (self.on_outcome)(*id, subject, &outcome);
        Ok(())
    }
}
