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
use kyc_core::files::{parse_json, Decline, Submission};
use kyc_verifier::{DeclineRefusal, Declining, SessionStatus, Verdict};
use serde::Serialize;
use tracing::{info, warn};

use crate::{app::AppState, problem::Problem};

/// Answers 200 with the verdict, whatever its outcome, without the claim values the
/// wallet sent; 503 when the chain or the store is down (the session stays open);
/// 400 when the body names another registration than the path. A body shaped as a
/// decline (see [`Decline::is_decline_shaped`]) is taken as one instead.
pub(crate) async fn submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let registration_id = super::registration_id(&id)?;
    let body = super::body(body)?;
    if Decline::is_decline_shaped(&body) {
        return Ok(decline(&state, registration_id, &body)
            .await?
            .into_response());
    }
    let parsed = std::str::from_utf8(&body)
        .ok()
        .and_then(|text| parse_json::<Submission>(text).ok());
    let policy = &state.config.policy;
    let verdict = match &parsed {
        Some(submission) if submission.registration_id != registration_id => {
            warn!(%registration_id, named = %submission.registration_id, "refused: submission for another registration");
            return Err(Problem::bad_request(
                "registration_mismatch",
                "the submission names another registration than the url",
            ));
        }
        Some(submission) => {
            let judged = state.verifier.judge_submission(submission, policy).await?;
            state.record(judged).await?
        }
        // Not a submission: the verifier's verdict says `malformed`.
        None => state.verifier.verify(&body, policy).await?,
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

/// Records a decline of an open session: 200 with when it was first declined, the
/// session left open; a problem for a malformed decline or one the session refuses.
async fn decline(
    state: &AppState,
    registration_id: B256,
    body: &[u8],
) -> Result<Json<Declined>, Problem> {
    let decline =
        Decline::from_bytes(body).map_err(|e| Problem::bad_request("malformed", e.to_string()))?;
    match state.verifier.decline(registration_id, &decline).await? {
        Declining::Recorded { declined_at } => {
            info!(%registration_id, declined_at, "session declined");
            state.announce_change(registration_id);
            Ok(Json(Declined {
                registration_id,
                status: SessionStatus::Declined,
                declined_at,
            }))
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
