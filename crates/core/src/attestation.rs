//! An attestation as the registry holds it for a (subject, certifier) pair.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use crate::{evidence::Evidence, Error, Result};

crate::coded_enum! {
    /// The status of an attestation (`IKycRegistry.Status`).
    pub enum Status {
        /// Nothing was ever attested for the pair.
        None = "none",
        /// Attested and neither revoked nor withdrawn.
        Active = "active",
        /// The certifier revoked it.
        Revoked = "revoked",
        /// The subject withdrew it.
        Withdrawn = "withdrawn",
    }
}

impl Status {
    /// Reads the ABI value of the contract's `Status` enum, refusing values it does not define.
    pub fn from_abi(value: u8) -> Result<Self> {
        Ok(match value {
            0 => Self::None,
            1 => Self::Active,
            2 => Self::Revoked,
            3 => Self::Withdrawn,
            _ => return Err(Error::UnknownStatus(value)),
        })
    }
}

/// What the registry holds for a (subject, certifier) pair: `attestation(subject, certifier)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attestation {
    /// The attested Merkle root (zero when nothing was attested).
    pub root: B256,
    /// When it was recorded (Unix seconds).
    pub issued_at: u64,
    /// When it lapses (Unix seconds).
    pub expires_at: u64,
    /// How the certifier checked the person.
    pub evidence: Evidence,
    /// Active, revoked, withdrawn, or none.
    pub status: Status,
}

impl Attestation {
    /// Reads the registry's answer field by field (`root, issuedAt, expiresAt, evidence,
    /// status`), refusing evidence bits and statuses the registry does not define.
    pub fn from_abi(
        root: B256,
        issued_at: u64,
        expires_at: u64,
        evidence: u16,
        status: u8,
    ) -> Result<Self> {
        Ok(Self {
            root,
            issued_at,
            expires_at,
            evidence: Evidence::from_bits(evidence)?,
            status: Status::from_abi(status)?,
        })
    }

    /// Whether it is active and not yet lapsed at `now` (Unix seconds). Whether its
    /// certifier is a current one is for the caller to check.
    pub fn is_live(&self, now: u64) -> bool {
        self.status == Status::Active && now < self.expires_at
    }
}
