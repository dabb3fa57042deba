//! The crate's error type. Messages name fields, addresses, roots and request IDs, never
//! claim values, salts or keys.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};

/// Everything that can go wrong in `kyc-certifier`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request, credential or relay file is malformed or inconsistent.
    #[error("{} is not valid: {source}", path.display())]
    InvalidFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: kyc_core::Error,
    },
    /// A request or credential breaks a protocol rule.
    #[error(transparent)]
    Core(#[from] kyc_core::Error),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A file holding personal data or a key could not be written.
    #[error(transparent)]
    File(#[from] kyc_fs::Error),
    /// The chain could not be reached, or answered with something other than a revert.
    #[error("rpc unavailable while {action}: {message}")]
    Rpc {
        /// What was being done.
        action: &'static str,
        /// The transport's explanation.
        message: String,
    },
    /// The registry refused a call; the message is its custom error, decoded.
    #[error("registry refused {action}: {reason}")]
    Revert {
        /// What was being done.
        action: &'static str,
        /// The decoded custom error.
        reason: String,
    },
    /// A mined transaction failed.
    #[error("transaction {tx_hash} reverted")]
    Reverted {
        /// The failed transaction.
        tx_hash: B256,
    },
    /// A sent transaction was not mined, or not confirmed, in time.
    #[error("transaction {tx_hash} not confirmed within {waited_secs}s")]
    NotConfirmed {
        /// The transaction waited for.
        tx_hash: B256,
        /// How long it was waited for.
        waited_secs: u64,
    },
    /// Earlier transactions of the signer are still waiting to be mined.
    #[error("{count} earlier transactions of {account} are still unmined; retry when they are")]
    TransactionsInFlight {
        /// The signing account.
        account: Address,
        /// How many are waiting.
        count: u64,
    },
    /// There is no contract at the registry address.
    #[error("no contract at registry address {registry} on chain {chain_id}")]
    NoContract {
        /// The address given.
        registry: Address,
        /// The chain asked.
        chain_id: u64,
    },
    /// The contract at the registry address is not a `KycRegistry` for this chain.
    #[error("the contract at {registry} on chain {chain_id} is not a KycRegistry (its EIP-712 domain differs)")]
    NotARegistry {
        /// The address given.
        registry: Address,
        /// The chain asked.
        chain_id: u64,
    },
    /// A file names another chain than the one the RPC serves.
    #[error("chain_id is {file}, but the rpc serves chain {chain}")]
    WrongChain {
        /// The chain in the file.
        file: u64,
        /// The chain behind the RPC.
        chain: u64,
    },
    /// A file names another registry than ours.
    #[error("registry is {file}, but this certifier uses {ours}")]
    WrongRegistry {
        /// The registry in the file.
        file: Address,
        /// The registry in use.
        ours: Address,
    },
    /// A request is addressed to another certifier.
    #[error("certifier is {file}, but this certifier signs as {ours}")]
    WrongCertifier {
        /// The certifier in the file.
        file: Address,
        /// Our signing address.
        ours: Address,
    },
    /// A request's nonce is not the registry's current one for the pair.
    #[error("nonce is {file}, but the registry's nonce for {subject} is {registry}")]
    WrongNonce {
        /// The subject.
        subject: Address,
        /// The nonce in the file.
        file: u64,
        /// The registry's current nonce.
        registry: u64,
    },
    /// A signature's deadline has passed, or is too close to be mined in time.
    #[error("deadline {deadline} has passed or is less than 30s ahead (chain time {now})")]
    DeadlinePassed {
        /// The signed deadline.
        deadline: u64,
        /// The time compared with.
        now: u64,
    },
    /// A signature is not the subject's for this message, chain and registry.
    #[error("signature is not {subject}'s: {reason}")]
    BadSignature {
        /// The subject that should have signed.
        subject: Address,
        /// Why the signature was refused.
        reason: String,
    },
    /// The queue database failed.
    #[error("queue database: {0}")]
    Database(#[from] sqlx::Error),
    /// The queue schema could not be brought up to date.
    #[error("queue database migration: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// The queue key file is missing, unreadable or malformed.
    #[error("queue key file {}: {reason}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The key file does not belong to this queue.
    #[error("queue key file {} does not open this queue", path.display())]
    WrongKey {
        /// The key file.
        path: PathBuf,
    },
    /// Personal data could not be sealed.
    #[error("personal data could not be sealed")]
    Seal,
    /// Sealed personal data failed to decrypt (tampered, or another key).
    #[error("personal data of request #{id} does not decrypt")]
    Unseal {
        /// The request.
        id: i64,
    },
    /// The operating system's random generator failed.
    #[error("operating system random generator failed: {0}")]
    Random(getrandom::Error),
    /// No request has this ID.
    #[error("no request #{0} in the queue")]
    UnknownRequest(i64),
    /// The request is not pending.
    #[error("request #{id} is {status}, not pending")]
    NotPending {
        /// The request.
        id: i64,
        /// Its status.
        status: String,
    },
    /// The same request (subject, certifier and nonce) is already waiting in the queue.
    #[error("a request of {subject} with nonce {nonce} is already pending as #{id}")]
    AlreadyQueued {
        /// The subject.
        subject: Address,
        /// The nonce.
        nonce: u64,
        /// The pending request.
        id: i64,
    },
    /// The identity document already backs a live attestation of another address; a
    /// rebinding approval revokes that attestation first.
    #[error("the identity document is already attested for {other} (request #{other_id})")]
    DuplicateIdentity {
        /// The other address.
        other: Address,
        /// The request that attested it.
        other_id: i64,
    },
    /// Two requests of one approval carry the same identity document for different addresses.
    #[error("the identity document is also in request #{other_id} of this approval")]
    DuplicateInBatch {
        /// The other request.
        other_id: i64,
    },
    /// A request's registry state moved on: it can never be attested.
    #[error("stale request: {0}")]
    Stale(String),
    /// The request's personal data was already deleted.
    #[error("personal data of request #{id} was deleted")]
    DataDeleted {
        /// The request.
        id: i64,
    },
    /// Two requests of one run are from the same subject: one nonce, one of them can pass.
    #[error("another request of {0} is in this batch")]
    SubjectTwice(Address),
    /// A number does not fit the queue's 63-bit integers.
    #[error("{field} is out of range")]
    OutOfRange {
        /// The field.
        field: &'static str,
    },
    /// An option is out of range.
    #[error("{option} {reason}")]
    InvalidOption {
        /// The option.
        option: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }

    pub(crate) fn rpc(
        action: &'static str,
    ) -> impl FnOnce(alloy::transports::TransportError) -> Self {
        move |error| Self::Rpc {
            action,
            message: error.to_string(),
        }
    }

    /// A failed contract call: the registry's decoded custom error, or an outage.
    pub(crate) fn contract(action: &'static str) -> impl FnOnce(alloy::contract::Error) -> Self {
        move |error| match kyc_contracts::decode_revert(&error) {
            Some(decoded) => Self::Revert {
                action,
                reason: kyc_contracts::describe_revert(&decoded),
            },
            None => match error {
                alloy::contract::Error::TransportError(alloy::transports::RpcError::ErrorResp(
                    payload,
                )) if payload.as_revert_data().is_some() => Self::Revert {
                    action,
                    reason: format!("execution reverted ({})", payload.message),
                },
                other => Self::Rpc {
                    action,
                    message: other.to_string(),
                },
            },
        }
    }
}
