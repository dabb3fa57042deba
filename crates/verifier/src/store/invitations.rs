//! The `invitations` table, shared by every store: the bank's reference of a customer
//! beside the session opened for them.

use kyc_seal::SealingKey;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::rows::{read_record, COLUMNS};
use crate::{invitations::StoredInvitation, Result};

/// Records an invitation, unless its batch has the reference already.
pub(super) const INSERT_INVITATION: &str = "INSERT INTO invitations (batch, reference, \
     registration_id) VALUES ($1, $2, $3) ON CONFLICT (batch, reference) DO NOTHING";
/// The registration of a reference in a batch.
pub(super) const SELECT_REGISTRATION: &str =
    "SELECT registration_id FROM invitations WHERE batch = $1 AND reference = $2";

/// The invitations with their sessions, in the order they were made; of the batch `$1`
/// only, when `of_batch`.
pub(super) fn select_invitations(of_batch: bool) -> String {
    let filter = match of_batch {
        true => "WHERE batch = $1 ",
        false => "",
    };
    format!(
        "SELECT {COLUMNS}, batch, reference FROM invitations \
         JOIN sessions USING (registration_id) {filter}ORDER BY seq"
    )
}

/// Reads a row selected by [`select_invitations`], opening its claims with `key`.
pub(super) fn read_invitation<'r, R>(row: &'r R, key: &SealingKey) -> Result<StoredInvitation>
where
    R: Row,
    usize: ColumnIndex<R>,
    &'r str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(StoredInvitation {
        batch: row.try_get("batch")?,
        reference: row.try_get("reference")?,
        record: read_record(row, key)?,
    })
}

/// Implements the invitation methods of [`Store`](crate::Store) inside `impl_store!`.
macro_rules! invitation_methods {
    () => {
        async fn insert_invitations(
            &self,
            batch: &str,
            invitations: &[(String, $crate::Session)],
        ) -> $crate::Result<Vec<alloy::primitives::B256>> {
            let mut ids = Vec::with_capacity(invitations.len());
            let mut tx = self.pool.begin().await?;
            for (reference, session) in invitations {
                let id = session.registration_id;
                let inserted = sqlx::query(invitations::INSERT_INVITATION)
                    .bind(batch)
                    .bind(reference)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
                if inserted.rows_affected() == 1 {
                    Self::insert_session_with(&mut *tx, session).await?;
                    ids.push(id);
                    continue;
                }
                let existing: String = sqlx::query_scalar(invitations::SELECT_REGISTRATION)
                    .bind(batch)
                    .bind(reference)
                    .fetch_one(&mut *tx)
                    .await?;
                ids.push(
                    existing.parse().map_err(|_| {
                        rows::corrupt("invitation", &existing, "not 32 bytes of hex")
                    })?,
                );
            }
            tx.commit().await?;
            Ok(ids)
        }

        async fn invitations(
            &self,
            batch: Option<&str>,
        ) -> $crate::Result<Vec<$crate::invitations::StoredInvitation>> {
            let select = invitations::select_invitations(batch.is_some());
            let mut query = sqlx::query(&select);
            if let Some(batch) = batch {
                query = query.bind(batch);
            }
            query
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|row| invitations::read_invitation(row, &self.key))
                .collect()
        }
    };
}

pub(super) use invitation_methods;
