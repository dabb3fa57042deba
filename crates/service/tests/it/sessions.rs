//! The backend's routes, the customer's page and the health check.

use kyc_core::uri::RegistrationUri;
use serde_json::json;

use crate::fixtures::{unix_now, TestService, FIELDS, TOKEN};

#[tokio::test]
async fn the_backend_routes_need_the_token() {
    let service = TestService::start().await;
    let body = json!({ "fields": FIELDS }).to_string();
    for token in [None, Some("wrong-token-0123456789abcdef"), Some("")] {
        let (status, answer) = service.post("/v1/sessions", token, body.clone()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (401, Some("unauthorized"))
        );
    }
    let response = service
        .http
        .post(service.url("/v1/sessions"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    // A token in another scheme is no bearer token.
    let response =
        service
            .http
            .get(service.url(
                "/v1/sessions/0x0000000000000000000000000000000000000000000000000000000000000001",
            ))
            .header("authorization", format!("Basic {TOKEN}"))
            .send()
            .await
            .unwrap();
    assert_eq!(response.status(), 401);

    let created = service.create_session(&FIELDS).await;
    for token in [None, Some("test-token-0123456789abcdeX")] {
        let (status, _) = service
            .get(&format!("/v1/sessions/{}", created.registration_id), token)
            .await;
        assert_eq!(status, 401);
    }
}

#[tokio::test]
async fn a_session_is_created_and_shown_pending() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let code = RegistrationUri::parse(&created.uri).unwrap();
    assert_eq!(code.registration_id, created.registration_id);
    assert_eq!(code.service, service.base);
    assert_eq!(code.name, "Example Bank");
    assert_eq!(code.fields, FIELDS);
    assert_eq!(code.chain_id, service.devnet.chain_id());
    assert_eq!(code.registry, service.devnet.registry);
    assert_eq!(
        code.callback,
        service.url(&format!(
            "/v1/sessions/{}/submission",
            created.registration_id
        ))
    );
    assert!(code.expires_at.abs_diff(unix_now() + 600) <= 5);
    assert_eq!(
        created.page_url,
        service.url(&format!("/r/{}", created.registration_id))
    );

    let shown = service.session(created.registration_id).await;
    assert_eq!(shown["status"], "pending");
    assert_eq!(
        (&shown["uri"], &shown["page_url"]),
        (&json!(created.uri), &json!(created.page_url))
    );
    assert_eq!(shown["fields"], json!(FIELDS));
    assert_eq!(shown["expires_at"], code.expires_at);
    assert!(shown["verdict"].is_null() && shown["answered_at"].is_null());
}

#[tokio::test]
async fn bad_session_requests_are_refused() {
    let service = TestService::start().await;
    let refusals = [
        (
            json!({ "fields": FIELDS, "colour": "blue" }).to_string(),
            "malformed",
        ),
        ("not json".to_owned(), "malformed"),
        (
            json!({ "fields": ["Given Name"] }).to_string(),
            "invalid_session",
        ),
        (
            json!({ "fields": ["given_name", "given_name"] }).to_string(),
            "invalid_session",
        ),
        (
            json!({ "fields": FIELDS, "ttl": 0 }).to_string(),
            "invalid_session",
        ),
    ];
    for (body, code) in refusals {
        let (status, answer) = service
            .post("/v1/sessions", Some(TOKEN), body.clone())
            .await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (400, Some(code)),
            "{body}"
        );
    }
    let unknown = "/v1/sessions/0x00000000000000000000000000000000000000000000000000000000000000aa";
    let (status, answer) = service.get(unknown, Some(TOKEN)).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_registration"))
    );
    let (status, answer) = service.get("/v1/sessions/42", Some(TOKEN)).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_registration_id"))
    );
}

#[tokio::test]
async fn the_page_shows_the_code_the_id_and_the_fields() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let response = service.http.get(&created.page_url).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    assert!(headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let policy = headers["content-security-policy"].to_str().unwrap();
    assert!(policy.starts_with("default-src 'none'") && policy.contains("script-src 'sha256-"));
    let html = response.text().await.unwrap();
    assert!(html.contains("<h1>Example Bank</h1>"));
    assert!(html.contains(&service.base));
    let id = created.registration_id.to_string();
    let shown_id: String = html
        .split("id=\"registration-id\">")
        .nth(1)
        .and_then(|rest| rest.split("</p>").next())
        .unwrap()
        .replace("<span>", "")
        .replace("</span>", "")
        .replace("<small>", "")
        .replace("</small>", "");
    assert_eq!(shown_id, id);
    for field in FIELDS {
        assert!(html.contains(&format!("<li>{field}</li>")));
    }
    assert!(html.contains("data-status=\"pending\""));
    assert!(html.contains("<svg") && !html.contains("<?xml"));
    assert!(!html.contains("src=\"http"), "no external asset");

    let response = service
        .http
        .get(service.url(&format!("/r/{id}/qr.svg")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/svg+xml");
    assert!(response.text().await.unwrap().contains("<svg"));

    let unknown = "0x00000000000000000000000000000000000000000000000000000000000000aa";
    let response = service
        .http
        .get(service.url(&format!("/r/{unknown}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert!(response
        .text()
        .await
        .unwrap()
        .contains("This registration code is unknown"));
    for path in [
        format!("/r/{unknown}"),
        format!("/r/{unknown}/qr.svg"),
        format!("/r/{unknown}/events"),
    ] {
        let (status, _) = service.get(&path, None).await;
        assert_eq!(status, 404, "{path}");
    }
    let response = service
        .http
        .get(service.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}
