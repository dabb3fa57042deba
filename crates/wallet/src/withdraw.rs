//! Withdrawals: of an attestation (a signed `Withdraw` that anyone may relay) and of a
//! consent (a signed `ConsentWithdrawal` asking a service to delete what it received).

use std::{
    fmt,
    path::{Path, PathBuf},
};

use alloy::{
    primitives::{Address, Bytes, B256},
    signers::local::PrivateKeySigner,
};
use kyc_core::{
    attestation::Status,
    files::{FormatVersion, JsonFile, SignedConsentWithdrawal, WithdrawRelay},
    signature::recover_signer,
    text::printable,
};

use crate::{chain::RegistryClient, folder::io_error, request::sign_digest, Error, Result};

/// Reads a relay file and checks that the signature is `subject`'s: wallets sign with
/// a key, so a relay file of theirs holds an ECDSA signature.
pub fn read_relay(text: &str) -> Result<WithdrawRelay> {
    let relay = WithdrawRelay::from_json(text)?;
    if recover_signer(relay.signing_hash(), &relay.signature)? != relay.subject {
        return Err(kyc_core::Error::InvalidField {
            field: "signature",
            reason: "is not the subject's signature of this withdrawal",
        }
        .into());
    }
    Ok(relay)
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

/// Signs a withdrawal of the consent given for `registration_id` to `service`, under the
/// consent's chain and registry.
pub fn sign_consent_withdrawal(
    signer: &PrivateKeySigner,
    registration_id: B256,
    service: &str,
    signed_at: u64,
    chain_id: u64,
    registry: Address,
) -> Result<SignedConsentWithdrawal> {
    let mut withdrawal = SignedConsentWithdrawal {
        version: FormatVersion,
        registration_id,
        service: service.to_owned(),
        subject: signer.address(),
        signed_at,
        signature: Bytes::new(),
    };
    withdrawal.signature = sign_digest(signer, withdrawal.signing_hash(chain_id, registry))?.into();
    Ok(withdrawal)
}

/// A consent withdrawal the service accepted.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ConsentWithdrawn {
    /// The registration the consent was given under.
    pub registration_id: B256,
    /// The service's origin.
    pub service: String,
    /// The service's display name.
    pub name: String,
    /// When the withdrawal was signed.
    pub withdrawn_at: u64,
    /// The service's answer.
    pub answer: serde_json::Value,
}

/// Withdraws the consent logged for `registration_id`: signs a `ConsentWithdrawal` at
/// `signed_at`, posts it to the service, and marks the log once the service accepts.
pub async fn withdraw_consent(
    wallet: &crate::Wallet,
    signer: &PrivateKeySigner,
    client: &crate::http::ServiceClient,
    registration_id: B256,
    signed_at: u64,
) -> Result<ConsentWithdrawn> {
    let log = wallet.consent_log();
    let consent = log.find(registration_id)?;
    let withdrawal = sign_consent_withdrawal(
        signer,
        consent.registration_id,
        &consent.service,
        signed_at,
        consent.chain_id,
        consent.registry,
    )?;
    let answer = client
        .withdraw_consent(&consent.withdrawal_url()?, &withdrawal)
        .await?;
    log.mark_withdrawn(consent.registration_id, signed_at)?;
    Ok(ConsentWithdrawn {
        registration_id: consent.registration_id,
        service: consent.service,
        name: consent.name,
        withdrawn_at: signed_at,
        answer,
    })
}

/// A signed withdrawal written to a file for a relayer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RelayWritten {
    /// The relay file.
    pub relay_file: PathBuf,
    /// The subject.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub subject: Address,
    /// The certifier whose attestation it withdraws.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub certifier: Address,
    /// The pair's nonce signed.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
}

/// Writes a signed withdrawal to `out` for a relayer.
pub fn write_relay(relay: &WithdrawRelay, out: &Path) -> Result<RelayWritten> {
    std::fs::write(out, relay.to_json()? + "\n").map_err(io_error("cannot write", out))?;
    Ok(RelayWritten {
        relay_file: out.to_owned(),
        subject: relay.subject,
        certifier: relay.certifier,
        nonce: relay.nonce,
        deadline: relay.deadline,
    })
}

/// An attestation withdrawn by a transaction of the subject's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AttestationWithdrawn {
    /// Always true.
    pub withdrawn: bool,
    /// The subject.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub subject: Address,
    /// The certifier whose attestation it was.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub certifier: Address,
    /// The transaction.
    pub tx_hash: B256,
}

impl fmt::Display for AttestationWithdrawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subject, certifier, tx) = (self.subject, self.certifier, self.tx_hash);
        write!(
            f,
            "withdrew the attestation of {subject} by {certifier} in transaction {tx}"
        )
    }
}

/// Sends the subject's signed withdrawal (`withdrawBySig`) itself, paying the gas.
pub async fn send_withdraw(
    registry: &RegistryClient,
    relay: &WithdrawRelay,
) -> Result<AttestationWithdrawn> {
    Ok(AttestationWithdrawn {
        withdrawn: true,
        subject: relay.subject,
        certifier: relay.certifier,
        tx_hash: registry.withdraw_by_sig(relay).await?,
    })
}

impl fmt::Display for ConsentWithdrawn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (name, service) = (printable(&self.name), printable(&self.service));
        let registration_id = self.registration_id;
        write!(
            f,
            "{name} ({service}) accepted the withdrawal of registration {registration_id}"
        )
    }
}
