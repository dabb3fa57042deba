//! The consent's EIP-712 digest, with its constant parts computed once: the type hash,
//! and the domain separator of the last (chain, registry) seen on this thread. Building
//! both anew for every submission costs as much as hashing the consent itself.

use std::{cell::Cell, sync::LazyLock};

use alloy::{
    primitives::{keccak256, Address, B256},
    sol_types::SolStruct,
};
use kyc_core::{eip712, eip712::Consent, files::Submission};

static CONSENT_TYPE_HASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(Consent::eip712_encode_type().as_bytes()));

thread_local! {
    static LAST_DOMAIN: Cell<Option<(u64, Address, B256)>> = const { Cell::new(None) };
}

/// The digest the subject signed: the same as [`Submission::signing_hash`], faster.
pub(crate) fn consent_digest(submission: &Submission) -> B256 {
    let consent = submission.consent();
    let mut struct_input = Vec::with_capacity(32 * 8);
    struct_input.extend_from_slice(CONSENT_TYPE_HASH.as_slice());
    struct_input.extend_from_slice(&consent.eip712_encode_data());
    let mut digest_input = [0u8; 66];
    digest_input[..2].copy_from_slice(&[0x19, 0x01]);
    digest_input[2..34]
        .copy_from_slice(domain_separator(submission.chain_id, submission.registry).as_slice());
    digest_input[34..].copy_from_slice(keccak256(&struct_input).as_slice());
    keccak256(digest_input)
}

fn domain_separator(chain_id: u64, registry: Address) -> B256 {
    LAST_DOMAIN.with(|last| match last.get() {
        Some((chain, address, separator)) if chain == chain_id && address == registry => separator,
        _ => {
            let separator = eip712::domain(chain_id, registry).separator();
            last.set(Some((chain_id, registry, separator)));
            separator
        }
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use alloy::primitives::Bytes;
    use kyc_core::{
        claims::{Claim, ClaimSet},
        commitment::Commitment,
        files::FormatVersion,
    };

    use super::*;

    #[test]
    fn equals_the_core_signing_hash_across_domains() {
        let claim = |key: &str, value: &str| Claim {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let set = ClaimSet::new(vec![
            claim("given_name", "Taro"),
            claim("family_name", "Yamada"),
        ]);
        let commitment = Commitment::new(&set.unwrap()).unwrap();
        for (chain_id, registry, disclosed) in [
            (1, Address::repeat_byte(1), vec!["given_name".to_owned()]),
            (1, Address::repeat_byte(1), vec![]),
            (
                31337,
                Address::repeat_byte(1),
                vec!["family_name".to_owned(), "given_name".to_owned()],
            ),
            (
                31337,
                Address::repeat_byte(2),
                vec!["family_name".to_owned()],
            ),
        ] {
            let submission = Submission {
                version: FormatVersion,
                registration_id: B256::repeat_byte(9),
                service: "https://bank.example".to_owned(),
                chain_id,
                registry,
                subject: Address::repeat_byte(3),
                certifier: Address::repeat_byte(4),
                root: commitment.root(),
                leaves: commitment.disclose(&disclosed).unwrap(),
                signed_at: 1_700_000_000,
                signature: Bytes::new(),
            };
            assert_eq!(consent_digest(&submission), submission.signing_hash());
        }
    }
}
