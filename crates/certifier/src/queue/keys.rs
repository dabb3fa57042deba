//! The queue's secrets: a key that seals personal data at rest (XChaCha20-Poly1305)
//! and a key for the keyed hash of identity documents (HMAC-SHA256).
//!
//! Both live in a key file of 64 random bytes, created with the queue and readable
//! by its owner only; the database alone reveals no claim value and no document.

use std::{io::Write, path::Path};

use alloy::primitives::{Address, B256};
use chacha20poly1305::{
    aead::{Aead, Payload},
    KeyInit, XChaCha20Poly1305, XNonce,
};
use hmac::{Hmac, Mac};
use kyc_core::claims::SaltedClaim;
use sha2::Sha256;

use crate::{Error, Result};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
/// Tells one version of the sealed format from another, and binds the purpose.
const SEAL_CONTEXT: &[u8] = b"kyc-certifier claims v1";
const CHECK_CONTEXT: &[u8] = b"kyc-certifier queue key check v1";

/// The claim keys that name an identity document.
const DOCUMENT_KEYS: [&str; 3] = ["document.type", "document.issuer", "document.number"];

/// The queue's two secrets.
pub(crate) struct QueueKeys {
    seal: [u8; KEY_LEN],
    identity: [u8; KEY_LEN],
}

impl QueueKeys {
    /// Reads the key file at `path`.
    pub(crate) fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|error| Error::KeyFile {
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

    /// Creates a key file at `path` (which must not exist) with fresh keys, readable by
    /// its owner only.
    pub(crate) fn create(path: &Path) -> Result<Self> {
        let mut keys = Self {
            seal: [0; KEY_LEN],
            identity: [0; KEY_LEN],
        };
        getrandom::fill(&mut keys.seal).map_err(Error::Random)?;
        getrandom::fill(&mut keys.identity).map_err(Error::Random)?;
        let mut file = private_file(path)?;
        file.write_all(&keys.seal)
            .and_then(|()| file.write_all(&keys.identity))
            .and_then(|()| file.sync_all())
            .map_err(Error::io(path))?;
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
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(Error::Random)?;
        let plain = serde_json::to_vec(claims).map_err(|_| Error::Seal)?;
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plain,
                    aad: &associated_data(subject, root),
                },
            )
            .map_err(|_| Error::Seal)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts the claims of request `id`; fails if anything was altered.
    pub(crate) fn open(
        &self,
        id: i64,
        sealed: &[u8],
        subject: Address,
        root: B256,
    ) -> Result<Vec<SaltedClaim>> {
        let (nonce, ciphertext) = sealed
            .split_at_checked(NONCE_LEN)
            .ok_or(Error::Unseal { id })?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Unseal { id })?;
        let plain = self
            .cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &associated_data(subject, root),
                },
            )
            .map_err(|_| Error::Unseal { id })?;
        serde_json::from_slice(&plain).map_err(|_| Error::Unseal { id })
    }

    /// The keyed hash of the identity document the claims name, if they name one
    /// (a `document.number`; type and issuer are included when present).
    pub(crate) fn identity(&self, claims: &[SaltedClaim]) -> Option<Vec<u8>> {
        let value = |key: &str| {
            claims
                .iter()
                .find(|claim| claim.key == key)
                .map(|claim| claim.value.as_str())
        };
        value("document.number")?;
        let mut mac = self.mac(&self.identity);
        for key in DOCUMENT_KEYS {
            let part = value(key).unwrap_or_default().as_bytes();
            // Length-prefixed, so that no two documents share an input.
            mac.update(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_be_bytes());
            mac.update(part);
        }
        Some(mac.finalize().into_bytes().to_vec())
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.seal).into())
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

/// Creates `path` for writing, failing if it exists; owner-only on Unix.
pub(crate) fn private_file(path: &Path) -> Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path).map_err(Error::io(path))
}
