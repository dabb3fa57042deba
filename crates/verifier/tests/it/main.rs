//! Integration tests of the verifier on real anvil chains and real databases.
#![allow(clippy::unwrap_used)]

mod batching;
mod fixtures;
mod group_commit;
mod invitations;
mod policy;
mod qr;
mod race;
mod reasons;
mod sealing;
mod store;
mod watcher;
