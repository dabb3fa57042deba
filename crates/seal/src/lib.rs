#![doc = include_str!("../README.md")]

use std::{fmt, path::Path};

use chacha20poly1305::{
    aead::{Aead, Payload},
    KeyInit, XChaCha20Poly1305, XNonce,
};

mod error;

pub use error::{Error, Result};

/// The length of a key, in bytes.
pub const KEY_LEN: usize = 32;
/// The length of a nonce, in bytes: the first bytes of a sealed value.
pub const NONCE_LEN: usize = 24;

/// A key that seals values with XChaCha20-Poly1305. Its `Debug` shows no key byte.
#[derive(Clone)]
pub struct SealingKey([u8; KEY_LEN]);

impl SealingKey {
    /// A fresh key from the operating system's random generator.
    pub fn generate() -> Result<Self> {
        let mut key = [0; KEY_LEN];
        getrandom::fill(&mut key).map_err(Error::Random)?;
        Ok(Self(key))
    }

    /// Reads the key file at `path`: exactly [`KEY_LEN`] bytes, owner-only.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = kyc_fs::read_private(path)?;
        let key = bytes
            .try_into()
            .map_err(|bytes: Vec<u8>| Error::KeyLength {
                path: path.to_owned(),
                expected: KEY_LEN,
                found: bytes.len(),
            })?;
        Ok(Self(key))
    }

    /// Reads the key file at `path`, first creating it with a fresh key (owner-only,
    /// atomically, synced) when there is none.
    pub fn read_or_create(path: &Path) -> Result<Self> {
        if !path.exists() {
            // Another process may create it first: then its key is the one read.
            kyc_fs::create_private(path, &Self::generate()?.0)?;
        }
        Self::read(path)
    }

    /// Encrypts `plain`, bound to `associated`: a fresh nonce, then the ciphertext and tag.
    pub fn seal(&self, plain: &[u8], associated: &[u8]) -> Result<Vec<u8>> {
        self.seal_from(&mut RandomPool::default(), plain, associated)
    }

    /// [`seal`](Self::seal) with the nonce taken from `pool`: sealing many values
    /// asks the operating system for random bytes once, not once per value.
    pub fn seal_from(
        &self,
        pool: &mut RandomPool,
        plain: &[u8],
        associated: &[u8],
    ) -> Result<Vec<u8>> {
        let nonce: [u8; NONCE_LEN] = pool.take()?;
        let sealed = self
            .cipher()
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: plain,
                    aad: associated,
                },
            )
            .map_err(|_| Error::Seal)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts what [`seal`](Self::seal) made with this key and the same `associated`
    /// data; fails, revealing nothing, for anything else.
    pub fn open(&self, sealed: &[u8], associated: &[u8]) -> Result<Vec<u8>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN).ok_or(Error::Open)?;
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| Error::Open)?;
        self.cipher()
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| Error::Open)
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&self.0).into())
    }
}

/// Random bytes from the operating system's generator, drawn together and handed out
/// once each: the nonces of many sealed values, or many IDs, for one system call.
/// When the pool runs out it draws afresh.
#[derive(Default)]
pub struct RandomPool {
    /// Bytes not handed out yet, taken from the end.
    bytes: Vec<u8>,
}

impl RandomPool {
    /// A pool of `len` random bytes.
    pub fn draw(len: usize) -> Result<Self> {
        let mut bytes = vec![0; len];
        getrandom::fill(&mut bytes).map_err(Error::Random)?;
        Ok(Self { bytes })
    }

    /// The next `N` random bytes; no byte is handed out twice.
    pub fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut taken = [0; N];
        match self.bytes.len().checked_sub(N) {
            Some(rest) => {
                taken.copy_from_slice(&self.bytes[rest..]);
                self.bytes.truncate(rest);
            }
            None => getrandom::fill(&mut taken).map_err(Error::Random)?,
        }
        Ok(taken)
    }
}

impl fmt::Debug for RandomPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RandomPool({} bytes)", self.bytes.len())
    }
}

impl From<[u8; KEY_LEN]> for SealingKey {
    fn from(key: [u8; KEY_LEN]) -> Self {
        Self(key)
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealingKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::{Error, RandomPool, SealingKey, KEY_LEN};

    #[test]
    fn a_pool_hands_out_each_byte_once_then_draws_afresh() -> super::Result<()> {
        let mut pool = RandomPool::draw(40)?;
        let first: [u8; 24] = pool.take()?;
        let second: [u8; 16] = pool.take()?;
        assert!(format!("{pool:?}").contains("0 bytes"));
        let third: [u8; 24] = pool.take()?;
        let fourth: [u8; 24] = pool.take()?;
        assert!(!first.windows(16).any(|window| window == second));
        assert_ne!(first, third);
        assert_ne!(third, fourth);
        let key = SealingKey::from([7; KEY_LEN]);
        let mut pool = RandomPool::draw(48)?;
        let sealed = [
            key.seal_from(&mut pool, b"Ada", b"row 1")?,
            key.seal_from(&mut pool, b"Ada", b"row 1")?,
        ];
        assert_ne!(sealed[0][..24], sealed[1][..24], "a nonce each");
        for sealed in sealed {
            assert_eq!(key.open(&sealed, b"row 1")?, b"Ada");
        }
        Ok(())
    }

    #[test]
    fn a_sealed_value_opens_only_with_its_key_its_place_and_unaltered() -> super::Result<()> {
        let key = SealingKey::from([7; KEY_LEN]);
        let sealed = key.seal(b"Ada Lovelace", b"row 1")?;
        assert!(!sealed.windows(b"Ada".len()).any(|window| window == b"Ada"));
        assert_eq!(key.open(&sealed, b"row 1")?, b"Ada Lovelace");
        assert_ne!(
            key.seal(b"Ada Lovelace", b"row 1")?,
            sealed,
            "a fresh nonce each time"
        );
        assert!(matches!(key.open(&sealed, b"row 2"), Err(Error::Open)));
        assert!(matches!(
            SealingKey::from([8; KEY_LEN]).open(&sealed, b"row 1"),
            Err(Error::Open)
        ));
        let mut altered = sealed.clone();
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(matches!(key.open(&altered, b"row 1"), Err(Error::Open)));
        assert!(matches!(
            key.open(&sealed[..10], b"row 1"),
            Err(Error::Open)
        ));
        assert_eq!(format!("{key:?}"), "SealingKey(***)");
        Ok(())
    }

    fn refusal(path: &std::path::Path) -> String {
        SealingKey::read(path)
            .err()
            .map(|error| error.to_string())
            .unwrap_or_default()
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_is_created_once_owner_only_and_refused_when_others_may_read_it(
    ) -> Result<(), Box<dyn std::error::Error>> {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("database.key");
        let sealed = SealingKey::read_or_create(&path)?.seal(b"Ada", b"row 1")?;
        assert_eq!(
            std::fs::metadata(&path)?.permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            SealingKey::read_or_create(&path)?.open(&sealed, b"row 1")?,
            b"Ada"
        );
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
        let refused = refusal(&path);
        assert!(
            refused.contains("database.key") && refused.contains("644"),
            "{refused}"
        );
        std::fs::write(&path, b"short")?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        let refused = refusal(&path);
        assert!(refused.contains("expected 32 bytes, found 5"), "{refused}");
        Ok(())
    }
}
