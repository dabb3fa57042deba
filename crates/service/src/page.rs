//! The page a customer sees, on a desk or a phone: who asks for which fields until
//! when, the QR code and an "Open in your wallet" link with the same URI, the six-digit
//! check code to compare with the wallet (the full registration ID folded away), and
//! the status with what happens next, kept live by a few lines of inline script
//! reading the event stream. No external asset is loaded.

use std::sync::{Arc, LazyLock};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use kyc_core::{age::age_threshold, check_code::check_code};
use kyc_verifier::{qr, SessionRecord, SessionStatus};
use sha2::{Digest, Sha256};

use crate::{app::AppState, problem::Problem, routes, StatusEvent};

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
background:#f4f5f7;color:#1b1f24;line-height:1.4}\
main{max-width:34rem;margin:1.5rem auto;padding:1.5rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.12);text-align:center;overflow-wrap:anywhere}\
@media (max-width:480px){main{margin:0;border-radius:0;box-shadow:none;padding:1rem}}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.08em;\
color:#59636e;margin:1.2rem 0 .4rem}\
.origin{color:#59636e;margin:0 0 .8rem;font-family:ui-monospace,'DejaVu Sans Mono',monospace}\
.qr svg{width:100%;max-width:300px;height:auto;display:block;margin:.4rem auto;shape-rendering:crispEdges}\
.open{display:inline-block;margin:.4rem 0;padding:.7rem 1.2rem;border-radius:8px;background:#1d4ed8;\
color:#fff;font-weight:600;text-decoration:none}\
.code{font:700 2.6rem/1.2 ui-monospace,'DejaVu Sans Mono',monospace;letter-spacing:.05em;margin:.2rem 0}\
details{margin:.4rem 0;color:#59636e;font-size:.85rem}summary{cursor:pointer}\
.rid{font-family:ui-monospace,'DejaVu Sans Mono',monospace;word-break:break-all;margin:.4rem 0}\
ul{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;justify-content:center;gap:.3rem}\
li{padding:.15rem .55rem;border-radius:6px;background:#eef1f4}\
.status{font-size:1.5rem;font-weight:700;margin:1.2rem 0 .3rem;padding:.6rem;border-radius:8px;\
background:#eef1f4}\
.status.verified{background:#dcf5e3;color:#13622d}.status.refused,.status.expired{background:#fde2e1;\
color:#8e1b14}.status.review,.status.withdrawn,.status.declined{background:#fff1cc;color:#6b4e00}\
.next{margin:.3rem 0}\
.reasons{font-family:ui-monospace,'DejaVu Sans Mono',monospace;color:#8e1b14;min-height:1.2em;margin:0}\
.hint,.expires{color:#59636e;font-size:.9rem;margin:.3rem 0}";

const SCRIPT: &str = "\
(function(){var s=document.getElementById('status'),r=document.getElementById('reasons'),\
n=document.getElementById('next');\
if(!window.EventSource)return;var e=new EventSource(document.body.dataset.events);\
e.addEventListener('status',function(m){var d=JSON.parse(m.data);s.textContent=d.label;\
s.dataset.status=d.status;s.className='status '+d.status;\
n.textContent=n.getAttribute('data-'+d.status)||'';\
r.textContent=d.reasons.length?'Reasons: '+d.reasons.join(', '):'';\
if(d.status!=='pending'&&(d.status!=='declined'||Date.now()/1e3>+document.body.dataset.expires))\
e.close();});})();";

/// What happens next, in plain words, for each status the page can show.
const NEXT_STEPS: [(SessionStatus, &str); 7] = [
    (
        SessionStatus::Pending,
        "Scan the code with your wallet app, or open it on this phone. \
Agree only if your wallet shows the same check code.",
    ),
    (
        SessionStatus::Verified,
        "Done: your identity is confirmed. You can close this page and carry on with the service.",
    ),
    (
        SessionStatus::Review,
        "Received. A person at the service will look at your answer and get back to you. \
You can close this page.",
    ),
    (
        SessionStatus::Refused,
        "Your identity could not be confirmed with this answer. Nothing was kept. \
Ask the service for a new code to try again.",
    ),
    (
        SessionStatus::Expired,
        "This code has expired. Ask the service for a new one.",
    ),
    (
        SessionStatus::Withdrawn,
        "You withdrew your consent: the service has deleted what you sent.",
    ),
    (
        SessionStatus::Declined,
        "The request was declined: nothing was sent. If you change your mind, or did not \
decline it, you can still answer with your wallet until the code expires.",
    ),
];

/// The page's Content-Security-Policy: only its own inline style and script, and
/// event streams from its own origin.
static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| {
    format!(
        "default-src 'none'; style-src '{}'; script-src '{}'; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        csp_hash(STYLE),
        csp_hash(SCRIPT)
    )
});

fn csp_hash(source: &str) -> String {
    format!(
        "sha256-{}",
        BASE64.encode(Sha256::digest(source.as_bytes()))
    )
}

/// `GET /r/{id}`: the page of a known session; a short page with 404 otherwise.
pub(crate) async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Response {
    let record = match find(&state, &id).await {
        Ok(record) => record,
        Err(problem) => return error_page(problem.status()),
    };
    let svg = match qr::render_svg(&record.session.uri().to_uri_string()) {
        Ok(svg) => svg,
        Err(err) => return error_page(Problem::from(err).status()),
    };
    let html = render(&record, &svg, &StatusEvent::of(&record, routes::unix_now()));
    (
        [
            (
                header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY.as_str(),
            ),
            (header::CACHE_CONTROL, "no-store"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        Html(html),
    )
        .into_response()
}

/// `GET /r/{id}/qr.svg`: the QR code alone.
pub(crate) async fn qr_svg(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    let record = find(&state, &id).await?;
    let svg = qr::render_svg(&record.session.uri().to_uri_string())?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

/// A short page for a customer who cannot be shown a session.
fn error_page(status: StatusCode) -> Response {
    let text = match status {
        StatusCode::SERVICE_UNAVAILABLE => {
            "The service is unavailable. Please try again in a moment."
        }
        StatusCode::INTERNAL_SERVER_ERROR => "Something went wrong on our side.",
        _ => "This registration code is unknown. Ask for a new one.",
    };
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>Identity check</title><style>{STYLE}</style></head><body><main>\
<h1>Identity check</h1><p class=\"status refused\">{text}</p></main></body></html>\n"
    );
    (
        status,
        [
            (
                header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY.as_str(),
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

async fn find(state: &AppState, id: &str) -> Result<SessionRecord, Problem> {
    let registration_id = routes::registration_id(id)?;
    state.session(registration_id).await
}

/// The page's HTML, every value escaped.
fn render(record: &SessionRecord, svg: &str, status: &StatusEvent) -> String {
    let session = &record.session;
    let id = session.registration_id.to_string();
    let fields: String = session
        .fields
        .iter()
        .map(|field| match age_threshold(field) {
            Ok(Some(age)) => format!("<li>over {age} (yes or no only)</li>"),
            _ => format!("<li>{}</li>", escape(field)),
        })
        .collect();
    let reasons = match status.reasons.is_empty() {
        true => String::new(),
        false => {
            let codes: Vec<&str> = status.reasons.iter().map(|reason| reason.code()).collect();
            format!("Reasons: {}", codes.join(", "))
        }
    };
    let next_steps: String = NEXT_STEPS
        .iter()
        .map(|(status, text)| format!(" data-{}=\"{}\"", status.code(), escape(text)))
        .collect();
    let next = NEXT_STEPS
        .iter()
        .find(|(shown, _)| *shown == status.status)
        .map_or("", |(_, text)| text);
    // 2026-11-30T14:32:00Z as 2026-11-30 14:32 UTC.
    let expires = kyc_core::time::format_time(session.expires_at);
    let expires = format!("{} {} UTC", &expires[..10], &expires[11..16]);
    // The SVG document's XML declaration has no place inside HTML.
    let svg = svg.find("<svg").map_or(svg, |start| &svg[start..]);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{name}: identity check</title><style>{STYLE}</style></head>\
<body data-events=\"{id}/events\" data-expires=\"{expires_at}\"><main>\
<h1>{name}</h1><p class=\"origin\">{origin}</p>\
<p>asks to check your identity with KYC Anchor. Scan this code with your wallet app.</p>\
<div class=\"qr\" id=\"qr\">{svg}</div>\
<a class=\"open\" id=\"open-in-wallet\" href=\"{uri}\">Open in your wallet</a>\
<h2>Check code</h2><p class=\"code\" id=\"check-code\">{check_code}</p>\
<p class=\"hint\">Your wallet shows the same six digits: check that they match before you agree.</p>\
<details id=\"details\"><summary>Full registration ID</summary>\
<p class=\"rid\" id=\"registration-id\">{id}</p></details>\
<h2>Asked for</h2><ul id=\"fields\">{fields}</ul>\
<p class=\"expires\">This code works until {expires}.</p>\
<p id=\"status\" class=\"status {status_class}\" data-status=\"{status_class}\" role=\"status\" \
aria-live=\"polite\">{label}</p><p id=\"next\" class=\"next\"{next_steps}>{next}</p>\
<p id=\"reasons\" class=\"reasons\">{reasons}</p>\
</main><script>{SCRIPT}</script></body></html>\n",
        name = escape(&session.name),
        origin = escape(&session.service),
        uri = escape(&session.uri().to_uri_string()),
        check_code = check_code(&session.registration_id),
        status_class = status.status.code(),
        expires_at = session.expires_at,
        label = escape(status.label),
        next = escape(next),
    )
}

/// Escapes text for HTML element content and quoted attribute values; control and
/// bidirectional formatting characters are shown as visible escapes, never passed on.
fn escape(text: &str) -> String {
    let text = kyc_core::text::printable(text);
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<b>\"Bank\" & 'Co'</b>"),
            "&lt;b&gt;&quot;Bank&quot; &amp; &#39;Co&#39;&lt;/b&gt;"
        );
        assert_eq!(escape("Bank\u{1b}[2K\u{202e}"), "Bank\\u{1b}[2K\\u{202e}");
    }

    #[test]
    fn every_status_says_what_happens_next() {
        for status in [
            SessionStatus::Pending,
            SessionStatus::Verified,
            SessionStatus::Review,
            SessionStatus::Refused,
            SessionStatus::Expired,
            SessionStatus::Withdrawn,
            SessionStatus::Declined,
        ] {
            assert!(
                NEXT_STEPS.iter().any(|(shown, _)| *shown == status),
                "{status}"
            );
        }
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let policy = CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.contains(&csp_hash(SCRIPT)) && policy.contains(&csp_hash(STYLE)));
        assert!(policy.starts_with("default-src 'none'"));
    }
}
