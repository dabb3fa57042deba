//! The crate's error type: what stops a verification from reaching a verdict.
//!
//! A verdict on a person is a [`Verdict`](crate::Verdict), never an error; an error
//! means the service could not judge (the chain or the database did not answer,
//! the configuration is wrong). Messages never hold claim values or salts.

use alloy::primitives::Address;

/// Everything that can go wrong in `kyc-verifier`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The chain's JSON-RPC endpoint failed or gave an answer that does not decode.
    /// Never a verdict on the person: the submission may be sent again.
    #[error("rpc unavailable: {0}")]
    Rpc(String),
    /// There is no registry contract at the address on the chain, at the block read.
    #[error("no registry contract at {registry} on chain {chain_id} at block {block}")]
    NoRegistry {
        /// The configured registry address.
        registry: Address,
        /// The chain the endpoint serves.
        chain_id: u64,
        /// The block that was read.
        block: u64,
    },
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The SQLite database file could not be created or made owner-only.
    #[error("database file: {0}")]
    DatabaseFile(#[from] std::io::Error),
    /// The key file that seals disclosed claims could not be read or created.
    #[error("database key: {0}")]
    DatabaseKey(kyc_seal::Error),
    /// The database's claims were sealed under another key.
    #[error("the database key does not open this database: its claims were sealed under another key file")]
    WrongDatabaseKey,
    /// The database schema could not be brought up to date.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A database URL names no supported store.
    #[error("unsupported database url {0:?}: expected sqlite://PATH or postgres://…")]
    UnsupportedDatabase(String),
    /// A database URL needs a store this build leaves out.
    #[error("database url {0:?} needs PostgreSQL support: build with the `postgres` feature")]
    PostgresDisabled(String),
    /// A stored row does not read back as what was written.
    #[error("stored {what} of registration {registration_id} is corrupt: {reason}")]
    CorruptRow {
        /// Which column.
        what: &'static str,
        /// The registration the row belongs to.
        registration_id: String,
        /// What does not read.
        reason: String,
    },
    /// A session parameter breaks the registration URI's rules.
    #[error("invalid session: {0}")]
    Session(#[source] kyc_core::Error),
    /// A session's time to live is zero or too long to represent.
    #[error("session time to live must be between 1 second and 1 year")]
    SessionTtl,
    /// A batch ID of invitations is not 1 to 64 of `A-Z a-z 0-9 . _ -`.
    #[error("a batch id is 1 to 64 letters, digits, '.', '_' or '-'")]
    InvalidBatch,
    /// A list of invitations has no header row with one `reference` column.
    #[error("invalid csv: {0}")]
    InvalidCsv(String),
    /// A file for the bank (an invitation's link, QR code or result CSV) could not be
    /// written.
    #[error(transparent)]
    File(#[from] kyc_fs::Error),
    /// A policy file does not parse or breaks a rule.
    #[error("invalid policy: {0}")]
    Policy(String),
    /// The operating system's random generator failed.
    #[error("operating system random generator failed: {0}")]
    Random(getrandom::Error),
    /// The text does not fit in a QR code.
    #[error("cannot encode a qr code: {0}")]
    Qr(#[from] qrcode::types::QrError),
    /// A QR image could not be encoded.
    #[error("cannot encode the qr image: {0}")]
    Image(#[from] image::ImageError),
    /// The system clock is before 1970.
    #[error("the system clock is before 1970")]
    Clock,
    /// The task writing verdicts stopped before they were committed: nothing was
    /// written.
    #[error("the verdicts' writer stopped before committing")]
    WriterStopped,
}

impl From<kyc_seal::Error> for Error {
    fn from(error: kyc_seal::Error) -> Self {
        match error {
            kyc_seal::Error::Random(error) => Self::Random(error),
            error => Self::DatabaseKey(error),
        }
    }
}

impl Error {
    /// A machine-readable code for the error, never a verdict on the person:
    /// `rpc_unavailable` for a chain outage, `store_unavailable` for a database one,
    /// `invalid_session`, `invalid_batch`, `invalid_csv`, `invalid_policy`,
    /// `invalid_database_url`, `file_unwritable`, `internal_error`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Rpc(_) | Self::NoRegistry { .. } => "rpc_unavailable",
            Self::Database(_)
            | Self::DatabaseFile(_)
            | Self::Migration(_)
            | Self::DatabaseKey(_)
            | Self::WrongDatabaseKey
            | Self::CorruptRow { .. } => "store_unavailable",
            Self::Session(_) | Self::SessionTtl => "invalid_session",
            Self::InvalidBatch => "invalid_batch",
            Self::InvalidCsv(_) => "invalid_csv",
            Self::File(_) => "file_unwritable",
            Self::Policy(_) => "invalid_policy",
            Self::UnsupportedDatabase(_) | Self::PostgresDisabled(_) => "invalid_database_url",
            Self::Random(_) | Self::Qr(_) | Self::Image(_) | Self::Clock | Self::WriterStopped => {
                "internal_error"
            }
        }
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::Error;

    /// Sealing fails for want of random bytes (the system's fault) or of a usable key
    /// file (the store's): each keeps its own code.
    #[test]
    fn a_sealing_error_is_internal_for_randomness_and_the_stores_for_the_key_file() {
        let random = Error::from(kyc_seal::Error::Random(getrandom::Error::UNEXPECTED));
        assert!(matches!(random, Error::Random(_)), "{random:?}");
        assert_eq!(random.code(), "internal_error");
        let key_file = Error::from(kyc_seal::Error::KeyLength {
            path: "service.db.key".into(),
            expected: kyc_seal::KEY_LEN,
            found: 3,
        });
        assert!(matches!(key_file, Error::DatabaseKey(_)), "{key_file:?}");
        assert_eq!(key_file.code(), "store_unavailable");
    }
}
