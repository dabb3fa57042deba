//! `kyc-wallet` against real anvil chains: each item of the wallet, its refusals, and a
//! local HTTP service that receives submissions and consent withdrawals.
#![allow(clippy::unwrap_used)]

mod claims;
mod consent;
mod credential;
mod decline;
mod fixtures;
mod keys;
mod request;
mod scan;
mod service;
mod withdraw;
