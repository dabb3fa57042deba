//! The shared store: a PostgreSQL database, for services that run on several machines.

use kyc_seal::SealingKey;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{
    invitations,
    migrations::{migrator, Embedded},
    monitor,
    rows::{self, impl_store},
};
use crate::Result;

const MIGRATIONS: Embedded = Embedded(&[
    (
        1,
        "sessions",
        include_str!("../../migrations/postgres/0001_sessions.sql"),
    ),
    (
        2,
        "withdrawals",
        include_str!("../../migrations/postgres/0002_withdrawals.sql"),
    ),
    (
        3,
        "monitor",
        include_str!("../../migrations/postgres/0003_monitor.sql"),
    ),
    (
        4,
        "declines and expiries",
        include_str!("../../migrations/postgres/0004_declines_and_expiries.sql"),
    ),
    (
        5,
        "invitations",
        include_str!("../../migrations/postgres/0005_invitations.sql"),
    ),
    (
        6,
        "database key",
        include_str!("../../migrations/postgres/0006_database_key.sql"),
    ),
    (
        7,
        "unsealed claims",
        include_str!("../../migrations/postgres/0007_unsealed_claims.sql"),
    ),
]);

/// Sessions and verdicts in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
    key: SealingKey,
}

impl PostgresStore {
    /// Connects to `postgres://…` and migrates the database; disclosed claims are sealed
    /// under `key` (see [`database_key`]), which every replica must share. Refuses a
    /// database whose claims were sealed under another key.
    ///
    /// [`database_key`]: super::database_key
    pub async fn connect(url: &str, key: SealingKey) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        migrator(MIGRATIONS).await?.run(&pool).await?;
        let store = Self { pool, key };
        store.adopt_key().await?;
        Ok(store)
    }
}

/// The advisory lock key of the registry watcher: "kyc_watc" in ASCII.
const WATCHER_LOCK_KEY: i64 = 0x6b79_635f_7761_7463;

impl PostgresStore {
    /// After claims were deleted: nothing more the store can do on PostgreSQL (dead
    /// tuples go with the server's vacuum, and hold claims only sealed).
    async fn wipe_deleted(&self) -> Result<()> {
        Ok(())
    }

    /// Locks the sessions a transaction is about to use up, in registration ID order, so
    /// that two transactions over the same sessions wait for each other, never deadlock.
    async fn lock_sessions(
        transaction: &mut sqlx::Transaction<'_, sqlx::Postgres>,
        registration_ids: &[&str],
    ) -> Result<()> {
        sqlx::query(
            "SELECT registration_id FROM sessions WHERE registration_id = ANY($1) \
             ORDER BY registration_id FOR UPDATE",
        )
        .bind(registration_ids)
        .execute(&mut **transaction)
        .await?;
        Ok(())
    }

    /// Nothing to do: the PostgreSQL server writes its own log to disk.
    fn flush_log_ahead(&self) {}

    /// Takes the session-level advisory lock of the watcher on a connection taken out
    /// of the pool: held while that connection lives, released when it closes.
    async fn try_lock_watcher(&self) -> Result<Option<super::WatcherLock>> {
        let mut connection = self.pool.acquire().await?.detach();
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(WATCHER_LOCK_KEY)
            .fetch_one(&mut connection)
            .await?;
        Ok(locked.then_some(super::WatcherLock {
            connection: Some(connection),
        }))
    }
}

impl_store!(PostgresStore, sqlx::Postgres, " FOR UPDATE SKIP LOCKED");
