//! The JSON routes: the backend's sessions, the wallets' submissions and
//! withdrawals, the page's event stream, and the health check.

use std::time::Duration;

use alloy_primitives::B256;
use axum::{body::Bytes, extract::rejection::BytesRejection, http::StatusCode};
use kyc_core::files::parse_json;
use kyc_verifier::SessionRequest;
use serde::de::DeserializeOwned;

use crate::{app::AppState, problem::Problem};

pub(crate) mod customers;
pub(crate) mod events;
pub(crate) mod invitations;
pub(crate) mod sessions;
pub(crate) mod submission;
pub(crate) mod webhooks;
pub(crate) mod withdrawal;

/// `GET /healthz`: the process answers.
pub(crate) async fn health() -> &'static str {
    "ok"
}

/// A registration ID from a path: `0x` and 64 hex digits.
pub(crate) fn registration_id(text: &str) -> Result<B256, Problem> {
    text.strip_prefix("0x")
        .filter(|digits| digits.len() == 64 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|_| text.parse().ok())
        .ok_or_else(|| {
            Problem::bad_request(
                "invalid_registration_id",
                "a registration id is 0x and 64 hex digits",
            )
        })
}

/// The request body, or 413 when it is over the limit, 408 when it did not arrive in time.
pub(crate) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(rejection.status(), "payload_too_large")
            .with_message(format!(
                "the body is over the limit of {} bytes",
                kyc_verifier::inspect::MAX_SUBMISSION_BYTES
            )),
        _ if crate::server::is_body_timeout(&rejection) => {
            Problem::new(StatusCode::REQUEST_TIMEOUT, "body_timeout")
                .with_message("the request body did not arrive in time")
        }
        status => Problem::new(status, "unreadable_body"),
    })
}

/// The request body as JSON of type `T`: 413 over the limit, 400 when it does not parse.
pub(crate) fn json_body<T: DeserializeOwned>(
    body: Result<Bytes, BytesRejection>,
) -> Result<T, Problem> {
    let body = self::body(body)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| Problem::bad_request("malformed", "the body is not UTF-8"))?;
    parse_json(text).map_err(|e| Problem::bad_request("malformed", e.to_string()))
}

/// A session of the configured service asking for `fields`, open for `ttl` seconds
/// (`default` when not given).
pub(crate) fn session_request(
    state: &AppState,
    fields: Vec<String>,
    ttl: Option<u64>,
    default: Duration,
) -> SessionRequest {
    let config = &state.config;
    let mut request = SessionRequest::new(config.service.clone(), fields);
    request.name = config.name.clone();
    request.ttl = ttl.map_or(default, Duration::from_secs);
    request
}

/// Seconds since 1970 by the system clock (0 for a clock set before 1970).
pub(crate) fn unix_now() -> u64 {
    kyc_core::time::unix_now().unwrap_or_default()
}
