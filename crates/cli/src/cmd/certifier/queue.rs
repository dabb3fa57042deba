//! `kyc certifier queue`: the intake queue of checked requests with sealed personal data.

use std::{
    path::PathBuf,
    time::{Duration, UNIX_EPOCH},
};

use anyhow::bail;
use clap::Subcommand;
use kyc_certifier::{
    attest::Outcome,
    files::{credential_path, read_file, request_files},
    queue::{ApproveOptions, Entry, ListFilter, Queue, QueuePolicy, Selection},
};
use serde_json::json;

use super::{connect, report::Report, BatchArgs, TxArgs};
use crate::opts::{RegistryArgs, WalletArgs};

/// The intake queue: requests wait here, checked and sealed, for a decision.
///
/// Every command first times out requests past their deadline or pending too long, and
/// deletes the personal data of requests decided longer ago than the retention.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The queue database (created with its key file when missing).
    #[arg(
        long,
        env = "KYC_QUEUE",
        default_value = "kyc-certifier.db",
        global = true
    )]
    queue: PathBuf,

    /// The queue's key file [default: the queue's path with .key appended].
    #[arg(long, env = "KYC_QUEUE_KEY", global = true)]
    queue_key: Option<PathBuf>,

    /// How long the personal data of a decided or timed-out request is kept.
    #[arg(long, env = "KYC_RETENTION", default_value = "72h", value_parser = humantime::parse_duration, global = true)]
    retention: Duration,

    /// How long a request may wait for a decision.
    #[arg(long, env = "KYC_MAX_PENDING", default_value = "10d", value_parser = humantime::parse_duration, global = true)]
    max_pending: Duration,

    #[command(subcommand)]
    command: QueueCommand,
}

#[derive(Debug, Subcommand)]
enum QueueCommand {
    /// Check request files and queue them.
    Add(AddArgs),
    /// List the queue's audit lines.
    List(ListArgs),
    /// Attest pending requests on chain and write their credentials.
    Approve(ApproveArgs),
    /// Reject a pending request.
    Reject(RejectArgs),
    /// Time out and delete what the retention rules say (every command does this first).
    Purge,
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let key = self
            .queue_key
            .clone()
            .unwrap_or_else(|| Queue::default_key_path(&self.queue));
        let queue = Queue::open(&self.queue, &key).await?;
        let policy = QueuePolicy {
            retention: self.retention,
            max_pending: self.max_pending,
        };
        let maintenance = queue.maintain(&policy).await?;
        let result = match self.command {
            QueueCommand::Purge => {
                if json {
                    println!(
                        "{}",
                        json!({ "timed_out": maintenance.timed_out, "purged": maintenance.purged })
                    );
                } else {
                    println!(
                        "{} requests timed out, personal data of {} requests deleted",
                        maintenance.timed_out, maintenance.purged
                    );
                }
                Ok(())
            }
            command => {
                if !json && (maintenance.timed_out > 0 || maintenance.purged > 0) {
                    eprintln!(
                        "note: {} requests timed out, personal data of {} requests deleted",
                        maintenance.timed_out, maintenance.purged
                    );
                }
                match command {
                    QueueCommand::Add(args) => args.run(&queue, json).await,
                    QueueCommand::List(args) => args.run(&queue, json).await,
                    QueueCommand::Approve(args) => args.run(&queue, json).await,
                    QueueCommand::Reject(args) => args.run(&queue, json).await,
                    QueueCommand::Purge => Ok(()),
                }
            }
        };
        queue.close().await;
        result
    }
}

/// Check request files (claims, root, signature, nonce, deadline, addressed to us) and queue
/// them; a refused file is named with its reason and nothing of it is stored.
#[derive(Debug, clap::Args)]
struct AddArgs {
    /// Request files, or folders of them (*.json).
    #[arg(required = true)]
    requests: Vec<PathBuf>,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,
}

impl AddArgs {
    async fn run(self, queue: &Queue, json: bool) -> anyhow::Result<()> {
        let files = request_files(&self.requests)?;
        let chain = connect(&self.registry, &self.wallet).await?;
        let (mut queued, mut refused) = (Vec::new(), Vec::new());
        for file in files {
            let added = match read_file(&file) {
                Ok(request) => queue.add(&chain, &request).await.map(|id| (id, request)),
                Err(error) => Err(error),
            };
            match added {
                Ok((id, request)) => {
                    if !json {
                        println!(
                            "queued #{id} {} root {} ({})",
                            request.subject,
                            request.root,
                            file.display()
                        );
                    }
                    queued.push(json!({
                        "id": id,
                        "file": file,
                        "subject": request.subject.to_checksum(None),
                        "root": request.root,
                    }));
                }
                Err(error) => {
                    if !json {
                        eprintln!("refused {}: {error}", file.display());
                    }
                    refused.push(json!({ "file": file, "error": error.to_string() }));
                }
            }
        }
        if json {
            println!("{}", json!({ "queued": queued, "refused": refused }));
        }
        if !refused.is_empty() {
            bail!(
                "{} of {} request files were refused",
                refused.len(),
                refused.len() + queued.len()
            );
        }
        Ok(())
    }
}

/// List the queue: ID, status, subject, root, times, whether the personal data is kept,
/// and the transaction or the reason.
#[derive(Debug, clap::Args)]
struct ListArgs {
    /// Only requests in this state: pending, approved, rejected, timed_out, or deleted
    /// (personal data deleted).
    #[arg(long, value_parser = |s: &str| s.parse::<ListFilter>().map_err(|e| e.to_string()))]
    status: Option<ListFilter>,
}

impl ListArgs {
    async fn run(self, queue: &Queue, json: bool) -> anyhow::Result<()> {
        let entries = queue.list(self.status).await?;
        if json {
            let entries: Vec<_> = entries.iter().map(entry_json).collect();
            println!("{}", serde_json::Value::from(entries));
            return Ok(());
        }
        if entries.is_empty() {
            println!("no requests");
        }
        for entry in &entries {
            let data = if entry.data_deleted_at.is_some() {
                "deleted"
            } else {
                "kept"
            };
            let detail = match (&entry.tx_hash, &entry.reason) {
                (Some(tx), _) => format!("tx {tx}"),
                (None, Some(reason)) => reason.clone(),
                (None, None) => String::new(),
            };
            println!(
                "#{:<5} {:<9} {} {} received {} data {:<7} {detail}",
                entry.id,
                entry.status,
                entry.subject,
                entry.root,
                time(entry.received_at),
                data,
            );
        }
        Ok(())
    }
}

fn entry_json(entry: &Entry) -> serde_json::Value {
    json!({
        "id": entry.id,
        "status": entry.status,
        "reason": entry.reason,
        "chain_id": entry.chain_id,
        "registry": entry.registry.to_checksum(None),
        "certifier": entry.certifier.to_checksum(None),
        "subject": entry.subject.to_checksum(None),
        "root": entry.root,
        "nonce": entry.nonce,
        "deadline": entry.deadline,
        "received_at": entry.received_at,
        "decided_at": entry.decided_at,
        "data_deleted_at": entry.data_deleted_at,
        "evidence": entry.evidence,
        "issued_at": entry.issued_at,
        "expires_at": entry.expires_at,
        "tx_hash": entry.tx_hash,
        "block_number": entry.block_number,
    })
}

fn time(unix: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(unix)).to_string()
}

/// Attest pending requests on chain (attestBatch in chunks), mark them approved and write
/// their credentials. Interrupted, it can be run again: nothing is attested twice.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["ids", "all"])))]
struct ApproveArgs {
    /// The requests to approve.
    ids: Vec<i64>,

    /// Approve every pending request for this registry and certifier.
    #[arg(long)]
    all: bool,

    /// When the identity document already backs a live attestation of another address,
    /// revoke that one first instead of refusing.
    #[arg(long)]
    rebind: bool,

    #[command(flatten)]
    batch: BatchArgs,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,

    #[command(flatten)]
    tx: TxArgs,
}

impl ApproveArgs {
    async fn run(self, queue: &Queue, json: bool) -> anyhow::Result<()> {
        let selection = if self.all {
            Selection::AllPending
        } else {
            Selection::Ids(self.ids.clone())
        };
        let chain = match connect(&self.registry, &self.wallet).await {
            Ok(chain) => self.tx.apply(chain)?,
            Err(error) => {
                // The chain is out of reach: nothing was decided; say why on each request.
                if let Some(outage @ kyc_certifier::Error::Rpc { .. }) = error.downcast_ref() {
                    let ids = queue.pending_ids(&selection).await?;
                    queue.note_failure(&ids, &outage.to_string()).await?;
                }
                return Err(error);
            }
        };
        let total = queue.approval_ids(&chain, &selection).await?.len();
        let options = ApproveOptions {
            attest: self.batch.options(),
            out_dir: self.batch.out_dir.clone(),
            rebind: self.rebind,
        };
        let mut report = Report::new(total, json);
        let out_dir = &self.batch.out_dir;
        let summary = queue
            .approve(&chain, &selection, &options, |id, subject, outcome| {
                let label = format!("#{id}");
                match outcome {
                    Outcome::Attested(attested) => {
                        let path = credential_path(out_dir, &attested.credential);
                        report.attested(&label, attested, Some(&path));
                    }
                    Outcome::Failed(failure) => report.failed(&label, Some(subject), failure),
                }
            })
            .await?;
        report.finish(&summary)
    }
}

/// Reject a pending request, recording why.
#[derive(Debug, clap::Args)]
struct RejectArgs {
    /// The request.
    id: i64,

    /// Why (kept in the audit line).
    #[arg(long)]
    reason: String,
}

impl RejectArgs {
    async fn run(self, queue: &Queue, json: bool) -> anyhow::Result<()> {
        queue.reject(self.id, &self.reason).await?;
        if json {
            println!("{}", json!({ "rejected": self.id, "reason": self.reason }));
        } else {
            println!("rejected #{}", self.id);
        }
        Ok(())
    }
}
