//! Talking to a service: posting a submission or a decline to the code's callback and
//! reading the answer, posting a signed consent withdrawal.

use std::time::Duration;

use kyc_core::files::{Decline, SignedConsentWithdrawal, Submission};
use serde::Serialize;

use crate::{consent_log::ConsentOutcome, Error, Result};

/// How long the wallet waits for a service.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A service's verdict on a submission. Read leniently: the whole answer is kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Approved, review or rejected.
    pub outcome: ConsentOutcome,
    /// Machine-readable reasons, such as `missing_fields`.
    pub reasons: Vec<String>,
    /// The service's whole answer.
    pub body: serde_json::Value,
}

/// An HTTP client for services.
#[derive(Clone, Debug)]
pub struct ServiceClient {
    http: reqwest::Client,
}

impl ServiceClient {
    /// A client with a timeout, for http and https services.
    pub fn new() -> Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::Http {
                url: String::new(),
                reason: e.to_string(),
            })?;
        Ok(Self { http })
    }

    /// Posts a submission to `url` (the code's callback) and returns the service's verdict.
    ///
    /// Any HTTP status is accepted if the body is a verdict, since a service may answer
    /// a rejection with a client-error status.
    pub async fn submit(&self, url: &str, submission: &Submission) -> Result<Verdict> {
        let (status, body) = self.post_json(url, submission).await?;
        let outcome = body
            .get("outcome")
            .and_then(serde_json::Value::as_str)
            .and_then(ConsentOutcome::from_verdict)
            .ok_or_else(|| Error::NoVerdict {
                url: url.to_owned(),
                status,
            })?;
        let reasons = body
            .get("reasons")
            .and_then(serde_json::Value::as_array)
            .map(|reasons| {
                reasons
                    .iter()
                    .map(|reason| match reason {
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Verdict {
            outcome,
            reasons,
            body,
        })
    }

    /// Posts a signed consent withdrawal to `url` (see
    /// [`ConsentRecord::withdrawal_url`](crate::consent_log::ConsentRecord::withdrawal_url))
    /// and returns the service's answer.
    pub async fn withdraw_consent(
        &self,
        url: &str,
        withdrawal: &SignedConsentWithdrawal,
    ) -> Result<serde_json::Value> {
        let url = url.to_owned();
        let (status, body) = self.post_json(&url, withdrawal).await?;
        if !(200..300).contains(&status) {
            return Err(Error::WithdrawalRefused {
                url,
                status,
                message: error_of(&body),
            });
        }
        Ok(body)
    }

    /// Posts a decline to `url` (the code's callback) and returns the service's answer.
    pub async fn decline(&self, url: &str, decline: &Decline) -> Result<serde_json::Value> {
        let (status, body) = self.post_json(url, decline).await?;
        if !(200..300).contains(&status) {
            return Err(Error::DeclineRefused {
                url: url.to_owned(),
                status,
                message: error_of(&body),
            });
        }
        Ok(body)
    }

    /// Posts JSON; returns the status and the body as JSON (`null` when empty or not JSON).
    async fn post_json(
        &self,
        url: &str,
        body: &impl Serialize,
    ) -> Result<(u16, serde_json::Value)> {
        let http_error = |e: reqwest::Error| Error::Http {
            url: url.to_owned(),
            reason: with_sources(&e.without_url()),
        };
        let response = self
            .http
            .post(url)
            .json(body)
            .send()
            .await
            .map_err(http_error)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(http_error)?;
        let body = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
        Ok((status, body))
    }
}

/// The error code (or else the message) of a service's refusal, when it gave one.
fn error_of(body: &serde_json::Value) -> Option<String> {
    body.get("error")
        .or_else(|| body.get("message"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
}

/// An error and its causes in one line: reqwest's own message alone rarely says why.
fn with_sources(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
