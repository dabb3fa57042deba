//! The backend's routes: open a session, read what became of it.

use std::sync::Arc;

use alloy_primitives::B256;
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use kyc_verifier::session::{SessionReport, DEFAULT_SESSION_TTL};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::{app::AppState, problem::Problem};

/// `POST /v1/sessions`: the fields to ask for and, optionally, the time to live in seconds.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSession {
    fields: Vec<String>,
    #[serde(default)]
    ttl: Option<u64>,
}

/// The answer to `POST /v1/sessions`.
#[derive(Debug, Serialize)]
struct CreatedSession {
    registration_id: B256,
    /// The registration URI the QR code holds.
    uri: String,
    /// The page to show the customer.
    page_url: String,
    expires_at: u64,
}

/// The answer to `GET /v1/sessions/{id}`: the report and the customer's page.
#[derive(Debug, Serialize)]
struct SessionView {
    #[serde(flatten)]
    report: SessionReport,
    /// The page to show the customer.
    page_url: String,
}

/// Opens a session for the configured service and answers 201 with its URI and page.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, Problem> {
    let asked: NewSession = super::json_body(body)?;
    let request = super::session_request(&state, asked.fields, asked.ttl, DEFAULT_SESSION_TTL);
    let session = state.verifier.open_session(request).await?;
    info!(
        registration_id = %session.registration_id,
        fields = %session.fields.join(","),
        expires_at = session.expires_at,
        "session opened"
    );
    let created = CreatedSession {
        registration_id: session.registration_id,
        uri: session.uri().to_uri_string(),
        page_url: page_url(&state.config.service, session.registration_id),
        expires_at: session.expires_at,
    };
    Ok((StatusCode::CREATED, Json(created)))
}

/// The session's status, verdict and disclosed claims; never cached.
pub(crate) async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    let registration_id = super::registration_id(&id)?;
    let report = state.verifier.session_report(registration_id).await?;
    let report = report.ok_or_else(Problem::unknown_registration)?;
    let page_url = page_url(&state.config.service, registration_id);
    let view = SessionView { report, page_url };
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(view)))
}

/// Where the customer's page of a session is.
fn page_url(service: &str, registration_id: B256) -> String {
    format!("{service}/r/{registration_id}")
}
