//! Attesting many requests: `attestBatch` in chunks that fit a block, several in
//! flight, each confirmed before it counts, and what is already on chain recognised
//! rather than sent again.

use std::{
    collections::{HashSet, VecDeque},
    future::Future,
    marker::PhantomData,
    time::Duration,
};

use alloy::primitives::B256;
use kyc_contracts::{IKycRegistry::AttestInput, KycRegistry::KycRegistryErrors};
use kyc_core::{
    evidence::Evidence,
    files::{Credential, FormatVersion, Request},
};

use crate::{
    chain::{Confirmed, PairState},
    check::{check_addressing, check_deadline, onchain_signature},
    Chain, Error, Result,
};

/// How a batch is attested.
#[derive(Clone, Debug)]
pub struct AttestOptions {
    /// How the certifier checked the people.
    pub evidence: Evidence,
    /// How long the attestations last, from the chain's time at the start.
    pub valid_for: Duration,
    /// The most requests one transaction carries (fewer when the gas would not fit half a block).
    pub chunk_size: usize,
    /// The most transactions sent and not yet confirmed.
    pub in_flight: usize,
}

impl AttestOptions {
    /// Options with chunks of 100 and up to 4 transactions in flight.
    pub fn new(evidence: Evidence, valid_for: Duration) -> Self {
        Self {
            evidence,
            valid_for,
            chunk_size: 100,
            in_flight: 4,
        }
    }

    fn validate(&self) -> Result<()> {
        let invalid = |option, reason| Err(Error::InvalidOption { option, reason });
        if self.chunk_size == 0 {
            return invalid("chunk size", "must be at least 1");
        }
        if self.in_flight == 0 {
            return invalid("in-flight", "must be at least 1");
        }
        if self.valid_for.as_secs() == 0 {
            return invalid("valid-for", "must be at least one second");
        }
        Ok(())
    }
}

/// One request to attest, with the caller's name for it (a queue ID, a file).
#[derive(Clone, Debug)]
pub struct Item<K> {
    /// The caller's name for the request.
    pub key: K,
    /// The checked request.
    pub request: Request,
}

/// What became of one request.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Recorded on chain and confirmed.
    Attested(Box<Attested>),
    /// Not attested, for the reason given.
    Failed(Failure),
}

/// A confirmed attestation.
#[derive(Clone, Debug)]
pub struct Attested {
    /// The credential to hand to the subject.
    pub credential: Credential,
    /// Found on chain from an earlier, interrupted run rather than sent now.
    pub already_on_chain: bool,
}

/// Why a request was not attested, and whether it may be later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// What should become of the request.
    pub disposition: Disposition,
    /// One line for a person.
    pub reason: String,
}

/// What a failure means for the request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disposition {
    /// Worth another try: a revert, a refusal that the certifier can lift.
    Retry,
    /// Worth another try once the chain can be reached again.
    Unavailable,
    /// Can never be attested: the registry's nonce moved past it.
    Stale,
    /// Its signature's deadline has passed.
    Expired,
}

impl From<&Error> for Failure {
    fn from(error: &Error) -> Self {
        let disposition = match error {
            Error::Stale(_) => Disposition::Stale,
            Error::DeadlinePassed { .. } => Disposition::Expired,
            Error::Rpc { .. } => Disposition::Unavailable,
            _ => Disposition::Retry,
        };
        Self {
            disposition,
            reason: error.to_string(),
        }
    }
}

/// Where outcomes go as they happen, so that a crash loses nothing that was confirmed.
pub trait Journal<K> {
    /// Records the outcome of the request named `key`.
    fn record(&mut self, key: &K, outcome: Outcome) -> impl Future<Output = Result<()>>;
}

/// Totals of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BatchSummary {
    /// Requests attested by this run.
    pub attested: usize,
    /// Requests found already attested by an earlier run.
    pub already_on_chain: usize,
    /// Requests not attested.
    pub failed: usize,
    /// Confirmed `attestBatch` transactions.
    pub transactions: usize,
    /// The gas those transactions used.
    pub gas_used: u64,
}

/// Attests `items` and records each outcome in `journal` as it happens.
///
/// First waits for the account's earlier transactions to be mined, then compares each
/// request with the registry: one already recorded (same root, nonce used) is reported
/// as attested with its original transaction; one whose nonce was used by something else
/// is stale; one past its deadline expired. The rest go out through `attestBatch`, each
/// chunk simulated first (a refused request is found by halving and left out with the
/// registry's error), with locally managed nonces. A chunk whose transaction reverts once
/// mined is halved and sent again, down to the one request the chain refuses, which
/// fails with the registry's error read from its transaction. An outage leaves every request not yet
/// attested failed with the reason, to retry later.
///
/// Returns an error only when the options are invalid or the journal fails.
pub async fn attest_batch<K, J: Journal<K>>(
    chain: &Chain,
    items: Vec<Item<K>>,
    options: &AttestOptions,
    journal: &mut J,
) -> Result<BatchSummary> {
    options.validate()?;
    let mut run = Run {
        chain,
        options,
        journal,
        summary: BatchSummary::default(),
        keys: PhantomData,
    };
    let start = async {
        chain.wait_until_idle().await?;
        chain.latest_block().await
    };
    let (now, gas_limit) = match start.await {
        Ok(block) => block,
        Err(error) => {
            run.fail_all(items, &Failure::from(&error)).await?;
            return Ok(run.summary);
        }
    };
    let expires_at = now.saturating_add(options.valid_for.as_secs());
    let mut to_send = run.reconcile(items, now).await?;
    let mut chunks = Vec::new();
    while !to_send.is_empty() {
        let rest = to_send.split_off(options.chunk_size.min(to_send.len()));
        chunks.push(std::mem::replace(&mut to_send, rest));
    }
    // Half a block per transaction, so that two fit and a full block does not stall one.
    let gas_cap = gas_limit / 2;
    let mut reverted = run.send_all(chunks, expires_at, gas_cap).await?;
    // A chunk that passed its simulation and reverted once mined holds a request the chain
    // judges otherwise (a contract wallet that answers differently, a withdrawal that
    // landed first): its halves go out again, each simulated, down to that one request,
    // which fails with the registry's error read from its transaction.
    while !reverted.is_empty() {
        let mut halves = Vec::new();
        for Sent { tx_hash, mut items } in reverted {
            if items.len() > 1 {
                let half = items.split_off(items.len() / 2);
                halves.extend([items, half]);
            } else {
                let error = chain.revert_error(tx_hash, "attestBatch").await;
                run.fail_all(items, &Failure::from(&error)).await?;
            }
        }
        reverted = run.send_all(halves, expires_at, gas_cap).await?;
    }
    Ok(run.summary)
}

struct Run<'a, K, J> {
    chain: &'a Chain,
    options: &'a AttestOptions,
    journal: &'a mut J,
    summary: BatchSummary,
    keys: PhantomData<fn(&K)>,
}

/// A sent transaction and the requests it carries.
struct Sent<K> {
    tx_hash: B256,
    items: Vec<Item<K>>,
}

impl<K, J: Journal<K>> Run<'_, K, J> {
    async fn record(&mut self, key: &K, outcome: Outcome) -> Result<()> {
        match &outcome {
            Outcome::Attested(attested) if attested.already_on_chain => {
                self.summary.already_on_chain += 1
            }
            Outcome::Attested(_) => self.summary.attested += 1,
            Outcome::Failed(_) => self.summary.failed += 1,
        }
        self.journal.record(key, outcome).await
    }

    async fn fail_all(
        &mut self,
        items: impl IntoIterator<Item = Item<K>>,
        failure: &Failure,
    ) -> Result<()> {
        for item in items {
            self.record(&item.key, Outcome::Failed(failure.clone()))
                .await?;
        }
        Ok(())
    }

    /// Settles what the chain already decides and returns the requests to send.
    async fn reconcile(&mut self, items: Vec<Item<K>>, now: u64) -> Result<Vec<Item<K>>> {
        let mut to_send = Vec::new();
        let mut subjects = HashSet::new();
        let mut items = items.into_iter();
        while let Some(item) = items.next() {
            let request = &item.request;
            if let Err(error) = check_addressing(self.chain, request) {
                self.record(&item.key, Outcome::Failed(Failure::from(&error)))
                    .await?;
                continue;
            }
            if !subjects.insert(request.subject) {
                let error = Error::SubjectTwice(request.subject);
                self.record(&item.key, Outcome::Failed(Failure::from(&error)))
                    .await?;
                continue;
            }
            let decided = match self.chain.pair(request.subject, self.chain.account()).await {
                Ok(pair) => self.decide(request, &pair, now).await,
                Err(error) => Err(error),
            };
            match decided {
                Ok(None) => to_send.push(item),
                Ok(Some(attested)) => {
                    self.record(&item.key, Outcome::Attested(Box::new(attested)))
                        .await?;
                }
                Err(error @ Error::Rpc { .. }) => {
                    // The chain is gone: nothing more can be decided in this run.
                    let failure = Failure::from(&error);
                    self.fail_all(std::iter::once(item).chain(items).chain(to_send), &failure)
                        .await?;
                    return Ok(Vec::new());
                }
                Err(error) => {
                    self.record(&item.key, Outcome::Failed(Failure::from(&error)))
                        .await?
                }
            }
        }
        Ok(to_send)
    }

    /// `Some` when the request is already on chain, `None` when it should be sent,
    /// an error when it cannot be.
    async fn decide(
        &self,
        request: &Request,
        pair: &PairState,
        now: u64,
    ) -> Result<Option<Attested>> {
        if pair.nonce > request.nonce {
            if pair.attestation.root != request.root {
                return Err(Error::Stale(format!(
                    "the registry's nonce for {} is {}, past the request's {}; the subject must sign a new request",
                    request.subject, pair.nonce, request.nonce
                )));
            }
            let (tx_hash, block_number) = self
                .chain
                .find_attested(request.subject, request.root, pair.attestation.issued_at)
                .await?
                .ok_or_else(|| Error::Rpc {
                    action: "finding the attestation's transaction",
                    message: format!(
                        "the registry holds root {} for {} but no Attested event of it was found",
                        request.root, request.subject
                    ),
                })?;
            let credential = credential(
                self.chain,
                request,
                pair.attestation.evidence,
                pair.attestation.issued_at,
                pair.attestation.expires_at,
                tx_hash,
                block_number,
            );
            return Ok(Some(Attested {
                credential,
                already_on_chain: true,
            }));
        }
        if pair.nonce < request.nonce {
            return Err(Error::WrongNonce {
                subject: request.subject,
                file: request.nonce,
                registry: pair.nonce,
            });
        }
        check_deadline(request.deadline, now)?;
        Ok(None)
    }

    /// Sends `chunks`, each in transactions the registry accepts in simulation, keeping
    /// up to `in_flight` of them unconfirmed, and returns those that reverted once mined.
    async fn send_all(
        &mut self,
        chunks: Vec<Vec<Item<K>>>,
        expires_at: u64,
        gas_cap: u64,
    ) -> Result<Vec<Sent<K>>> {
        let mut waiting = VecDeque::from(chunks);
        let mut in_flight = VecDeque::new();
        let mut reverted = Vec::new();
        let mut outage = None;
        while outage.is_none() {
            let Some(chunk) = waiting.pop_front() else {
                break;
            };
            let (ready, lost) = self.simulate(chunk, expires_at, gas_cap).await?;
            outage = lost;
            for (part, gas) in ready {
                let call = self
                    .chain
                    .registry()
                    .attestBatch(self.inputs(&part, expires_at))
                    .from(self.chain.account());
                match self.chain.send(call, gas, "sending attestBatch").await {
                    Ok(tx_hash) => in_flight.push_back(Sent {
                        tx_hash,
                        items: part,
                    }),
                    Err(error) => {
                        let failure = Failure::from(&error);
                        self.fail_all(part, &failure).await?;
                        if matches!(error, Error::Rpc { .. }) {
                            outage = Some(failure);
                        }
                    }
                }
                while in_flight.len() >= self.options.in_flight {
                    if let Some(sent) = in_flight.pop_front() {
                        self.settle(sent, expires_at, &mut reverted).await?;
                    }
                }
            }
        }
        while let Some(sent) = in_flight.pop_front() {
            self.settle(sent, expires_at, &mut reverted).await?;
        }
        if let Some(failure) = outage {
            self.fail_all(waiting.into_iter().flatten(), &failure)
                .await?;
        }
        Ok(reverted)
    }

    /// Splits `chunk` into parts that the registry accepts and that fit `gas_cap`; the
    /// requests it refuses are recorded with its error. Returns the parts with their gas,
    /// and the failure that ended the simulation when the chain could not be reached.
    async fn simulate(
        &mut self,
        chunk: Vec<Item<K>>,
        expires_at: u64,
        gas_cap: u64,
    ) -> Result<(Vec<(Vec<Item<K>>, u64)>, Option<Failure>)> {
        let mut ready = Vec::new();
        let mut parts = vec![chunk];
        while let Some(mut part) = parts.pop() {
            let call = self
                .chain
                .registry()
                .attestBatch(self.inputs(&part, expires_at))
                .from(self.chain.account());
            let estimate = call.estimate_gas().await;
            let splittable = part.len() > 1;
            match estimate {
                Ok(gas) if gas <= gas_cap => ready.push((part, gas)),
                Ok(_) if splittable => {
                    let half = part.split_off(part.len() / 2);
                    parts.extend([part, half]);
                }
                Ok(gas) => {
                    let failure = Failure {
                        disposition: Disposition::Retry,
                        reason: format!("one attestation needs {gas} gas, more than half a block"),
                    };
                    self.fail_all(part, &failure).await?;
                }
                Err(error) => {
                    let global = kyc_contracts::decode_revert(&error).is_some_and(|e| {
                        matches!(
                            e,
                            KycRegistryErrors::NotCertifier(_)
                                | KycRegistryErrors::ExpiryInPast(_)
                                | KycRegistryErrors::UnknownEvidence(_)
                        )
                    });
                    let error = Error::contract("simulating attestBatch")(error);
                    let failure = Failure::from(&error);
                    if let Error::Rpc { .. } = error {
                        self.fail_all(parts.into_iter().flatten().chain(part), &failure)
                            .await?;
                        return Ok((ready, Some(failure)));
                    }
                    if splittable && !global {
                        let half = part.split_off(part.len() / 2);
                        parts.extend([part, half]);
                    } else {
                        self.fail_all(part, &failure).await?;
                    }
                }
            }
        }
        Ok((ready, None))
    }

    /// Waits for a sent transaction and records its requests, or keeps it in `reverted`.
    async fn settle(
        &mut self,
        sent: Sent<K>,
        expires_at: u64,
        reverted: &mut Vec<Sent<K>>,
    ) -> Result<()> {
        match self.chain.confirm(sent.tx_hash).await {
            Ok(confirmed) => {
                self.summary.transactions += 1;
                self.summary.gas_used += confirmed.gas_used;
                for item in sent.items {
                    let attested = self.attested(&item.request, &confirmed, expires_at);
                    self.record(&item.key, Outcome::Attested(Box::new(attested)))
                        .await?;
                }
            }
            Err(Error::Reverted { .. }) => reverted.push(sent),
            Err(error) => self.fail_all(sent.items, &Failure::from(&error)).await?,
        }
        Ok(())
    }

    fn attested(&self, request: &Request, confirmed: &Confirmed, expires_at: u64) -> Attested {
        Attested {
            credential: credential(
                self.chain,
                request,
                self.options.evidence,
                confirmed.block_time,
                expires_at,
                confirmed.tx_hash,
                confirmed.block_number,
            ),
            already_on_chain: false,
        }
    }

    fn inputs(&self, items: &[Item<K>], expires_at: u64) -> Vec<AttestInput> {
        items
            .iter()
            .map(|item| AttestInput {
                subject: item.request.subject,
                root: item.request.root,
                evidence: self.options.evidence.bits(),
                expiresAt: expires_at,
                deadline: item.request.deadline,
                signature: onchain_signature(
                    item.request.subject,
                    item.request.signing_hash(),
                    &item.request.signature,
                ),
            })
            .collect()
    }
}

fn credential(
    chain: &Chain,
    request: &Request,
    evidence: Evidence,
    issued_at: u64,
    expires_at: u64,
    tx_hash: B256,
    block_number: u64,
) -> Credential {
    Credential {
        version: FormatVersion,
        chain_id: chain.chain_id(),
        registry: chain.registry_address(),
        subject: request.subject,
        certifier: chain.account(),
        claims: request.claims.clone(),
        root: request.root,
        evidence,
        issued_at,
        expires_at,
        tx_hash,
        block_number,
    }
}
