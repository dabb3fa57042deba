//! Where sessions, verdicts and disclosed claims are kept: one [`Store`] trait,
//! SQLite (the default, embedded) and PostgreSQL (feature `postgres`).
//!
//! A session is answered once: [`Store::consume_many`] marks sessions used and stores
//! their verdicts in one transaction, each with an atomic conditional update, so of two
//! concurrent answers exactly one wins.

use std::{
    future::Future,
    path::{Path, PathBuf},
    time::Duration,
};

use alloy::primitives::{Address, B256};

use crate::{
    customers::Customer,
    events::Event,
    invitations::StoredInvitation,
    outbox::{Attempt, Delivery, DeliveryRecord, DeliveryStatus},
    watcher::CustomerUpdate,
    Result, Session, Verdict,
};

mod invitations;
mod migrations;
mod monitor;
#[cfg(feature = "postgres")]
mod postgres;
mod rows;
mod sqlite;

pub use kyc_seal::SealingKey;
#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
use tokio::sync::mpsc;

/// The key file of a database when none is named: beside a SQLite file (`PATH.key`),
/// else `kyc-service.key` in the working folder; none for an in-memory database.
pub fn default_key_file(url: &str) -> Result<Option<PathBuf>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Some(PathBuf::from("kyc-service.key")));
    }
    if !url.starts_with("sqlite:") {
        return Err(crate::Error::UnsupportedDatabase(redact_url(url)));
    }
    if sqlite::is_in_memory(url) {
        return Ok(None);
    }
    let mut path = sqlite::file_of(url)?.into_os_string();
    path.push(".key");
    Ok(Some(path.into()))
}

/// The key that seals the disclosed claims of the database at `url`: read from
/// `key_file`, or from its [default](default_key_file), created (owner-only) when
/// missing; refused when others may read it. An in-memory database without a key
/// file gets a fresh key, which lives as long as its data.
pub fn database_key(url: &str, key_file: Option<&Path>) -> Result<SealingKey> {
    let path = match key_file {
        Some(path) => Some(path.to_owned()),
        None => default_key_file(url)?,
    };
    Ok(match path {
        Some(path) => SealingKey::read_or_create(&path)?,
        None => SealingKey::generate()?,
    })
}

/// A session and what became of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session as opened.
    pub session: Session,
    /// When it was answered (Unix seconds), if it was.
    pub used_at: Option<u64>,
    /// The verdict of the answer, with the disclosed claims unless they were deleted.
    pub verdict: Option<Verdict>,
    /// When the person withdrew consent (Unix seconds), if they did.
    pub withdrawn_at: Option<u64>,
    /// When the person first declined the session (Unix seconds), if they did. A
    /// decline is unsigned: the session stays open, and a later answer still counts.
    pub declined_at: Option<u64>,
}

/// Storage of sessions and verdicts. Implementations must make [`consume`](Store::consume)
/// atomic across processes sharing the database.
pub trait Store: Send + Sync {
    /// Records a newly opened session.
    fn insert_session(&self, session: &Session) -> impl Future<Output = Result<()>> + Send;

    /// The session with this registration ID, if any.
    fn session(
        &self,
        registration_id: B256,
    ) -> impl Future<Output = Result<Option<SessionRecord>>> + Send;

    /// The sessions with these registration IDs, in their order, in as few queries as
    /// the store allows.
    fn sessions(
        &self,
        registration_ids: &[B256],
    ) -> impl Future<Output = Result<Vec<Option<SessionRecord>>>> + Send;

    /// Marks an unused session used and stores its verdict, atomically; in the same
    /// transaction, records its `session.*` event in the outbox and, for an approval,
    /// makes the subject a monitored customer.
    ///
    /// Returns `false`, and changes nothing, when the session is unknown or already used.
    fn consume(
        &self,
        registration_id: B256,
        verdict: &Verdict,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// [`consume`](Store::consume) for many answers in one transaction (one commit, one
    /// sync to disk). Returns, in their order, whether each answer used up its session;
    /// of two answers to one registration, in the batch or racing another process, only
    /// the first to commit does. Nothing is written when it fails.
    fn consume_many(
        &self,
        answers: &[(B256, &Verdict)],
    ) -> impl Future<Output = Result<Vec<bool>>> + Send;

    /// [`consume_many`](Store::consume_many) for answers judged in parts, in one
    /// transaction that writes each part as it arrives, so that writing one part
    /// overlaps judging the next. The sessions of `registration_ids` (every one the
    /// parts may name) are locked first. The transaction commits on
    /// [`Consuming::Commit`]; when `parts` ends without it, nothing is written and the
    /// answer is `None`. Otherwise it says, for the answers of every part in their order,
    /// whether each used up its session.
    fn consume_parts(
        &self,
        registration_ids: &[B256],
        parts: mpsc::Receiver<Consuming>,
    ) -> impl Future<Output = Result<Option<Vec<bool>>>> + Send;

    /// Records that the person declined an open session at `at` (Unix seconds): one
    /// unused and unexpired at `at`. Only the first decline is recorded, with its
    /// `session.declined` event in the same transaction; the session stays open.
    ///
    /// Returns `false`, and changes nothing, when the session is unknown, used,
    /// expired at `at`, or already declined.
    fn decline(&self, registration_id: B256, at: u64) -> impl Future<Output = Result<bool>> + Send;

    /// Records, once, that sessions passed their expiry unanswered by `now` (Unix
    /// seconds): up to `limit` of those not yet recorded, each with its `session.expired`
    /// event, in one transaction. Returns their registration IDs; of processes sweeping
    /// at once, each session is recorded by one.
    fn record_expiries(
        &self,
        now: u64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<B256>>> + Send;

    /// Records invitations of `batch`, each a bank's reference and a session opened for
    /// it, in one transaction. A reference the batch has already keeps its invitation,
    /// and the session given for it is not stored. Returns, in their order, the
    /// registration ID of each reference's invitation, new or not.
    fn insert_invitations(
        &self,
        batch: &str,
        invitations: &[(String, Session)],
    ) -> impl Future<Output = Result<Vec<B256>>> + Send;

    /// The invitations with their sessions, in the order they were made; of `batch`
    /// only, when given.
    fn invitations(
        &self,
        batch: Option<&str>,
    ) -> impl Future<Output = Result<Vec<StoredInvitation>>> + Send;

    /// Deletes the disclosed claims of a registration (the person withdrew consent);
    /// the verdict stays, without claim values. Returns whether there were any.
    fn delete_disclosed(&self, registration_id: B256) -> impl Future<Output = Result<bool>> + Send;

    /// Records that the person withdrew consent at `at` (Unix seconds) and deletes the
    /// disclosed claims; the verdict stays, without claim values. The first withdrawal
    /// also ends the monitoring of the customer the session made and records a
    /// `consent.withdrawn` event, in the same transaction. Returns `false`, and changes
    /// nothing, when the session is unknown or was never answered.
    fn withdraw_consent(
        &self,
        registration_id: B256,
        at: u64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Deletes the disclosed claims of every verdict reached more than `age` ago
    /// (retention). Returns how many registrations lost their claims.
    fn purge_disclosed_older_than(&self, age: Duration)
        -> impl Future<Output = Result<u64>> + Send;

    /// The monitored customer with this subject, if any.
    fn customer(&self, subject: Address) -> impl Future<Output = Result<Option<Customer>>> + Send;

    /// Stops monitoring a customer (the bank ended it). Returns whether there was one.
    fn end_customer(&self, subject: Address) -> impl Future<Output = Result<bool>> + Send;

    /// The customers the watcher reads again: those with one of `subjects` or
    /// `certifiers`, those whose status was read at or after `changed_from_block`, and
    /// the active ones whose attestation lapsed by `now` (Unix seconds).
    fn customers_to_check(
        &self,
        subjects: &[Address],
        certifiers: &[Address],
        changed_from_block: u64,
        now: u64,
    ) -> impl Future<Output = Result<Vec<Customer>>> + Send;

    /// The next block the watcher reads; `None` before its first pass.
    fn watcher_cursor(&self) -> impl Future<Output = Result<Option<u64>>> + Send;

    /// Moves the watcher's cursor from `read_from` to `next_block` and applies its
    /// updates, each only to a customer unchanged since it was read, with their events,
    /// in one transaction. Returns the events recorded, or `None`, changing nothing,
    /// when the cursor is no longer at `read_from` (another watcher moved it).
    fn record_watch(
        &self,
        read_from: Option<u64>,
        next_block: u64,
        updates: &[CustomerUpdate],
    ) -> impl Future<Output = Result<Option<Vec<Event>>>> + Send;

    /// The right to run the watcher, if no other process holds it.
    fn lock_watcher(&self) -> impl Future<Output = Result<Option<WatcherLock>>> + Send;

    /// Leases up to `limit` events due at `now` (Unix seconds) for `lease`, oldest first.
    /// Events leased by another deliverer are skipped until their lease ends.
    fn claim_deliveries(
        &self,
        now: u64,
        lease: Duration,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<Delivery>>> + Send;

    /// Records what became of an attempt to deliver event `id`, and ends its lease.
    fn record_attempt(
        &self,
        id: &str,
        attempt: &Attempt,
    ) -> impl Future<Output = Result<()>> + Send;

    /// The latest `limit` events and their deliveries, newest first, with `status` only
    /// when given.
    fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<DeliveryRecord>>> + Send;

    /// Makes a failed delivery pending again, due at `now`. Returns `false` when there
    /// is no failed delivery with that ID.
    fn retry_delivery(&self, id: &str, now: u64) -> impl Future<Output = Result<bool>> + Send;
}

/// The right to run the registry watcher. On PostgreSQL it is an advisory lock held on
/// a connection of its own, so one process of those sharing the database watches at a
/// time, and another takes over when that connection ends; SQLite serves one machine.
#[derive(Debug)]
pub struct WatcherLock {
    #[cfg(feature = "postgres")]
    connection: Option<sqlx::PgConnection>,
}

impl WatcherLock {
    /// A lock that needs no database: for a store only this process uses.
    fn local() -> Self {
        Self {
            #[cfg(feature = "postgres")]
            connection: None,
        }
    }

    /// Whether the lock is still held: its connection, if any, still answers.
    pub async fn is_held(&mut self) -> bool {
        #[cfg(feature = "postgres")]
        if let Some(connection) = &mut self.connection {
            return sqlx::query("SELECT 1").execute(connection).await.is_ok();
        }
        true
    }
}

/// A store chosen at run time from a database URL.
#[derive(Clone, Debug)]
pub enum AnyStore {
    /// `sqlite://PATH`.
    Sqlite(SqliteStore),
    /// `postgres://…` or `postgresql://…`.
    #[cfg(feature = "postgres")]
    Postgres(PostgresStore),
}

impl AnyStore {
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`, and migrates
    /// it; disclosed claims are sealed under `key` (see [`database_key`]).
    pub async fn connect(url: &str, key: SealingKey) -> Result<Self> {
        if url.starts_with("sqlite:") {
            return Ok(Self::Sqlite(SqliteStore::connect(url, key).await?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Ok(Self::Postgres(PostgresStore::connect(url, key).await?));
            #[cfg(not(feature = "postgres"))]
            return Err(crate::Error::PostgresDisabled(redact_url(url)));
        }
        Err(crate::Error::UnsupportedDatabase(redact_url(url)))
    }
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = rest.split('/').next().unwrap_or_default();
    match authority.rfind('@') {
        Some(at) => {
            let user = authority[..at].split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

/// What [`Store::consume_parts`] receives: a part of the answers, or the word to
/// commit those received.
#[derive(Debug)]
pub enum Consuming {
    /// Answers, with the registrations they answer, as [`Store::consume_many`] takes them.
    Part(Vec<(B256, Verdict)>),
    /// Every part was sent: commit.
    Commit,
}

macro_rules! delegate {
    ($self:ident, $store:ident => $call:expr) => {
        match $self {
            Self::Sqlite($store) => $call.await,
            #[cfg(feature = "postgres")]
            Self::Postgres($store) => $call.await,
        }
    };
}

impl Store for AnyStore {
    async fn insert_session(&self, session: &Session) -> Result<()> {
        delegate!(self, store => store.insert_session(session))
    }

    async fn session(&self, registration_id: B256) -> Result<Option<SessionRecord>> {
        delegate!(self, store => store.session(registration_id))
    }

    async fn sessions(&self, registration_ids: &[B256]) -> Result<Vec<Option<SessionRecord>>> {
        delegate!(self, store => store.sessions(registration_ids))
    }

    async fn consume(&self, registration_id: B256, verdict: &Verdict) -> Result<bool> {
        delegate!(self, store => store.consume(registration_id, verdict))
    }

    async fn consume_many(&self, answers: &[(B256, &Verdict)]) -> Result<Vec<bool>> {
        delegate!(self, store => store.consume_many(answers))
    }

    async fn consume_parts(
        &self,
        registration_ids: &[B256],
        parts: mpsc::Receiver<Consuming>,
    ) -> Result<Option<Vec<bool>>> {
        delegate!(self, store => store.consume_parts(registration_ids, parts))
    }

    async fn decline(&self, registration_id: B256, at: u64) -> Result<bool> {
        delegate!(self, store => store.decline(registration_id, at))
    }

    async fn record_expiries(&self, now: u64, limit: u32) -> Result<Vec<B256>> {
        delegate!(self, store => store.record_expiries(now, limit))
    }

    async fn insert_invitations(
        &self,
        batch: &str,
        invitations: &[(String, Session)],
    ) -> Result<Vec<B256>> {
        delegate!(self, store => store.insert_invitations(batch, invitations))
    }

    async fn invitations(&self, batch: Option<&str>) -> Result<Vec<StoredInvitation>> {
        delegate!(self, store => store.invitations(batch))
    }

    async fn delete_disclosed(&self, registration_id: B256) -> Result<bool> {
        delegate!(self, store => store.delete_disclosed(registration_id))
    }

    async fn withdraw_consent(&self, registration_id: B256, at: u64) -> Result<bool> {
        delegate!(self, store => store.withdraw_consent(registration_id, at))
    }

    async fn purge_disclosed_older_than(&self, age: Duration) -> Result<u64> {
        delegate!(self, store => store.purge_disclosed_older_than(age))
    }

    async fn customer(&self, subject: Address) -> Result<Option<Customer>> {
        delegate!(self, store => store.customer(subject))
    }

    async fn end_customer(&self, subject: Address) -> Result<bool> {
        delegate!(self, store => store.end_customer(subject))
    }

    async fn customers_to_check(
        &self,
        subjects: &[Address],
        certifiers: &[Address],
        changed_from_block: u64,
        now: u64,
    ) -> Result<Vec<Customer>> {
        delegate!(self, store => store.customers_to_check(subjects, certifiers, changed_from_block, now))
    }

    async fn watcher_cursor(&self) -> Result<Option<u64>> {
        delegate!(self, store => store.watcher_cursor())
    }

    async fn record_watch(
        &self,
        read_from: Option<u64>,
        next_block: u64,
        updates: &[CustomerUpdate],
    ) -> Result<Option<Vec<Event>>> {
        delegate!(self, store => store.record_watch(read_from, next_block, updates))
    }

    async fn lock_watcher(&self) -> Result<Option<WatcherLock>> {
        delegate!(self, store => store.lock_watcher())
    }

    async fn claim_deliveries(
        &self,
        now: u64,
        lease: Duration,
        limit: u32,
    ) -> Result<Vec<Delivery>> {
        delegate!(self, store => store.claim_deliveries(now, lease, limit))
    }

    async fn record_attempt(&self, id: &str, attempt: &Attempt) -> Result<()> {
        delegate!(self, store => store.record_attempt(id, attempt))
    }

    async fn deliveries(
        &self,
        status: Option<DeliveryStatus>,
        limit: u32,
    ) -> Result<Vec<DeliveryRecord>> {
        delegate!(self, store => store.deliveries(status, limit))
    }

    async fn retry_delivery(&self, id: &str, now: u64) -> Result<bool> {
        delegate!(self, store => store.retry_delivery(id, now))
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://kyc:secret@127.0.0.1:5432/kyc"),
            "postgres://kyc:***@127.0.0.1:5432/kyc"
        );
        assert_eq!(redact_url("sqlite://kyc.db"), "sqlite://kyc.db");
    }
}
