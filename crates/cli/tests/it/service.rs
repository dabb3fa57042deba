//! `kyc service session new` and `kyc service verify` against anvil and a SQLite file:
//! URIs and QR codes, verdict JSON and exit codes, and one-line refusals.

use std::{
    path::PathBuf,
    process::{Command, Output},
};

use alloy::signers::local::PrivateKeySigner;
use kyc_core::{commitment::Commitment, uri::RegistrationUri};
use kyc_test_utils::{commitment, unix_now, Devnet};
use kyc_verifier::{AnyStore, Store};
use serde_json::Value;
use tempfile::TempDir;

use crate::util::{assert_output, kyc, stderr, stdout};

const SERVICE: &str = "https://bank.example";

/// A devnet, a database file and a folder for submissions.
struct Bank {
    devnet: Devnet,
    dir: TempDir,
}

impl Bank {
    async fn start() -> Self {
        Self {
            devnet: Devnet::start().await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn database(&self) -> String {
        format!("sqlite://{}", self.path("service.db").display())
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kyc service ARGS` with the chain, registry and database in the environment.
    fn service(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = kyc();
        command
            .arg("service")
            .args(args)
            .env("ETH_RPC_URL", self.devnet.anvil.endpoint())
            .env("KYC_REGISTRY", self.devnet.registry.to_string())
            .env("KYC_DATABASE_URL", self.database());
        command
    }

    /// Opens a session through the binary and returns its URI.
    fn open_session(&self, fields: &str) -> RegistrationUri {
        let output = self.service(&["session", "new", "--service", SERVICE, "--fields", fields]);
        assert!(output.status.success(), "{}", stderr(&output));
        RegistrationUri::parse(stdout(&output).lines().next().unwrap()).unwrap()
    }

    /// Taro's claims, attested by the devnet certifier for the subject (#1).
    async fn attest(&self) -> Commitment {
        let commitment = commitment(&[("given_name", "Taro"), ("family_name", "Yamada")]);
        self.devnet.attest(commitment.root(), 1, 86_400).await;
        commitment
    }

    /// The subject's answer to `uri`, disclosing every claim, signed by `signer`, in a file.
    fn submission_file(
        &self,
        name: &str,
        uri: &RegistrationUri,
        commitment: &Commitment,
        signer: &PrivateKeySigner,
    ) -> String {
        let submission = self.devnet.submission(uri, commitment, signer);
        let path = self.path(name);
        std::fs::write(&path, serde_json::to_vec(&submission).unwrap()).unwrap();
        path.display().to_string()
    }
}

fn json(output: &Output) -> Value {
    serde_json::from_str(&stdout(output)).unwrap_or_else(|e| panic!("{e}: {}", stdout(output)))
}

#[tokio::test]
async fn session_new_prints_the_uri_and_stores_the_session() {
    let bank = Bank::start().await;
    let output = bank.service(&[
        "session",
        "new",
        "--service",
        SERVICE,
        "--fields",
        "given_name,family_name",
        "--name",
        "Bank Example",
        "--ttl",
        "5m",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    let mut lines = printed.lines();
    let uri = RegistrationUri::parse(lines.next().unwrap()).unwrap();
    assert_eq!(
        lines.next(),
        Some(format!("check code {}", uri.check_code()).as_str())
    );
    assert!(
        !printed.contains("cb="),
        "the default callback is left out: {printed}"
    );
    assert_eq!(uri.service, SERVICE);
    assert_eq!(uri.name, "Bank Example");
    assert_eq!(uri.fields, ["given_name", "family_name"]);
    assert_eq!(
        uri.callback,
        format!("{SERVICE}/v1/sessions/{}/submission", uri.registration_id)
    );
    assert_eq!(
        (uri.chain_id, uri.registry),
        (bank.devnet.chain_id(), bank.devnet.registry)
    );
    assert!(uri.expires_at.abs_diff(unix_now() + 300) <= 5);

    let database = bank.database();
    let key = kyc_verifier::store::database_key(&database, None).unwrap();
    let store = AnyStore::connect(&database, key).await.unwrap();
    let record = store.session(uri.registration_id).await.unwrap().unwrap();
    assert_eq!(record.session.uri(), uri);
    assert_eq!(record.used_at, None);
}

#[tokio::test]
async fn session_new_writes_a_png_qr_code_that_decodes_to_the_uri() {
    let bank = Bank::start().await;
    let png = bank.path("qr.png");
    let output = bank.service(&[
        "--json",
        "session",
        "new",
        "--service",
        SERVICE,
        "--callback",
        "https://bank.example/kyc/answer",
        "--fields",
        "given_name",
        "--qr",
        "png",
        "--out",
        png.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = json(&output);
    assert_eq!(printed["qr"]["format"], "png");
    assert_eq!(printed["registry"], bank.devnet.registry.to_checksum(None));
    assert_eq!(printed["callback"], "https://bank.example/kyc/answer");

    let decoded = kyc_wallet::scan::read_qr_image(&png).unwrap();
    assert_eq!(decoded, printed["uri"].as_str().unwrap());
    let uri = RegistrationUri::parse(&decoded).unwrap();
    assert_eq!(printed["registration_id"], uri.registration_id.to_string());
    assert_eq!(
        printed["check_code"],
        kyc_core::check_code::check_code(&uri.registration_id)
    );
    // The whole document, in its order; only the creation time is left open.
    assert_output(
        &stdout(&output),
        &format!(
            r#"{{"registration_id":"{}","service":"https://bank.example","name":"bank.example","callback":"https://bank.example/kyc/answer","chain_id":31337,"registry":"{}","fields":["given_name"],"created_at":[..],"expires_at":{},"check_code":"{}","uri":"{decoded}","qr":{{"format":"png","file":"{}"}}}}"#,
            uri.registration_id,
            bank.devnet.registry.to_checksum(None),
            uri.expires_at,
            uri.check_code(),
            png.display(),
        ),
    );
}

#[tokio::test]
async fn session_new_draws_svg_and_terminal_codes_on_standard_output() {
    let bank = Bank::start().await;
    let output = bank.service(&[
        "session",
        "new",
        "--service",
        SERVICE,
        "--fields",
        "email",
        "--qr",
        "svg",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("kycanchor://register?"));
    assert!(text.contains("<svg"), "{text}");

    let output = bank.service(&[
        "session",
        "new",
        "--service",
        SERVICE,
        "--fields",
        "email",
        "--qr",
        "terminal",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).lines().count() > 20);
}

#[tokio::test]
async fn session_new_refuses_bad_input_in_one_line() {
    let bank = Bank::start().await;
    let cases: [&[&str]; 6] = [
        &[
            "--service",
            "https://bank.example/login",
            "--fields",
            "email",
        ],
        &[
            "--service",
            SERVICE,
            "--callback",
            "https://evil.example/cb",
            "--fields",
            "email",
        ],
        &["--service", SERVICE, "--fields", "Given Name"],
        &["--service", SERVICE, "--fields", "email", "--ttl", "0s"],
        &["--service", SERVICE, "--fields", "email", "--qr", "png"],
        &["--service", SERVICE, "--fields", "email", "--qr", "gif"],
    ];
    for args in cases {
        let output = bank
            .command(&["session", "new"])
            .args(args)
            .output()
            .unwrap();
        assert!(!output.status.success(), "{args:?}");
        let message = stderr(&output);
        assert!(message.starts_with("error"), "{args:?}: {message}");
        assert!(stdout(&output).is_empty(), "{args:?}");
    }
    let output = bank
        .command(&["session", "new", "--service", SERVICE, "--fields", "email"])
        .env("KYC_DATABASE_URL", "mysql://kyc:secret@127.0.0.1/kyc")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    assert!(!stderr(&output).contains("secret"));
}

#[tokio::test]
async fn verify_prints_the_verdict_and_exits_zero_when_approved() {
    let bank = Bank::start().await;
    let commitment = bank.attest().await;
    let uri = bank.open_session("given_name,family_name");
    let file = bank.submission_file("answer.json", &uri, &commitment, &bank.devnet.subject);
    std::fs::write(
        bank.path("policy.toml"),
        "required_evidence = [\"document\"]\nconfirmations = 0\n",
    )
    .unwrap();
    let policy = bank.path("policy.toml");

    let output = bank.service(&["verify", &file, "--policy", policy.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    let verdict = json(&output);
    assert_eq!(verdict["outcome"], "approved");
    assert_eq!(verdict["reasons"], serde_json::json!([]));
    assert_eq!(verdict["registration_id"], uri.registration_id.to_string());
    assert_eq!(verdict["claims"][1]["value"], "Taro");

    // The session is used up: the same file again is refused.
    let output = bank.service(&["verify", &file]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        json(&output)["reasons"],
        serde_json::json!(["registration_used"])
    );
    assert!(
        stderr(&output).contains("registration_used"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn verify_many_files_prints_an_array_and_fails_unless_all_are_approved() {
    let bank = Bank::start().await;
    let commitment = bank.attest().await;
    let honest = bank.submission_file(
        "honest.json",
        &bank.open_session("given_name"),
        &commitment,
        &bank.devnet.subject,
    );
    let forged = bank.submission_file(
        "forged.json",
        &bank.open_session("given_name"),
        &commitment,
        &bank.devnet.certifier,
    );
    std::fs::write(bank.path("garbage.json"), "{\"version\": 2}").unwrap();
    let garbage = bank.path("garbage.json").display().to_string();

    let output = bank.service(&["verify", &honest, &forged, &garbage]);
    assert_eq!(output.status.code(), Some(1));
    let verdicts = json(&output);
    let outcomes: Vec<&str> = verdicts
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["approved", "rejected", "rejected"]);
    assert_eq!(
        verdicts[1]["reasons"],
        serde_json::json!(["signer_mismatch"])
    );
    assert_eq!(verdicts[2]["reasons"], serde_json::json!(["malformed"]));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("2 of 3") && message.contains("forged.json"),
        "{message}"
    );
}

#[tokio::test]
async fn verify_without_a_chain_is_an_error_not_a_verdict() {
    let bank = Bank::start().await;
    let commitment = bank.attest().await;
    let uri = bank.open_session("given_name");
    let file = bank.submission_file("answer.json", &uri, &commitment, &bank.devnet.subject);
    let output = bank
        .command(&["verify", &file])
        .env("ETH_RPC_URL", "http://127.0.0.1:9")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stdout(&output).is_empty());
    assert!(
        stderr(&output).contains("rpc unavailable"),
        "{}",
        stderr(&output)
    );

    // Nothing was used up: with the chain back, the answer is approved.
    let output = bank.service(&["verify", &file]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[tokio::test]
async fn verify_refuses_a_bad_policy_or_a_missing_file() {
    let bank = Bank::start().await;
    std::fs::write(bank.path("policy.toml"), "confirmations = \"two\"\n").unwrap();
    let policy = bank.path("policy.toml");
    let output = bank.service(&[
        "verify",
        "/nonexistent.json",
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("invalid policy") && message.contains("confirmations"),
        "{message}"
    );

    let output = bank.service(&["verify", "/nonexistent/answer.json"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("cannot read /nonexistent/answer.json"));
}

#[tokio::test]
async fn verify_keeps_a_batch_limit_of_the_node_and_refuses_zero() {
    let bank = Bank::start().await;
    let commitment = bank.attest().await;
    let files: Vec<String> = (0..3)
        .map(|i| {
            let uri = bank.open_session("given_name");
            bank.submission_file(
                &format!("{i}.json"),
                &uri,
                &commitment,
                &bank.devnet.subject,
            )
        })
        .collect();
    let mut args = vec!["verify", "--rpc-batch-limit", "1"];
    args.extend(files.iter().map(String::as_str));
    let output = bank.service(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json(&output).as_array().unwrap().len(), 3);

    let output = bank.service(&["verify", "--rpc-batch-limit", "0", &files[0]]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains("--rpc-batch-limit"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_the_changes_of_status_of_verified_customers() {
    let bank = Bank::start().await;
    let commitment = bank.attest().await;
    let uri = bank.open_session("given_name");
    let file = bank.submission_file("answer.json", &uri, &commitment, &bank.devnet.subject);
    let output = bank.service(&["verify", &file]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Nothing changed since the verdict.
    let output = bank.service(&["watch"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");

    let mut follow = bank
        .command(&["watch", "--follow", "--every", "200ms"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let lines = std::io::BufReader::new(follow.stdout.take().unwrap());
    let first_line = std::thread::spawn(move || {
        use std::io::BufRead as _;
        lines.lines().next().map(Result::unwrap)
    });
    let receipt = bank.devnet.revoke("fraud").await;
    let started = std::time::Instant::now();
    while !first_line.is_finished() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "no line from watch --follow"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = follow.kill();
    let _ = follow.wait();
    let line = first_line.join().unwrap().unwrap();
    let event: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(event["type"], "customer.revoked");
    assert_eq!(
        event["data"]["registration_id"],
        uri.registration_id.to_string()
    );
    assert_eq!(
        event["data"]["transaction"],
        receipt.transaction_hash.to_string()
    );
    assert!(!line.contains("Taro"));

    // The change was recorded: the next watch has nothing new to print.
    let output = bank.service(&["watch"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
}
