//! What protects the wallets' routes: the body size limit and the rate limit per client.

use std::time::Duration;

use kyc_service::RateLimit;
use kyc_verifier::inspect::MAX_SUBMISSION_BYTES;
use serde_json::json;

use crate::fixtures::{TestService, FIELDS, TOKEN};

#[tokio::test]
async fn an_oversized_body_is_413() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let oversized = format!("{{\"padding\":\"{}\"}}", "x".repeat(MAX_SUBMISSION_BYTES));
    for route in ["submission", "withdrawal"] {
        let path = format!("/v1/sessions/{}/{route}", created.registration_id);
        let (status, answer) = service.post(&path, None, oversized.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (413, Some("payload_too_large")),
            "{route}"
        );
    }
    let (status, _) = service.post("/v1/sessions", Some(TOKEN), oversized).await;
    assert_eq!(status, 413);
    // Just under the limit is read, and judged.
    let path = format!("/v1/sessions/{}/submission", created.registration_id);
    let padded = format!("{{\"p\":\"{}\"}}", "x".repeat(MAX_SUBMISSION_BYTES - 10));
    let (status, verdict) = service.post(&path, None, padded).await;
    assert_eq!((status, &verdict["reasons"]), (200, &json!(["malformed"])));
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429() {
    let service = TestService::start_with(|config| {
        config.rate_limit = RateLimit {
            burst: 3,
            refill_every: Duration::from_secs(60),
        };
    })
    .await;
    let created = service.create_session(&FIELDS).await;
    let path = format!("/v1/sessions/{}/submission", created.registration_id);
    for _ in 0..3 {
        let (status, _) = service.post(&path, None, "{}".to_owned()).await;
        assert_eq!(status, 200);
    }
    let response = service
        .http
        .post(service.url(&path))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited");
    // Withdrawals share the client's bucket; the backend's routes are not limited.
    let (status, _) = service
        .post(
            &format!("/v1/sessions/{}/withdrawal", created.registration_id),
            None,
            "{}".to_owned(),
        )
        .await;
    assert_eq!(status, 429);
    assert_eq!(
        service.session(created.registration_id).await["status"],
        "pending"
    );
}

#[tokio::test]
async fn public_pages_share_the_client_rate_limit() {
    let service = TestService::start_with(|config| {
        config.rate_limit = RateLimit {
            burst: 3,
            refill_every: Duration::from_secs(60),
        };
    })
    .await;
    let created = service.create_session(&FIELDS).await;
    let id = created.registration_id;
    let page = format!("/r/{id}");
    let qr = format!("/r/{id}/qr.svg");
    for path in [&page, &qr, &page] {
        let status = service
            .http
            .get(service.url(path))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 200, "{path}");
    }
    for path in [&page, &qr, &format!("/r/{id}/events")] {
        let status = service
            .http
            .get(service.url(path))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(status, 429, "{path}");
    }
    // The health check and the backend are not limited.
    let (status, _) = service.get("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(service.session(id).await["status"], "pending");
}
