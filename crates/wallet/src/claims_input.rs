//! What a person types: a plain JSON object of claims, `{"given_name": "Taro", ...}`,
//! brought into canonical form once, before salting.

use std::fmt;

use kyc_core::{
    age::{check_age_claims, derive_age_claims, BIRTHDATE},
    claims::{normalize_claim, ClaimSet},
    files::parse_json,
};
use serde::{
    de::{MapAccess, Visitor},
    Deserialize, Deserializer,
};

use crate::{Error, Result};

/// Claims in canonical form, and which values normalising changed.
#[derive(Clone, Debug)]
pub struct NormalizedClaims {
    /// The canonical claims, sorted by key.
    pub claims: ClaimSet,
    /// The values normalising changed, in key order, for the person to review.
    pub changes: Vec<ChangedValue>,
}

/// A value normalising changed. `Debug` hides the values.
#[derive(Clone, PartialEq, Eq)]
pub struct ChangedValue {
    /// The claim's key.
    pub key: String,
    /// The value as typed.
    pub before: String,
    /// The canonical value that will be salted.
    pub after: String,
}

impl fmt::Debug for ChangedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChangedValue")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// Parses a JSON object of string claims and normalises every value.
///
/// Every claim that cannot be made canonical is reported at once
/// ([`Error::ClaimsRefused`]), so the person can fix them all in one go. Keys
/// are never altered: a key that breaks the rules is refused, not rewritten.
pub fn normalize_claims(text: &str) -> Result<NormalizedClaims> {
    let ClaimObject(entries) = parse_json(text).map_err(|e| Error::ClaimsFormat(e.to_string()))?;
    let mut claims = Vec::new();
    let mut changes = Vec::new();
    let mut refused = Vec::new();
    for (index, (key, value)) in entries.iter().enumerate() {
        if entries[..index].iter().any(|(earlier, _)| earlier == key) {
            refused.push(kyc_core::Error::DuplicateKey(key.clone()));
            continue;
        }
        let Some(value) = value.as_str() else {
            return Err(Error::ClaimsFormat(format!(
                "the value of {key} is not a string (nested objects are written with dotted keys such as address.country)"
            )));
        };
        match normalize_claim(key, value) {
            Ok((claim, changed)) => {
                if changed {
                    changes.push(ChangedValue {
                        key: key.clone(),
                        before: value.to_owned(),
                        after: claim.value.clone(),
                    });
                }
                claims.push(claim);
            }
            Err(error) => refused.push(error),
        }
    }
    if !refused.is_empty() {
        return Err(Error::ClaimsRefused(refused));
    }
    changes.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(NormalizedClaims {
        claims: ClaimSet::new(claims)?,
        changes,
    })
}

/// The claims with the age claims (`age_over_NN: "true"`) that their birthdate makes
/// true on the UTC day of `now`, for each of `thresholds`; claims without a birthdate
/// get none. Age claims already among the claims are checked like a certifier would.
pub fn with_age_claims(claims: &ClaimSet, thresholds: &[u8], now: u64) -> Result<ClaimSet> {
    let mut all = claims.claims().to_vec();
    if let Some(birthdate) = all.iter().find(|claim| claim.key == BIRTHDATE) {
        let derived = derive_age_claims(&birthdate.value, now, thresholds)?;
        for claim in derived {
            if !all.iter().any(|held| held.key == claim.key) {
                all.push(claim);
            }
        }
    }
    check_age_claims(
        all.iter()
            .map(|claim| (claim.key.as_str(), claim.value.as_str())),
        now,
    )?;
    Ok(ClaimSet::new(all)?)
}

/// The claims object with its entries in file order, duplicates kept so they can be refused.
struct ClaimObject(Vec<(String, serde_json::Value)>);

impl<'de> Deserialize<'de> for ClaimObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;

        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = ClaimObject;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object of claims, such as {\"given_name\": \"Taro\"}")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ClaimObject, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(ClaimObject(entries))
            }
        }

        deserializer.deserialize_map(EntriesVisitor)
    }
}
