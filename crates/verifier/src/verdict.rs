//! The verdict on a submission: an outcome, every reason behind it, and what was verified.

use std::fmt;

use alloy::primitives::{Address, B256};
use kyc_core::{attestation::Attestation, claims::Claim};
use serde::{Deserialize, Serialize};

kyc_core::coded_enum! {
    /// What a service may do with the person.
    pub enum Outcome {
        /// Every check passed.
        Approved = "approved",
        /// Authentic and attested, but something asks a person to look (see [`Reason::is_review`]).
        Review = "review",
        /// At least one check failed.
        Rejected = "rejected",
    }
}

kyc_core::coded_enum! {
    /// Why a submission is not approved, as its code (`bad_signature`).
    pub enum Reason {
        /// Not a submission: bad JSON, unknown fields, wrong sizes, non-canonical claims,
        /// leaves out of order.
        Malformed = "malformed",
        /// The signature breaks the strict rules, recovers no signer, is an ERC-6492
        /// wrapper, or a contract subject refuses it (ERC-1271).
        BadSignature = "bad_signature",
        /// The signature is valid but made by another key than the subject's.
        SignerMismatch = "signer_mismatch",
        /// No session has this registration ID.
        UnknownRegistration = "unknown_registration",
        /// The session's time to live has passed.
        RegistrationExpired = "registration_expired",
        /// The session has already been answered.
        RegistrationUsed = "registration_used",
        /// The consent names another service origin than the session's.
        WrongService = "wrong_service",
        /// The consent is signed for another chain.
        WrongChain = "wrong_chain",
        /// The consent is signed for another registry.
        WrongRegistry = "wrong_registry",
        /// The certifier never attested the subject.
        NoAttestation = "no_attestation",
        /// The root recomputed from the leaves is not the attested root (or the signed one).
        RootMismatch = "root_mismatch",
        /// The certifier revoked the attestation.
        Revoked = "revoked",
        /// The subject withdrew the attestation.
        Withdrawn = "withdrawn",
        /// The attestation has lapsed.
        AttestationExpired = "attestation_expired",
        /// The certifier is not a current certifier of the registry, or not one the policy trusts.
        UntrustedCertifier = "untrusted_certifier",
        /// The attestation lacks evidence the policy requires.
        InsufficientEvidence = "insufficient_evidence",
        /// A field the session or the policy asks for is not disclosed.
        MissingFields = "missing_fields",
        /// Two disclosed leaves have the same key.
        DuplicateField = "duplicate_field",
        /// The attestation is older than the policy's longest acceptable age: review.
        AttestationTooOld = "attestation_too_old",
    }
}

impl Reason {
    /// Whether the reason only asks for a review rather than rejecting.
    pub fn is_review(self) -> bool {
        matches!(self, Self::AttestationTooOld)
    }

    /// Whether an answer with this reason proves nothing of the session's subject
    /// (anyone who saw the QR code could send it), so leaves the session open:
    /// malformed, a bad or another's signature, no attestation, a root not attested.
    pub fn leaves_session_open(self) -> bool {
        matches!(
            self,
            Self::Malformed
                | Self::BadSignature
                | Self::SignerMismatch
                | Self::NoAttestation
                | Self::RootMismatch
        )
    }
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
    #[serde(default, with = "kyc_core::hex::address::option")]
    pub subject: Option<Address>,
    /// The certifier the submission names.
    #[serde(default, with = "kyc_core::hex::address::option")]
    pub certifier: Option<Address>,
    /// The certifier's name in the registry; absent for a certifier that is not current.
    pub certifier_name: Option<String>,
    /// The attestation read from the chain, when there is one.
    pub attestation: Option<Attestation>,
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
    /// The verdict with these reasons on an answer that names no registration or subject
    /// (bytes that are not a submission).
    pub(crate) fn unattributed(reasons: Vec<Reason>, verified_at: u64) -> Self {
        Verdict {
            outcome: Verdict::outcome_of(&reasons),
            reasons,
            registration_id: None,
            subject: None,
            certifier: None,
            certifier_name: None,
            attestation: None,
            block_number: None,
            fields: Vec::new(),
            claims: Vec::new(),
            claims_deleted: false,
            verified_at,
        }
    }

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

/// A verdict pretty-printed as an element of a pretty-printed array, its lines after
/// the first indented one level: for [`pretty_json_array`], rendered by
/// [`Verifier::verify_batch_rendered`](crate::Verifier::verify_batch_rendered), say.
pub fn pretty_json_element(verdict: &Verdict) -> serde_json::Result<String> {
    // JSON strings hold no raw line breaks: each is the end of a line.
    Ok(serde_json::to_string_pretty(verdict)?.replace('\n', "\n  "))
}

/// One JSON array of elements made by [`pretty_json_element`], as
/// [`serde_json::to_string_pretty`] prints the whole array.
pub fn pretty_json_array(elements: Vec<serde_json::Result<String>>) -> serde_json::Result<String> {
    let length = elements.iter().flatten().map(|element| element.len() + 4);
    let mut array = String::with_capacity(length.sum::<usize>() + 2);
    array.push('[');
    for (index, element) in elements.into_iter().enumerate() {
        array.push_str(if index == 0 { "\n  " } else { ",\n  " });
        array.push_str(&element?);
    }
    array.push_str(if array.len() == 1 { "]" } else { "\n]" });
    Ok(array)
}

/// One line naming the submissions whose verdicts are not approved, each by its label,
/// with its outcome and reasons: `1 of 2 submissions not approved: b.json rejected
/// (bad_signature)`. `None` when every verdict is approved.
pub fn describe_refused(labels: &[impl fmt::Display], verdicts: &[Verdict]) -> Option<String> {
    let refused: Vec<String> = labels
        .iter()
        .zip(verdicts)
        .filter(|(_, verdict)| !verdict.is_approved())
        .map(|(label, verdict)| {
            let reasons: Vec<&str> = verdict.reasons.iter().map(|reason| reason.code()).collect();
            format!("{label} {} ({})", verdict.outcome, reasons.join(", "))
        })
        .collect();
    (!refused.is_empty()).then(|| {
        format!(
            "{} of {} submissions not approved: {}",
            refused.len(),
            verdicts.len(),
            refused.join("; ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(reasons: Vec<Reason>) -> Verdict {
        Verdict::unattributed(reasons, 0)
    }

    /// Verdicts printed one by one make the array serde_json prints of them all.
    #[test]
    fn an_array_of_verdicts_printed_alone_prints_as_serde_json_prints_it() {
        let mut verdicts: Vec<Verdict> = (0..129)
            .map(|at| Verdict::unattributed(vec![Reason::Malformed], at))
            .collect();
        verdicts[1] = verdict(vec![]);
        verdicts[2].certifier_name = Some("Line one\nline two \"quoted\"".to_owned());
        verdicts[3].fields = vec!["given_name".to_owned(), "birthdate".to_owned()];
        verdicts[4].subject = Some(Address::repeat_byte(0x11));
        for count in [0, 1, 3, verdicts.len()] {
            let verdicts = &verdicts[..count];
            assert_eq!(
                pretty_json_array(verdicts.iter().map(pretty_json_element).collect())
                    .expect("verdicts serialise"),
                serde_json::to_string_pretty(verdicts).expect("verdicts serialise"),
                "{count} verdicts"
            );
        }
        let failed = serde_json::from_str::<Verdict>("{}").expect_err("not a verdict");
        let message = failed.to_string();
        let elements = vec![pretty_json_element(&verdicts[0]), Err(failed)];
        assert_eq!(
            pretty_json_array(elements).map_err(|error| error.to_string()),
            Err(message),
            "an element that failed to print fails the array"
        );
    }

    #[test]
    fn describe_refused_names_each_refused_submission_with_its_reasons() {
        let verdicts = [
            verdict(vec![]),
            verdict(vec![Reason::BadSignature, Reason::Malformed]),
            verdict(vec![Reason::RegistrationUsed]),
        ];
        assert_eq!(
            describe_refused(&["a.json", "b.json", "c.json"], &verdicts).as_deref(),
            Some(
                "2 of 3 submissions not approved: b.json rejected (bad_signature, malformed); \
                 c.json rejected (registration_used)"
            )
        );
        assert_eq!(describe_refused(&["a.json"], &verdicts[..1]), None);
    }
}
