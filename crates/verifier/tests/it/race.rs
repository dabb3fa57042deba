//! Single use under real concurrency: many honest answers to one session at the
//! same moment, and two verifiers (as two processes would) answering the same batch
//! of sessions at once, on both stores; exactly one answer per session is approved.

use std::{collections::HashMap, sync::Arc};

use alloy::primitives::B256;
use kyc_verifier::{Outcome, Policy, Reason, Store, Verdict};

use crate::fixtures::{commitment, evidence, to_json, Fixture};

const RACERS: usize = 8;

async fn race<S: Store + 'static>(fixture: Fixture<S>) {
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    let session = fixture.session(&["given_name"]).await;
    // Distinct submissions (each signed afresh), all honest, all for the same registration.
    let submissions: Vec<Vec<u8>> = (0..RACERS)
        .map(|_| to_json(&fixture.submission(&session, &commitment, &["given_name"])))
        .collect();
    let fixture = Arc::new(fixture);
    let barrier = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = submissions
        .into_iter()
        .map(|json| {
            let (fixture, barrier) = (fixture.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                fixture
                    .verifier
                    .verify(&json, &Policy::default())
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut verdicts = Vec::new();
    for task in tasks {
        verdicts.push(task.await.unwrap());
    }
    let approved = verdicts
        .iter()
        .filter(|verdict| verdict.outcome == Outcome::Approved)
        .count();
    assert_eq!(approved, 1, "{verdicts:#?}");
    for verdict in verdicts
        .iter()
        .filter(|verdict| verdict.outcome != Outcome::Approved)
    {
        assert_eq!(verdict.reasons, [Reason::RegistrationUsed]);
        assert!(verdict.claims.is_empty());
    }
    let record = fixture.record(session.registration_id).await;
    assert_eq!(record.verdict.unwrap().outcome, Outcome::Approved);
}

/// Sessions answered in each batch.
const BATCH: usize = 40;
/// Sessions answered in each large batch: more than a part of a pipelined batch, so
/// that its repeated answers fall in different parts.
const LARGE_BATCH: usize = 300;

/// Two verifiers with connections of their own verify the same sessions in batches at
/// once, each with its own signed answers, the second in reverse order; each batch also
/// answers its first session twice. Exactly one answer per session is approved, and the
/// store holds that verdict.
async fn race_batches<S: Store + 'static>(fixture: Fixture<S>, size: usize) {
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    let mut sessions = Vec::with_capacity(size);
    for _ in 0..size {
        sessions.push(fixture.session(&["given_name"]).await);
    }
    let batch = |reverse: bool| -> Vec<Vec<u8>> {
        let mut answers: Vec<Vec<u8>> = sessions
            .iter()
            .chain(&sessions[..1])
            .map(|session| to_json(&fixture.submission(session, &commitment, &["given_name"])))
            .collect();
        if reverse {
            answers.reverse();
        }
        answers
    };
    let (first, second) = (batch(false), batch(true));
    let other = fixture.second_verifier().await;
    let barrier = tokio::sync::Barrier::new(2);
    let policy = Policy::default();
    let (mine, theirs) = tokio::join!(
        async {
            barrier.wait().await;
            fixture.verifier.verify_many(&first, &policy).await.unwrap()
        },
        async {
            barrier.wait().await;
            other.verify_many(&second, &policy).await.unwrap()
        },
    );
    let mut by_registration: HashMap<B256, Vec<Verdict>> = HashMap::new();
    for verdict in mine.into_iter().chain(theirs) {
        by_registration
            .entry(verdict.registration_id.unwrap())
            .or_default()
            .push(verdict);
    }
    assert_eq!(by_registration.len(), size);
    for session in &sessions {
        let verdicts = &by_registration[&session.registration_id];
        let approved: Vec<&Verdict> = verdicts
            .iter()
            .filter(|verdict| verdict.outcome == Outcome::Approved)
            .collect();
        assert_eq!(approved.len(), 1, "{verdicts:#?}");
        for verdict in verdicts
            .iter()
            .filter(|verdict| verdict.outcome != Outcome::Approved)
        {
            assert_eq!(verdict.reasons, [Reason::RegistrationUsed]);
            assert!(verdict.claims.is_empty());
        }
        let stored = fixture
            .record(session.registration_id)
            .await
            .verdict
            .unwrap();
        assert_eq!(&stored, approved[0]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_on_sqlite_approve_exactly_one_per_session() {
    race_batches(Fixture::start().await, BATCH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn concurrent_batches_on_postgres_approve_exactly_one_per_session() {
    race_batches(Fixture::start_postgres().await, BATCH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_large_batches_on_sqlite_approve_exactly_one_per_session() {
    race_batches(Fixture::start().await, LARGE_BATCH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn concurrent_large_batches_on_postgres_approve_exactly_one_per_session() {
    race_batches(Fixture::start_postgres().await, LARGE_BATCH).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_answers_on_sqlite_approve_exactly_one() {
    race(Fixture::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn concurrent_answers_on_postgres_approve_exactly_one() {
    race(Fixture::start_postgres().await).await;
}

/// A large batch on a store with one connection, which cannot read while it writes:
/// its parts are written at the commit, and the repeated answer, in another part, loses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_on_an_in_memory_database_approves_one_per_session() {
    let fixture = Fixture::start_in_memory().await;
    let mut answers = fixture.honest_answers(LARGE_BATCH).await;
    answers.push(answers[0].clone());
    let verdicts = fixture
        .verifier
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap();
    let (last, first) = (&verdicts[LARGE_BATCH], &verdicts[..LARGE_BATCH]);
    assert!(
        first.iter().all(|v| v.outcome == Outcome::Approved),
        "{first:#?}"
    );
    assert_eq!(last.reasons, [Reason::RegistrationUsed]);
    assert_eq!(last.registration_id, first[0].registration_id);
    for verdict in first {
        let registration_id = verdict.registration_id.unwrap();
        let stored = fixture.record(registration_id).await.verdict;
        assert_eq!(stored.as_ref(), Some(verdict));
    }
}
