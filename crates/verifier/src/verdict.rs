//! The verdict on a submission: an outcome, every reason behind it, and what was verified.

use alloy::primitives::{Address, B256};
use kyc_core::{claims::Claim, evidence::Evidence};
use serde::{Deserialize, Serialize};

/// What a service may do with the person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Every check passed.
    Approved,
    /// Authentic and attested, but something asks a person to look (see [`Reason::is_review`]).
    Review,
    /// At least one check failed.
    Rejected,
}

/// Why a submission is not approved. Serialised in snake case (`bad_signature`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Not a submission: bad JSON, unknown fields, wrong sizes, non-canonical claims,
    /// leaves out of order.
    Malformed,
    /// The signature breaks the strict rules, recovers no signer, is an ERC-6492
    /// wrapper, or a contract subject refuses it (ERC-1271).
    BadSignature,
    /// The signature is valid but made by another key than the subject's.
    SignerMismatch,
    /// No session has this registration ID.
    UnknownRegistration,
    /// The session's time to live has passed.
    RegistrationExpired,
    /// The session has already been answered.
    RegistrationUsed,
    /// The consent names another service origin than the session's.
    WrongService,
    /// The consent is signed for another chain.
    WrongChain,
    /// The consent is signed for another registry.
    WrongRegistry,
    /// The certifier never attested the subject.
    NoAttestation,
    /// The root recomputed from the leaves is not the attested root (or the signed one).
    RootMismatch,
    /// The certifier revoked the attestation.
    Revoked,
    /// The subject withdrew the attestation.
    Withdrawn,
    /// The attestation has lapsed.
    AttestationExpired,
    /// The certifier is not a current certifier of the registry, or not one the policy trusts.
    UntrustedCertifier,
    /// The attestation lacks evidence the policy requires.
    InsufficientEvidence,
    /// A field the session or the policy asks for is not disclosed.
    MissingFields,
    /// Two disclosed leaves have the same key.
    DuplicateField,
    /// The attestation is older than the policy's longest acceptable age: review.
    AttestationTooOld,
}

impl Reason {
    /// Whether the reason only asks for a review rather than rejecting.
    pub fn is_review(self) -> bool {
        matches!(self, Self::AttestationTooOld)
    }

    /// The snake-case code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Self::Malformed => "malformed",
            Self::BadSignature => "bad_signature",
            Self::SignerMismatch => "signer_mismatch",
            Self::UnknownRegistration => "unknown_registration",
            Self::RegistrationExpired => "registration_expired",
            Self::RegistrationUsed => "registration_used",
            Self::WrongService => "wrong_service",
            Self::WrongChain => "wrong_chain",
            Self::WrongRegistry => "wrong_registry",
            Self::NoAttestation => "no_attestation",
            Self::RootMismatch => "root_mismatch",
            Self::Revoked => "revoked",
            Self::Withdrawn => "withdrawn",
            Self::AttestationExpired => "attestation_expired",
            Self::UntrustedCertifier => "untrusted_certifier",
            Self::InsufficientEvidence => "insufficient_evidence",
            Self::MissingFields => "missing_fields",
            Self::DuplicateField => "duplicate_field",
            Self::AttestationTooOld => "attestation_too_old",
        }
    }
}

impl std::fmt::Display for Reason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// The attestation as read from the registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestationInfo {
    /// The attested Merkle root.
    pub root: B256,
    /// When it was recorded (Unix seconds).
    pub issued_at: u64,
    /// When it lapses (Unix seconds).
    pub expires_at: u64,
    /// How the certifier checked the person, as names.
    pub evidence: Evidence,
    /// `active`, `revoked` or `withdrawn`.
    pub status: String,
}

/// The answer to one submission.
///
/// Disclosed claims are kept only for an authentic, attested submission (outcome
/// approved or review), and can be deleted later ([`Store::delete_disclosed`]),
/// which empties `claims` but keeps `fields`.
///
/// [`Store::delete_disclosed`]: crate::Store::delete_disclosed
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// Approved, review or rejected.
    pub outcome: Outcome,
    /// Every reason found, sorted; empty when approved.
    pub reasons: Vec<Reason>,
    /// The registration answered; absent when the submission does not parse.
    pub registration_id: Option<B256>,
    /// The subject the submission names.
    #[serde(default, with = "kyc_core::hex::option")]
    pub subject: Option<Address>,
    /// The certifier the submission names.
    #[serde(default, with = "kyc_core::hex::option")]
    pub certifier: Option<Address>,
    /// The certifier's name in the registry; absent for a certifier that is not current.
    pub certifier_name: Option<String>,
    /// The attestation read from the chain, when there is one.
    pub attestation: Option<AttestationInfo>,
    /// The block the attestation was read at.
    pub block_number: Option<u64>,
    /// The disclosed keys, in leaf order.
    pub fields: Vec<String>,
    /// The disclosed claims, in leaf order; empty when rejected or deleted.
    pub claims: Vec<Claim>,
    /// Whether disclosed claims were deleted (withdrawn consent or retention).
    pub claims_deleted: bool,
    /// When the verdict was reached (Unix seconds).
    pub verified_at: u64,
}

impl Verdict {
    /// The outcome that a set of reasons gives.
    pub fn outcome_of(reasons: &[Reason]) -> Outcome {
        if reasons.iter().any(|reason| !reason.is_review()) {
            Outcome::Rejected
        } else if reasons.is_empty() {
            Outcome::Approved
        } else {
            Outcome::Review
        }
    }

    /// Whether the outcome is approved.
    pub fn is_approved(&self) -> bool {
        self.outcome == Outcome::Approved
    }

    /// The verdict on an answer whose session another answer used up first: rejected
    /// as `registration_used`, without claims.
    pub(crate) fn lose_registration(&mut self) {
        self.reasons.push(Reason::RegistrationUsed);
        self.reasons.sort_unstable();
        self.reasons.dedup();
        self.outcome = Outcome::Rejected;
        self.claims.clear();
    }

    /// The verdict without claim values: what remains after deletion.
    pub fn without_claims(mut self) -> Self {
        if !self.claims.is_empty() {
            self.claims.clear();
            self.claims_deleted = true;
        }
        self
    }
}
