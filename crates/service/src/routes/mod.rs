//! The JSON routes: the backend's sessions, the wallets' submissions and
//! withdrawals, the page's event stream, and the health check.

use alloy_primitives::B256;
use axum::{body::Bytes, extract::rejection::BytesRejection, http::StatusCode};

use crate::problem::Problem;

pub(crate) mod customers;
pub(crate) mod events;
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

/// The request body, or 413 when it is over the limit.
pub(crate) fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, Problem> {
    body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => Problem::new(rejection.status(), "payload_too_large")
            .with_message(format!(
                "the body is over the limit of {} bytes",
                kyc_verifier::inspect::MAX_SUBMISSION_BYTES
            )),
        status => Problem::new(status, "unreadable_body"),
    })
}

/// Seconds since 1970 by the system clock (0 for a clock set before 1970).
pub(crate) fn unix_now() -> u64 {
    kyc_core::time::unix_now().unwrap_or_default()
}
