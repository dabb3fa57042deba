//! The commitment: salted leaf hashes under an RFC 6962 Merkle root.

use alloy_primitives::B256;
use serde::{Deserialize, Deserializer, Serialize};
use sha2::{Digest, Sha256};

use crate::{
    claims::{check_count, check_key_order, fresh_salt, ClaimSet, SaltedClaim},
    Error, Result,
};

/// `SHA-256(0x00 || salt || u16be(len key) || key || u32be(len value) || value)`.
///
/// Expects a checked claim (key and value lengths far below the prefix limits).
pub fn leaf_hash(claim: &SaltedClaim) -> B256 {
    let key_len = u16::try_from(claim.key.len()).unwrap_or(u16::MAX);
    let value_len = u32::try_from(claim.value.len()).unwrap_or(u32::MAX);
    let digest = Sha256::new()
        .chain_update([0x00])
        .chain_update(claim.salt)
        .chain_update(key_len.to_be_bytes())
        .chain_update(&claim.key)
        .chain_update(value_len.to_be_bytes())
        .chain_update(&claim.value)
        .finalize();
    B256::new(digest.into())
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &B256, right: &B256) -> B256 {
    B256::new(
        Sha256::new()
            .chain_update([0x01])
            .chain_update(left)
            .chain_update(right)
            .finalize()
            .into(),
    )
}

/// The RFC 6962 Merkle Tree Hash of leaf hashes; an empty list has none.
pub fn merkle_root(leaves: &[B256]) -> Result<B256> {
    match leaves {
        [] => Err(Error::NoLeaves),
        [leaf] => Ok(*leaf),
        _ => {
            // Split at the largest power of two smaller than the number of leaves.
            let (left, right) = leaves.split_at(1 << (leaves.len() - 1).ilog2());
            Ok(node_hash(&merkle_root(left)?, &merkle_root(right)?))
        }
    }
}

/// Checks salted claims (1 to 64, canonical, keys ascending and distinct) and
/// returns their root.
pub fn root_of_claims(claims: &[SaltedClaim]) -> Result<B256> {
    check_count(claims.len())?;
    claims.iter().try_for_each(SaltedClaim::check)?;
    check_key_order(claims.iter().map(|claim| claim.key.as_str()))?;
    merkle_root(&claims.iter().map(leaf_hash).collect::<Vec<_>>())
}

/// One leaf of a submission: a disclosed claim, or only its leaf hash.
///
/// In JSON `{key, value, salt}` or `{digest}`; anything else is refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged, try_from = "RawLeaf")]
pub enum Leaf {
    /// A claim shown to the service, with its salt.
    Disclosed(SaltedClaim),
    /// A claim kept back: only its leaf hash.
    Undisclosed {
        /// The leaf hash of the hidden claim.
        digest: B256,
    },
}

impl Leaf {
    /// The leaf hash.
    pub fn hash(&self) -> B256 {
        match self {
            Self::Disclosed(claim) => leaf_hash(claim),
            Self::Undisclosed { digest } => *digest,
        }
    }

    /// The claim, when disclosed.
    pub fn disclosed(&self) -> Option<&SaltedClaim> {
        match self {
            Self::Disclosed(claim) => Some(claim),
            Self::Undisclosed { .. } => None,
        }
    }
}

/// Every field a leaf may have, so a leaf with both shapes' fields can be refused.
/// A field is `None` only when absent: `null` is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLeaf {
    #[serde(default, deserialize_with = "present")]
    key: Option<String>,
    #[serde(default, deserialize_with = "present")]
    value: Option<String>,
    #[serde(default, deserialize_with = "present")]
    salt: Option<String>,
    #[serde(default, deserialize_with = "present")]
    digest: Option<String>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    String::deserialize(deserializer).map(Some)
}

impl TryFrom<RawLeaf> for Leaf {
    type Error = String;

    fn try_from(raw: RawLeaf) -> Result<Self, Self::Error> {
        match raw {
            RawLeaf {
                key: Some(key),
                value: Some(value),
                salt: Some(salt),
                digest: None,
            } => {
                let salt = crate::hex::parse(&salt).map_err(|e| format!("salt: {e}"))?;
                Ok(Self::Disclosed(SaltedClaim { key, value, salt }))
            }
            RawLeaf {
                key: None,
                value: None,
                salt: None,
                digest: Some(digest),
            } => {
                let digest = crate::hex::parse(&digest).map_err(|e| format!("digest: {e}"))?;
                Ok(Self::Undisclosed { digest })
            }
            _ => Err("a leaf is either {key, value, salt} or {digest}".to_owned()),
        }
    }
}

/// The root over leaves, disclosed or not; an empty list has none.
pub fn root_of_leaves(leaves: &[Leaf]) -> Result<B256> {
    merkle_root(&leaves.iter().map(Leaf::hash).collect::<Vec<_>>())
}

/// Salted claims and their root: what a wallet keeps and a certifier attests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Commitment {
    claims: Vec<SaltedClaim>,
    root: B256,
}

impl Commitment {
    /// Salts every claim with a fresh salt from the operating system and computes the root.
    pub fn new(set: &ClaimSet) -> Result<Self> {
        let claims = set
            .claims()
            .iter()
            .map(|claim| Ok(SaltedClaim::new(claim.clone(), fresh_salt()?)))
            .collect::<Result<_>>()?;
        Self::from_salted(claims)
    }

    /// Checks already salted claims (see [`root_of_claims`]) and computes the root.
    pub fn from_salted(claims: Vec<SaltedClaim>) -> Result<Self> {
        let root = root_of_claims(&claims)?;
        Ok(Self { claims, root })
    }

    /// The salted claims, in leaf order.
    pub fn claims(&self) -> &[SaltedClaim] {
        &self.claims
    }

    /// The Merkle root.
    pub fn root(&self) -> B256 {
        self.root
    }

    /// The leaves of a submission that discloses `fields` and hides the rest.
    pub fn disclose(&self, fields: &[String]) -> Result<Vec<Leaf>> {
        if let Some(missing) = fields
            .iter()
            .find(|field| !self.claims.iter().any(|claim| &&claim.key == field))
        {
            return Err(Error::MissingClaim(missing.clone()));
        }
        Ok(self
            .claims
            .iter()
            .map(|claim| {
                if fields.contains(&claim.key) {
                    Leaf::Disclosed(claim.clone())
                } else {
                    Leaf::Undisclosed {
                        digest: leaf_hash(claim),
                    }
                }
            })
            .collect())
    }
}
