//! What the wallet reads from and sends to the `KycRegistry`.

use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider},
};
use kyc_contracts::{decode_revert, describe_revert, KycRegistry};
use kyc_core::{attestation::Attestation, files::WithdrawRelay};

use crate::{Error, Result};

/// A registry on a chain the wallet has checked it can reach.
#[derive(Clone, Debug)]
pub struct RegistryClient {
    registry: KycRegistry::KycRegistryInstance<DynProvider>,
    chain_id: u64,
}

impl RegistryClient {
    /// Connects to the registry at `registry`, checking the chain answers and has code there.
    pub async fn connect(provider: DynProvider, registry: Address) -> Result<Self> {
        let chain_id = provider.get_chain_id().await.map_err(rpc_error)?;
        let code = provider.get_code_at(registry).await.map_err(rpc_error)?;
        if code.is_empty() {
            return Err(Error::NoRegistry { chain_id, registry });
        }
        Ok(Self {
            registry: KycRegistry::new(registry, provider),
            chain_id,
        })
    }

    /// The chain ID.
    pub fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The registry's address.
    pub fn address(&self) -> Address {
        *self.registry.address()
    }

    /// Checks that a file's chain and registry are this one's.
    pub fn check_same(&self, what: &'static str, chain_id: u64, registry: Address) -> Result<()> {
        if chain_id != self.chain_id {
            return Err(Error::WrongChain {
                what,
                expected: chain_id,
                actual: self.chain_id,
            });
        }
        if registry != self.address() {
            return Err(Error::WrongRegistry {
                what,
                expected: registry,
                actual: self.address(),
            });
        }
        Ok(())
    }

    /// The nonce the next `AttestRequest` or `Withdraw` of the pair must carry.
    pub async fn nonce(&self, subject: Address, certifier: Address) -> Result<u64> {
        self.registry
            .nonces(subject, certifier)
            .call()
            .await
            .map_err(contract_error)
    }

    /// Whether `certifier` is a current certifier.
    pub async fn is_certifier(&self, certifier: Address) -> Result<bool> {
        self.registry
            .isCertifier(certifier)
            .call()
            .await
            .map_err(contract_error)
    }

    /// The display name of a current certifier; empty for others.
    pub async fn certifier_name(&self, certifier: Address) -> Result<String> {
        self.registry
            .certifierName(certifier)
            .call()
            .await
            .map_err(contract_error)
    }

    /// The attestation of `subject` by `certifier`.
    pub async fn attestation(&self, subject: Address, certifier: Address) -> Result<Attestation> {
        let stored = self
            .registry
            .attestation(subject, certifier)
            .call()
            .await
            .map_err(contract_error)?;
        Attestation::from_abi(
            stored.root,
            stored.issuedAt,
            stored.expiresAt,
            stored.evidence,
            stored.status,
        )
        .map_err(|e| Error::Rpc(format!("undecodable attestation: {e}")))
    }

    /// The timestamp of the latest block: the time the contract compares deadlines with.
    pub async fn chain_time(&self) -> Result<u64> {
        let block = self
            .registry
            .provider()
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc_error)?
            .ok_or_else(|| Error::Rpc("the chain has no latest block".to_owned()))?;
        Ok(block.header.timestamp)
    }

    /// The block that included a transaction and whether it succeeded; `None` if unknown.
    pub async fn transaction_outcome(&self, tx_hash: B256) -> Result<Option<(u64, bool)>> {
        let receipt = self
            .registry
            .provider()
            .get_transaction_receipt(tx_hash)
            .await
            .map_err(rpc_error)?;
        Ok(receipt.and_then(|receipt| receipt.block_number.map(|block| (block, receipt.status()))))
    }

    /// Sends `withdrawBySig` for a signed withdrawal and waits for it to be mined; the
    /// provider's wallet pays the gas. Returns the transaction hash.
    pub async fn withdraw_by_sig(&self, relay: &WithdrawRelay) -> Result<B256> {
        if relay.chain_id != self.chain_id || relay.registry != self.address() {
            return Err(Error::RelayElsewhere {
                chain_id: relay.chain_id,
                registry: relay.registry,
            });
        }
        let call = self.registry.withdrawBySig(
            relay.subject,
            relay.certifier,
            relay.deadline,
            relay.signature.clone(),
        );
        // A dry run first turns a revert into the registry's custom error.
        call.call().await.map_err(contract_error)?;
        let receipt = call
            .send()
            .await
            .map_err(contract_error)?
            .get_receipt()
            .await
            .map_err(|e| Error::Rpc(e.to_string()))?;
        if !receipt.status() {
            return Err(Error::Revert(format!(
                "withdrawBySig transaction {} failed",
                receipt.transaction_hash
            )));
        }
        Ok(receipt.transaction_hash)
    }
}

fn rpc_error(error: impl std::fmt::Display) -> Error {
    Error::Rpc(error.to_string())
}

/// A registry revert as its custom error; anything else as a chain error.
fn contract_error(error: alloy::contract::Error) -> Error {
    match decode_revert(&error) {
        Some(revert) => Error::Revert(describe_revert(&revert)),
        None => Error::Rpc(error.to_string()),
    }
}
