//! The `sessions` table's columns, shared by every store: how a session, its
//! verdict and its claims are written and read back.
//!
//! Disclosed claims are sealed (XChaCha20-Poly1305, [`SealingKey`]) before they reach
//! the database and stored as hex, bound to their registration ID: a file, a dump or
//! an old row version alone reveals no claim value, and claims moved to another row
//! do not open. The verdict column holds no claim value (addresses, roots, field names).

use alloy::primitives::{hex, B256};
use kyc_core::claims::Claim;
use kyc_seal::{RandomPool, SealingKey, NONCE_LEN};
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::monitor::VerdictEffects;
use crate::{
    events::EVENT_ID_BYTES,
    parallel::{on_every_share, PARALLEL_FROM},
    store::SessionRecord,
    Error, Result, Session, Verdict,
};

/// The columns a store selects, in this order.
pub(super) const COLUMNS: &str = "registration_id, service, name, callback, chain_id, registry, \
     fields, created_at, expires_at, used_at, verdict, claims, claims_deleted, withdrawn_at, \
     declined_at";

/// A session as column values.
pub(super) struct SessionValues {
    pub(super) registration_id: String,
    pub(super) service: String,
    pub(super) name: String,
    pub(super) callback: String,
    pub(super) chain_id: i64,
    pub(super) registry: String,
    pub(super) fields: String,
    pub(super) created_at: i64,
    pub(super) expires_at: i64,
}

impl SessionValues {
    pub(super) fn new(session: &Session) -> Result<Self> {
        Ok(Self {
            registration_id: session.registration_id.to_string(),
            service: session.service.clone(),
            name: session.name.clone(),
            callback: session.callback.clone(),
            chain_id: to_i64(session.chain_id),
            registry: session.registry.to_string(),
            fields: to_json(&session.fields, "fields", session.registration_id)?,
            created_at: to_i64(session.created_at),
            expires_at: to_i64(session.expires_at),
        })
    }
}

/// A verdict as column values: the verdict without claims, and the claims apart.
pub(super) struct VerdictValues {
    pub(super) used_at: i64,
    pub(super) verdict: String,
    pub(super) claims: Option<String>,
}

impl VerdictValues {
    /// The values of `verdict`, its claims sealed under `key` with a nonce from `pool`.
    pub(super) fn new(
        registration_id: B256,
        verdict: &Verdict,
        key: &SealingKey,
        pool: &mut RandomPool,
    ) -> Result<Self> {
        let claims = match verdict.claims.is_empty() {
            true => None,
            false => {
                let json = to_json(&verdict.claims, "claims", registration_id)?;
                Some(seal_claims(key, registration_id, &json, pool)?)
            }
        };
        let without_claims = Verdict {
            claims: Vec::new(),
            ..verdict.clone()
        };
        Ok(Self {
            used_at: to_i64(verdict.verified_at),
            verdict: to_json(&without_claims, "verdict", registration_id)?,
            claims,
        })
    }
}

/// What the transaction of `consume_many` writes for one answer, made before it begins.
pub(super) struct PreparedAnswer {
    /// The answer's place in the caller's list.
    pub(super) index: usize,
    /// The registration ID, as the `sessions` table holds it.
    pub(super) id: String,
    pub(super) values: VerdictValues,
    /// What the verdict writes beside its session, if it uses the session up.
    pub(super) effects: VerdictEffects,
}

/// Serialises the answers in registration ID order, on every core when there are many;
/// of several answers to one registration, only the first. The random bytes of each
/// core's answers (nonces, event IDs) are drawn together.
pub(super) fn prepare_answers(
    answers: &[(B256, &Verdict)],
    key: &SealingKey,
) -> Result<Vec<PreparedAnswer>> {
    let mut order: Vec<usize> = (0..answers.len()).collect();
    order.sort_by_key(|&index| answers[index].0);
    order.dedup_by_key(|index| answers[*index].0);
    let prepare = |indexes: &[usize]| {
        let mut pool = RandomPool::draw(indexes.len() * (NONCE_LEN + EVENT_ID_BYTES))?;
        indexes
            .iter()
            .map(|&index| {
                let (id, verdict) = answers[index];
                Ok(PreparedAnswer {
                    index,
                    id: id.to_string(),
                    values: VerdictValues::new(id, verdict, key, &mut pool)?,
                    effects: VerdictEffects::of(verdict, &mut pool)?,
                })
            })
            .collect::<Result<Vec<_>>>()
    };
    if order.len() < PARALLEL_FROM {
        return prepare(&order);
    }
    let mut prepared = Vec::with_capacity(order.len());
    for share in on_every_share(&order, prepare) {
        prepared.extend(share?);
    }
    Ok(prepared)
}

/// A part of [`Store::consume_parts`](crate::Store::consume_parts) being serialised
/// (see [`prepare_answers`]) on threads of its own, with its length.
pub(super) fn prepare_in_background(
    part: Vec<(B256, Verdict)>,
    key: SealingKey,
) -> tokio::task::JoinHandle<Result<(Vec<PreparedAnswer>, usize)>> {
    tokio::task::spawn_blocking(move || {
        prepare_answers(&borrowed(&part), &key).map(|prepared| (prepared, part.len()))
    })
}

/// The registration IDs, as the `sessions` table holds them, sorted and without
/// repeats: the order in which a transaction locks their sessions.
pub(super) fn lock_order(registration_ids: &[B256]) -> Vec<String> {
    let mut ids: Vec<String> = registration_ids.iter().map(B256::to_string).collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Answers as [`Store::consume_many`](crate::Store::consume_many) takes them.
pub(super) fn borrowed(answers: &[(B256, Verdict)]) -> Vec<(B256, &Verdict)> {
    answers.iter().map(|(id, verdict)| (*id, verdict)).collect()
}

/// Tells the sealed claims of one registration from any other's, and this use of the
/// key from any other.
const CLAIMS_CONTEXT: &[u8] = b"kyc-verifier claims v1";
/// What the key check seals.
const KEY_CHECK_CONTEXT: &[u8] = b"kyc-verifier database key check v1";

fn claims_associated_data(registration_id: B256) -> Vec<u8> {
    [CLAIMS_CONTEXT, registration_id.as_slice()].concat()
}

/// Seals the claims JSON of a registration, as stored in the `claims` column, with a
/// nonce from `pool`.
pub(super) fn seal_claims(
    key: &SealingKey,
    registration_id: B256,
    json: &str,
    pool: &mut RandomPool,
) -> Result<String> {
    let sealed = key.seal_from(
        pool,
        json.as_bytes(),
        &claims_associated_data(registration_id),
    )?;
    Ok(hex::encode(sealed))
}

/// Opens a `claims` column; the error names the registration, never the content.
fn open_claims(key: &SealingKey, registration_id: B256, stored: &str) -> Result<Vec<Claim>> {
    let id = registration_id.to_string();
    let sealed = hex::decode(stored).map_err(|_| corrupt("claims", &id, "not sealed"))?;
    let json = key
        .open(&sealed, &claims_associated_data(registration_id))
        .map_err(|_| {
            corrupt(
                "claims",
                &id,
                "does not open with the database key (another key, another row's, or altered)",
            )
        })?;
    let json = String::from_utf8(json).map_err(|_| corrupt("claims", &id, "not utf-8"))?;
    from_json(&json, "claims", &id)
}

/// The value stored as `key_check` in `store_meta`: proof of the key, revealing nothing.
pub(super) fn key_check(key: &SealingKey) -> Result<String> {
    Ok(hex::encode(key.seal(&[], KEY_CHECK_CONTEXT)?))
}

/// Whether `key` is the one the database's `key_check` was made with.
pub(super) fn verify_key_check(key: &SealingKey, stored: &str) -> Result<()> {
    let sealed = hex::decode(stored).map_err(|_| Error::WrongDatabaseKey)?;
    key.open(&sealed, KEY_CHECK_CONTEXT)
        .map_err(|_| Error::WrongDatabaseKey)?;
    Ok(())
}

/// Reads a row selected with [`COLUMNS`], opening its claims with `key`.
pub(super) fn read_record<'r, R>(row: &'r R, key: &SealingKey) -> Result<SessionRecord>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    bool: Decode<'r, R::Database> + Type<R::Database>,
{
    let id_text: String = row.try_get(0)?;
    let registration_id: B256 = id_text
        .parse()
        .map_err(|_| corrupt("registration_id", &id_text, "not 32 bytes of hex"))?;
    let registry_text: String = row.try_get(5)?;
    let fields: String = row.try_get(6)?;
    let session = Session {
        registration_id,
        service: row.try_get(1)?,
        name: row.try_get(2)?,
        callback: row.try_get(3)?,
        chain_id: to_u64(row.try_get(4)?),
        registry: registry_text
            .parse()
            .map_err(|_| corrupt("registry", &id_text, "not an address"))?,
        fields: from_json(&fields, "fields", &id_text)?,
        created_at: to_u64(row.try_get(7)?),
        expires_at: to_u64(row.try_get(8)?),
    };
    let used_at: Option<i64> = row.try_get(9)?;
    let verdict: Option<String> = row.try_get(10)?;
    let claims: Option<String> = row.try_get(11)?;
    let claims_deleted: bool = row.try_get(12)?;
    let withdrawn_at: Option<i64> = row.try_get(13)?;
    let declined_at: Option<i64> = row.try_get(14)?;
    let verdict = match verdict {
        Some(text) => {
            let mut verdict: Verdict = from_json(&text, "verdict", &id_text)?;
            verdict.claims = match claims {
                Some(text) => open_claims(key, registration_id, &text)?,
                None => Vec::new(),
            };
            verdict.claims_deleted = claims_deleted;
            Some(verdict)
        }
        None => None,
    };
    Ok(SessionRecord {
        session,
        used_at: used_at.map(to_u64),
        verdict,
        withdrawn_at: withdrawn_at.map(to_u64),
        declined_at: declined_at.map(to_u64),
    })
}

/// Unix seconds in a signed 64-bit column; times past 2^63 do not occur.
pub(super) fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

pub(super) fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

fn to_json<T: serde::Serialize>(value: &T, what: &'static str, id: B256) -> Result<String> {
    serde_json::to_string(value).map_err(|e| corrupt(what, &id.to_string(), &e.to_string()))
}

/// Parses a stored JSON column; the error names the column, never its content.
pub(super) fn from_json<T: serde::de::DeserializeOwned>(
    text: &str,
    what: &'static str,
    id: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        corrupt(
            what,
            id,
            &format!("invalid json at line {} column {}", e.line(), e.column()),
        )
    })
}

pub(super) fn corrupt(what: &'static str, registration_id: &str, reason: &str) -> Error {
    Error::CorruptRow {
        what,
        registration_id: registration_id.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Registration IDs looked up per query, well under SQLite's limit of bound parameters.
pub(super) const IDS_PER_QUERY: usize = 500;

/// Selects the sessions with `count` registration IDs bound as `$1`…`$count`.
pub(super) fn select_many(count: usize) -> String {
    let placeholders: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT {COLUMNS} FROM sessions WHERE registration_id IN ({})",
        placeholders.join(", ")
    )
}

/// Records a new session.
pub(super) const INSERT_SESSION: &str = "INSERT INTO sessions (registration_id, service, name, \
     callback, chain_id, registry, fields, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
/// Answers written per statement: four bound values each, well under SQLite's limit
/// of bound parameters.
pub(super) const ANSWERS_PER_QUERY: usize = 500;
/// Marks sessions used with their verdicts, each only if it is still unused (the atomic
/// single use), from the rows `(registration_id, used_at, verdict, claims)` of the
/// `VALUES` list that goes between this and [`CONSUME_END`]; returns the sessions used up.
pub(super) const CONSUME_START: &str = "UPDATE sessions SET used_at = answer.column2, \
     verdict = answer.column3, claims = answer.column4 FROM (";
/// The end of the statement [`CONSUME_START`] begins.
pub(super) const CONSUME_END: &str = ") AS answer WHERE sessions.registration_id = answer.column1 \
     AND sessions.used_at IS NULL RETURNING registration_id";
/// Records the first decline of a session unused and unexpired at `$2`.
pub(super) const DECLINE: &str = "UPDATE sessions SET declined_at = $2 \
     WHERE registration_id = $1 AND used_at IS NULL AND declined_at IS NULL \
     AND expires_at >= $2";
/// Records the expiry of up to `$2` sessions unanswered past their expiry at `$1`; the
/// outer conditions again, so that a row another sweep recorded meanwhile is skipped.
pub(super) const RECORD_EXPIRIES: &str = "UPDATE sessions SET expiry_recorded_at = $1 \
     WHERE registration_id IN (SELECT registration_id FROM sessions \
     WHERE used_at IS NULL AND expiry_recorded_at IS NULL AND expires_at < $1 LIMIT $2) \
     AND used_at IS NULL AND expiry_recorded_at IS NULL \
     RETURNING registration_id";
/// Deletes one registration's claims.
pub(super) const DELETE_CLAIMS: &str = "UPDATE sessions SET claims = NULL, claims_deleted = TRUE \
     WHERE registration_id = $1 AND claims IS NOT NULL";
/// Records the first consent withdrawal of an answered session and deletes its claims;
/// returns the verdict, for the `consent.withdrawn` event.
pub(super) const FIRST_WITHDRAWAL: &str = "UPDATE sessions SET claims = NULL, \
     claims_deleted = (claims_deleted OR claims IS NOT NULL), withdrawn_at = $2 \
     WHERE registration_id = $1 AND used_at IS NOT NULL AND withdrawn_at IS NULL \
     RETURNING verdict";
/// Records a consent withdrawal of an answered session and deletes its claims;
/// the first withdrawal's time is kept.
pub(super) const WITHDRAW_CONSENT: &str = "UPDATE sessions SET claims = NULL, \
     claims_deleted = (claims_deleted OR claims IS NOT NULL), \
     withdrawn_at = COALESCE(withdrawn_at, $2) \
     WHERE registration_id = $1 AND used_at IS NOT NULL";
/// Records the database's key check, unless it has one.
pub(super) const INSERT_KEY_CHECK: &str = "INSERT INTO store_meta (name, value) \
     VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING";
/// The database's key check.
pub(super) const SELECT_KEY_CHECK: &str = "SELECT value FROM store_meta WHERE name = 'key_check'";
/// Claims stored in plain, as JSON, before they were sealed: through the index
/// `sessions_unsealed`, whose condition this repeats.
pub(super) const SELECT_UNSEALED: &str =
    "SELECT registration_id, claims FROM sessions WHERE substr(claims, 1, 1) = '['";
/// Replaces claims stored in plain by their sealed form, unless they changed meanwhile.
pub(super) const SEAL_STORED_CLAIMS: &str =
    "UPDATE sessions SET claims = $2 WHERE registration_id = $1 AND claims = $3";
/// Deletes the claims of verdicts reached at or before a time.
pub(super) const PURGE_CLAIMS: &str = "UPDATE sessions SET claims = NULL, claims_deleted = TRUE \
     WHERE claims IS NOT NULL AND used_at <= $1";

/// Implements [`Store`](crate::Store) for a store with a `pool` field of an sqlx pool
/// of database `$db`; the SQL above runs unchanged on SQLite and PostgreSQL, but for
/// `$lock`, the row locking of claimed deliveries.
macro_rules! impl_store {
    ($store:ty, $db:ty, $lock:expr) => {
        monitor::monitor_helpers!($store, $db);

        impl $store {
            /// Records a new session through `executor`: the pool, or a transaction.
            async fn insert_session_with<'c, E>(
                executor: E,
                session: &$crate::Session,
            ) -> $crate::Result<()>
            where
                E: sqlx::Executor<'c, Database = $db>,
            {
                let values = rows::SessionValues::new(session)?;
                sqlx::query(rows::INSERT_SESSION)
                    .bind(values.registration_id)
                    .bind(values.service)
                    .bind(values.name)
                    .bind(values.callback)
                    .bind(values.chain_id)
                    .bind(values.registry)
                    .bind(values.fields)
                    .bind(values.created_at)
                    .bind(values.expires_at)
                    .execute(executor)
                    .await?;
                Ok(())
            }

            /// Uses up in `transaction`, which locked them (see
            /// [`Store::consume_many`](crate::Store::consume_many)), the sessions that
            /// `count` answers, prepared by [`rows::prepare_answers`], win: a statement per
            /// [`ANSWERS_PER_QUERY`](rows::ANSWERS_PER_QUERY), in registration ID order, then
            /// the winners' events and customers.
            async fn consume_in(
                transaction: &mut sqlx::Transaction<'static, $db>,
                by_id: Vec<rows::PreparedAnswer>,
                count: usize,
            ) -> $crate::Result<Vec<bool>> {
                let mut used = vec![false; count];
                for chunk in by_id.chunks(rows::ANSWERS_PER_QUERY) {
                    let mut update = sqlx::QueryBuilder::<$db>::new(rows::CONSUME_START);
                    update.push_values(chunk, |mut row, prepared| {
                        row.push_bind(prepared.id.as_str())
                            .push_bind(prepared.values.used_at)
                            .push_bind(prepared.values.verdict.as_str())
                            .push_bind(prepared.values.claims.as_deref());
                    });
                    update.push(rows::CONSUME_END);
                    let updated: Vec<String> = update
                        .build_query_scalar()
                        .fetch_all(&mut **transaction)
                        .await?;
                    // The text of registration IDs sorts as the IDs do.
                    for id in updated {
                        if let Ok(at) = chunk.binary_search_by(|prepared| prepared.id.cmp(&id)) {
                            used[chunk[at].index] = true;
                        }
                    }
                }
                let effects = by_id
                    .into_iter()
                    .filter(|prepared| used[prepared.index])
                    .map(|prepared| prepared.effects);
                Self::record_verdict_effects(transaction, effects).await?;
                Ok(used)
            }

            /// Checks that `self.key` is the database's key, recording it in a database
            /// that has none, then seals the claims stored in plain before claims were
            /// sealed (and, on SQLite, wipes their plain text from the files).
            async fn adopt_key(&self) -> $crate::Result<()> {
                sqlx::query(rows::INSERT_KEY_CHECK)
                    .bind(rows::key_check(&self.key)?)
                    .execute(&self.pool)
                    .await?;
                let stored: String = sqlx::query_scalar(rows::SELECT_KEY_CHECK)
                    .fetch_one(&self.pool)
                    .await?;
                rows::verify_key_check(&self.key, &stored)?;
                let unsealed: Vec<(String, String)> = sqlx::query_as(rows::SELECT_UNSEALED)
                    .fetch_all(&self.pool)
                    .await?;
                if unsealed.is_empty() {
                    return Ok(());
                }
                let mut transaction = self.pool.begin().await?;
                for (id, claims) in unsealed {
                    let registration_id: alloy::primitives::B256 = id.parse().map_err(|_| {
                        rows::corrupt("registration_id", &id, "not 32 bytes of hex")
                    })?;
                    sqlx::query(rows::SEAL_STORED_CLAIMS)
                        .bind(&id)
                        .bind(rows::seal_claims(
                            &self.key,
                            registration_id,
                            &claims,
                            &mut kyc_seal::RandomPool::default(),
                        )?)
                        .bind(&claims)
                        .execute(&mut *transaction)
                        .await?;
                }
                transaction.commit().await?;
                self.wipe_deleted().await
            }
        }

        impl $crate::Store for $store {
            monitor::monitor_methods!($db, $lock);
            invitations::invitation_methods!();

            async fn insert_session(&self, session: &$crate::Session) -> $crate::Result<()> {
                Self::insert_session_with(&self.pool, session).await
            }

            async fn session(
                &self,
                registration_id: alloy::primitives::B256,
            ) -> $crate::Result<Option<$crate::SessionRecord>> {
                let select = format!(
                    "SELECT {} FROM sessions WHERE registration_id = $1",
                    rows::COLUMNS
                );
                let row = sqlx::query(&select)
                    .bind(registration_id.to_string())
                    .fetch_optional(&self.pool)
                    .await?;
                row.as_ref()
                    .map(|row| rows::read_record(row, &self.key))
                    .transpose()
            }

            async fn sessions(
                &self,
                registration_ids: &[alloy::primitives::B256],
            ) -> $crate::Result<Vec<Option<$crate::SessionRecord>>> {
                let mut found = std::collections::HashMap::with_capacity(registration_ids.len());
                for chunk in registration_ids.chunks(rows::IDS_PER_QUERY) {
                    let select = rows::select_many(chunk.len());
                    let mut query = sqlx::query(&select);
                    for id in chunk {
                        query = query.bind(id.to_string());
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        let record = rows::read_record(&row, &self.key)?;
                        found.insert(record.session.registration_id, record);
                    }
                }
                Ok(registration_ids
                    .iter()
                    .map(|id| found.get(id).cloned())
                    .collect())
            }

            async fn consume(
                &self,
                registration_id: alloy::primitives::B256,
                verdict: &$crate::Verdict,
            ) -> $crate::Result<bool> {
                let used = self.consume_many(&[(registration_id, verdict)]).await?;
                Ok(used.first().copied().unwrap_or_default())
            }

            /// Sessions are locked in registration ID order first, so two transactions
            /// over the same sessions cannot deadlock. Of several answers to one
            /// registration only the first is written: it wins or, the session being used
            /// already, they all lose.
            async fn consume_many(
                &self,
                answers: &[(alloy::primitives::B256, &$crate::Verdict)],
            ) -> $crate::Result<Vec<bool>> {
                let by_id = rows::prepare_answers(answers, &self.key)?;
                // Prepared in registration ID order, each ID once: the lock order.
                let ids: Vec<&str> = by_id.iter().map(|prepared| prepared.id.as_str()).collect();
                let mut transaction = self.pool.begin().await?;
                Self::lock_sessions(&mut transaction, &ids).await?;
                let used = Self::consume_in(&mut transaction, by_id, answers.len()).await?;
                transaction.commit().await?;
                Ok(used)
            }

            /// Each part received is serialised at once, on threads of its own, while
            /// those before it are written; what each part wrote goes to disk while the
            /// next is written, so the commit waits only for the last. A store with one
            /// connection (an in-memory SQLite database) cannot read while a transaction
            /// is open: it writes every part at the commit.
            async fn consume_parts(
                &self,
                registration_ids: &[alloy::primitives::B256],
                mut parts: tokio::sync::mpsc::Receiver<$crate::store::Consuming>,
            ) -> $crate::Result<Option<Vec<bool>>> {
                use $crate::store::Consuming;
                if self.pool.options().get_max_connections() < 2 {
                    let mut kept = Vec::new();
                    loop {
                        match parts.recv().await {
                            Some(Consuming::Part(part)) => kept.extend(part),
                            Some(Consuming::Commit) => break,
                            // The sender gave up: nothing is written.
                            None => return Ok(None),
                        }
                    }
                    return self.consume_many(&rows::borrowed(&kept)).await.map(Some);
                }
                let ids = rows::lock_order(registration_ids);
                let mut transaction = self.pool.begin().await?;
                Self::lock_sessions(
                    &mut transaction,
                    &ids.iter().map(String::as_str).collect::<Vec<_>>(),
                )
                .await?;
                let (mut used, mut preparing) = (Vec::new(), std::collections::VecDeque::new());
                let mut committing = false;
                loop {
                    // Takes every part sent so far; waits for one when none is left to write.
                    while !committing {
                        let message = match preparing.is_empty() {
                            true => parts.recv().await,
                            false => match parts.try_recv() {
                                Ok(message) => Some(message),
                                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => break,
                                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => None,
                            },
                        };
                        match message {
                            Some(Consuming::Part(part)) => preparing
                                .push_back(rows::prepare_in_background(part, self.key.clone())),
                            Some(Consuming::Commit) => committing = true,
                            // The sender gave up: nothing is written.
                            None => return Ok(None),
                        }
                    }
                    let Some(next) = preparing.pop_front() else {
                        break;
                    };
                    let (by_id, count) = $crate::parallel::finished(next).await?;
                    used.extend(Self::consume_in(&mut transaction, by_id, count).await?);
                    // After the last part, the commit syncs the log itself.
                    if !(committing && preparing.is_empty()) {
                        self.flush_log_ahead();
                    }
                }
                transaction.commit().await?;
                Ok(Some(used))
            }

            async fn decline(
                &self,
                registration_id: alloy::primitives::B256,
                at: u64,
            ) -> $crate::Result<bool> {
                let mut tx = self.pool.begin().await?;
                let done = sqlx::query(rows::DECLINE)
                    .bind(registration_id.to_string())
                    .bind(rows::to_i64(at))
                    .execute(&mut *tx)
                    .await?;
                let first = done.rows_affected() == 1;
                if first {
                    let event = $crate::events::Event::session_declined(registration_id, at);
                    Self::insert_events(&mut tx, &[event]).await?;
                }
                tx.commit().await?;
                Ok(first)
            }

            async fn record_expiries(
                &self,
                now: u64,
                limit: u32,
            ) -> $crate::Result<Vec<alloy::primitives::B256>> {
                let mut tx = self.pool.begin().await?;
                let recorded: Vec<String> = sqlx::query_scalar(rows::RECORD_EXPIRIES)
                    .bind(rows::to_i64(now))
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                let mut expired = Vec::with_capacity(recorded.len());
                let mut events = Vec::with_capacity(recorded.len());
                for id in recorded {
                    let registration_id: alloy::primitives::B256 = id.parse().map_err(|_| {
                        rows::corrupt("registration_id", &id, "not 32 bytes of hex")
                    })?;
                    events.push($crate::events::Event::session_expired(registration_id, now));
                    expired.push(registration_id);
                }
                Self::insert_events(&mut tx, &events).await?;
                tx.commit().await?;
                Ok(expired)
            }

            async fn delete_disclosed(
                &self,
                registration_id: alloy::primitives::B256,
            ) -> $crate::Result<bool> {
                let done = sqlx::query(rows::DELETE_CLAIMS)
                    .bind(registration_id.to_string())
                    .execute(&self.pool)
                    .await?;
                self.wipe_deleted().await?;
                Ok(done.rows_affected() > 0)
            }

            async fn withdraw_consent(
                &self,
                registration_id: alloy::primitives::B256,
                at: u64,
            ) -> $crate::Result<bool> {
                let id = registration_id.to_string();
                let mut tx = self.pool.begin().await?;
                let first: Option<Option<String>> = sqlx::query_scalar(rows::FIRST_WITHDRAWAL)
                    .bind(&id)
                    .bind(rows::to_i64(at))
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(verdict) = first {
                    let verdict: Option<$crate::Verdict> = verdict
                        .map(|text| rows::from_json(&text, "verdict", &id))
                        .transpose()?;
                    sqlx::query(monitor::DELETE_CUSTOMER_OF)
                        .bind(&id)
                        .execute(&mut *tx)
                        .await?;
                    let event = verdict
                        .as_ref()
                        .and_then(|verdict| $crate::events::Event::consent_withdrawn(verdict, at));
                    Self::insert_events(&mut tx, event.as_slice()).await?;
                    tx.commit().await?;
                    self.wipe_deleted().await?;
                    return Ok(true);
                }
                let done = sqlx::query(rows::WITHDRAW_CONSENT)
                    .bind(&id)
                    .bind(rows::to_i64(at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.wipe_deleted().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn purge_disclosed_older_than(
                &self,
                age: std::time::Duration,
            ) -> $crate::Result<u64> {
                let cutoff = $crate::clock::unix_now()?.saturating_sub(age.as_secs());
                let done = sqlx::query(rows::PURGE_CLAIMS)
                    .bind(rows::to_i64(cutoff))
                    .execute(&self.pool)
                    .await?;
                if done.rows_affected() > 0 {
                    self.wipe_deleted().await?;
                }
                Ok(done.rows_affected())
            }
        }
    };
}

pub(super) use impl_store;
