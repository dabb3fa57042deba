//! `kyc service` under load, through the built binary, against a local anvil where
//! 2,000 distinct people are attested:
//!
//! - `verify`: `kyc service verify` of 2,000 distinct submissions, less a call with
//!   one: verifications per second, all approved.
//! - `serve`: `kyc service serve` on a loopback port answering 100 wallets posting at
//!   once (2,000 submissions in all, each wallet 20 one after another): submissions
//!   per second, p50 and p99 latency, all approved.
//!
//! On SQLite, and also on PostgreSQL when `KYC_TEST_POSTGRES_URL` is set.
//! `cargo bench -p kyc-cli --bench service [-- verify|serve]` runs both, or the one
//! named. `KYC_BENCH_ROUNDS=7` times seven calls of each size instead of three;
//! `KYC_BENCH_WRAP="strace -f -c -e trace=fsync,fdatasync -o FILE"` runs each
//! `kyc service verify` under that command.
#![allow(missing_docs, clippy::unwrap_used)] // A benchmark: a failure is a broken environment.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use futures_util::future::join_all;
use kyc_test_utils::{test_database_key_file, Devnet, Person};
use kyc_verifier::{store::database_key, AnyStore, SessionRequest, Verifier};

/// Submissions per `kyc service verify` call, and per load test.
const SUBMISSIONS: usize = 2_000;
/// Timed calls of each size, unless `KYC_BENCH_ROUNDS` says otherwise; the median counts.
const ROUNDS: usize = 3;
/// Wallets posting at once in the load test.
const WALLETS: usize = 100;
/// The load test gives up after this long.
const LOAD_TIMEOUT: Duration = Duration::from_secs(120);
const TOKEN: &str = "bench-token-0123456789abcdef";
const FIELDS: [&str; 2] = ["birthdate", "given_name"];

#[tokio::main]
async fn main() {
    // Cargo passes `--bench`; a word that is no flag names the one benchmark to run.
    let only = std::env::args().skip(1).find(|arg| !arg.starts_with('-'));
    let runs = |name: &str| only.as_deref().is_none_or(|only| only == name);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let devnet = Devnet::start().await;
    let people = devnet.attest_people(SUBMISSIONS).await;
    let dir = tempfile::tempdir().unwrap();
    let mut databases = vec![(
        "sqlite",
        format!("sqlite://{}", dir.path().join("service.db").display()),
    )];
    match std::env::var("KYC_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => databases.push(("postgres", url)),
        _ => eprintln!("KYC_TEST_POSTGRES_URL is unset: SQLite only"),
    }
    for (name, url) in &databases {
        let bench = Bench {
            devnet: &devnet,
            people: &people,
            dir: dir.path(),
            database: url.clone(),
            verifier: Verifier::connect(
                &devnet.anvil.endpoint(),
                devnet.registry,
                AnyStore::connect(url, database_key(url, test_database_key_file(url)).unwrap())
                    .await
                    .unwrap(),
            )
            .await
            .unwrap(),
        };
        if runs("verify") {
            bench.verify(name).await;
        }
        if runs("serve") {
            bench.serve(name).await;
        }
    }
}

struct Bench<'a> {
    devnet: &'a Devnet,
    people: &'a [Person],
    dir: &'a Path,
    database: String,
    verifier: Verifier<AnyStore>,
}

impl Bench<'_> {
    /// A session of `service` for each of the first `count` people, and their answers.
    async fn answers(&self, service: &str, count: usize) -> Vec<Vec<u8>> {
        let mut answers = Vec::with_capacity(count);
        let fields: Vec<String> = FIELDS.map(String::from).to_vec();
        for person in &self.people[..count] {
            let session = self
                .verifier
                .open_session(SessionRequest::new(service, fields.clone()))
                .await
                .unwrap();
            let answer = person.answer(&session.uri(), self.devnet.certifier.address());
            answers.push(serde_json::to_vec(&answer).unwrap());
        }
        answers
    }

    fn kyc(&self) -> Command {
        self.with_settings(Command::new(env!("CARGO_BIN_EXE_kyc")))
    }

    /// `command` with the chain, registry and database in its environment.
    fn with_settings(&self, mut command: Command) -> Command {
        command
            .env("ETH_RPC_URL", self.devnet.anvil.endpoint())
            .env("KYC_REGISTRY", self.devnet.registry.to_string())
            .env("KYC_DATABASE_URL", &self.database);
        if let Some(key) = test_database_key_file(&self.database) {
            command.env("KYC_DATABASE_KEY_FILE", key);
        }
        command
    }

    /// Times `kyc service verify` of `count` fresh submissions; all must be approved.
    async fn time_verify(&self, count: usize) -> Duration {
        let answers = self.answers("https://bank.example", count).await;
        let files: Vec<PathBuf> = answers
            .iter()
            .enumerate()
            .map(|(index, answer)| {
                let path = self.dir.join(format!("answer-{index}.json"));
                std::fs::write(&path, answer).unwrap();
                path
            })
            .collect();
        let mut command = match std::env::var("KYC_BENCH_WRAP") {
            Ok(wrap) if !wrap.is_empty() => {
                let mut words = wrap.split_whitespace();
                let mut command = Command::new(words.next().unwrap());
                command.args(words).arg(env!("CARGO_BIN_EXE_kyc"));
                self.with_settings(command)
            }
            _ => self.kyc(),
        };
        command.args(["service", "verify"]).args(&files);
        let started = Instant::now();
        let output = command.stdout(Stdio::null()).output().unwrap();
        let elapsed = started.elapsed();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        elapsed
    }

    async fn verify(&self, database: &str) {
        let mut one = Vec::new();
        let mut many = Vec::new();
        let rounds = std::env::var("KYC_BENCH_ROUNDS").map_or(ROUNDS, |rounds| {
            rounds
                .parse()
                .expect("KYC_BENCH_ROUNDS is a number of calls")
        });
        for _ in 0..rounds {
            one.push(self.time_verify(1).await);
            many.push(self.time_verify(SUBMISSIONS).await);
        }
        let (one, many) = (median(one), median(many));
        let rate = SUBMISSIONS as f64 / (many - one).as_secs_f64();
        println!(
            "verify/{database}: {SUBMISSIONS} submissions in {many:.1?}, one in {one:.1?}: \
             {rate:.0} verifications/s (all approved)"
        );
    }

    async fn serve(&self, database: &str) {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let base = format!("http://127.0.0.1:{port}");
        let answers = self.answers(&base, SUBMISSIONS).await;
        let policy = self.dir.join("policy.toml");
        std::fs::write(&policy, "required_evidence = [\"document\", \"face\"]\n").unwrap();
        let server = Server(
            self.kyc()
                .args(["service", "serve", "--behind-proxy", "--listen"])
                .arg(format!("127.0.0.1:{port}"))
                .arg("--service")
                .arg(&base)
                .arg("--policy")
                .arg(&policy)
                .env("KYC_SERVICE_TOKEN", TOKEN)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        );
        let http = reqwest::Client::new();
        wait_until_up(&http, &base).await;

        let per_wallet = SUBMISSIONS / WALLETS;
        let started = Instant::now();
        let wallets = answers
            .chunks(per_wallet)
            .enumerate()
            .map(|(wallet, answers)| {
                let (http, base) = (http.clone(), base.clone());
                async move {
                    let mut latencies = Vec::with_capacity(answers.len());
                    for answer in answers {
                        let id = serde_json::from_slice::<serde_json::Value>(answer).unwrap()
                            ["registration_id"]
                            .as_str()
                            .unwrap()
                            .to_owned();
                        let sent = Instant::now();
                        let response = http
                            .post(format!("{base}/v1/sessions/{id}/submission"))
                            // One client address per wallet, for the per-client rate limit.
                            .header(
                                "x-forwarded-for",
                                format!("10.0.{}.{}", wallet / 250, wallet % 250 + 1),
                            )
                            .header("content-type", "application/json")
                            .body(answer.clone())
                            .send()
                            .await
                            .unwrap();
                        let status = response.status();
                        let verdict: serde_json::Value = response.json().await.unwrap();
                        latencies.push(sent.elapsed());
                        assert!(
                            status.is_success() && verdict["outcome"] == "approved",
                            "{status} {verdict}"
                        );
                    }
                    latencies
                }
            });
        let latencies = tokio::time::timeout(LOAD_TIMEOUT, join_all(wallets))
            .await
            .expect("the load test ends in time");
        let elapsed = started.elapsed();
        drop(server);
        let mut latencies: Vec<Duration> = latencies.into_iter().flatten().collect();
        latencies.sort_unstable();
        let percentile = |p: usize| latencies[(latencies.len() * p / 100).min(latencies.len() - 1)];
        println!(
            "serve/{database}: {} submissions from {WALLETS} wallets in {elapsed:.1?}: \
             {:.0} submissions/s, p50 {:.1?}, p99 {:.1?} (all approved)",
            latencies.len(),
            latencies.len() as f64 / elapsed.as_secs_f64(),
            percentile(50),
            percentile(99),
        );
    }
}

/// The service process; stopped when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_until_up(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if http.get(format!("{base}/healthz")).send().await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("kyc service serve did not come up on {base}");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}
