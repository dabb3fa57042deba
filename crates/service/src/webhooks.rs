//! Signed webhooks, as the Standard Webhooks specification has them: each event of the
//! outbox is posted to the bank's URL with `webhook-id`, `webhook-timestamp` and
//! `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, at least once,
//! retried with exponential backoff under the same `webhook-id`.

use std::{fmt, sync::Arc, time::Duration};

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use hmac::{Hmac, Mac};
use kyc_verifier::{
    outbox::{Attempt, Backoff, Delivery},
    Store,
};
use sha2::Sha256;
use tracing::{info, warn};

use crate::{app::AppState, Error, Result};

/// The prefix of a secret written as Standard Webhooks writes it.
const SECRET_PREFIX: &str = "whsec_";
/// How many events one claim leases at most.
const CLAIM_BATCH: u32 = 32;
/// How often the outbox is read again when nothing was announced in this process.
const POLL_EVERY: Duration = Duration::from_secs(1);

/// The key that signs webhooks: 24 to 64 bytes, written `whsec_<base64>`. Its
/// `Debug` never shows it.
#[derive(Clone)]
pub struct WebhookSecret(Hmac<Sha256>);

impl WebhookSecret {
    /// Reads `whsec_<base64>` (the prefix may be left out); the key must be 24 to 64 bytes.
    pub fn parse(text: &str) -> Result<Self> {
        let encoded = text.trim();
        let encoded = encoded.strip_prefix(SECRET_PREFIX).unwrap_or(encoded);
        let key = BASE64
            .decode(encoded)
            .ok()
            .filter(|key| (24..=64).contains(&key.len()))
            .ok_or(Error::WebhookSecret)?;
        let mac = Hmac::new_from_slice(&key).map_err(|_| Error::WebhookSecret)?;
        Ok(Self(mac))
    }

    /// The `webhook-signature` header of a message: `v1,` and the base64 HMAC-SHA256,
    /// under this key, of `id.timestamp.body`.
    pub fn sign(&self, id: &str, timestamp: u64, body: &[u8]) -> String {
        let mut mac = self.0.clone();
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
    }
}

impl fmt::Debug for WebhookSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("WebhookSecret(***)")
    }
}

/// Where and how the service sends its webhooks.
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    /// The bank's endpoint, `http(s)://…`.
    pub url: String,
    /// The signing key.
    pub secret: WebhookSecret,
    /// When to retry, and when to give up.
    pub backoff: Backoff,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// Webhooks to `url` signed with `secret`, retried by the default backoff, 10 s per attempt.
    pub fn new(url: impl Into<String>, secret: WebhookSecret) -> Self {
        Self {
            url: url.into(),
            secret,
            backoff: Backoff::default(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Checks the URL is absolute `http` or `https`, and the timeout above zero.
    pub(crate) fn check(&self) -> Result<()> {
        let url = reqwest::Url::parse(&self.url).map_err(|_| Error::WebhookUrl)?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(Error::WebhookUrl);
        }
        if self.timeout.is_zero() || self.backoff.max_attempts == 0 {
            return Err(Error::WebhookTimeout);
        }
        Ok(())
    }

    /// How long a claimed event stays leased: an attempt, and some margin.
    fn lease(&self) -> Duration {
        self.timeout + Duration::from_secs(5)
    }
}

/// Delivers the outbox's events until the service stops.
pub(crate) async fn deliver(state: Arc<AppState>, config: WebhookConfig) {
    // reqwest is built without a default TLS provider; another part may have installed one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = match reqwest::Client::builder()
        .timeout(config.timeout)
        .redirect(reqwest::redirect::Policy::none())
        .build()
    {
        Ok(client) => client,
        Err(err) => {
            warn!(%err, "webhooks: cannot build the http client; no webhook will be sent");
            return;
        }
    };
    let mut stopping = state.stopping.subscribe();
    loop {
        let now = crate::routes::unix_now();
        let claimed = state
            .verifier
            .store()
            .claim_deliveries(now, config.lease(), CLAIM_BATCH)
            .await;
        let claimed = match claimed {
            Ok(claimed) => claimed,
            Err(err) => {
                warn!(%err, "webhooks: cannot read the outbox");
                Vec::new()
            }
        };
        let idle = claimed.is_empty();
        // All at once, so that each attempt ends well within its lease.
        let attempts = claimed
            .iter()
            .map(|delivery| send(&state, &client, &config, delivery));
        tokio::select! {
            _ = futures_util::future::join_all(attempts) => {}
            // Their leases end and other attempts follow, under the same webhook-ids.
            _ = stopping.wait_for(|stop| *stop) => return,
        }
        if idle {
            tokio::select! {
                () = tokio::time::sleep(POLL_EVERY) => {}
                () = state.outbox_ready.notified() => {}
                _ = stopping.wait_for(|stop| *stop) => return,
            }
        }
    }
}

/// One attempt to deliver an event, and its record in the outbox.
async fn send(
    state: &AppState,
    client: &reqwest::Client,
    config: &WebhookConfig,
    delivery: &Delivery,
) {
    let timestamp = crate::routes::unix_now();
    let signature = config
        .secret
        .sign(&delivery.id, timestamp, delivery.body.as_bytes());
    let sent = client
        .post(&config.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.body.clone())
        .send()
        .await;
    let attempts = delivery.attempts + 1;
    let now = crate::routes::unix_now();
    let attempt = match sent {
        Ok(response) if response.status().is_success() => Attempt::Delivered { at: now },
        Ok(response) => Attempt::Failed {
            error: format!("the receiver answered {}", response.status().as_u16()),
            retry_at: config.backoff.retry_at(attempts, now),
        },
        Err(err) => Attempt::Failed {
            error: err.without_url().to_string(),
            retry_at: config.backoff.retry_at(attempts, now),
        },
    };
    match &attempt {
        Attempt::Delivered { .. } => {
            info!(webhook_id = %delivery.id, kind = %delivery.kind, attempts, "webhook delivered")
        }
        Attempt::Failed { error, retry_at } => warn!(
            webhook_id = %delivery.id,
            kind = %delivery.kind,
            attempts,
            %error,
            retry_at,
            "webhook not delivered"
        ),
    }
    if let Err(err) = state
        .verifier
        .store()
        .record_attempt(&delivery.id, &attempt)
        .await
    {
        warn!(webhook_id = %delivery.id, %err, "webhooks: cannot record an attempt; it will be repeated");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example the Standard Webhooks reference libraries sign and verify.
    #[test]
    fn signatures_reproduce_the_standard_webhooks_example() -> Result<()> {
        let secret = WebhookSecret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
        assert_eq!(
            secret.sign(
                "msg_p5jXN8AQM9LWM0D4loKWxJek",
                1_614_265_330,
                br#"{"test": 2432232314}"#
            ),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(format!("{secret:?}"), "WebhookSecret(***)");
        Ok(())
    }

    #[test]
    fn a_secret_is_base64_of_24_to_64_bytes() {
        assert!(WebhookSecret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_ok());
        for bad in ["whsec_", "whsec_c2hvcnQ=", "whsec_not base64!", ""] {
            assert!(
                matches!(WebhookSecret::parse(bad), Err(Error::WebhookSecret)),
                "{bad}"
            );
        }
        let long = BASE64.encode([7u8; 65]);
        assert!(WebhookSecret::parse(&long).is_err());
    }
}
