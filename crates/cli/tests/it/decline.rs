//! Declining through the binary: `kyc user decline` against `kyc service serve` on anvil,
//! with the bank's webhook endpoint. The decline is recorded and announced, a later
//! consent still approves, a decline of the used session is refused and changes
//! nothing, and a session that expires unanswered is announced once.

use std::time::Duration;

use serde_json::{json, Value};

use crate::{
    serve::{request, terminate, TOKEN},
    util::{kyc, stderr, stdout},
    webhooks::{accepted, answer_session, attested, open_session, Bank, WAIT},
};

/// `GET /v1/sessions/{id}` on the service at `port`.
fn session(port: u16, registration_id: &str) -> Value {
    let (status, body) = request(
        port,
        &format!("GET /v1/sessions/{registration_id} HTTP/1.0\r\nAuthorization: Bearer {TOKEN}"),
        "",
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_is_announced_and_a_later_consent_still_approves() {
    let bank = Bank::start().await;
    let (receiver, port) = (&bank.receiver, bank.port);
    let claims = attested(&bank.devnet).await;
    let child = bank.serve();
    let code = open_session(port, r#"{"fields":["given_name"]}"#);
    let uri = code.to_uri_string();
    let id = code.registration_id.to_string();

    let declined = kyc().args(["user", "decline", &uri]).output().unwrap();
    assert!(declined.status.success(), "{}", stderr(&declined));
    assert_eq!(
        stdout(&declined),
        format!(
            "Example Bank (http://127.0.0.1:{port}): declined, check code {}\n",
            code.check_code()
        )
    );
    let shown = session(port, &id);
    assert_eq!(shown["status"], "declined", "{shown}");
    let declined_at = shown["declined_at"].as_u64().unwrap();
    let announced = receiver.delivered("session.declined", WAIT).await;
    assert!(announced.signature_valid);
    assert_eq!(announced.body["data"], json!({ "registration_id": id }));

    // Declining again changes nothing: the first decline's time stays.
    let again = kyc()
        .args(["--json", "user", "decline", &uri])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    let receipt: Value = serde_json::from_str(&stdout(&again)).unwrap();
    assert_eq!(receipt["answer"]["status"], "declined");
    assert_eq!(receipt["answer"]["declined_at"], declined_at);

    // The decline did not use up the session: the subject's answer approves.
    answer_session(&bank.devnet, port, &code, &claims);
    let answered = session(port, &id);
    assert_eq!(answered["status"], "verified", "{answered}");
    assert_eq!(answered["declined_at"], declined_at);
    receiver.delivered("session.approved", WAIT).await;

    // Anyone's decline of the used session is refused, and changes nothing.
    let refused = kyc().args(["user", "decline", &uri]).output().unwrap();
    assert!(!refused.status.success());
    let message = stderr(&refused);
    assert!(
        message.contains("refused the decline: HTTP 409: registration_used"),
        "{message}"
    );
    assert_eq!(session(port, &id), answered);
    // Time for a stray event, if there were one, to arrive.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = receiver.received();
    assert_eq!(accepted(&received, "session.declined").len(), 1);
    assert_eq!(accepted(&received, "session.approved").len(), 1);

    let output = terminate(child);
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("session declined") && log.contains("decline refused"),
        "{log}"
    );
    assert!(!log.contains("Taro"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_expires_unanswered_is_announced_once() {
    let bank = Bank::start().await;
    let (receiver, port) = (&bank.receiver, bank.port);
    let first = bank.serve();
    let code = open_session(port, r#"{"fields":["given_name"],"ttl":1}"#);
    let id = code.registration_id.to_string();
    let expired = receiver.delivered("session.expired", WAIT).await;
    assert!(expired.signature_valid);
    assert_eq!(expired.body["data"], json!({ "registration_id": id }));
    assert_eq!(session(port, &id)["status"], "expired");

    // Another process on the same database sweeps at once on start: nothing new.
    let output = terminate(first);
    assert!(output.status.success(), "{}", stderr(&output));
    let second = bank.serve();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(accepted(&receiver.received(), "session.expired").len(), 1);
    let output = terminate(second);
    assert!(output.status.success(), "{}", stderr(&output));
}
