//! What the service tells a bank: session verdicts and changes of a verified customer's
//! status, as the events of signed webhooks. An event names addresses, roots,
//! registration IDs, blocks and transactions, never a claim value.

use alloy::primitives::{hex, Address, B256};
use kyc_seal::RandomPool;
use serde::{Deserialize, Serialize};

use crate::{Error, Outcome, Reason, Result, Verdict};

kyc_core::coded_enum! {
    /// The kind of an event: its `type`, such as `customer.revoked`.
    pub enum EventType {
        /// A session was answered and approved: the subject is now a monitored customer.
        SessionApproved = "session.approved",
        /// A session was answered, authentic and attested, but asks a person to look.
        SessionReview = "session.review",
        /// A session was answered by its subject and rejected, with the reasons.
        SessionRejected = "session.rejected",
        /// The person declined an open session (unsigned: a later answer still counts).
        SessionDeclined = "session.declined",
        /// A session passed its expiry unanswered.
        SessionExpired = "session.expired",
        /// The certifier revoked the customer's attestation.
        CustomerRevoked = "customer.revoked",
        /// The customer withdrew the attestation from the registry.
        CustomerWithdrawn = "customer.withdrawn",
        /// The customer's attestation lapsed.
        CustomerExpired = "customer.expired",
        /// The certifier attested another root for the customer: the verified claims
        /// are no longer the attested ones.
        CustomerReattested = "customer.reattested",
        /// The registry no longer counts the customer's certifier.
        CustomerCertifierRemoved = "customer.certifier_removed",
        /// The customer's status is back to active: the certifier was added again, or
        /// a reorganisation of the chain undid a change.
        CustomerReinstated = "customer.reinstated",
        /// The person withdrew consent: the service deleted what it received and
        /// stopped monitoring them.
        ConsentWithdrawn = "consent.withdrawn",
    }
}

/// What an event is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventData {
    /// The registration that established the customer, or that was answered.
    pub registration_id: B256,
    /// The person's address; absent when nobody signed (`session.declined`,
    /// `session.expired`).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "kyc_core::hex::address::option"
    )]
    pub subject: Option<Address>,
    /// The certifier of the attestation; absent when nobody signed.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "kyc_core::hex::address::option"
    )]
    pub certifier: Option<Address>,
    /// The verified root; absent for a rejection without an attestation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<B256>,
    /// The block the change was read at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<u64>,
    /// The transaction that made the change, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction: Option<B256>,
    /// The verdict's reasons, for `session.review` and `session.rejected`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reasons: Vec<Reason>,
}

impl EventData {
    /// A registration alone, for what nobody signed.
    fn registration(registration_id: B256) -> Self {
        Self {
            registration_id,
            subject: None,
            certifier: None,
            root: None,
            block: None,
            transaction: None,
            reasons: Vec::new(),
        }
    }

    /// What a verdict names: its registration, subject, certifier, the attested root
    /// and the block read; `None` when it names no registration, subject or certifier.
    fn of_verdict(verdict: &Verdict) -> Option<Self> {
        Some(Self {
            registration_id: verdict.registration_id?,
            subject: Some(verdict.subject?),
            certifier: Some(verdict.certifier?),
            root: verdict
                .attestation
                .as_ref()
                .map(|attestation| attestation.root),
            block: verdict.block_number,
            transaction: None,
            reasons: Vec::new(),
        })
    }
}

/// An event: the JSON body of a webhook, `{type, timestamp, data}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// When the service recorded it, RFC 3339 in UTC.
    pub timestamp: String,
    /// What it is about.
    pub data: EventData,
}

impl Event {
    /// An event recorded at `at` (Unix seconds).
    pub fn new(kind: EventType, data: EventData, at: u64) -> Self {
        Self {
            kind,
            timestamp: kyc_core::time::format_time(at),
            data,
        }
    }

    /// The `session.*` event of a verdict that used up its session; `None` for a
    /// verdict that names no registration or subject.
    pub fn of_verdict(verdict: &Verdict) -> Option<Self> {
        let kind = match verdict.outcome {
            Outcome::Approved => EventType::SessionApproved,
            Outcome::Review => EventType::SessionReview,
            Outcome::Rejected => EventType::SessionRejected,
        };
        let data = EventData {
            reasons: verdict.reasons.clone(),
            ..EventData::of_verdict(verdict)?
        };
        Some(Self::new(kind, data, verdict.verified_at))
    }

    /// The `session.declined` event of a registration the person declined at `at`
    /// (Unix seconds): the registration alone, since nobody signed the decline.
    pub fn session_declined(registration_id: B256, at: u64) -> Self {
        Self::new(
            EventType::SessionDeclined,
            EventData::registration(registration_id),
            at,
        )
    }

    /// The `session.expired` event of a registration found unanswered past its expiry
    /// at `at` (Unix seconds): the registration alone.
    pub fn session_expired(registration_id: B256, at: u64) -> Self {
        Self::new(
            EventType::SessionExpired,
            EventData::registration(registration_id),
            at,
        )
    }

    /// The `consent.withdrawn` event of an answered session, at `at` (Unix seconds).
    pub fn consent_withdrawn(verdict: &Verdict, at: u64) -> Option<Self> {
        let data = EventData::of_verdict(verdict)?;
        Some(Self::new(EventType::ConsentWithdrawn, data, at))
    }

    /// The JSON body, as signed and sent.
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| Error::CorruptRow {
            what: "event",
            registration_id: self.data.registration_id.to_string(),
            reason: e.to_string(),
        })
    }
}

/// The random bytes of an event ID.
pub(crate) const EVENT_ID_BYTES: usize = 16;

/// A fresh event ID, `msg_` and 32 hex digits from the operating system's CSPRNG:
/// the `webhook-id` of every delivery attempt of the event.
pub fn new_event_id() -> Result<String> {
    new_event_id_from(&mut RandomPool::default())
}

/// [`new_event_id`] from random bytes drawn together with others.
pub(crate) fn new_event_id_from(pool: &mut RandomPool) -> Result<String> {
    let bytes: [u8; EVENT_ID_BYTES] = pool.take()?;
    Ok(format!("msg_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_type_timestamp_and_data() -> Result<()> {
        let data = EventData {
            registration_id: B256::repeat_byte(1),
            subject: Some(Address::repeat_byte(0xab)),
            certifier: Some(Address::repeat_byte(0xcd)),
            root: Some(B256::repeat_byte(2)),
            block: Some(7),
            transaction: None,
            reasons: Vec::new(),
        };
        let event = Event::new(EventType::CustomerRevoked, data, 1_764_460_800);
        let json: serde_json::Value = serde_json::from_str(&event.to_json()?).unwrap_or_default();
        assert_eq!(json["type"], "customer.revoked");
        assert_eq!(json["timestamp"], "2025-11-30T00:00:00Z");
        assert_eq!(json["data"]["block"], 7);
        assert_eq!(
            json["data"]["subject"],
            Address::repeat_byte(0xab).to_checksum(None)
        );
        assert!(json["data"].get("transaction").is_none());
        let declined = Event::session_declined(B256::repeat_byte(1), 1_764_460_800);
        let json: serde_json::Value =
            serde_json::from_str(&declined.to_json()?).unwrap_or_default();
        assert_eq!(json["type"], "session.declined");
        assert_eq!(
            json["data"],
            serde_json::json!({ "registration_id": B256::repeat_byte(1) }),
            "a decline names the registration alone"
        );
        assert_eq!(
            "customer.certifier_removed".parse::<EventType>().ok(),
            Some(EventType::CustomerCertifierRemoved)
        );
        let id = new_event_id()?;
        assert!(id.starts_with("msg_") && id.len() == 36, "{id}");
        assert!(id[4..]
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        assert_ne!(id, new_event_id()?);
        Ok(())
    }
}
