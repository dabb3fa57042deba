//! The registry watcher: follows the registry's events from a cursor kept in the store
//! and updates the monitored customers' statuses, recording an event for each change.
//!
//! Each [`pass`](Watcher::pass) reads the logs from a few blocks behind the cursor to
//! the head, in ranges no longer than a node allows, then reads again, at the head,
//! the state of every customer those logs touch, of every customer changed in the
//! blocks re-read, and of every active customer whose expiry passed. Statuses come
//! from the state, not from the logs, so a reorganisation that undoes a change is
//! corrected on the next pass. A chain outage is an error of the pass: nothing is
//! recorded, the cursor stays, and the next pass catches up.

use std::collections::BTreeMap;

use alloy::{
    eips::BlockId,
    primitives::{Address, B256},
    providers::Provider,
    rpc::types::{Filter, Log},
    sol_types::SolEvent,
};
use kyc_contracts::KycRegistry;

use crate::{
    chain::{rpc_error, Chain, Query},
    clock::unix_now,
    customers::{Customer, CustomerStatus},
    events::{Event, EventData},
    Result, Store, WatcherLock,
};

/// How the watcher reads the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WatchOptions {
    /// How many blocks behind the cursor each pass reads again, to correct what a
    /// reorganisation changed.
    pub reorg_depth: u64,
    /// The longest block range of one `eth_getLogs` request (hosted nodes limit it).
    pub max_log_range: u64,
}

impl Default for WatchOptions {
    /// 12 blocks again, 1,000 blocks per log request.
    fn default() -> Self {
        Self {
            reorg_depth: 12,
            max_log_range: 1000,
        }
    }
}

/// A customer as a pass found it, and the event of its change of status, if it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerUpdate {
    /// The customer with its new status, block and expiry.
    pub customer: Customer,
    /// The status it had when read from the store.
    pub previous: CustomerStatus,
    /// The event to record, when the status changed.
    pub event: Option<Event>,
}

/// What one pass did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pass {
    /// The registry was read through block `through`; `events` were recorded.
    Watched {
        /// The last block read.
        through: u64,
        /// The events recorded, in order.
        events: Vec<Event>,
    },
    /// Another process holds the watcher's lock, or moved the cursor meanwhile.
    Standby,
}

/// The latest log about a customer: where the change it reports was made.
#[derive(Clone, Copy, Debug, Default)]
struct Source {
    block: u64,
    transaction: Option<B256>,
}

/// Follows a registry for the customers in a store. One process of those sharing the
/// store watches at a time (see [`WatcherLock`]).
#[derive(Debug)]
pub struct Watcher<S> {
    chain: Chain,
    store: S,
    options: WatchOptions,
    lock: Option<WatcherLock>,
}

impl<S: Store> Watcher<S> {
    pub(crate) fn new(chain: Chain, store: S, options: WatchOptions) -> Self {
        Self {
            chain,
            store,
            options,
            lock: None,
        }
    }

    /// One pass: reads the registry from the cursor to the head, records the changes
    /// of status and their events, and moves the cursor, in one transaction.
    pub async fn pass(&mut self) -> Result<Pass> {
        if !self.hold_lock().await? {
            return Ok(Pass::Standby);
        }
        let read_from = self.store.watcher_cursor().await?;
        let provider = self.chain.provider();
        let head = provider.get_block_number().await.map_err(rpc_error)?;
        let from = match read_from {
            Some(next) => next.min(head + 1).saturating_sub(self.options.reorg_depth),
            None => head.saturating_sub(self.options.reorg_depth),
        };
        let (pairs, certifiers) = self.read_logs(from, head).await?;
        let now = unix_now()?;
        let subjects: Vec<Address> = pairs.keys().map(|(subject, _)| *subject).collect();
        let certifier_list: Vec<Address> = certifiers.keys().copied().collect();
        // The first pass reads every customer: some may predate the cursor.
        let changed_from = read_from.map_or(0, |_| from);
        let customers = self
            .store
            .customers_to_check(&subjects, &certifier_list, changed_from, now)
            .await?;
        let queries: Vec<Query> = customers
            .iter()
            .map(|customer| Query {
                subject: customer.subject,
                certifier: customer.certifier,
                contract_signature: None,
            })
            .collect();
        // At the head the logs were read to, so each change has the log that made it.
        let (block, answers) = self.chain.read(&queries, 0, BlockId::number(head)).await?;
        let updates: Vec<CustomerUpdate> = customers
            .into_iter()
            .zip(answers)
            .filter_map(|(customer, answer)| {
                let status = CustomerStatus::on_chain(
                    customer.root,
                    answer.attestation.as_ref(),
                    !answer.certifier_name.is_empty(),
                    now,
                );
                let expires_at = answer
                    .attestation
                    .as_ref()
                    .map_or(customer.expires_at, |attestation| attestation.expires_at);
                let pair = pairs.get(&(customer.subject, customer.certifier)).copied();
                let by_certifier = certifiers.get(&customer.certifier).copied();
                let source = match status {
                    CustomerStatus::Expired => None,
                    CustomerStatus::CertifierRemoved => by_certifier.or(pair),
                    _ => pair.or(by_certifier),
                };
                update(customer, status, expires_at, block, source, now)
            })
            .collect();
        if read_from == Some(head + 1) && updates.is_empty() {
            return Ok(Pass::Watched {
                through: head,
                events: Vec::new(),
            });
        }
        match self
            .store
            .record_watch(read_from, head + 1, &updates)
            .await?
        {
            Some(events) => Ok(Pass::Watched {
                through: head,
                events,
            }),
            None => Ok(Pass::Standby),
        }
    }

    /// Whether this watcher holds the lock, taking it when free.
    async fn hold_lock(&mut self) -> Result<bool> {
        if let Some(lock) = &mut self.lock {
            if lock.is_held().await {
                return Ok(true);
            }
            self.lock = None;
        }
        self.lock = self.store.lock_watcher().await?;
        Ok(self.lock.is_some())
    }

    /// The registry's logs from `from` to `to`, in ranges of at most `max_log_range`
    /// blocks: the latest source of each (subject, certifier) pair and each certifier.
    async fn read_logs(
        &self,
        from: u64,
        to: u64,
    ) -> Result<(
        BTreeMap<(Address, Address), Source>,
        BTreeMap<Address, Source>,
    )> {
        let mut pairs = BTreeMap::new();
        let mut certifiers = BTreeMap::new();
        let range = self.options.max_log_range.max(1);
        let mut start = from;
        while start <= to {
            let end = to.min(start.saturating_add(range - 1));
            let filter = Filter::new()
                .address(self.chain.registry())
                .from_block(start)
                .to_block(end);
            let logs = self
                .chain
                .provider()
                .get_logs(&filter)
                .await
                .map_err(rpc_error)?;
            for log in &logs {
                let source = Source {
                    block: log.block_number.unwrap_or(end),
                    transaction: log.transaction_hash,
                };
                match touched(log) {
                    Some(Touched::Pair(subject, certifier)) => {
                        pairs.insert((subject, certifier), source);
                    }
                    Some(Touched::Certifier(certifier)) => {
                        certifiers.insert(certifier, source);
                    }
                    None => {}
                }
            }
            start = end + 1;
        }
        Ok((pairs, certifiers))
    }
}

/// What a registry log is about.
enum Touched {
    /// `Attested`, `Revoked`, `Withdrawn`: one subject's attestation by one certifier.
    Pair(Address, Address),
    /// `CertifierAdded`, `CertifierRemoved`: every attestation of a certifier.
    Certifier(Address),
}

fn touched(log: &Log) -> Option<Touched> {
    let topics = log.topics();
    let address = |index: usize| topics.get(index).map(|topic| Address::from_word(*topic));
    let signature = *topics.first()?;
    if [
        KycRegistry::Attested::SIGNATURE_HASH,
        KycRegistry::Revoked::SIGNATURE_HASH,
        KycRegistry::Withdrawn::SIGNATURE_HASH,
    ]
    .contains(&signature)
    {
        return Some(Touched::Pair(address(1)?, address(2)?));
    }
    if [
        KycRegistry::CertifierAdded::SIGNATURE_HASH,
        KycRegistry::CertifierRemoved::SIGNATURE_HASH,
    ]
    .contains(&signature)
    {
        return Some(Touched::Certifier(address(1)?));
    }
    None
}

/// The update of a customer read again at `block`, or `None` when nothing changed.
fn update(
    customer: Customer,
    status: CustomerStatus,
    expires_at: u64,
    block: u64,
    source: Option<Source>,
    now: u64,
) -> Option<CustomerUpdate> {
    let previous = customer.status;
    if status == previous {
        return (expires_at != customer.expires_at).then_some(CustomerUpdate {
            customer: Customer {
                expires_at,
                ..customer
            },
            previous,
            event: None,
        });
    }
    let data = EventData {
        registration_id: customer.registration_id,
        subject: Some(customer.subject),
        certifier: Some(customer.certifier),
        root: Some(customer.root),
        block: Some(source.map_or(block, |source| source.block)),
        transaction: source.and_then(|source| source.transaction),
        reasons: Vec::new(),
    };
    Some(CustomerUpdate {
        event: Some(Event::new(status.event(), data, now)),
        customer: Customer {
            status,
            block,
            transaction: source.and_then(|source| source.transaction),
            expires_at,
            changed_at: now,
            ..customer
        },
        previous,
    })
}
