//! The intake queue: requests wait here, checked and with their personal data sealed,
//! until the certification body approves (attests on chain), rejects or lets them time out.
//!
//! SQLite in one file (WAL, secure delete). Personal data of a decided request is deleted
//! after the retention period; the audit line (subject, root, status, times, transaction)
//! stays.

mod approve;
mod keys;

use std::{
    fmt,
    path::{Path, PathBuf},
    str::FromStr,
    time::Duration,
};

use alloy::primitives::{Address, Bytes, B256};
use kyc_core::{
    evidence::Evidence,
    files::{FormatVersion, Request},
    time::{format_duration, unix_now},
};
use serde::Serialize;
use sqlx::{
    migrate::{Migration, MigrationSource, MigrationType, Migrator},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteRow},
    Row, SqlitePool,
};

pub use approve::{Approval, ApproveOptions, AttestedRequest, RequestOutcome, Selection, Settled};
use keys::QueueKeys;

use crate::{check::check_request, files::read_file, files::request_files, Chain, Error, Result};

kyc_core::coded_enum! {
    /// Where a request stands.
    pub enum RequestStatus {
        /// Waiting for a decision (or for a retry after an error, recorded as the reason).
        Pending = "pending",
        /// Attested on chain and confirmed.
        Approved = "approved",
        /// Refused by the certification body, or past saving (its nonce was used).
        Rejected = "rejected",
        /// Its signature's deadline passed, or it waited longer than allowed.
        TimedOut = "timed_out",
    }
}

/// Which requests to list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFilter {
    /// Those with this status.
    Status(RequestStatus),
    /// Those whose personal data was deleted.
    Deleted,
}

impl FromStr for ListFilter {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        match text {
            "deleted" => Ok(Self::Deleted),
            other => other
                .parse()
                .map(Self::Status)
                .map_err(|_| Error::InvalidOption {
                    option: "status",
                    reason: "must be pending, approved, rejected, timed_out or deleted",
                }),
        }
    }
}

/// How long things are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueuePolicy {
    /// How long the personal data of a decided or timed-out request is kept.
    pub retention: Duration,
    /// How long a request may stay pending before it times out.
    pub max_pending: Duration,
}

impl Default for QueuePolicy {
    /// 72 hours of retention, 10 days of pending.
    fn default() -> Self {
        Self {
            retention: Duration::from_secs(72 * 3600),
            max_pending: Duration::from_secs(10 * 86_400),
        }
    }
}

/// What [`Queue::maintain`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Maintenance {
    /// Requests that timed out now.
    pub timed_out: u64,
    /// Requests whose personal data was deleted now.
    pub purged: u64,
}

impl fmt::Display for Entry {
    /// ID, status, subject, root, when received, whether the personal data is kept, and
    /// the transaction or the reason.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = match self.data_deleted_at {
            Some(_) => "deleted",
            None => "kept",
        };
        let detail = match (&self.tx_hash, &self.reason) {
            (Some(tx), _) => format!("tx {tx}"),
            (None, Some(reason)) => reason.clone(),
            (None, None) => String::new(),
        };
        let received = kyc_core::time::format_time(self.received_at);
        write!(
            f,
            "#{:<5} {:<9} {} {} received {received} data {data:<7} {detail}",
            self.id, self.status, self.subject, self.root,
        )
    }
}

impl fmt::Display for Maintenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} requests timed out, personal data of {} requests deleted",
            self.timed_out, self.purged
        )
    }
}

/// One request's audit line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// The queue's ID for it.
    pub id: i64,
    /// Where it stands.
    pub status: RequestStatus,
    /// Why it was rejected or timed out, or the last error while pending.
    pub reason: Option<String>,
    /// The chain named in the request.
    pub chain_id: u64,
    /// The registry named in the request.
    #[serde(with = "kyc_core::hex")]
    pub registry: Address,
    /// The certifier asked.
    #[serde(with = "kyc_core::hex")]
    pub certifier: Address,
    /// The person.
    #[serde(with = "kyc_core::hex")]
    pub subject: Address,
    /// The root of the person's claims.
    pub root: B256,
    /// The signed nonce.
    pub nonce: u64,
    /// The signed deadline.
    pub deadline: u64,
    /// When it was queued.
    pub received_at: u64,
    /// When it was approved, rejected or timed out.
    pub decided_at: Option<u64>,
    /// When its personal data was deleted.
    pub data_deleted_at: Option<u64>,
    /// The evidence attested.
    pub evidence: Option<Evidence>,
    /// When the attestation was recorded.
    pub issued_at: Option<u64>,
    /// When the attestation lapses.
    pub expires_at: Option<u64>,
    /// The transaction that recorded it.
    pub tx_hash: Option<B256>,
    /// The block of that transaction.
    pub block_number: Option<u64>,
}

/// The intake queue of one certification body.
#[derive(Debug)]
pub struct Queue {
    pool: SqlitePool,
    keys: QueueKeys,
}

impl Queue {
    /// The key file used when none is named: the queue's path with `.key` appended.
    pub fn default_key_path(queue: &Path) -> PathBuf {
        let mut path = queue.as_os_str().to_owned();
        path.push(".key");
        path.into()
    }

    /// Opens the queue at `path`, creating it and its key file when neither exists.
    ///
    /// Refuses a queue whose key file is missing, or a key file of another queue.
    pub async fn open(path: &Path, key_path: &Path) -> Result<Self> {
        let fresh = !path.exists();
        let keys = if key_path.exists() {
            QueueKeys::read(key_path)?
        } else if fresh {
            QueueKeys::create(key_path)?
        } else {
            return Err(Error::KeyFile {
                path: key_path.to_owned(),
                reason: "not found; the queue's personal data cannot be opened without it"
                    .to_owned(),
            });
        };
        if fresh {
            // Owner-only from the start (SQLite gives its -wal and -shm files the same mode).
            kyc_fs::write_private(path, &[])?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10))
            .pragma("secure_delete", "ON");
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        Migrator::new(Schema).await?.run(&pool).await?;
        restrict_to_owner(path)?;
        let check = keys.check_value();
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT value FROM queue_meta WHERE name = 'key_check'")
                .fetch_optional(&pool)
                .await?;
        match stored {
            Some(stored) if stored != check => {
                return Err(Error::WrongKey {
                    path: key_path.to_owned(),
                })
            }
            Some(_) => {}
            None => {
                sqlx::query("INSERT INTO queue_meta (name, value) VALUES ('key_check', ?)")
                    .bind(check)
                    .execute(&pool)
                    .await?;
            }
        }
        let queue = Self { pool, keys };
        queue.rekey_identities().await?;
        Ok(queue)
    }

    /// Opens the queue as [`Queue::open`] does (its key file `key_path`, by default
    /// [`Queue::default_key_path`]), then applies `policy` as [`Queue::maintain`] does;
    /// the queue and what the maintenance did.
    pub async fn open_maintained(
        path: &Path,
        key_path: Option<&Path>,
        policy: &QueuePolicy,
    ) -> Result<(Self, Maintenance)> {
        let key_path = key_path.map_or_else(|| Self::default_key_path(path), Path::to_owned);
        let queue = Self::open(path, &key_path).await?;
        match queue.maintain(policy).await {
            Ok(maintenance) => Ok((queue, maintenance)),
            Err(error) => {
                queue.close().await;
                Err(error)
            }
        }
    }

    /// Computes the identity hashes of requests stored under an earlier schema from their
    /// sealed claims; those whose personal data is deleted keep what they had.
    async fn rekey_identities(&self) -> Result<()> {
        let ids: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM requests WHERE number_identity IS NULL AND sealed IS NOT NULL
                 AND (identity IS NOT NULL OR legacy_identity IS NOT NULL)",
        )
        .fetch_all(&self.pool)
        .await?;
        for id in ids {
            let (_, request) = self.request_of(id).await?;
            let identity = self.keys.identity(&request.claims);
            sqlx::query("UPDATE requests SET identity = ?, number_identity = ? WHERE id = ?")
                .bind(identity.as_ref().map(|identity| identity.issued.clone()))
                .bind(identity.map(|identity| identity.number))
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// Times out requests past their deadline or pending too long, deletes the personal
    /// data of requests decided longer ago than the retention, and flushes the
    /// write-ahead log so that no copy of deleted data stays behind.
    pub async fn maintain(&self, policy: &QueuePolicy) -> Result<Maintenance> {
        let now = unix_now()?;
        let max_pending = secs(policy.max_pending)?;
        let timed_out = sqlx::query(
            "UPDATE requests SET status = 'timed_out', decided_at = ?1,
                 reason = CASE WHEN deadline <= ?1
                     THEN 'signature deadline ' || deadline || ' passed'
                     ELSE 'pending longer than ' || ?3 END
             WHERE status = 'pending' AND (deadline <= ?1 OR received_at + ?2 <= ?1)",
        )
        .bind(i64_of(now, "time")?)
        .bind(max_pending)
        .bind(format_duration(policy.max_pending))
        .execute(&self.pool)
        .await?
        .rows_affected();
        let purged = sqlx::query(
            "UPDATE requests SET sealed = NULL, data_deleted_at = ?1
             WHERE sealed IS NOT NULL AND status != 'pending' AND decided_at + ?2 <= ?1",
        )
        .bind(i64_of(now, "time")?)
        .bind(secs(policy.retention)?)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if purged > 0 {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        Ok(Maintenance { timed_out, purged })
    }

    /// Checks `request` (see [`check_request`]) and queues it with its claims sealed.
    pub async fn add(&self, chain: &Chain, request: &Request) -> Result<i64> {
        check_request(chain, request).await?;
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM requests WHERE status = 'pending' AND chain_id = ? AND registry = ?
                 AND certifier = ? AND subject = ? AND nonce = ?",
        )
        .bind(i64_of(request.chain_id, "chain_id")?)
        .bind(request.registry.to_checksum(None))
        .bind(request.certifier.to_checksum(None))
        .bind(request.subject.to_checksum(None))
        .bind(i64_of(request.nonce, "nonce")?)
        .fetch_optional(&self.pool)
        .await?;
        if let Some(id) = existing {
            return Err(Error::AlreadyQueued {
                subject: request.subject,
                nonce: request.nonce,
                id,
            });
        }
        let sealed = self
            .keys
            .seal(&request.claims, request.subject, request.root)?;
        let identity = self.keys.identity(&request.claims);
        let id = sqlx::query(
            "INSERT INTO requests (chain_id, registry, certifier, subject, root, nonce, deadline,
                 signature, identity, number_identity, sealed, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(i64_of(request.chain_id, "chain_id")?)
        .bind(request.registry.to_checksum(None))
        .bind(request.certifier.to_checksum(None))
        .bind(request.subject.to_checksum(None))
        .bind(request.root.to_string())
        .bind(i64_of(request.nonce, "nonce")?)
        .bind(i64_of(request.deadline, "deadline")?)
        .bind(request.signature.to_vec())
        .bind(identity.as_ref().map(|identity| identity.issued.clone()))
        .bind(identity.map(|identity| identity.number))
        .bind(sealed)
        .bind(i64_of(unix_now()?, "time")?)
        .execute(&self.pool)
        .await?
        .last_insert_rowid();
        Ok(id)
    }

    /// Checks and queues the request files named by `inputs` (files, or folders of
    /// `*.json`); a refused file is named with its reason and nothing of it is stored.
    /// With `join_pending`, a file whose request is already pending is taken under its ID.
    pub async fn admit_files(
        &self,
        chain: &Chain,
        inputs: &[PathBuf],
        join_pending: bool,
    ) -> Result<Intake> {
        let mut intake = Intake::default();
        for file in request_files(inputs)? {
            let added = match read_file::<Request>(&file) {
                Ok(request) => match self.add(chain, &request).await {
                    Ok(id) => Ok((id, request)),
                    Err(Error::AlreadyQueued { id, .. }) if join_pending => Ok((id, request)),
                    Err(error) => Err(error),
                },
                Err(error) => Err(error),
            };
            match added {
                Ok((id, request)) => intake.queued.push(Queued {
                    id,
                    file,
                    subject: request.subject,
                    root: request.root,
                }),
                Err(error) => intake.refused.push(Refused {
                    file,
                    error: error.to_string(),
                }),
            }
        }
        Ok(intake)
    }

    /// The requests matching `filter` (all without one), oldest first.
    pub async fn list(&self, filter: Option<ListFilter>) -> Result<Vec<Entry>> {
        let query = match filter {
            None => sqlx::query("SELECT * FROM requests ORDER BY id"),
            Some(ListFilter::Deleted) => {
                sqlx::query("SELECT * FROM requests WHERE data_deleted_at IS NOT NULL ORDER BY id")
            }
            Some(ListFilter::Status(status)) => {
                sqlx::query("SELECT * FROM requests WHERE status = ? ORDER BY id")
                    .bind(status.code())
            }
        };
        query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(entry_of)
            .collect()
    }

    /// The request with this ID.
    pub async fn entry(&self, id: i64) -> Result<Entry> {
        let row = sqlx::query("SELECT * FROM requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::UnknownRequest(id))?;
        entry_of(&row)
    }

    /// Rejects a pending request, recording why.
    pub async fn reject(&self, id: i64, reason: &str) -> Result<Rejection> {
        let entry = self.entry(id).await?;
        if entry.status != RequestStatus::Pending {
            return Err(Error::NotPending {
                id,
                status: entry.status.to_string(),
            });
        }
        sqlx::query(
            "UPDATE requests SET status = 'rejected', reason = ?, decided_at = ? WHERE id = ?",
        )
        .bind(reason)
        .bind(i64_of(unix_now()?, "time")?)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(Rejection {
            rejected: id,
            reason: reason.to_owned(),
        })
    }

    /// Records why pending requests could not be worked on (an outage before anything
    /// was decided); they stay pending.
    pub async fn note_failure(&self, ids: &[i64], reason: &str) -> Result<()> {
        for id in ids {
            sqlx::query("UPDATE requests SET reason = ? WHERE id = ? AND status = 'pending'")
                .bind(reason)
                .bind(id)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// The chain a connection reached. When it failed for an outage (the chain could not
    /// be reached), the outage is first recorded on each selected pending request, which
    /// stays pending; any other error decides nothing.
    pub async fn reached(&self, selection: &Selection, chain: Result<Chain>) -> Result<Chain> {
        if let Err(error @ Error::Rpc { .. }) = &chain {
            let ids = self.pending_ids(selection).await?;
            self.note_failure(&ids, &error.to_string()).await?;
        }
        chain
    }

    /// The IDs that an approval of `selection` would work on, with no chain at hand:
    /// the given IDs, or every pending request.
    pub async fn pending_ids(&self, selection: &Selection) -> Result<Vec<i64>> {
        match selection {
            Selection::Ids(ids) => Ok(ids.clone()),
            Selection::AllPending => Ok(sqlx::query_scalar(
                "SELECT id FROM requests WHERE status = 'pending' ORDER BY id",
            )
            .fetch_all(&self.pool)
            .await?),
        }
    }

    /// Closes the database cleanly.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// The request as the subject sent it, from the sealed claims.
    async fn request_of(&self, id: i64) -> Result<(Entry, Request)> {
        let row = sqlx::query("SELECT * FROM requests WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(Error::UnknownRequest(id))?;
        let entry = entry_of(&row)?;
        let sealed: Option<Vec<u8>> = row.try_get("sealed")?;
        let sealed = sealed.ok_or(Error::DataDeleted { id })?;
        let signature: Vec<u8> = row.try_get("signature")?;
        let request = Request {
            version: FormatVersion,
            chain_id: entry.chain_id,
            registry: entry.registry,
            subject: entry.subject,
            certifier: entry.certifier,
            claims: self.keys.open(id, &sealed, entry.subject, entry.root)?,
            root: entry.root,
            nonce: entry.nonce,
            deadline: entry.deadline,
            signature: Bytes::from(signature),
        };
        Ok((entry, request))
    }
}

/// What [`Queue::admit_files`] did with each file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Intake {
    /// The files queued.
    pub queued: Vec<Queued>,
    /// The files refused, with why.
    pub refused: Vec<Refused>,
}

impl Intake {
    /// `1 of 3 request files were refused`; `None` when none was.
    pub fn describe_refused(&self) -> Option<String> {
        let (refused, queued) = (self.refused.len(), self.queued.len());
        (refused > 0).then(|| {
            format!(
                "{refused} of {} request files were refused",
                refused + queued
            )
        })
    }
}

/// A request file queued.
#[derive(Clone, Debug, Serialize)]
pub struct Queued {
    /// Its queue ID.
    pub id: i64,
    /// The file.
    pub file: PathBuf,
    /// The person.
    #[serde(with = "kyc_core::hex")]
    pub subject: Address,
    /// The root of the person's claims.
    pub root: B256,
}

impl fmt::Display for Queued {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (id, subject, root) = (self.id, self.subject, self.root);
        write!(
            f,
            "queued #{id} {subject} root {root} ({})",
            self.file.display()
        )
    }
}

/// A request file refused before anything of it was stored.
#[derive(Clone, Debug, Serialize)]
pub struct Refused {
    /// The file.
    pub file: PathBuf,
    /// Why.
    pub error: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "refused {}: {}", self.file.display(), self.error)
    }
}

/// A rejected request.
#[derive(Clone, Debug, Serialize)]
pub struct Rejection {
    /// Its queue ID.
    pub rejected: i64,
    /// Why, as recorded.
    pub reason: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rejected #{}", self.rejected)
    }
}

/// Makes the database and its -wal and -shm files owner-only, whoever created them.
fn restrict_to_owner(path: &Path) -> Result<()> {
    #[cfg(unix)]
    for suffix in ["", "-wal", "-shm"] {
        use std::os::unix::fs::PermissionsExt;
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let file = PathBuf::from(file);
        if file.exists() {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                .map_err(Error::io(&file))?;
        }
    }
    Ok(())
}

fn i64_of(value: u64, field: &'static str) -> Result<i64> {
    i64::try_from(value).map_err(|_| Error::OutOfRange { field })
}

fn secs(duration: Duration) -> Result<i64> {
    i64_of(duration.as_secs(), "duration")
}

fn entry_of(row: &SqliteRow) -> Result<Entry> {
    let u64_of = |column: &str| -> Result<u64> {
        let value: i64 = row.try_get(column)?;
        Ok(u64::try_from(value).unwrap_or_default())
    };
    let opt_u64 = |column: &str| -> Result<Option<u64>> {
        let value: Option<i64> = row.try_get(column)?;
        Ok(value.map(|value| u64::try_from(value).unwrap_or_default()))
    };
    let evidence = match opt_u64("evidence")? {
        Some(bits) => Some(Evidence::from_bits(
            u16::try_from(bits).unwrap_or(u16::MAX),
        )?),
        None => None,
    };
    let tx_hash: Option<String> = row.try_get("tx_hash")?;
    let status: String = row.try_get("status")?;
    Ok(Entry {
        id: row.try_get("id")?,
        chain_id: u64_of("chain_id")?,
        registry: parse_column(row, "registry")?,
        certifier: parse_column(row, "certifier")?,
        subject: parse_column(row, "subject")?,
        root: parse_column(row, "root")?,
        nonce: u64_of("nonce")?,
        deadline: u64_of("deadline")?,
        status: status.parse().map_err(|_| corrupt("status"))?,
        reason: row.try_get("reason")?,
        received_at: u64_of("received_at")?,
        decided_at: opt_u64("decided_at")?,
        data_deleted_at: opt_u64("data_deleted_at")?,
        evidence,
        issued_at: opt_u64("issued_at")?,
        expires_at: opt_u64("expires_at")?,
        tx_hash: tx_hash
            .map(|hash| hash.parse())
            .transpose()
            .map_err(|_| corrupt("tx_hash"))?,
        block_number: opt_u64("block_number")?,
    })
}

fn parse_column<T: FromStr>(row: &SqliteRow, column: &'static str) -> Result<T> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|_| corrupt(column))
}

fn corrupt(column: &'static str) -> Error {
    Error::Database(sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: format!("malformed {column}").into(),
    })
}

/// The queue's schema, compiled in.
#[derive(Debug)]
struct Schema;

impl MigrationSource<'static> for Schema {
    fn resolve(
        self,
    ) -> std::pin::Pin<
        Box<
            dyn std::future::Future<
                    Output = std::result::Result<Vec<Migration>, sqlx::error::BoxDynError>,
                > + Send,
        >,
    > {
        Box::pin(async {
            Ok(vec![
                Migration::new(
                    1,
                    "queue".into(),
                    MigrationType::Simple,
                    include_str!("../../migrations/0001_queue.sql").into(),
                    false,
                ),
                Migration::new(
                    2,
                    "canonical identity".into(),
                    MigrationType::Simple,
                    include_str!("../../migrations/0002_canonical_identity.sql").into(),
                    false,
                ),
                Migration::new(
                    3,
                    "number identity".into(),
                    MigrationType::Simple,
                    include_str!("../../migrations/0003_number_identity.sql").into(),
                    false,
                ),
            ])
        })
    }
}
