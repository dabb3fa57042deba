//! The backend's invitations: a session for each customer of a list, with the bank's
//! reference kept beside it, and where each stands.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, rejection::QueryRejection, Query, State},
    http::header,
    response::IntoResponse,
    Json,
};
use kyc_verifier::invitations::{self, BatchId, InvitationFilter, Rows, DEFAULT_INVITATION_TTL};
use serde::Deserialize;
use tracing::info;

use crate::{app::AppState, problem::Problem};

/// `POST /v1/invitations`: the batch, the fields to ask for, optionally the time to
/// live in seconds, and the customers' references.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewInvitations {
    batch: String,
    fields: Vec<String>,
    #[serde(default)]
    ttl: Option<u64>,
    references: Vec<String>,
}

/// `GET /v1/invitations?batch=ID&status=S`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Listing {
    batch: Option<String>,
    status: Option<String>,
}

/// Invites every reference of the list; a reference the batch has already keeps its
/// invitation. Answers the invitation of each, and the references skipped.
pub(crate) async fn create(
    State(state): State<Arc<AppState>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<impl IntoResponse, Problem> {
    let asked: NewInvitations = super::json_body(body)?;
    let request = super::session_request(&state, asked.fields, asked.ttl, DEFAULT_INVITATION_TTL);
    let report = state
        .verifier
        .invite(&asked.batch, &request, Rows::from_list(&asked.references))
        .await?;
    info!(
        batch = %report.batch,
        created = report.created,
        existing = report.existing,
        skipped = report.skipped.len(),
        "invitations made"
    );
    Ok(Json(report))
}

/// The invitations of a batch (or of all), with one status only when asked, and the
/// count of each status; never cached.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    query: Result<Query<Listing>, QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Query(listing) = query
        .map_err(|_| Problem::bad_request("invalid_query", "the query takes batch and status"))?;
    let batch = listing
        .batch
        .map(|batch| BatchId::parse(&batch))
        .transpose()?;
    let status = listing
        .status
        .map(|code| {
            code.parse().map_err(|_| {
                Problem::bad_request(
                    "invalid_status",
                    "status is pending, approved, review, rejected, declined, expired or withdrawn",
                )
            })
        })
        .transpose()?;
    let list =
        invitations::list(state.verifier.store(), &InvitationFilter { batch, status }).await?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Json(list)))
}
