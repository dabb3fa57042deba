//! Revoking our attestations, and relaying a subject's signed withdrawal so that the
//! subject needs no ether.

use alloy::primitives::Address;
use kyc_core::files::WithdrawRelay;

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
