#![doc = include_str!("../README.md")]

pub mod attestation;
pub mod claims;
pub mod codes;
pub mod commitment;
pub mod eip712;
mod error;
pub mod evidence;
pub mod files;
pub mod hex;
pub mod signature;
pub mod uri;

pub use error::{Error, Result};
