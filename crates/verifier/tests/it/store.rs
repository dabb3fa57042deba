//! One suite, run on each store: sessions round-trip, single use, deleting claims.

use std::time::Duration;

use alloy::primitives::{address, B256};
use kyc_core::claims::Claim;
use kyc_verifier::{AnyStore, Outcome, Session, SessionRequest, Store, Verdict};

use kyc_test_utils::unix_now;

use crate::fixtures::{fields, postgres_url, sqlite_store, SERVICE};

fn session() -> Session {
    let request = SessionRequest::new(SERVICE, fields(&["family_name", "given_name"]));
    Session::open(
        request,
        31337,
        address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        unix_now(),
    )
    .unwrap()
}

fn approved(session: &Session, verified_at: u64) -> Verdict {
    Verdict {
        outcome: Outcome::Approved,
        reasons: Vec::new(),
        registration_id: Some(session.registration_id),
        subject: Some(address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")),
        certifier: Some(address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")),
        certifier_name: Some("Demo Certification Body".to_owned()),
        attestation: None,
        block_number: Some(7),
        fields: session.fields.clone(),
        claims: vec![
            Claim {
                key: "family_name".to_owned(),
                value: "Yamada".to_owned(),
            },
            Claim {
                key: "given_name".to_owned(),
                value: "Taro".to_owned(),
            },
        ],
        claims_deleted: false,
        verified_at,
    }
}

async fn suite<S: Store>(store: S) {
    let open = session();
    store.insert_session(&open).await.unwrap();
    assert!(
        store.insert_session(&open).await.is_err(),
        "a registration ID is stored once"
    );
    let record = store.session(open.registration_id).await.unwrap().unwrap();
    assert_eq!(record.session, open);
    assert_eq!((record.used_at, record.verdict), (None, None));
    assert!(store.session(B256::repeat_byte(1)).await.unwrap().is_none());
    let found = store
        .sessions(&[
            B256::repeat_byte(1),
            open.registration_id,
            open.registration_id,
        ])
        .await
        .unwrap();
    let found: Vec<_> = found
        .into_iter()
        .map(|record| record.map(|r| r.session))
        .collect();
    assert_eq!(found, [None, Some(open.clone()), Some(open.clone())]);
    assert!(store.sessions(&[]).await.unwrap().is_empty());

    let verdict = approved(&open, unix_now());
    assert!(store.consume(open.registration_id, &verdict).await.unwrap());
    assert!(
        !store.consume(open.registration_id, &verdict).await.unwrap(),
        "single use"
    );
    assert!(!store.consume(B256::repeat_byte(1), &verdict).await.unwrap());
    let record = store.session(open.registration_id).await.unwrap().unwrap();
    assert_eq!(record.used_at, Some(verdict.verified_at));
    assert_eq!(record.verdict.as_ref(), Some(&verdict));

    // Consent withdrawn: the claims go, the verdict stays.
    assert!(store.delete_disclosed(open.registration_id).await.unwrap());
    assert!(!store.delete_disclosed(open.registration_id).await.unwrap());
    let kept = store
        .session(open.registration_id)
        .await
        .unwrap()
        .unwrap()
        .verdict
        .unwrap();
    assert_eq!(kept, verdict.clone().without_claims());
    assert!(kept.claims.is_empty() && kept.claims_deleted);
    assert_eq!(kept.fields, open.fields);

    // Retention: only verdicts older than the period lose their claims.
    let (old, recent) = (session(), session());
    for (session, age) in [(&old, 3 * 86_400), (&recent, 60)] {
        store.insert_session(session).await.unwrap();
        assert!(store
            .consume(
                session.registration_id,
                &approved(session, unix_now() - age)
            )
            .await
            .unwrap());
    }
    let purged = store
        .purge_disclosed_older_than(Duration::from_secs(2 * 86_400))
        .await
        .unwrap();
    assert!(purged >= 1);
    let claims_of = |session: &Session| {
        let id = session.registration_id;
        let store = &store;
        async move {
            store
                .session(id)
                .await
                .unwrap()
                .unwrap()
                .verdict
                .unwrap()
                .claims
                .len()
        }
    };
    assert_eq!(claims_of(&old).await, 0);
    assert_eq!(claims_of(&recent).await, 2);
}

#[tokio::test]
async fn the_suite_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    suite(store).await;
}

#[tokio::test]
async fn the_suite_on_sqlite_in_memory() {
    suite(AnyStore::connect("sqlite::memory:").await.unwrap()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn the_suite_on_postgres() {
    suite(AnyStore::connect(&postgres_url()).await.unwrap()).await;
}

#[tokio::test]
async fn a_sqlite_file_is_created_and_reopened_with_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("service.db").display());
    let open = session();
    AnyStore::connect(&url)
        .await
        .unwrap()
        .insert_session(&open)
        .await
        .unwrap();
    let reopened = AnyStore::connect(&url).await.unwrap();
    assert_eq!(
        reopened
            .session(open.registration_id)
            .await
            .unwrap()
            .unwrap()
            .session,
        open
    );
}

#[tokio::test]
async fn unsupported_database_urls_are_refused_without_their_password() {
    let error = AnyStore::connect("mysql://kyc:secret@localhost/kyc")
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_database_url");
    assert!(!error.to_string().contains("secret"), "{error}");
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_that_names_the_column_not_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("service.db").display());
    let store = AnyStore::connect(&url).await.unwrap();
    let open = session();
    store.insert_session(&open).await.unwrap();
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE sessions SET fields = 'given_name=Taro'")
        .execute(&pool)
        .await
        .unwrap();
    let error = store.session(open.registration_id).await.unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    let message = error.to_string();
    assert!(
        message.contains("fields") && message.contains(&open.registration_id.to_string()),
        "{message}"
    );
    assert!(!message.contains("Taro"), "{message}");
}
