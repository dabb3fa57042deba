//! Webhooks through the binary: a bank's endpoint on loopback receives the approval,
//! then the revocation within five seconds of it being mined; `kill -9` in the middle
//! of a delivery loses nothing; two replicas on one PostgreSQL deliver each event once.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use kyc_core::uri::RegistrationUri;
use kyc_test_utils::{
    commitment,
    webhooks::{Received, WebhookReceiver, WEBHOOK_SECRET},
    Devnet,
};
use kyc_verifier::{outbox::DeliveryStatus, AnyStore, Store};
use serde_json::Value;

use crate::{
    serve::{free_port, request, serve, terminate, wait_until_up, TOKEN},
    util::stderr,
};

pub(crate) const WAIT: Duration = Duration::from_secs(30);

/// `kyc service serve` on `port` with webhooks to `receiver`, 2 s per attempt.
pub(crate) fn serve_with_webhooks(
    devnet: &Devnet,
    dir: &Path,
    port: u16,
    receiver: &WebhookReceiver,
    settings: &[(&str, &str)],
) -> Command {
    let secret = dir.join("webhook-secret");
    std::fs::write(&secret, format!("{WEBHOOK_SECRET}\n")).unwrap();
    let secret = secret.display().to_string();
    let mut all = vec![
        ("--webhook-url", receiver.url.as_str()),
        ("--webhook-secret-file", secret.as_str()),
        ("--webhook-timeout", "2s"),
    ];
    all.extend_from_slice(settings);
    let mut command = serve(devnet, dir, port, &all);
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    command
}

/// A bank's endpoint and `kyc service serve` posting webhooks to it, on a fresh devnet.
pub(crate) struct Bank {
    pub(crate) devnet: Devnet,
    pub(crate) receiver: WebhookReceiver,
    pub(crate) port: u16,
    /// The service's database and settings, kept across restarts.
    dir: tempfile::TempDir,
}

impl Bank {
    pub(crate) async fn start() -> Self {
        Self {
            devnet: Devnet::start().await,
            receiver: WebhookReceiver::start(0).await,
            port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Starts the service and waits until it answers.
    pub(crate) fn serve(&self) -> Child {
        let child = serve_with_webhooks(
            &self.devnet,
            self.dir.path(),
            self.port,
            &self.receiver,
            &[],
        )
        .spawn()
        .unwrap();
        wait_until_up(self.port);
        child
    }
}

/// Opens a session on the service at `port` and has the subject answer it; returns
/// the registration ID.
fn approve(devnet: &Devnet, port: u16, answer: &kyc_core::commitment::Commitment) -> String {
    let code = open_session(port, r#"{"fields":["given_name"]}"#);
    answer_session(devnet, port, &code, answer);
    code.registration_id.to_string()
}

/// Opens a session on the service at `port` (`POST /v1/sessions` with `body`); returns
/// its code.
pub(crate) fn open_session(port: u16, body: &str) -> RegistrationUri {
    let (status, body) = request(
        port,
        &format!("POST /v1/sessions HTTP/1.0\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json"),
        body,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    RegistrationUri::parse(created["uri"].as_str().unwrap()).unwrap()
}

/// The subject answers `code`, disclosing `answer`, and the service approves.
pub(crate) fn answer_session(
    devnet: &Devnet,
    port: u16,
    code: &RegistrationUri,
    answer: &kyc_core::commitment::Commitment,
) {
    let submission = devnet.submission(code, answer, &devnet.subject);
    let (status, body) = request(
        port,
        &format!(
            "POST /v1/sessions/{}/submission HTTP/1.0\r\nContent-Type: application/json",
            code.registration_id
        ),
        &serde_json::to_string(&submission).unwrap(),
    )
    .unwrap();
    let verdict: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, verdict["outcome"].as_str()),
        (200, Some("approved")),
        "{body}"
    );
}

/// The subject's claims, attested by the devnet certifier (evidence: document).
pub(crate) async fn attested(devnet: &Devnet) -> kyc_core::commitment::Commitment {
    let claims = commitment(&[("given_name", "Taro"), ("family_name", "Yamada")]);
    devnet.attest(claims.root(), 1, 86_400).await;
    claims
}

/// The certifier revokes the subject's attestation; returns when it is mined.
async fn revoke(devnet: &Devnet) -> Instant {
    devnet.revoke("fraud").await;
    Instant::now()
}

pub(crate) fn accepted<'a>(received: &'a [Received], kind: &str) -> Vec<&'a Received> {
    received
        .iter()
        .filter(|r| r.kind() == kind && r.answered == 204)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bank_receives_the_approval_then_the_revocation_within_five_seconds() {
    let bank = Bank::start().await;
    let (devnet, receiver, port) = (&bank.devnet, &bank.receiver, bank.port);
    let claims = attested(devnet).await;
    let child = bank.serve();
    let registration_id = approve(devnet, port, &claims);
    let approved = receiver.delivered("session.approved", WAIT).await;
    assert!(approved.signature_valid);
    assert_eq!(
        approved.body["data"]["registration_id"],
        registration_id.as_str()
    );

    let mined = revoke(devnet).await;
    let revoked = receiver.delivered("customer.revoked", WAIT).await;
    let delay = revoked.at.saturating_duration_since(mined);
    eprintln!("revocation mined to customer.revoked received, through the binary: {delay:?}");
    assert!(delay < Duration::from_secs(5), "{delay:?}");
    assert!(revoked.signature_valid);
    assert_eq!(
        revoked.body["data"]["registration_id"],
        registration_id.as_str()
    );

    let output = terminate(child);
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("webhook delivered") && log.contains("customer status changed"),
        "{log}"
    );
    assert!(!log.contains("Taro") && !log.contains("Yamada"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_in_the_middle_of_a_delivery_loses_nothing() {
    let devnet = Devnet::start().await;
    let claims = attested(&devnet).await;
    let dir = tempfile::tempdir().unwrap();
    let receiver = WebhookReceiver::start(0).await;
    receiver.hold();
    let port = free_port();
    let mut first = serve_with_webhooks(&devnet, dir.path(), port, &receiver, &[])
        .spawn()
        .unwrap();
    wait_until_up(port);
    approve(&devnet, port, &claims);
    let held = receiver.wait_until(WAIT, |all| !all.is_empty()).await;
    let approval_id = held[0].id.clone();
    revoke(&devnet).await;
    // Both events are in the outbox before the process dies.
    let database = format!("sqlite://{}", dir.path().join("service.db").display());
    let key = kyc_verifier::store::database_key(&database, None).unwrap();
    let store = AnyStore::connect(&database, key).await.unwrap();
    let started = Instant::now();
    while store
        .deliveries(Some(DeliveryStatus::Pending), 10)
        .await
        .unwrap()
        .len()
        < 2
    {
        assert!(
            started.elapsed() < WAIT,
            "the revocation never reached the outbox"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    first.kill().unwrap();
    first.wait().unwrap();
    receiver.release();
    let second: Child = serve_with_webhooks(&devnet, dir.path(), port, &receiver, &[])
        .spawn()
        .unwrap();
    let received = receiver
        .wait_until(WAIT, |all| {
            !accepted(all, "session.approved").is_empty()
                && !accepted(all, "customer.revoked").is_empty()
        })
        .await;
    assert_eq!(accepted(&received, "session.approved")[0].id, approval_id);
    assert!(received.iter().all(|r| r.signature_valid));
    let output = terminate(second);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs PostgreSQL at KYC_TEST_POSTGRES_URL; scripts/test runs it"]
async fn two_replicas_on_postgresql_deliver_each_event_once() {
    let database = fresh_postgres_database().await;
    let devnet = Devnet::start().await;
    let claims = attested(&devnet).await;
    let receiver = WebhookReceiver::start(0).await;
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ports = [free_port(), free_port()];
    // Replicas share the key that seals the database's claims, as they share the database.
    let key = kyc_test_utils::test_database_key_file(&database.url)
        .unwrap()
        .display()
        .to_string();
    let replicas: Vec<Child> = dirs
        .iter()
        .zip(ports)
        .map(|(dir, port)| {
            serve_with_webhooks(
                &devnet,
                dir.path(),
                port,
                &receiver,
                &[("--database", &database.url), ("--database-key", &key)],
            )
            .spawn()
            .unwrap()
        })
        .collect();
    for port in ports {
        wait_until_up(port);
    }
    for port in [ports[0], ports[1], ports[0]] {
        approve(&devnet, port, &claims);
    }
    revoke(&devnet).await;
    receiver
        .wait_until(WAIT, |all| {
            accepted(all, "session.approved").len() == 3
                && accepted(all, "customer.revoked").len() == 1
        })
        .await;
    // Time for a duplicate, if there were one, to arrive.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let received = receiver.received();
    let mut ids: Vec<&str> = received.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((received.len(), ids.len()), (4, 4), "{received:#?}");
    let logs: Vec<String> = replicas
        .into_iter()
        .map(|replica| stderr(&terminate(replica)))
        .collect();
    // Once the first replica shuts down, the other may rightly take over the watch: the
    // roles count up to then (the log lines start with comparable UTC timestamps).
    let first_shutdown = logs
        .iter()
        .filter_map(|log| log.lines().find(|line| line.contains("shutting down")))
        .filter_map(|line| line.split_whitespace().next())
        .min()
        .unwrap_or("~");
    let before_shutdown = |log: &String, text: &str| {
        log.lines()
            .take_while(|line| line.split_whitespace().next() < Some(first_shutdown))
            .any(|line| line.contains(text))
    };
    let watching = logs
        .iter()
        .filter(|log| before_shutdown(log, "watcher: following the registry"))
        .count();
    let standing_by = logs
        .iter()
        .filter(|log| before_shutdown(log, "another replica follows the registry"))
        .count();
    assert_eq!((watching, standing_by), (1, 1), "{logs:#?}");
    database.drop().await;
}

/// A database of its own on the PostgreSQL server of `KYC_TEST_POSTGRES_URL`, dropped at
/// the end of the test. The PostgreSQL tests are ignored by default and fail, rather than
/// pass without running, when they are asked for and cannot run.
#[cfg(feature = "postgres")]
struct FreshDatabase {
    url: String,
    admin: String,
    name: String,
}

#[cfg(feature = "postgres")]
async fn fresh_postgres_database() -> FreshDatabase {
    use sqlx::Connection;
    let admin = std::env::var("KYC_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("KYC_TEST_POSTGRES_URL is unset: the PostgreSQL tests need a database (scripts/test starts one)");
    let name = format!(
        "kyc_replicas_{}_{}",
        std::process::id(),
        kyc_test_utils::unix_now()
    );
    let mut connection = sqlx::PgConnection::connect(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut connection)
        .await
        .unwrap();
    let (server, _) = admin.rsplit_once('/').unwrap();
    FreshDatabase {
        url: format!("{server}/{name}"),
        admin,
        name,
    }
}

#[cfg(feature = "postgres")]
impl FreshDatabase {
    async fn drop(self) {
        use sqlx::Connection;
        let mut connection = sqlx::PgConnection::connect(&self.admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE {} WITH (FORCE)", self.name))
            .execute(&mut connection)
            .await
            .unwrap();
    }
}
