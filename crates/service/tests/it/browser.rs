//! Headless Chromium opens the customer's page on a phone-sized screen (390 pixels
//! wide): nothing overflows, the QR code on screen decodes to the session's URI, the
//! "Open in your wallet" link carries the same URI, the check code is large and the
//! full ID folded away; the person declines, and the page shows it without a reload;
//! then a wallet answers after all, and the page shows "Verified" and what happens next. Screenshots are kept in `target/browser-artifacts/`.
//!
//! One Chromium runs with a DevTools port, driven over its websocket protocol. The
//! test is skipped, with a notice, where `/usr/bin/chromium` is missing; `scripts/test`
//! installs it.

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use base64::Engine as _;
use serde_json::{json, Value};
use tempfile::TempDir;
use tungstenite::{stream::MaybeTlsStream, Message, WebSocket};

use crate::fixtures::{unix_now, TestService, FIELDS};

const CHROMIUM: &str = "/usr/bin/chromium";
/// A common phone's width in CSS pixels.
const PHONE_WIDTH: u32 = 390;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_a_phone_the_page_shows_the_code_and_turns_verified_without_a_reload() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("{CHROMIUM} is missing: skipping the browser test (scripts/test installs it)");
        return;
    }
    let service = TestService::start().await;
    let created = service.create_session(&FIELDS).await;
    let browser = Browser::launch(&created.page_url);
    let mut page = browser.page(&created.page_url).await;
    page.call(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": PHONE_WIDTH, "height": 844, "deviceScaleFactor": 1, "mobile": true }),
    );
    page.call("Page.reload", json!({}));

    page.wait_for(
        "the page to load",
        "document.readyState === 'complete' && !!document.getElementById('status')",
    );
    assert_eq!(page.eval("window.innerWidth"), json!(PHONE_WIDTH));
    assert_eq!(
        page.eval("document.documentElement.scrollWidth <= window.innerWidth"),
        json!(true),
        "the page is wider than the phone: {}",
        page.eval("document.documentElement.scrollWidth")
    );
    // Every element fits inside the screen.
    let overflowing = page.eval(
        "Array.from(document.querySelectorAll('body *')).filter(function(e){\
         var r=e.getBoundingClientRect();return r.width>0&&(r.left<0||r.right>window.innerWidth);})\
         .map(function(e){return e.tagName+'#'+e.id;})",
    );
    assert_eq!(overflowing, json!([]), "elements overflow the screen");
    let code = kyc_core::check_code::check_code(&created.registration_id);
    assert_eq!(
        page.eval("document.getElementById('check-code').textContent"),
        json!(code)
    );
    let code_size =
        page.eval("parseFloat(getComputedStyle(document.getElementById('check-code')).fontSize)");
    assert!(
        code_size.as_f64().unwrap() >= 32.0,
        "a large check code: {code_size}"
    );
    assert_eq!(
        page.eval("document.getElementById('details').open"),
        json!(false),
        "the full ID is folded away"
    );
    assert_eq!(
        page.eval("document.getElementById('open-in-wallet').getAttribute('href')"),
        json!(created.uri),
        "the link carries the code's URI"
    );
    let text = page.eval("document.body.textContent");
    let text = text.as_str().unwrap();
    for said in [
        "asks to check your identity",
        "Asked for",
        "This code works until",
    ] {
        assert!(text.contains(said), "{said:?} in {text}");
    }
    assert_eq!(
        page.eval("document.getElementById('status').dataset.status"),
        "pending"
    );
    page.eval("window.loadedOnce = 'yes'");
    let pending = page.screenshot("page-phone-pending.png");
    let scanned = kyc_wallet::scan::decode_qr_image(&pending).unwrap();
    assert_eq!(
        scanned, created.uri,
        "the code on screen is the session's URI"
    );
    let shown_id = page.eval("document.getElementById('registration-id').textContent");
    assert_eq!(shown_id, json!(created.registration_id.to_string()));

    // The person first says no with the wallet: the page shows it, and stays live.
    let code = kyc_wallet::scan::read_code(&scanned, unix_now()).unwrap();
    let client = kyc_wallet::http::ServiceClient::new().unwrap();
    kyc_wallet::decline::decline(&client, &code, unix_now())
        .await
        .unwrap();
    page.wait_for(
        "the page to show declined",
        "document.getElementById('status').dataset.status === 'declined'",
    );
    assert_eq!(
        page.eval("document.getElementById('status').textContent"),
        "Declined"
    );
    let next = page.eval("document.getElementById('next').textContent");
    assert!(
        next.as_str()
            .unwrap()
            .starts_with("The request was declined: nothing was sent."),
        "{next}"
    );
    page.screenshot("page-phone-declined.png");

    // The wallet answers the code it scanned from the screen after all.
    let (_, verdict) = service.submit(&service.submission(&scanned, &FIELDS)).await;
    assert_eq!(verdict["outcome"], "approved");

    page.wait_for(
        "the page to show verified",
        "document.getElementById('status').dataset.status === 'verified'",
    );
    assert_eq!(
        page.eval("document.getElementById('status').textContent"),
        "Verified"
    );
    assert_eq!(
        page.eval("window.loadedOnce"),
        "yes",
        "the page was not reloaded"
    );
    let next = page.eval("document.getElementById('next').textContent");
    assert!(
        next.as_str()
            .unwrap()
            .starts_with("Done: your identity is confirmed."),
        "{next}"
    );
    assert_eq!(
        page.eval("document.documentElement.scrollWidth <= window.innerWidth"),
        json!(true)
    );
    page.eval("document.getElementById('next').scrollIntoView(false)");
    page.screenshot("page-phone-verified.png");
}

/// A headless Chromium with a fresh profile; killed on drop.
struct Browser {
    child: Child,
    port: u16,
    _profile: TempDir,
}

impl Browser {
    fn launch(url: &str) -> Self {
        let profile = tempfile::tempdir().unwrap();
        let child = Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--window-size=800,1300",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Chromium writes the port it chose into the profile.
        let port_file = profile.path().join("DevToolsActivePort");
        let started = Instant::now();
        let port = loop {
            let port = std::fs::read_to_string(&port_file)
                .ok()
                .and_then(|text| text.lines().next()?.parse().ok());
            if let Some(port) = port {
                break port;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "chromium did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        Self {
            child,
            port,
            _profile: profile,
        }
    }

    /// A DevTools connection to the tab showing `url`.
    async fn page(&self, url: &str) -> DevTools {
        let list = format!("http://127.0.0.1:{}/json/list", self.port);
        let started = Instant::now();
        let socket_url = loop {
            let targets: Value = reqwest::get(&list).await.unwrap().json().await.unwrap();
            let found = targets.as_array().unwrap().iter().find(|target| {
                target["type"] == "page"
                    && target["url"].as_str().is_some_and(|at| at.starts_with(url))
            });
            if let Some(target) = found {
                break target["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no tab shows {url}: {targets}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let (socket, _) = tungstenite::connect(socket_url).unwrap();
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
        }
        DevTools { socket, next_id: 1 }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The DevTools protocol over one tab's websocket.
struct DevTools {
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    next_id: u64,
}

impl DevTools {
    /// Sends a command and returns its result, skipping the events in between.
    fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let command = json!({ "id": id, "method": method, "params": params });
        tokio::task::block_in_place(|| {
            self.socket
                .send(Message::text(command.to_string()))
                .unwrap();
            loop {
                let Message::Text(text) = self.socket.read().unwrap() else {
                    continue;
                };
                let answer: Value = serde_json::from_str(&text).unwrap();
                if answer["id"] == id {
                    assert!(answer.get("error").is_none(), "{method}: {answer}");
                    return answer["result"].clone();
                }
            }
        })
    }

    /// The value of a JavaScript expression in the page.
    fn eval(&mut self, expression: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": expression, "returnByValue": true }),
        );
        assert!(
            result.get("exceptionDetails").is_none(),
            "{expression}: {result}"
        );
        result["result"]["value"].clone()
    }

    /// Waits up to 20 seconds for `condition` to be true in the page.
    fn wait_for(&mut self, what: &str, condition: &str) {
        let started = Instant::now();
        while self.eval(condition) != json!(true) {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "timed out waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A PNG of the page, also written to `target/browser-artifacts/{name}`.
    fn screenshot(&mut self, name: &str) -> Vec<u8> {
        let result = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(result["data"].as_str().unwrap())
            .unwrap();
        let dir = artifacts_dir();
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), &png).unwrap();
        png
    }
}

/// `target/browser-artifacts`, beside the test's temporary directory in the target directory.
fn artifacts_dir() -> PathBuf {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-artifacts")
}
