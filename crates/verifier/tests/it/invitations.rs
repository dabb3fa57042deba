//! Invitations on each store: one session per reference, the reference the key within
//! a batch, statuses read from the sessions; and inviting a CSV list through a verifier
//! on anvil, twice, without a second invitation.

use std::time::Duration;

use alloy::primitives::{address, Address};
use kyc_core::claims::Claim;
use kyc_verifier::{
    invitations::{self, BatchId, InvitationFilter, InvitationList, InvitationStatus, Rows},
    Outcome, Reason, Session, SessionRequest, Store, Verdict,
};

use kyc_test_utils::unix_now;

use crate::fixtures::{fields, postgres_url, sqlite_store, store_at, Fixture, SERVICE};

const REGISTRY: Address = address!("0x5FbDB2315678afecb367f032d93F642f64180aa3");

/// A session opened `age` seconds ago, open for `ttl` seconds.
fn session(age: u64, ttl: u64) -> Session {
    let mut request = SessionRequest::new(SERVICE, fields(&["given_name"]));
    request.ttl = Duration::from_secs(ttl);
    Session::open(request, 31337, REGISTRY, unix_now() - age).unwrap()
}

fn verdict(session: &Session, outcome: Outcome) -> Verdict {
    Verdict {
        outcome,
        reasons: match outcome {
            Outcome::Rejected => vec![Reason::Revoked],
            _ => Vec::new(),
        },
        registration_id: Some(session.registration_id),
        subject: Some(address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")),
        certifier: Some(address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")),
        certifier_name: Some("Demo Certification Body".to_owned()),
        attestation: None,
        block_number: Some(7),
        fields: session.fields.clone(),
        claims: match outcome {
            Outcome::Rejected => Vec::new(),
            _ => vec![Claim {
                key: "given_name".to_owned(),
                value: "Taro".to_owned(),
            }],
        },
        claims_deleted: false,
        verified_at: unix_now(),
    }
}

/// A batch ID no other run uses, since the PostgreSQL database is shared.
fn fresh_batch() -> String {
    format!(
        "batch-{}",
        &session(0, 60).registration_id.to_string()[2..18]
    )
}

fn invited(references: &[&str], sessions: &[&Session]) -> Vec<(String, Session)> {
    references
        .iter()
        .zip(sessions)
        .map(|(reference, session)| ((*reference).to_owned(), (*session).clone()))
        .collect()
}

async fn listed<S: Store>(
    store: &S,
    batch: &str,
    status: Option<InvitationStatus>,
) -> InvitationList {
    let filter = InvitationFilter {
        batch: Some(BatchId::parse(batch).unwrap()),
        status,
    };
    invitations::list(store, &filter).await.unwrap()
}

fn statuses(list: &InvitationList) -> Vec<(&str, InvitationStatus)> {
    list.invitations
        .iter()
        .map(|invitation| (invitation.reference.as_str(), invitation.status))
        .collect()
}

async fn suite<S: Store>(store: S) {
    let batch = fresh_batch();
    let (a, b, c) = (session(0, 600), session(0, 600), session(0, 600));
    let ids = store
        .insert_invitations(&batch, &invited(&["A", "B", "C"], &[&a, &b, &c]))
        .await
        .unwrap();
    assert_eq!(
        ids,
        [a.registration_id, b.registration_id, c.registration_id]
    );

    // The same references again: their invitations stay; only D is new.
    let (c_again, d) = (session(0, 600), session(0, 600));
    let ids = store
        .insert_invitations(&batch, &invited(&["C", "D"], &[&c_again, &d]))
        .await
        .unwrap();
    assert_eq!(ids, [c.registration_id, d.registration_id]);
    assert!(
        store
            .session(c_again.registration_id)
            .await
            .unwrap()
            .is_none(),
        "no session is stored for a reference invited before"
    );
    // Another batch may have the same reference.
    let other_batch = fresh_batch();
    let a_elsewhere = session(0, 600);
    let ids = store
        .insert_invitations(&other_batch, &invited(&["A"], &[&a_elsewhere]))
        .await
        .unwrap();
    assert_eq!(ids, [a_elsewhere.registration_id]);

    // What became of each: approved, rejected, approved then withdrawn, pending, expired,
    // declined, declined then approved.
    let (e, f, g) = (session(1000, 10), session(0, 600), session(0, 600));
    store
        .insert_invitations(&batch, &invited(&["E", "F", "G"], &[&e, &f, &g]))
        .await
        .unwrap();
    assert!(store.decline(f.registration_id, unix_now()).await.unwrap());
    assert!(store.decline(g.registration_id, unix_now()).await.unwrap());
    for (answered, outcome) in [
        (&g, Outcome::Approved),
        (&a, Outcome::Approved),
        (&b, Outcome::Rejected),
        (&c, Outcome::Approved),
    ] {
        let verdict = verdict(answered, outcome);
        assert!(store
            .consume(answered.registration_id, &verdict)
            .await
            .unwrap());
    }
    assert!(store
        .withdraw_consent(c.registration_id, unix_now())
        .await
        .unwrap());
    let list = listed(&store, &batch, None).await;
    use InvitationStatus::*;
    assert_eq!(
        statuses(&list),
        [
            ("A", Approved),
            ("B", Rejected),
            ("C", Withdrawn),
            ("D", Pending),
            ("E", Expired),
            ("F", Declined),
            ("G", Approved)
        ]
    );
    assert!(list.invitations[5].declined_at.is_some());
    // Declined, then its time runs out: it stays declined.
    let declined = store.session(f.registration_id).await.unwrap().unwrap();
    assert_eq!(InvitationStatus::of(&declined, f.expires_at + 1), Declined);
    let shown = &list.invitations[0];
    assert_eq!(shown.batch, batch);
    assert_eq!(shown.registration_id, a.registration_id);
    assert_eq!(shown.uri, a.uri().to_uri_string());
    assert_eq!(
        (shown.created_at, shown.expires_at),
        (a.created_at, a.expires_at)
    );
    assert!(shown.answered_at.is_some() && shown.withdrawn_at.is_none());
    assert!(list.invitations[2].withdrawn_at.is_some());
    assert_eq!(
        list.summary.to_string(),
        "7 invitations: 1 pending, 2 approved, 0 review, 1 rejected, 1 declined, 1 expired, 1 withdrawn"
    );

    // A status filter lists those only; the summary still counts the whole batch.
    let approved = listed(&store, &batch, Some(Approved)).await;
    assert_eq!(statuses(&approved), [("A", Approved), ("G", Approved)]);
    assert_eq!(approved.summary, list.summary);

    // Retention deletes disclosed claims; every reference stays with its invitation.
    store
        .purge_disclosed_older_than(Duration::ZERO)
        .await
        .unwrap();
    let kept = listed(&store, &batch, None).await;
    assert_eq!(statuses(&kept), statuses(&list));
    let record = store.session(a.registration_id).await.unwrap().unwrap();
    assert!(record.verdict.unwrap().claims.is_empty());

    // Without a batch filter, every batch is listed.
    let everything = invitations::list(&store, &InvitationFilter::default())
        .await
        .unwrap();
    assert!(everything
        .invitations
        .iter()
        .any(|invitation| invitation.batch == other_batch && invitation.reference == "A"));
    assert!(everything.summary.total() >= 8);
}

#[tokio::test]
async fn invitations_on_sqlite() {
    let (store, _dir) = sqlite_store().await;
    suite(store).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn invitations_on_postgres() {
    let url = postgres_url();
    suite(store_at(&url).await).await;
}

#[tokio::test]
async fn a_csv_list_invited_twice_makes_each_invitation_once() {
    let fixture = Fixture::start().await;
    let csv = "name,reference,email\n\
               Taro Yamada,C-001,taro@mail.example\n\
               Hanako Sato,C-002,hanako@mail.example\n\
               Nobody,,nobody@mail.example\n";
    let mut request = SessionRequest::new(SERVICE, fields(&["given_name", "family_name"]));
    request.ttl = invitations::DEFAULT_INVITATION_TTL;
    let verifier = &fixture.verifier;
    let list = || Rows::from_csv(csv.as_bytes()).unwrap();
    let first = verifier.invite("november", &request, list()).await.unwrap();
    assert_eq!((first.created, first.existing), (2, 0));
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].line, 4);
    let references: Vec<&str> = first
        .invitations
        .iter()
        .map(|i| i.reference.as_str())
        .collect();
    assert_eq!(references, ["C-001", "C-002"]);
    let now = unix_now();
    for invitation in &first.invitations {
        assert_eq!(invitation.status, InvitationStatus::Pending);
        assert!(invitation.expires_at >= now + 10 * 86_400 - 60);
        // Nothing of the row but the session reaches the code the wallet reads.
        for text in ["C-00", "Taro", "Hanako", "mail.example", "november"] {
            assert!(
                !invitation.uri.contains(text),
                "{text} in {}",
                invitation.uri
            );
        }
    }

    let again = verifier.invite("november", &request, list()).await.unwrap();
    assert_eq!((again.created, again.existing), (0, 2));
    assert_eq!(again.invitations, first.invitations);
    let shown = listed(verifier.store(), "november", None).await;
    assert_eq!(shown.invitations, first.invitations);

    let refused = verifier
        .invite("no spaces", &request, Rows::from_list(&["C-003"]))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "invalid_batch");
    assert_eq!(
        listed(verifier.store(), "november", None)
            .await
            .summary
            .total(),
        2
    );
}

#[test]
fn a_list_of_references_skips_the_bad_ones_by_position() {
    let rows = Rows::from_list(&["A", " ", "A", "B\u{7}", &"x".repeat(129), " C "]);
    let kept: Vec<(u64, &str)> = rows
        .references
        .iter()
        .map(|(line, reference)| (*line, reference.as_str()))
        .collect();
    assert_eq!(kept, [(1, "A"), (6, "C")]);
    let skipped: Vec<(u64, &str)> = rows
        .skipped
        .iter()
        .map(|row| (row.line, row.problem.code()))
        .collect();
    assert_eq!(
        skipped,
        [
            (2, "missing_reference"),
            (3, "duplicate_reference"),
            (4, "control_character"),
            (5, "reference_too_long")
        ]
    );
}
