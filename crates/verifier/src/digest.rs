//! The consent's EIP-712 digest, with the parts a batch shares computed once: the type
//! hash, and on each thread the domain separator of the last (chain, registry), the
//! hash of the last service origin and that of the last list of fields. A batch answers
//! one service, mostly for the same fields: hashing these anew for every submission
//! costs as much as hashing the rest of the consent.

use std::sync::LazyLock;

use alloy::{
    primitives::{keccak256, Address, B256},
    sol_types::SolStruct,
};
use kyc_core::{eip712, eip712::Consent, files::Submission};

use crate::memo::Last;

static CONSENT_TYPE_HASH: LazyLock<B256> =
    LazyLock::new(|| keccak256(Consent::eip712_encode_type().as_bytes()));

thread_local! {
    static LAST_DOMAIN: Last<(u64, Address), B256> = const { Last::new() };
    static LAST_SERVICE: Last<String, B256> = const { Last::new() };
    static LAST_FIELDS: Last<Vec<String>, B256> = const { Last::new() };
}

/// The digest the subject signed: the same as [`Submission::signing_hash`], faster.
pub(crate) fn consent_digest(submission: &Submission) -> B256 {
    // `Consent`'s fields in order, each one word: a value, or the hash of a dynamic one.
    let words = [
        *CONSENT_TYPE_HASH,
        submission.subject.into_word(),
        submission.registration_id,
        service_hash(&submission.service),
        submission.certifier.into_word(),
        submission.root,
        fields_hash(submission),
        B256::left_padding_from(&submission.signed_at.to_be_bytes()),
    ];
    let mut struct_input = [0u8; 32 * 8];
    for (slot, word) in struct_input.chunks_exact_mut(32).zip(words) {
        slot.copy_from_slice(word.as_slice());
    }
    let mut digest_input = [0u8; 66];
    digest_input[..2].copy_from_slice(&[0x19, 0x01]);
    digest_input[2..34]
        .copy_from_slice(domain_separator(submission.chain_id, submission.registry).as_slice());
    digest_input[34..].copy_from_slice(keccak256(struct_input).as_slice());
    keccak256(digest_input)
}

/// The hash of the service origin, as EIP-712 encodes a string.
fn service_hash(service: &str) -> B256 {
    LAST_SERVICE.with(|last| {
        last.get(
            |text| text == service,
            || (service.to_owned(), keccak256(service)),
        )
    })
}

/// The hash of the disclosed keys, as EIP-712 encodes a `string[]`: the hash of their
/// hashes, each a word.
fn fields_hash(submission: &Submission) -> B256 {
    let fields = || submission.disclosed().map(|claim| claim.key.as_str());
    LAST_FIELDS.with(|last| {
        last.get(
            |keys| keys.iter().map(String::as_str).eq(fields()),
            || {
                let hashes: Vec<u8> = fields().flat_map(|key| keccak256(key).0).collect();
                (fields().map(str::to_owned).collect(), keccak256(hashes))
            },
        )
    })
}

fn domain_separator(chain_id: u64, registry: Address) -> B256 {
    LAST_DOMAIN.with(|last| {
        last.get(
            |&domain| domain == (chain_id, registry),
            || {
                let separator = eip712::domain(chain_id, registry).separator();
                ((chain_id, registry), separator)
            },
        )
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

    /// Submissions one after another on one thread, sharing or not their domain,
    /// service and fields with the one before.
    #[test]
    fn equals_the_core_signing_hash_across_domains_services_and_fields() {
        let claim = |key: &str, value: &str| Claim {
            key: key.to_owned(),
            value: value.to_owned(),
        };
        let set = ClaimSet::new(vec![
            claim("given_name", "Taro"),
            claim("family_name", "Yamada"),
        ]);
        let commitment = Commitment::new(&set.unwrap()).unwrap();
        let given = vec!["given_name".to_owned()];
        let both = vec!["family_name".to_owned(), "given_name".to_owned()];
        let family = vec!["family_name".to_owned()];
        let (bank, shop) = ("https://bank.example", "https://shop.example:8443");
        for (at, (chain_id, registry, disclosed, service)) in [
            (1, Address::repeat_byte(1), &given, bank),
            (1, Address::repeat_byte(1), &given, bank),
            (1, Address::repeat_byte(1), &vec![], bank),
            (31337, Address::repeat_byte(1), &both, shop),
            (31337, Address::repeat_byte(1), &both, shop),
            (31337, Address::repeat_byte(1), &family, shop),
            (31337, Address::repeat_byte(2), &family, bank),
            (31337, Address::repeat_byte(2), &given, shop),
        ]
        .into_iter()
        .enumerate()
        {
            let submission = Submission {
                version: FormatVersion,
                registration_id: B256::repeat_byte(9 + at as u8),
                service: service.to_owned(),
                chain_id,
                registry,
                subject: Address::repeat_byte(3 + at as u8),
                certifier: Address::repeat_byte(4),
                root: commitment.root(),
                leaves: commitment.disclose(disclosed).unwrap(),
                signed_at: 1_700_000_000 + at as u64,
                signature: Bytes::new(),
            };
            assert_eq!(
                consent_digest(&submission),
                submission.signing_hash(),
                "at {at}"
            );
        }
    }
}
