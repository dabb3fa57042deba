//! The backend's customer routes: where a verified customer stands on the registry,
//! and ending their monitoring.

use std::sync::Arc;

use alloy_primitives::Address;
use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use kyc_verifier::Store;
use tracing::info;

use crate::{app::AppState, problem::Problem};

/// The customer's status, with its reason and the block it was read at; never cached.
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Path(subject): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let subject = parse_subject(&subject)?;
    let report = state.verifier.customer_report(subject).await?;
    let report = report.ok_or_else(unknown_customer)?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(report)))
}

/// Ends the monitoring of a customer: 204, or 404 for a subject not monitored.
pub(crate) async fn end(
    State(state): State<Arc<AppState>>,
    Path(subject): Path<String>,
) -> Result<StatusCode, Problem> {
    let subject = parse_subject(&subject)?;
    if !state.verifier.store().end_customer(subject).await? {
        return Err(unknown_customer());
    }
    info!(%subject, "customer monitoring ended by the backend");
    Ok(StatusCode::NO_CONTENT)
}

/// A subject from a path: `0x` and 40 hex digits.
fn parse_subject(text: &str) -> Result<Address, Problem> {
    text.strip_prefix("0x")
        .filter(|digits| digits.len() == 40 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|_| text.parse().ok())
        .ok_or_else(|| Problem::bad_request("invalid_subject", "a subject is 0x and 40 hex digits"))
}

fn unknown_customer() -> Problem {
    Problem::new(StatusCode::NOT_FOUND, "unknown_customer")
        .with_message("no monitored customer has this address")
}
