//! A service's policy: whom it trusts, what evidence and fields it needs, how
//! old an attestation may be and how many confirmations it needs. Read from TOML:
//!
//! ```toml
//! trusted_certifiers = ["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"]
//! required_evidence = ["document", "face"]
//! required_fields = ["given_name", "family_name", "birthdate"]
//! max_attestation_age = "365d"
//! confirmations = 2
//! ```
//!
//! Every key is optional; unknown keys are refused.

use std::{path::Path, time::Duration};

use alloy::primitives::Address;
use kyc_core::{claims::check_key, evidence::Evidence};
use serde::Deserialize;

use crate::{Error, Result};

/// What a service requires of a submission beyond the protocol's own checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// The certifiers accepted; empty means every current certifier of the registry.
    pub trusted_certifiers: Vec<Address>,
    /// Evidence every attestation must carry.
    pub required_evidence: Evidence,
    /// Fields every submission must disclose, beyond the session's.
    pub required_fields: Vec<String>,
    /// An older attestation (by its `issuedAt`) gets a review rather than an approval.
    pub max_attestation_age: Option<Duration>,
    /// How many blocks must follow the one that recorded an attestation before it counts;
    /// a revocation, withdrawal, expiry or certifier removal counts at once.
    pub confirmations: u64,
}

/// The TOML form, before checks.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    #[serde(default)]
    trusted_certifiers: Vec<String>,
    #[serde(default)]
    required_evidence: Vec<String>,
    #[serde(default)]
    required_fields: Vec<String>,
    max_attestation_age: Option<String>,
    #[serde(default)]
    confirmations: u64,
}

impl Policy {
    /// Parses and checks a policy in TOML.
    pub fn from_toml(text: &str) -> Result<Self> {
        let file: PolicyFile = serde_path_to_error::deserialize(toml::Deserializer::new(text))
            .map_err(|e| {
                let path = e.path().to_string();
                let e = e.into_inner();
                let line = e
                    .span()
                    .and_then(|span| text.get(..span.start))
                    .map_or(1, |before| before.matches('\n').count() + 1);
                let at = if path == "." {
                    String::new()
                } else {
                    format!(" {path}")
                };
                Error::Policy(format!("line {line}{at}: {}", e.message()))
            })?;
        let mut trusted_certifiers = Vec::with_capacity(file.trusted_certifiers.len());
        for text in &file.trusted_certifiers {
            let certifier: Address = text.parse().map_err(|_| {
                Error::Policy(format!("trusted_certifiers: {text:?} is not an address"))
            })?;
            if certifier.is_zero() || trusted_certifiers.contains(&certifier) {
                return Err(Error::Policy(format!(
                    "trusted_certifiers: {certifier} is zero or listed twice"
                )));
            }
            trusted_certifiers.push(certifier);
        }
        let required_evidence =
            Evidence::from_names(file.required_evidence.iter().map(String::as_str))
                .map_err(|e| Error::Policy(format!("required_evidence: {e}")))?;
        for (index, field) in file.required_fields.iter().enumerate() {
            check_key(field).map_err(|e| Error::Policy(format!("required_fields: {e}")))?;
            if file.required_fields[..index].contains(field) {
                return Err(Error::Policy(format!(
                    "required_fields: {field} is listed twice"
                )));
            }
        }
        let max_attestation_age = file
            .max_attestation_age
            .map(|text| {
                kyc_core::time::parse_duration(&text)
                    .map_err(|e| Error::Policy(format!("max_attestation_age: {text:?}: {e}")))
            })
            .transpose()?;
        Ok(Self {
            trusted_certifiers,
            required_evidence,
            required_fields: file.required_fields,
            max_attestation_age,
            confirmations: file.confirmations,
        })
    }

    /// Reads a policy file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Policy(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| match e {
            Error::Policy(reason) => Error::Policy(format!("{}: {reason}", path.display())),
            other => other,
        })
    }

    /// [`load`](Self::load) of the policy file, if any; the default policy without one.
    pub fn load_or_default(path: Option<&Path>) -> Result<Self> {
        path.map_or_else(|| Ok(Self::default()), Self::load)
    }

    /// Whether the policy accepts `certifier` (a current certifier of the registry).
    pub fn trusts(&self, certifier: Address) -> bool {
        self.trusted_certifiers.is_empty() || self.trusted_certifiers.contains(&certifier)
    }
}
