use alloy_primitives::B256;
use kyc_core::{
    claims::{Claim, ClaimSet, SaltedClaim},
    commitment::{
        leaf_hash, merkle_root, node_hash, root_of_claims, root_of_leaves, Commitment, Leaf,
    },
    Error,
};

use crate::fixtures::{commitment, commitment_vectors};

#[test]
fn reproduces_every_commitment_vector() -> Result<(), Error> {
    for vector in commitment_vectors() {
        let hashes: Vec<B256> = vector.claims.iter().map(leaf_hash).collect();
        assert_eq!(hashes, vector.leaf_hashes);
        assert_eq!(merkle_root(&hashes)?, vector.root);
        assert_eq!(root_of_claims(&vector.claims)?, vector.root);
        assert_eq!(Commitment::from_salted(vector.claims)?.root(), vector.root);
    }
    Ok(())
}

#[test]
fn merkle_root_follows_rfc_6962() -> Result<(), Error> {
    let [a, b, c, d, e] = [1, 2, 3, 4, 5].map(B256::repeat_byte);
    assert_eq!(merkle_root(&[a])?, a);
    assert_eq!(merkle_root(&[a, b])?, node_hash(&a, &b));
    assert_eq!(merkle_root(&[a, b, c])?, node_hash(&node_hash(&a, &b), &c));
    let abcd = node_hash(&node_hash(&a, &b), &node_hash(&c, &d));
    assert_eq!(merkle_root(&[a, b, c, d])?, abcd);
    assert_eq!(merkle_root(&[a, b, c, d, e])?, node_hash(&abcd, &e));
    assert!(matches!(merkle_root(&[]), Err(Error::NoLeaves)));
    assert!(matches!(root_of_leaves(&[]), Err(Error::NoLeaves)));
    Ok(())
}

#[test]
fn root_of_claims_refuses_bad_lists() {
    let claims = commitment().claims().to_vec();
    let mut swapped = claims.clone();
    swapped.swap(0, 1);
    assert!(
        matches!(root_of_claims(&swapped), Err(Error::KeyOrder(key)) if key == "address.country")
    );

    let mut repeated = claims.clone();
    repeated[1].key = repeated[0].key.clone();
    repeated[1].value = "DE".to_owned();
    assert!(matches!(
        root_of_claims(&repeated),
        Err(Error::DuplicateKey(_))
    ));

    let mut untrimmed = claims.clone();
    untrimmed[4].value.push(' ');
    assert!(
        matches!(root_of_claims(&untrimmed), Err(Error::NotCanonical { key }) if key == "birthdate")
    );

    assert!(matches!(root_of_claims(&[]), Err(Error::ClaimCount(0))));
}

#[test]
fn disclosure_keeps_the_root() -> Result<(), Error> {
    let commitment = commitment();
    let fields = ["email".to_owned(), "address.country".to_owned()];
    let leaves = commitment.disclose(&fields)?;
    let shown: Vec<&str> = leaves
        .iter()
        .filter_map(Leaf::disclosed)
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(shown, ["address.country", "email"]);
    assert_eq!(root_of_leaves(&leaves)?, commitment.root());
    assert!(matches!(
        commitment.disclose(&["gender".to_owned()]),
        Err(Error::MissingClaim(key)) if key == "gender"
    ));
    Ok(())
}

#[test]
fn new_commitments_salt_afresh() -> Result<(), Error> {
    let set = ClaimSet::new(vec![Claim {
        key: "given_name".to_owned(),
        value: "Taro".to_owned(),
    }])?;
    let (first, second) = (Commitment::new(&set)?, Commitment::new(&set)?);
    assert_ne!(first.claims()[0].salt, second.claims()[0].salt);
    assert_ne!(first.root(), second.root());
    assert_eq!(
        first.claims()[0],
        SaltedClaim::new(set.claims()[0].clone(), first.claims()[0].salt)
    );
    Ok(())
}
