//! The backend's routes answer only a request with the bearer token.

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::header::AUTHORIZATION,
    middleware::Next,
    response::{IntoResponse, Response},
};
use tracing::warn;

use crate::{app::AppState, problem::Problem};

/// Passes a request with `Authorization: Bearer <token>`; any other gets 401.
pub(crate) async fn require_token(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match presented {
        Some(token) if state.config.token.matches(token) => next.run(request).await,
        _ => {
            warn!(
                path = request.uri().path(),
                "refused: missing or wrong bearer token"
            );
            Problem::unauthorized().into_response()
        }
    }
}
