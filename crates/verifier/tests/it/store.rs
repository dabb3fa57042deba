//! One suite, run on each store: sessions round-trip, single use, deleting claims.

use std::time::Duration;

use alloy::primitives::{address, B256};
use kyc_core::claims::Claim;
use kyc_verifier::{
    events::EventType, store::SealingKey, AnyStore, Outcome, Session, SessionRequest, Store,
    Verdict,
};

use kyc_test_utils::unix_now;

use crate::fixtures::{database_key, fields, postgres_url, sqlite_store, store_at, SERVICE};

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
    assert_eq!(record.declined_at, None);
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

/// The events of a type in the outbox (the store may be shared with earlier runs).
async fn events_of<S: Store>(store: &S, kind: EventType) -> usize {
    let deliveries = store.deliveries(None, 100_000).await.unwrap();
    deliveries
        .iter()
        .filter(|delivery| delivery.kind == kind)
        .count()
}

async fn declined_events<S: Store>(store: &S) -> usize {
    events_of(store, EventType::SessionDeclined).await
}

/// A session that expired `ago` seconds ago.
fn expired(ago: u64) -> Session {
    let mut session = session();
    session.expires_at = unix_now() - ago;
    session
}

/// Expiries are recorded once per unanswered session, however many sweep at once.
async fn expiries<S: Store>(store: S) {
    let events = events_of(&store, EventType::SessionExpired).await;
    let (lapsed, open, answered, declined) = (expired(10), session(), expired(10), expired(10));
    for session in [&lapsed, &open, &answered, &declined] {
        store.insert_session(session).await.unwrap();
    }
    assert!(store
        .consume(answered.registration_id, &approved(&answered, unix_now()))
        .await
        .unwrap());
    assert!(store
        .decline(declined.registration_id, declined.expires_at - 1)
        .await
        .unwrap());
    let many: Vec<Session> = (0..5).map(|_| expired(1)).collect();
    for session in &many {
        store.insert_session(session).await.unwrap();
    }

    // Two sweeps at once, in batches of two: each expiry is recorded by one of them.
    let mut recorded = Vec::new();
    loop {
        let now = unix_now();
        let (first, second) =
            tokio::join!(store.record_expiries(now, 2), store.record_expiries(now, 2));
        let (first, second) = (first.unwrap(), second.unwrap());
        assert!(first.len() <= 2 && second.len() <= 2);
        if first.is_empty() && second.is_empty() {
            break;
        }
        recorded.extend(first.into_iter().chain(second));
    }
    let count = |id: B256| recorded.iter().filter(|found| **found == id).count();
    for session in many.iter().chain([&lapsed, &declined]) {
        assert_eq!(count(session.registration_id), 1, "recorded once");
    }
    for session in [&open, &answered] {
        assert_eq!(count(session.registration_id), 0, "not expired unanswered");
    }
    let mut distinct = recorded.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), recorded.len());
    assert_eq!(
        events_of(&store, EventType::SessionExpired).await,
        events + recorded.len(),
        "one event each"
    );
    assert!(store
        .record_expiries(unix_now(), 1000)
        .await
        .unwrap()
        .is_empty());
}

/// A decline is recorded once, for an open session, and leaves it open.
async fn declines<S: Store>(store: S) {
    let open = session();
    store.insert_session(&open).await.unwrap();
    let id = open.registration_id;
    let events = declined_events(&store).await;
    let first = unix_now();
    assert!(store.decline(id, first).await.unwrap());
    assert_eq!(declined_events(&store).await, events + 1);
    assert!(
        !store.decline(id, first + 5).await.unwrap(),
        "declined once"
    );
    assert_eq!(declined_events(&store).await, events + 1, "one event");
    let record = store.session(id).await.unwrap().unwrap();
    assert_eq!(record.declined_at, Some(first), "the first decline's time");
    assert_eq!((record.used_at, record.verdict), (None, None));

    // The session stays open: a later answer still uses it up, and keeps the decline.
    let verdict = approved(&open, unix_now());
    assert!(store.consume(id, &verdict).await.unwrap());
    let record = store.session(id).await.unwrap().unwrap();
    assert_eq!(record.verdict.as_ref(), Some(&verdict));
    assert_eq!(record.declined_at, Some(first));

    // A used, an unknown or an expired session records no decline.
    let used = session();
    store.insert_session(&used).await.unwrap();
    assert!(store
        .consume(used.registration_id, &approved(&used, unix_now()))
        .await
        .unwrap());
    assert!(!store.decline(used.registration_id, first).await.unwrap());
    assert!(!store.decline(B256::repeat_byte(2), first).await.unwrap());
    let expired = session();
    store.insert_session(&expired).await.unwrap();
    assert!(!store
        .decline(expired.registration_id, expired.expires_at + 1)
        .await
        .unwrap());
    assert!(
        store
            .decline(expired.registration_id, expired.expires_at)
            .await
            .unwrap(),
        "open until its expiry"
    );
    for id in [used.registration_id, B256::repeat_byte(2)] {
        let declined = store.session(id).await.unwrap().map(|r| r.declined_at);
        assert!(matches!(declined, None | Some(None)), "{id}");
    }
    assert_eq!(declined_events(&store).await, events + 2);
}

#[tokio::test]
async fn the_suite_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    suite(store).await;
}

// One test per store for both, since the event counts of one would see the other's.
#[tokio::test]
async fn declines_and_expiries_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    declines(store.clone()).await;
    expiries(store).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn declines_and_expiries_on_postgres() {
    let url = postgres_url();
    let store = store_at(&url).await;
    declines(store.clone()).await;
    expiries(store).await;
}

#[tokio::test]
async fn the_suite_on_sqlite_in_memory() {
    let key = database_key("sqlite::memory:");
    suite(AnyStore::connect("sqlite::memory:", key).await.unwrap()).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn the_suite_on_postgres() {
    let url = postgres_url();
    suite(store_at(&url).await).await;
}

#[tokio::test]
async fn a_sqlite_file_is_created_and_reopened_with_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("service.db").display());
    let open = session();
    store_at(&url).await.insert_session(&open).await.unwrap();
    let reopened = store_at(&url).await;
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
    let url = "mysql://kyc:secret@localhost/kyc";
    let error = AnyStore::connect(url, SealingKey::generate().unwrap())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_database_url");
    let error = kyc_verifier::store::database_key(url, None).unwrap_err();
    assert_eq!(error.code(), "invalid_database_url");
    assert!(!error.to_string().contains("secret"), "{error}");
}

#[tokio::test]
async fn a_corrupt_row_is_an_error_that_names_the_column_not_its_content() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("service.db").display());
    let store = store_at(&url).await;
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
