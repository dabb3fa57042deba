//! The wallet folder: an encrypted key, the requests made, the credentials received
//! and the consent log, each a file a person can back up, readable by its owner only
//! and written atomically and synced ([`kyc_fs`]).
//!
//! ```text
//! keystore.json            the key, an encrypted JSON keystore (scrypt, AES-128-CTR)
//! requests/<root>.json     every attestation request made, as sent to the certifier
//! credentials/<root>.json  every credential imported after checking it
//! consents.json            the consent log
//! ```

use std::{
    fs,
    path::{Path, PathBuf},
};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use kyc_core::files::{Credential, JsonFile, Request};

use crate::{consent_log::ConsentLog, Error, Result};

const KEYSTORE: &str = "keystore.json";
const REQUESTS: &str = "requests";
const CREDENTIALS: &str = "credentials";
const CONSENTS: &str = "consents.json";

/// A wallet folder.
#[derive(Clone, Debug)]
pub struct Wallet {
    dir: PathBuf,
}

impl Wallet {
    /// The default folder: `kyc-anchor/wallet` in the user's data directory
    /// (`~/.local/share` on Linux, `~/Library/Application Support` on macOS).
    pub fn default_dir() -> Result<PathBuf> {
        dirs::data_dir()
            .map(|data| data.join("kyc-anchor").join("wallet"))
            .ok_or(Error::NoDataDir)
    }

    /// Opens a wallet folder, creating it (readable by its owner only) if missing.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self> {
        let wallet = Self { dir: dir.into() };
        kyc_fs::create_private_dir(&wallet.dir)?;
        Ok(wallet)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The keystore file.
    pub fn keystore_path(&self) -> PathBuf {
        self.dir.join(KEYSTORE)
    }

    /// Whether the wallet holds a key.
    pub fn has_key(&self) -> bool {
        self.keystore_path().exists()
    }

    /// Creates a fresh random key, encrypted with `password`. Refuses if the wallet has a key.
    pub fn create_key(&self, password: &str) -> Result<PrivateKeySigner> {
        let signer = PrivateKeySigner::random();
        self.store_key(&signer, password)?;
        Ok(signer)
    }

    /// Stores an existing key, encrypted with `password`. Refuses if the wallet has a key.
    pub fn store_key(&self, signer: &PrivateKeySigner, password: &str) -> Result<()> {
        let path = self.keystore_path();
        if path.exists() {
            return Err(Error::KeyExists(path));
        }
        let keystore_error = |reason: String| Error::Keystore {
            path: path.clone(),
            reason,
        };
        // The keystore library writes where it is told: into a private scratch folder,
        // from which the keystore is written owner-only, atomically and synced.
        let scratch = self.dir.join(".keystore.new");
        kyc_fs::create_private_dir(&scratch)?;
        let encrypted = PrivateKeySigner::encrypt_keystore(
            &scratch,
            &mut rand::thread_rng(),
            signer.to_bytes(),
            password,
            Some(KEYSTORE),
        )
        .map_err(|e| keystore_error(e.to_string()))
        .and_then(|_| {
            let written = scratch.join(KEYSTORE);
            fs::read(&written).map_err(io_error("cannot read", &written))
        });
        let removed = fs::remove_dir_all(&scratch).map_err(io_error("cannot remove", &scratch));
        kyc_fs::write_private(&path, &encrypted?)?;
        removed
    }

    /// Decrypts the wallet's key.
    pub fn unlock(&self, password: &str) -> Result<PrivateKeySigner> {
        let path = self.keystore_path();
        if !path.exists() {
            return Err(Error::NoKey(path));
        }
        PrivateKeySigner::decrypt_keystore(&path, password).map_err(|e| Error::Keystore {
            reason: match e.to_string().as_str() {
                "Mac Mismatch" => "wrong password".to_owned(),
                other => other.to_lowercase(),
            },
            path,
        })
    }

    /// Keeps a copy of a request; returns where.
    pub fn save_request(&self, request: &Request) -> Result<PathBuf> {
        self.save(REQUESTS, &request.root.to_string(), request)
    }

    /// Every request the wallet made.
    pub fn requests(&self) -> Result<Vec<Request>> {
        self.load_all(REQUESTS)
    }

    /// Stores a credential (check it first with [`crate::credential::import_credential`]).
    pub fn save_credential(&self, credential: &Credential) -> Result<PathBuf> {
        self.save(CREDENTIALS, &credential.root.to_string(), credential)
    }

    /// Every credential the wallet holds, oldest first.
    pub fn credentials(&self) -> Result<Vec<Credential>> {
        let mut credentials: Vec<Credential> = self.load_all(CREDENTIALS)?;
        credentials.sort_by_key(|credential| credential.issued_at);
        Ok(credentials)
    }

    /// The one registry on `chain_id` where the wallet holds a credential from `certifier`.
    pub fn registry_of(&self, chain_id: u64, certifier: Address) -> Result<Address> {
        let mut registries: Vec<Address> = self
            .credentials()?
            .iter()
            .filter(|credential| {
                credential.chain_id == chain_id && credential.certifier == certifier
            })
            .map(|credential| credential.registry)
            .collect();
        registries.sort();
        registries.dedup();
        match registries.as_slice() {
            [registry] => Ok(*registry),
            registries => Err(Error::RegistryUnknown {
                certifier,
                chain_id,
                count: registries.len(),
            }),
        }
    }

    /// The consent log.
    pub fn consent_log(&self) -> ConsentLog {
        ConsentLog::new(self.dir.join(CONSENTS))
    }

    fn save<T: JsonFile>(&self, folder: &str, name: &str, file: &T) -> Result<PathBuf> {
        let dir = self.dir.join(folder);
        kyc_fs::create_private_dir(&dir)?;
        let path = dir.join(format!("{name}.json"));
        kyc_fs::write_private(&path, file.to_json()?.as_bytes())?;
        Ok(path)
    }

    fn load_all<T: JsonFile>(&self, folder: &str) -> Result<Vec<T>> {
        let dir = self.dir.join(folder);
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let entries = fs::read_dir(&dir).map_err(io_error("cannot list", &dir))?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(io_error("cannot list", &dir))?.path();
            if path.extension().is_some_and(|ext| ext == "json") {
                paths.push(path);
            }
        }
        paths.sort();
        paths.iter().map(|path| read_json_file(path)).collect()
    }
}

/// Reads and checks a JSON file; errors name the file and the JSON path, never the content.
pub fn read_json_file<T: JsonFile>(path: &Path) -> Result<T> {
    let text = fs::read_to_string(path).map_err(io_error("cannot read", path))?;
    T::from_json(&text).map_err(|e| Error::BadWalletFile {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

pub(crate) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_owned();
    move |source| Error::Io {
        action,
        path,
        source,
    }
}
