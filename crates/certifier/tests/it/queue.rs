//! The intake queue: sealed personal data, the lifecycle, retention, duplicate identities.

use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use kyc_certifier::{
    attest::BatchSummary,
    queue::{
        Approval, ApproveOptions, ListFilter, Queue, QueuePolicy, RequestStatus, Selection, Settled,
    },
    relay::revoke,
    Chain, Error,
};
use kyc_core::{
    attestation::Status,
    files::{Credential, JsonFile},
};
use tempfile::TempDir;

use crate::fixtures::{attest_one, options, person, Fixture};

async fn open(dir: &TempDir) -> Queue {
    let path = dir.path().join("queue.db");
    Queue::open(&path, &Queue::default_key_path(&path))
        .await
        .unwrap()
}

/// A devnet, a scratch directory and a queue opened in it.
async fn setup() -> (Fixture, TempDir, Queue) {
    let fixture = Fixture::start().await;
    let dir = TempDir::new().unwrap();
    let queue = open(&dir).await;
    (fixture, dir, queue)
}

/// Queues a freshly signed request by `subject` for `claims`; its queue ID.
async fn enqueue(
    queue: &Queue,
    fixture: &Fixture,
    subject: &PrivateKeySigner,
    claims: &[(&str, &str)],
) -> i64 {
    let request = fixture.request(subject, claims).await;
    queue.add(&fixture.chain, &request).await.unwrap()
}

/// Queues a request for `claims` by a new, random subject; its queue ID.
async fn enqueue_someone(queue: &Queue, fixture: &Fixture, claims: &[(&str, &str)]) -> i64 {
    enqueue(queue, fixture, &PrivateKeySigner::random(), claims).await
}

/// Approves `selection` with `options`, ignoring the per-request reports.
async fn approve_with(
    queue: &Queue,
    chain: &Chain,
    selection: Selection,
    options: &ApproveOptions,
) -> kyc_certifier::Result<BatchSummary> {
    queue
        .approve(chain, &selection, options, |_| {})
        .await
        .map(|approval| approval.summary)
}

/// Approves every pending request with the standard options.
async fn approve_all(queue: &Queue, chain: &Chain, dir: &TempDir) -> BatchSummary {
    approve_all_outcomes(queue, chain, dir).await.summary
}

/// Approves every pending request with the standard options; each request's outcome.
async fn approve_all_outcomes(queue: &Queue, chain: &Chain, dir: &TempDir) -> Approval {
    queue
        .approve(chain, &Selection::AllPending, &approve_options(dir), |_| {})
        .await
        .unwrap()
}

fn approve_options(dir: &TempDir) -> ApproveOptions {
    ApproveOptions {
        attest: options(),
        out_dir: dir.path().join("credentials"),
        rebind: false,
    }
}

/// The queue database and its write-ahead log, as bytes.
fn database_bytes(dir: &TempDir) -> Vec<u8> {
    ["queue.db", "queue.db-wal"]
        .iter()
        .filter_map(|name| std::fs::read(dir.path().join(name)).ok())
        .flatten()
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn queued_requests_are_sealed_and_purged_without_a_trace() {
    let (fixture, dir, queue) = setup().await;
    let request = fixture
        .request(
            &PrivateKeySigner::random(),
            &person("Zyxwvutsrqponm", "ZQ9876543"),
        )
        .await;
    let id = queue.add(&fixture.chain, &request).await.unwrap();
    queue.reject(id, "document photo unreadable").await.unwrap();

    // At rest: neither a value nor a salt in the clear, the ciphertext present.
    let sealed: Vec<u8> = {
        let pool = sqlx::SqlitePool::connect(&format!(
            "sqlite://{}",
            dir.path().join("queue.db").display()
        ))
        .await
        .unwrap();
        let sealed = sqlx::query_scalar("SELECT sealed FROM requests WHERE id = ?")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        sealed
    };
    let bytes = database_bytes(&dir);
    assert!(!contains(&bytes, b"Zyxwvutsrqponm"));
    assert!(!contains(&bytes, b"ZQ9876543"));
    for claim in &request.claims {
        assert!(!contains(&bytes, claim.salt.as_slice()));
        assert!(!contains(&bytes, claim.salt.to_string().as_bytes()));
    }
    assert!(
        contains(&bytes, &sealed[24..]),
        "the ciphertext is in the file before the purge"
    );

    // Within retention nothing goes; past it the data goes and the audit line stays.
    let keep = QueuePolicy::default();
    assert_eq!(queue.maintain(&keep).await.unwrap().purged, 0);
    let purge = QueuePolicy {
        retention: Duration::ZERO,
        ..keep
    };
    assert_eq!(queue.maintain(&purge).await.unwrap().purged, 1);
    let entry = queue.entry(id).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Rejected);
    assert_eq!(entry.reason.as_deref(), Some("document photo unreadable"));
    assert_eq!((entry.subject, entry.root), (request.subject, request.root));
    assert!(entry.data_deleted_at.is_some());
    assert_eq!(
        queue.list(Some(ListFilter::Deleted)).await.unwrap().len(),
        1
    );
    queue.close().await;

    let bytes = database_bytes(&dir);
    assert!(
        !contains(&bytes, &sealed[24..]),
        "no ciphertext left in the database or its log"
    );
    assert!(!contains(&bytes, &sealed[..24]), "no nonce left either");
}

#[tokio::test]
async fn a_request_is_queued_once_and_a_refused_one_not_at_all() {
    let (fixture, _dir, queue) = setup().await;
    let subject = PrivateKeySigner::random();
    let request = fixture.request(&subject, &person("Yamada", "TK1")).await;
    let id = queue.add(&fixture.chain, &request).await.unwrap();
    let error = queue.add(&fixture.chain, &request).await.unwrap_err();
    assert!(
        matches!(error, Error::AlreadyQueued { id: first, .. } if first == id),
        "{error}"
    );

    let mut wrong = fixture
        .request(&PrivateKeySigner::random(), &person("Sato", "TK2"))
        .await;
    wrong.chain_id += 1;
    assert!(matches!(
        queue.add(&fixture.chain, &wrong).await,
        Err(Error::WrongChain { .. })
    ));
    let listed = queue.list(None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].status, RequestStatus::Pending);

    // Once decided, the same subject may ask again with the same nonce.
    queue.reject(id, "blurred scan").await.unwrap();
    let again = queue.add(&fixture.chain, &request).await.unwrap();
    assert_ne!(again, id);
    let error = queue.reject(id, "twice").await.unwrap_err();
    assert!(matches!(error, Error::NotPending { .. }), "{error}");
    assert!(matches!(
        queue.reject(99, "x").await,
        Err(Error::UnknownRequest(99))
    ));
}

#[tokio::test]
async fn the_key_file_must_match_the_queue() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("queue.db");
    let key = Queue::default_key_path(&path);
    Queue::open(&path, &key).await.unwrap().close().await;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for file in [&path, &key] {
            let mode = std::fs::metadata(file).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{} is private", file.display());
        }
    }

    let other = dir.path().join("other.key");
    let other_db = dir.path().join("other.db");
    Queue::open(&other_db, &other).await.unwrap().close().await;
    let error = Queue::open(&path, &other).await.unwrap_err();
    assert!(matches!(error, Error::WrongKey { .. }), "{error}");

    let error = Queue::open(&path, &dir.path().join("missing.key"))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::KeyFile { .. }), "{error}");
    std::fs::write(&other, b"short").unwrap();
    let error = Queue::open(&other_db, &other).await.unwrap_err();
    assert!(error.to_string().contains("expected 64 bytes"), "{error}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        let error = Queue::open(&path, &key).await.unwrap_err();
        assert!(
            error.to_string().contains("accessible to other users"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn requests_time_out_by_waiting_or_by_deadline() {
    let (fixture, dir, queue) = setup().await;
    let waited = enqueue_someone(&queue, &fixture, &person("Yamada", "TK1")).await;

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let short = QueuePolicy {
        max_pending: Duration::from_secs(1),
        ..QueuePolicy::default()
    };
    assert_eq!(queue.maintain(&short).await.unwrap().timed_out, 1);
    let entry = queue.entry(waited).await.unwrap();
    assert_eq!(entry.status, RequestStatus::TimedOut);
    assert_eq!(entry.reason.as_deref(), Some("pending longer than 1s"));

    // The chain's clock passes the deadline before approval: timed out, nothing sent.
    let late = enqueue_someone(&queue, &fixture, &person("Sato", "TK2")).await;
    fixture.advance(3600).await;
    let summary = approve_with(
        &queue,
        &fixture.chain,
        Selection::Ids(vec![late]),
        &approve_options(&dir),
    )
    .await
    .unwrap();
    assert_eq!((summary.failed, summary.transactions), (1, 0));
    let entry = queue.entry(late).await.unwrap();
    assert_eq!(entry.status, RequestStatus::TimedOut);
    assert!(entry.reason.unwrap().contains("deadline"));
}

#[tokio::test]
async fn approval_attests_and_writes_the_credential() {
    let (fixture, dir, queue) = setup().await;
    let subject = PrivateKeySigner::random();
    let request = fixture.request(&subject, &person("Yamada", "TK1")).await;
    let id = queue.add(&fixture.chain, &request).await.unwrap();

    let mut heard = Vec::new();
    let summary = queue
        .approve(
            &fixture.chain,
            &Selection::AllPending,
            &approve_options(&dir),
            |outcome| heard.push((outcome.request, outcome.subject, outcome.is_attested())),
        )
        .await
        .unwrap()
        .summary;
    assert_eq!(
        (summary.attested, summary.failed, summary.transactions),
        (1, 0, 1)
    );
    assert_eq!(heard, vec![(id, subject.address(), true)]);

    let entry = queue.entry(id).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Approved);
    let path = dir
        .path()
        .join("credentials")
        .join(format!("{}.json", subject.address()));
    let credential = Credential::from_json(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(credential.claims, request.claims);
    assert_eq!(Some(credential.tx_hash), entry.tx_hash);
    assert_eq!(Some(credential.block_number), entry.block_number);
    assert_eq!(credential.evidence.names(), ["document", "face"]);

    let registry = fixture.chain.registry();
    let stored = registry
        .attestation(subject.address(), fixture.certifier.address())
        .call()
        .await
        .unwrap();
    assert_eq!(
        (stored.root, stored.issuedAt, stored.expiresAt),
        (request.root, credential.issued_at, credential.expires_at)
    );
    assert!(registry
        .isVerified(subject.address(), fixture.certifier.address(), 3)
        .call()
        .await
        .unwrap());
    assert_eq!(
        queue
            .list(Some(ListFilter::Status(RequestStatus::Pending)))
            .await
            .unwrap()
            .len(),
        0
    );
    let error = approve_with(
        &queue,
        &fixture.chain,
        Selection::Ids(vec![id]),
        &approve_options(&dir),
    )
    .await
    .unwrap_err();
    assert!(matches!(error, Error::NotPending { .. }), "{error}");
}

#[tokio::test]
async fn one_identity_two_addresses_is_refused_unless_rebound() {
    let (fixture, dir, queue) = setup().await;
    let (first, second) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let first_id = enqueue(&queue, &fixture, &first, &person("Yamada", "TK1")).await;
    approve_all(&queue, &fixture.chain, &dir).await;

    // Same passport, other name spelling, other address.
    let second_id = enqueue(&queue, &fixture, &second, &person("Yamada Taro", "TK1")).await;
    let approval = approve_all_outcomes(&queue, &fixture.chain, &dir).await;
    assert_eq!((approval.summary.attested, approval.summary.failed), (0, 1));
    assert!(
        matches!(
            &approval.outcomes[0].settled,
            Settled::DuplicateIdentity {
                rebindable: true,
                ..
            }
        ),
        "{:?}",
        approval.outcomes
    );
    let entry = queue.entry(second_id).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Pending);
    let reason = entry.reason.unwrap();
    assert!(reason.contains(&first.address().to_string()), "{reason}");
    assert!(
        !reason.contains("--"),
        "the library names no CLI flag: {reason}"
    );
    assert!(
        !reason.contains("TK1"),
        "the document number stays out of reasons: {reason}"
    );

    let rebind = ApproveOptions {
        rebind: true,
        ..approve_options(&dir)
    };
    let summary = approve_with(&queue, &fixture.chain, Selection::AllPending, &rebind)
        .await
        .unwrap();
    assert_eq!((summary.attested, summary.failed), (1, 0));
    let me = fixture.certifier.address();
    assert_eq!(
        fixture
            .chain
            .pair(first.address(), me)
            .await
            .unwrap()
            .attestation
            .status,
        Status::Revoked
    );
    assert_eq!(
        fixture
            .chain
            .pair(second.address(), me)
            .await
            .unwrap()
            .attestation
            .status,
        Status::Active
    );
    assert!(queue
        .entry(first_id)
        .await
        .unwrap()
        .reason
        .unwrap()
        .contains("rebound"));

    // Once the old attestation is gone, a third address needs no rebind after its revocation.
    let third = PrivateKeySigner::random();
    revoke(&fixture.chain, second.address(), "test")
        .await
        .unwrap();
    enqueue(&queue, &fixture, &third, &person("Yamada", "TK1")).await;
    let summary = approve_all(&queue, &fixture.chain, &dir).await;
    assert_eq!((summary.attested, summary.failed), (1, 0));
}

#[tokio::test]
async fn two_addresses_of_one_identity_in_one_approval() {
    let (fixture, dir, queue) = setup().await;
    let first = enqueue_someone(&queue, &fixture, &person("Yamada", "TK1")).await;
    let second = enqueue_someone(&queue, &fixture, &person("Yamada", "TK1")).await;
    let approval = approve_all_outcomes(&queue, &fixture.chain, &dir).await;
    assert_eq!((approval.summary.attested, approval.summary.failed), (1, 1));
    // Rebinding would not lift it: the identity is held by a request, not an attestation.
    let refused = approval.outcomes.iter().find(|o| o.request == second);
    assert!(
        matches!(
            refused.map(|o| &o.settled),
            Some(Settled::DuplicateIdentity {
                rebindable: false,
                ..
            })
        ),
        "{refused:?}"
    );
    assert_eq!(
        queue.entry(first).await.unwrap().status,
        RequestStatus::Approved
    );
    let entry = queue.entry(second).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Pending);
    assert!(entry.reason.unwrap().contains(&format!("request #{first}")));
}

#[tokio::test]
async fn an_outage_leaves_requests_pending_with_the_reason() {
    let (fixture, dir, queue) = setup().await;
    let id = enqueue_someone(&queue, &fixture, &person("Yamada", "TK1")).await;
    let Fixture { anvil, chain, .. } = fixture;
    drop(anvil);

    let summary = approve_all(&queue, &chain, &dir).await;
    assert_eq!((summary.attested, summary.failed), (0, 1));
    let entry = queue.entry(id).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Pending);
    assert!(entry.reason.unwrap().starts_with("rpc unavailable"));
    assert!(queue.entry(id).await.unwrap().tx_hash.is_none());
}

#[tokio::test]
async fn a_registry_refusal_leaves_requests_pending_with_its_decoded_error() {
    let (fixture, dir, queue) = setup().await;
    let id = enqueue_someone(&queue, &fixture, &person("Yamada", "TK1")).await;
    let as_owner = fixture.connect_as(&fixture.owner).await;
    kyc_certifier::governance::remove_certifier(&as_owner, fixture.certifier.address())
        .await
        .unwrap();

    let summary = approve_all(&queue, &fixture.chain, &dir).await;
    assert_eq!((summary.attested, summary.failed), (0, 1));
    let entry = queue.entry(id).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Pending);
    let reason = entry.reason.unwrap();
    assert_eq!(
        reason,
        format!(
            "registry refused simulating attestBatch: {} is not a current certifier of this registry",
            fixture.certifier.address()
        )
    );
}

#[tokio::test]
async fn a_request_whose_nonce_was_used_elsewhere_is_rejected_as_stale() {
    let (fixture, dir, queue) = setup().await;
    let subject = PrivateKeySigner::random();
    let queued = enqueue(&queue, &fixture, &subject, &person("Yamada", "TK1")).await;
    // The subject's other request with the same nonce is attested outside the queue.
    let other = fixture.request(&subject, &person("Yamada", "TK1")).await;
    attest_one(&fixture.chain, other).await;

    approve_all(&queue, &fixture.chain, &dir).await;
    let entry = queue.entry(queued).await.unwrap();
    assert_eq!(entry.status, RequestStatus::Rejected);
    assert!(entry.reason.unwrap().contains("must sign a new request"));
}

/// Identities stored before the canonical form (the first schema's keyed hash of the raw
/// type, issuer and number) still count after the upgrade: recomputed from the sealed
/// claims when the queue opens, or, once those are deleted, matched by a request that
/// writes the document as they did.
#[tokio::test]
async fn identities_stored_before_the_canonical_form_still_count() {
    use hmac::{Hmac, Mac};
    let (fixture, dir, queue) = setup().await;
    let kept_id = enqueue_someone(&queue, &fixture, &person("Yamada", "TK1")).await;
    let purged_id = enqueue_someone(&queue, &fixture, &person("Sato", "TK2")).await;
    let summary = approve_all(&queue, &fixture.chain, &dir).await;
    assert_eq!(summary.attested, 2);
    queue.close().await;

    // The rows as migrations 0002 and 0003 leave them; the second one's personal data deleted.
    let path = dir.path().join("queue.db");
    let key = std::fs::read(Queue::default_key_path(&path)).unwrap();
    let legacy = |number: &str| {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(&key[32..]).unwrap();
        for part in ["passport", "JP", number] {
            mac.update(&u32::try_from(part.len()).unwrap().to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    };
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    for (id, number, purge) in [(kept_id, "TK1", false), (purged_id, "TK2", true)] {
        sqlx::query(
            "UPDATE requests SET identity = NULL, number_identity = NULL, legacy_identity = ?,
                 sealed = CASE WHEN ? THEN NULL ELSE sealed END WHERE id = ?",
        )
        .bind(legacy(number))
        .bind(purge)
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    }
    pool.close().await;

    let queue = open(&dir).await;
    let written_otherwise = enqueue_someone(&queue, &fixture, &person("Yamada", "tk-1")).await;
    let written_alike = enqueue_someone(&queue, &fixture, &person("Sato", "TK2")).await;
    let summary = approve_all(&queue, &fixture.chain, &dir).await;
    assert_eq!((summary.attested, summary.failed), (0, 2));
    for (id, other) in [(written_otherwise, kept_id), (written_alike, purged_id)] {
        let reason = queue.entry(id).await.unwrap().reason.unwrap();
        assert!(reason.contains(&format!("(request #{other})")), "{reason}");
    }
}
