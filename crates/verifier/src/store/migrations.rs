//! The schema migrations, compiled into the binary so a deployed service needs no files.

use std::{borrow::Cow, future::Future, pin::Pin};

use sqlx::{
    error::BoxDynError,
    migrate::{Migration, MigrationSource, MigrationType, Migrator},
};

use crate::Result;

/// A database's migrations: version, description, SQL.
#[derive(Debug)]
pub(super) struct Embedded(pub(super) &'static [(i64, &'static str, &'static str)]);

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        let migrations = self
            .0
            .iter()
            .map(|(version, description, sql)| {
                Migration::new(
                    *version,
                    Cow::Borrowed(*description),
                    MigrationType::Simple,
                    Cow::Borrowed(*sql),
                    false,
                )
            })
            .collect();
        Box::pin(async move { Ok(migrations) })
    }
}

/// The migrator over a database's embedded migrations.
pub(super) async fn migrator(migrations: Embedded) -> Result<Migrator> {
    Ok(Migrator::new(migrations).await?)
}
