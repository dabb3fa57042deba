//! `POST /v1/sessions/{id}/submission`: a wallet's answer, judged under the policy, or
//! the person's decline.

use std::sync::Arc;

use alloy_primitives::{Address, B256};
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use kyc_verifier::{Answer, DeclineRefusal, Declining, SessionStatus, Verdict};
use serde::Serialize;
use tracing::{info, warn};

use crate::{app::AppState, problem::Problem};

/// Answers 200 with the verdict, whatever its outcome, without the claim values the
/// wallet sent; 503 when the chain or the store is down (the session stays open);
/// 400 when the body names another registration than the path. A body shaped as a
/// decline (see [`kyc_core::files::Decline::is_decline_shaped`]) is taken as one
/// instead: 200 with when the session was first declined, or a problem for a malformed
/// decline or one the session refuses.
pub(crate) async fn submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let registration_id = super::registration_id(&id)?;
    let body = super::body(body)?;
    let answer = state
        .answers
        .answer(registration_id, &body, &state.config.policy)
        .await
        .map_err(|error| Problem::from(&*error))?;
    let verdict = match answer {
        Answer::Judged(verdict) => verdict,
        Answer::RegistrationMismatch => {
            warn!(%registration_id, "refused: submission for another registration");
            return Err(Problem::bad_request(
                "registration_mismatch",
                "the submission names another registration than the url",
            ));
        }
        Answer::Declined(declining) => return declined(&state, registration_id, declining),
        Answer::MalformedDecline(error) => {
            return Err(Problem::bad_request("malformed", error.to_string()))
        }
    };
    let reasons: Vec<&str> = verdict.reasons.iter().map(|reason| reason.code()).collect();
    let address = |address: Option<Address>| address.map_or_else(String::new, |a| a.to_string());
    info!(
        %registration_id,
        subject = %address(verdict.subject),
        certifier = %address(verdict.certifier),
        outcome = verdict.outcome.code(),
        reasons = %reasons.join(","),
        "submission judged"
    );
    state.announce_change(registration_id);
    Ok(Json(Verdict {
        claims: Vec::new(),
        ..verdict
    })
    .into_response())
}

/// The answer to a recorded decline.
#[derive(Debug, Serialize)]
struct Declined {
    registration_id: B256,
    /// Always `declined`.
    status: SessionStatus,
    /// When the service received the first decline (Unix seconds).
    declined_at: u64,
}

/// The answer to a decline: when the session was first declined, or why the decline
/// was refused.
fn declined(
    state: &AppState,
    registration_id: B256,
    declining: Declining,
) -> Result<Response, Problem> {
    match declining {
        Declining::Recorded { declined_at } => {
            info!(%registration_id, declined_at, "session declined");
            state.announce_change(registration_id);
            let declined = Declined {
                registration_id,
                status: SessionStatus::Declined,
                declined_at,
            };
            Ok(Json(declined).into_response())
        }
        Declining::Refused(refusal) => {
            warn!(%registration_id, refusal = refusal.code(), "decline refused");
            Err(decline_problem(refusal))
        }
    }
}

fn decline_problem(refusal: DeclineRefusal) -> Problem {
    let (status, message) = match refusal {
        DeclineRefusal::UnknownRegistration => return Problem::unknown_registration(),
        DeclineRefusal::RegistrationMismatch => (
            StatusCode::BAD_REQUEST,
            "the decline names another registration than the url",
        ),
        DeclineRefusal::WrongService => (
            StatusCode::BAD_REQUEST,
            "the decline names another service than this registration's",
        ),
        DeclineRefusal::RegistrationUsed => (
            StatusCode::CONFLICT,
            "the registration is already answered: there is nothing left to decline",
        ),
        DeclineRefusal::RegistrationExpired => (StatusCode::GONE, "the registration has expired"),
    };
    Problem::new(status, refusal.code()).with_message(message)
}
