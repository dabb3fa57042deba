//! The page a customer sees: the QR code, the registration ID to compare with the
//! wallet, who asks for which fields, and the status, kept live by a few lines of
//! inline script reading the event stream. No external asset is loaded.

use std::{
    sync::{Arc, LazyLock},
    time::{Duration, UNIX_EPOCH},
};

use axum::{
    extract::{Path, State},
    http::{header, StatusCode},
    response::{Html, IntoResponse, Response},
};
use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use kyc_verifier::{qr, SessionRecord};
use sha2::{Digest, Sha256};

use crate::{app::AppState, problem::Problem, routes, StatusEvent};

const STYLE: &str = "\
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;\
background:#f4f5f7;color:#1b1f24}\
main{max-width:34rem;margin:1.5rem auto;padding:1.5rem 2rem;background:#fff;border-radius:12px;\
box-shadow:0 1px 4px rgba(0,0,0,.12);text-align:center}\
h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:.8rem;text-transform:uppercase;letter-spacing:.08em;\
color:#59636e;margin:1.2rem 0 .4rem}\
.origin{color:#59636e;margin:0 0 .8rem;font-family:ui-monospace,'DejaVu Sans Mono',monospace}\
.qr svg{width:300px;height:300px;display:block;margin:.4rem auto;shape-rendering:crispEdges}\
.rid{font:600 1.35rem/1.5 ui-monospace,'DejaVu Sans Mono',monospace;margin:0;display:grid;\
grid-template-columns:repeat(4,auto);justify-content:center;justify-items:end;column-gap:.7rem}\
.rid small{font-size:.8em;color:#59636e}\
ul{list-style:none;padding:0;margin:0}li{display:inline-block;margin:.15rem;padding:.15rem .55rem;\
border-radius:6px;background:#eef1f4;font-family:ui-monospace,'DejaVu Sans Mono',monospace}\
.status{font-size:1.5rem;font-weight:700;margin:1.2rem 0 .3rem;padding:.6rem;border-radius:8px;\
background:#eef1f4}\
.status.verified{background:#dcf5e3;color:#13622d}.status.refused,.status.expired{background:#fde2e1;\
color:#8e1b14}.status.review,.status.withdrawn{background:#fff1cc;color:#6b4e00}\
.reasons{font-family:ui-monospace,'DejaVu Sans Mono',monospace;color:#8e1b14;min-height:1.2em;margin:0}\
.hint,.expires{color:#59636e;font-size:.9rem;margin:.3rem 0}";

const SCRIPT: &str = "\
(function(){var s=document.getElementById('status'),r=document.getElementById('reasons');\
if(!window.EventSource)return;var e=new EventSource(document.body.dataset.events);\
e.addEventListener('status',function(m){var d=JSON.parse(m.data);s.textContent=d.label;\
s.dataset.status=d.status;s.className='status '+d.status;\
r.textContent=d.reasons.length?'Reasons: '+d.reasons.join(', '):'';\
if(d.status!=='pending')e.close();});})();";

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
    // 0x and eight groups of eight digits, four to a line, easy to compare by eye.
    let digits = id.strip_prefix("0x").unwrap_or(&id);
    let id_groups: String = digits
        .as_bytes()
        .chunks(8)
        .enumerate()
        .map(|(index, group)| {
            let prefix = if index == 0 { "<small>0x</small>" } else { "" };
            format!("<span>{prefix}{}</span>", String::from_utf8_lossy(group))
        })
        .collect();
    let fields: String = session
        .fields
        .iter()
        .map(|field| format!("<li>{}</li>", escape(field)))
        .collect();
    let reasons = match status.reasons.is_empty() {
        true => String::new(),
        false => {
            let codes: Vec<&str> = status.reasons.iter().map(|reason| reason.code()).collect();
            format!("Reasons: {}", codes.join(", "))
        }
    };
    let expires =
        humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(session.expires_at));
    // The SVG document's XML declaration has no place inside HTML.
    let svg = svg.find("<svg").map_or(svg, |start| &svg[start..]);
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{name}: identity check</title><style>{STYLE}</style></head>\
<body data-events=\"{id}/events\"><main>\
<h1>{name}</h1><p class=\"origin\">{origin}</p>\
<p>asks to check your identity with KYC Anchor. Scan this code with your wallet.</p>\
<div class=\"qr\" id=\"qr\">{svg}</div>\
<h2>Registration ID</h2><p class=\"rid\" id=\"registration-id\">{id_groups}</p>\
<p class=\"hint\">Your wallet shows the same ID: check that they match before you consent.</p>\
<h2>Asked for</h2><ul id=\"fields\">{fields}</ul>\
<p id=\"status\" class=\"status {status_class}\" data-status=\"{status_class}\" role=\"status\" \
aria-live=\"polite\">{label}</p><p id=\"reasons\" class=\"reasons\">{reasons}</p>\
<p class=\"expires\">The code expires at {expires}.</p>\
</main><script>{SCRIPT}</script></body></html>\n",
        name = escape(&session.name),
        origin = escape(&session.service),
        status_class = status.status.code(),
        label = escape(status.label),
    )
}

/// Escapes text for HTML element content and quoted attribute values.
fn escape(text: &str) -> String {
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
    }

    #[test]
    fn the_policy_allows_exactly_the_inline_script_and_style() {
        let policy = CONTENT_SECURITY_POLICY.as_str();
        assert!(policy.contains(&csp_hash(SCRIPT)) && policy.contains(&csp_hash(STYLE)));
        assert!(policy.starts_with("default-src 'none'"));
    }
}
