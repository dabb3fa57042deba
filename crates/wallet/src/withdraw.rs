//! Withdrawals: of an attestation (a signed `Withdraw` that anyone may relay) and of a
//! consent (a signed `ConsentWithdrawal` asking a service to delete what it received).

use alloy::{
    primitives::{Address, Bytes, B256},
    signers::local::PrivateKeySigner,
};
use kyc_contracts::Status;
use kyc_core::{
    eip712::{signing_hash, ConsentWithdrawal, Withdraw},
    files::{FormatVersion, JsonFile},
    signature::recover_signer,
};
use serde::{Deserialize, Serialize};

use crate::{chain::RegistryClient, request::sign_digest, Error, Result};

/// A signed `Withdraw`, as a file a certifier relays with `kyc certifier relay FILE`
/// (`withdrawBySig`, paying the gas), so the subject needs no ether.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRelay {
    /// Always 1.
    pub version: FormatVersion,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "crate::hex")]
    pub registry: Address,
    /// The person withdrawing.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// The certifier whose attestation is withdrawn.
    #[serde(with = "crate::hex")]
    pub certifier: Address,
    /// The registry's `nonces(subject, certifier)` when signing.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
    /// The subject's signature of the [`Withdraw`].
    #[serde(with = "crate::hex")]
    pub signature: Bytes,
}

impl WithdrawRelay {
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

impl JsonFile for WithdrawRelay {
    /// Checks that the signature is `subject`'s (wallets sign with a key, so a relay file
    /// always holds a 65-byte signature).
    fn check(&self) -> kyc_core::Result<()> {
        if recover_signer(self.signing_hash(), &self.signature)? != self.subject {
            return Err(kyc_core::Error::InvalidField {
                field: "signature",
                reason: "is not the subject's signature of this withdrawal",
            });
        }
        Ok(())
    }
}

/// Signs a `Withdraw` of `certifier`'s attestation with the pair's current nonce, after
/// checking the attestation is active and the deadline after the chain's time.
pub async fn prepare_withdraw(
    registry: &RegistryClient,
    signer: &PrivateKeySigner,
    certifier: Address,
    deadline: u64,
) -> Result<WithdrawRelay> {
    let subject = signer.address();
    let stored = registry.attestation(subject, certifier).await?;
    if stored.status != Status::Active {
        return Err(Error::NotOnChain(format!(
            "the attestation of {subject} by {certifier} is {}, so there is nothing to withdraw",
            stored.status
        )));
    }
    let now = registry.chain_time().await?;
    if deadline <= now {
        return Err(Error::DeadlinePassed { deadline, now });
    }
    let nonce = registry.nonce(subject, certifier).await?;
    sign_withdraw(
        signer,
        registry.chain_id(),
        registry.address(),
        certifier,
        nonce,
        deadline,
    )
}

/// Signs a `Withdraw` for the given chain, registry, certifier, nonce and deadline.
pub fn sign_withdraw(
    signer: &PrivateKeySigner,
    chain_id: u64,
    registry: Address,
    certifier: Address,
    nonce: u64,
    deadline: u64,
) -> Result<WithdrawRelay> {
    let mut relay = WithdrawRelay {
        version: FormatVersion,
        chain_id,
        registry,
        subject: signer.address(),
        certifier,
        nonce,
        deadline,
        signature: Bytes::new(),
    };
    relay.signature = sign_digest(signer, relay.signing_hash())?.into();
    Ok(relay)
}

/// A signed `ConsentWithdrawal`: the body posted to `{service}/v1/sessions/{rid}/withdrawal`.
///
/// The EIP-712 domain is the chain and registry of the consent, which the service knows
/// from its session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedConsentWithdrawal {
    /// Always 1.
    pub version: FormatVersion,
    /// The registration the service should forget.
    #[serde(with = "crate::hex")]
    pub registration_id: B256,
    /// The service's origin.
    pub service: String,
    /// The person asking.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// When the person signed.
    pub signed_at: u64,
    /// The subject's signature of the [`ConsentWithdrawal`].
    #[serde(with = "crate::hex")]
    pub signature: Bytes,
}

impl SignedConsentWithdrawal {
    /// Signs a withdrawal of the consent given for `registration_id` to `service`.
    pub fn sign(
        signer: &PrivateKeySigner,
        registration_id: B256,
        service: &str,
        signed_at: u64,
        chain_id: u64,
        registry: Address,
    ) -> Result<Self> {
        let mut withdrawal = Self {
            version: FormatVersion,
            registration_id,
            service: service.to_owned(),
            subject: signer.address(),
            signed_at,
            signature: Bytes::new(),
        };
        let digest = signing_hash(&withdrawal.message(), chain_id, registry);
        withdrawal.signature = sign_digest(signer, digest)?.into();
        Ok(withdrawal)
    }

    /// The EIP-712 message the subject signed.
    pub fn message(&self) -> ConsentWithdrawal {
        ConsentWithdrawal {
            subject: self.subject,
            registrationId: self.registration_id,
            service: self.service.clone(),
            signedAt: self.signed_at,
        }
    }

    /// Where the service takes it: `{service}/v1/sessions/{registration_id}/withdrawal`.
    pub fn url(&self) -> String {
        format!(
            "{}/v1/sessions/{}/withdrawal",
            self.service, self.registration_id
        )
    }
}
