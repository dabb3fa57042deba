//! Request and relay files in, credential files out.

use std::path::{Path, PathBuf};

use kyc_core::files::{Credential, JsonFile};

use crate::{Error, Result};

/// The request files named by `inputs`: each file as given, each folder's `*.json`
/// files in name order.
pub fn request_files(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(Error::io(input))?
                .map(|entry| entry.map(|entry| entry.path()))
                .collect::<std::io::Result<_>>()
                .map_err(Error::io(input))?;
            found
                .retain(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "json"));
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

/// Reads and checks a file: a [`Request`](kyc_core::files::Request) (canonical claims,
/// root) or a [`WithdrawRelay`](kyc_core::files::WithdrawRelay). The chain checks are
/// [`check_request`](crate::check::check_request)'s and
/// [`relay_withdraw`](crate::relay::relay_withdraw)'s.
pub fn read_file<F: JsonFile>(path: &Path) -> Result<F> {
    let text = std::fs::read_to_string(path).map_err(Error::io(path))?;
    F::from_json(&text).map_err(|source| Error::InvalidFile {
        path: path.to_owned(),
        source,
    })
}

/// The credential's file name: the subject's checksummed address.
pub fn credential_path(dir: &Path, credential: &Credential) -> PathBuf {
    dir.join(format!("{}.json", credential.subject.to_checksum(None)))
}

/// Writes a credential into `dir` (created owner-only if missing) as `<subject>.json`:
/// owner-only, replacing the file atomically, synced.
pub fn write_credential(dir: &Path, credential: &Credential) -> Result<PathBuf> {
    kyc_fs::create_private_dir(dir)?;
    let path = credential_path(dir, credential);
    let json = credential.to_json()?;
    kyc_fs::write_private(&path, format!("{json}\n").as_bytes())?;
    Ok(path)
}
