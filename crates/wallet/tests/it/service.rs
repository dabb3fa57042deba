//! A tiny local service: it verifies submissions as a real one would (signature, root on
//! chain, active attestation), records every body it receives, takes declines (the first
//! one of a registration) and consent withdrawals signed by the subject.

use std::sync::{Arc, Mutex};

use alloy::{primitives::Address, providers::DynProvider};
use axum::{extract::State, http::StatusCode, routing::post, Json, Router};
use kyc_contracts::KycRegistry;
use kyc_core::{
    attestation::Status,
    eip712::signing_hash,
    files::{Decline, JsonFile, SignedConsentWithdrawal, Submission},
    signature::recover_signer,
};
use serde_json::{json, Value};

#[derive(Clone)]
struct ServiceState {
    registry: KycRegistry::KycRegistryInstance<DynProvider>,
    chain_id: u64,
    received: Arc<Mutex<Vec<String>>>,
}

/// A running service; `origin` is `http://127.0.0.1:PORT`.
pub(crate) struct TestService {
    pub(crate) origin: String,
    received: Arc<Mutex<Vec<String>>>,
}

impl TestService {
    pub(crate) async fn start(provider: DynProvider, registry: Address, chain_id: u64) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let state = ServiceState {
            registry: KycRegistry::new(registry, provider),
            chain_id,
            received: received.clone(),
        };
        let app = Router::new()
            .route("/v1/sessions/{rid}/submission", post(submission))
            .route("/v1/sessions/{rid}/withdrawal", post(withdrawal))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { origin, received }
    }

    /// Every body received, in order.
    pub(crate) fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

async fn submission(State(state): State<ServiceState>, body: String) -> (StatusCode, Json<Value>) {
    if Decline::is_decline_shaped(body.as_bytes()) {
        return decline(&state, &body);
    }
    state.received.lock().unwrap().push(body.clone());
    let rejected = |reason: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "outcome": "rejected", "reasons": [reason] })),
        )
    };
    let Ok(submission) = Submission::from_json(&body) else {
        return rejected("malformed");
    };
    match recover_signer(submission.signing_hash(), &submission.signature) {
        Ok(signer) if signer == submission.subject => {}
        _ => return rejected("bad_signature"),
    }
    let stored = state
        .registry
        .attestation(submission.subject, submission.certifier)
        .call()
        .await
        .unwrap();
    if stored.root != submission.root {
        return rejected("root_mismatch");
    }
    if Status::from_abi(stored.status).ok() != Some(Status::Active) {
        return rejected("revoked");
    }
    let disclosed: Vec<&str> = submission.disclosed().map(|c| c.key.as_str()).collect();
    (
        StatusCode::OK,
        Json(json!({ "outcome": "approved", "reasons": [], "fields": disclosed })),
    )
}

/// Accepts the first decline of a registration; refuses another as a real service
/// refuses a decline of a used session, with an error code.
fn decline(state: &ServiceState, body: &str) -> (StatusCode, Json<Value>) {
    let mut received = state.received.lock().unwrap();
    let Ok(decline) = Decline::from_bytes(body.as_bytes()) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "malformed" })),
        );
    };
    let id = decline.registration_id.to_string();
    if received.iter().any(|earlier| earlier.contains(&id)) {
        return (
            StatusCode::CONFLICT,
            Json(json!({ "error": "registration_used" })),
        );
    }
    received.push(body.to_owned());
    (
        StatusCode::OK,
        Json(json!({ "registration_id": id, "status": "declined" })),
    )
}

async fn withdrawal(State(state): State<ServiceState>, body: String) -> (StatusCode, Json<Value>) {
    state.received.lock().unwrap().push(body.clone());
    let Ok(withdrawal) = serde_json::from_str::<SignedConsentWithdrawal>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "malformed" })),
        );
    };
    let digest = signing_hash(
        &withdrawal.message(),
        state.chain_id,
        *state.registry.address(),
    );
    match recover_signer(digest, &withdrawal.signature) {
        Ok(signer) if signer == withdrawal.subject => {
            (StatusCode::OK, Json(json!({ "deleted": true })))
        }
        _ => (
            StatusCode::FORBIDDEN,
            Json(json!({ "error": "signature is not the subject's" })),
        ),
    }
}
