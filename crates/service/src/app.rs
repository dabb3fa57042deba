//! The service: its shared state and its routes.

use std::sync::Arc;

use alloy_primitives::B256;
use axum::{extract::DefaultBodyLimit, middleware, Router};
use kyc_verifier::{
    inspect::MAX_SUBMISSION_BYTES, AnyStore, GroupCommit, Session, SessionRecord, SessionRequest,
    Store, Verifier,
};
use tokio::sync::{broadcast, watch, Notify};

use crate::{
    auth,
    openapi::{self, Routes},
    page,
    problem::Problem,
    rate_limit::{self, RateLimiter},
    routes, server,
    streams::StreamSlots,
    Error, Result, ServiceConfig,
};

/// How many session changes may queue for a slow page before it re-reads the store.
const CHANGES_CAPACITY: usize = 1024;

/// What every request handler shares.
#[derive(Debug)]
pub(crate) struct AppState {
    pub(crate) verifier: Verifier<AnyStore>,
    pub(crate) config: ServiceConfig,
    pub(crate) limiter: RateLimiter,
    /// The open page event streams.
    pub(crate) streams: Arc<StreamSlots>,
    /// The registration IDs whose status may have changed, for the pages that watch them.
    pub(crate) changes: broadcast::Sender<B256>,
    /// Becomes `true` when the service shuts down, so open event streams end.
    pub(crate) stopping: watch::Sender<bool>,
    /// Takes the answers sent to sessions, recording submissions' verdicts in groups.
    pub(crate) answers: GroupCommit<AnyStore>,
    /// Wakes the webhook deliverer when an event was recorded in this process.
    pub(crate) outbox_ready: Notify,
}

impl AppState {
    /// The session of `registration_id`; 404 for an unknown one.
    pub(crate) async fn session(&self, registration_id: B256) -> Result<SessionRecord, Problem> {
        self.verifier
            .store()
            .session(registration_id)
            .await?
            .ok_or_else(Problem::unknown_registration)
    }

    /// Tells the pages watching `registration_id` to read its status again, and the
    /// webhook deliverer to read the outbox.
    pub(crate) fn announce_change(&self, registration_id: B256) {
        // No receiver just means no page is open.
        let _ = self.changes.send(registration_id);
        self.outbox_ready.notify_one();
    }
}

/// The HTTP service over a verifier: build it, then [`serve`](Service::serve) it, or
/// take its [`router`](Service::router) into an application of your own.
#[derive(Clone, Debug)]
pub struct Service {
    pub(crate) state: Arc<AppState>,
}

impl Service {
    /// A service over `verifier`, after checking the configuration, including that
    /// its origin and name make a valid registration code.
    pub fn new(verifier: Verifier<AnyStore>, config: ServiceConfig) -> Result<Self> {
        config.check()?;
        let mut trial = SessionRequest::new(config.service.clone(), Vec::new());
        trial.name = config.name.clone();
        Session::open(trial, verifier.chain_id(), verifier.registry(), 0)
            .map_err(Error::InvalidCode)?;
        let (changes, _) = broadcast::channel(CHANGES_CAPACITY);
        let (stopping, _) = watch::channel(false);
        Ok(Self {
            state: Arc::new(AppState {
                answers: GroupCommit::new(verifier.clone()),
                verifier,
                limiter: RateLimiter::new(config.rate_limit),
                streams: StreamSlots::new(config.event_streams),
                config,
                changes,
                stopping,
                outbox_ready: Notify::new(),
            }),
        })
    }

    /// Every route, with the token check on the backend's, the per-client rate limit on
    /// the wallets' and the public pages', a body size limit and read deadline, and a log
    /// line per request.
    pub fn router(&self) -> Router {
        self.build().0
    }

    /// The routes the service serves, as (method, path) with `{name}` for a path
    /// parameter: what `/openapi.json` describes.
    pub fn routes(&self) -> Vec<(&'static str, &'static str)> {
        self.build().1
    }

    fn build(&self) -> (Router, Vec<(&'static str, &'static str)>) {
        let state = self.state.clone();
        let backend = Routes::new()
            .post("/v1/sessions", routes::sessions::create)
            .get("/v1/sessions/{id}", routes::sessions::show)
            .post("/v1/invitations", routes::invitations::create)
            .get("/v1/invitations", routes::invitations::list)
            .get("/v1/customers/{subject}", routes::customers::show)
            .delete("/v1/customers/{subject}", routes::customers::end)
            .get("/v1/webhooks/deliveries", routes::webhooks::list)
            .post(
                "/v1/webhooks/deliveries/{id}/retry",
                routes::webhooks::retry,
            );
        let wallets = Routes::new()
            .post("/v1/sessions/{id}/submission", routes::submission::submit)
            .post("/v1/sessions/{id}/withdrawal", routes::withdrawal::withdraw);
        let pages = Routes::new()
            .get("/r/{id}", page::show)
            .get("/r/{id}/qr.svg", page::qr_svg)
            .get("/r/{id}/events", routes::events::stream);
        let open = Routes::new()
            .get("/healthz", routes::health)
            .get("/openapi.json", openapi::document);
        let served = [
            &backend.served,
            &wallets.served,
            &pages.served,
            &open.served,
        ]
        .into_iter()
        .flatten()
        .copied()
        .collect();
        let router = backend
            .router
            .route_layer(middleware::from_fn_with_state(
                state.clone(),
                auth::require_token,
            ))
            .merge(wallets.router.route_layer(middleware::from_fn_with_state(
                state.clone(),
                rate_limit::limit_clients,
            )))
            .merge(pages.router.route_layer(middleware::from_fn_with_state(
                state.clone(),
                rate_limit::limit_clients,
            )))
            .merge(open.router)
            .layer(DefaultBodyLimit::max(MAX_SUBMISSION_BYTES))
            .layer(middleware::from_fn_with_state(
                self.state.config.read_timeouts.body,
                server::limit_body_time,
            ))
            .layer(middleware::from_fn(server::log_request))
            .with_state(state);
        (router, served)
    }
}
