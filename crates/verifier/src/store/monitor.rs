//! The `customers`, `watcher` and `outbox` tables, shared by every store: monitored
//! customers, the watcher's cursor, and the events waiting for delivery.

use alloy::primitives::{Address, B256};
use kyc_seal::RandomPool;
use sqlx::{ColumnIndex, Decode, Row, Type};

use super::rows::{corrupt, to_i64, to_u64};
use crate::{
    customers::{Customer, CustomerStatus},
    events::{new_event_id_from, Event, EventType},
    outbox::{DeliveryRecord, DeliveryStatus},
    Result, Verdict,
};

/// The customer columns a store selects, in this order.
pub(super) const CUSTOMER_COLUMNS: &str = "subject, certifier, root, registration_id, status, \
     block, tx_hash, expires_at, verified_at, changed_at";

/// Makes (or makes again) subjects customers, active, from approved verdicts: the
/// `VALUES` list of their rows follows this, then [`UPSERT_CUSTOMERS_END`].
pub(super) const UPSERT_CUSTOMERS_START: &str = "INSERT INTO customers (subject, certifier, \
     root, registration_id, status, block, tx_hash, expires_at, verified_at, changed_at) ";
/// The end of the statement [`UPSERT_CUSTOMERS_START`] begins.
pub(super) const UPSERT_CUSTOMERS_END: &str = " ON CONFLICT (subject) DO UPDATE SET \
     certifier = excluded.certifier, root = excluded.root, \
     registration_id = excluded.registration_id, status = excluded.status, \
     block = excluded.block, tx_hash = excluded.tx_hash, expires_at = excluded.expires_at, \
     verified_at = excluded.verified_at, changed_at = excluded.changed_at";
/// A watcher's update of a customer, only if nobody changed it since it was read.
pub(super) const UPDATE_CUSTOMER: &str = "UPDATE customers SET status = $3, block = $4, \
     tx_hash = $5, expires_at = $6, changed_at = $7 \
     WHERE subject = $1 AND registration_id = $2 AND status = $8";
/// Stops monitoring a subject.
pub(super) const DELETE_CUSTOMER: &str = "DELETE FROM customers WHERE subject = $1";
/// Stops monitoring the customer a registration made.
pub(super) const DELETE_CUSTOMER_OF: &str = "DELETE FROM customers WHERE registration_id = $1";
/// Customers changed at or after a block, or active with an expiry passed.
pub(super) const SELECT_RECENT_OR_EXPIRED: &str = "SELECT subject, certifier, root, \
     registration_id, status, block, tx_hash, expires_at, verified_at, changed_at \
     FROM customers WHERE block >= $1 OR (status = 'active' AND expires_at <= $2)";

/// The watcher's next block (-1 before its first pass).
pub(super) const SELECT_CURSOR: &str = "SELECT next_block FROM watcher WHERE id = 1";
/// Moves the watcher's cursor, only from where it was read.
pub(super) const MOVE_CURSOR: &str =
    "UPDATE watcher SET next_block = $2 WHERE id = 1 AND next_block = $1";

/// Records events for delivery, due at once: the `VALUES` list of their rows follows.
pub(super) const INSERT_EVENTS: &str =
    "INSERT INTO outbox (id, event_type, body, created_at, next_attempt_at) ";
/// Records the result of an attempt.
pub(super) const RECORD_ATTEMPT: &str = "UPDATE outbox SET status = $2, attempts = attempts + 1, \
     last_error = $3, next_attempt_at = $4, delivered_at = $5, lease_until = 0 WHERE id = $1";
/// Makes a failed delivery pending again, due at once, with a fresh count of attempts.
pub(super) const RETRY_DELIVERY: &str = "UPDATE outbox SET status = 'pending', attempts = 0, \
     next_attempt_at = $2, lease_until = 0, last_error = NULL WHERE id = $1 AND status = 'failed'";
/// The delivery columns a store selects, in this order.
const DELIVERY_COLUMNS: &str =
    "id, event_type, status, attempts, created_at, next_attempt_at, delivered_at, last_error";

/// Leases up to `$3` due events until `$2` (now is `$1`); `lock` is appended to the
/// inner select (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so replicas claim different rows).
pub(super) fn claim_deliveries(lock: &str) -> String {
    format!(
        "UPDATE outbox SET lease_until = $2 WHERE seq IN (SELECT seq FROM outbox \
         WHERE status = 'pending' AND next_attempt_at <= $1 AND lease_until <= $1 \
         ORDER BY seq LIMIT $3{lock}) \
         AND status = 'pending' AND lease_until <= $1 \
         RETURNING seq, id, event_type, body, attempts"
    )
}

/// The latest `$1` deliveries, or with a status `$2`.
pub(super) fn select_deliveries(with_status: bool) -> String {
    match with_status {
        true => format!(
            "SELECT {DELIVERY_COLUMNS} FROM outbox WHERE status = $2 ORDER BY seq DESC LIMIT $1"
        ),
        false => format!("SELECT {DELIVERY_COLUMNS} FROM outbox ORDER BY seq DESC LIMIT $1"),
    }
}

/// Selects the customers whose `column` is one of `count` values bound as `$1`…
pub(super) fn select_customers_in(column: &str, count: usize) -> String {
    let placeholders: Vec<String> = (1..=count).map(|n| format!("${n}")).collect();
    format!(
        "SELECT {CUSTOMER_COLUMNS} FROM customers WHERE {column} IN ({})",
        placeholders.join(", ")
    )
}

/// Reads a row selected with [`CUSTOMER_COLUMNS`].
pub(super) fn read_customer<'r, R>(row: &'r R) -> Result<Customer>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let subject_text: String = row.try_get(0)?;
    let subject: Address = subject_text
        .parse()
        .map_err(|_| corrupt("customer subject", &subject_text, "not an address"))?;
    let hex = |index: usize, what: &'static str| -> Result<B256> {
        let text: String = row.try_get(index)?;
        text.parse()
            .map_err(|_| corrupt(what, &subject_text, "not 32 bytes of hex"))
    };
    let certifier: String = row.try_get(1)?;
    let status: String = row.try_get(4)?;
    let transaction: Option<String> = row.try_get(6)?;
    Ok(Customer {
        subject,
        certifier: certifier
            .parse()
            .map_err(|_| corrupt("customer certifier", &subject_text, "not an address"))?,
        root: hex(2, "customer root")?,
        registration_id: hex(3, "customer registration")?,
        status: status
            .parse::<CustomerStatus>()
            .map_err(|_| corrupt("customer status", &subject_text, "unknown status"))?,
        block: to_u64(row.try_get(5)?),
        transaction: transaction
            .map(|text| {
                text.parse()
                    .map_err(|_| corrupt("customer transaction", &subject_text, "not a hash"))
            })
            .transpose()?,
        expires_at: to_u64(row.try_get(7)?),
        verified_at: to_u64(row.try_get(8)?),
        changed_at: to_u64(row.try_get(9)?),
    })
}

/// Reads a row selected by [`select_deliveries`].
pub(super) fn read_delivery<'r, R>(row: &'r R) -> Result<DeliveryRecord>
where
    R: Row,
    usize: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let id: String = row.try_get(0)?;
    let kind: String = row.try_get(1)?;
    let status: String = row.try_get(2)?;
    let status: DeliveryStatus = status
        .parse()
        .map_err(|_| corrupt("delivery status", &id, "unknown status"))?;
    let next_attempt_at: i64 = row.try_get(5)?;
    let delivered_at: Option<i64> = row.try_get(6)?;
    Ok(DeliveryRecord {
        kind: event_type(&kind, &id)?,
        status,
        attempts: u32::try_from(row.try_get::<i64, _>(3)?).unwrap_or(u32::MAX),
        created_at: to_u64(row.try_get(4)?),
        next_attempt_at: (status == DeliveryStatus::Pending).then(|| to_u64(next_attempt_at)),
        delivered_at: delivered_at.map(to_u64),
        last_error: row.try_get(7)?,
        id,
    })
}

/// An event type read back from the store.
pub(super) fn event_type(code: &str, id: &str) -> Result<EventType> {
    code.parse()
        .map_err(|_| corrupt("event type", id, "unknown type"))
}

/// Customers looked up or written per query, well under SQLite's limit of bound parameters.
pub(super) const CUSTOMERS_PER_QUERY: usize = 500;
/// Events written per query, well under SQLite's limit of bound parameters.
pub(super) const EVENTS_PER_QUERY: usize = 500;

/// An event's outbox row: a fresh ID, its type and its JSON body.
pub(super) struct EventRow {
    pub(super) id: String,
    pub(super) kind: &'static str,
    pub(super) body: String,
}

impl EventRow {
    /// The row of `event`, its ID from `pool`.
    pub(super) fn new(event: &Event, pool: &mut RandomPool) -> Result<Self> {
        Ok(Self {
            id: new_event_id_from(pool)?,
            kind: event.kind.code(),
            body: event.to_json()?,
        })
    }
}

/// A customer's row in [`UPSERT_CUSTOMERS_START`]'s column order, its addresses and
/// hashes written out once.
pub(super) struct CustomerRow {
    /// The subject, which orders the rows of a statement.
    pub(super) subject: Address,
    pub(super) subject_text: String,
    pub(super) certifier: String,
    pub(super) root: String,
    pub(super) registration_id: String,
    pub(super) status: &'static str,
    pub(super) block: i64,
    pub(super) transaction: Option<String>,
    pub(super) expires_at: i64,
    pub(super) verified_at: i64,
    pub(super) changed_at: i64,
}

impl CustomerRow {
    fn new(customer: &Customer) -> Self {
        Self {
            subject: customer.subject,
            subject_text: kyc_core::hex::address::text(&customer.subject),
            certifier: kyc_core::hex::address::text(&customer.certifier),
            root: customer.root.to_string(),
            registration_id: customer.registration_id.to_string(),
            status: customer.status.code(),
            block: to_i64(customer.block),
            transaction: customer.transaction.map(|hash| hash.to_string()),
            expires_at: to_i64(customer.expires_at),
            verified_at: to_i64(customer.verified_at),
            changed_at: to_i64(customer.changed_at),
        }
    }
}

/// What a verdict that uses up its session writes beside the session, serialised
/// ahead of the transaction: its `session.*` event and the customer an approval makes.
pub(super) struct VerdictEffects {
    pub(super) event: Option<EventRow>,
    pub(super) customer: Option<CustomerRow>,
}

impl VerdictEffects {
    /// The effects of `verdict`, its event's ID from `pool`.
    pub(super) fn of(verdict: &Verdict, pool: &mut RandomPool) -> Result<Self> {
        Ok(Self {
            event: Event::of_verdict(verdict)
                .map(|event| EventRow::new(&event, pool))
                .transpose()?,
            customer: Customer::of_verdict(verdict).map(|customer| CustomerRow::new(&customer)),
        })
    }
}

/// Implements the monitoring methods of [`Store`](crate::Store) inside `impl_store!`.
macro_rules! monitor_methods {
    ($db:ty, $lock:expr) => {
        async fn customer(
            &self,
            subject: alloy::primitives::Address,
        ) -> $crate::Result<Option<$crate::customers::Customer>> {
            let select = monitor::select_customers_in("subject", 1);
            let row = sqlx::query(&select)
                .bind(subject.to_string())
                .fetch_optional(&self.pool)
                .await?;
            row.as_ref().map(monitor::read_customer).transpose()
        }

        async fn end_customer(&self, subject: alloy::primitives::Address) -> $crate::Result<bool> {
            let done = sqlx::query(monitor::DELETE_CUSTOMER)
                .bind(subject.to_string())
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() > 0)
        }

        async fn customers_to_check(
            &self,
            subjects: &[alloy::primitives::Address],
            certifiers: &[alloy::primitives::Address],
            changed_from_block: u64,
            now: u64,
        ) -> $crate::Result<Vec<$crate::customers::Customer>> {
            let mut found = std::collections::BTreeMap::new();
            for (column, addresses) in [("subject", subjects), ("certifier", certifiers)] {
                for chunk in addresses.chunks(monitor::CUSTOMERS_PER_QUERY) {
                    let select = monitor::select_customers_in(column, chunk.len());
                    let mut query = sqlx::query(&select);
                    for address in chunk {
                        query = query.bind(address.to_string());
                    }
                    for row in query.fetch_all(&self.pool).await? {
                        let customer = monitor::read_customer(&row)?;
                        found.insert(customer.subject, customer);
                    }
                }
            }
            let rows = sqlx::query(monitor::SELECT_RECENT_OR_EXPIRED)
                .bind(rows::to_i64(changed_from_block))
                .bind(rows::to_i64(now))
                .fetch_all(&self.pool)
                .await?;
            for row in rows {
                let customer = monitor::read_customer(&row)?;
                found.insert(customer.subject, customer);
            }
            Ok(found.into_values().collect())
        }

        async fn watcher_cursor(&self) -> $crate::Result<Option<u64>> {
            let next: i64 = sqlx::query_scalar(monitor::SELECT_CURSOR)
                .fetch_one(&self.pool)
                .await?;
            Ok(u64::try_from(next).ok())
        }

        async fn record_watch(
            &self,
            read_from: Option<u64>,
            next_block: u64,
            updates: &[$crate::watcher::CustomerUpdate],
        ) -> $crate::Result<Option<Vec<$crate::events::Event>>> {
            let mut tx = self.pool.begin().await?;
            let moved = sqlx::query(monitor::MOVE_CURSOR)
                .bind(read_from.map_or(-1, rows::to_i64))
                .bind(rows::to_i64(next_block))
                .execute(&mut *tx)
                .await?;
            if moved.rows_affected() != 1 {
                return Ok(None);
            }
            let mut events = Vec::new();
            for update in updates {
                let customer = &update.customer;
                let done = sqlx::query(monitor::UPDATE_CUSTOMER)
                    .bind(customer.subject.to_string())
                    .bind(customer.registration_id.to_string())
                    .bind(customer.status.code())
                    .bind(rows::to_i64(customer.block))
                    .bind(customer.transaction.map(|hash| hash.to_string()))
                    .bind(rows::to_i64(customer.expires_at))
                    .bind(rows::to_i64(customer.changed_at))
                    .bind(update.previous.code())
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() != 1 {
                    continue;
                }
                if let Some(event) = &update.event {
                    events.push(event.clone());
                }
            }
            Self::insert_events(&mut tx, &events).await?;
            tx.commit().await?;
            Ok(Some(events))
        }

        async fn lock_watcher(&self) -> $crate::Result<Option<$crate::store::WatcherLock>> {
            self.try_lock_watcher().await
        }

        async fn claim_deliveries(
            &self,
            now: u64,
            lease: std::time::Duration,
            limit: u32,
        ) -> $crate::Result<Vec<$crate::outbox::Delivery>> {
            let claim = monitor::claim_deliveries($lock);
            let rows = sqlx::query(&claim)
                .bind(rows::to_i64(now))
                .bind(rows::to_i64(now.saturating_add(lease.as_secs().max(1))))
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?;
            let mut claimed = Vec::with_capacity(rows.len());
            for row in rows {
                use sqlx::Row as _;
                let seq: i64 = row.try_get(0)?;
                let id: String = row.try_get(1)?;
                let kind: String = row.try_get(2)?;
                let attempts: i64 = row.try_get(4)?;
                claimed.push((
                    seq,
                    $crate::outbox::Delivery {
                        kind: monitor::event_type(&kind, &id)?,
                        body: row.try_get(3)?,
                        attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                        id,
                    },
                ));
            }
            claimed.sort_by_key(|(seq, _)| *seq);
            Ok(claimed.into_iter().map(|(_, delivery)| delivery).collect())
        }

        async fn record_attempt(
            &self,
            id: &str,
            attempt: &$crate::outbox::Attempt,
        ) -> $crate::Result<()> {
            use $crate::outbox::{Attempt, DeliveryStatus};
            let (status, error, next, delivered) = match attempt {
                Attempt::Delivered { at } => (DeliveryStatus::Delivered, None, 0, Some(*at)),
                Attempt::Failed {
                    error,
                    retry_at: Some(at),
                } => (DeliveryStatus::Pending, Some(error.as_str()), *at, None),
                Attempt::Failed {
                    error,
                    retry_at: None,
                } => (DeliveryStatus::Failed, Some(error.as_str()), 0, None),
            };
            sqlx::query(monitor::RECORD_ATTEMPT)
                .bind(id)
                .bind(status.code())
                .bind(error)
                .bind(rows::to_i64(next))
                .bind(delivered.map(rows::to_i64))
                .execute(&self.pool)
                .await?;
            Ok(())
        }

        async fn deliveries(
            &self,
            status: Option<$crate::outbox::DeliveryStatus>,
            limit: u32,
        ) -> $crate::Result<Vec<$crate::outbox::DeliveryRecord>> {
            let select = monitor::select_deliveries(status.is_some());
            let mut query = sqlx::query(&select).bind(i64::from(limit));
            if let Some(status) = status {
                query = query.bind(status.code());
            }
            query
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(monitor::read_delivery)
                .collect()
        }

        async fn retry_delivery(&self, id: &str, now: u64) -> $crate::Result<bool> {
            let done = sqlx::query(monitor::RETRY_DELIVERY)
                .bind(id)
                .bind(rows::to_i64(now))
                .execute(&self.pool)
                .await?;
            Ok(done.rows_affected() == 1)
        }
    };
}

/// Implements the helpers of the monitoring methods: events and customers written in
/// the transaction of the change they come from.
macro_rules! monitor_helpers {
    ($store:ty, $db:ty) => {
        impl $store {
            /// Records events in the outbox, in their order, in the transaction `tx`.
            async fn insert_events(
                tx: &mut sqlx::Transaction<'_, $db>,
                events: &[$crate::events::Event],
            ) -> $crate::Result<()> {
                let mut pool =
                    kyc_seal::RandomPool::draw(events.len() * $crate::events::EVENT_ID_BYTES)?;
                let rows = events
                    .iter()
                    .map(|event| monitor::EventRow::new(event, &mut pool))
                    .collect::<$crate::Result<Vec<_>>>()?;
                Self::insert_event_rows(tx, rows).await
            }

            /// Writes events' outbox rows, in their order, in the transaction `tx`.
            async fn insert_event_rows(
                tx: &mut sqlx::Transaction<'_, $db>,
                rows: Vec<monitor::EventRow>,
            ) -> $crate::Result<()> {
                let at = rows::to_i64($crate::clock::unix_now()?);
                for chunk in rows.chunks(monitor::EVENTS_PER_QUERY) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(monitor::INSERT_EVENTS);
                    insert.push_values(chunk, |mut row, event| {
                        row.push_bind(event.id.as_str())
                            .push_bind(event.kind)
                            .push_bind(event.body.as_str())
                            .push_bind(at)
                            .push_bind(at);
                    });
                    insert.build().execute(&mut **tx).await?;
                }
                Ok(())
            }

            /// What verdicts that used up their sessions change beside the sessions, in the
            /// transaction `tx`: their `session.*` events, in order, and the customers their
            /// approvals make (of two approvals of one subject, the later counts).
            async fn record_verdict_effects(
                tx: &mut sqlx::Transaction<'_, $db>,
                effects: impl Iterator<Item = monitor::VerdictEffects>,
            ) -> $crate::Result<()> {
                let mut events = Vec::new();
                let mut customers = std::collections::BTreeMap::new();
                for effect in effects {
                    events.extend(effect.event);
                    if let Some(customer) = effect.customer {
                        customers.insert(customer.subject, customer);
                    }
                }
                Self::insert_event_rows(tx, events).await?;
                // One row per subject, in subject order: PostgreSQL upserts a row once per
                // statement, and locks rows in this order, so concurrent batches cannot deadlock.
                let customers: Vec<_> = customers.into_values().collect();
                for chunk in customers.chunks(monitor::CUSTOMERS_PER_QUERY) {
                    let mut upsert =
                        sqlx::QueryBuilder::<$db>::new(monitor::UPSERT_CUSTOMERS_START);
                    upsert.push_values(chunk, |mut row, customer| {
                        row.push_bind(customer.subject_text.as_str())
                            .push_bind(customer.certifier.as_str())
                            .push_bind(customer.root.as_str())
                            .push_bind(customer.registration_id.as_str())
                            .push_bind(customer.status)
                            .push_bind(customer.block)
                            .push_bind(customer.transaction.as_deref())
                            .push_bind(customer.expires_at)
                            .push_bind(customer.verified_at)
                            .push_bind(customer.changed_at);
                    });
                    upsert.push(monitor::UPSERT_CUSTOMERS_END);
                    upsert.build().execute(&mut **tx).await?;
                }
                Ok(())
            }
        }
    };
}

pub(super) use {monitor_helpers, monitor_methods};
