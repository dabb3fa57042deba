//! Serving: the listening loop with graceful shutdown, the retention task, and a
//! log line per request.

use std::{future::Future, net::SocketAddr, time::Instant};

use axum::{extract::Request, middleware::Next, response::Response};
use tokio::net::TcpListener;
use tracing::info;

use crate::{monitor, retention, webhooks, Error, Result, Service};

impl Service {
    /// Serves on `listener` until `shutdown` completes, then lets the requests in
    /// flight finish (open event streams end) and returns. Meanwhile sweeps old
    /// disclosed data, follows the registry for the monitored customers, and delivers
    /// webhooks when configured.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<()> {
        let address = listener.local_addr().map_err(Error::Serve)?;
        let state = self.state.clone();
        info!(
            %address,
            service = %state.config.service,
            chain_id = state.verifier.chain_id(),
            registry = %state.verifier.registry(),
            "listening"
        );
        let mut tasks = vec![
            tokio::spawn(retention::run(state.clone())),
            tokio::spawn(monitor::watch(state.clone())),
        ];
        if let Some(webhook) = state.config.webhook.clone() {
            info!("webhooks: delivering events");
            tasks.push(tokio::spawn(webhooks::deliver(state.clone(), webhook)));
        }
        let stopping = state.stopping.clone();
        let app = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                shutdown.await;
                info!("shutting down");
                stopping.send_replace(true);
            })
            .await
            .map_err(Error::Serve);
        state.stopping.send_replace(true);
        // The tasks end when told to stop; a panic in one has been logged already.
        for task in tasks {
            let _ = task.await;
        }
        served
    }
}

/// Completes on Ctrl-C or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// One line per request: method, path, status and time taken. Paths hold
/// registration IDs at most; bodies are never logged.
pub(crate) async fn log_request(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response
}
