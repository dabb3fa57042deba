#![doc = include_str!("../README.md")]

pub mod chain;
pub mod claims_input;
pub mod consent;
pub mod consent_log;
pub mod credential;
pub mod decline;
mod error;
pub mod folder;
pub mod http;
pub mod request;
pub mod scan;
pub mod screen;
pub mod withdraw;

pub use error::{Error, Result};
pub use folder::Wallet;
