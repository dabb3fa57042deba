//! Registration sessions: what a service asks for, under a fresh registration ID.

use std::time::Duration;

use alloy::primitives::{Address, B256};
use kyc_core::uri::{default_callback, RegistrationUri};
use serde::{Deserialize, Serialize};

use crate::{Error, Outcome, Result, SessionRecord};

/// How long a session stays open unless told otherwise.
pub const DEFAULT_SESSION_TTL: Duration = Duration::from_secs(10 * 60);
/// The longest time to live a session may have.
pub const MAX_SESSION_TTL: Duration = Duration::from_secs(365 * 86_400);

/// What a service asks for when it opens a session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRequest {
    /// The service's origin, `scheme://host[:port]`.
    pub service: String,
    /// The name the wallet shows; the origin's host when `None`.
    pub name: Option<String>,
    /// Where the wallet sends the submission; `{service}/v1/sessions/{rid}/submission` when `None`.
    pub callback: Option<String>,
    /// The claim keys asked for.
    pub fields: Vec<String>,
    /// How long the session stays open.
    pub ttl: Duration,
}

impl SessionRequest {
    /// A request for `fields` from `service`, with the default name, callback and time to live.
    pub fn new(service: impl Into<String>, fields: Vec<String>) -> Self {
        Self {
            service: service.into(),
            name: None,
            callback: None,
            fields,
            ttl: DEFAULT_SESSION_TTL,
        }
    }
}

/// An open registration: everything the QR code holds, and when it was made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Session {
    /// The registration ID, 32 bytes from the operating system's CSPRNG.
    pub registration_id: B256,
    /// The service's origin.
    pub service: String,
    /// The service's display name.
    pub name: String,
    /// Where the wallet sends the submission.
    pub callback: String,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "kyc_core::hex")]
    pub registry: Address,
    /// The claim keys asked for.
    pub fields: Vec<String>,
    /// When the session was opened (Unix seconds).
    pub created_at: u64,
    /// The session is void after this time (Unix seconds).
    pub expires_at: u64,
}

impl Session {
    /// Opens a session on a chain's registry at `now` (Unix seconds), with a fresh
    /// registration ID, after checking it makes a valid registration URI.
    pub fn open(
        request: SessionRequest,
        chain_id: u64,
        registry: Address,
        now: u64,
    ) -> Result<Self> {
        if request.ttl.is_zero() || request.ttl > MAX_SESSION_TTL {
            return Err(Error::SessionTtl);
        }
        let registration_id = fresh_registration_id()?;
        let name = match request.name {
            Some(name) => name,
            None => default_name(&request.service),
        };
        let callback = request
            .callback
            .unwrap_or_else(|| default_callback(&request.service, registration_id));
        let session = Self {
            registration_id,
            service: request.service,
            name,
            callback,
            chain_id,
            registry,
            fields: request.fields,
            created_at: now,
            expires_at: now.saturating_add(request.ttl.as_secs()),
        };
        session.uri().check().map_err(Error::Session)?;
        Ok(session)
    }

    /// The registration URI the QR code shows.
    pub fn uri(&self) -> RegistrationUri {
        RegistrationUri {
            registration_id: self.registration_id,
            service: self.service.clone(),
            name: self.name.clone(),
            callback: self.callback.clone(),
            chain_id: self.chain_id,
            registry: self.registry,
            fields: self.fields.clone(),
            expires_at: self.expires_at,
        }
    }

    /// Whether the session is void at `now`: after `expires_at`.
    pub fn is_expired(&self, now: u64) -> bool {
        now > self.expires_at
    }
}

kyc_core::coded_enum! {
    /// Where a registration session stands.
    pub enum SessionStatus {
        /// Open, waiting for the wallet.
        Pending = "pending",
        /// Answered and approved.
        Verified = "verified",
        /// Answered, authentic and attested, but a person must look (the outcome `review`).
        Review = "review",
        /// Answered and rejected.
        Refused = "refused",
        /// Never answered, and its time to live has passed.
        Expired = "expired",
        /// Answered, then the person withdrew consent: the disclosed data is deleted.
        Withdrawn = "withdrawn",
        /// Never answered, and the person declined it. The decline is unsigned, so the
        /// session stays open until it expires: a later answer still counts.
        Declined = "declined",
    }
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
            None if record.declined_at.is_some() => Self::Declined,
            None if record.session.is_expired(now) => Self::Expired,
            None => Self::Pending,
        }
    }

    /// Whether the status can still change by itself: only a pending or declined
    /// session can, until it expires.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Declined)
    }
}

/// The origin's host, or the origin itself when it has none.
fn default_name(service: &str) -> String {
    url_host(service).unwrap_or(service).to_owned()
}

fn url_host(origin: &str) -> Option<&str> {
    let rest = origin.split_once("://")?.1;
    let host = match rest.strip_prefix('[') {
        Some(bracketed) => return bracketed.split_once(']').map(|(host, _)| host),
        None => rest.split(':').next()?,
    };
    (!host.is_empty()).then_some(host)
}

/// 32 bytes from the operating system's CSPRNG.
fn fresh_registration_id() -> Result<B256> {
    let mut id = B256::ZERO;
    getrandom::fill(id.as_mut_slice()).map_err(Error::Random)?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_name_is_the_host() {
        assert_eq!(default_name("https://bank.example"), "bank.example");
        assert_eq!(default_name("http://127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(default_name("http://[::1]:8080"), "::1");
    }
}

/// What became of a session, as a bank reads it: its status, registration URI, what
/// it asked, when it was answered, declined or withdrawn, and the verdict (with the
/// disclosed claims until they are deleted).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SessionReport {
    /// The session's registration ID.
    pub registration_id: B256,
    /// Where it stands.
    pub status: SessionStatus,
    /// The registration URI the QR code holds.
    pub uri: String,
    /// The service's origin.
    pub service: String,
    /// The name the wallet shows.
    pub name: String,
    /// The claim keys asked for.
    pub fields: Vec<String>,
    /// When it was opened.
    pub created_at: u64,
    /// When it expires.
    pub expires_at: u64,
    /// When an answer used it up.
    pub answered_at: Option<u64>,
    /// When the person withdrew consent.
    pub withdrawn_at: Option<u64>,
    /// When the person first declined; a later answer still counts.
    pub declined_at: Option<u64>,
    /// The verdict, with the disclosed claims until they are deleted.
    pub verdict: Option<crate::Verdict>,
}

impl SessionReport {
    /// The report of a stored session at `now`.
    pub fn of(record: SessionRecord, now: u64) -> Self {
        let status = SessionStatus::of(&record, now);
        let session = record.session;
        Self {
            registration_id: session.registration_id,
            status,
            uri: session.uri().to_uri_string(),
            service: session.service,
            name: session.name,
            fields: session.fields,
            created_at: session.created_at,
            expires_at: session.expires_at,
            answered_at: record.used_at,
            withdrawn_at: record.withdrawn_at,
            declined_at: record.declined_at,
            verdict: record.verdict,
        }
    }
}
