//! The connection to one `KycRegistry` on one chain, for one signing account: reads,
//! transactions with locally managed nonces, confirmations.

use std::time::{Duration, Instant};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
    rpc::types::{Filter, TransactionReceipt},
    sol_types::{SolEvent, SolInterface},
    transports::RpcError,
};
use kyc_contracts::KycRegistry;
use kyc_core::attestation::Attestation;

use crate::{nonce::NonceManager, Error, Result};

/// The registry instance this crate talks to.
pub type Registry = KycRegistry::KycRegistryInstance<DynProvider>;

/// What the registry holds for one (subject, certifier) pair, with the pair's nonce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairState {
    /// The attestation (status `none` and a zero root when nothing was attested).
    pub attestation: Attestation,
    /// The nonce the next signed request of the pair must carry.
    pub nonce: u64,
}

/// A mined and confirmed transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Confirmed {
    /// The transaction.
    pub tx_hash: B256,
    /// The block that holds it.
    pub block_number: u64,
    /// The block's timestamp.
    pub block_time: u64,
    /// The gas it used.
    pub gas_used: u64,
}

/// A registry on a chain, reached through a provider that signs as `account`.
#[derive(Debug)]
pub struct Chain {
    provider: DynProvider,
    registry: Registry,
    chain_id: u64,
    account: Address,
    nonces: NonceManager,
    confirmations: u64,
    confirm_timeout: Duration,
}

impl Chain {
    /// Connects to the registry at `registry`, checking that the chain answers, that a
    /// contract is there and that its EIP-712 domain is the protocol's for this chain.
    ///
    /// `provider` must sign transactions as `account` (for reads only, any account will do).
    pub async fn connect(
        provider: DynProvider,
        registry: Address,
        account: Address,
    ) -> Result<Self> {
        let chain_id = provider
            .get_chain_id()
            .await
            .map_err(Error::rpc("reading the chain id"))?;
        let code = provider
            .get_code_at(registry)
            .await
            .map_err(Error::rpc("reading the registry's code"))?;
        if code.is_empty() {
            return Err(Error::NoContract { registry, chain_id });
        }
        let instance = KycRegistry::new(registry, provider.clone());
        let expected = kyc_core::eip712::domain(chain_id, registry).separator();
        match instance.DOMAIN_SEPARATOR().call().await {
            Ok(separator) if separator == expected => {}
            // Reverts, empty or undecodable answers: some other contract.
            Ok(_)
            | Err(
                alloy::contract::Error::AbiError(_)
                | alloy::contract::Error::ZeroData(..)
                | alloy::contract::Error::TransportError(RpcError::ErrorResp(_)),
            ) => return Err(Error::NotARegistry { registry, chain_id }),
            Err(error) => return Err(Error::contract("reading the registry's domain")(error)),
        }
        Ok(Self {
            provider,
            registry: instance,
            chain_id,
            account,
            nonces: NonceManager::new(account),
            confirmations: 1,
            confirm_timeout: Duration::from_secs(300),
        })
    }

    /// How many blocks (the including one counts) a transaction needs before it counts
    /// as done; at least 1, and 1 by default.
    pub fn with_confirmations(mut self, confirmations: u64) -> Result<Self> {
        if confirmations == 0 {
            return Err(Error::InvalidOption {
                option: "confirmations",
                reason: "must be at least 1",
            });
        }
        self.confirmations = confirmations;
        Ok(self)
    }

    /// How long to wait for a transaction to be mined and confirmed (5 minutes by default).
    pub fn with_confirm_timeout(mut self, timeout: Duration) -> Self {
        self.confirm_timeout = timeout;
        self
    }

    /// The chain's id.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The registry's address.
    pub fn registry_address(&self) -> Address {
        *self.registry.address()
    }

    /// The signing account.
    pub fn account(&self) -> Address {
        self.account
    }

    /// The registry binding.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The provider.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The timestamp of the latest block: the clock deadlines and expiries are judged by.
    pub async fn now(&self) -> Result<u64> {
        Ok(self.latest_block().await?.0)
    }

    /// The latest block's timestamp and gas limit.
    pub(crate) async fn latest_block(&self) -> Result<(u64, u64)> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(Error::rpc("reading the latest block"))?
            .ok_or_else(|| Error::Rpc {
                action: "reading the latest block",
                message: "the node returned no block".to_owned(),
            })?;
        Ok((block.header.timestamp, block.header.gas_limit))
    }

    /// The registry's record of (`subject`, `certifier`) and the pair's nonce.
    pub async fn pair(&self, subject: Address, certifier: Address) -> Result<PairState> {
        let action = "reading an attestation";
        let record = self
            .registry
            .attestation(subject, certifier)
            .call()
            .await
            .map_err(Error::contract(action))?;
        let nonce = self
            .registry
            .nonces(subject, certifier)
            .call()
            .await
            .map_err(Error::contract(action))?;
        let attestation = Attestation::from_abi(
            record.root,
            record.issuedAt,
            record.expiresAt,
            record.evidence,
            record.status,
        )?;
        Ok(PairState { attestation, nonce })
    }

    /// Waits until no transaction of the account is waiting in the node's pool, so that
    /// what the chain says about earlier runs is final.
    pub async fn wait_until_idle(&self) -> Result<()> {
        let started = Instant::now();
        loop {
            let action = "reading the signer's transaction count";
            let pending = self
                .provider
                .get_transaction_count(self.account)
                .pending()
                .await
                .map_err(Error::rpc(action))?;
            let mined = self
                .provider
                .get_transaction_count(self.account)
                .latest()
                .await
                .map_err(Error::rpc(action))?;
            if pending <= mined {
                return Ok(());
            }
            if started.elapsed() > self.confirm_timeout {
                return Err(Error::TransactionsInFlight {
                    account: self.account,
                    count: pending - mined,
                });
            }
            tokio::time::sleep(self.poll_interval()).await;
        }
    }

    /// Simulates `call`, then sends it with the next nonce and waits for it to be confirmed.
    pub async fn transact<D: CallDecoder>(
        &self,
        call: CallBuilder<&DynProvider, D>,
        action: &'static str,
    ) -> Result<Confirmed> {
        let gas = call.estimate_gas().await.map_err(Error::contract(action))?;
        let tx_hash = self.send(call, gas, action).await?;
        self.confirm(tx_hash).await
    }

    /// Sends `call` with the next nonce and a gas limit a fifth above `gas_estimate`.
    pub(crate) async fn send<D: CallDecoder>(
        &self,
        call: CallBuilder<&DynProvider, D>,
        gas_estimate: u64,
        action: &'static str,
    ) -> Result<B256> {
        let nonce = self.nonces.reserve(&self.provider).await?;
        let gas = gas_estimate.saturating_add(gas_estimate / 5);
        match call.nonce(nonce).gas(gas).send().await {
            Ok(pending) => Ok(*pending.tx_hash()),
            Err(error) => {
                self.nonces.reset().await;
                Err(Error::contract(action)(error))
            }
        }
    }

    /// Waits until `tx_hash` is mined with the configured confirmations and succeeded.
    pub async fn confirm(&self, tx_hash: B256) -> Result<Confirmed> {
        let started = Instant::now();
        loop {
            if let Some(receipt) = self.receipt(tx_hash).await? {
                let block_number = receipt.block_number.unwrap_or_default();
                let latest = self
                    .provider
                    .get_block_number()
                    .await
                    .map_err(Error::rpc("reading the block number"))?;
                // Read the receipt again after the wait: a reorg may have dropped or moved it.
                if latest + 1 >= block_number + self.confirmations
                    && self.receipt(tx_hash).await?.as_ref().map(|r| r.block_hash)
                        == Some(receipt.block_hash)
                {
                    if !receipt.status() {
                        return Err(Error::Reverted { tx_hash });
                    }
                    return Ok(Confirmed {
                        tx_hash,
                        block_number,
                        block_time: self.block_time(block_number).await?,
                        gas_used: receipt.gas_used,
                    });
                }
            }
            if started.elapsed() > self.confirm_timeout {
                return Err(Error::NotConfirmed {
                    tx_hash,
                    waited_secs: self.confirm_timeout.as_secs(),
                });
            }
            tokio::time::sleep(self.poll_interval()).await;
        }
    }

    /// Why the mined transaction `tx_hash` reverted: the registry's custom error, decoded
    /// from the node's trace of it, or [`Error::Reverted`] when the node does not say.
    pub async fn revert_error(&self, tx_hash: B256, action: &'static str) -> Error {
        let trace: Result<serde_json::Value, _> = self
            .provider
            .raw_request(
                "debug_traceTransaction".into(),
                (tx_hash, serde_json::json!({ "tracer": "callTracer" })),
            )
            .await;
        let output = trace.ok().and_then(|trace| {
            let output = trace.get("output")?.as_str()?;
            alloy::primitives::hex::decode(output).ok()
        });
        match output.and_then(|data| KycRegistry::KycRegistryErrors::abi_decode(&data).ok()) {
            Some(decoded) => Error::Revert {
                action,
                reason: format!(
                    "{} (transaction {tx_hash})",
                    kyc_contracts::describe_revert(&decoded)
                ),
            },
            None => Error::Reverted { tx_hash },
        }
    }

    /// The transaction and block of the `Attested` event that recorded `root` for
    /// `subject` at `issued_at`, the record's own timestamp.
    pub async fn find_attested(
        &self,
        subject: Address,
        root: B256,
        issued_at: u64,
    ) -> Result<Option<(B256, u64)>> {
        let latest = self
            .provider
            .get_block_number()
            .await
            .map_err(Error::rpc("reading the block number"))?;
        // Timestamps never decrease along the chain: bracket the blocks of that second.
        let first = self
            .first_block_after(issued_at, 0, latest + 1, false)
            .await?;
        let end = self
            .first_block_after(issued_at, first, latest + 1, true)
            .await?;
        let mut found = None;
        let mut from = first;
        while from < end {
            let to = (from + LOG_WINDOW).min(end) - 1;
            let filter = Filter::new()
                .address(self.registry_address())
                .event_signature(KycRegistry::Attested::SIGNATURE_HASH)
                .topic1(subject.into_word())
                .topic2(self.account.into_word())
                .from_block(from)
                .to_block(to);
            let logs = self
                .provider
                .get_logs(&filter)
                .await
                .map_err(Error::rpc("reading attestation events"))?;
            for log in logs {
                let attested = log.log_decode::<KycRegistry::Attested>().ok();
                if attested.is_some_and(|event| event.inner.data.root == root) {
                    if let (Some(tx), Some(block)) = (log.transaction_hash, log.block_number) {
                        found = Some((tx, block));
                    }
                }
            }
            from = to + 1;
        }
        Ok(found)
    }

    /// The first block in `[low, high)` whose timestamp is at least (or, with `strictly`,
    /// after) `time`; `high` when there is none.
    async fn first_block_after(
        &self,
        time: u64,
        mut low: u64,
        mut high: u64,
        strictly: bool,
    ) -> Result<u64> {
        while low < high {
            let middle = low + (high - low) / 2;
            let stamp = self.block_time(middle).await?;
            if stamp > time || (!strictly && stamp == time) {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        Ok(low)
    }

    async fn block_time(&self, number: u64) -> Result<u64> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(Error::rpc("reading a block"))?
            .ok_or_else(|| Error::Rpc {
                action: "reading a block",
                message: format!("the node has no block {number}"),
            })?;
        Ok(block.header.timestamp)
    }

    async fn receipt(&self, tx_hash: B256) -> Result<Option<TransactionReceipt>> {
        self.provider
            .get_transaction_receipt(tx_hash)
            .await
            .map_err(Error::rpc("reading a transaction receipt"))
    }

    fn poll_interval(&self) -> Duration {
        self.provider.client().poll_interval()
    }
}

/// The most blocks one `eth_getLogs` query spans.
const LOG_WINDOW: u64 = 10_000;
