#![doc = include_str!("../README.md")]

pub mod age;
pub mod attestation;
pub mod check_code;
pub mod claims;
pub mod codes;
pub mod commitment;
pub mod eip712;
mod error;
pub mod evidence;
pub mod files;
pub mod hex;
pub mod signature;
pub mod text;
pub mod time;
pub mod uri;

pub use error::{Error, Result};
