//! The registry's owner side: deploying it, adding and removing certifiers, and
//! reading what it holds about a subject.

use std::fmt;

use alloy::{
    primitives::Address,
    providers::{DynProvider, Provider},
    rpc::types::Filter,
    sol_types::SolEvent,
};
use kyc_contracts::KycRegistry;
use kyc_core::{
    attestation::{Attestation, Status},
    text::printable,
    time::format_time,
};

use serde::Serialize;

use crate::{chain::Confirmed, Chain, Error, Result};

/// A registry deployed, and its owner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RegistryDeployed {
    /// The registry.
    #[serde(with = "kyc_core::hex")]
    pub registry: Address,
    /// Its owner.
    #[serde(with = "kyc_core::hex")]
    pub owner: Address,
}

impl fmt::Display for RegistryDeployed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.registry)
    }
}

/// A certifier added, with the transaction that added it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertifierAdded {
    /// The certifier.
    #[serde(with = "kyc_core::hex")]
    pub added: Address,
    /// Its display name.
    pub name: String,
    /// The transaction.
    #[serde(flatten)]
    pub confirmed: Confirmed,
}

impl fmt::Display for CertifierAdded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (added, name, tx) = (self.added, printable(&self.name), self.confirmed.tx_hash);
        write!(f, "added certifier {added} ({name}) in transaction {tx}")
    }
}

/// A certifier removed, with the transaction that removed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct CertifierRemoved {
    /// The certifier.
    #[serde(with = "kyc_core::hex")]
    pub removed: Address,
    /// The transaction.
    #[serde(flatten)]
    pub confirmed: Confirmed,
}

impl fmt::Display for CertifierRemoved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (removed, tx) = (self.removed, self.confirmed.tx_hash);
        write!(f, "removed certifier {removed} in transaction {tx}")
    }
}

/// Deploys a `KycRegistry` owned by `owner` (the account `provider` signs as) and
/// returns its address once the deployment is mined.
pub async fn deploy_registry(provider: &DynProvider, owner: Address) -> Result<Address> {
    KycRegistry::deploy_builder(provider, owner)
        .from(owner)
        .deploy()
        .await
        .map_err(Error::contract("deploying the registry"))
}

/// Adds `certifier` under a display name; the chain's account must own the registry.
pub async fn add_certifier(
    chain: &Chain,
    certifier: Address,
    name: &str,
) -> Result<CertifierAdded> {
    let call = chain
        .registry()
        .addCertifier(certifier, name.to_owned())
        .from(chain.account());
    Ok(CertifierAdded {
        added: certifier,
        name: name.to_owned(),
        confirmed: chain.transact(call, "adding the certifier").await?,
    })
}

/// Removes `certifier`; its attestations stop counting. Owner only.
pub async fn remove_certifier(chain: &Chain, certifier: Address) -> Result<CertifierRemoved> {
    let call = chain
        .registry()
        .removeCertifier(certifier)
        .from(chain.account());
    Ok(CertifierRemoved {
        removed: certifier,
        confirmed: chain.transact(call, "removing the certifier").await?,
    })
}

/// One certifier's attestation of a subject, as the registry holds it. In JSON the
/// attestation's fields stand beside the certifier's, and the name is `name`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CertifierAttestation {
    /// The certifier.
    #[serde(with = "kyc_core::hex")]
    pub certifier: Address,
    /// Its display name; empty once removed.
    #[serde(rename = "name")]
    pub certifier_name: String,
    /// Whether it is a current certifier.
    pub current: bool,
    /// The attestation (status `none` and a zero root when none).
    #[serde(flatten)]
    pub attestation: Attestation,
    /// The pair's next nonce.
    pub nonce: u64,
    /// The registry's `isVerified(subject, certifier, 0)`: active, unexpired, current certifier.
    pub verified: bool,
}

/// A subject's attestations, as [`attestations_of`] finds them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubjectAttestations {
    /// The subject.
    #[serde(with = "kyc_core::hex")]
    pub subject: Address,
    /// Its attestations, a certifier each.
    pub attestations: Vec<CertifierAttestation>,
}

impl fmt::Display for SubjectAttestations {
    /// A block per certifier: status, root, evidence, times, whether verified.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.attestations.is_empty() {
            return write!(f, "no attestations of {}", self.subject);
        }
        let time = |unix: u64| match unix {
            0 => "-".to_owned(),
            unix => format!("{} ({unix})", format_time(unix)),
        };
        for (i, one) in self.attestations.iter().enumerate() {
            let standing = if one.current { "current" } else { "removed" };
            let attestation = &one.attestation;
            if i > 0 {
                writeln!(f, "\n")?;
            }
            writeln!(
                f,
                "certifier {} {:?} ({standing})",
                one.certifier, one.certifier_name
            )?;
            writeln!(f, "  status    {}", attestation.status)?;
            writeln!(f, "  root      {}", attestation.root)?;
            writeln!(f, "  evidence  {}", attestation.evidence.names().join(", "))?;
            writeln!(f, "  issued    {}", time(attestation.issued_at))?;
            writeln!(f, "  expires   {}", time(attestation.expires_at))?;
            write!(f, "  verified  {}", if one.verified { "yes" } else { "no" })?;
        }
        Ok(())
    }
}

/// The attestations of `subject`: by `certifier` when given (even if there is none),
/// else by every certifier ever added that holds one.
pub async fn attestations_of(
    chain: &Chain,
    subject: Address,
    certifier: Option<Address>,
) -> Result<Vec<CertifierAttestation>> {
    let explicit = certifier;
    let certifiers = match explicit {
        Some(certifier) => vec![certifier],
        None => known_certifiers(chain).await?,
    };
    let mut found = Vec::new();
    for certifier in certifiers {
        let pair = chain.pair(subject, certifier).await?;
        if pair.attestation.status == Status::None && explicit.is_none() {
            continue;
        }
        let registry = chain.registry();
        let action = "reading the registry";
        let certifier_name = registry
            .certifierName(certifier)
            .call()
            .await
            .map_err(Error::contract(action))?;
        let verified = registry
            .isVerified(subject, certifier, 0)
            .call()
            .await
            .map_err(Error::contract(action))?;
        found.push(CertifierAttestation {
            certifier,
            current: !certifier_name.is_empty(),
            certifier_name,
            attestation: pair.attestation,
            nonce: pair.nonce,
            verified,
        });
    }
    Ok(found)
}

/// Every certifier the registry ever added, in the order of their first addition.
pub async fn known_certifiers(chain: &Chain) -> Result<Vec<Address>> {
    let filter = Filter::new()
        .address(chain.registry_address())
        .event_signature(KycRegistry::CertifierAdded::SIGNATURE_HASH)
        .from_block(0);
    let logs = chain
        .provider()
        .get_logs(&filter)
        .await
        .map_err(Error::rpc("reading certifier events"))?;
    let mut certifiers = Vec::new();
    for log in logs {
        if let Ok(added) = log.log_decode::<KycRegistry::CertifierAdded>() {
            let certifier = added.inner.data.certifier;
            if !certifiers.contains(&certifier) {
                certifiers.push(certifier);
            }
        }
    }
    Ok(certifiers)
}
