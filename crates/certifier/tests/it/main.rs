//! `kyc-certifier` against real anvil chains.
#![allow(clippy::unwrap_used)] // Tests: a failure is a failed test.

mod attest;
mod checks;
mod fixtures;
mod governance;
mod queue;
mod relay;
