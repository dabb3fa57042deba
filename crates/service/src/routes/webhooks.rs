//! The backend's webhook routes: the outbox's deliveries, and retrying a failed one.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::{header, StatusCode},
    response::IntoResponse,
    Json,
};
use kyc_verifier::{
    outbox::{is_webhook_id, DeliveryRecord, DeliveryRetried, DeliveryStatus},
    Store,
};
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::{app::AppState, problem::Problem};

/// How many deliveries a listing returns unless told otherwise, and at most.
const DEFAULT_LIMIT: u32 = 100;
const MAX_LIMIT: u32 = 1000;

/// `GET /v1/webhooks/deliveries?status=failed&limit=100`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Listing {
    status: Option<String>,
    limit: Option<u32>,
}

/// The answer to a listing.
#[derive(Debug, Serialize)]
struct Deliveries {
    deliveries: Vec<DeliveryRecord>,
}

/// The latest deliveries, newest first, with one status only when asked; never cached.
pub(crate) async fn list(
    State(state): State<Arc<AppState>>,
    query: Result<Query<Listing>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, Problem> {
    let Query(listing) = query.map_err(|_| {
        Problem::bad_request(
            "invalid_query",
            "the query takes status (pending, delivered, failed) and limit (1 to 1000)",
        )
    })?;
    let status = listing
        .status
        .map(|code| {
            code.parse::<DeliveryStatus>().map_err(|_| {
                Problem::bad_request("invalid_status", "status is pending, delivered or failed")
            })
        })
        .transpose()?;
    let limit = listing.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(Problem::bad_request(
            "invalid_limit",
            format!("limit is 1 to {MAX_LIMIT}"),
        ));
    }
    let deliveries = state.verifier.store().deliveries(status, limit).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        Json(Deliveries { deliveries }),
    ))
}

/// Makes a failed delivery pending again, due at once: 202, or 404 when no delivery
/// with that ID has failed.
pub(crate) async fn retry(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, Problem> {
    if !is_webhook_id(&id) {
        return Err(Problem::bad_request(
            "invalid_webhook_id",
            "a webhook id is msg_ and 32 hex digits",
        ));
    }
    let now = super::unix_now();
    if !state.verifier.store().retry_delivery(&id, now).await? {
        return Err(Problem::new(StatusCode::NOT_FOUND, "unknown_delivery")
            .with_message("no failed delivery has this webhook id"));
    }
    info!(webhook_id = %id, "webhook delivery retried by the backend");
    state.outbox_ready.notify_one();
    let status = DeliveryStatus::Pending;
    Ok((StatusCode::ACCEPTED, Json(DeliveryRetried { id, status })))
}
