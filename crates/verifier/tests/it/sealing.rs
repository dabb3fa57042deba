//! Disclosed claims at rest: sealed under the database's key file, bound to their
//! registration, so a file, a dump or an old row version alone reveals no claim value.

use std::path::Path;

use alloy::primitives::{address, B256};
use kyc_core::claims::Claim;
use kyc_test_utils::unix_now;
use kyc_verifier::{
    store::SealingKey, AnyStore, Error, Outcome, Session, SessionRequest, Store, Verdict,
};

use crate::fixtures::{fields, store_at, SERVICE};

/// Claim values no other test stores, so that finding one means finding this test's.
fn claims(marker: &str) -> Vec<Claim> {
    vec![
        Claim {
            key: "family_name".to_owned(),
            value: format!("Yamada-{marker}"),
        },
        Claim {
            key: "given_name".to_owned(),
            value: format!("Taro-{marker}"),
        },
    ]
}

/// Opens a session and answers it with `claims`, approved.
async fn approve(store: &impl Store, claims: &[Claim]) -> Session {
    let session = Session::open(
        SessionRequest::new(SERVICE, fields(&["family_name", "given_name"])),
        31337,
        address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        unix_now(),
    )
    .unwrap();
    store.insert_session(&session).await.unwrap();
    let verdict = Verdict {
        outcome: Outcome::Approved,
        reasons: Vec::new(),
        registration_id: Some(session.registration_id),
        subject: Some(address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")),
        certifier: Some(address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")),
        certifier_name: None,
        attestation: None,
        block_number: Some(7),
        fields: session.fields.clone(),
        claims: claims.to_vec(),
        claims_deleted: false,
        verified_at: unix_now(),
    };
    assert!(store
        .consume(session.registration_id, &verdict)
        .await
        .unwrap());
    session
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

/// Asserts that no claim value is in `bytes`, saying where it was found.
fn assert_no_value(bytes: &[u8], claims: &[Claim], place: &str) {
    for claim in claims {
        assert!(
            !contains(bytes, &claim.value),
            "{} is readable in {place}",
            claim.key
        );
    }
}

async fn sqlite_store(dir: &Path) -> (AnyStore, String) {
    let url = format!("sqlite://{}", dir.join("service.db").display());
    (store_at(&url).await, url)
}

async fn raw_claims(url: &str, registration_id: B256) -> Option<String> {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let claims = sqlx::query_scalar("SELECT claims FROM sessions WHERE registration_id = ?")
        .bind(registration_id.to_string())
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    claims
}

#[tokio::test]
async fn claims_are_stored_sealed_and_open_only_in_their_own_row() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = sqlite_store(dir.path()).await;
    let (mine, theirs) = (claims("mine"), claims("theirs"));
    let (first, second) = (approve(&store, &mine).await, approve(&store, &theirs).await);

    let stored = raw_claims(&url, first.registration_id).await.unwrap();
    assert_no_value(stored.as_bytes(), &mine, "the claims column");
    assert!(!stored.contains("family_name"), "{stored}");
    let record = store.session(first.registration_id).await.unwrap().unwrap();
    assert_eq!(record.verdict.unwrap().claims, mine);

    // The first row's sealed claims copied into the second row do not open there.
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE sessions SET claims = ? WHERE registration_id = ?")
        .bind(&stored)
        .bind(second.registration_id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let error = store.session(second.registration_id).await.unwrap_err();
    assert_eq!(error.code(), "store_unavailable");
    let message = error.to_string();
    assert!(
        message.contains("claims") && message.contains(&second.registration_id.to_string()),
        "{message}"
    );
    assert!(!message.contains("Yamada"), "{message}");
}

#[tokio::test]
async fn a_database_refuses_another_key_and_a_key_file_others_may_read() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = sqlite_store(dir.path()).await;
    approve(&store, &claims("key")).await;
    drop(store);
    let error = AnyStore::connect(&url, SealingKey::generate().unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::WrongDatabaseKey), "{error}");
    assert_eq!(error.code(), "store_unavailable");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key_file = kyc_verifier::store::default_key_file(&url)
            .unwrap()
            .unwrap();
        assert_eq!(key_file, dir.path().join("service.db.key"));
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is created owner-only");
        std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = kyc_verifier::store::database_key(&url, None).unwrap_err();
        assert!(
            error.to_string().contains("accessible to other users"),
            "{error}"
        );
    }
}

/// Claims stored in plain by a version before sealing are sealed when the store opens,
/// and their plain text leaves the SQLite files.
#[tokio::test]
async fn claims_stored_before_sealing_are_sealed_on_opening() {
    let dir = tempfile::tempdir().unwrap();
    let (store, url) = sqlite_store(dir.path()).await;
    let old = claims("before-sealing");
    let session = approve(&store, &old).await;
    drop(store);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE sessions SET claims = ? WHERE registration_id = ?")
        .bind(serde_json::to_string(&old).unwrap())
        .bind(session.registration_id.to_string())
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;

    let (store, _) = sqlite_store(dir.path()).await;
    let record = store
        .session(session.registration_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.verdict.unwrap().claims, old);
    let stored = raw_claims(&url, session.registration_id).await.unwrap();
    assert_no_value(stored.as_bytes(), &old, "the claims column");
    for suffix in ["", "-wal"] {
        let file = format!("{}{suffix}", dir.path().join("service.db").display());
        let bytes = std::fs::read(&file).unwrap_or_default();
        assert_no_value(&bytes, &old, &file);
    }
}

/// A dump of the table and every version of the row in the table's pages (the dead
/// one an update leaves behind included) hold the claims only sealed.
#[cfg(feature = "postgres")]
#[tokio::test]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn on_postgres_neither_a_dump_nor_a_dead_row_version_holds_a_claim_value() {
    use sqlx::{Connection, PgConnection};

    let url = crate::fixtures::postgres_url();
    let store = store_at(&url).await;
    let marker = unix_now().to_string();
    let claims = claims(&marker);
    let session = approve(&store, &claims).await;
    let id = session.registration_id.to_string();

    // What pg_dump would read: the column as stored.
    let mut reader = PgConnection::connect(&url).await.unwrap();
    let stored: Option<String> =
        sqlx::query_scalar("SELECT claims FROM sessions WHERE registration_id = $1")
            .bind(&id)
            .fetch_one(&mut reader)
            .await
            .unwrap();
    let stored = stored.unwrap();
    assert_no_value(stored.as_bytes(), &claims, "the claims column");

    // A snapshot taken now keeps the row version with the claims from being pruned or
    // vacuumed away when the withdrawal replaces it.
    let mut snapshot = PgConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN ISOLATION LEVEL REPEATABLE READ")
        .execute(&mut snapshot)
        .await
        .unwrap();
    sqlx::query("SELECT count(*) FROM sessions")
        .execute(&mut snapshot)
        .await
        .unwrap();
    assert!(store
        .withdraw_consent(session.registration_id, unix_now())
        .await
        .unwrap());

    // Every tuple of the table's pages, live or dead, as raw bytes.
    sqlx::query("CREATE EXTENSION IF NOT EXISTS pageinspect")
        .execute(&mut reader)
        .await
        .unwrap();
    let tuples: Vec<Vec<u8>> = sqlx::query_scalar(
        "SELECT t_data FROM generate_series(0, \
         (pg_relation_size('sessions') / current_setting('block_size')::bigint) - 1) AS page, \
         LATERAL heap_page_items(get_raw_page('sessions', page::int)) \
         WHERE t_data IS NOT NULL",
    )
    .fetch_all(&mut reader)
    .await
    .unwrap();
    let versions: Vec<&Vec<u8>> = tuples.iter().filter(|tuple| contains(tuple, &id)).collect();
    assert!(
        versions.iter().any(|tuple| contains(tuple, &stored)),
        "the dead version with the sealed claims is among the {} versions read",
        versions.len()
    );
    for tuple in &versions {
        assert_no_value(tuple, &claims, "a row version in the table's pages");
    }
    sqlx::query("ROLLBACK")
        .execute(&mut snapshot)
        .await
        .unwrap();
}
