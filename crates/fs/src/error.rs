//! The crate's error type: what was being done, to which path, and why it failed.

use std::{io, path::Path, path::PathBuf};

/// Everything that can go wrong in `kyc-fs`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused a step of the write.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// The step, such as "cannot sync".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
    /// A file that must be its owner's alone can be read or written by others.
    #[error(
        "{} is accessible to other users (mode {mode:o}): make it owner-only (chmod 600)",
        path.display()
    )]
    NotPrivate {
        /// The file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
}

impl Error {
    /// Wraps an I/O error of `action` on `path`.
    pub fn at(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
