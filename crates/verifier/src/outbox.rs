//! The outbox: events waiting for delivery, written in the transaction of the change
//! they report, so none is lost between the change and the webhook.
//!
//! Delivery is at least once: a deliverer [claims](crate::Store::claim_deliveries)
//! due events for a lease, sends them, and records the result; an event whose
//! deliverer died is claimed again when its lease ends.

use std::time::Duration;

use serde::Serialize;

use crate::events::EventType;

kyc_core::coded_enum! {
    /// Where an event's delivery stands.
    pub enum DeliveryStatus {
        /// Not yet accepted by the receiver; retried when due.
        Pending = "pending",
        /// The receiver answered 2xx.
        Delivered = "delivered",
        /// Every attempt failed; retried only when asked.
        Failed = "failed",
    }
}

/// An event claimed for delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The event ID: the `webhook-id` of every attempt.
    pub id: String,
    /// The event's type.
    pub kind: EventType,
    /// The JSON body, exactly as signed and sent.
    pub body: String,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// An event in the outbox and its delivery so far.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeliveryRecord {
    /// The event ID (`webhook-id`).
    pub id: String,
    /// The event's type.
    #[serde(rename = "type")]
    pub kind: EventType,
    /// Where its delivery stands.
    pub status: DeliveryStatus,
    /// Attempts made.
    pub attempts: u32,
    /// When the event was recorded (Unix seconds).
    pub created_at: u64,
    /// When the next attempt is due, while pending (Unix seconds).
    pub next_attempt_at: Option<u64>,
    /// When the receiver accepted it (Unix seconds).
    pub delivered_at: Option<u64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
}

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The receiver answered 2xx at this time (Unix seconds).
    Delivered {
        /// When.
        at: u64,
    },
    /// The attempt failed: try again at `retry_at` (Unix seconds), or give up when `None`.
    Failed {
        /// Why, without the body.
        error: String,
        /// When to try again.
        retry_at: Option<u64>,
    },
}

/// When to retry after a failed attempt: `first` after the first failure, doubling
/// after each one, and never after `max_attempts` attempts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// The wait after the first failure.
    pub first: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Attempts before giving up.
    pub max_attempts: u32,
}

impl Default for Backoff {
    /// 1 s, 2 s, 4 s, … up to an hour, 12 attempts (about 2.3 hours in all).
    fn default() -> Self {
        Self {
            first: Duration::from_secs(1),
            max: Duration::from_secs(3600),
            max_attempts: 12,
        }
    }
}

impl Backoff {
    /// When to retry after `attempts` attempts failed, the last at `now` (Unix seconds);
    /// `None` once there were `max_attempts`.
    pub fn retry_at(&self, attempts: u32, now: u64) -> Option<u64> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doubled = self
            .first
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(30));
        Some(now.saturating_add(doubled.min(self.max).as_secs().max(1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_up_to_the_cap_then_stop() {
        let backoff = Backoff {
            first: Duration::from_secs(1),
            max: Duration::from_secs(5),
            max_attempts: 5,
        };
        let waits: Vec<_> = (1..=5).map(|n| backoff.retry_at(n, 100)).collect();
        assert_eq!(waits, [Some(101), Some(102), Some(104), Some(105), None]);
        assert_eq!(
            "failed".parse::<DeliveryStatus>().ok(),
            Some(DeliveryStatus::Failed)
        );
    }
}

/// Whether `id` has the form of a webhook ID: `msg_` and 32 hex digits.
pub fn is_webhook_id(id: &str) -> bool {
    id.strip_prefix("msg_")
        .is_some_and(|digits| digits.len() == 32 && digits.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// A failed delivery made pending again.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRetried {
    /// The webhook ID.
    pub id: String,
    /// Always pending.
    pub status: DeliveryStatus,
}
