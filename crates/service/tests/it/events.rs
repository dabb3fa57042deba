//! The page's event stream: the status as it changes, and its end at shutdown.

use std::time::Duration;

use kyc_service::{ClientIp, StreamLimit};
use serde_json::{json, Value};

use crate::fixtures::{TestService, FIELDS};

/// Reads `event: status` blocks from a server-sent event stream.
struct StatusEvents {
    response: reqwest::Response,
    buffer: String,
}

impl StatusEvents {
    async fn open(service: &TestService, registration_id: &str) -> Self {
        let response = service
            .http
            .get(service.url(&format!("/r/{registration_id}/events")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next status event's data, or `None` when the stream ends.
    async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if block.lines().any(|line| line == "event: status") {
                    let data = block
                        .lines()
                        .find_map(|line| line.strip_prefix("data: "))
                        .unwrap();
                    return Some(serde_json::from_str(data).unwrap());
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(20), self.response.chunk())
                .await
                .expect("an event within 20 seconds")
                .unwrap()?;
            self.buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        }
    }
}

#[tokio::test]
async fn the_stream_delivers_the_status_change() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let mut events = StatusEvents::open(&service, &created.registration_id.to_string()).await;
    let first = events.next().await.unwrap();
    assert_eq!(
        first,
        json!({ "status": "pending", "label": "Waiting for your wallet…", "reasons": [] })
    );

    let (_, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(verdict["outcome"], "approved");
    let changed = events.next().await.unwrap();
    assert_eq!(
        changed,
        json!({ "status": "verified", "label": "Verified", "reasons": [] })
    );
    assert_eq!(events.next().await, None, "a final status ends the stream");
}

#[tokio::test]
async fn a_refusal_reaches_the_page_with_its_reasons() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let mut events = StatusEvents::open(&service, &created.registration_id.to_string()).await;
    assert_eq!(events.next().await.unwrap()["status"], "pending");
    service
        .submit(&service.submission(&created.uri, &["family_name", "given_name"]))
        .await;
    let changed = events.next().await.unwrap();
    assert_eq!(
        changed,
        json!({ "status": "refused", "label": "Refused", "reasons": ["missing_fields"] })
    );
}

#[tokio::test]
async fn shutdown_ends_open_streams() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let mut events = StatusEvents::open(&service, &created.registration_id.to_string()).await;
    assert_eq!(events.next().await.unwrap()["status"], "pending");
    service.shutdown().await.unwrap();
    assert_eq!(events.next().await, None);
}

#[tokio::test]
async fn open_streams_are_capped_per_client_and_in_all() {
    let service = TestService::start_with(|config| {
        config.client_ip = ClientIp::LastForwardedFor;
        config.event_streams = StreamLimit {
            per_client: 2,
            total: 3,
        };
    })
    .await;
    let created = service.create_session(&FIELDS).await;
    let url = service.url(&format!("/r/{}/events", created.registration_id));
    let open = |client: &'static str| {
        service
            .http
            .get(&url)
            .header("x-forwarded-for", client)
            .send()
    };
    let first = open("192.0.2.1").await.unwrap();
    let second = open("192.0.2.1").await.unwrap();
    assert_eq!(
        (first.status().as_u16(), second.status().as_u16()),
        (200, 200)
    );
    // A third of the same client is refused; another client still gets one.
    let refused = open("192.0.2.1").await.unwrap();
    assert_eq!(refused.status(), 503);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "too_many_streams");
    let other = open("192.0.2.2").await.unwrap();
    assert_eq!(other.status(), 200);
    // Three are open in all: a third client is refused too.
    assert_eq!(open("192.0.2.3").await.unwrap().status(), 503);
    // A closed stream frees its place.
    drop(first);
    let mut reopened = 503;
    for _ in 0..50 {
        reopened = open("192.0.2.3").await.unwrap().status().as_u16();
        if reopened == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(reopened, 200);
    drop((second, other));
}
