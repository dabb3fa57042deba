//! The queue's secrets: a key that seals personal data at rest (XChaCha20-Poly1305)
//! and a key for the keyed hash of identity documents (HMAC-SHA256).
//!
//! Both live in a key file of 64 random bytes, created with the queue and readable
//! by its owner only; the database alone reveals no claim value and no document.

use std::path::Path;

use alloy::primitives::{Address, B256};
use hmac::{Hmac, Mac};
use kyc_core::claims::SaltedClaim;
use kyc_seal::{SealingKey, KEY_LEN};
use sha2::Sha256;
use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// Tells one version of the sealed format from another, and binds the purpose.
const SEAL_CONTEXT: &[u8] = b"kyc-certifier claims v1";
const CHECK_CONTEXT: &[u8] = b"kyc-certifier queue key check v1";
const IDENTITY_CONTEXT: &[u8] = b"kyc-certifier identity v2";
const NUMBER_CONTEXT: &[u8] = b"kyc-certifier document number v2";

/// The claim keys the queue's first identity hash covered, raw.
const LEGACY_DOCUMENT_KEYS: [&str; 3] = ["document.type", "document.issuer", "document.number"];

/// The keyed hashes that tell identity documents apart. Two requests name one document
/// when issuer and number agree, or when the numbers agree and one leaves the issuer out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocumentIdentity {
    /// Of the issuer and the canonical number (stored as `identity`).
    pub(crate) issued: Vec<u8>,
    /// Of the canonical number with no issuer: what a request that left it out stores.
    pub(crate) unissued: Vec<u8>,
    /// Of the canonical number alone (stored as `number_identity`).
    pub(crate) number: Vec<u8>,
    /// Whether the claims name the issuer.
    pub(crate) has_issuer: bool,
}

impl DocumentIdentity {
    /// Whether `self` and `other` name one document.
    pub(crate) fn matches(&self, other: &Self) -> bool {
        self.issued == other.issued
            || (self.number == other.number && !(self.has_issuer && other.has_issuer))
    }
}

/// The queue's two secrets.
pub(crate) struct QueueKeys {
    seal: [u8; KEY_LEN],
    identity: [u8; KEY_LEN],
}

impl QueueKeys {
    /// Reads the key file at `path`.
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let bytes = kyc_fs::read_private(path).map_err(|error| Error::KeyFile {
            path: path.to_owned(),
            reason: error.to_string(),
        })?;
        let (seal, identity) = match bytes.split_at_checked(KEY_LEN) {
            Some((seal, identity)) if identity.len() == KEY_LEN => (seal, identity),
            _ => {
                return Err(Error::KeyFile {
                    path: path.to_owned(),
                    reason: format!("expected {} bytes, found {}", 2 * KEY_LEN, bytes.len()),
                })
            }
        };
        let mut keys = Self {
            seal: [0; KEY_LEN],
            identity: [0; KEY_LEN],
        };
        keys.seal.copy_from_slice(seal);
        keys.identity.copy_from_slice(identity);
        Ok(keys)
    }

    /// Creates a key file at `path` with fresh keys, owner-only, written atomically and synced.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let mut keys = Self {
            seal: [0; KEY_LEN],
            identity: [0; KEY_LEN],
        };
        getrandom::fill(&mut keys.seal).map_err(Error::Random)?;
        getrandom::fill(&mut keys.identity).map_err(Error::Random)?;
        kyc_fs::write_private(path, &[keys.seal, keys.identity].concat())?;
        Ok(keys)
    }

    /// A value stored in the database that tells whether a key file belongs to it.
    pub(crate) fn check_value(&self) -> Vec<u8> {
        let mut mac = self.mac(&self.seal);
        mac.update(CHECK_CONTEXT);
        mac.update(&self.identity);
        mac.finalize().into_bytes().to_vec()
    }

    /// Encrypts claims, bound to the request's subject and root.
    pub(crate) fn seal(
        &self,
        claims: &[SaltedClaim],
        subject: Address,
        root: B256,
    ) -> Result<Vec<u8>> {
        let plain = serde_json::to_vec(claims).map_err(|_| Error::Seal)?;
        self.sealing_key()
            .seal(&plain, &associated_data(subject, root))
            .map_err(|_| Error::Seal)
    }

    /// Decrypts the claims of request `id`; fails if anything was altered.
    pub(crate) fn open(
        &self,
        id: i64,
        sealed: &[u8],
        subject: Address,
        root: B256,
    ) -> Result<Vec<SaltedClaim>> {
        let plain = self
            .sealing_key()
            .open(sealed, &associated_data(subject, root))
            .map_err(|_| Error::Unseal { id })?;
        serde_json::from_slice(&plain).map_err(|_| Error::Unseal { id })
    }

    /// The keyed hashes of the identity document the claims name, if they name a number:
    /// of its issuer and its [canonical number](canonical_document_number), and of the
    /// number alone. The document type does not count, so one passport is one identity
    /// however it is described.
    pub(crate) fn identity(&self, claims: &[SaltedClaim]) -> Option<DocumentIdentity> {
        let number = canonical_document_number(claim(claims, "document.number")?);
        if number.is_empty() {
            return None;
        }
        let issuer: String = claim(claims, "document.issuer")
            .unwrap_or_default()
            .nfkc()
            .flat_map(char::to_uppercase)
            .collect();
        Some(DocumentIdentity {
            issued: self.keyed_hash(IDENTITY_CONTEXT, [issuer.as_str(), &number]),
            unissued: self.keyed_hash(IDENTITY_CONTEXT, ["", &number]),
            number: self.keyed_hash(NUMBER_CONTEXT, [number.as_str()]),
            has_issuer: !issuer.is_empty(),
        })
    }

    /// The identity hash of the queue's first schema (raw type, issuer and number), which
    /// is all that stays of requests whose personal data was deleted before the upgrade.
    pub(crate) fn legacy_identity(&self, claims: &[SaltedClaim]) -> Option<Vec<u8>> {
        claim(claims, "document.number")?;
        Some(self.keyed_hash(
            &[],
            LEGACY_DOCUMENT_KEYS.map(|key| claim(claims, key).unwrap_or_default()),
        ))
    }

    fn keyed_hash<'a>(&self, context: &[u8], parts: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
        let mut mac = self.mac(&self.identity);
        mac.update(context);
        for part in parts {
            // Length-prefixed, so that no two documents share an input.
            mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            mac.update(part.as_bytes());
        }
        mac.finalize().into_bytes().to_vec()
    }

    fn sealing_key(&self) -> SealingKey {
        SealingKey::from(self.seal)
    }

    fn mac(&self, key: &[u8; KEY_LEN]) -> Hmac<Sha256> {
        // HMAC pads a short key with zeros to the block size; padding here makes `new` infallible.
        let mut block = [0u8; 64];
        block[..KEY_LEN].copy_from_slice(key);
        <Hmac<Sha256> as hmac::digest::KeyInit>::new(&block.into())
    }
}

impl std::fmt::Debug for QueueKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QueueKeys { .. }")
    }
}

fn associated_data(subject: Address, root: B256) -> Vec<u8> {
    [SEAL_CONTEXT, subject.as_slice(), root.as_slice()].concat()
}

fn claim<'a>(claims: &'a [SaltedClaim], key: &str) -> Option<&'a str> {
    claims
        .iter()
        .find(|claim| claim.key == key)
        .map(|claim| claim.value.as_str())
}

/// A document number as the identity check compares it: Unicode compatibility forms
/// folded (NFKC: full-width letters and digits are plain ones), upper case, and no
/// white space, dashes or dots, so `tk 123-4567` and `TK1234567` are one number.
pub(crate) fn canonical_document_number(number: &str) -> String {
    number
        .nfkc()
        .filter(|c| !c.is_whitespace() && !is_separator(*c))
        .flat_map(char::to_uppercase)
        .collect()
}

/// Dashes and dots people put between the groups of a document number.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        '-' | '.' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{00B7}' | '\u{30FB}'
    )
}

#[cfg(test)]
mod tests {
    use kyc_core::claims::SaltedClaim;

    use kyc_seal::KEY_LEN;

    use super::{canonical_document_number, QueueKeys};

    fn document(fields: &[(&str, &str)]) -> Vec<SaltedClaim> {
        fields
            .iter()
            .map(|&(key, value)| SaltedClaim {
                key: key.to_owned(),
                value: value.to_owned(),
                salt: Default::default(),
            })
            .collect()
    }

    #[test]
    fn one_document_whatever_its_type_and_whether_its_issuer_is_named() {
        let keys = QueueKeys {
            seal: [1; KEY_LEN],
            identity: [2; KEY_LEN],
        };
        let identity =
            |fields: &[(&str, &str)]| keys.identity(&document(fields)).expect("a document");
        let japanese = identity(&[
            ("document.type", "passport"),
            ("document.issuer", "JP"),
            ("document.number", "TK1234567"),
        ]);
        let untyped = identity(&[
            ("document.issuer", "JP"),
            ("document.number", "tk 123 4567"),
        ]);
        let unissued = identity(&[("document.number", "TK-1234567")]);
        let french = identity(&[("document.issuer", "FR"), ("document.number", "TK1234567")]);
        assert_eq!(japanese, untyped);
        assert!(japanese.matches(&unissued) && unissued.matches(&french));
        assert!(!japanese.matches(&french), "another country's document");
        assert_eq!(keys.identity(&document(&[("document.issuer", "JP")])), None);
    }

    #[test]
    fn ways_of_writing_one_document_number_are_one() {
        for written in [
            "TK1234567",
            "tk 123 4567",
            "TK-123-4567",
            "t.k.1234567",
            "\u{FF34}\u{FF2B}\u{FF11}\u{FF12}\u{FF13}\u{FF14}\u{FF15}\u{FF16}\u{FF17}",
            "TK\u{2013}123\u{00A0}4567",
        ] {
            assert_eq!(canonical_document_number(written), "TK1234567", "{written}");
        }
        assert_ne!(canonical_document_number("TK1234568"), "TK1234567");
    }
}
