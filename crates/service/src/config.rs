//! How a service is set up: its origin and name, the backend's token, the policy,
//! how long disclosed data is kept and how fast a client may post.

use std::{fmt, time::Duration};

use kyc_core::uri::is_bare_origin;
use kyc_verifier::Policy;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::{Error, MonitorConfig, Result, WebhookConfig};

/// The shortest API token accepted, in bytes.
pub const MIN_TOKEN_LEN: usize = 16;
/// How long disclosed personal data is kept unless told otherwise: 30 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(30 * 86_400);

/// The bearer token of the backend API. Only its SHA-256 digest is kept, and a
/// presented token is compared with it in constant time.
#[derive(Clone)]
pub struct ApiToken([u8; 32]);

impl ApiToken {
    /// A token from its text; refuses one shorter than [`MIN_TOKEN_LEN`] bytes.
    pub fn new(token: &str) -> Result<Self> {
        if token.len() < MIN_TOKEN_LEN {
            return Err(Error::WeakToken { len: token.len() });
        }
        Ok(Self(Sha256::digest(token.as_bytes()).into()))
    }

    /// Whether `presented` is the token. Both sides are hashed first, so the
    /// comparison takes the same time whatever the length or content presented.
    pub(crate) fn matches(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.0).into()
    }
}

impl fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

/// The most event streams of the public page open at once, per client and in all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamLimit {
    /// Per client address.
    pub per_client: usize,
    /// In all.
    pub total: usize,
}

impl Default for StreamLimit {
    /// 8 per client, 1,000 in all.
    fn default() -> Self {
        Self {
            per_client: 8,
            total: 1_000,
        }
    }
}

/// A token bucket per client for the routes wallets call: `burst` requests at
/// once, then one more every `refill_every`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// How many requests a client may make at once.
    pub burst: u32,
    /// How long a client waits for one more request.
    pub refill_every: Duration,
}

impl Default for RateLimit {
    /// 20 at once, then one a second.
    fn default() -> Self {
        Self {
            burst: 20,
            refill_every: Duration::from_secs(1),
        }
    }
}

/// How long a client may take to send a request, so that a slow or stalled one
/// (slowloris) cannot hold a connection open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadTimeouts {
    /// From the connection (or the previous response) to the end of the request's headers.
    pub header: Duration,
    /// From the end of the headers to the end of the body, however steadily it trickles in.
    pub body: Duration,
}

impl Default for ReadTimeouts {
    /// 10 seconds for the headers, 30 for the body.
    fn default() -> Self {
        Self {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
        }
    }
}

/// Which address a client is known by, for the rate limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ClientIp {
    /// The peer of the TCP connection: the service faces clients directly.
    #[default]
    Peer,
    /// The last address of `X-Forwarded-For`, which the reverse proxy in front of
    /// the service appends; the peer when the header is absent.
    LastForwardedFor,
}

/// Everything a [`Service`](crate::Service) needs beside its verifier.
#[derive(Clone, Debug)]
pub struct ServiceConfig {
    /// The public origin, `scheme://host[:port]`: QR codes, callbacks and page links use it.
    pub service: String,
    /// The name wallets and the page show; the origin's host when `None`.
    pub name: Option<String>,
    /// The token the backend presents.
    pub token: ApiToken,
    /// What a submission must satisfy.
    pub policy: Policy,
    /// How long disclosed personal data is kept after the verdict.
    pub retention: Duration,
    /// The limit on wallets' posts, per client.
    pub rate_limit: RateLimit,
    /// How a client's address is found.
    pub client_ip: ClientIp,
    /// The most page event streams open at once.
    pub event_streams: StreamLimit,
    /// How long a client may take to send a request's headers and body.
    pub read_timeouts: ReadTimeouts,
    /// Where events are posted as signed webhooks; none are sent when `None` (they
    /// stay in the outbox).
    pub webhook: Option<WebhookConfig>,
    /// How the registry is followed for the monitored customers.
    pub monitor: MonitorConfig,
}

impl ServiceConfig {
    /// A configuration with the default name, retention, rate limit and client address.
    pub fn new(service: impl Into<String>, token: ApiToken, policy: Policy) -> Self {
        Self {
            service: service.into(),
            name: None,
            token,
            policy,
            retention: DEFAULT_RETENTION,
            rate_limit: RateLimit::default(),
            client_ip: ClientIp::default(),
            event_streams: StreamLimit::default(),
            read_timeouts: ReadTimeouts::default(),
            webhook: None,
            monitor: MonitorConfig::default(),
        }
    }

    /// Checks the origin, the retention, the rate limit and the read timeouts.
    pub(crate) fn check(&self) -> Result<()> {
        if !is_bare_origin(&self.service) {
            return Err(Error::ServiceOrigin(self.service.clone()));
        }
        if self.retention.is_zero() {
            return Err(Error::Retention);
        }
        if self.rate_limit.burst == 0 || self.rate_limit.refill_every.is_zero() {
            return Err(Error::RateLimit);
        }
        if self.read_timeouts.header.is_zero() || self.read_timeouts.body.is_zero() {
            return Err(Error::ReadTimeout);
        }
        if let Some(webhook) = &self.webhook {
            webhook.check()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_matches_only_itself() -> Result<()> {
        let token = ApiToken::new("0123456789abcdef")?;
        assert!(token.matches("0123456789abcdef"));
        assert!(!token.matches("0123456789abcdeF"));
        assert!(!token.matches(""));
        assert!(matches!(
            ApiToken::new("short"),
            Err(Error::WeakToken { len: 5 })
        ));
        assert_eq!(format!("{token:?}"), "ApiToken(***)");
        Ok(())
    }

    #[test]
    fn a_config_is_checked() -> Result<()> {
        let token = ApiToken::new("0123456789abcdef")?;
        let mut config = ServiceConfig::new("https://bank.example", token, Policy::default());
        config.check()?;
        config.service = "https://bank.example/kyc".to_owned();
        assert!(matches!(config.check(), Err(Error::ServiceOrigin(_))));
        config.service = "https://bank.example".to_owned();
        config.retention = Duration::ZERO;
        assert!(matches!(config.check(), Err(Error::Retention)));
        config.retention = DEFAULT_RETENTION;
        config.rate_limit.burst = 0;
        assert!(matches!(config.check(), Err(Error::RateLimit)));
        config.rate_limit = RateLimit::default();
        config.read_timeouts.body = Duration::ZERO;
        assert!(matches!(config.check(), Err(Error::ReadTimeout)));
        Ok(())
    }
}
