//! Strict ECDSA signatures: 65 bytes `r || s || v`, low `s`, `v` 27 or 28.
//!
//! A signature has twins (the high-`s` one, the compact one, `v` written as 0/1);
//! only one form is accepted on chain, so only that form, or `v` as 0/1, is
//! accepted here. Nothing may key on signature bytes all the same.

use alloy_primitives::{b256, uint, Address, Signature, B256, U256};

use crate::{Error, Result};

/// The length of a signature: `r` (32), `s` (32), `v` (1).
pub const SIGNATURE_LEN: usize = 65;

/// The suffix that marks an ERC-6492 wrapper (a signature for a contract not yet deployed).
pub const ERC6492_MAGIC: B256 =
    b256!("6492649264926492649264926492649264926492649264926492649264926492");

/// Half the secp256k1 group order: the largest `s` accepted.
const MAX_S: U256 = uint!(0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256);

/// Parses a signature strictly: 65 bytes, `v` in {27, 28} (or {0, 1}), `r` and
/// `s` non-zero, `s <= n/2`.
pub fn parse_signature(bytes: &[u8]) -> Result<Signature> {
    let bytes: &[u8; SIGNATURE_LEN] = bytes
        .try_into()
        .map_err(|_| Error::SignatureLength(bytes.len()))?;
    let y_parity = match bytes[64] {
        27 | 0 => false,
        28 | 1 => true,
        v => return Err(Error::SignatureV(v)),
    };
    let (r, s) = (
        U256::from_be_slice(&bytes[..32]),
        U256::from_be_slice(&bytes[32..64]),
    );
    if r.is_zero() || s.is_zero() {
        return Err(Error::SignatureZero);
    }
    if s > MAX_S {
        return Err(Error::SignatureHighS);
    }
    Ok(Signature::new(r, s, y_parity))
}

/// Recovers the address that signed `digest`, after [`parse_signature`].
///
/// Refuses a signature that recovers no key or the zero address.
pub fn recover_signer(digest: B256, signature: &[u8]) -> Result<Address> {
    let signer = parse_signature(signature)?
        .recover_address_from_prehash(&digest)
        .map_err(|_| Error::SignatureRecovery)?;
    if signer.is_zero() {
        return Err(Error::SignatureRecovery);
    }
    Ok(signer)
}

/// The accepted form of a signature: low `s`, `v` as 27 or 28.
pub fn encode_signature(signature: &Signature) -> [u8; SIGNATURE_LEN] {
    signature.normalized_s().as_bytes()
}

/// Whether a signature is an ERC-6492 wrapper, which the protocol refuses.
pub fn is_erc6492_wrapped(signature: &[u8]) -> bool {
    signature.ends_with(ERC6492_MAGIC.as_slice())
}
