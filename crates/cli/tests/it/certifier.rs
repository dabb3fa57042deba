//! `kyc certifier` and `kyc registry` as a certification body and a registry owner type them,
//! on requests signed by the wallet library, against real anvil chains.

use std::{
    path::PathBuf,
    process::{Child, Output, Stdio},
    time::{Duration, Instant},
};

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    signers::local::PrivateKeySigner,
    sol_types::SolEvent,
};
use kyc_certifier::queue::{Queue, RequestStatus};
use kyc_contracts::KycRegistry;
use kyc_core::files::{Credential, JsonFile, Request, WithdrawRelay};
use kyc_test_utils::{anvil_path, commitment};
use kyc_wallet::request::{sign_request, RequestTarget};
use serde_json::Value;
use tempfile::TempDir;

use crate::util::{assert_output, kyc, stderr, stdout};

/// A chain, a registry deployed and a certifier added through `kyc registry`, and a folder.
struct Net {
    anvil: AnvilInstance,
    registry: Address,
    owner: PrivateKeySigner,
    certifier: PrivateKeySigner,
    dir: TempDir,
}

impl Net {
    fn start() -> Self {
        Self::on(Anvil::at(anvil_path()).try_spawn().unwrap())
    }

    fn on(anvil: AnvilInstance) -> Self {
        let owner = PrivateKeySigner::from(anvil.keys()[0].clone());
        let certifier = PrivateKeySigner::from(anvil.keys()[2].clone());
        let dir = TempDir::new().unwrap();
        let deployed = kyc()
            .args([
                "--json",
                "registry",
                "deploy",
                "--rpc-url",
                anvil.endpoint().as_str(),
            ])
            .env("KYC_PRIVATE_KEY", key(&owner))
            .output()
            .unwrap();
        assert!(deployed.status.success(), "{}", stderr(&deployed));
        let deployed: Value = serde_json::from_str(&stdout(&deployed)).unwrap();
        assert_eq!(deployed["owner"], owner.address().to_checksum(None));
        let registry = deployed["registry"].as_str().unwrap().parse().unwrap();
        let net = Self {
            anvil,
            registry,
            owner,
            certifier,
            dir,
        };
        let added = net
            .as_owner()
            .args([
                "registry",
                "add-certifier",
                &net.certifier.address().to_string(),
            ])
            .args(["--name", "Demo Certification Body"])
            .output()
            .unwrap();
        assert!(added.status.success(), "{}", stderr(&added));
        assert!(stdout(&added).starts_with("added certifier"));
        assert_output(
            &stdout(&added),
            &format!(
                "added certifier {} (Demo Certification Body) in transaction [..]",
                net.certifier.address()
            ),
        );
        net
    }

    /// `kyc` with the chain, the registry, the certifier's key and the queue in the environment.
    fn kyc(&self) -> std::process::Command {
        let mut command = kyc();
        command
            .env("ETH_RPC_URL", self.anvil.endpoint())
            .env("KYC_REGISTRY", self.registry.to_string())
            .env("KYC_PRIVATE_KEY", key(&self.certifier))
            .env("KYC_QUEUE", self.path("queue.db"))
            .current_dir(self.dir.path());
        command
    }

    fn as_owner(&self) -> std::process::Command {
        let mut command = self.kyc();
        command.env("KYC_PRIVATE_KEY", key(&self.owner));
        command
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn provider(&self) -> DynProvider {
        ProviderBuilder::new()
            .wallet(EthereumWallet::from(self.owner.clone()))
            .connect_http(self.anvil.endpoint_url())
            .erased()
    }

    async fn now(&self) -> u64 {
        let block = self
            .provider()
            .get_block_by_number(Default::default())
            .await
            .unwrap();
        block.unwrap().header.timestamp
    }

    /// A request signed by `subject` through the wallet library, written to `file`.
    async fn request(
        &self,
        subject: &PrivateKeySigner,
        claims: &[(&str, &str)],
        file: &str,
    ) -> Request {
        let registry = KycRegistry::new(self.registry, self.provider());
        let nonce = registry
            .nonces(subject.address(), self.certifier.address())
            .call()
            .await
            .unwrap();
        let target = RequestTarget {
            chain_id: self.anvil.chain_id(),
            registry: self.registry,
            certifier: self.certifier.address(),
            nonce,
            deadline: self.now().await + 3600,
        };
        let request = sign_request(subject, &commitment(claims), target).unwrap();
        let path = self.path(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, request.to_json().unwrap()).unwrap();
        request
    }

    /// A withdrawal from this certifier, signed by `subject` through the wallet library.
    async fn withdrawal(&self, subject: &PrivateKeySigner) -> WithdrawRelay {
        let client = kyc_wallet::chain::RegistryClient::connect(self.provider(), self.registry)
            .await
            .unwrap();
        let deadline = self.now().await + 600;
        kyc_wallet::withdraw::prepare_withdraw(&client, subject, self.certifier.address(), deadline)
            .await
            .unwrap()
    }

    /// `kyc certifier attest FILE` with document evidence for 30 days, credentials into
    /// `credentials`.
    fn attest(&self, file: &str, extra: &[&str]) -> Output {
        self.kyc()
            .args(["certifier", "attest", file])
            .args(["--evidence", "document", "--valid-for", "30d"])
            .args(["--out-dir", "credentials"])
            .args(extra)
            .output()
            .unwrap()
    }

    /// `kyc certifier queue add FILE`, which must succeed.
    fn queue_add(&self, file: &str) {
        let output = self
            .kyc()
            .args(["certifier", "queue", "add", file])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }

    fn list(&self) -> Vec<Value> {
        let output = self
            .kyc()
            .args(["--json", "certifier", "queue", "list"])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str::<Value>(&stdout(&output))
            .unwrap()
            .as_array()
            .unwrap()
            .clone()
    }

    /// The status of `subject`'s first attestation, as `kyc registry show` tells it.
    fn status(&self, subject: Address) -> Value {
        self.show(subject)["attestations"][0]["status"].clone()
    }

    fn show(&self, subject: Address) -> Value {
        let output = self
            .kyc()
            .args(["--json", "registry", "show", &subject.to_string()])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        serde_json::from_str(&stdout(&output)).unwrap()
    }
}

fn key(signer: &PrivateKeySigner) -> String {
    signer.to_bytes().to_string()
}

fn person(number: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("given_name", "Hanako"),
        ("family_name", "Qwertyuiopasd"),
        ("birthdate", "1985-04-01"),
        ("document.type", "id_card"),
        ("document.issuer", "JP"),
        ("document.number", number),
    ]
}

const APPROVE: [&str; 7] = [
    "--evidence",
    "document,face",
    "--valid-for",
    "365d",
    "--out-dir",
    "credentials",
    "--all",
];

/// One line on stderr, no panic, a non-zero exit.
fn assert_one_line_error(output: &Output, expected: &str) {
    let text = stderr(output);
    assert!(!output.status.success(), "expected a failure: {text}");
    assert!(!text.contains("panicked"), "{text}");
    let last = text.lines().last().unwrap_or_default();
    assert!(last.starts_with("error: "), "{text}");
    assert!(text.contains(expected), "expected {expected:?} in {text}");
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[tokio::test]
async fn queue_add_approve_reject_purge() {
    let net = Net::start();
    let (first, second) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let kept = net.request(&first, &person("ID111"), "in/a.json").await;
    let refused = net.request(&second, &person("ID222"), "in/b.json").await;
    std::fs::write(net.path("in/broken.json"), "{\"version\": 1").unwrap();

    let added = net
        .kyc()
        .args(["certifier", "queue", "add", "in"])
        .output()
        .unwrap();
    assert_one_line_error(&added, "1 of 3 request files were refused");
    let out = stdout(&added);
    assert!(
        out.contains(&format!("queued #1 {}", first.address())),
        "{out}"
    );
    assert!(
        out.contains(&format!("queued #2 {}", second.address())),
        "{out}"
    );
    assert!(stderr(&added)
        .contains("refused in/broken.json: in/broken.json is not valid: invalid json"));

    let listed = net.list();
    assert_eq!(listed.len(), 2);
    assert!(listed.iter().all(|entry| entry["status"] == "pending"));

    let rejected = net
        .kyc()
        .args([
            "certifier",
            "queue",
            "reject",
            "2",
            "--reason",
            "document expired",
        ])
        .output()
        .unwrap();
    assert!(rejected.status.success(), "{}", stderr(&rejected));

    let approved = net
        .kyc()
        .args(["--json", "certifier", "queue", "approve"])
        .args(APPROVE)
        .output()
        .unwrap();
    assert!(approved.status.success(), "{}", stderr(&approved));
    let report: Value = serde_json::from_str(&stdout(&approved)).unwrap();
    assert_eq!(
        (report["attested"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(0))
    );
    assert_eq!(report["outcomes"][0]["outcome"], "attested");
    let tx = report["outcomes"][0]["tx_hash"]
        .as_str()
        .unwrap()
        .to_owned();

    // The credential is SPEC's file, for the wallet to import.
    let path = net.path(&format!("credentials/{}.json", first.address()));
    let credential = Credential::from_json(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(
        (credential.root, credential.claims),
        (kept.root, kept.claims.clone())
    );
    assert_eq!(credential.tx_hash.to_string(), tx);

    let listed = net.list();
    assert_eq!(
        (listed[0]["status"].as_str(), listed[0]["tx_hash"].as_str()),
        (Some("approved"), Some(tx.as_str()))
    );
    assert_eq!(listed[1]["status"], "rejected");
    assert_eq!(listed[1]["reason"], "document expired");
    assert_eq!(listed[1]["root"], refused.root.to_string());

    let shown = net.show(first.address());
    let one = &shown["attestations"][0];
    assert_eq!(one["status"], "active");
    assert_eq!(one["root"], kept.root.to_string());
    assert_eq!(one["evidence"], serde_json::json!(["document", "face"]));
    assert_eq!(one["verified"], true);
    assert_eq!(one["name"], "Demo Certification Body");
    let text = net
        .kyc()
        .args(["registry", "show", &first.address().to_string()])
        .output()
        .unwrap();
    assert!(stdout(&text).contains("verified  yes"), "{}", stdout(&text));
    // The whole of it; the times are the chain's.
    assert_output(
        &stdout(&text),
        &format!(
            r#"certifier {} "Demo Certification Body" (current)
  status    active
  root      {}
  evidence  document, face
  issued    [..]Z ([..])
  expires   [..]Z ([..])
  verified  yes
"#,
            net.certifier.address(),
            kept.root
        ),
    );

    // Within the retention nothing is deleted; `purge --retention 0s` deletes both
    // decided requests' personal data, and no claim value is in the database files.
    let purge = net
        .kyc()
        .args(["certifier", "queue", "purge"])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&purge).trim(),
        "0 requests timed out, personal data of 0 requests deleted"
    );
    let purge = net
        .kyc()
        .args(["--json", "certifier", "queue", "purge", "--retention", "0s"])
        .output()
        .unwrap();
    let purged: Value = serde_json::from_str(&stdout(&purge)).unwrap();
    assert_eq!(purged["purged"], 2);
    let listed = net.list();
    assert!(listed.iter().all(|entry| entry["data_deleted_at"].is_u64()));
    let deleted = net
        .kyc()
        .args([
            "--json",
            "certifier",
            "queue",
            "list",
            "--status",
            "deleted",
        ])
        .output()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&deleted))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let bytes: Vec<u8> = ["queue.db", "queue.db-wal"]
        .iter()
        .filter_map(|name| std::fs::read(net.path(name)).ok())
        .flatten()
        .collect();
    assert!(bytes.len() > 4096);
    for needle in ["Qwertyuiopasd", "ID111", "ID222", "1985-04-01"] {
        assert!(
            !contains(&bytes, needle.as_bytes()),
            "{needle} found in the database"
        );
    }
    for claim in kept.claims.iter().chain(&refused.claims) {
        assert!(!contains(&bytes, claim.salt.as_slice()));
    }
    assert!(
        contains(&bytes, kept.root.to_string().as_bytes()),
        "the audit line stays"
    );
}

#[tokio::test]
async fn bad_input_gives_one_clear_line() {
    let net = Net::start();
    let subject = PrivateKeySigner::random();
    let mut request = net.request(&subject, &person("ID111"), "good.json").await;

    std::fs::write(net.path("broken.json"), "[1, 2").unwrap();
    assert_one_line_error(
        &net.attest("broken.json", &[]),
        "1 of 1 requests were not attested",
    );
    assert!(
        stderr(&net.attest("broken.json", &[])).contains("broken.json is not valid: invalid json")
    );

    request.chain_id = 1;
    std::fs::write(net.path("chain.json"), request.to_json().unwrap()).unwrap();
    let output = net.attest("chain.json", &[]);
    assert_one_line_error(&output, "1 of 1 requests were not attested");
    assert!(
        stderr(&output).contains(&format!(
            "chain_id is 1, but the rpc serves chain {}",
            net.anvil.chain_id()
        )),
        "{}",
        stderr(&output)
    );

    let unknown = Address::repeat_byte(0x42).to_string();
    let output = net.attest("good.json", &["--registry", &unknown]);
    assert_one_line_error(
        &output,
        &format!("no contract at registry address {unknown}"),
    );
    assert_eq!(stderr(&output).lines().count(), 1);

    let output = net.attest("good.json", &["--rpc-url", "http://127.0.0.1:9"]);
    assert_one_line_error(&output, "rpc unavailable while reading the chain id");

    let output = net.attest("missing.json", &[]);
    assert_one_line_error(&output, "missing.json");

    let output = net
        .kyc()
        .args([
            "certifier",
            "attest",
            "good.json",
            "--evidence",
            "passport",
            "--valid-for",
            "30d",
        ])
        .args(["--out-dir", "x"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("unknown evidence \"passport\""),
        "{}",
        stderr(&output)
    );

    let output = net
        .kyc()
        .args(["certifier", "queue", "reject", "7", "--reason", "x"])
        .output()
        .unwrap();
    assert_one_line_error(&output, "no request #7 in the queue");

    // Not the owner: the contract's error, decoded.
    let output = net
        .kyc()
        .args([
            "registry",
            "add-certifier",
            &subject.address().to_string(),
            "--name",
            "Rogue",
        ])
        .output()
        .unwrap();
    assert_one_line_error(
        &output,
        &format!(
            "registry refused adding the certifier: {} is not the registry owner",
            net.certifier.address()
        ),
    );

    // The good file still attests, with a progress-free report on a pipe.
    let output = net.attest("good.json", &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("1 of 1 attested (0 already on chain), 1 transactions"));
}

#[tokio::test]
async fn an_unreachable_chain_leaves_requests_pending_with_the_reason() {
    let net = Net::start();
    net.request(&PrivateKeySigner::random(), &person("ID111"), "a.json")
        .await;
    net.queue_add("a.json");

    let approved = net
        .kyc()
        .args([
            "certifier",
            "queue",
            "approve",
            "--rpc-url",
            "http://127.0.0.1:9",
        ])
        .args(APPROVE)
        .output()
        .unwrap();
    assert_one_line_error(&approved, "rpc unavailable while reading the chain id");
    let listed = net.list();
    assert_eq!(listed[0]["status"], "pending");
    assert!(listed[0]["reason"]
        .as_str()
        .unwrap()
        .starts_with("rpc unavailable"));
    assert!(listed[0]["tx_hash"].is_null());

    // Back online, the same command attests it.
    let approved = net
        .kyc()
        .args(["certifier", "queue", "approve"])
        .args(APPROVE)
        .output()
        .unwrap();
    assert!(approved.status.success(), "{}", stderr(&approved));
    assert_eq!(net.list()[0]["status"], "approved");
}

#[tokio::test]
async fn one_identity_behind_two_addresses() {
    let net = Net::start();
    let (first, second) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    net.request(&first, &person("ID111"), "a.json").await;
    net.request(&second, &person("ID111"), "b.json").await;
    net.queue_add("a.json");
    let approve = |extra: &[&str]| {
        net.kyc()
            .args(["certifier", "queue", "approve"])
            .args(APPROVE)
            .args(extra)
            .output()
            .unwrap()
    };
    assert!(approve(&[]).status.success());

    net.queue_add("b.json");
    let refused = approve(&[]);
    assert_one_line_error(&refused, "1 of 1 requests were not attested");
    assert!(
        stderr(&refused).contains(&format!(
            "pending #2 {}: the identity document is already attested for {} (request #1); approve with --rebind",
            second.address(),
            first.address()
        )),
        "{}",
        stderr(&refused)
    );
    assert_eq!(net.list()[1]["status"], "pending");

    let rebound = approve(&["--rebind"]);
    assert!(rebound.status.success(), "{}", stderr(&rebound));
    assert_eq!(net.status(first.address()), "revoked");
    assert_eq!(net.status(second.address()), "active");
}

#[tokio::test]
async fn a_request_waiting_too_long_times_out() {
    let net = Net::start();
    net.request(&PrivateKeySigner::random(), &person("ID111"), "a.json")
        .await;
    net.queue_add("a.json");
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let listed = net
        .kyc()
        .args(["certifier", "queue", "list", "--max-pending", "1s"])
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stderr(&listed).contains("note: 1 requests timed out"));
    assert!(stdout(&listed).contains("timed_out"), "{}", stdout(&listed));
    let entry = &net.list()[0];
    assert_eq!(entry["status"], "timed_out");
    assert_eq!(entry["reason"], "pending longer than 1s");
    let approved = net
        .kyc()
        .args(["certifier", "queue", "approve", "1"])
        .args(&APPROVE[..6])
        .output()
        .unwrap();
    assert_one_line_error(&approved, "request #1 is timed_out, not pending");
}

#[tokio::test]
async fn revoke_and_relay_a_wallet_withdrawal() {
    let net = Net::start();
    let (kept, withdrawn) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    net.request(&kept, &person("ID111"), "in/a.json").await;
    net.request(&withdrawn, &person("ID222"), "in/b.json").await;
    let attested = net.attest("in", &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));

    // The certifier's key in an encrypted keystore, as `kyc user new` writes one.
    std::fs::write(net.path("password"), "correct horse\n").unwrap();
    std::fs::write(net.path("wrong-password"), "battery staple\n").unwrap();
    let stored = kyc()
        .args(["--json", "user", "new", "--wallet"])
        .arg(net.path("keys"))
        .args(["--private-key", &key(&net.certifier), "--password-file"])
        .arg(net.path("password"))
        .output()
        .unwrap();
    assert!(stored.status.success(), "{}", stderr(&stored));
    let keystore: Value = serde_json::from_str(&stdout(&stored)).unwrap();
    let keystore = keystore["keystore"].as_str().unwrap().to_owned();
    let revoke_with = |password: &str| {
        net.kyc()
            .env_remove("KYC_PRIVATE_KEY")
            .args(["certifier", "revoke", &kept.address().to_string()])
            .args([
                "--reason",
                "document reported stolen",
                "--keystore",
                &keystore,
            ])
            .arg("--password-file")
            .arg(net.path(password))
            .output()
            .unwrap()
    };
    assert_one_line_error(&revoke_with("wrong-password"), "cannot open keystore");
    let revoked = revoke_with("password");
    assert!(revoked.status.success(), "{}", stderr(&revoked));
    assert!(stdout(&revoked).starts_with(&format!("revoked {}", kept.address())));
    assert_eq!(net.status(kept.address()), "revoked");
    let again = net
        .kyc()
        .args([
            "certifier",
            "revoke",
            &kept.address().to_string(),
            "--reason",
            "again",
        ])
        .output()
        .unwrap();
    assert_one_line_error(&again, "no active attestation of");

    // The wallet library signs the withdrawal; the certifier relays it and pays.
    let relay = net.withdrawal(&withdrawn).await;
    std::fs::write(net.path("withdraw.json"), relay.to_json().unwrap()).unwrap();
    let relayed = net
        .kyc()
        .args(["--json", "certifier", "relay", "withdraw.json"])
        .output()
        .unwrap();
    assert!(relayed.status.success(), "{}", stderr(&relayed));
    let relayed: Value = serde_json::from_str(&stdout(&relayed)).unwrap();
    assert_eq!(relayed["withdrawn"], withdrawn.address().to_checksum(None));
    assert_eq!(net.status(withdrawn.address()), "withdrawn");

    let again = net
        .kyc()
        .args(["certifier", "relay", "withdraw.json"])
        .output()
        .unwrap();
    assert_one_line_error(&again, "nonce is 1, but the registry's nonce");
}

#[tokio::test]
async fn registry_governance_and_show() {
    let net = Net::start();
    let subject = PrivateKeySigner::random();
    let shown = net.show(subject.address());
    assert_eq!(shown["attestations"], serde_json::json!([]));
    let output = net
        .kyc()
        .args(["registry", "show", &subject.address().to_string()])
        .output()
        .unwrap();
    assert_eq!(
        stdout(&output).trim(),
        format!("no attestations of {}", subject.address())
    );

    let again = net
        .as_owner()
        .args([
            "registry",
            "add-certifier",
            &net.certifier.address().to_string(),
            "--name",
            "Twice",
        ])
        .output()
        .unwrap();
    assert_one_line_error(&again, "is already registered");

    net.request(&subject, &person("ID111"), "a.json").await;
    let attested = net.attest("a.json", &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));

    let other = PrivateKeySigner::random().address();
    let output = net
        .kyc()
        .args([
            "--json",
            "registry",
            "show",
            &subject.address().to_string(),
            "--certifier",
            &other.to_string(),
        ])
        .output()
        .unwrap();
    let shown: Value = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(shown["attestations"][0]["status"], "none");
    assert_eq!(shown["attestations"][0]["current"], false);

    let removed = net
        .as_owner()
        .args([
            "--json",
            "registry",
            "remove-certifier",
            &net.certifier.address().to_string(),
        ])
        .output()
        .unwrap();
    assert!(removed.status.success(), "{}", stderr(&removed));
    let one = &net.show(subject.address())["attestations"][0];
    assert_eq!(
        (
            one["status"].as_str(),
            one["current"].as_bool(),
            one["verified"].as_bool()
        ),
        (Some("active"), Some(false), Some(false))
    );
}

/// 200 requests, approved in chunks of 20 on a chain that mines a block a second; the
/// process is killed mid-batch and the same command run again.
#[tokio::test]
async fn killed_mid_batch_then_rerun_attests_each_request_exactly_once() {
    const REQUESTS: usize = 200;
    let net = Net::on(Anvil::at(anvil_path()).block_time(1).try_spawn().unwrap());
    let mut requests = Vec::new();
    for i in 0..REQUESTS {
        let subject = PrivateKeySigner::random();
        let number = format!("KILL{i:04}");
        let claims = [
            ("family_name", "Suzuki"),
            ("document.number", number.as_str()),
        ];
        requests.push(
            net.request(&subject, &claims, &format!("in/{i:04}.json"))
                .await,
        );
    }
    let added = net
        .kyc()
        .args(["certifier", "queue", "add", "in"])
        .output()
        .unwrap();
    assert!(added.status.success(), "{}", stderr(&added));

    let approve = || {
        let mut command = net.kyc();
        command
            .args([
                "certifier",
                "queue",
                "approve",
                "--chunk-size",
                "20",
                "--in-flight",
                "2",
            ])
            .args(APPROVE);
        command
    };
    let mut first: Child = approve()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let queue_path = net.path("queue.db");
    let approved_so_far = || async {
        let queue = Queue::open(&queue_path, &Queue::default_key_path(&queue_path))
            .await
            .unwrap();
        let approved = queue
            .list(Some(kyc_certifier::queue::ListFilter::Status(
                RequestStatus::Approved,
            )))
            .await
            .unwrap()
            .len();
        queue.close().await;
        approved
    };
    let started = Instant::now();
    let at_kill = loop {
        let approved = approved_so_far().await;
        if approved >= 40 {
            break approved;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no progress: {approved}"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the first run ended early"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill().unwrap();
    first.wait().unwrap();
    let after_kill = approved_so_far().await;
    assert!(
        at_kill <= after_kill && after_kill < REQUESTS,
        "killed mid-batch at {after_kill}"
    );

    let rerun = approve().output().unwrap();
    assert!(rerun.status.success(), "{}", stderr(&rerun));
    let left = REQUESTS - after_kill;
    let summary = stdout(&rerun);
    assert!(
        summary.contains(&format!("{left} of {left} attested")),
        "{summary}"
    );

    // The chain: one Attested event per subject, every pair's nonce used exactly once.
    let filter = Filter::new()
        .address(net.registry)
        .event_signature(KycRegistry::Attested::SIGNATURE_HASH)
        .from_block(0);
    let logs = net.provider().get_logs(&filter).await.unwrap();
    assert_eq!(logs.len(), REQUESTS);
    let registry = KycRegistry::new(net.registry, net.provider());
    let listed = net.list();
    assert_eq!(listed.len(), REQUESTS);
    for request in &requests {
        let nonce = registry
            .nonces(request.subject, net.certifier.address())
            .call()
            .await
            .unwrap();
        assert_eq!(nonce, 1, "{} attested once", request.subject);
        let subject = request.subject.to_checksum(None);
        let entry = listed
            .iter()
            .find(|entry| entry["subject"] == subject)
            .unwrap();
        assert_eq!(entry["status"], "approved");
        let log = logs
            .iter()
            .find(|log| log.topics()[1] == request.subject.into_word())
            .unwrap();
        assert_eq!(
            entry["tx_hash"],
            log.transaction_hash.unwrap().to_string(),
            "the queue agrees with the chain"
        );
        let credential =
            std::fs::read_to_string(net.path(&format!("credentials/{}.json", request.subject)))
                .unwrap();
        let credential = Credential::from_json(&credential).unwrap();
        assert_eq!(
            (credential.root, credential.tx_hash),
            (request.root, log.transaction_hash.unwrap())
        );
    }
}

/// The same signature with `v` written 0/1 instead of 27/28 (SPEC accepts it off chain).
fn with_v_as_parity(signature: &alloy::primitives::Bytes) -> alloy::primitives::Bytes {
    let mut bytes = signature.to_vec();
    bytes[64] -= 27;
    bytes.into()
}

/// Requests and a withdrawal signed with `v` 0/1 are sent on chain as 27/28: the direct
/// attest, the queue and the relay each get them recorded instead of left pending.
#[tokio::test]
async fn signatures_with_v_as_0_or_1_are_sent_as_27_or_28() {
    let net = Net::start();
    let (direct, queued) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    for (subject, number, file) in [(&direct, "ID111", "a.json"), (&queued, "ID222", "b.json")] {
        let mut request = net.request(subject, &person(number), file).await;
        request.signature = with_v_as_parity(&request.signature);
        assert!(request.signature[64] <= 1);
        std::fs::write(net.path(file), request.to_json().unwrap()).unwrap();
    }

    let attested = net.attest("a.json", &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));
    net.queue_add("b.json");
    let approved = net
        .kyc()
        .args(["certifier", "queue", "approve"])
        .args(APPROVE)
        .output()
        .unwrap();
    assert!(approved.status.success(), "{}", stderr(&approved));
    assert_eq!(net.list()[0]["status"], "approved");
    for subject in [&direct, &queued] {
        assert_eq!(net.status(subject.address()), "active");
    }

    let mut relay = net.withdrawal(&direct).await;
    relay.signature = with_v_as_parity(&relay.signature);
    std::fs::write(net.path("withdraw.json"), relay.to_json().unwrap()).unwrap();
    let relayed = net
        .kyc()
        .args(["certifier", "relay", "withdraw.json"])
        .output()
        .unwrap();
    assert!(relayed.status.success(), "{}", stderr(&relayed));
    assert_eq!(net.status(direct.address()), "withdrawn");
}

/// One document written four ways (spaces and lower case, no `document.type`, full-width
/// forms, no issuer) is one identity: the direct path and the queue refuse another address.
#[tokio::test]
async fn one_document_written_differently_is_one_identity() {
    let net = Net::start();
    let (first, second, third) = (
        PrivateKeySigner::random(),
        PrivateKeySigner::random(),
        PrivateKeySigner::random(),
    );
    net.request(&first, &person("TK1234567"), "a.json").await;
    let attested = net.attest("a.json", &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));

    let untyped: Vec<_> = person("tk 123 4567")
        .into_iter()
        .filter(|(key, _)| *key != "document.type")
        .collect();
    net.request(&second, &untyped, "b.json").await;
    let refused = net.attest("b.json", &[]);
    assert_one_line_error(&refused, "1 of 1 requests were not attested");
    let duplicate = format!(
        "the identity document is already attested for {} (request #1)",
        first.address()
    );
    assert!(
        stderr(&refused).contains(&duplicate),
        "{}",
        stderr(&refused)
    );

    net.request(&third, &person("ＴＫ１２３-４５６７"), "c.json")
        .await;
    net.queue_add("c.json");
    let approved = net
        .kyc()
        .args(["--json", "certifier", "queue", "approve", "3"])
        .args(&APPROVE[..6])
        .output()
        .unwrap();
    assert!(!approved.status.success());
    let report: Value = serde_json::from_str(&stdout(&approved)).unwrap();
    let outcome = &report["outcomes"][0];
    assert_eq!(outcome["outcome"], "duplicate_identity", "{report}");
    assert!(outcome["reason"].as_str().unwrap().contains(&duplicate));

    // Leaving the issuer out as well does not make a new identity either.
    let fourth = PrivateKeySigner::random();
    let bare: Vec<_> = person("TK 1234567")
        .into_iter()
        .filter(|(key, _)| !key.starts_with("document.") || *key == "document.number")
        .collect();
    net.request(&fourth, &bare, "d.json").await;
    let refused = net.attest("d.json", &[]);
    assert_one_line_error(&refused, "1 of 1 requests were not attested");
    assert!(
        stderr(&refused).contains(&duplicate),
        "{}",
        stderr(&refused)
    );

    for subject in [&second, &third, &fourth] {
        assert_eq!(
            net.show(subject.address())["attestations"],
            serde_json::json!([])
        );
    }
}

/// The queue database, its key and the credentials are the owner's alone, and a queue
/// database left readable by others is made owner-only again when it is opened.
#[cfg(unix)]
#[tokio::test]
async fn queue_and_credential_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let net = Net::start();
    let mode = |name: &str| {
        std::fs::metadata(net.path(name))
            .map(|meta| meta.permissions().mode() & 0o777)
            .ok()
    };
    let subject = PrivateKeySigner::random();
    net.request(&subject, &person("ID111"), "a.json").await;
    let attested = net.attest("a.json", &[]);
    assert!(attested.status.success(), "{}", stderr(&attested));
    let credential = format!("credentials/{}.json", subject.address());
    assert_eq!(mode("queue.db"), Some(0o600));
    assert_eq!(mode("queue.db.key"), Some(0o600));
    assert_eq!(mode("credentials"), Some(0o700));
    assert_eq!(mode(&credential), Some(0o600));
    let names: Vec<_> = std::fs::read_dir(net.path("credentials"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");

    std::fs::set_permissions(net.path("queue.db"), std::fs::Permissions::from_mode(0o644)).unwrap();
    let listed = net.list();
    assert_eq!(listed[0]["status"], "approved");
    assert_eq!(mode("queue.db"), Some(0o600));
    for name in ["queue.db-wal", "queue.db-shm"] {
        assert!(matches!(mode(name), None | Some(0o600)), "{name}");
    }
}

#[tokio::test]
async fn a_false_age_claim_is_refused() {
    let net = Net::start();
    let subject = PrivateKeySigner::random();
    // Signed by the subject, canonical, but born too late to be over 18.
    let mut claims = person("AG12345");
    claims.retain(|(key, _)| *key != "birthdate");
    let too_young = [
        &claims[..],
        &[("birthdate", "2015-06-01"), ("age_over_18", "true")],
    ]
    .concat();
    net.request(&subject, &too_young, "too-young.json").await;
    let output = net.attest("too-young.json", &[]);
    assert_one_line_error(&output, "1 of 1 requests were not attested");
    assert!(
        stderr(&output).contains("age_over_18 is not true for the birthdate"),
        "{}",
        stderr(&output)
    );
    let no_birthdate = [&claims[..], &[("age_over_21", "true")]].concat();
    net.request(&subject, &no_birthdate, "no-birthdate.json")
        .await;
    let output = net
        .kyc()
        .args(["certifier", "queue", "add", "no-birthdate.json"])
        .output()
        .unwrap();
    assert_one_line_error(&output, "age_over_21 needs a birthdate claim");
    assert!(net.list().is_empty(), "nothing was queued");

    // Over 18 and born 2000: attested.
    let adult = [
        &claims[..],
        &[("birthdate", "2000-06-01"), ("age_over_18", "true")],
    ]
    .concat();
    net.request(&subject, &adult, "adult.json").await;
    let output = net.attest("adult.json", &[]);
    assert!(output.status.success(), "{}", stderr(&output));
}
