//! The backend's invitations over HTTP: a list in one request, the same list again
//! making nothing new, bad references skipped by position, statuses as sessions are
//! answered, and the references never on anything the wallet or the customer reads.

use serde_json::{json, Value};

use crate::fixtures::{TestService, FIELDS, TOKEN};

fn references(report: &Value) -> Vec<(&str, &str)> {
    report["invitations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|invitation| {
            (
                invitation["reference"].as_str().unwrap(),
                invitation["status"].as_str().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_list_is_invited_once_and_each_invitation_tracked() {
    let service = TestService::start().await;
    let body = json!({
        "batch": "2026-11",
        "fields": FIELDS,
        "references": ["C-001", "C-002", " ", "C-001", "C-003"],
    })
    .to_string();
    let (status, answer) = service.post("/v1/invitations", None, body.clone()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (401, Some("unauthorized"))
    );

    let (status, first) = service
        .post("/v1/invitations", Some(TOKEN), body.clone())
        .await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (first["created"].as_u64(), first["existing"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(
        first["skipped"],
        json!([
            { "line": 3, "error": "missing_reference", "message": "no reference" },
            { "line": 4, "error": "duplicate_reference", "message": "the reference of line 1 again" },
        ])
    );
    assert_eq!(
        references(&first),
        [
            ("C-001", "pending"),
            ("C-002", "pending"),
            ("C-003", "pending")
        ]
    );
    let invitation = &first["invitations"][0];
    let uri = invitation["uri"].as_str().unwrap();
    let expires_in =
        invitation["expires_at"].as_u64().unwrap() - invitation["created_at"].as_u64().unwrap();
    assert_eq!(expires_in, 10 * 86_400, "ten days unless told otherwise");

    // The wallet reads the code and the customer the page: neither holds the reference.
    let registration_id = invitation["registration_id"].as_str().unwrap();
    let page = service
        .http
        .get(service.url(&format!("/r/{registration_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for shown in [uri, page.as_str()] {
        assert!(
            !shown.contains("C-00") && !shown.contains("2026-11"),
            "{shown}"
        );
    }

    // The same list again: the same invitations, nothing new.
    let (status, again) = service.post("/v1/invitations", Some(TOKEN), body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(
        (again["created"].as_u64(), again["existing"].as_u64()),
        (Some(0), Some(3))
    );
    assert_eq!(again["invitations"], first["invitations"]);

    // The first customer answers: approved; the others stay pending.
    let submission = service.submission(uri, &FIELDS);
    let (status, verdict) = service.submit(&submission).await;
    assert_eq!(
        (status, verdict["outcome"].as_str()),
        (200, Some("approved")),
        "{verdict}"
    );
    for text in ["C-00", "2026-11"] {
        assert!(!verdict.to_string().contains(text), "{verdict}");
    }
    let (status, list) = service
        .get("/v1/invitations?batch=2026-11", Some(TOKEN))
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        references(&list),
        [
            ("C-001", "approved"),
            ("C-002", "pending"),
            ("C-003", "pending")
        ]
    );
    assert!(list["invitations"][0]["answered_at"].is_u64());
    assert_eq!(
        list["summary"],
        json!({ "pending": 2, "approved": 1, "review": 0, "rejected": 0, "declined": 0, "expired": 0, "withdrawn": 0 })
    );
    let (_, approved) = service
        .get("/v1/invitations?batch=2026-11&status=approved", Some(TOKEN))
        .await;
    assert_eq!(references(&approved), [("C-001", "approved")]);
    assert_eq!(approved["summary"], list["summary"]);
    let (_, other) = service
        .get("/v1/invitations?batch=another", Some(TOKEN))
        .await;
    assert_eq!(other["invitations"], json!([]));
}

#[tokio::test]
async fn bad_invitation_requests_are_refused_and_change_nothing() {
    let service = TestService::start().await;
    let refusals = [
        (
            json!({ "batch": "no spaces", "fields": FIELDS, "references": ["A"] }),
            "invalid_batch",
        ),
        (
            json!({ "batch": "b", "fields": ["Given Name"], "references": ["A"] }),
            "invalid_session",
        ),
        (
            json!({ "batch": "b", "fields": FIELDS, "references": ["A"], "ttl": 0 }),
            "invalid_session",
        ),
        (
            json!({ "batch": "b", "fields": FIELDS, "references": ["A"], "email": "x" }),
            "malformed",
        ),
        (json!({ "batch": "b", "fields": FIELDS }), "malformed"),
    ];
    for (body, code) in refusals {
        let (status, answer) = service
            .post("/v1/invitations", Some(TOKEN), body.to_string())
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    for (query, code) in [
        ("batch=no%20spaces", "invalid_batch"),
        ("status=lost", "invalid_status"),
        ("limit=3", "invalid_query"),
    ] {
        let (status, answer) = service
            .get(&format!("/v1/invitations?{query}"), Some(TOKEN))
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{query}"
        );
    }
    let (status, list) = service.get("/v1/invitations", Some(TOKEN)).await;
    assert_eq!(status, 200);
    assert_eq!(list["invitations"], json!([]));
}
