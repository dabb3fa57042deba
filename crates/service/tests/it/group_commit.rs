//! Submissions that arrive together are recorded together (group commit), and single
//! use stays exact: of three answers to one session posted at once, one is approved.

use futures_util::future::join_all;
use serde_json::json;

use crate::fixtures::{TestService, FIELDS};

/// Sessions answered at once, three times each: within the wallets' rate limit.
const SESSIONS: usize = 6;

async fn concurrent_answers(service: TestService) {
    let mut answers = Vec::new();
    for _ in 0..SESSIONS {
        let created = service.create_session(&FIELDS).await;
        for _ in 0..3 {
            answers.push(service.submission(&created.uri, &FIELDS));
        }
    }
    let verdicts = join_all(answers.iter().map(|answer| service.submit(answer))).await;
    for (answers, verdicts) in answers.chunks(3).zip(verdicts.chunks(3)) {
        assert!(
            verdicts.iter().all(|(status, _)| *status == 200),
            "{verdicts:?}"
        );
        let approved = verdicts
            .iter()
            .filter(|(_, verdict)| verdict["outcome"] == "approved")
            .count();
        assert_eq!(approved, 1, "{verdicts:?}");
        for (_, verdict) in verdicts.iter().filter(|(_, v)| v["outcome"] != "approved") {
            assert_eq!(verdict["reasons"], json!(["registration_used"]));
        }
        let shown = service.session(answers[0].registration_id).await;
        assert_eq!(shown["status"], "verified");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_answers_on_sqlite_approve_one_per_session() {
    concurrent_answers(TestService::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn concurrent_answers_on_postgres_approve_one_per_session() {
    concurrent_answers(TestService::start_on_postgres().await).await;
}
