//! `POST /v1/sessions/{id}/withdrawal`: the person withdraws consent, and the service
//! deletes the personal data it received under that registration.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::StatusCode,
    Json,
};
use kyc_core::{
    files::{parse_json, SignedConsentWithdrawal},
    signature::recover_signer,
};
use kyc_verifier::Store;
use serde_json::{json, Value};
use tracing::{info, warn};

use crate::{app::AppState, problem::Problem};

/// Checks that the session's subject signed the withdrawal, then deletes the disclosed
/// claims (the verdict stays, without them) and answers `{"deleted": true}`.
pub(crate) async fn withdraw(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, Problem> {
    let registration_id = super::registration_id(&id)?;
    let body = super::body(body)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| Problem::bad_request("malformed", "the body is not UTF-8"))?;
    let withdrawal: SignedConsentWithdrawal =
        parse_json(text).map_err(|e| Problem::bad_request("malformed", e.to_string()))?;
    if withdrawal.registration_id != registration_id {
        return Err(Problem::bad_request(
            "registration_mismatch",
            "the withdrawal names another registration than the url",
        ));
    }
    let record = state.session(registration_id).await?;
    let session = &record.session;
    if withdrawal.service != session.service {
        return Err(Problem::bad_request(
            "wrong_service",
            format!("this registration belongs to {}", session.service),
        ));
    }
    let Some(subject) = record.verdict.as_ref().and_then(|verdict| verdict.subject) else {
        return Err(Problem::new(StatusCode::CONFLICT, "not_answered")
            .with_message("no consent was given under this registration"));
    };
    let digest = withdrawal.signing_hash(session.chain_id, session.registry);
    let signer = recover_signer(digest, &withdrawal.signature)
        .map_err(|e| Problem::bad_request("bad_signature", e.to_string()))?;
    if signer != withdrawal.subject || signer != subject {
        warn!(%registration_id, %signer, %subject, "refused: withdrawal not signed by the subject");
        return Err(Problem::new(StatusCode::FORBIDDEN, "signer_mismatch")
            .with_message("the withdrawal is not signed by the subject of this registration"));
    }
    state
        .verifier
        .store()
        .withdraw_consent(registration_id, super::unix_now())
        .await?;
    info!(%registration_id, %subject, "consent withdrawn: disclosed claims deleted");
    state.announce_change(registration_id);
    Ok(Json(json!({ "deleted": true })))
}
