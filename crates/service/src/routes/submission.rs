//! `POST /v1/sessions/{id}/submission`: a wallet's answer, judged under the policy.

use std::sync::Arc;

use alloy_primitives::Address;
use axum::{
    body::Bytes,
    extract::{rejection::BytesRejection, Path, State},
    Json,
};
use kyc_core::files::{parse_json, Submission};
use kyc_verifier::Verdict;
use tracing::{info, warn};

use crate::{app::AppState, problem::Problem};

/// Answers 200 with the verdict, whatever its outcome, without the claim values the
/// wallet sent; 503 when the chain or the store is down (the session stays open);
/// 400 when the body names another registration than the path.
pub(crate) async fn submit(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Verdict>, Problem> {
    let registration_id = super::registration_id(&id)?;
    let body = super::body(body)?;
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
    }))
}
