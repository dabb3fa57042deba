//! What the customer's page is told of where a session stands.

use kyc_verifier::{Reason, SessionRecord, SessionStatus};
use serde::Serialize;

/// What the customer's page says for a status.
fn label(status: SessionStatus) -> &'static str {
    match status {
        SessionStatus::Pending => "Waiting for your wallet…",
        SessionStatus::Verified => "Verified",
        SessionStatus::Review => "Received: a member of staff will review it",
        SessionStatus::Refused => "Refused",
        SessionStatus::Expired => "This code has expired",
        SessionStatus::Withdrawn => "Consent withdrawn",
        SessionStatus::Declined => "Declined",
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
            label: label(status),
            reasons: record
                .verdict
                .as_ref()
                .map(|verdict| verdict.reasons.clone())
                .unwrap_or_default(),
        }
    }
}
