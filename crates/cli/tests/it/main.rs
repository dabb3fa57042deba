//! The `kyc` binary driven as a user types it, against real anvil chains.
#![allow(clippy::unwrap_used)]

mod certifier;
mod decline;
mod e2e;
mod hash;
mod invitations;
mod serve;
mod service;
mod user;
mod util;
mod webhooks;
