//! Where sessions, verdicts and disclosed claims are kept: one [`Store`] trait,
//! SQLite (the default, embedded) and PostgreSQL (feature `postgres`).
//!
//! A session is answered once: [`Store::consume_many`] marks sessions used and stores
//! their verdicts in one transaction, each with an atomic conditional update, so of two
//! concurrent answers exactly one wins.

use std::{future::Future, time::Duration};

use alloy::primitives::B256;

use crate::{Result, Session, Verdict};

mod migrations;
#[cfg(feature = "postgres")]
mod postgres;
mod rows;
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

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

    /// Marks an unused session used and stores its verdict, atomically.
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

    /// Deletes the disclosed claims of a registration (the person withdrew consent);
    /// the verdict stays, without claim values. Returns whether there were any.
    fn delete_disclosed(&self, registration_id: B256) -> impl Future<Output = Result<bool>> + Send;

    /// Records that the person withdrew consent at `at` (Unix seconds) and deletes the
    /// disclosed claims; the verdict stays, without claim values. Returns `false`, and
    /// changes nothing, when the session is unknown or was never answered.
    fn withdraw_consent(
        &self,
        registration_id: B256,
        at: u64,
    ) -> impl Future<Output = Result<bool>> + Send;

    /// Deletes the disclosed claims of every verdict reached more than `age` ago
    /// (retention). Returns how many registrations lost their claims.
    fn purge_disclosed_older_than(&self, age: Duration)
        -> impl Future<Output = Result<u64>> + Send;
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
    /// Connects to `sqlite://PATH` (created if missing) or `postgres://…`, and migrates it.
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            return Ok(Self::Sqlite(SqliteStore::connect(url).await?));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Ok(Self::Postgres(PostgresStore::connect(url).await?));
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

    async fn delete_disclosed(&self, registration_id: B256) -> Result<bool> {
        delegate!(self, store => store.delete_disclosed(registration_id))
    }

    async fn withdraw_consent(&self, registration_id: B256, at: u64) -> Result<bool> {
        delegate!(self, store => store.withdraw_consent(registration_id, at))
    }

    async fn purge_disclosed_older_than(&self, age: Duration) -> Result<u64> {
        delegate!(self, store => store.purge_disclosed_older_than(age))
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
