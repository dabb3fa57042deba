use alloy_primitives::{Signature, U256};
use kyc_core::{
    signature::{
        encode_signature, is_erc6492_wrapped, parse_signature, recover_signer, ERC6492_MAGIC,
    },
    Error,
};

use crate::fixtures::{eip712_vectors, Eip712Vector};

fn first() -> Eip712Vector {
    eip712_vectors().swap_remove(0)
}

fn refusal(vector: &Eip712Vector, signature: &[u8]) -> Error {
    recover_signer(vector.digest, signature).expect_err("the signature is refused")
}

/// The secp256k1 group order.
const N: U256 = alloy_primitives::uint!(
    0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256
);

#[test]
fn refuses_the_high_s_twin() -> Result<(), Box<dyn std::error::Error>> {
    let vector = first();
    let low = parse_signature(&vector.signature)?;
    let high = Signature::new(low.r(), N - low.s(), !low.v());
    // The twin is a valid ECDSA signature of the same digest by the same key.
    assert_eq!(
        high.recover_address_from_prehash(&vector.digest)?,
        vector.signer
    );
    assert!(matches!(
        refusal(&vector, &high.as_bytes()),
        Error::SignatureHighS
    ));
    assert_eq!(
        encode_signature(&high).as_slice(),
        vector.signature.as_ref()
    );
    Ok(())
}

#[test]
fn refuses_compact_and_other_lengths() -> Result<(), Error> {
    let vector = first();
    let compact = parse_signature(&vector.signature)?.as_erc2098();
    assert!(matches!(
        refusal(&vector, &compact),
        Error::SignatureLength(64)
    ));
    for len in [0, 1, 63, 66, 130] {
        let mut bytes = vector.signature.to_vec();
        bytes.resize(len, 0x1b);
        assert!(matches!(refusal(&vector, &bytes), Error::SignatureLength(l) if l == len));
    }
    Ok(())
}

#[test]
fn reads_v_0_and_1_as_27_and_28() -> Result<(), Error> {
    for vector in eip712_vectors() {
        let mut bytes = vector.signature.to_vec();
        bytes[64] -= 27;
        assert_eq!(recover_signer(vector.digest, &bytes)?, vector.signer);
    }
    Ok(())
}

#[test]
fn refuses_other_v() {
    let vector = first();
    for v in [2, 26, 29, 30, 255] {
        let mut bytes = vector.signature.to_vec();
        bytes[64] = v;
        assert!(matches!(refusal(&vector, &bytes), Error::SignatureV(x) if x == v));
    }
}

#[test]
fn refuses_zero_r_or_s_and_unrecoverable_r() {
    let vector = first();
    for range in [0..32, 32..64] {
        let mut bytes = vector.signature.to_vec();
        bytes[range].fill(0);
        assert!(matches!(refusal(&vector, &bytes), Error::SignatureZero));
    }
    // r above the group order names no curve point.
    let mut bytes = vector.signature.to_vec();
    bytes[..32].fill(0xff);
    assert!(matches!(refusal(&vector, &bytes), Error::SignatureRecovery));
}

#[test]
fn a_signature_for_another_digest_recovers_someone_else() -> Result<(), Error> {
    let [one, two, ..] = &eip712_vectors()[..] else {
        panic!("two vectors")
    };
    assert_ne!(recover_signer(two.digest, &one.signature)?, one.signer);
    Ok(())
}

#[test]
fn spots_erc6492_wrappers() {
    let vector = first();
    assert!(!is_erc6492_wrapped(&vector.signature));
    let mut wrapped = vec![0u8; 96];
    wrapped.extend_from_slice(vector.signature.as_ref());
    wrapped.extend_from_slice(ERC6492_MAGIC.as_slice());
    assert!(is_erc6492_wrapped(&wrapped));
    assert!(matches!(
        refusal(&vector, &wrapped),
        Error::SignatureLength(_)
    ));
}
