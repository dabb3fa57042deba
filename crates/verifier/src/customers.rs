//! Monitored customers: every approved verdict makes its subject a customer of the
//! service, followed on the registry until the bank ends it or the person withdraws
//! consent.

use alloy::primitives::{Address, B256};
use kyc_core::attestation::{Attestation, Status};
use serde::{Deserialize, Serialize};

use crate::{events::EventType, Outcome, Reason, Verdict};

kyc_core::coded_enum! {
    /// Where a customer's verified attestation stands on the registry.
    pub enum CustomerStatus {
        /// The verified root is attested, live, by a current certifier.
        Active = "active",
        /// The certifier revoked the attestation.
        Revoked = "revoked",
        /// The customer withdrew the attestation.
        Withdrawn = "withdrawn",
        /// The attestation lapsed.
        Expired = "expired",
        /// The certifier attested another root: the verified claims are no longer attested.
        Reattested = "reattested",
        /// The certifier is no longer a certifier of the registry.
        CertifierRemoved = "certifier_removed",
    }
}

impl CustomerStatus {
    /// Why a customer in this status would not be verified today; `None` when active.
    pub fn reason(self) -> Option<Reason> {
        match self {
            Self::Active => None,
            Self::Revoked => Some(Reason::Revoked),
            Self::Withdrawn => Some(Reason::Withdrawn),
            Self::Expired => Some(Reason::AttestationExpired),
            Self::Reattested => Some(Reason::RootMismatch),
            Self::CertifierRemoved => Some(Reason::UntrustedCertifier),
        }
    }

    /// The event that tells a bank a customer came to this status.
    pub fn event(self) -> EventType {
        match self {
            Self::Active => EventType::CustomerReinstated,
            Self::Revoked => EventType::CustomerRevoked,
            Self::Withdrawn => EventType::CustomerWithdrawn,
            Self::Expired => EventType::CustomerExpired,
            Self::Reattested => EventType::CustomerReattested,
            Self::CertifierRemoved => EventType::CustomerCertifierRemoved,
        }
    }

    /// The status of a customer verified with `root`, given what the registry holds for
    /// the pair (`None`: nothing), whether the certifier is current, and the time `now`.
    pub fn on_chain(
        root: B256,
        attestation: Option<&Attestation>,
        certifier_current: bool,
        now: u64,
    ) -> Self {
        let Some(attestation) = attestation else {
            return Self::Withdrawn;
        };
        match attestation.status {
            Status::Revoked => Self::Revoked,
            Status::Withdrawn | Status::None => Self::Withdrawn,
            _ if attestation.root != root => Self::Reattested,
            _ if !certifier_current => Self::CertifierRemoved,
            _ if now >= attestation.expires_at => Self::Expired,
            _ => Self::Active,
        }
    }
}

/// A monitored customer and its current status.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// The person's address.
    #[serde(with = "kyc_core::hex::address")]
    pub subject: Address,
    /// The certifier of the verified attestation.
    #[serde(with = "kyc_core::hex::address")]
    pub certifier: Address,
    /// The verified root.
    pub root: B256,
    /// The session whose approved verdict made the customer.
    pub registration_id: B256,
    /// The status.
    pub status: CustomerStatus,
    /// The block the status was read at.
    pub block: u64,
    /// The transaction that brought the status, when one did.
    #[serde(default, with = "kyc_core::hex::option")]
    pub transaction: Option<B256>,
    /// When the attestation lapses, as last read (Unix seconds).
    pub expires_at: u64,
    /// When the customer was verified (Unix seconds).
    pub verified_at: u64,
    /// When the status was last set (Unix seconds).
    pub changed_at: u64,
}

impl Customer {
    /// The customer an approved verdict makes, active; `None` for any other verdict.
    pub fn of_verdict(verdict: &Verdict) -> Option<Self> {
        if verdict.outcome != Outcome::Approved {
            return None;
        }
        let attestation = verdict.attestation.as_ref()?;
        Some(Self {
            subject: verdict.subject?,
            certifier: verdict.certifier?,
            root: attestation.root,
            registration_id: verdict.registration_id?,
            status: CustomerStatus::Active,
            block: verdict.block_number.unwrap_or_default(),
            transaction: None,
            expires_at: attestation.expires_at,
            verified_at: verdict.verified_at,
            changed_at: verdict.verified_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use kyc_core::evidence::Evidence;

    use super::*;

    #[test]
    fn the_status_on_chain_puts_the_strongest_change_first() {
        let root = B256::repeat_byte(1);
        let attestation = |status: Status, root: B256| Attestation {
            root,
            issued_at: 10,
            expires_at: 100,
            evidence: Evidence::DOCUMENT,
            status,
        };
        let active = attestation(Status::Active, root);
        let status = |found: Option<&Attestation>, current, now| {
            CustomerStatus::on_chain(root, found, current, now)
        };
        assert_eq!(status(Some(&active), true, 99), CustomerStatus::Active);
        assert_eq!(status(Some(&active), true, 100), CustomerStatus::Expired);
        assert_eq!(
            status(Some(&active), false, 50),
            CustomerStatus::CertifierRemoved
        );
        let other = attestation(Status::Active, B256::repeat_byte(2));
        assert_eq!(status(Some(&other), false, 500), CustomerStatus::Reattested);
        let revoked = attestation(Status::Revoked, root);
        assert_eq!(status(Some(&revoked), false, 500), CustomerStatus::Revoked);
        let withdrawn = attestation(Status::Withdrawn, root);
        assert_eq!(
            status(Some(&withdrawn), true, 50),
            CustomerStatus::Withdrawn
        );
        assert_eq!(status(None, true, 50), CustomerStatus::Withdrawn);
        assert_eq!(CustomerStatus::Active.reason(), None);
        assert_eq!(
            CustomerStatus::Reattested.reason(),
            Some(Reason::RootMismatch)
        );
    }
}

/// Where a monitored customer stands, as a bank reads it: the record, why the customer
/// would not be verified today, and the last block the watcher has read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CustomerReport {
    /// The monitored customer.
    #[serde(flatten)]
    pub customer: Customer,
    /// Why the customer would not be verified today; `None` when active.
    pub reason: Option<Reason>,
    /// The last block the watcher has read: the status holds through it.
    pub checked_through: Option<u64>,
}
