//! Chain reads in as few round trips as the node allows: a batch of submissions is
//! read in one request that also tells the block, and a node's batch limit is kept.

use std::sync::{Arc, Mutex};

use alloy::{
    primitives::{B256, U256},
    sol_types::SolValue,
};
use axum::{body::Bytes, extract::State, http::StatusCode, routing::post, Router};
use kyc_contracts::BatchReader;
use kyc_verifier::{store::SqliteStore, Batch, Outcome, Policy, Reason, Store, Verdict, Verifier};
use serde_json::Value;

use crate::fixtures::{commitment, database_key, resign, sqlite_store, to_json, Fixture};

/// What the node saw of one HTTP request: how many JSON-RPC requests it carried,
/// and the reads of each `eth_call` of a batch reader.
#[derive(Clone, Debug, Default)]
struct Seen {
    requests: usize,
    reads: Vec<usize>,
}

/// A JSON-RPC endpoint in front of anvil that, as a hosted node may, refuses a JSON-RPC
/// batch of more than `limit` requests, and records what it forwards; it fails every
/// HTTP request once its budget (if one is set) is spent, as a node going down would.
struct Node {
    url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    budget: Arc<Mutex<Option<usize>>>,
}

#[derive(Clone)]
struct Upstream {
    anvil: String,
    limit: usize,
    seen: Arc<Mutex<Vec<Seen>>>,
    budget: Arc<Mutex<Option<usize>>>,
}

impl Node {
    async fn start(anvil: String, limit: usize) -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let budget = Arc::new(Mutex::new(None));
        let upstream = Upstream {
            anvil,
            limit,
            seen: seen.clone(),
            budget: budget.clone(),
        };
        let app = Router::new().route("/", post(forward)).with_state(upstream);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, seen, budget }
    }

    /// Answers `requests` more HTTP requests, then fails every one (`None`: no limit).
    fn answer_only(&self, requests: Option<usize>) {
        *self.budget.lock().unwrap() = requests;
    }

    /// What the node has seen since it was last asked.
    fn take(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

async fn forward(State(upstream): State<Upstream>, body: Bytes) -> (StatusCode, String) {
    if let Some(left) = upstream.budget.lock().unwrap().as_mut() {
        match left.checked_sub(1) {
            Some(rest) => *left = rest,
            None => return (StatusCode::BAD_GATEWAY, "down".to_owned()),
        }
    }
    let json: Value = serde_json::from_slice(&body).unwrap();
    let requests = match &json {
        Value::Array(batch) => batch.clone(),
        single => vec![single.clone()],
    };
    let reads = requests
        .iter()
        .filter(|request| request["method"] == "eth_call")
        .map(|request| reads_of(&request["params"][0]))
        .collect();
    upstream.seen.lock().unwrap().push(Seen {
        requests: requests.len(),
        reads,
    });
    if requests.len() > upstream.limit {
        let refusal = serde_json::json!({"jsonrpc": "2.0", "id": null,
            "error": {"code": -32600, "message": "batch too large"}});
        return (StatusCode::OK, refusal.to_string());
    }
    let answer = reqwest::Client::new()
        .post(&upstream.anvil)
        .header("content-type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    (StatusCode::OK, answer.text().await.unwrap())
}

/// The number of reads in a batch reader's creation code; 0 for another call.
fn reads_of(call: &Value) -> usize {
    let input = call["input"]
        .as_str()
        .or(call["data"].as_str())
        .unwrap_or("0x");
    let code = alloy::hex::decode(input).unwrap();
    code.strip_prefix(BatchReader::BYTECODE.as_ref())
        .and_then(|arguments| <(Vec<BatchReader::Read>,)>::abi_decode_params(arguments).ok())
        .map_or(0, |(reads,)| reads.len())
}

async fn verifier_through(node: &Node, fixture: &Fixture<SqliteStore>) -> Verifier<SqliteStore> {
    let store = SqliteStore::connect(&fixture.database_url, database_key(&fixture.database_url))
        .await
        .unwrap();
    Verifier::connect(&node.url, fixture.devnet.registry, store)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_batch_is_read_in_one_round_trip_that_tells_the_block() {
    let fixture = Fixture::start().await;
    let answers = fixture.honest_answers(5).await;
    let node = Node::start(fixture.devnet.anvil.endpoint(), 100).await;
    let verifier = verifier_through(&node, &fixture).await;
    node.take(); // the chain ID and the registry's code, when connecting
    let verdicts = verifier
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap();
    assert!(verdicts.iter().all(|verdict| verdict.is_approved()));
    let seen = node.take();
    assert_eq!(seen.len(), 1, "one round trip: {seen:?}");
    // Five attestations and one certifier name, in one call.
    assert_eq!(seen[0].reads, [6]);
    let block = verdicts[0].block_number.unwrap();
    assert!(verdicts.iter().all(|v| v.block_number == Some(block)));
}

#[tokio::test]
async fn a_node_batch_limit_is_kept() {
    let fixture = Fixture::start().await;
    let answers = fixture.honest_answers(7).await;
    let node = Node::start(fixture.devnet.anvil.endpoint(), 2).await;

    // Seven attestations and a name make four calls of two reads: two batches of two.
    let verifier = verifier_through(&node, &fixture).await.with_batch_limit(2);
    node.take();
    let verdicts = verifier
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap();
    assert!(
        verdicts.iter().all(|v| v.outcome == Outcome::Approved),
        "{verdicts:#?}"
    );
    let block = verdicts[0].block_number.unwrap();
    assert!(verdicts.iter().all(|v| v.block_number == Some(block)));
    let seen = node.take();
    assert_eq!(seen.len(), 2, "{seen:?}");
    assert!(seen
        .iter()
        .all(|seen| seen.requests <= 2 && seen.reads == [2, 2]));

    // Over the node's limit (three calls of at most three reads in one batch), the node
    // refuses: an outage, not a verdict.
    let (store, _dir) = sqlite_store().await;
    let over = Verifier::connect(&node.url, fixture.devnet.registry, store)
        .await
        .unwrap()
        .with_batch_limit(3);
    let error = over
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rpc_unavailable", "{error}");
}

#[tokio::test]
async fn a_large_batch_is_split_to_the_creation_code_size_nodes_run() {
    let fixture = Fixture::start().await;
    let session = fixture.session(&["given_name"]).await;
    let commitment = commitment();
    // Answers to unknown registrations: the chain is read for each all the same.
    let answers: Vec<Vec<u8>> = (0..400u64)
        .map(|index| {
            let mut submission = fixture.submission(&session, &commitment, &["given_name"]);
            submission.registration_id = B256::from(U256::from(index + 1));
            resign(&mut submission, &fixture.devnet.subject);
            to_json(&submission)
        })
        .collect();
    let node = Node::start(fixture.devnet.anvil.endpoint(), 100).await;
    let verifier = verifier_through(&node, &fixture).await;
    node.take();
    let verdicts = verifier
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap();
    assert!(verdicts
        .iter()
        .all(|verdict| verdict.reasons.contains(&Reason::UnknownRegistration)));
    let seen = node.take();
    // 400 attestations and a name, in calls of at most 48 KiB of creation code, in one batch.
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].reads.len() >= 3, "{seen:?}");
    assert_eq!(seen[0].reads.iter().sum::<usize>(), 401);
}

/// A large batch is written part by part in one transaction: when a later part cannot
/// be judged (here the node goes down before a contract wallet's ERC-1271 answer), the
/// parts already written are rolled back, and the same batch verifies once it is up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_batch_failing_in_a_later_part_uses_up_nothing() {
    let fixture = Fixture::start().await;
    let mut answers = fixture.honest_answers(300).await;
    let owner = &fixture.devnet.subject;
    let commitment = commitment();
    let wallet = fixture.contract_wallet(&commitment).await;
    let session = fixture.session(&["given_name"]).await;
    let mut submission = fixture.submission(&session, &commitment, &["given_name"]);
    submission.subject = wallet;
    resign(&mut submission, owner);
    answers.push(to_json(&submission));

    let node = Node::start(fixture.devnet.anvil.endpoint(), 100).await;
    let verifier = verifier_through(&node, &fixture).await;
    // The batch's one read passes; the wallet's question, in the second part, fails.
    node.answer_only(Some(1));
    let error = verifier
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rpc_unavailable", "{error}");
    let ids: Vec<B256> = answers
        .iter()
        .map(|json| serde_json::from_slice::<Value>(json).unwrap()["registration_id"].clone())
        .map(|id| serde_json::from_value(id).unwrap())
        .collect();
    for id in &ids {
        assert_eq!(fixture.record(*id).await.used_at, None);
    }
    assert_eq!(
        fixture
            .verifier
            .store()
            .customer(owner.address())
            .await
            .unwrap(),
        None
    );

    node.answer_only(None);
    let verdicts = verifier
        .verify_many(&answers, &Policy::default())
        .await
        .unwrap();
    assert!(verdicts.iter().all(|v| v.is_approved()), "{verdicts:#?}");
    for id in &ids {
        assert!(fixture.record(*id).await.used_at.is_some());
    }
}

/// A large batch made before the verifier connects is inspected meanwhile; its verdicts
/// come in its order, bytes that are no submission and a repeated answer included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_made_before_connecting_keeps_its_order() {
    let fixture = Fixture::start().await;
    let answers = fixture.honest_answers(100).await;
    let mut submissions: Vec<Vec<u8>> = answers.clone();
    for at in [0, 50, 101] {
        submissions.insert(at, b"not a submission".to_vec());
    }
    submissions.push(answers[10].clone());
    let batch = Batch::new(&submissions);
    assert_eq!(batch.len(), 104);
    let node = Node::start(fixture.devnet.anvil.endpoint(), 100).await;
    let verifier = verifier_through(&node, &fixture).await;
    let verdicts = verifier
        .verify_batch(batch, &Policy::default())
        .await
        .unwrap();
    assert_eq!(verdicts.len(), submissions.len());
    let mut answered = answers.iter();
    for (at, verdict) in verdicts[..103].iter().enumerate() {
        if [0, 50, 101].contains(&at) {
            assert_eq!(verdict.reasons, [Reason::Malformed], "at {at}");
            continue;
        }
        let answer: Value = serde_json::from_slice(answered.next().unwrap()).unwrap();
        let id: B256 = answer["registration_id"].as_str().unwrap().parse().unwrap();
        assert_eq!(verdict.registration_id, Some(id), "at {at}");
        assert!(verdict.is_approved(), "at {at}: {:?}", verdict.reasons);
    }
    // The repeat of the answer at 11 finds its session used.
    assert_eq!(verdicts[11].registration_id, verdicts[103].registration_id);
    assert_eq!(verdicts[103].reasons, [Reason::RegistrationUsed]);
}

/// Each verdict of a rendered batch comes with its rendering as it ended, also one
/// that lost its session when the batch was committed.
#[tokio::test]
async fn a_rendered_batch_renders_each_verdict_as_it_ends() {
    let fixture = Fixture::start().await;
    let answers = fixture.honest_answers(70).await;
    let render = |verdict: &Verdict| serde_json::to_string(verdict).unwrap();
    for count in [3, 70] {
        let mut submissions: Vec<Vec<u8>> = answers[70 - count..].to_vec();
        submissions.push(submissions[1].clone());
        let rendered = fixture
            .verifier
            .verify_batch_rendered(Batch::new(&submissions), &Policy::default(), render)
            .await
            .unwrap();
        assert_eq!(rendered.len(), count + 1);
        for (verdict, rendering) in &rendered {
            assert_eq!(rendering, &render(verdict));
        }
        assert!(rendered[1].0.is_approved());
        assert_eq!(rendered[count].0.reasons, [Reason::RegistrationUsed]);
    }
}

/// Loading a large batch stops at the first source that fails, in order, whichever
/// core came to it first.
#[test]
fn a_large_batch_that_cannot_be_loaded_is_refused_with_its_first_failure() {
    let sources: Vec<usize> = (0..200).collect();
    let load = |source: &usize| match source {
        40 | 150 => Err(*source),
        _ => Ok(b"not a submission".to_vec()),
    };
    assert_eq!(Batch::load(&sources, load).err(), Some(40));
    let loaded = Batch::load(&sources[..100], |_: &usize| Ok::<_, usize>(Vec::new()));
    assert_eq!(loaded.map(|batch| batch.len()).ok(), Some(100));
}
