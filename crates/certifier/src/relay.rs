//! Revoking our attestations, and relaying a subject's signed withdrawal so that the
//! subject needs no ether.

use std::path::Path;

use alloy::primitives::{Address, Bytes, B256};
use kyc_core::{
    eip712::{signing_hash, Withdraw},
    files::{parse_json, FormatVersion},
};
use serde::{Deserialize, Serialize};

use crate::{
    chain::Confirmed,
    check::{check_deadline, check_subject_signature},
    Chain, Error, Result,
};

/// Revokes our attestation of `subject`. The reason is public, on chain: never put
/// personal data in it.
pub async fn revoke(chain: &Chain, subject: Address, reason: &str) -> Result<Confirmed> {
    let call = chain
        .registry()
        .revoke(subject, reason.to_owned())
        .from(chain.account());
    chain.transact(call, "revoking").await
}

/// A subject's signed `Withdraw`, as a file for anyone to relay.
///
/// `{version, chain_id, registry, subject, certifier, nonce, deadline, signature}`;
/// unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRelay {
    /// Always 1.
    pub version: FormatVersion,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "checksummed")]
    pub registry: Address,
    /// The person withdrawing.
    #[serde(with = "checksummed")]
    pub subject: Address,
    /// The certifier whose attestation is withdrawn.
    #[serde(with = "checksummed")]
    pub certifier: Address,
    /// The registry's `nonces(subject, certifier)` when signing.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
    /// The subject's signature of the [`Withdraw`].
    pub signature: Bytes,
}

impl WithdrawRelay {
    /// Reads a relay file.
    pub fn read(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
        parse_json(&text).map_err(|source| Error::InvalidFile {
            path: path.to_owned(),
            source,
        })
    }

    /// The EIP-712 message the subject signed.
    pub fn message(&self) -> Withdraw {
        Withdraw {
            subject: self.subject,
            certifier: self.certifier,
            nonce: self.nonce,
            deadline: self.deadline,
        }
    }

    /// The digest of [`message`](Self::message) under this file's domain.
    pub fn signing_hash(&self) -> B256 {
        signing_hash(&self.message(), self.chain_id, self.registry)
    }
}

/// Checks a signed withdrawal (chain, registry, deadline, nonce, signature) and sends
/// `withdrawBySig`, paying its gas.
pub async fn relay_withdraw(chain: &Chain, relay: &WithdrawRelay) -> Result<Confirmed> {
    if relay.chain_id != chain.chain_id() {
        return Err(Error::WrongChain {
            file: relay.chain_id,
            chain: chain.chain_id(),
        });
    }
    if relay.registry != chain.registry_address() {
        return Err(Error::WrongRegistry {
            file: relay.registry,
            ours: chain.registry_address(),
        });
    }
    check_deadline(relay.deadline, chain.now().await?)?;
    let registry = chain.pair(relay.subject, relay.certifier).await?.nonce;
    if relay.nonce != registry {
        return Err(Error::WrongNonce {
            subject: relay.subject,
            file: relay.nonce,
            registry,
        });
    }
    check_subject_signature(chain, relay.subject, relay.signing_hash(), &relay.signature).await?;
    let call = chain
        .registry()
        .withdrawBySig(
            relay.subject,
            relay.certifier,
            relay.deadline,
            relay.signature.clone(),
        )
        .from(chain.account());
    chain.transact(call, "relaying the withdrawal").await
}

/// Addresses written with their EIP-55 checksum, read in any case.
mod checksummed {
    use alloy::primitives::Address;
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        address: &Address,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&address.to_checksum(None))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Address, D::Error> {
        let text = String::deserialize(deserializer)?;
        if !text.starts_with("0x") {
            return Err(D::Error::custom("expected a 0x-prefixed address"));
        }
        text.parse()
            .map_err(|_| D::Error::custom("expected a 20-byte hex address"))
    }
}
