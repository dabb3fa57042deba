//! Root recomputation from leaves: salted claims, each disclosed or hidden behind its leaf
//! hash at the fuzzer's choice, plus raw digests. Nothing panics, and for claims that make
//! a valid commitment the root from the leaves is the root of the claims, whatever is
//! disclosed: hiding a leaf never changes the root.
#![no_main]

use arbitrary::Arbitrary;
use kyc_core::{
    claims::{Salt, SaltedClaim},
    commitment::{leaf_hash, root_of_claims, root_of_leaves, Commitment, Leaf},
};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, Arbitrary)]
struct Input {
    leaves: Vec<FuzzLeaf>,
}

#[derive(Debug, Arbitrary)]
enum FuzzLeaf {
    Claim {
        key: String,
        value: String,
        salt: [u8; 16],
        disclosed: bool,
    },
    Digest([u8; 32]),
}

fuzz_target!(|input: Input| {
    let mut claims = Vec::new();
    let mut leaves = Vec::new();
    for leaf in input.leaves {
        match leaf {
            FuzzLeaf::Claim {
                key,
                value,
                salt,
                disclosed,
            } => {
                let claim = SaltedClaim {
                    key,
                    value,
                    salt: Salt::from(salt),
                };
                leaves.push(if disclosed {
                    Leaf::Disclosed(claim.clone())
                } else {
                    Leaf::Undisclosed {
                        digest: leaf_hash(&claim),
                    }
                });
                claims.push(claim);
            }
            FuzzLeaf::Digest(digest) => leaves.push(Leaf::Undisclosed {
                digest: digest.into(),
            }),
        }
    }
    let from_leaves = root_of_leaves(&leaves);
    assert_eq!(from_leaves.is_err(), leaves.is_empty());
    if claims.len() != leaves.len() {
        return;
    }
    if let Ok(root) = root_of_claims(&claims) {
        assert_eq!(from_leaves.ok(), Some(root));
        let commitment = Commitment::from_salted(claims).expect("checked claims commit");
        let fields: Vec<String> = leaves
            .iter()
            .filter_map(Leaf::disclosed)
            .map(|claim| claim.key.clone())
            .collect();
        let disclosed = commitment
            .disclose(&fields)
            .expect("the fields are among the claims");
        assert_eq!(disclosed, leaves);
        assert_eq!(root_of_leaves(&disclosed).ok(), Some(commitment.root()));
    }
});
