//! Integration tests of kyc-core, one binary with a module per area.

mod age;
mod claims;
mod commitment;
mod eip712;
mod evidence;
mod files;
mod fixtures;
mod props;
mod signature;
mod uri;
