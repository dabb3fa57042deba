//! The `kyc` binary driven as a user types it, against real anvil chains.
#![allow(clippy::unwrap_used)]

mod hash;
mod user;
mod util;
