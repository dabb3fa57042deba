//! Declines at the callback: recorded once without using up the session, so the
//! subject's later answer still counts; refused, changing nothing, for an unknown, used
//! or expired session, another service, or a body that is no decline.

use std::time::Duration;

use alloy::primitives::B256;
use serde_json::{json, Value};

use crate::fixtures::{unix_now, TestService, FIELDS, TOKEN};

impl TestService {
    /// Posts a decline body to `registration_id`'s callback.
    async fn decline(&self, registration_id: B256, decline: &Value) -> (u16, Value) {
        let path = format!("/v1/sessions/{registration_id}/submission");
        self.post(&path, None, decline.to_string()).await
    }

    /// The decline a wallet sends for `registration_id`.
    fn decline_of(&self, registration_id: B256) -> Value {
        json!({
            "version": 1,
            "registration_id": registration_id,
            "service": self.base,
            "declined_at": unix_now(),
        })
    }

    /// The types of the events in the outbox, newest first.
    async fn event_types(&self) -> Vec<String> {
        let (status, listing) = self.get("/v1/webhooks/deliveries", Some(TOKEN)).await;
        assert_eq!(status, 200, "{listing}");
        listing["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|delivery| delivery["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn a_decline_is_recorded_once_and_the_subjects_answer_still_counts() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let id = created.registration_id;

    let (status, answer) = service.decline(id, &service.decline_of(id)).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], "declined");
    assert_eq!(answer["registration_id"], id.to_string());
    let declined_at = answer["declined_at"].as_u64().unwrap();
    let shown = service.session(id).await;
    assert_eq!(shown["status"], "declined");
    assert_eq!(shown["declined_at"], declined_at);
    assert!(shown["answered_at"].is_null() && shown["verdict"].is_null());
    assert_eq!(service.event_types().await, ["session.declined"]);

    // Declined again, later: the first time stays, and no second event.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, again) = service.decline(id, &service.decline_of(id)).await;
    assert_eq!((status, &again["declined_at"]), (200, &json!(declined_at)));
    assert_eq!(service.event_types().await, ["session.declined"]);

    // The subject's own answer is still taken and approves.
    let (status, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(
        (status, verdict["outcome"].as_str()),
        (200, Some("approved"))
    );
    let answered = service.session(id).await;
    assert_eq!(answered["status"], "verified");
    assert_eq!(answered["declined_at"], declined_at);
    assert_eq!(
        service.event_types().await,
        ["session.approved", "session.declined"]
    );

    // Nobody can decline the answered session, and trying changes nothing.
    let (status, problem) = service.decline(id, &service.decline_of(id)).await;
    assert_eq!(
        (status, problem["error"].as_str()),
        (409, Some("registration_used"))
    );
    assert_eq!(service.session(id).await, answered);
    assert_eq!(service.event_types().await.len(), 2);
}

#[tokio::test]
async fn declines_that_cannot_count_are_refused_and_change_nothing() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let id = created.registration_id;
    let decline = service.decline_of(id);
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut edited = decline.clone();
        edit(&mut edited);
        edited
    };

    let unknown = B256::repeat_byte(7);
    let (status, problem) = service.decline(unknown, &service.decline_of(unknown)).await;
    assert_eq!(
        (status, problem["error"].as_str()),
        (404, Some("unknown_registration"))
    );

    let elsewhere = with(&|v| v["service"] = json!("https://bank.example"));
    let (status, problem) = service.decline(id, &elsewhere).await;
    assert_eq!(
        (status, problem["error"].as_str()),
        (400, Some("wrong_service"))
    );

    let other = with(&|v| v["registration_id"] = json!(unknown));
    let (status, problem) = service.decline(id, &other).await;
    assert_eq!(
        (status, problem["error"].as_str()),
        (400, Some("registration_mismatch"))
    );

    for (edit, said) in [
        (
            &(|v: &mut Value| v["version"] = json!(2)) as &dyn Fn(&mut Value),
            "unsupported version 2",
        ),
        (
            &|v: &mut Value| v["reason"] = json!("no"),
            "unknown field `reason`",
        ),
        (
            &|v: &mut Value| v["declined_at"] = json!("now"),
            "declined_at",
        ),
        (
            &|v: &mut Value| v["padding"] = json!("x".repeat(4096)),
            "decline is over the limit of 2048 bytes",
        ),
    ] {
        let (status, problem) = service.decline(id, &with(edit)).await;
        assert_eq!(
            (status, problem["error"].as_str()),
            (400, Some("malformed"))
        );
        let message = problem["message"].as_str().unwrap();
        assert!(message.contains(said), "{message}");
        assert!(
            !message.contains("\"now\""),
            "the input is not repeated: {message}"
        );
    }
    let shown = service.session(id).await;
    assert_eq!(shown["status"], "pending");
    assert!(shown["declined_at"].is_null());
    assert!(service.event_types().await.is_empty());

    // An expired session can no longer be declined.
    let (_, body) = service
        .post(
            "/v1/sessions",
            Some(TOKEN),
            json!({ "fields": FIELDS, "ttl": 1 }).to_string(),
        )
        .await;
    let short: B256 = body["registration_id"].as_str().unwrap().parse().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, problem) = service.decline(short, &service.decline_of(short)).await;
    assert_eq!(
        (status, problem["error"].as_str()),
        (410, Some("registration_expired"))
    );
    assert!(service.session(short).await["declined_at"].is_null());
}
