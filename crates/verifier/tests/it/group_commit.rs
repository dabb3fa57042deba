//! Answers taken one at a time through [`GroupCommit`], as the HTTP service takes them:
//! answers that arrive together are recorded together, single use stays exact, and a
//! decline, a misdirected submission and bytes that are no submission are told apart.

use alloy::primitives::B256;
use futures_util::future::join_all;
use kyc_core::files::{Decline, FormatVersion};
use kyc_verifier::{
    Answer, DeclineRefusal, Declining, GroupCommit, Outcome, Policy, Reason, SessionStatus, Store,
    Verdict,
};

use crate::fixtures::{commitment, evidence, to_json, Fixture, SERVICE};

/// Sessions answered at once, three times each.
const SESSIONS: usize = 6;

/// The verdict of an answer that must be judged.
fn judged(answer: Answer) -> Verdict {
    match answer {
        Answer::Judged(verdict) => verdict,
        other => panic!("expected a verdict, got {other:?}"),
    }
}

async fn answers_arriving_together<S: Store + Clone + Send + Sync + 'static>(fixture: Fixture<S>) {
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    let mut answers = Vec::new();
    for _ in 0..SESSIONS {
        let session = fixture.session(&["given_name"]).await;
        for _ in 0..3 {
            let submission = fixture.submission(&session, &commitment, &["given_name"]);
            answers.push((session.registration_id, to_json(&submission)));
        }
    }
    let group = GroupCommit::new(fixture.verifier.clone());
    let policy = Policy::default();
    let taken = join_all(answers.iter().map(|(id, body)| {
        let group = group.clone();
        let policy = &policy;
        async move { group.answer(*id, body, policy).await.unwrap() }
    }))
    .await;
    let verdicts: Vec<Verdict> = taken.into_iter().map(judged).collect();
    for (answers, verdicts) in answers.chunks(3).zip(verdicts.chunks(3)) {
        let approved: Vec<&Verdict> = verdicts
            .iter()
            .filter(|verdict| verdict.outcome == Outcome::Approved)
            .collect();
        assert_eq!(approved.len(), 1, "{verdicts:#?}");
        for verdict in verdicts.iter().filter(|v| v.outcome != Outcome::Approved) {
            assert_eq!(verdict.reasons, [Reason::RegistrationUsed]);
            assert!(verdict.claims.is_empty());
        }
        let stored = fixture.record(answers[0].0).await.verdict.unwrap();
        assert_eq!(&stored, approved[0]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_arriving_together_on_sqlite_approve_one_per_session() {
    answers_arriving_together(Fixture::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn answers_arriving_together_on_postgres_approve_one_per_session() {
    answers_arriving_together(Fixture::start_postgres().await).await;
}

#[tokio::test]
async fn a_decline_a_misdirected_submission_and_garbage_are_told_apart() {
    let fixture = Fixture::start().await;
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    let (first, second) = (
        fixture.session(&["given_name"]).await,
        fixture.session(&["given_name"]).await,
    );
    let group = GroupCommit::new(fixture.verifier.clone());
    let policy = Policy::default();
    let answer = |id: B256, body: Vec<u8>| {
        let (group, policy) = (group.clone(), policy.clone());
        async move { group.answer(id, &body, &policy).await.unwrap() }
    };

    // The first session's answer sent to the second: nothing judged, both stay open.
    let submission = fixture.submission(&first, &commitment, &["given_name"]);
    let misdirected = answer(second.registration_id, to_json(&submission)).await;
    assert!(
        matches!(misdirected, Answer::RegistrationMismatch),
        "{misdirected:?}"
    );
    for id in [first.registration_id, second.registration_id] {
        assert_eq!(fixture.record(id).await.used_at, None);
    }

    // Bytes that are no submission: a `malformed` verdict, nothing used up.
    let garbage = judged(answer(first.registration_id, b"{\"not\": 1}".to_vec()).await);
    assert_eq!(garbage.reasons, [Reason::Malformed]);
    assert_eq!(fixture.record(first.registration_id).await.used_at, None);

    // Shaped as a decline but not one: refused, nothing recorded.
    let broken = br#"{"declined_at": 1, "registration_id": "0x12"}"#.to_vec();
    let refused = answer(first.registration_id, broken).await;
    assert!(
        matches!(refused, Answer::MalformedDecline(_)),
        "{refused:?}"
    );
    assert_eq!(
        fixture.record(first.registration_id).await.declined_at,
        None
    );

    // A decline, then one for another registration, then the person's consent.
    let decline = |id: B256| Decline {
        version: FormatVersion,
        registration_id: id,
        service: SERVICE.to_owned(),
        declined_at: 1,
    };
    let declined = answer(
        first.registration_id,
        serde_json::to_vec(&decline(first.registration_id)).unwrap(),
    )
    .await;
    assert!(
        matches!(declined, Answer::Declined(Declining::Recorded { .. })),
        "{declined:?}"
    );
    let elsewhere = answer(
        first.registration_id,
        serde_json::to_vec(&decline(second.registration_id)).unwrap(),
    )
    .await;
    assert!(
        matches!(
            elsewhere,
            Answer::Declined(Declining::Refused(DeclineRefusal::RegistrationMismatch))
        ),
        "{elsewhere:?}"
    );
    let approved = judged(answer(first.registration_id, to_json(&submission)).await);
    assert_eq!(approved.outcome, Outcome::Approved, "{approved:#?}");
    let report = fixture.verifier.session_report(first.registration_id).await;
    assert_eq!(report.unwrap().unwrap().status, SessionStatus::Verified);
}
