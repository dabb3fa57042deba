//! `kyc service serve`: the binary serves, answers the backend, and stops gracefully
//! on SIGTERM; bad settings are one line on standard error.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use kyc_test_utils::Devnet;
use serde_json::Value;

use crate::util::{kyc, stderr};

pub(crate) const TOKEN: &str = "serve-test-token-0123456789";

/// `kyc service serve` with the chain, registry, database, policy and token file set;
/// `settings` replace options by name (an empty value leaves the option out).
pub(crate) fn serve(devnet: &Devnet, dir: &Path, port: u16, settings: &[(&str, &str)]) -> Command {
    let (policy, token) = (dir.join("policy.toml"), dir.join("token"));
    std::fs::write(&policy, "required_evidence = [\"document\"]\n").unwrap();
    std::fs::write(&token, format!("{TOKEN}\n")).unwrap();
    let mut options = vec![
        ("--listen", format!("127.0.0.1:{port}")),
        ("--service", format!("http://127.0.0.1:{port}")),
        ("--name", "Example Bank".to_owned()),
        ("--policy", policy.display().to_string()),
        ("--token-file", token.display().to_string()),
    ];
    for (name, value) in settings {
        options.retain(|(option, _)| option != name);
        if !value.is_empty() {
            options.push((name, (*value).to_owned()));
        }
    }
    let mut command = kyc();
    command.args(["service", "serve"]);
    for (name, value) in options {
        command.arg(name).arg(value);
    }
    command
        .env("ETH_RPC_URL", devnet.anvil.endpoint())
        .env("KYC_REGISTRY", devnet.registry.to_string())
        .env(
            "KYC_DATABASE_URL",
            format!("sqlite://{}", dir.join("service.db").display()),
        );
    command
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One HTTP/1.0 request; returns the status and the body.
pub(crate) fn request(port: u16, head: &str, body: &str) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    write!(
        stream,
        "{head}\r\nHost: 127.0.0.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// Sends SIGTERM to a child of this test and waits for it to exit.
pub(crate) fn terminate(mut child: Child) -> std::process::Output {
    let sent = Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            panic!("kyc service serve did not stop within 10 seconds of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

/// Waits until the service on `port` answers its health check.
pub(crate) fn wait_until_up(port: u16) {
    let started = Instant::now();
    while !matches!(request(port, "GET /healthz HTTP/1.0", ""), Ok((200, ref body)) if body == "ok")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the service did not come up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test]
async fn serve_answers_and_stops_gracefully_on_sigterm() {
    let devnet = Devnet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = serve(&devnet, dir.path(), port, &[])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_up(port);
    let (status, body) = request(
        port,
        &format!("POST /v1/sessions HTTP/1.0\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json"),
        r#"{"fields":["given_name"]}"#,
    )
    .unwrap();
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let page = created["page_url"].as_str().unwrap();
    assert!(
        page.starts_with(&format!("http://127.0.0.1:{port}/r/0x")),
        "{page}"
    );
    let (status, _) = request(port, "POST /v1/sessions HTTP/1.0", "{}").unwrap();
    assert_eq!(status, 401);

    let output = terminate(child);
    let log = stderr(&output);
    assert!(output.status.success(), "{log}");
    assert!(
        log.contains("listening")
            && log.contains("session opened")
            && log.contains("shutting down"),
        "{log}"
    );
    assert!(log.contains(created["registration_id"].as_str().unwrap()));
}

#[tokio::test]
async fn serve_limits_each_client_to_the_rate_it_is_given() {
    let devnet = Devnet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let settings = [("--rate-limit-burst", "3"), ("--rate-limit-every", "1h")];
    let child = serve(&devnet, dir.path(), port, &settings)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until_up(port);
    let page = format!("GET /r/0x{} HTTP/1.0", "ab".repeat(32));
    let statuses: Vec<u16> = (0..4)
        .map(|_| request(port, &page, "").unwrap().0)
        .collect();
    assert_eq!(statuses, [404, 404, 404, 429]);
    // The backend's routes are not rate limited.
    let (status, _) = request(port, "POST /v1/sessions HTTP/1.0", "{}").unwrap();
    assert_eq!(status, 401);
    let output = terminate(child);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[tokio::test]
async fn serve_refuses_bad_settings_in_one_line() {
    let devnet = Devnet::start().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let weak = dir.path().join("weak");
    std::fs::write(&weak, "short\n").unwrap();
    let weak = weak.display().to_string();
    let cases = [
        (
            ("--token-file", weak.as_str()),
            "the api token must be at least 16 bytes long, got 5",
        ),
        (
            ("--token-file", ""),
            "no api token: give --token-file FILE or set KYC_SERVICE_TOKEN",
        ),
        (
            ("--token-file", "/nonexistent/token"),
            "cannot read the token file /nonexistent/token",
        ),
        (
            ("--service", "https://bank.example/kyc"),
            "is not scheme://host[:port]",
        ),
        (
            ("--retention", "0s"),
            "the retention period must be at least one second",
        ),
        (
            ("--policy", "/nonexistent/policy.toml"),
            "cannot read /nonexistent/policy.toml",
        ),
        (("--name", "Bank\u{7}"), "make no valid registration code"),
        (
            ("--rate-limit-burst", "0"),
            "the rate limit needs a burst of at least 1",
        ),
        (
            ("--rate-limit-every", "0s"),
            "and a refill interval above zero",
        ),
    ];
    for (setting, expected) in cases {
        let output = serve(&devnet, dir.path(), port, &[setting])
            .output()
            .unwrap();
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "{setting:?}: {message}");
        assert_eq!(message.lines().count(), 1, "{setting:?}: {message}");
        assert!(
            message.starts_with("error: ") && message.contains(expected),
            "{setting:?}: {message}"
        );
    }
}
