//! Webhooks to a real HTTP endpoint on loopback: verdicts and customers' changes of
//! status arrive signed, a failing endpoint gets the same `webhook-id` again, failed
//! deliveries are listed and retried; the customer routes.

use std::time::{Duration, Instant};

use kyc_service::{ServiceConfig, WebhookConfig, WebhookSecret};
use kyc_test_utils::webhooks::{Received, WebhookReceiver, WEBHOOK_SECRET};
use kyc_verifier::outbox::Backoff;
use serde_json::Value;

use crate::fixtures::{TestService, FIELDS, TOKEN};

const WAIT: Duration = Duration::from_secs(20);

/// Webhooks to `receiver`, a watcher pass every 200 ms.
fn webhooks_to(receiver: &WebhookReceiver) -> impl FnOnce(&mut ServiceConfig) {
    let url = receiver.url.clone();
    move |config| {
        let secret = WebhookSecret::parse(WEBHOOK_SECRET).unwrap();
        config.webhook = Some(WebhookConfig::new(url, secret));
        config.monitor.every = Duration::from_millis(200);
    }
}

impl TestService {
    /// The subject answers a new session and is approved.
    async fn approve(&self) -> Value {
        let created = self.create_session(&FIELDS).await;
        let (status, verdict) = self.submit(&self.submission(&created.uri, &FIELDS)).await;
        assert_eq!(
            (status, verdict["outcome"].as_str()),
            (200, Some("approved"))
        );
        verdict
    }

    /// The latest delivery with `status`, once there is one.
    async fn first_delivery(&self, status: &str) -> Value {
        let started = Instant::now();
        loop {
            let path = format!("/v1/webhooks/deliveries?status={status}");
            let (code, listing) = self.get(&path, Some(TOKEN)).await;
            assert_eq!(code, 200, "{listing}");
            if let Some(first) = listing["deliveries"].as_array().and_then(|all| all.first()) {
                return first.clone();
            }
            assert!(started.elapsed() < WAIT, "no {status} delivery");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn customer(&self) -> (u16, Value) {
        let subject = self.devnet.subject.address();
        self.get(&format!("/v1/customers/{subject}"), Some(TOKEN))
            .await
    }
}

/// An event's data names addresses and hashes, never a claim value.
fn assert_no_claim_values(received: &Received) {
    let text = received.body.to_string();
    for value in ["Taro", "Yamada", "1990-01-31"] {
        assert!(!text.contains(value), "{text}");
    }
}

#[tokio::test]
async fn an_approval_then_a_revocation_arrive_signed() {
    let receiver = WebhookReceiver::start(0).await;
    let service = TestService::start_with(webhooks_to(&receiver)).await;
    let verdict = service.approve().await;
    let approved = receiver.delivered("session.approved", WAIT).await;
    assert!(approved.signature_valid);
    assert_no_claim_values(&approved);
    let data = &approved.body["data"];
    let subject = service.devnet.subject.address().to_string();
    assert_eq!(data["registration_id"], verdict["registration_id"]);
    assert_eq!(data["subject"], subject.as_str());
    assert_eq!(data["root"], service.credential.root.to_string().as_str());
    assert_eq!(data["block"], verdict["block_number"]);

    let (status, customer) = service.customer().await;
    assert_eq!(status, 200, "{customer}");
    assert_eq!(customer["status"], "active");
    assert_eq!(customer["reason"], Value::Null);
    assert_eq!(customer["registration_id"], verdict["registration_id"]);

    let receipt = service.devnet.revoke("fraud").await;
    let mined = Instant::now();
    let revoked = receiver.delivered("customer.revoked", WAIT).await;
    let delay = revoked.at.saturating_duration_since(mined);
    eprintln!("revocation mined to customer.revoked received: {delay:?}");
    assert!(delay < Duration::from_secs(5), "{delay:?}");
    assert!(revoked.signature_valid);
    assert_no_claim_values(&revoked);
    let data = &revoked.body["data"];
    assert_eq!(
        data["transaction"],
        receipt.transaction_hash.to_string().as_str()
    );
    assert_eq!(data["block"], receipt.block_number.unwrap());
    let (_, customer) = service.customer().await;
    assert_eq!(
        (customer["status"].as_str(), customer["reason"].as_str()),
        (Some("revoked"), Some("revoked"))
    );
    assert!(customer["checked_through"].as_u64() >= receipt.block_number);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_receiver_that_fails_twice_gets_the_same_webhook_id_three_times() {
    let receiver = WebhookReceiver::start(2).await;
    let service = TestService::start_with(webhooks_to(&receiver)).await;
    service.approve().await;
    let received = receiver
        .wait_until(WAIT, |all| all.iter().any(|r| r.answered == 204))
        .await;
    let answers: Vec<u16> = received.iter().map(|r| r.answered).collect();
    assert_eq!(answers, [500, 500, 204]);
    assert!(received.iter().all(|r| r.id == received[0].id));
    assert!(received.iter().all(|r| r.signature_valid));
    assert!(received
        .windows(2)
        .all(|pair| pair[0].timestamp < pair[1].timestamp));

    // The service records the delivery once the receiver's answer is in.
    let delivery = service.first_delivery("delivered").await;
    assert_eq!(delivery["id"], received[0].id.as_str());
    assert_eq!(
        (delivery["type"].as_str(), delivery["attempts"].as_u64()),
        (Some("session.approved"), Some(3))
    );
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_failed_delivery_is_listed_and_can_be_retried() {
    let receiver = WebhookReceiver::start(2).await;
    let url = receiver.url.clone();
    let service = TestService::start_with(move |config| {
        let secret = WebhookSecret::parse(WEBHOOK_SECRET).unwrap();
        let mut webhook = WebhookConfig::new(url, secret);
        webhook.backoff = Backoff {
            max_attempts: 2,
            ..Backoff::default()
        };
        config.webhook = Some(webhook);
    })
    .await;
    service.approve().await;
    receiver.wait_until(WAIT, |all| all.len() == 2).await;
    let failed = service.first_delivery("failed").await;
    assert_eq!(failed["type"], "session.approved");
    assert_eq!(failed["attempts"], 2);
    assert_eq!(failed["last_error"], "the receiver answered 500");
    let id = failed["id"].as_str().unwrap();

    let (status, answer) = service
        .post(
            &format!("/v1/webhooks/deliveries/{id}/retry"),
            Some(TOKEN),
            String::new(),
        )
        .await;
    assert_eq!((status, answer["status"].as_str()), (202, Some("pending")));
    let delivered = receiver.delivered("session.approved", WAIT).await;
    assert_eq!(delivered.id, id);
    assert!(delivered.signature_valid);

    // Only a failed delivery can be retried; the routes check what they are given.
    let path = format!("/v1/webhooks/deliveries/{id}/retry");
    let refusals = [
        (path.as_str(), Some(TOKEN), 404, "unknown_delivery"),
        (
            "/v1/webhooks/deliveries/msg_1/retry",
            Some(TOKEN),
            400,
            "invalid_webhook_id",
        ),
        (path.as_str(), None, 401, "unauthorized"),
    ];
    for (path, token, expected, code) in refusals {
        let (status, answer) = service.post(path, token, String::new()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (expected, Some(code)),
            "{path}"
        );
    }
    for (query, code) in [
        ("?status=lost", "invalid_status"),
        ("?limit=0", "invalid_limit"),
        ("?colour=red", "invalid_query"),
    ] {
        let (status, answer) = service
            .get(&format!("/v1/webhooks/deliveries{query}"), Some(TOKEN))
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn withdrawn_consent_ends_monitoring_with_an_event() {
    let receiver = WebhookReceiver::start(0).await;
    let service = TestService::start_with(webhooks_to(&receiver)).await;
    let verdict = service.approve().await;
    let id: alloy::primitives::B256 = verdict["registration_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let subject = service.devnet.subject.address();
    let withdrawal = service.withdrawal(id, &service.devnet.subject, subject);
    let path = format!("/v1/sessions/{id}/withdrawal");
    let (status, _) = service.post(&path, None, withdrawal.to_string()).await;
    assert_eq!(status, 200);
    let withdrawn = receiver.delivered("consent.withdrawn", WAIT).await;
    assert_eq!(
        withdrawn.body["data"]["registration_id"],
        verdict["registration_id"]
    );
    assert!(withdrawn.signature_valid);
    assert_eq!(service.customer().await.0, 404);
    // A second withdrawal is answered the same, and reports nothing new.
    let again = service.withdrawal(id, &service.devnet.subject, subject);
    assert_eq!(service.post(&path, None, again.to_string()).await.0, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let kinds: Vec<String> = receiver
        .received()
        .iter()
        .map(|r| r.kind().to_owned())
        .collect();
    assert_eq!(kinds, ["session.approved", "consent.withdrawn"]);
    service.shutdown().await.unwrap();
}

#[tokio::test]
async fn the_backend_ends_monitoring_and_the_customer_routes_check_input() {
    let service = TestService::start().await;
    service.approve().await;
    let subject = service.devnet.subject.address();
    let path = format!("/v1/customers/{subject}");
    assert_eq!(service.get(&path, None).await.0, 401);
    let refusals = [
        ("/v1/customers/0x1234", 400, "invalid_subject"),
        (
            "/v1/customers/0x0000000000000000000000000000000000000042",
            404,
            "unknown_customer",
        ),
    ];
    for (path, expected, code) in refusals {
        let (status, answer) = service.get(path, Some(TOKEN)).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (expected, Some(code)),
            "{path}"
        );
    }
    let deleted = service
        .http
        .delete(service.url(&path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(service.get(&path, Some(TOKEN)).await.0, 404);
    let again = service
        .http
        .delete(service.url(&path))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    service.shutdown().await.unwrap();
}
