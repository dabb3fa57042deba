//! The shared store: a PostgreSQL database, for services that run on several machines.

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::{
    migrations::{migrator, Embedded},
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
]);

/// Sessions and verdicts in a PostgreSQL database.
#[derive(Clone, Debug)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `postgres://…` and migrates the database.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new().max_connections(8).connect(url).await?;
        migrator(MIGRATIONS).await?.run(&pool).await?;
        Ok(Self { pool })
    }
}

impl_store!(PostgresStore);
