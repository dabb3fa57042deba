//! `kyc user`: the person's whole journey through the binary, against anvil and a small
//! local service, and the refusals a person meets on the way.

use std::{
    io::Cursor,
    path::{Path, PathBuf},
    process::Output,
    sync::{Arc, Mutex},
};

use alloy::primitives::B256;
use axum::{http::StatusCode, routing::post, Json, Router};
use kyc_core::{
    files::{Decline, JsonFile, Request, Submission},
    signature::recover_signer,
    uri::RegistrationUri,
};
use kyc_test_utils::{unix_now, Devnet};
use kyc_wallet::{chain::RegistryClient, withdraw::read_relay};
use serde_json::{json, Value};
use tempfile::TempDir;

use crate::util::{assert_output, kyc, stderr, stdout};

const CLAIMS: &str = r#"{
    "given_name": " Hanako ",
    "family_name": "Quixotebridge",
    "birthdate": "1987-06-05",
    "nationality": "jp"
}"#;

/// A devnet and a wallet folder with a password file.
struct Person {
    devnet: Devnet,
    dir: TempDir,
}

impl Person {
    async fn start() -> Self {
        let person = Self {
            devnet: Devnet::start().await,
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(person.path("password"), "correct horse battery\n").unwrap();
        person
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `kyc user ARGS` with this wallet, password file and chain, given as the environment.
    fn user(&self, args: &[&str]) -> Output {
        kyc()
            .arg("user")
            .args(args)
            .env("KYC_WALLET", self.path("wallet"))
            .env("KYC_PASSWORD_FILE", self.path("password"))
            .env("ETH_RPC_URL", self.devnet.anvil.endpoint())
            .output()
            .unwrap()
    }

    fn user_ok(&self, args: &[&str]) -> String {
        let output = self.user(args);
        assert!(
            output.status.success(),
            "kyc user {args:?}: {}",
            stderr(&output)
        );
        stdout(&output)
    }

    fn user_json(&self, args: &[&str]) -> Value {
        let mut args = args.to_vec();
        args.push("--json");
        serde_json::from_str(&self.user_ok(&args)).unwrap()
    }

    /// A one-line refusal; returns the line.
    fn user_refused(&self, args: &[&str]) -> String {
        let output = self.user(args);
        assert!(
            !output.status.success(),
            "kyc user {args:?} succeeded: {}",
            stdout(&output)
        );
        let message = stderr(&output);
        assert_eq!(message.trim_end().lines().count(), 1, "{message}");
        assert!(message.starts_with("error: "), "{message}");
        message
    }

    /// The subject's key in the wallet's keystore, then a request to the devnet certifier.
    fn request(&self) -> Request {
        let key = self.devnet.subject.to_bytes().to_string();
        let new = self.user_json(&["new", "--private-key", &key]);
        assert_eq!(new["address"], self.devnet.subject.address().to_string());
        let out = self.path("request.json");
        let made = self.user_json(&[
            "request",
            "--claims",
            self.write("claims.json", CLAIMS).to_str().unwrap(),
            "--certifier",
            &self.devnet.certifier.address().to_string(),
            "--registry",
            &self.devnet.registry.to_string(),
            "--out",
            out.to_str().unwrap(),
        ]);
        assert_eq!(made["changed"], json!(["given_name", "nationality"]));
        Request::from_json(&std::fs::read_to_string(out).unwrap()).unwrap()
    }

    /// The certifier attests the request and writes the credential file.
    async fn attest(&self, request: &Request) -> PathBuf {
        let credential = self.devnet.issue_credential(request).await;
        self.write("credential.json", &credential.to_json().unwrap())
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn code(&self, service: &str, fields: &[&str]) -> RegistrationUri {
        self.devnet.registration_code(service, fields)
    }
}

/// A service that records what it receives, approves submissions signed by their subject,
/// and takes the first decline of a registration (a later one is refused with an error
/// code that holds a terminal escape).
async fn start_service() -> (String, Arc<Mutex<Vec<String>>>) {
    let received = Arc::new(Mutex::new(Vec::<String>::new()));
    let (on_submission, on_withdrawal) = (received.clone(), received.clone());
    let app = Router::new()
        .route(
            "/v1/sessions/{rid}/submission",
            post(move |body: String| async move {
                let mut received = on_submission.lock().unwrap();
                if Decline::is_decline_shaped(body.as_bytes()) {
                    let decline = Decline::from_bytes(body.as_bytes()).unwrap();
                    let id = decline.registration_id.to_string();
                    if received.iter().any(|earlier| earlier.contains(&id)) {
                        let error = json!({ "error": "registration_used\u{1b}[2J" });
                        return (StatusCode::CONFLICT, Json(error));
                    }
                    received.push(body);
                    return (StatusCode::OK, Json(json!({ "status": "declined" })));
                }
                received.push(body.clone());
                let submission = Submission::from_json(&body).unwrap();
                let signer = recover_signer(submission.signing_hash(), &submission.signature);
                let verdict = if signer.ok() == Some(submission.subject) {
                    json!({ "outcome": "approved", "reasons": [] })
                } else {
                    json!({ "outcome": "rejected", "reasons": ["bad_signature"] })
                };
                (StatusCode::OK, Json(verdict))
            }),
        )
        .route(
            "/v1/sessions/{rid}/withdrawal",
            post(move |body: String| async move {
                on_withdrawal.lock().unwrap().push(body);
                (StatusCode::OK, Json(json!({ "deleted": true })))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (origin, received)
}

fn qr_png(text: &str, path: &Path) {
    let image = qrcode::QrCode::new(text.as_bytes())
        .unwrap()
        .render::<image::Luma<u8>>()
        .build();
    let mut bytes = Cursor::new(Vec::new());
    image::DynamicImage::ImageLuma8(image)
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    std::fs::write(path, bytes.into_inner()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_import_show_scan_consent_and_withdraw_consent() {
    let person = Person::start().await;
    let request = person.request();
    let credential_file = person.attest(&request).await;

    let imported = person.user_json(&["import", credential_file.to_str().unwrap()]);
    assert_eq!(imported["imported"], request.root.to_string());
    let shown = person.user_json(&["show"]);
    let listed = &shown["credentials"][0];
    assert_eq!(listed["status"], "active");
    assert_eq!(
        listed["certifier"],
        person.devnet.certifier.address().to_string()
    );
    assert_eq!(listed["evidence"], json!(["document", "face"]));
    // Born 1987: the request carries the age claims that hold, beside the typed claims.
    assert_eq!(
        listed["fields"],
        json!([
            "age_over_16",
            "age_over_18",
            "age_over_21",
            "birthdate",
            "family_name",
            "given_name",
            "nationality"
        ])
    );

    let (origin, received) = start_service().await;
    let code = person.code(&origin, &["birthdate", "nationality"]);
    let uri = code.to_uri_string();

    // Scanned from the URI and from a QR code image alike.
    let png = person.path("code.png");
    qr_png(&uri, &png);
    for source in [vec![uri.as_str()], vec!["--image", png.to_str().unwrap()]] {
        let scanned = person.user_json(&[&["scan"], source.as_slice()].concat());
        assert_eq!(scanned["name"], "Ticket Shop");
        assert_eq!(scanned["service"], origin);
        assert_eq!(scanned["registration_id"], code.registration_id.to_string());
        assert_eq!(scanned["check_code"], code.check_code());
        assert_eq!(scanned["fields"], json!(["birthdate", "nationality"]));
        assert_eq!(scanned["credentials"][0]["missing_fields"], json!([]));
        assert_eq!(scanned["can_answer"], true);
        assert_eq!(scanned["unavailable_fields"], json!([]));
    }
    assert!(!person.user_ok(&["scan", &uri]).contains("cannot"));
    let human = person.user_ok(&["scan", &uri]);
    assert!(human.contains(&code.registration_id.to_string()), "{human}");
    assert!(human.contains(&code.check_code()), "{human}");
    assert!(human.contains("  nationality: JP"), "{human}");

    // Without a terminal to confirm on, nothing is signed without --yes.
    let refusal = person.user_refused(&["consent", &uri, "--submit"]);
    assert!(refusal.contains("--yes"), "{refusal}");
    assert!(received.lock().unwrap().is_empty());

    // Submitted: the service gets exactly the asked fields and approves.
    let sent = person.user_json(&["consent", &uri, "--submit", "--yes"]);
    assert_eq!(sent["verdict"]["outcome"], "approved");
    assert_eq!(sent["outcome"], "approved");
    assert_eq!(sent["check_code"], code.check_code());
    assert_eq!(sent["fields"], json!(["birthdate", "nationality"]));
    let body = received.lock().unwrap()[0].clone();
    let submission = Submission::from_json(&body).unwrap();
    let disclosed: Vec<&str> = submission.disclosed().map(|c| c.key.as_str()).collect();
    assert_eq!(disclosed, ["birthdate", "nationality"]);
    for hidden in request
        .claims
        .iter()
        .filter(|c| !disclosed.contains(&c.key.as_str()))
    {
        assert!(!body.contains(&hidden.value), "{} leaked", hidden.key);
        assert!(
            !body.contains(&hidden.salt.to_string()[2..]),
            "the salt of {} leaked",
            hidden.key
        );
    }

    // Written to a file with fewer fields: only the nationality and its salt are in it.
    let second = person.code(&origin, &["birthdate", "nationality", "family_name"]);
    let out = person.path("submission.json");
    person.user_ok(&[
        "consent",
        &second.to_uri_string(),
        "--fields",
        "nationality",
        "--out",
        out.to_str().unwrap(),
        "--yes",
    ]);
    let file = std::fs::read_to_string(&out).unwrap();
    for claim in &request.claims {
        let salt = claim.salt.to_string();
        if claim.key == "nationality" {
            assert!(file.contains(&claim.value) && file.contains(&salt));
        } else {
            assert!(!file.contains(&claim.value), "{} leaked", claim.key);
            assert!(
                !file.contains(&salt[2..]),
                "the salt of {} leaked",
                claim.key
            );
        }
    }

    let log = person.user_json(&["consents"]);
    let consents = log["consents"].as_array().unwrap();
    assert_eq!(consents.len(), 2);
    assert_eq!(consents[0]["outcome"], "approved");
    assert_eq!(consents[0]["service"], origin);
    assert_eq!(
        consents[0]["registration_id"],
        code.registration_id.to_string()
    );
    assert_eq!(consents[0]["fields"], json!(["birthdate", "nationality"]));
    assert_eq!(consents[1]["outcome"], "written");
    assert_eq!(consents[1]["fields"], json!(["nationality"]));

    // Withdrawing the first consent posts a signed withdrawal and marks the log.
    let rid = code.registration_id.to_string();
    person.user_ok(&["withdraw-consent", &rid]);
    let withdrawal: Value = serde_json::from_str(&received.lock().unwrap()[1]).unwrap();
    assert_eq!(withdrawal["registration_id"], rid);
    assert_eq!(withdrawal["subject"], request.subject.to_string());
    let log = person.user_json(&["consents"]);
    assert!(log["consents"][0]["withdrawn_at"].is_u64());
    assert!(log["consents"][1].get("withdrawn_at").is_none());
    let refusal = person.user_refused(&["withdraw-consent", &B256::repeat_byte(9).to_string()]);
    assert!(refusal.contains("no consent"), "{refusal}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_codes_are_refused_with_a_reason() {
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    let origin = "https://shop.example";

    let mut expired = person.code(origin, &["birthdate"]);
    expired.expires_at = unix_now() - 5;
    let refusal = person.user_refused(&["scan", &expired.to_uri_string()]);
    assert!(refusal.contains("expired"), "{refusal}");
    let refusal = person.user_refused(&["consent", &expired.to_uri_string(), "--yes", "--submit"]);
    assert!(refusal.contains("expired"), "{refusal}");

    let mut elsewhere = person.code(origin, &["birthdate"]);
    elsewhere.callback = "https://collector.example/v1/sessions/rid/submission".to_owned();
    let refusal = person.user_refused(&["scan", &elsewhere.to_uri_string()]);
    assert!(refusal.contains("\"cb\""), "{refusal}");
    let png = person.path("elsewhere.png");
    qr_png(&elsewhere.to_uri_string(), &png);
    let refusal = person.user_refused(&["scan", "--image", png.to_str().unwrap()]);
    assert!(refusal.contains("\"cb\""), "{refusal}");

    let mut other_chain = person.code(origin, &["birthdate"]);
    other_chain.chain_id += 1;
    let refusal =
        person.user_refused(&["consent", &other_chain.to_uri_string(), "--yes", "--submit"]);
    assert!(refusal.contains("no credential"), "{refusal}");

    // A code for another registry is shown (scan describes it and says the wallet cannot
    // answer it); consent refuses it.
    let mut other_registry = person.code(origin, &["birthdate"]);
    other_registry.registry = alloy::primitives::Address::repeat_byte(0x77);
    let other_registry = other_registry.to_uri_string();
    let scanned = person.user_json(&["scan", &other_registry]);
    assert_eq!(scanned["credentials"], json!([]));
    assert_eq!(scanned["can_answer"], false);
    assert_eq!(scanned["unavailable_fields"], json!(["birthdate"]));
    let human = person.user_ok(&["scan", &other_registry]);
    assert!(human.contains("cannot answer this code"), "{human}");
    let refusal = person.user_refused(&["consent", &other_registry, "--yes", "--submit"]);
    assert!(refusal.contains("no credential"), "{refusal}");

    let lacking = person.code(origin, &["birthdate", "document.number"]);
    let refusal = person.user_refused(&["consent", &lacking.to_uri_string(), "--yes", "--submit"]);
    assert!(refusal.contains("document.number"), "{refusal}");
    let not_asked = person.code(origin, &["birthdate"]);
    let refusal = person.user_refused(&[
        "consent",
        &not_asked.to_uri_string(),
        "--fields",
        "birthdate,family_name",
        "--yes",
        "--submit",
    ]);
    assert!(refusal.contains("family_name was not asked"), "{refusal}");
    assert!(person.user_json(&["consents"])["consents"]
        .as_array()
        .unwrap()
        .is_empty());

    let refusal = person.user_refused(&["scan", "kycanchor://register?v=1"]);
    assert!(refusal.contains("missing"), "{refusal}");
    let garbage = person.write("garbage.png", "not an image");
    let refusal = person.user_refused(&["scan", "--image", garbage.to_str().unwrap()]);
    assert!(refusal.contains("image"), "{refusal}");
}

/// Every check code vector, through `kyc user scan` with a wallet that holds no credential:
/// the code is shown, with its check code, and the wallet says it cannot answer.
#[test]
fn scan_shows_the_check_code_of_every_vector_without_a_credential() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../core/tests/vectors/check_code.json");
    let file: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    assert!(!vectors.is_empty());
    let wallet = tempfile::tempdir().unwrap();
    let scan = |uri: &str, json: bool| {
        let mut command = kyc();
        command
            .args(["user", "scan", uri])
            .env("KYC_WALLET", wallet.path());
        if json {
            command.arg("--json");
        }
        let output = command.output().unwrap();
        assert!(output.status.success(), "{uri}: {}", stderr(&output));
        stdout(&output)
    };
    for vector in vectors {
        let code = RegistrationUri {
            registration_id: vector["registration_id"].as_str().unwrap().parse().unwrap(),
            service: "https://shop.example".to_owned(),
            name: "Ticket Shop".to_owned(),
            callback: "https://shop.example/v1/sessions/rid/submission".to_owned(),
            chain_id: 31337,
            registry: alloy::primitives::Address::repeat_byte(0x42),
            fields: vec!["birthdate".to_owned(), "nationality".to_owned()],
            expires_at: unix_now() + 600,
        };
        let uri = code.to_uri_string();
        let scanned: Value = serde_json::from_str(&scan(&uri, true)).unwrap();
        assert_eq!(scanned["check_code"], vector["code"], "{uri}");
        assert_eq!(scanned["registration_id"], vector["registration_id"]);
        assert_eq!(scanned["name"], "Ticket Shop");
        assert_eq!(scanned["fields"], json!(["birthdate", "nationality"]));
        assert_eq!(scanned["credentials"], json!([]));
        assert_eq!(scanned["can_answer"], false);
        assert_eq!(
            scanned["unavailable_fields"],
            json!(["birthdate", "nationality"])
        );
        // The whole screen; the time left varies with the clock.
        let human = scan(&uri, false);
        assert_output(
            &human,
            &format!(
                "Ticket Shop (https://shop.example) asks to check your identity
check code       {}   (the service's screen shows the same six digits)
registration ID  {}
asks for         birthdate, nationality
until            {} (in [..]s)
chain            31337 registry 0x4242424242424242424242424242424242424242
answers go to    https://shop.example/v1/sessions/rid/submission
the wallet cannot answer this code: it holds no credential for chain 31337 and registry 0x4242424242424242424242424242424242424242
cannot provide   birthdate, nationality
",
                vector["code"].as_str().unwrap(),
                code.registration_id,
                kyc_core::time::format_time(code.expires_at),
            ),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdraw_by_relay_file_and_by_sending() {
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    let certifier = person.devnet.certifier.address().to_string();

    let relay_path = person.path("withdraw.json");
    person.user_ok(&[
        "withdraw",
        "--certifier",
        &certifier,
        "--relay-out",
        relay_path.to_str().unwrap(),
    ]);
    let relay = read_relay(&std::fs::read_to_string(&relay_path).unwrap()).unwrap();
    assert_eq!(relay.subject, request.subject);
    assert_eq!(relay.nonce, 1);
    // The certifier relays it, paying the gas.
    let registry = RegistryClient::connect(
        person.devnet.provider(person.devnet.certifier.clone()),
        person.devnet.registry,
    )
    .await
    .unwrap();
    registry.withdraw_by_sig(&relay).await.unwrap();
    assert_eq!(
        person.user_json(&["show"])["credentials"][0]["status"],
        "withdrawn"
    );
    let refusal = person.user_refused(&["withdraw", "--certifier", &certifier, "--send"]);
    assert!(refusal.contains("nothing to withdraw"), "{refusal}");

    // Attested again, then withdrawn by the subject's own transaction.
    let again = person.user_ok(&[
        "request",
        "--claims",
        person.path("claims.json").to_str().unwrap(),
        "--certifier",
        &certifier,
        "--registry",
        &person.devnet.registry.to_string(),
        "--out",
        person.path("request2.json").to_str().unwrap(),
    ]);
    assert!(again.contains("normalised given_name"), "{again}");
    let request2 =
        Request::from_json(&std::fs::read_to_string(person.path("request2.json")).unwrap())
            .unwrap();
    person.user_ok(&["import", person.attest(&request2).await.to_str().unwrap()]);
    let sent = person.user_json(&["withdraw", "--certifier", &certifier, "--send"]);
    assert_eq!(sent["withdrawn"], true);
    let shown = person.user_json(&["show"]);
    let status_of = |root: B256| {
        shown["credentials"]
            .as_array()
            .unwrap()
            .iter()
            .find(|credential| credential["root"] == root.to_string())
            .map(|credential| credential["status"].clone())
    };
    assert_eq!(status_of(request.root), Some(json!("replaced")));
    assert_eq!(status_of(request2.root), Some(json!("withdrawn")));

    // One of --send and --relay-out is required.
    let output = person.user(&["withdraw", "--certifier", &certifier]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("--relay-out"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn keys_passwords_and_claims_are_refused_in_one_line() {
    let person = Person::start().await;
    let claims = person.write("claims.json", CLAIMS);
    let (certifier, registry) = (
        person.devnet.certifier.address().to_string(),
        person.devnet.registry.to_string(),
    );
    let args = [
        "request",
        "--claims",
        claims.to_str().unwrap(),
        "--certifier",
        &certifier,
        "--registry",
        &registry,
    ];
    // The wallet says it has no key; the command says how to make one.
    let refusal = person.user_refused(&args);
    assert!(
        refusal.contains("no key in") && refusal.contains("create one with `kyc user new`"),
        "{refusal}"
    );

    let created = person.user_json(&["new"]);
    let address = created["address"].as_str().unwrap().to_owned();
    assert!(Path::new(created["keystore"].as_str().unwrap()).exists());
    let refusal = person.user_refused(&["new"]);
    assert!(refusal.contains("already has a key"), "{refusal}");

    person.write("password", "wrong\n");
    let refusal = person.user_refused(&["withdraw-consent", &B256::repeat_byte(1).to_string()]);
    assert!(refusal.contains("no consent"), "{refusal}");
    person.write(
        "claims.json",
        r#"{"birthdate": "1987-02-30", "nationality": "Japan", "given_name": "Hanako"}"#,
    );
    let refusal = person.user_refused(&args);
    assert!(
        refusal.contains("birthdate") && refusal.contains("nationality"),
        "{refusal}"
    );
    for value in ["1987-02-30", "Japan", "Hanako"] {
        assert!(!refusal.contains(value), "{refusal}");
    }

    person.write("claims.json", CLAIMS);
    let refusal = person.user_refused(&args);
    assert!(refusal.contains("wrong password"), "{refusal}");
    assert!(!refusal.contains("wrong\n"));
    assert!(!address.is_empty());
}

/// `kyc user ARGS` on a pseudo-terminal (util-linux `script`), typing `input`; the password
/// comes from the password file when `password_file`, else from the prompt.
fn on_terminal(person: &Person, args: &[&str], input: &str, password_file: bool) -> Output {
    use std::io::Write;
    let quoted: Vec<String> = std::iter::once(env!("CARGO_BIN_EXE_kyc"))
        .chain(std::iter::once("user"))
        .chain(args.iter().copied())
        .map(|arg| format!("'{}'", arg.replace('\'', r"'\''")))
        .collect();
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &quoted.join(" "), "/dev/null"])
        .env("KYC_WALLET", person.path("wallet"))
        .env("ETH_RPC_URL", person.devnet.anvil.endpoint())
        .env_remove("KYC_PRIVATE_KEY")
        .env_remove("KYC_PASSWORD_FILE");
    if password_file {
        command.env("KYC_PASSWORD_FILE", person.path("password"));
    }
    let mut child = command
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_nothing_is_sent_until_the_person_says_yes() {
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    let (origin, received) = start_service().await;
    let code = person.code(&origin, &["birthdate", "age_over_18"]);
    let uri = code.to_uri_string();

    let declined = on_terminal(&person, &["consent", &uri, "--submit"], "n\n", true);
    let screen = stdout(&declined);
    assert!(!declined.status.success(), "{screen}");
    assert!(
        screen.contains(&code.registration_id.to_string()),
        "{screen}"
    );
    // The wallet's screen: who asks, the check code, each value that would be sent, what
    // stays undisclosed, and a plain question.
    assert!(
        screen.contains("Ticket Shop (http://127.0.0.1:"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!("check code       {}", code.check_code())),
        "{screen}"
    );
    assert!(screen.contains("  birthdate: 1987-06-05"), "{screen}");
    assert!(screen.contains("  over 18: yes"), "{screen}");
    assert!(
        screen.contains(
            "stays undisclosed: age_over_16, age_over_21, family_name, given_name, nationality"
        ),
        "{screen}"
    );
    assert!(screen.contains("Send 2 fields to Ticket Shop"), "{screen}");
    assert!(screen.contains("consent declined"), "{screen}");
    assert!(received.lock().unwrap().is_empty());
    assert!(person.user_json(&["consents"])["consents"]
        .as_array()
        .unwrap()
        .is_empty());

    let accepted = on_terminal(&person, &["consent", &uri, "--submit"], "y\n", true);
    let screen = stdout(&accepted);
    assert!(accepted.status.success(), "{screen}");
    assert!(screen.contains("Ticket Shop: approved"), "{screen}");
    assert_eq!(received.lock().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_a_terminal_the_person_may_decline_and_nothing_personal_is_sent() {
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    let (origin, received) = start_service().await;
    let code = person.code(&origin, &["birthdate"]);
    let uri = code.to_uri_string();

    let declined = on_terminal(&person, &["consent", &uri, "--submit"], "decline\n", true);
    let screen = stdout(&declined);
    assert!(declined.status.success(), "{screen}");
    assert!(
        screen.contains("or \"decline\" to tell the service no"),
        "{screen}"
    );
    assert!(
        screen.contains(&format!(
            "Ticket Shop ({origin}): declined, check code {}",
            code.check_code()
        )),
        "{screen}"
    );
    let sent = received.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    let decline = Decline::from_bytes(sent[0].as_bytes()).unwrap();
    assert_eq!(decline.registration_id, code.registration_id);
    assert!(!sent[0].contains("1987-06-05"), "{}", sent[0]);
    assert!(person.user_json(&["consents"])["consents"]
        .as_array()
        .unwrap()
        .is_empty());

    // Declined again without a wallet: the service's refusal reaches the terminal
    // with its escape shown, not obeyed.
    let refusal = person.user_refused(&["decline", &uri]);
    assert!(
        refusal.contains("refused the decline: HTTP 409: registration_used\\u{1b}[2J"),
        "{refusal}"
    );
    assert!(!refusal.contains('\u{1b}'), "{refusal:?}");

    // A code the wallet would not answer is not declined either.
    let expired = RegistrationUri {
        expires_at: unix_now() - 1,
        ..person.code(&origin, &["birthdate"])
    };
    let refusal = person.user_refused(&["decline", &expired.to_uri_string()]);
    assert!(refusal.contains("expired"), "{refusal}");
    assert_eq!(received.lock().unwrap().len(), 1, "nothing more was sent");
}

#[tokio::test]
async fn on_a_terminal_the_password_is_asked_twice_for_a_new_key() {
    let person = Person::start().await;
    let differ = on_terminal(&person, &["new"], "first secret\nsecond secret\n", false);
    assert!(!differ.status.success());
    let screen = stdout(&differ);
    assert!(screen.contains("the passwords differ"), "{screen}");

    let created = on_terminal(&person, &["new"], "same secret\nsame secret\n", false);
    assert!(created.status.success(), "{}", stdout(&created));
    let unlocked = on_terminal(
        &person,
        &[
            "withdraw",
            "--certifier",
            &person.devnet.certifier.address().to_string(),
            "--registry",
            &person.devnet.registry.to_string(),
            "--send",
        ],
        "same secret\n",
        false,
    );
    // The key unlocks; the refusal is that there is nothing to withdraw.
    assert!(
        stdout(&unlocked).contains("nothing to withdraw"),
        "{}",
        stdout(&unlocked)
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_file_holding_personal_data_or_the_key_is_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    let code = person.code("https://shop.example", &["birthdate"]);
    let out = person.path("submission.json");
    person.user_ok(&[
        "consent",
        &code.to_uri_string(),
        "--yes",
        "--out",
        out.to_str().unwrap(),
    ]);
    let wallet = person.path("wallet");
    let root = request.root.to_string();
    for file in [
        person.path("request.json"),
        out,
        wallet.join("keystore.json"),
        wallet.join("requests").join(format!("{root}.json")),
        wallet.join("credentials").join(format!("{root}.json")),
        wallet.join("consents.json"),
    ] {
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    for dir in [
        wallet.clone(),
        wallet.join("requests"),
        wallet.join("credentials"),
    ] {
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700, "{}", dir.display());
    }
    let names: Vec<String> = std::fs::read_dir(&wallet)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|name| !name.starts_with('.')),
        "no scratch file is left: {names:?}"
    );
}

/// A service whose answer tries to rewrite the person's terminal.
async fn start_hostile_service() -> String {
    let app = Router::new().route(
        "/{*path}",
        post(|| async {
            Json(json!({
                "outcome": "rejected",
                "reasons": ["\u{1b}[2K\u{1b}[1Gapproved", "\u{9b}31m"]
            }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    origin
}

/// Neither stream holds an escape or other control character but line ends.
fn assert_no_control_characters(output: &Output) {
    for (name, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{name} holds a control character: {text:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn escape_sequences_from_a_code_or_a_service_never_reach_the_terminal() {
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    let origin = start_hostile_service().await;

    // A callback carrying "erase the line" and "cursor to column 1" (%1B%5B2K%1B%5B1G).
    let mut code = person.code(&origin, &["birthdate"]);
    code.callback = format!("{origin}/v1/sessions/\u{1b}[2K\u{1b}[1G/submission");
    let uri = code.to_uri_string();
    assert!(uri.contains("%1B%5B2K"), "{uri}");
    let scanned = person.user(&["scan", &uri]);
    assert!(scanned.status.success(), "{}", stderr(&scanned));
    assert_no_control_characters(&scanned);
    assert!(
        stdout(&scanned).contains("\\u{1b}[2K"),
        "{}",
        stdout(&scanned)
    );

    // The service's answer is shown neutralised, on the screen and in the verdict line.
    let consented = person.user(&["consent", &uri, "--submit", "--yes"]);
    assert!(consented.status.success(), "{}", stderr(&consented));
    assert_no_control_characters(&consented);
    assert!(
        stdout(&consented).contains("reasons: \\u{1b}[2K\\u{1b}[1Gapproved, \\u{9b}31m"),
        "{}",
        stdout(&consented)
    );

    // A name with an escape sequence is refused, in a line that is itself clean.
    let hostile_name = uri.replace("name=Ticket%20Shop", "name=Ticket%1B%5B2KShop");
    assert_ne!(hostile_name, uri);
    let refused = person.user(&["scan", &hostile_name]);
    assert!(!refused.status.success());
    assert_no_control_characters(&refused);
    assert!(
        stderr(&refused).contains("\"name\""),
        "{}",
        stderr(&refused)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_service_is_refused_unless_on_this_machine() {
    let person = Person::start().await;
    let request = person.request();
    person.user_ok(&["import", person.attest(&request).await.to_str().unwrap()]);
    for origin in [
        "http://bank.example",
        "http://10.0.0.8:8080",
        "http://localhost.bank.example",
    ] {
        let code = person.code(origin, &["birthdate"]).to_uri_string();
        let refusal = person.user_refused(&["scan", &code]);
        assert!(refusal.contains("is not https"), "{refusal}");
        let refusal = person.user_refused(&["consent", &code, "--yes", "--submit"]);
        assert!(refusal.contains("is not https"), "{refusal}");
    }
    for origin in [
        "https://bank.example",
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        let code = person.code(origin, &["birthdate"]).to_uri_string();
        person.user_ok(&["scan", &code]);
    }
}
