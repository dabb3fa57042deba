//! `GET /r/{id}/events`: the session's status as server-sent events, for the page.
//!
//! Each event is `event: status` with a [`StatusEvent`] as data; a new one is sent
//! when the status changes, and the stream ends after a final status, once the session
//! is past its expiry, or at shutdown.
//! A change made in this process arrives at once; one made elsewhere (another
//! process on the same database) within [`POLL_EVERY`].

use std::{convert::Infallible, net::SocketAddr, sync::Arc, time::Duration};

use alloy_primitives::B256;
use axum::{
    extract::{ConnectInfo, Path, State},
    http::{request::Parts, StatusCode},
    response::sse::{Event, KeepAlive, Sse},
};
use futures_util::{stream, Stream};
use kyc_verifier::Store;
use tokio::sync::{broadcast, watch};
use tracing::warn;

use crate::{
    app::AppState, problem::Problem, rate_limit::client_ip, streams::StreamSlot, StatusEvent,
};

/// How often the store is read again without a change announced in this process.
const POLL_EVERY: Duration = Duration::from_secs(2);
/// How long a browser waits before reconnecting a dropped stream.
const RECONNECT_AFTER: Duration = Duration::from_secs(3);

/// The stream of a known session; 404 for an unknown one, 503 when the client or the
/// service has as many streams open as allowed.
pub(crate) async fn stream(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
    request: Parts,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, Problem> {
    let registration_id = super::registration_id(&id)?;
    let client = client_ip(
        state.config.client_ip,
        request
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip()),
        &request.headers,
    );
    let Some(slot) = state.streams.open(client) else {
        warn!(%client, "refused: too many open event streams");
        return Err(Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "too_many_streams",
        ));
    };
    let changes = state.changes.subscribe();
    let stopping = state.stopping.subscribe();
    let record = state.session(registration_id).await?;
    let watcher = Watcher {
        state,
        registration_id,
        changes,
        stopping,
        expires_at: record.session.expires_at,
        last: None,
        _slot: slot,
    };
    let events = stream::unfold(watcher, |mut watcher| async move {
        let event = watcher.next_change().await?;
        let sse = Event::default()
            .event("status")
            .retry(RECONNECT_AFTER)
            .json_data(&event)
            .ok()?;
        Some((Ok(sse), watcher))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::default()))
}

/// Watches one session for the stream.
struct Watcher {
    state: Arc<AppState>,
    registration_id: B256,
    changes: broadcast::Receiver<B256>,
    stopping: watch::Receiver<bool>,
    expires_at: u64,
    last: Option<StatusEvent>,
    /// Held while the stream is open.
    _slot: StreamSlot,
}

impl Watcher {
    /// The next status that differs from the last one sent; `None` to end the stream.
    async fn next_change(&mut self) -> Option<StatusEvent> {
        if self
            .last
            .as_ref()
            .is_some_and(|last| last.status.is_final())
        {
            return None;
        }
        loop {
            if *self.stopping.borrow() {
                return None;
            }
            let now = super::unix_now();
            match self
                .state
                .verifier
                .store()
                .session(self.registration_id)
                .await
            {
                Ok(Some(record)) => {
                    let event = StatusEvent::of(&record, now);
                    if self.last.as_ref() != Some(&event) {
                        self.last = Some(event.clone());
                        return Some(event);
                    }
                    // A declined session stays open to an answer until its expiry only.
                    if record.session.is_expired(now) {
                        return None;
                    }
                }
                Ok(None) => return None,
                Err(err) => {
                    warn!(registration_id = %self.registration_id, %err, "cannot read the session for its page")
                }
            }
            self.wait(now).await;
        }
    }

    /// Waits for a change announced for this session, the next poll, the expiry, or shutdown.
    async fn wait(&mut self, now: u64) {
        let until_expiry = Duration::from_secs(self.expires_at.saturating_sub(now) + 1);
        let sleep = tokio::time::sleep(POLL_EVERY.min(until_expiry));
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = &mut sleep => return,
                _ = self.stopping.changed() => return,
                changed = self.changes.recv() => match changed {
                    Ok(id) if id != self.registration_id => continue,
                    // This session, or announcements were missed: read the store again.
                    Ok(_) | Err(_) => return,
                },
            }
        }
    }
}
