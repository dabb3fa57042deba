//! A bank's webhook endpoint for tests: a real HTTP server on loopback that records
//! every attempt, can fail the first ones or hold them unanswered, and checks each
//! signature by the Standard Webhooks rules, computed here apart from the service's code.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU32, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use axum::{body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post, Router};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::{net::TcpListener, sync::Notify};

/// The signing secret the tests give the service.
pub const WEBHOOK_SECRET: &str = "whsec_a3ljLWFuY2hvci10ZXN0LXdlYmhvb2stc2VjcmV0LWtleSEh";

/// One attempt the endpoint received.
#[derive(Clone, Debug)]
pub struct Received {
    /// `webhook-id`.
    pub id: String,
    /// `webhook-timestamp`.
    pub timestamp: u64,
    /// Whether `webhook-signature` holds a valid `v1` signature of this attempt.
    pub signature_valid: bool,
    /// The body as JSON.
    pub body: serde_json::Value,
    /// The status the endpoint answered; 0 while held unanswered.
    pub answered: u16,
    /// When it arrived.
    pub at: Instant,
}

impl Received {
    /// The event's `type`.
    pub fn kind(&self) -> &str {
        self.body["type"].as_str().unwrap_or_default()
    }
}

#[derive(Default)]
struct Endpoint {
    received: Mutex<Vec<Received>>,
    fail_first: AtomicU32,
    hold: AtomicBool,
    arrived: Notify,
}

/// The endpoint; it stops when the test's runtime ends.
pub struct WebhookReceiver {
    /// `http://127.0.0.1:PORT/webhooks`.
    pub url: String,
    endpoint: Arc<Endpoint>,
}

impl WebhookReceiver {
    /// Listens on a free loopback port; answers 500 to the first `fail_first` attempts,
    /// then 204.
    pub async fn start(fail_first: u32) -> Self {
        let endpoint = Arc::new(Endpoint::default());
        endpoint.fail_first.store(fail_first, Ordering::SeqCst);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/webhooks", post(receive))
            .with_state(endpoint.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, endpoint }
    }

    /// Leaves every attempt from now on unanswered, until [`release`](Self::release):
    /// the sender sees a connection that hangs.
    pub fn hold(&self) {
        self.endpoint.hold.store(true, Ordering::SeqCst);
    }

    /// Answers the attempts that arrive from now on; those held stay unanswered.
    pub fn release(&self) {
        self.endpoint.hold.store(false, Ordering::SeqCst);
    }

    /// Every attempt so far, in order of arrival.
    pub fn received(&self) -> Vec<Received> {
        self.endpoint.received.lock().unwrap().clone()
    }

    /// Waits until `done` holds for the attempts received; panics after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        done: impl Fn(&[Received]) -> bool,
    ) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let arrived = self.endpoint.arrived.notified();
            let received = self.received();
            if done(&received) {
                return received;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "the webhook endpoint did not receive what was awaited within {timeout:?}: {:#?}",
                received
                    .iter()
                    .map(|r| (r.id.as_str(), r.kind(), r.answered))
                    .collect::<Vec<_>>()
            );
            let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), arrived).await;
        }
    }

    /// Waits for an accepted delivery of an event of type `kind`, and returns it.
    pub async fn delivered(&self, kind: &str, timeout: Duration) -> Received {
        let received = self
            .wait_until(timeout, |all| {
                all.iter().any(|r| r.kind() == kind && r.answered == 204)
            })
            .await;
        received
            .into_iter()
            .find(|r| r.kind() == kind && r.answered == 204)
            .unwrap()
    }
}

async fn receive(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    let signature_valid = signature_is_valid(&id, &timestamp, &body, &header("webhook-signature"));
    let held = endpoint.hold.load(Ordering::SeqCst);
    let failing = || {
        endpoint
            .fail_first
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    };
    let answered = match held {
        true => 0,
        false if failing() => 500,
        false => 204,
    };
    endpoint.received.lock().unwrap().push(Received {
        id,
        timestamp: timestamp.parse().unwrap_or_default(),
        signature_valid,
        body: serde_json::from_slice(&body).unwrap_or_default(),
        answered,
        at: Instant::now(),
    });
    endpoint.arrived.notify_waiters();
    if held {
        return std::future::pending().await;
    }
    StatusCode::from_u16(answered).unwrap()
}

/// The Standard Webhooks check: some `v1,` signature in the space-separated header is
/// the base64 HMAC-SHA256 of `id.timestamp.body` under the secret's key.
fn signature_is_valid(id: &str, timestamp: &str, body: &[u8], header: &str) -> bool {
    let key = BASE64
        .decode(WEBHOOK_SECRET.trim_start_matches("whsec_"))
        .unwrap();
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = BASE64.encode(mac.finalize().into_bytes());
    header
        .split(' ')
        .filter_map(|signature| signature.strip_prefix("v1,"))
        .any(|signature| signature == expected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_a_standard_webhooks_secret() {
        let key = BASE64
            .decode(WEBHOOK_SECRET.trim_start_matches("whsec_"))
            .unwrap();
        assert!((24..=64).contains(&key.len()));
    }
}
