//! `kyc certifier queue`: the intake queue of checked requests with sealed personal data.

use std::{path::PathBuf, time::Duration};

use anyhow::bail;
use clap::Subcommand;
use kyc_certifier::queue::{ListFilter, Maintenance, Queue, QueuePolicy, Selection};

use super::{report::Progress, BatchArgs, ChainArgs};
use crate::output::{print_json, show};

/// The intake queue: requests wait here, checked and sealed, for a decision.
///
/// Every command first times out requests past their deadline or pending too long, and
/// deletes the personal data of requests decided longer ago than the retention.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(flatten)]
    queue: QueueArgs,

    #[command(subcommand)]
    command: QueueCommand,
}

/// Where the queue is, and how long it keeps things.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Queue")]
pub(super) struct QueueArgs {
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
    #[arg(long, env = "KYC_RETENTION", default_value = "72h", value_parser = kyc_core::time::parse_duration, global = true)]
    retention: Duration,

    /// How long a request may wait for a decision.
    #[arg(long, env = "KYC_MAX_PENDING", default_value = "10d", value_parser = kyc_core::time::parse_duration, global = true)]
    max_pending: Duration,
}

impl QueueArgs {
    /// Opens the queue and applies the retention rules; what they did.
    pub(super) async fn open(&self) -> anyhow::Result<(Queue, Maintenance)> {
        let policy = QueuePolicy {
            retention: self.retention,
            max_pending: self.max_pending,
        };
        let key = self.queue_key.as_deref();
        Ok(Queue::open_maintained(&self.queue, key, &policy).await?)
    }
}

/// Notes on stderr what the retention rules did, when they did something.
pub(super) fn note(maintenance: &Maintenance, json: bool) {
    if !json && (maintenance.timed_out > 0 || maintenance.purged > 0) {
        eprintln!("note: {maintenance}");
    }
}

#[derive(Debug, Subcommand)]
enum QueueCommand {
    /// Check request files (claims, root, signature, nonce, deadline, addressed to us)
    /// and queue them; a refused file is named with its reason and nothing of it is stored.
    Add {
        /// Request files, or folders of them (*.json).
        #[arg(required = true)]
        requests: Vec<PathBuf>,

        #[command(flatten)]
        chain: ChainArgs,
    },
    /// List the queue: ID, status, subject, root, times, whether the personal data is
    /// kept, and the transaction or the reason.
    List {
        /// Only requests in this state: pending, approved, rejected, timed_out, or deleted
        /// (personal data deleted).
        #[arg(long, value_parser = |s: &str| s.parse::<ListFilter>().map_err(|e| e.to_string()))]
        status: Option<ListFilter>,
    },
    /// Attest pending requests on chain (attestBatch in chunks), mark them approved and
    /// write their credentials. Interrupted, it can be run again: nothing is attested twice.
    Approve(ApproveArgs),
    /// Reject a pending request, recording why.
    Reject {
        /// The request.
        id: i64,

        /// Why (kept in the audit line).
        #[arg(long)]
        reason: String,
    },
    /// Time out and delete what the retention rules say (every command does this first).
    Purge,
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let (queue, maintenance) = self.queue.open().await?;
        let result = match self.command {
            QueueCommand::Purge => show(&maintenance, json),
            command => {
                note(&maintenance, json);
                command.run(&queue, json).await
            }
        };
        queue.close().await;
        result
    }
}

impl QueueCommand {
    async fn run(self, queue: &Queue, json: bool) -> anyhow::Result<()> {
        match self {
            Self::Add { requests, chain } => {
                let chain = chain.connect_signing().await?;
                let intake = queue.admit_files(&chain, &requests, false).await?;
                if json {
                    print_json(&intake)?;
                } else {
                    intake.queued.iter().for_each(|queued| println!("{queued}"));
                    intake
                        .refused
                        .iter()
                        .for_each(|refused| eprintln!("{refused}"));
                }
                match intake.describe_refused() {
                    Some(refused) => bail!(refused),
                    None => Ok(()),
                }
            }
            Self::List { status } => list(queue, status, json).await,
            Self::Approve(args) => args.run(queue, json).await,
            Self::Reject { id, reason } => show(&queue.reject(id, &reason).await?, json),
            Self::Purge => Ok(()),
        }
    }
}

async fn list(queue: &Queue, status: Option<ListFilter>, json: bool) -> anyhow::Result<()> {
    let entries = queue.list(status).await?;
    if json {
        return print_json(&entries);
    }
    if entries.is_empty() {
        println!("no requests");
    }
    entries.iter().for_each(|entry| println!("{entry}"));
    Ok(())
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

    #[command(flatten)]
    batch: BatchArgs,

    #[command(flatten)]
    chain: ChainArgs,
}

impl ApproveArgs {
    async fn run(self, queue: &Queue, json: bool) -> anyhow::Result<()> {
        let selection = if self.all {
            Selection::AllPending
        } else {
            Selection::Ids(self.ids.clone())
        };
        let connected = self.chain.connect(self.chain.signing()?).await;
        let chain = queue.reached(&selection, connected).await?;
        let total = queue.approval_ids(&chain, &selection).await?.len();
        let mut progress = Progress::new(total, json);
        let approval = queue
            .approve(&chain, &selection, &self.batch.options(), |outcome| {
                progress.show(outcome)
            })
            .await?;
        progress.finish(&approval)
    }
}
