use alloy_primitives::{Address, Bytes, B256};
use kyc_core::{
    claims::{normalize_claim, SaltedClaim},
    commitment::{leaf_hash, root_of_claims, root_of_leaves, Leaf},
    evidence::Evidence,
    files::{Credential, FormatVersion, JsonFile, Request, Submission},
    uri::RegistrationUri,
};
use proptest::{
    collection::{btree_map, btree_set, vec},
    prelude::*,
};

fn b256() -> impl Strategy<Value = B256> {
    any::<[u8; 32]>().prop_map(B256::from)
}

fn address() -> impl Strategy<Value = Address> {
    any::<[u8; 20]>().prop_map(Address::from)
}

/// Canonical claims in leaf order. Keys have no `_` and start with `k`, so no field rule applies.
fn claims() -> impl Strategy<Value = Vec<SaltedClaim>> {
    let value = "\\PC{1,24}".prop_filter_map("a valid value", |raw| {
        normalize_claim("k", &raw)
            .ok()
            .map(|(claim, _)| claim.value)
    });
    let key = "k[a-z0-9]{0,8}(\\.k[a-z0-9]{0,5})?";
    btree_map(key, (value, any::<[u8; 16]>()), 1..12).prop_map(|claims| {
        claims
            .into_iter()
            .map(|(key, (value, salt))| SaltedClaim {
                key,
                value,
                salt: salt.into(),
            })
            .collect()
    })
}

/// Claims with any printable ASCII values, not necessarily canonical: enough for hashing.
fn ascii_claims() -> impl Strategy<Value = Vec<SaltedClaim>> {
    vec(("[a-z]{1,8}", "[ -~]{1,16}", any::<[u8; 16]>()), 1..20).prop_map(|claims| {
        claims
            .into_iter()
            .map(|(key, value, salt)| SaltedClaim {
                key,
                value,
                salt: salt.into(),
            })
            .collect()
    })
}

fn origin() -> impl Strategy<Value = String> {
    (
        "https?",
        "[a-z][a-z0-9-]{0,10}(\\.[a-z]{2,6}){0,2}",
        proptest::option::of(1024u16..65535),
    )
        // A label starting "xn--" is an IDNA A-label, a host only when valid punycode.
        .prop_filter("not an A-label", |(_, host, _)| !host.starts_with("xn--"))
        .prop_map(|(scheme, host, port)| match port {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        })
}

fn registration_uri() -> impl Strategy<Value = RegistrationUri> {
    (
        b256(),
        origin(),
        "\\PC{1,30}",
        "(/[a-zA-Z0-9._~-]{0,8}){0,3}(\\?[a-z]=[a-zA-Z0-9%&=+ ]{0,10})?",
        any::<u64>(),
        address(),
        btree_set("[a-z][a-z0-9_]{0,6}(\\.[a-z][a-z0-9_]{0,6})?", 0..8),
        any::<u64>(),
    )
        .prop_map(
            |(registration_id, service, name, path, chain_id, registry, fields, expires_at)| {
                RegistrationUri {
                    registration_id,
                    callback: format!("{service}{path}"),
                    service,
                    name,
                    chain_id,
                    registry,
                    fields: fields.into_iter().collect(),
                    expires_at,
                }
            },
        )
}

fn request() -> impl Strategy<Value = Request> {
    (
        any::<u64>(),
        address(),
        address(),
        address(),
        claims(),
        any::<u64>(),
        any::<u64>(),
        vec(any::<u8>(), 0..100),
    )
        .prop_map(
            |(chain_id, registry, subject, certifier, claims, nonce, deadline, signature)| {
                Request {
                    version: FormatVersion,
                    chain_id,
                    registry,
                    subject,
                    certifier,
                    root: root_of_claims(&claims).expect("canonical claims"),
                    claims,
                    nonce,
                    deadline,
                    signature: Bytes::from(signature),
                }
            },
        )
}

fn credential() -> impl Strategy<Value = Credential> {
    (
        request(),
        0..64u16,
        any::<u32>(),
        1..u64::from(u32::MAX),
        b256(),
        any::<u64>(),
    )
        .prop_map(
            |(request, bits, issued_at, valid_for, tx_hash, block_number)| Credential {
                version: FormatVersion,
                chain_id: request.chain_id,
                registry: request.registry,
                subject: request.subject,
                certifier: request.certifier,
                claims: request.claims,
                root: request.root,
                evidence: Evidence::from_bits(bits).expect("known bits"),
                issued_at: u64::from(issued_at),
                expires_at: u64::from(issued_at) + valid_for,
                tx_hash,
                block_number,
            },
        )
}

fn submission() -> impl Strategy<Value = Submission> {
    (
        request(),
        b256(),
        origin(),
        vec(any::<bool>(), 12),
        any::<u64>(),
    )
        .prop_map(
            |(request, registration_id, service, shown, signed_at)| Submission {
                version: FormatVersion,
                registration_id,
                service,
                chain_id: request.chain_id,
                registry: request.registry,
                subject: request.subject,
                certifier: request.certifier,
                root: request.root,
                leaves: disclose(&request.claims, &shown),
                signed_at,
                signature: request.signature,
            },
        )
}

/// Leaves showing the claims whose flag is set.
fn disclose(claims: &[SaltedClaim], shown: &[bool]) -> Vec<Leaf> {
    claims
        .iter()
        .zip(shown.iter().chain(std::iter::repeat(&false)))
        .map(|(claim, shown)| match shown {
            true => Leaf::Disclosed(claim.clone()),
            false => Leaf::Undisclosed {
                digest: leaf_hash(claim),
            },
        })
        .collect()
}

proptest! {
    #[test]
    fn uris_round_trip(uri in registration_uri()) {
        prop_assert_eq!(RegistrationUri::parse(&uri.to_uri_string())?, uri);
    }

    #[test]
    fn requests_round_trip(request in request()) {
        prop_assert_eq!(Request::from_json(&request.to_json()?)?, request);
    }

    #[test]
    fn credentials_round_trip(credential in credential()) {
        prop_assert_eq!(Credential::from_json(&credential.to_json()?)?, credential);
    }

    #[test]
    fn submissions_round_trip(submission in submission()) {
        prop_assert_eq!(Submission::from_json(&submission.to_json()?)?, submission);
    }

    #[test]
    fn any_changed_value_byte_changes_the_root(claims in ascii_claims(), pick in any::<prop::sample::Index>(), bit in 0..7u8) {
        let root = root_of_leaves(&disclose(&claims, &[true; 20]))?;
        let mut changed = claims.clone();
        let claim = pick.get_mut(&mut changed);
        let mut bytes = claim.value.clone().into_bytes();
        let at = pick.index(bytes.len());
        bytes[at] ^= 1 << bit;
        claim.value = String::from_utf8(bytes)?;
        prop_assert_ne!(root_of_leaves(&disclose(&changed, &[true; 20]))?, root);
    }

    #[test]
    fn any_changed_salt_byte_changes_the_root(claims in ascii_claims(), pick in any::<prop::sample::Index>(), at in 0..16usize, bit in 0..8u8) {
        let root = root_of_leaves(&disclose(&claims, &[true; 20]))?;
        let mut changed = claims.clone();
        pick.get_mut(&mut changed).salt[at] ^= 1 << bit;
        prop_assert_ne!(root_of_leaves(&disclose(&changed, &[true; 20]))?, root);
    }

    #[test]
    fn hiding_any_leaves_keeps_the_root(claims in claims(), shown in vec(any::<bool>(), 12)) {
        prop_assert_eq!(root_of_leaves(&disclose(&claims, &shown))?, root_of_claims(&claims)?);
    }
}
