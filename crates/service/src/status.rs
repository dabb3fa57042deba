//! Where a session stands, as the backend and the customer's page see it.

use kyc_verifier::{Outcome, Reason, SessionRecord};
use serde::Serialize;

/// The state of a registration session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    /// Open, waiting for the wallet.
    Pending,
    /// Answered and approved.
    Verified,
    /// Answered, authentic and attested, but a person must look (the outcome `review`).
    Review,
    /// Answered and rejected.
    Refused,
    /// Never answered, and its time to live has passed.
    Expired,
    /// Answered, then the person withdrew consent: the disclosed data is deleted.
    Withdrawn,
}

impl SessionStatus {
    /// The status of a stored session at `now` (Unix seconds).
    pub fn of(record: &SessionRecord, now: u64) -> Self {
        if record.withdrawn_at.is_some() {
            return Self::Withdrawn;
        }
        match &record.verdict {
            Some(verdict) => match verdict.outcome {
                Outcome::Approved => Self::Verified,
                Outcome::Review => Self::Review,
                Outcome::Rejected => Self::Refused,
            },
            None if record.session.is_expired(now) => Self::Expired,
            None => Self::Pending,
        }
    }

    /// Whether the status can still change by itself: only a pending session can.
    pub fn is_final(self) -> bool {
        self != Self::Pending
    }

    /// The snake-case code, as in JSON.
    pub fn code(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Verified => "verified",
            Self::Review => "review",
            Self::Refused => "refused",
            Self::Expired => "expired",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// What the customer's page says.
    pub fn label(self) -> &'static str {
        match self {
            Self::Pending => "Waiting for your wallet…",
            Self::Verified => "Verified",
            Self::Review => "Received: a member of staff will review it",
            Self::Refused => "Refused",
            Self::Expired => "This code has expired",
            Self::Withdrawn => "Consent withdrawn",
        }
    }
}

/// What the customer's page is told about a session: never a claim value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusEvent {
    /// The status.
    pub status: SessionStatus,
    /// The text the page shows for it.
    pub label: &'static str,
    /// The verdict's reason codes, if answered.
    pub reasons: Vec<Reason>,
}

impl StatusEvent {
    /// The event for a stored session at `now`.
    pub fn of(record: &SessionRecord, now: u64) -> Self {
        let status = SessionStatus::of(record, now);
        Self {
            status,
            label: status.label(),
            reasons: record
                .verdict
                .as_ref()
                .map(|verdict| verdict.reasons.clone())
                .unwrap_or_default(),
        }
    }
}
