//! The crate's error type: what stops the service from starting or serving.
//!
//! A refused HTTP request is an answer, not an error of this type.

/// Everything that can go wrong in `kyc-service`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API token is too short to resist guessing.
    #[error("the api token must be at least {min} bytes long, got {len}", min = crate::MIN_TOKEN_LEN)]
    WeakToken {
        /// The length of the token given.
        len: usize,
    },
    /// The service origin is not `scheme://host[:port]`.
    #[error("service origin {0:?} is not scheme://host[:port] without a path")]
    ServiceOrigin(String),
    /// The origin and name do not make a valid registration code (a name with control
    /// characters or over 128 bytes).
    #[error("the service origin and name make no valid registration code: {0}")]
    InvalidCode(kyc_verifier::Error),
    /// The retention period is zero.
    #[error("the retention period must be at least one second")]
    Retention,
    /// The rate limit lets nothing through.
    #[error("the rate limit needs a burst of at least 1 and a refill interval above zero")]
    RateLimit,
    /// A read timeout is zero.
    #[error("the header and body read timeouts must be above zero")]
    ReadTimeout,
    /// The webhook secret is not `whsec_` and base64 of 24 to 64 bytes.
    #[error("the webhook secret must be whsec_ followed by the base64 of 24 to 64 bytes")]
    WebhookSecret,
    /// The webhook URL is not an absolute http(s) URL.
    #[error("the webhook url must be an absolute http:// or https:// url")]
    WebhookUrl,
    /// Webhooks would never be attempted.
    #[error("webhooks need a timeout above zero and at least one attempt")]
    WebhookTimeout,
    /// The verifier or its store failed.
    #[error(transparent)]
    Verifier(#[from] kyc_verifier::Error),
    /// The listening socket failed.
    #[error("http server failed: {0}")]
    Serve(#[source] std::io::Error),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
