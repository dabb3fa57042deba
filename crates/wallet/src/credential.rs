//! Credentials: checked against the chain and the wallet's own request before they are
//! kept, and listed with their status as the chain tells it.

use kyc_core::{
    attestation::{Attestation, Status},
    files::{Credential, JsonFile, Request},
};

use crate::{chain::RegistryClient, Error, Result, Wallet};

/// Checks a credential and stores it in the wallet.
///
/// The credential must be consistent (its claims give its root), answer a request the wallet made (same chain, registry,
/// subject, certifier, root, claims and salts), and the registry must hold its root
/// for the subject from that certifier, active, unexpired, with the stated times and
/// evidence, recorded by the stated transaction.
pub async fn import_credential(
    wallet: &Wallet,
    registry: &RegistryClient,
    credential: Credential,
) -> Result<Credential> {
    credential.check()?;
    registry.check_same("the credential", credential.chain_id, credential.registry)?;
    let requests = wallet.requests()?;
    let request = requests
        .iter()
        .find(|request| answers(request, &credential))
        .ok_or(Error::NoMatchingRequest {
            root: credential.root,
            subject: credential.subject,
            certifier: credential.certifier,
        })?;
    check_against_request(&credential, request)?;
    check_against_chain(&credential, registry).await?;
    wallet.save_credential(&credential)?;
    Ok(credential)
}

fn answers(request: &Request, credential: &Credential) -> bool {
    request.chain_id == credential.chain_id
        && request.registry == credential.registry
        && request.subject == credential.subject
        && request.certifier == credential.certifier
        && request.root == credential.root
}

/// Checks that a credential holds exactly the claims and salts of the request it answers.
pub fn check_against_request(credential: &Credential, request: &Request) -> Result<()> {
    if credential.claims.len() != request.claims.len() {
        return Err(Error::ClaimsDiffer(format!(
            "{} claims instead of {}",
            credential.claims.len(),
            request.claims.len()
        )));
    }
    for (theirs, ours) in credential.claims.iter().zip(&request.claims) {
        if theirs.key != ours.key {
            return Err(Error::ClaimsDiffer(format!(
                "claim {} where the request has {}",
                theirs.key, ours.key
            )));
        }
        if theirs.value != ours.value {
            return Err(Error::ClaimsDiffer(format!(
                "the value of {} differs",
                ours.key
            )));
        }
        if theirs.salt != ours.salt {
            return Err(Error::ClaimsDiffer(format!(
                "the salt of {} differs",
                ours.key
            )));
        }
    }
    Ok(())
}

/// Checks that the registry holds the credential as stated and that it is live.
pub async fn check_against_chain(credential: &Credential, registry: &RegistryClient) -> Result<()> {
    registry.check_same("the credential", credential.chain_id, credential.registry)?;
    let stored = registry
        .attestation(credential.subject, credential.certifier)
        .await?;
    let now = registry.chain_time().await?;
    compare_attestation(credential, &stored, now)?;
    if !registry.is_certifier(credential.certifier).await? {
        return Err(Error::NotCertifier(credential.certifier));
    }
    match registry.transaction_outcome(credential.tx_hash).await? {
        Some((block, true)) if block == credential.block_number => Ok(()),
        Some((block, true)) => Err(Error::NotOnChain(format!(
            "transaction {} is in block {block}, not {}",
            credential.tx_hash, credential.block_number
        ))),
        Some((_, false)) => Err(Error::NotOnChain(format!(
            "transaction {} failed",
            credential.tx_hash
        ))),
        None => Err(Error::NotOnChain(format!(
            "no transaction {} on this chain",
            credential.tx_hash
        ))),
    }
}

/// Compares a credential with the registry's record at chain time `now`.
pub fn compare_attestation(credential: &Credential, stored: &Attestation, now: u64) -> Result<()> {
    let mismatch = |what: String| Err(Error::NotOnChain(what));
    if stored.root != credential.root {
        return mismatch(format!(
            "the registry holds root {} for this subject and certifier, not {}",
            stored.root, credential.root
        ));
    }
    if stored.status != Status::Active {
        return mismatch(format!("the attestation is {}", stored.status));
    }
    if stored.expires_at <= now {
        return mismatch(format!("the attestation expired at {}", stored.expires_at));
    }
    if stored.issued_at != credential.issued_at || stored.expires_at != credential.expires_at {
        return mismatch(format!(
            "the registry says issued at {} and expiring at {}, the credential {} and {}",
            stored.issued_at, stored.expires_at, credential.issued_at, credential.expires_at
        ));
    }
    if stored.evidence != credential.evidence {
        return mismatch(format!(
            "the registry records evidence bits {:#x}, the credential {:#x}",
            stored.evidence.bits(),
            credential.evidence.bits()
        ));
    }
    Ok(())
}

kyc_core::coded_enum! {
    /// A credential's standing as the chain tells it.
    pub enum CredentialStatus {
        /// Active, unexpired, from a current certifier.
        Active = "active",
        /// Past its expiry.
        Expired = "expired",
        /// The certifier revoked it.
        Revoked = "revoked",
        /// The subject withdrew it.
        Withdrawn = "withdrawn",
        /// A newer attestation from the same certifier replaced it.
        Replaced = "replaced",
        /// The certifier was removed from the registry.
        CertifierRemoved = "certifier_removed",
        /// The credential is for another chain than the one connected.
        OtherChain = "other_chain",
    }
}

/// Reads a credential's status from its registry; a credential for another chain is
/// [`CredentialStatus::OtherChain`], one for another registry an error.
pub async fn credential_status(
    credential: &Credential,
    registry: &RegistryClient,
) -> Result<CredentialStatus> {
    if credential.chain_id != registry.chain_id() {
        return Ok(CredentialStatus::OtherChain);
    }
    registry.check_same("the credential", credential.chain_id, credential.registry)?;
    let stored = registry
        .attestation(credential.subject, credential.certifier)
        .await?;
    let status = if stored.root != credential.root {
        CredentialStatus::Replaced
    } else {
        match stored.status {
            Status::Revoked => CredentialStatus::Revoked,
            Status::Withdrawn => CredentialStatus::Withdrawn,
            // A root is never zero, so `None` with this root cannot happen; treat it as replaced.
            Status::None => CredentialStatus::Replaced,
            Status::Active if stored.expires_at <= registry.chain_time().await? => {
                CredentialStatus::Expired
            }
            Status::Active if !registry.is_certifier(credential.certifier).await? => {
                CredentialStatus::CertifierRemoved
            }
            Status::Active => CredentialStatus::Active,
        }
    };
    Ok(status)
}

/// A credential of the wallet with its status on chain, as `kyc user show` lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CredentialEntry {
    /// The status the chain gives it.
    pub status: CredentialStatus,
    /// The certifier.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub certifier: alloy::primitives::Address,
    /// The certifier's name in the registry; empty for another chain or a removed certifier.
    pub certifier_name: String,
    /// The subject.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub subject: alloy::primitives::Address,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub registry: alloy::primitives::Address,
    /// The attested root.
    pub root: alloy::primitives::B256,
    /// The evidence the certifier checked.
    pub evidence: kyc_core::evidence::Evidence,
    /// When it was attested.
    pub issued_at: u64,
    /// When it expires.
    pub expires_at: u64,
    /// The claim keys it holds, in leaf order.
    pub fields: Vec<String>,
}

/// Every credential of the wallet, oldest first, with its status read from the chain
/// `provider` serves (credentials for other chains are [`CredentialStatus::OtherChain`]).
pub async fn list_credentials(
    wallet: &Wallet,
    provider: alloy::providers::DynProvider,
) -> Result<Vec<CredentialEntry>> {
    use alloy::providers::Provider;
    let credentials = wallet.credentials()?;
    if credentials.is_empty() {
        return Ok(Vec::new());
    }
    let chain_id = provider
        .get_chain_id()
        .await
        .map_err(|e| Error::Rpc(e.to_string()))?;
    let mut entries = Vec::with_capacity(credentials.len());
    for credential in credentials {
        let (status, certifier_name) = if credential.chain_id == chain_id {
            let registry = RegistryClient::connect(provider.clone(), credential.registry).await?;
            (
                credential_status(&credential, &registry).await?,
                registry.certifier_name(credential.certifier).await?,
            )
        } else {
            (CredentialStatus::OtherChain, String::new())
        };
        entries.push(CredentialEntry {
            status,
            certifier: credential.certifier,
            certifier_name,
            subject: credential.subject,
            chain_id: credential.chain_id,
            registry: credential.registry,
            root: credential.root,
            evidence: credential.evidence,
            issued_at: credential.issued_at,
            expires_at: credential.expires_at,
            fields: credential
                .claims
                .into_iter()
                .map(|claim| claim.key)
                .collect(),
        });
    }
    Ok(entries)
}
