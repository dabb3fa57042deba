//! `POST /v1/sessions/{id}/withdrawal`: the person withdraws consent, and the service
//! deletes the personal data it received under that registration.

use std::sync::Arc;

use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::StatusCode,
    Json,
};
use kyc_core::files::{parse_json, SignedConsentWithdrawal};
use kyc_verifier::{Withdrawal, WithdrawalRefusal};
use serde::Serialize;
use tracing::{info, warn};

use crate::{app::AppState, problem::Problem};

/// The answer to an honoured withdrawal: `{"deleted": true}`.
#[derive(Debug, Serialize)]
pub(crate) struct Deleted {
    deleted: bool,
}

/// Has the verifier honour the withdrawal (the session's subject signed it, by key or
/// as a contract): the disclosed claims are deleted, the verdict stays, and the answer
/// is `{"deleted": true}`.
pub(crate) async fn withdraw(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Deleted>, Problem> {
    let registration_id = super::registration_id(&id)?;
    let body = super::body(body)?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| Problem::bad_request("malformed", "the body is not UTF-8"))?;
    let withdrawal: SignedConsentWithdrawal =
        parse_json(text).map_err(|e| Problem::bad_request("malformed", e.to_string()))?;
    let withdrawn = state
        .verifier
        .withdraw_consent(registration_id, &withdrawal);
    let refusal = match withdrawn.await? {
        Withdrawal::Deleted => None,
        Withdrawal::Refused(refusal) => Some(refusal),
    };
    let subject = withdrawal.subject;
    match refusal {
        None => info!(%registration_id, %subject, "consent withdrawn: disclosed claims deleted"),
        Some(refusal) => {
            warn!(%registration_id, %subject, refusal = refusal.code(), "withdrawal refused");
            return Err(problem(refusal));
        }
    }
    state.announce_change(registration_id);
    Ok(Json(Deleted { deleted: true }))
}

fn problem(refusal: WithdrawalRefusal) -> Problem {
    let (status, message) = match refusal {
        WithdrawalRefusal::UnknownRegistration => return Problem::unknown_registration(),
        WithdrawalRefusal::RegistrationMismatch => (
            StatusCode::BAD_REQUEST,
            "the withdrawal names another registration than the url",
        ),
        WithdrawalRefusal::WrongService => (
            StatusCode::BAD_REQUEST,
            "the withdrawal names another service than this registration's",
        ),
        WithdrawalRefusal::NotAnswered => (
            StatusCode::CONFLICT,
            "no consent was given under this registration",
        ),
        WithdrawalRefusal::BadSignature => (
            StatusCode::BAD_REQUEST,
            "the signature is not a valid signature of the subject",
        ),
        WithdrawalRefusal::SignerMismatch => (
            StatusCode::FORBIDDEN,
            "the withdrawal is not signed by the subject of this registration",
        ),
    };
    Problem::new(status, refusal.code()).with_message(message)
}
