//! `kyc service invite` and `kyc service invitations` through the binary, beside
//! `kyc service serve` on anvil: 500 customers of a CSV list invited in one call, each
//! link and QR code read back, the same list again making nothing new, the references
//! and other columns never in a code nor in the database beside the reference; and a
//! batch whose customers approve, decline, let it expire and withdraw, as listed.

use std::{
    path::Path,
    process::{Child, Output, Stdio},
    time::{Duration, Instant},
};

use alloy::primitives::Bytes;
use kyc_core::{
    files::{FormatVersion, SignedConsentWithdrawal},
    uri::RegistrationUri,
};
use kyc_test_utils::{sign, unix_now, Devnet, Person};
use kyc_wallet::scan::read_qr_image;
use serde_json::{json, Value};

use crate::{
    serve::{free_port, request, serve, terminate, wait_until_up, TOKEN},
    util::{kyc, stderr, stdout},
};

/// `kyc service serve` on `port` over `dir/service.db`, up.
fn start_service(devnet: &Devnet, dir: &Path, port: u16) -> Child {
    let child = serve(devnet, dir, port, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_up(port);
    child
}

/// `kyc ARGS` with the devnet's chain and registry and the service's database.
fn run(devnet: &Devnet, dir: &Path, args: &[&str]) -> Output {
    kyc()
        .current_dir(dir)
        .env("ETH_RPC_URL", devnet.anvil.endpoint())
        .env("KYC_REGISTRY", devnet.registry.to_string())
        .env(
            "KYC_DATABASE_URL",
            format!("sqlite://{}", dir.join("service.db").display()),
        )
        .args(args)
        .output()
        .unwrap()
}

/// `kyc ARGS --json`, which must succeed.
fn run_json(devnet: &Devnet, dir: &Path, args: &[&str]) -> Value {
    let output = run(devnet, dir, &[args, &["--json"]].concat());
    assert!(output.status.success(), "kyc {args:?}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).unwrap()
}

/// `kyc service invite` of `csv` for the service on `port`, asking for given_name.
fn invite(devnet: &Devnet, dir: &Path, port: u16, csv: &str, extra: &[&str]) -> Value {
    let origin = format!("http://127.0.0.1:{port}");
    let args = [
        &["service", "invite", "--csv", csv, "--fields", "given_name"][..],
        &["--service", &origin, "--out-dir", "out"],
        extra,
    ]
    .concat();
    run_json(devnet, dir, &args)
}

fn invitations(report: &Value) -> &Vec<Value> {
    report["invitations"].as_array().unwrap()
}

fn text<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_customers_are_invited_in_one_call_each_with_a_link_and_a_qr_code() {
    let devnet = Devnet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let service = start_service(&devnet, dir, port);

    // 500 customers, with a name, an e-mail and a phone number the service must not keep,
    // and three malformed rows among them.
    let mut csv = String::from("name,reference,email,phone\n");
    for i in 1..=500 {
        csv.push_str(&format!(
            "Customer {i},R{i:04},customer{i}@mail.example,+8190{i:08}\n"
        ));
        match i {
            100 => csv.push_str("No Reference,,nobody@mail.example,+81900\n"),
            200 => csv.push_str("Twice,R0001,twice@mail.example,+81901\n"),
            300 => csv.push_str("\"Bad\"quote,R9999,bad@mail.example,+81902\n"),
            _ => {}
        }
    }
    std::fs::write(dir.join("november.csv"), &csv).unwrap();

    let started = Instant::now();
    let report = invite(&devnet, dir, port, "november.csv", &[]);
    eprintln!(
        "500 invitations from a CSV in one call: {:?}",
        started.elapsed()
    );
    assert_eq!(report["batch"], "november");
    assert_eq!(
        (report["created"].as_u64(), report["existing"].as_u64()),
        (Some(500), Some(0))
    );
    let skipped: Vec<(u64, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| (row["line"].as_u64().unwrap(), text(row, "error")))
        .collect();
    assert_eq!(
        skipped,
        [
            (102, "missing_reference"),
            (203, "duplicate_reference"),
            (304, "bad_quoting")
        ]
    );

    // Each link and QR code in --out-dir; no code holds anything of its row.
    let out = dir.join("out");
    let invited = invitations(&report);
    assert_eq!(invited.len(), 500);
    for (i, invitation) in (1..).zip(invited) {
        let (uri, id) = (text(invitation, "uri"), text(invitation, "registration_id"));
        assert_eq!(text(invitation, "reference"), format!("R{i:04}"));
        assert_eq!(
            std::fs::read_to_string(out.join(format!("{id}.txt"))).unwrap(),
            format!("{uri}\n")
        );
        let code = RegistrationUri::parse(uri).unwrap();
        assert_eq!(code.registration_id.to_string(), id);
        assert_eq!(code.service, format!("http://127.0.0.1:{port}"));
        assert_eq!(code.fields, ["given_name"]);
        for private in [
            format!("R{i:04}"),
            format!("Customer {i}"),
            format!("customer{i}@"),
            format!("+8190{i:08}"),
        ] {
            assert!(!uri.contains(&private), "{private} in {uri}");
        }
        assert!(!uri.contains("november"), "{uri}");
    }
    // Every QR code read back by the wallet's decoder, on two threads.
    std::thread::scope(|scope| {
        for half in invited.chunks(250) {
            let out = &out;
            scope.spawn(move || {
                for invitation in half {
                    let id = text(invitation, "registration_id");
                    let decoded = read_qr_image(&out.join(format!("{id}.png"))).unwrap();
                    assert_eq!(decoded, text(invitation, "uri"));
                }
            });
        }
    });

    // The result CSV for the bank's mailer: reference, registration ID, check code, link, expiry.
    let result = std::fs::read_to_string(out.join("november.csv")).unwrap();
    assert_eq!(text(&report, "result_csv"), "out/november.csv");
    let lines: Vec<&str> = result.lines().collect();
    assert_eq!(lines.len(), 501);
    assert_eq!(
        lines[0],
        "reference,registration_id,check_code,link,expires_at"
    );
    let first = &invited[0];
    assert_eq!(
        lines[1],
        format!(
            "R0001,{},{},{},{}",
            text(first, "registration_id"),
            text(first, "check_code"),
            text(first, "uri"),
            kyc_core::time::format_time(first["expires_at"].as_u64().unwrap())
        )
    );
    let ten_days = first["expires_at"].as_u64().unwrap() - first["created_at"].as_u64().unwrap();
    assert_eq!(ten_days, 10 * 86_400);

    // The same list again: the same 500 invitations, nothing new.
    let again = invite(&devnet, dir, port, "november.csv", &[]);
    assert_eq!(
        (again["created"].as_u64(), again["existing"].as_u64()),
        (Some(0), Some(500))
    );
    assert_eq!(again["invitations"], report["invitations"]);

    // The service and the listing see them, pending.
    let listed = run_json(
        &devnet,
        dir,
        &["service", "invitations", "--batch", "november"],
    );
    assert_eq!(invitations(&listed).len(), 500);
    assert_eq!(listed["summary"]["pending"], 500);
    let (status, body) = request(
        port,
        &format!("GET /v1/invitations?batch=november&status=pending HTTP/1.0\r\nAuthorization: Bearer {TOKEN}"),
        "",
    )
    .unwrap();
    assert_eq!(status, 200, "{body}");
    let served: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(served["invitations"], listed["invitations"]);

    // The database keeps the reference and nothing else of the list.
    let log = stderr(&terminate(service));
    let mut stored = Vec::new();
    for file in ["service.db", "service.db-wal"] {
        stored.extend(std::fs::read(dir.join(file)).unwrap_or_default());
    }
    let stored = String::from_utf8_lossy(&stored);
    assert!(stored.contains("R0500"));
    for private in ["Customer 1", "mail.example", "+8190", "No Reference"] {
        assert!(!stored.contains(private), "{private} stored");
        assert!(!log.contains(private), "{private} logged");
    }
}

/// Posts `body` to `path` of the service on `port`; returns the status and the answer.
fn post(port: u16, path: &str, body: &str) -> (u16, Value) {
    let (status, answer) = request(
        port,
        &format!("POST {path} HTTP/1.0\r\nContent-Type: application/json"),
        body,
    )
    .unwrap();
    (status, serde_json::from_str(&answer).unwrap_or_default())
}

/// `person` answers the invitation `uri`: approved.
fn consent(devnet: &Devnet, port: u16, person: &Person, uri: &str) {
    let code = RegistrationUri::parse(uri).unwrap();
    let answer = person.answer(&code, devnet.certifier.address());
    let (status, verdict) = post(
        port,
        &format!("/v1/sessions/{}/submission", code.registration_id),
        &serde_json::to_string(&answer).unwrap(),
    );
    assert_eq!(
        (status, verdict["outcome"].as_str()),
        (200, Some("approved")),
        "{verdict}"
    );
}

/// `person` withdraws the consent given under `uri`, signing a `ConsentWithdrawal`.
fn withdraw_consent(devnet: &Devnet, port: u16, person: &Person, uri: &str) {
    let code = RegistrationUri::parse(uri).unwrap();
    let mut withdrawal = SignedConsentWithdrawal {
        version: FormatVersion,
        registration_id: code.registration_id,
        service: code.service.clone(),
        subject: person.signer.address(),
        signed_at: unix_now(),
        signature: Bytes::new(),
    };
    withdrawal.signature = sign(
        &person.signer,
        withdrawal.signing_hash(devnet.chain_id(), devnet.registry),
    );
    let (status, answer) = post(
        port,
        &format!("/v1/sessions/{}/withdrawal", code.registration_id),
        &serde_json::to_string(&withdrawal).unwrap(),
    );
    assert_eq!(status, 200, "{answer}");
}

/// Each invitation's reference and status, and the summary.
fn statuses(listed: &Value) -> (Vec<(&str, &str)>, &Value) {
    let statuses = invitations(listed)
        .iter()
        .map(|invitation| (text(invitation, "reference"), text(invitation, "status")))
        .collect();
    (statuses, &listed["summary"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_approved_declined_expired_and_withdrawn_as_its_customers_answer() {
    let devnet = Devnet::start().await;
    let people = devnet.attest_people(4).await;
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let port = free_port();
    let service = start_service(&devnet, dir, port);

    std::fs::write(
        dir.join("answers.csv"),
        "reference\nconsents\ndeclines\nwithdraws\n",
    )
    .unwrap();
    std::fs::write(dir.join("late.csv"), "reference\ntimes-out\n").unwrap();
    let answered = invite(&devnet, dir, port, "answers.csv", &["--batch", "campaign"]);
    let late = invite(
        &devnet,
        dir,
        port,
        "late.csv",
        &["--batch", "campaign", "--ttl", "2s"],
    );
    let uri = |reference: &str| {
        invitations(&answered)
            .iter()
            .chain(invitations(&late))
            .find(|invitation| invitation["reference"] == reference)
            .map(|invitation| text(invitation, "uri").to_owned())
            .unwrap()
    };

    // One consents; one declines from the QR code's image with the wallet's command; one
    // consents and then withdraws; one lets the code expire.
    consent(&devnet, port, &people[0], &uri("consents"));
    let declines = RegistrationUri::parse(&uri("declines")).unwrap();
    let image = dir
        .join("out")
        .join(format!("{}.png", declines.registration_id));
    let declined = kyc()
        .args(["user", "decline", "--image"])
        .arg(&image)
        .arg("--json")
        .output()
        .unwrap();
    assert!(declined.status.success(), "{}", stderr(&declined));
    assert!(
        !stdout(&declined).contains("declines"),
        "{}",
        stdout(&declined)
    );
    consent(&devnet, port, &people[3], &uri("withdraws"));
    withdraw_consent(&devnet, port, &people[3], &uri("withdraws"));
    let expires_at = late["invitations"][0]["expires_at"].as_u64().unwrap();
    while unix_now() <= expires_at {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let listed = run_json(
        &devnet,
        dir,
        &["service", "invitations", "--batch", "campaign"],
    );
    let (shown, summary) = statuses(&listed);
    assert_eq!(
        shown,
        [
            ("consents", "approved"),
            ("declines", "declined"),
            ("withdraws", "withdrawn"),
            ("times-out", "expired")
        ]
    );
    assert_eq!(
        *summary,
        json!({ "pending": 0, "approved": 1, "review": 0, "rejected": 0, "declined": 1, "expired": 1, "withdrawn": 1 })
    );
    let declined = &invitations(&listed)[1];
    assert!(declined["declined_at"].is_u64() && declined["answered_at"].is_null());
    let only_declined = run_json(
        &devnet,
        dir,
        &[
            "service",
            "invitations",
            "--batch",
            "campaign",
            "--status",
            "declined",
        ],
    );
    assert_eq!(
        statuses(&only_declined),
        (vec![("declines", "declined")], summary)
    );
    let table = run(
        &devnet,
        dir,
        &["service", "invitations", "--batch", "campaign"],
    );
    assert!(table.status.success(), "{}", stderr(&table));
    assert_eq!(
        stdout(&table).lines().last(),
        Some("4 invitations: 0 pending, 1 approved, 0 review, 0 rejected, 1 declined, 1 expired, 1 withdrawn")
    );

    // A decline is unsigned: the person may still consent, and that counts.
    consent(&devnet, port, &people[1], &uri("declines"));
    let listed = run_json(
        &devnet,
        dir,
        &["service", "invitations", "--batch", "campaign"],
    );
    let (shown, summary) = statuses(&listed);
    assert_eq!(shown[1], ("declines", "approved"));
    assert_eq!(
        (summary["approved"].as_u64(), summary["declined"].as_u64()),
        (Some(2), Some(0))
    );
    terminate(service);
}

#[test]
fn invite_refuses_a_list_without_a_reference_column_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("list.csv"),
        "name,email\nTaro,taro@mail.example\n",
    )
    .unwrap();
    let output = kyc()
        .current_dir(dir.path())
        .args([
            "service",
            "invite",
            "--csv",
            "list.csv",
            "--fields",
            "given_name",
        ])
        .args(["--service", "https://bank.example", "--out-dir", "out"])
        .args(["--registry", "0x5FbDB2315678afecb367f032d93F642f64180aa3"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: invalid csv: the header row has no reference column\n"
    );
    assert!(!dir.path().join("out").exists());
}
