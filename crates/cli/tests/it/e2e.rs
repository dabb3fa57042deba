//! The whole flow through the built binary, the way a user types it: `kyc devnet` in the
//! background, then the person, the certification body and the bank, each with their
//! own commands, ending in the refusals a bank must see.

use std::{
    path::Path,
    process::{Child, Output},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::util::{kyc, stderr, stdout};

/// Anvil's account #1: the person.
const PERSON_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const PERSON: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";

/// `kyc devnet` running in the background; stopped when dropped.
struct Devnet {
    child: Child,
    settings: Vec<(String, String)>,
}

impl Devnet {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let env_file = dir.join("devnet.env");
        let child = kyc()
            .env("KYC_ANVIL", kyc_test_utils::anvil_path())
            .args(["devnet", "--port", &port.to_string(), "--env-out"])
            .arg(&env_file)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = Instant::now();
        while !env_file.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "kyc devnet did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let settings = std::fs::read_to_string(&env_file)
            .unwrap()
            .lines()
            .filter_map(|line| line.strip_prefix("export ")?.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect();
        Self { child, settings }
    }

    fn get(&self, name: &str) -> &str {
        let (_, value) = self.settings.iter().find(|(n, _)| n == name).unwrap();
        value
    }

    /// `kyc` with the devnet's chain and registry in the environment, as after `source devnet.env`.
    fn kyc(&self, dir: &Path, args: &[&str]) -> Output {
        let output = kyc()
            .current_dir(dir)
            .env("ETH_RPC_URL", self.get("ETH_RPC_URL"))
            .env("KYC_REGISTRY", self.get("KYC_REGISTRY"))
            .args(args)
            .output()
            .unwrap();
        // No command ever repeats a claim value on standard error.
        assert!(!stderr(&output).contains("Yamada"), "{}", stderr(&output));
        output
    }

    fn ok(&self, dir: &Path, args: &[&str]) -> Value {
        let output = self.kyc(dir, &[args, &["--json"]].concat());
        assert!(output.status.success(), "kyc {args:?}: {}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    }
}

impl Drop for Devnet {
    /// SIGTERM first, so `kyc devnet` stops its anvil; a kill only if it does not exit.
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let asked = Instant::now();
        while asked.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn person_certifier_and_bank_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let devnet = Devnet::start(dir);
    let certifier_key = devnet.get("KYC_CERTIFIER_KEY").to_owned();
    let certifier = devnet.get("KYC_CERTIFIER").to_owned();
    let as_person = ["--wallet", "wallet", "--private-key", PERSON_KEY];
    let as_certifier = ["--private-key", certifier_key.as_str()];
    let bank_db = ["--database", "sqlite://bank.db"];

    // The person prepares claims and signs a request.
    std::fs::write(
        dir.join("claims.json"),
        r#"{"given_name": "Taro", "family_name": "Yamada", "birthdate": "1990-01-31", "nationality": "jp"}"#,
    )
    .unwrap();
    let request = devnet.ok(
        dir,
        &[
            &[
                "user",
                "request",
                "--claims",
                "claims.json",
                "--certifier",
                &certifier,
            ][..],
            &as_person,
        ]
        .concat(),
    );
    assert_eq!(request["subject"], PERSON);
    assert_eq!(request["changed"], serde_json::json!(["nationality"]));
    // Born 1990: over 16, 18 and 21, not 65.
    assert_eq!(
        request["age_claims"],
        serde_json::json!(["age_over_16", "age_over_18", "age_over_21"])
    );

    // The certification body queues, approves and attests it.
    let queued = devnet.ok(
        dir,
        &[
            &["certifier", "queue", "add", "request.json"][..],
            &as_certifier,
        ]
        .concat(),
    );
    assert_eq!(queued["queued"][0]["root"], request["root"]);
    let approved = devnet.ok(
        dir,
        &[
            &[
                "certifier",
                "queue",
                "approve",
                "--all",
                "--evidence",
                "document,face",
            ][..],
            &["--valid-for", "365d", "--out-dir", "credentials"],
            &as_certifier,
        ]
        .concat(),
    );
    assert_eq!(approved["attested"], 1);
    assert_eq!(approved["outcomes"][0]["outcome"], "attested");
    let credential = approved["outcomes"][0]["credential"]
        .as_str()
        .unwrap()
        .to_owned();

    // The person imports the credential; hash agrees with the root on chain.
    devnet.ok(
        dir,
        &[&["user", "import", &credential][..], &as_person].concat(),
    );
    let hashed = devnet.ok(dir, &["hash", &credential]);
    assert_eq!(hashed["root"], request["root"]);

    // The bank opens a session; the person scans and consents to two fields.
    let new_session = |fields: &str| {
        devnet.ok(
            dir,
            &[
                &[
                    "service",
                    "session",
                    "new",
                    "--service",
                    "https://bank.example",
                ][..],
                &["--fields", fields],
                &bank_db,
            ]
            .concat(),
        )
    };
    let session = new_session("given_name,birthdate");
    let uri = session["uri"].as_str().unwrap().to_owned();
    let scanned = devnet.kyc(dir, &[&["user", "scan", &uri][..], &as_person].concat());
    assert!(scanned.status.success(), "{}", stderr(&scanned));
    assert!(stdout(&scanned).contains(session["registration_id"].as_str().unwrap()));
    devnet.ok(
        dir,
        &[
            &["user", "consent", &uri, "--yes", "--out", "submission.json"][..],
            &as_person,
        ]
        .concat(),
    );
    let submission = std::fs::read_to_string(dir.join("submission.json")).unwrap();
    assert!(
        submission.contains("Taro") && !submission.contains("Yamada"),
        "only the asked fields are disclosed"
    );

    // The bank verifies: approved, exit 0, and it learned only the two values.
    let verify = |file: &str| {
        devnet.kyc(
            dir,
            &[&["service", "verify", file][..], &bank_db, &["--json"]].concat(),
        )
    };
    let output = verify("submission.json");
    assert!(output.status.success(), "{}", stderr(&output));
    let verdict: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(verdict["outcome"], "approved");
    assert_eq!(
        verdict["fields"],
        serde_json::json!(["birthdate", "given_name"])
    );

    // A shop asks only whether the person is over 18: it learns that, and not the birth date.
    let shop = devnet.ok(
        dir,
        &[
            &[
                "service",
                "session",
                "new",
                "--service",
                "https://shop.example",
            ][..],
            &["--fields", "age_over_18", "--name", "Ticket Shop"],
            &["--database", "sqlite://shop.db"],
        ]
        .concat(),
    );
    devnet.ok(
        dir,
        &[
            &["user", "consent", shop["uri"].as_str().unwrap(), "--yes"][..],
            &["--out", "shop.json"],
            &as_person,
        ]
        .concat(),
    );
    let sent = std::fs::read_to_string(dir.join("shop.json")).unwrap();
    let requested: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("request.json")).unwrap()).unwrap();
    let birthdate = requested["claims"]
        .as_array()
        .unwrap()
        .iter()
        .find(|claim| claim["key"] == "birthdate")
        .unwrap();
    let salt = birthdate["salt"].as_str().unwrap();
    assert!(
        !sent.contains("1990-01-31") && !sent.contains(&salt[2..]),
        "{sent}"
    );
    assert!(!sent.contains("\"birthdate\""), "not even the key: {sent}");
    let output = devnet.kyc(
        dir,
        &[
            "service",
            "verify",
            "shop.json",
            "--database",
            "sqlite://shop.db",
            "--json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let verdict: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(verdict["outcome"], "approved");
    assert_eq!(verdict["fields"], serde_json::json!(["age_over_18"]));
    assert!(!stdout(&output).contains("1990"), "{}", stdout(&output));

    // The same submission again: refused, non-zero exit.
    let output = verify("submission.json");
    assert!(!output.status.success());
    let verdict: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(verdict["reasons"], serde_json::json!(["registration_used"]));

    // A changed value on a fresh session: root_mismatch.
    let session = new_session("given_name");
    let uri = session["uri"].as_str().unwrap();
    devnet.ok(
        dir,
        &[
            &["user", "consent", uri, "--yes", "--out", "forged.json"][..],
            &as_person,
        ]
        .concat(),
    );
    let forged = std::fs::read_to_string(dir.join("forged.json"))
        .unwrap()
        .replace("Taro", "Jiro");
    std::fs::write(dir.join("forged.json"), forged).unwrap();
    let output = verify("forged.json");
    assert!(!output.status.success());
    let verdict: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        verdict["reasons"]
            .as_array()
            .unwrap()
            .contains(&"root_mismatch".into()),
        "{verdict}"
    );

    // The certifier revokes: the registry shows it, and the wallet will not consent on it.
    devnet.ok(
        dir,
        &[
            &[
                "certifier",
                "revoke",
                PERSON,
                "--reason",
                "document reported stolen",
            ][..],
            &as_certifier,
        ]
        .concat(),
    );
    let shown = devnet.kyc(
        dir,
        &["registry", "show", PERSON, "--certifier", &certifier],
    );
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stdout(&shown).contains("revoked"), "{}", stdout(&shown));
    let session = new_session("given_name");
    let refused = devnet.kyc(
        dir,
        &[
            &[
                "user",
                "consent",
                session["uri"].as_str().unwrap(),
                "--yes",
                "--out",
                "x.json",
            ][..],
            &as_person,
        ]
        .concat(),
    );
    assert!(!refused.status.success());
    assert_eq!(stderr(&refused).lines().count(), 1, "{}", stderr(&refused));
    assert!(stderr(&refused).contains("revoked"), "{}", stderr(&refused));
}

#[test]
fn demo_runs_the_story_and_shows_each_refusal() {
    let output = kyc()
        .env("KYC_ANVIL", kyc_test_utils::anvil_path())
        .arg("demo")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    for shown in [
        "approved; it learned only birthdate, family_name, given_name",
        "shop verifies: approved; it learned only age_over_18 = true, not the birth date",
        "NotVerified",
        "rejected (root_mismatch)",
        "rejected (registration_used)",
        "rejected (revoked)",
        "rejected (withdrawn)",
        "every step behaved as shown",
    ] {
        assert!(text.contains(shown), "missing {shown:?} in:\n{text}");
    }
    // The demo discloses three values and no others reach the bank's output lines.
    assert!(!text.contains("TR1234567"));
}

#[test]
fn devnet_refuses_a_port_in_use_in_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let output = kyc()
        .env("KYC_ANVIL", kyc_test_utils::anvil_path())
        .args(["devnet", "--port", &port])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains(&format!("port {port} is in use")),
        "{message}"
    );
}
