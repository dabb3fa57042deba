//! Single use under real concurrency: many honest answers to one session at the
//! same moment, on both stores; exactly one is approved.

use std::sync::Arc;

use kyc_verifier::{Outcome, Policy, Reason, Store};

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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_answers_on_sqlite_approve_exactly_one() {
    race(Fixture::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_answers_on_postgres_approve_exactly_one() {
    if let Some(fixture) = Fixture::start_postgres().await {
        race(fixture).await;
    }
}
