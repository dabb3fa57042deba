//! Consent withdrawals: only the session's subject may ask, and then the disclosed
//! data is deleted while the verdict stays.

use std::{os::unix::fs::PermissionsExt, path::Path};

use alloy::primitives::address;
use kyc_core::evidence::Evidence;
use kyc_wallet::{http::ServiceClient, withdraw::sign_consent_withdrawal};
use serde_json::json;

use crate::fixtures::{sign, unix_now, TestService, FIELDS};

#[tokio::test]
async fn a_withdrawal_signed_by_the_subject_deletes_the_claims() {
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let id = created.registration_id;
    let path = format!("/v1/sessions/{id}/withdrawal");

    // Nothing to withdraw before an answer.
    let subject = service.devnet.subject.address();
    let early = service.withdrawal(id, &service.devnet.subject, subject);
    let (status, answer) = service.post(&path, None, early.to_string()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (409, Some("not_answered"))
    );

    let (_, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(verdict["outcome"], "approved");

    // Another key, whether it names the subject or itself, is refused.
    let owner = &service.devnet.owner;
    for named in [subject, owner.address()] {
        let forged = service.withdrawal(id, owner, named);
        let (status, answer) = service.post(&path, None, forged.to_string()).await;
        assert_eq!(
            (status, answer["error"].as_str()),
            (403, Some("signer_mismatch"))
        );
    }
    let mut bad = service.withdrawal(id, &service.devnet.subject, subject);
    bad["signature"] = json!(format!("0x{}", "11".repeat(64) + "1d"));
    let (status, answer) = service.post(&path, None, bad.to_string()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("bad_signature"))
    );
    let mut other_service = service.withdrawal(id, &service.devnet.subject, subject);
    other_service["service"] = json!("https://elsewhere.example");
    let (status, answer) = service.post(&path, None, other_service.to_string()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("wrong_service"))
    );
    let mut extra = service.withdrawal(id, &service.devnet.subject, subject);
    extra["reason"] = json!("changed my mind");
    let (status, answer) = service.post(&path, None, extra.to_string()).await;
    assert_eq!((status, answer["error"].as_str()), (400, Some("malformed")));
    let other = service.create_session(&FIELDS).await;
    let misaddressed = service.withdrawal(other.registration_id, &service.devnet.subject, subject);
    let (status, answer) = service.post(&path, None, misaddressed.to_string()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (400, Some("registration_mismatch"))
    );
    let shown = service.session(id).await;
    assert_eq!(
        (
            shown["status"].as_str(),
            shown["verdict"]["claims"].as_array().map(Vec::len)
        ),
        (Some("verified"), Some(3))
    );

    // The wallet's own withdrawal, posted by its own client.
    let withdrawal = sign_consent_withdrawal(
        &service.devnet.subject,
        id,
        &service.base,
        unix_now(),
        service.devnet.chain_id(),
        service.devnet.registry,
    )
    .unwrap();
    let url = format!("{}/v1/sessions/{id}/withdrawal", service.base);
    let answer = ServiceClient::new()
        .unwrap()
        .withdraw_consent(&url, &withdrawal)
        .await
        .unwrap();
    assert_eq!(answer, json!({ "deleted": true }));

    let shown = service.session(id).await;
    assert_eq!(shown["status"], "withdrawn");
    assert!(shown["withdrawn_at"].as_u64().is_some());
    assert_eq!(shown["verdict"]["outcome"], "approved");
    assert_eq!(shown["verdict"]["claims"], json!([]));
    assert_eq!(shown["verdict"]["claims_deleted"], true);
    assert_eq!(shown["verdict"]["fields"], json!(FIELDS));
    assert!(!shown.to_string().contains("Yamada"));

    // Asking again changes nothing and is still answered.
    let again = service.withdrawal(id, &service.devnet.subject, subject);
    let (status, answer) = service.post(&path, None, again.to_string()).await;
    assert_eq!((status, answer), (200, json!({ "deleted": true })));
    assert_eq!(
        service.session(id).await["withdrawn_at"],
        shown["withdrawn_at"]
    );

    let unknown = "0x00000000000000000000000000000000000000000000000000000000000000aa";
    let stray = service.withdrawal(unknown.parse().unwrap(), &service.devnet.subject, subject);
    let (status, answer) = service
        .post(
            &format!("/v1/sessions/{unknown}/withdrawal"),
            None,
            stray.to_string(),
        )
        .await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (404, Some("unknown_registration"))
    );
}

#[tokio::test]
async fn a_contract_wallet_subject_withdraws_consent_through_erc1271() {
    let service = TestService::start().await;
    let devnet = &service.devnet;
    let wallet = address!("0x0000000000000000000000000000000000001271");
    let owner = &devnet.subject;
    devnet.deploy_contract_wallet(wallet, owner.address()).await;
    let evidence = Evidence::DOCUMENT | Evidence::FACE;
    let expires_at = devnet.chain_time().await + 86_400;
    devnet
        .attest_for(
            owner,
            wallet,
            service.credential.root,
            evidence.bits(),
            expires_at,
        )
        .await;

    // The wallet consents: its owner's key signs, the wallet vouches for it.
    let created = service.create_session(&FIELDS).await;
    let id = created.registration_id;
    let mut submission = service.submission(&created.uri, &FIELDS);
    submission.subject = wallet;
    submission.signature = sign(owner, submission.signing_hash());
    let (_, verdict) = service.submit(&submission).await;
    assert_eq!(verdict["outcome"], "approved", "{verdict}");

    // Another key, for the wallet, is refused; the owner's key, for the wallet, deletes.
    let path = format!("/v1/sessions/{id}/withdrawal");
    let forged = service.withdrawal(id, &devnet.owner, wallet);
    let (status, answer) = service.post(&path, None, forged.to_string()).await;
    assert_eq!(
        (status, answer["error"].as_str()),
        (403, Some("signer_mismatch"))
    );
    let withdrawal = service.withdrawal(id, owner, wallet);
    let (status, answer) = service.post(&path, None, withdrawal.to_string()).await;
    assert_eq!((status, answer), (200, json!({ "deleted": true })));
    let shown = service.session(id).await;
    assert_eq!(shown["status"], "withdrawn");
    assert_eq!(shown["verdict"]["claims"], json!([]));
}

/// The bytes of a database file and its `-wal` and `-shm` files, with their modes.
fn database_files(database: &Path) -> Vec<(String, Vec<u8>, u32)> {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| {
            let path = format!("{}{suffix}", database.display());
            let bytes = std::fs::read(&path).ok()?;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            Some((path, bytes, mode))
        })
        .collect()
}

#[tokio::test]
async fn nothing_of_withdrawn_claims_remains_in_the_database_files() {
    let service = TestService::start().await;
    let database = service.database().unwrap();
    let created = service.create_session(&FIELDS).await;
    let (_, verdict) = service
        .submit(&service.submission(&created.uri, &FIELDS))
        .await;
    assert_eq!(verdict["outcome"], "approved");
    // Every disclosed value, and every salt raw and in hex.
    let needles: Vec<Vec<u8>> = service
        .credential
        .claims
        .iter()
        .filter(|claim| FIELDS.contains(&claim.key.as_str()))
        .flat_map(|claim| {
            [
                claim.value.as_bytes().to_vec(),
                claim.salt.to_vec(),
                alloy::hex::encode(claim.salt).into_bytes(),
            ]
        })
        .collect();
    let found = |files: &[(String, Vec<u8>, u32)], needle: &[u8]| {
        files
            .iter()
            .any(|(_, bytes, _)| bytes.windows(needle.len()).any(|window| window == needle))
    };
    // The claims are stored sealed: what is on disk is their ciphertext, never a value.
    let sealed = sealed_claims(&database, created.registration_id).await;
    let before = database_files(&database);
    assert!(found(&before, &sealed), "the test sees the stored claims");
    assert!(
        !found(&before, b"Yamada"),
        "a claim value is stored in plain"
    );

    let subject = service.devnet.subject.address();
    let withdrawal = service.withdrawal(created.registration_id, &service.devnet.subject, subject);
    let path = format!("/v1/sessions/{}/withdrawal", created.registration_id);
    let (status, _) = service.post(&path, None, withdrawal.to_string()).await;
    assert_eq!(status, 200);

    let after = database_files(&database);
    assert_eq!(after.len(), 3, "the database, its -wal and -shm files");
    for (path, _, mode) in &after {
        assert_eq!(*mode, 0o600, "{path} is owner-only");
    }
    for needle in &needles {
        assert!(
            !found(&after, needle),
            "a withdrawn value or salt is still on disk: {}",
            String::from_utf8_lossy(needle)
        );
    }
    assert!(
        !found(&after, &sealed),
        "the withdrawn claims are still on disk, sealed"
    );
}

/// The `claims` column of a registration, as stored.
async fn sealed_claims(database: &Path, registration_id: alloy::primitives::B256) -> Vec<u8> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display()))
        .await
        .unwrap();
    let claims: String =
        sqlx::query_scalar("SELECT claims FROM sessions WHERE registration_id = ?")
            .bind(registration_id.to_string())
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    claims.into_bytes()
}
