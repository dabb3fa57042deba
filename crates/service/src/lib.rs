#![doc = include_str!("../README.md")]

mod app;
mod auth;
mod config;
mod error;
mod monitor;
mod openapi;
mod page;
mod problem;
mod rate_limit;
mod retention;
mod routes;
mod server;
mod status;
mod streams;
mod webhooks;

pub use app::Service;
pub use config::{
    ApiToken, ClientIp, RateLimit, ReadTimeouts, ServiceConfig, StreamLimit, DEFAULT_RETENTION,
    MIN_TOKEN_LEN,
};
pub use error::{Error, Result};
pub use monitor::MonitorConfig;
pub use server::shutdown_signal;
pub use status::StatusEvent;
pub use webhooks::{WebhookConfig, WebhookSecret};
