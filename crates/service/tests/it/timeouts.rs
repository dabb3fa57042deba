//! Slow clients (slowloris): headers or a body sent byte by byte, or nothing at all,
//! are cut off once the read timeouts pass, through a real TCP connection.

use std::time::{Duration, Instant};

use kyc_service::ReadTimeouts;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::fixtures::{TestService, FIELDS};

/// The timeout the tests configure, for the headers or the body.
const TIMEOUT: Duration = Duration::from_secs(1);
/// How long a slow client would go on: far past any bound the tests accept.
const SLOW_CLIENT_FOR: Duration = Duration::from_secs(60);
/// The longest a cut may take: the timeout, and slack for a loaded machine.
const CUT_WITHIN: Duration = Duration::from_secs(15);

async fn service_with(timeouts: ReadTimeouts) -> TestService {
    TestService::start_with(|config| config.read_timeouts = timeouts).await
}

/// Connects, writes `head` at once and then `trickle` one byte every 100 ms (going
/// round it again), and reads until the service closes the connection. Returns what
/// the service answered and when it closed, or `None` if it never did within
/// [`CUT_WITHIN`].
async fn slow_client(
    service: &TestService,
    head: &str,
    trickle: &[u8],
) -> Option<(String, Duration)> {
    let stream = TcpStream::connect(service.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let (head, trickle) = (head.as_bytes().to_vec(), trickle.to_vec());
    let started = Instant::now();
    let writing = tokio::spawn(async move {
        writer.write_all(&head).await?;
        for byte in trickle.iter().cycle() {
            if started.elapsed() > SLOW_CLIENT_FOR {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            writer.write_all(&[*byte]).await?;
        }
        // Silent, but with the connection open (dropping the writer would end it).
        tokio::time::sleep_until((started + SLOW_CLIENT_FOR).into()).await;
        drop(writer);
        std::io::Result::Ok(())
    });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(CUT_WITHIN, async {
        let mut buffer = [0u8; 4096];
        // A reset counts as a close.
        while let Ok(read @ 1..) = reader.read(&mut buffer).await {
            answer.extend_from_slice(&buffer[..read]);
        }
    })
    .await;
    let elapsed = started.elapsed();
    writing.abort();
    read.ok()
        .map(|()| (String::from_utf8_lossy(&answer).into_owned(), elapsed))
}

#[tokio::test]
async fn a_client_sending_its_headers_byte_by_byte_is_cut_off() {
    let service = service_with(ReadTimeouts {
        header: TIMEOUT,
        ..ReadTimeouts::default()
    })
    .await;
    let created = service.create_session(&FIELDS).await;
    for path in [
        format!("/r/{}/events", created.registration_id),
        "/v1/sessions".to_owned(),
    ] {
        let head = format!("GET {path} HTTP/1.1\r\nHost: bank.example\r\nX-Slow: ");
        let (answer, elapsed) = slow_client(&service, &head, b"abcdefgh")
            .await
            .unwrap_or_else(|| {
                panic!("{path}: a client sending its headers slowly is never cut off")
            });
        assert!(
            elapsed >= TIMEOUT,
            "{path}: cut off before the timeout: {elapsed:?}"
        );
        assert!(
            answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
            "{path}: {answer}"
        );
    }
    // A client that connects and says nothing is cut off too.
    let (_, elapsed) = slow_client(&service, "", b"")
        .await
        .expect("a silent client is never cut off");
    assert!(
        elapsed >= TIMEOUT,
        "cut off before the timeout: {elapsed:?}"
    );
}

#[tokio::test]
async fn a_client_that_never_finishes_its_body_is_cut_off() {
    let service = service_with(ReadTimeouts {
        body: TIMEOUT,
        ..ReadTimeouts::default()
    })
    .await;
    let created = service.create_session(&FIELDS).await;
    for route in ["submission", "withdrawal"] {
        let head = format!(
            "POST /v1/sessions/{}/{route} HTTP/1.1\r\nHost: bank.example\r\n\
             Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{{\"padding\":\"",
            created.registration_id
        );
        // One byte every 100 ms: never a pause as long as the timeout, never the end.
        let (answer, elapsed) = slow_client(&service, &head, b"x")
            .await
            .unwrap_or_else(|| panic!("{route}: a body trickling in is never cut off"));
        assert!(
            elapsed >= TIMEOUT,
            "{route}: cut off before the timeout: {elapsed:?}"
        );
        assert!(answer.starts_with("HTTP/1.1 408"), "{route}: {answer}");
        assert!(answer.contains("body_timeout"), "{route}: {answer}");
    }
    // A body that arrives in time is read as before.
    let path = format!("/v1/sessions/{}/submission", created.registration_id);
    let (status, verdict) = service.post(&path, None, "{}".to_owned()).await;
    assert_eq!(
        (status, verdict["reasons"][0].as_str()),
        (200, Some("malformed"))
    );
}
