//! Refusals as JSON: `{"error": code, "message": text}` with the matching HTTP status.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Json,
};
use serde_json::json;
use tracing::{error, warn};

/// An HTTP refusal with a machine-readable code. Messages never hold claim values.
#[derive(Debug)]
pub(crate) struct Problem {
    status: StatusCode,
    code: &'static str,
    message: Option<String>,
    retry_after: Option<u64>,
}

impl Problem {
    pub(crate) fn new(status: StatusCode, code: &'static str) -> Self {
        Self {
            status,
            code,
            message: None,
            retry_after: None,
        }
    }

    pub(crate) fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// The HTTP status of the refusal.
    pub(crate) fn status(&self) -> StatusCode {
        self.status
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code).with_message(message)
    }

    pub(crate) fn unknown_registration() -> Self {
        Self::new(StatusCode::NOT_FOUND, "unknown_registration")
    }

    pub(crate) fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            retry_after: Some(retry_after_secs.max(1)),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        }
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized")
            .with_message("a valid bearer token is required")
    }
}

/// A failure of the verifier: an outage of the chain or the store is 503 and may be
/// retried; anything else is the service's fault.
impl From<kyc_verifier::Error> for Problem {
    fn from(err: kyc_verifier::Error) -> Self {
        Self::from(&err)
    }
}

impl From<&kyc_verifier::Error> for Problem {
    fn from(err: &kyc_verifier::Error) -> Self {
        let code = err.code();
        match code {
            "rpc_unavailable" | "store_unavailable" => {
                warn!(%err, code, "dependency unavailable");
                Self::new(StatusCode::SERVICE_UNAVAILABLE, code)
            }
            "invalid_session" | "invalid_batch" => Self::bad_request(code, err.to_string()),
            _ => {
                error!(%err, code, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = match &self.message {
            Some(message) => json!({ "error": self.code, "message": message }),
            None => json!({ "error": self.code }),
        };
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
