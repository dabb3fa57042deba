//! Revoking our attestations, and relaying a subject's signed withdrawal so that the
//! subject needs no ether.

use std::fmt;

use alloy::primitives::{Address, B256};
use kyc_core::files::WithdrawRelay;
use serde::Serialize;

use crate::{
    chain::Confirmed,
    check::{check_deadline, check_subject_signature, onchain_signature},
    Chain, Error, Result,
};

/// A confirmed revocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Revoked {
    /// The subject whose attestation was revoked.
    #[serde(with = "kyc_core::hex")]
    pub revoked: Address,
    /// The certifier that revoked it.
    #[serde(with = "kyc_core::hex")]
    pub certifier: Address,
    /// The transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
}

impl fmt::Display for Revoked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subject, tx, block) = (self.revoked, self.tx_hash, self.block_number);
        write!(f, "revoked {subject} in transaction {tx} (block {block})")
    }
}

/// A confirmed withdrawal, relayed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Withdrawn {
    /// The subject who withdrew.
    #[serde(with = "kyc_core::hex")]
    pub withdrawn: Address,
    /// The certifier whose attestation it was.
    #[serde(with = "kyc_core::hex")]
    pub certifier: Address,
    /// The transaction.
    pub tx_hash: B256,
    /// Its block.
    pub block_number: u64,
}

impl fmt::Display for Withdrawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subject, certifier) = (self.withdrawn, self.certifier);
        let (tx, block) = (self.tx_hash, self.block_number);
        write!(
            f,
            "withdrew the attestation of {subject} by {certifier} in transaction {tx} (block {block})"
        )
    }
}

/// Revokes our attestation of `subject`. The reason is public, on chain: never put
/// personal data in it.
pub async fn revoke(chain: &Chain, subject: Address, reason: &str) -> Result<Revoked> {
    let call = chain
        .registry()
        .revoke(subject, reason.to_owned())
        .from(chain.account());
    let Confirmed {
        tx_hash,
        block_number,
        ..
    } = chain.transact(call, "revoking").await?;
    Ok(Revoked {
        revoked: subject,
        certifier: chain.account(),
        tx_hash,
        block_number,
    })
}

/// Checks a signed withdrawal (chain, registry, deadline, nonce, signature) and sends
/// `withdrawBySig`, paying its gas.
pub async fn relay_withdraw(chain: &Chain, relay: &WithdrawRelay) -> Result<Withdrawn> {
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
            onchain_signature(relay.subject, relay.signing_hash(), &relay.signature),
        )
        .from(chain.account());
    let Confirmed {
        tx_hash,
        block_number,
        ..
    } = chain.transact(call, "relaying the withdrawal").await?;
    Ok(Withdrawn {
        withdrawn: relay.subject,
        certifier: relay.certifier,
        tx_hash,
        block_number,
    })
}
