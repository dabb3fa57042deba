//! The crate's error type. Messages name key files, never key bytes or sealed content.

use std::path::PathBuf;

/// Everything that can go wrong in `kyc-seal`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The key file could not be read, created, or is not owner-only.
    #[error("key file: {0}")]
    File(#[from] kyc_fs::Error),
    /// The key file does not hold a key.
    #[error("key file {}: expected {expected} bytes, found {found}", path.display())]
    KeyLength {
        /// The key file.
        path: PathBuf,
        /// The length of a key.
        expected: usize,
        /// The length of the file.
        found: usize,
    },
    /// The operating system's random generator failed.
    #[error("operating system random generator failed: {0}")]
    Random(getrandom::Error),
    /// A value could not be sealed.
    #[error("a value could not be sealed")]
    Seal,
    /// A sealed value does not open: another key, another place, or altered.
    #[error("a sealed value does not open: another key, moved, or altered")]
    Open,
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
