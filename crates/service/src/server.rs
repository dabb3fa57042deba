//! Serving: the listening loop with read timeouts and graceful shutdown, the
//! retention task, and a log line per request.

use std::{
    future::Future,
    pin::{pin, Pin},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use axum::{
    body::{Body, Bytes, HttpBody},
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, time::Sleep};
use tower::ServiceExt;
use tracing::{info, warn};

use crate::{monitor, retention, webhooks, Error, Result, Service};

/// How long to wait before accepting again after the listener failed (out of file
/// descriptors, say).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

impl Service {
    /// Serves on `listener` until `shutdown` completes, then lets the requests in
    /// flight finish (open event streams end) and returns. A client has the configured
    /// [`ReadTimeouts`](crate::ReadTimeouts) to send a request's headers and body, then
    /// is cut off. Meanwhile sweeps old disclosed data, follows the registry for the
    /// monitored customers, and delivers webhooks when configured.
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
        let router = self.router();
        let mut connection = http1::Builder::new();
        connection
            .timer(TokioTimer::new())
            .header_read_timeout(state.config.read_timeouts.header);
        let connections = GracefulShutdown::new();
        let mut shutdown = pin!(shutdown);
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        warn!(%error, "cannot accept a connection");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let service = router
                .clone()
                .map_request(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
            let served = connections.watch(
                connection
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
            );
            // A client that leaves or is cut off ends its connection; the service goes on.
            tokio::spawn(served);
        }
        drop(listener);
        info!("shutting down");
        state.stopping.send_replace(true);
        connections.shutdown().await;
        // The tasks end when told to stop; a panic in one has been logged already.
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
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

/// Gives a request's body until `timeout` after its headers to arrive in full; then
/// reading it fails with [`BodyTimeout`] (the handler answers 408 and the connection
/// closes). A deadline rather than a pause between reads, so that a body trickling in
/// byte by byte is cut off too.
pub(crate) async fn limit_body_time(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    let deadline = Box::pin(tokio::time::sleep(timeout));
    next.run(request.map(|body| Body::new(DeadlineBody { body, deadline })))
        .await
}

/// The body did not arrive in time.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
pub(crate) struct BodyTimeout;

/// Whether `error` comes of a body that did not arrive in time.
pub(crate) fn is_body_timeout(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(error);
    while let Some(error) = cause {
        if error.is::<BodyTimeout>() {
            return true;
        }
        cause = error.source();
    }
    false
}

/// A body that fails once its deadline passes.
struct DeadlineBody {
    body: Body,
    deadline: Pin<Box<Sleep>>,
}

impl HttpBody for DeadlineBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<hyper::body::Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        match Pin::new(&mut this.body).poll_frame(cx) {
            Poll::Pending if this.deadline.as_mut().poll(cx).is_ready() => {
                Poll::Ready(Some(Err(axum::Error::new(BodyTimeout))))
            }
            polled => polled,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.body.size_hint()
    }
}
