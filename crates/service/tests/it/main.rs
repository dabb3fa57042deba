//! The HTTP service on real anvil chains and real SQLite files, driven over loopback HTTP.
#![allow(clippy::unwrap_used)]

mod browser;
mod decline;
mod events;
mod fixtures;
mod flow;
mod group_commit;
mod invitations;
mod limits;
mod openapi;
mod sessions;
mod timeouts;
mod webhooks;
mod withdrawal;
