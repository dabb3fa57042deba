//! The check code: six digits a person compares between the service's screen and
//! their wallet, instead of a 64-digit registration ID.

use alloy_primitives::B256;
use sha2::{Digest, Sha256};

/// What the registration ID is hashed after.
const DOMAIN: &[u8] = b"KYC Anchor check code";

/// The check code of a registration ID, as two groups of three digits (`024 566`):
/// `u32be(SHA-256("KYC Anchor check code" || rid)[0..4]) mod 1000000`, zero-padded.
pub fn check_code(registration_id: &B256) -> String {
    let digest = Sha256::new()
        .chain_update(DOMAIN)
        .chain_update(registration_id)
        .finalize();
    let first = [digest[0], digest[1], digest[2], digest[3]];
    let number = u32::from_be_bytes(first) % 1_000_000;
    format!("{:03} {:03}", number / 1000, number % 1000)
}
