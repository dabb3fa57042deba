#![doc = include_str!("../README.md")]

pub mod attest;
pub mod chain;
pub mod check;
mod error;
pub mod files;
pub mod governance;
mod nonce;
pub mod queue;
pub mod relay;

pub use chain::Chain;
pub use error::{Error, Result};
