//! Submissions: the whole flow from session to verified, refusals, malformed bodies,
//! a chain outage, and retention.

use std::time::Duration;

use alloy::{providers::Provider, signers::local::PrivateKeySigner};
use kyc_core::files::Credential;
use kyc_wallet::http::ServiceClient;
use serde_json::json;

use crate::fixtures::{unix_now, TestService, FIELDS};

#[tokio::test]
async fn a_wallet_is_verified_end_to_end() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let submission = service.submission(&created.uri, &FIELDS);

    // The wallet's own client posts to the code's callback.
    let code = kyc_wallet::scan::read_code(&created.uri, unix_now()).unwrap();
    let verdict = ServiceClient::new()
        .unwrap()
        .submit(&code.callback, &submission)
        .await
        .unwrap();
    assert_eq!(
        (verdict.outcome.code(), verdict.reasons.len()),
        ("approved", 0),
        "{}",
        verdict.body
    );
    assert_eq!(
        verdict.body["registration_id"],
        json!(created.registration_id)
    );
    assert_eq!(
        verdict.body["subject"],
        json!(service.devnet.subject.address().to_checksum(None))
    );
    assert_eq!(verdict.body["fields"], json!(FIELDS));
    let answer = verdict.body.to_string();
    assert!(
        !answer.contains("Yamada") && !answer.contains("1990-01-31"),
        "no claim value echoed: {answer}"
    );

    let shown = service.session(created.registration_id).await;
    assert_eq!(shown["status"], "verified");
    assert_eq!(shown["verdict"]["outcome"], "approved");
    assert_eq!(
        shown["verdict"]["certifier"],
        json!(service.devnet.certifier.address().to_checksum(None))
    );
    assert_eq!(
        shown["verdict"]["claims"],
        json!([
            { "key": "birthdate", "value": "1990-01-31" },
            { "key": "family_name", "value": "Yamada" },
            { "key": "given_name", "value": "Taro" },
        ])
    );
    assert!(shown["answered_at"].as_u64().is_some());

    // One registration, one answer.
    let (status, again) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (again["outcome"].as_str(), &again["reasons"]),
        (Some("rejected"), &json!(["registration_used"]))
    );
    assert_eq!(
        service.session(created.registration_id).await["status"],
        "verified"
    );
}

#[tokio::test]
async fn a_refusal_is_a_verdict_with_its_reasons() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;

    // Signed by someone else: proves nothing, so the session stays open.
    let mut forged = service.submission(&created.uri, &FIELDS);
    forged.signature = crate::fixtures::sign(&service.devnet.owner, forged.signing_hash());
    let (status, verdict) = service.submit(&forged).await;
    assert_eq!(
        (status, &verdict["reasons"]),
        (200, &json!(["signer_mismatch"]))
    );
    assert_eq!(
        service.session(created.registration_id).await["status"],
        "pending"
    );

    // Authentic but lacking a field asked for: refused, and the session is used up.
    let (status, verdict) = service
        .submit(&service.submission(&created.uri, &["birthdate", "given_name"]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (verdict["outcome"].as_str(), &verdict["reasons"]),
        (Some("rejected"), &json!(["missing_fields"]))
    );
    let shown = service.session(created.registration_id).await;
    assert_eq!(shown["status"], "refused");
    assert_eq!(shown["verdict"]["reasons"], json!(["missing_fields"]));
    assert_eq!(
        shown["verdict"]["claims"],
        json!([]),
        "a refused answer keeps no claim"
    );
}

#[tokio::test]
async fn a_stranger_who_saw_the_code_can_neither_spoil_nor_take_the_session() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;

    // A stranger signs an answer with a throwaway key and claims of their own: an
    // authentic signature, but of a subject the certifier never attested.
    let stranger = PrivateKeySigner::random();
    let made_up = kyc_test_utils::commitment(&[
        ("given_name", "Mallory"),
        ("family_name", "Doe"),
        ("birthdate", "1980-05-05"),
    ]);
    let credential = Credential {
        subject: stranger.address(),
        claims: made_up.claims().to_vec(),
        root: made_up.root(),
        ..service.credential.clone()
    };
    let code = kyc_wallet::scan::read_code(&created.uri, unix_now()).unwrap();
    let fields: Vec<String> = FIELDS.iter().map(|field| (*field).to_owned()).collect();
    let spoiler =
        kyc_wallet::consent::build_submission(&stranger, &credential, &code, &fields, unix_now())
            .unwrap();
    let (status, verdict) = service.submit(&spoiler).await;
    assert_eq!(
        (status, verdict["outcome"].as_str(), &verdict["reasons"]),
        (200, Some("rejected"), &json!(["no_attestation"]))
    );
    assert_eq!(
        service.session(created.registration_id).await["status"],
        "pending"
    );

    // The real person then answers, and is approved.
    let (status, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(
        (status, verdict["outcome"].as_str()),
        (200, Some("approved")),
        "{verdict}"
    );
    let shown = service.session(created.registration_id).await;
    assert_eq!(shown["status"], "verified");
    assert_eq!(
        shown["verdict"]["subject"],
        json!(service.devnet.subject.address().to_checksum(None))
    );
}

#[tokio::test]
async fn a_revocation_counts_at_once_whatever_the_confirmations() {
    let service = TestService::start_with(|config| config.policy.confirmations = 3).await;
    let devnet = &service.devnet;
    devnet
        .provider(devnet.owner.clone())
        .raw_request::<_, serde_json::Value>("anvil_mine".into(), (3,))
        .await
        .unwrap();
    let receipt = devnet.revoke("document reported stolen").await;
    assert!(receipt.status());

    // The very next answer, with no block confirming the revocation, is refused.
    let created = service.create_session(&FIELDS).await;
    let (status, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(
        (status, verdict["outcome"].as_str(), &verdict["reasons"]),
        (200, Some("rejected"), &json!(["revoked"]))
    );
}

#[tokio::test]
async fn malformed_and_misaddressed_submissions() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let path = format!("/v1/sessions/{}/submission", created.registration_id);
    let submission = service.submission(&created.uri, &FIELDS);

    let mut extra = serde_json::to_value(&submission).unwrap();
    extra["note"] = json!("an unknown field");
    for body in [extra.to_string(), "{".to_owned(), "[]".to_owned()] {
        let (status, verdict) = service.post(&path, None, body).await;
        assert_eq!(status, 200);
        assert_eq!(
            (verdict["outcome"].as_str(), &verdict["reasons"]),
            (Some("rejected"), &json!(["malformed"]))
        );
    }

    let other = service.create_session(&FIELDS).await;
    let elsewhere = format!("/v1/sessions/{}/submission", other.registration_id);
    let (status, answer) = service
        .post(
            &elsewhere,
            None,
            serde_json::to_string(&submission).unwrap(),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("registration_mismatch"))
    );
    let (status, answer) = service
        .post("/v1/sessions/0x12/submission", None, "{}".to_owned())
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("invalid_registration_id"))
    );

    // None of this used the session up.
    let (status, verdict) = service.submit(&submission).await;
    assert_eq!(
        (status, verdict["outcome"].as_str()),
        (200, Some("approved"))
    );
}

#[tokio::test]
async fn a_chain_outage_is_503_and_leaves_the_session_open() {
    let mut service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let submission = service.submission(&created.uri, &FIELDS);
    service.devnet.anvil.child_mut().kill().unwrap();
    service.devnet.anvil.child_mut().wait().unwrap();

    let (status, answer) = service.submit(&submission).await;
    assert_eq!(
        (status, answer),
        (503, json!({ "error": "rpc_unavailable" }))
    );
    assert_eq!(
        service.session(created.registration_id).await["status"],
        "pending"
    );
}

#[tokio::test]
async fn disclosed_data_is_deleted_after_the_retention_period() {
    let service = TestService::start_with(|config| {
        config.retention = Duration::from_secs(3);
    })
    .await;
    let created = service.create_session(&FIELDS).await;
    let (_, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(verdict["outcome"], "approved");
    let fresh = service.session(created.registration_id).await;
    assert_eq!(
        fresh["verdict"]["claims"].as_array().map(Vec::len),
        Some(3),
        "kept within the period"
    );

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let kept = loop {
        let shown = service.session(created.registration_id).await;
        if shown["verdict"]["claims_deleted"] == json!(true) {
            break shown;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "claims still kept: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(kept["status"], "verified");
    assert_eq!(kept["verdict"]["claims"], json!([]));
    assert_eq!(kept["verdict"]["fields"], json!(FIELDS));
    assert_eq!(kept["verdict"]["outcome"], "approved");
}

#[tokio::test]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn the_flow_runs_on_postgresql() {
    let service = TestService::start_on_postgres().await;
    let created = service.create_session(&FIELDS).await;
    let (_, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(verdict["outcome"], "approved");
    let shown = service.session(created.registration_id).await;
    assert_eq!(
        (
            shown["status"].as_str(),
            shown["verdict"]["claims"].as_array().map(Vec::len)
        ),
        (Some("verified"), Some(3))
    );

    let subject = service.devnet.subject.address();
    let withdrawal = service.withdrawal(created.registration_id, &service.devnet.subject, subject);
    let path = format!("/v1/sessions/{}/withdrawal", created.registration_id);
    let (status, _) = service.post(&path, None, withdrawal.to_string()).await;
    assert_eq!(status, 200);
    let shown = service.session(created.registration_id).await;
    assert_eq!(shown["status"], "withdrawn");
    assert_eq!(
        (
            &shown["verdict"]["claims"],
            &shown["verdict"]["claims_deleted"]
        ),
        (&json!([]), &json!(true))
    );
}
