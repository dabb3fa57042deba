//! The OpenAPI 3.1 description of the HTTP API, served at `/openapi.json`, and the
//! route builder that remembers what the service serves, so that a test holds the
//! description to the routes that exist.

use std::sync::Arc;

use axum::{
    handler::Handler,
    http::header,
    response::IntoResponse,
    routing::{self, MethodRouter},
    Router,
};

use crate::app::AppState;

/// The document, as committed beside the crate.
const DOCUMENT: &str = include_str!("../openapi.json");

/// `GET /openapi.json`.
pub(crate) async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}

/// Routes that remember the (method, path) pairs they serve.
pub(crate) struct Routes {
    pub(crate) router: Router<Arc<AppState>>,
    pub(crate) served: Vec<(&'static str, &'static str)>,
}

impl Routes {
    pub(crate) fn new() -> Self {
        Self {
            router: Router::new(),
            served: Vec::new(),
        }
    }

    pub(crate) fn get<H: Handler<T, Arc<AppState>>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.add("GET", path, routing::get(handler))
    }

    pub(crate) fn post<H: Handler<T, Arc<AppState>>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.add("POST", path, routing::post(handler))
    }

    pub(crate) fn delete<H: Handler<T, Arc<AppState>>, T: 'static>(
        self,
        path: &'static str,
        handler: H,
    ) -> Self {
        self.add("DELETE", path, routing::delete(handler))
    }

    fn add(
        mut self,
        method: &'static str,
        path: &'static str,
        route: MethodRouter<Arc<AppState>>,
    ) -> Self {
        self.router = self.router.route(path, route);
        self.served.push((method, path));
        self
    }
}
