//! The crate's error type. Messages name keys, fields, addresses, roots and registration
//! IDs, never claim values, salts, passwords or keys.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};

/// Everything that can go wrong in `kyc-wallet`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A protocol rule from `kyc-core` was broken.
    #[error(transparent)]
    Core(#[from] kyc_core::Error),
    /// A file or folder of the wallet could not be read or written.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done, such as "cannot read".
        action: &'static str,
        /// The file or folder.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file could not be written owner-only, atomically and synced.
    #[error(transparent)]
    File(#[from] kyc_fs::Error),
    /// A file of the wallet does not hold what it should.
    #[error("{} is not valid: {reason}", path.display())]
    BadWalletFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it (never its content).
        reason: String,
    },
    /// The system names no data directory, so the wallet folder must be given.
    #[error("no user data directory on this system to hold the wallet folder")]
    NoDataDir,
    /// The wallet already holds a key; a second one would orphan its credentials.
    #[error("the wallet already has a key in {}", .0.display())]
    KeyExists(PathBuf),
    /// The wallet holds no key yet: one must be created or stored.
    #[error("no key in {}", .0.display())]
    NoKey(PathBuf),
    /// The keystore could not be created or opened (a wrong password is the usual cause).
    #[error("cannot open keystore {}: {reason}", path.display())]
    Keystore {
        /// The keystore file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// Signing failed.
    #[error("cannot sign: {0}")]
    Sign(String),
    /// The claims file is not a JSON object of strings.
    #[error("claims: {0}")]
    ClaimsFormat(String),
    /// Claims that cannot be made canonical; each message names the key and the rule.
    #[error("refused {} claim(s): {}", .0.len(), join_errors(.0))]
    ClaimsRefused(Vec<kyc_core::Error>),
    /// The chain could not be reached or answered with an error.
    #[error("chain: {0}")]
    Rpc(String),
    /// The registry refused a transaction or call, as its custom error explains.
    #[error("the registry refused: {0}")]
    Revert(String),
    /// The endpoint serves another chain than the file names.
    #[error("the chain at the endpoint is {actual}, but {what} is for chain {expected}")]
    WrongChain {
        /// What names the expected chain.
        what: &'static str,
        /// The chain the file names.
        expected: u64,
        /// The chain that answered.
        actual: u64,
    },
    /// The registry connected to is another than the file names.
    #[error("{what} is for registry {expected}, not {actual}")]
    WrongRegistry {
        /// What names the expected registry.
        what: &'static str,
        /// The registry the file names.
        expected: Address,
        /// The registry connected to.
        actual: Address,
    },
    /// No contract is deployed at the registry address.
    #[error("no contract at registry address {registry} on chain {chain_id}")]
    NoRegistry {
        /// The chain.
        chain_id: u64,
        /// The address without code.
        registry: Address,
    },
    /// The address is not a current certifier of the registry.
    #[error("{0} is not a current certifier of this registry")]
    NotCertifier(Address),
    /// A signed message's deadline is not in the future.
    #[error("deadline {deadline} is not after now ({now})")]
    DeadlinePassed {
        /// The deadline.
        deadline: u64,
        /// The current time.
        now: u64,
    },
    /// The wallet holds no request that a credential answers.
    #[error("the wallet made no request for root {root} of {subject} to certifier {certifier} on this chain and registry")]
    NoMatchingRequest {
        /// The credential's root.
        root: B256,
        /// The credential's subject.
        subject: Address,
        /// The credential's certifier.
        certifier: Address,
    },
    /// A credential's claims or salts differ from the wallet's request.
    #[error("the credential's claims differ from the wallet's request: {0}")]
    ClaimsDiffer(String),
    /// The chain does not hold the credential as stated.
    #[error("the chain does not confirm the credential: {0}")]
    NotOnChain(String),
    /// The registration code has expired.
    #[error("the registration code expired at {expired_at} (now {now})")]
    CodeExpired {
        /// The code's `exp`.
        expired_at: u64,
        /// The current time.
        now: u64,
    },
    /// The code names a plain `http://` service on another machine: what is sent
    /// there could be read on the way.
    #[error(
        "the service {0} is not https: a wallet sends personal data over http only to this machine"
    )]
    InsecureService(String),
    /// The wallet holds no credential for the code's chain and registry.
    #[error(
        "the wallet holds no credential{} for chain {chain_id} and registry {registry}{}",
        describe_subject(subject),
        describe_held(held)
    )]
    NoCredentialFor {
        /// The chain the code names.
        chain_id: u64,
        /// The registry the code names.
        registry: Address,
        /// The signing address, when the search was for one.
        subject: Option<Address>,
        /// The (chain, registry) pairs the wallet does hold credentials for.
        held: Vec<(u64, Address)>,
    },
    /// The wallet's credentials from a certifier name no registry, or several, on a chain.
    #[error("{}", describe_registries(*certifier, *chain_id, *count))]
    RegistryUnknown {
        /// The certifier.
        certifier: Address,
        /// The chain.
        chain_id: u64,
        /// How many registries the credentials name.
        count: usize,
    },
    /// No matching credential is live on chain.
    #[error("no credential for this code is active on chain: {0}")]
    NoActiveCredential(String),
    /// A field was chosen that the service did not ask for.
    #[error("field {0} was not asked for: a wallet discloses no more than the service asks")]
    FieldNotAsked(String),
    /// The credential has no claim for a field to disclose.
    #[error("the credential from {certifier} has no claim {field}")]
    CredentialLacks {
        /// The missing key.
        field: String,
        /// The credential's certifier.
        certifier: Address,
    },
    /// A credential belongs to another address than the signing key.
    #[error("the credential is for {credential}, but the key signs as {signer}")]
    WrongSubject {
        /// The credential's subject.
        credential: Address,
        /// The signer's address.
        signer: Address,
    },
    /// An image could not be read.
    #[error("cannot read image: {0}")]
    Image(String),
    /// No QR code could be decoded from an image.
    #[error("no readable QR code in the image{0}")]
    NoQrCode(String),
    /// The HTTP client could not be built or the request failed.
    #[error("cannot reach {url}: {reason}")]
    Http {
        /// The URL.
        url: String,
        /// What went wrong.
        reason: String,
    },
    /// The service answered with something that is not a verdict.
    #[error("{url} answered HTTP {status} without a verdict")]
    NoVerdict {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
    },
    /// The service refused a consent withdrawal.
    #[error("{url} refused the withdrawal: HTTP {status}{}", error_suffix(message))]
    WithdrawalRefused {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The service's error message, when it gave one.
        message: Option<String>,
    },
    /// The service refused a decline.
    #[error("{url} refused the decline: HTTP {status}{}", error_suffix(message))]
    DeclineRefused {
        /// The URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The service's error code, when it gave one.
        message: Option<String>,
    },
    /// The consent log has no consent with this registration ID.
    #[error("the consent log has no consent for registration {0}")]
    UnknownConsent(B256),
    /// A relay file was signed for another chain or registry than the one connected.
    #[error("the relay file is for chain {chain_id} and registry {registry}, not this one")]
    RelayElsewhere {
        /// The file's chain.
        chain_id: u64,
        /// The file's registry.
        registry: Address,
    },
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn join_errors(errors: &[kyc_core::Error]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe_subject(subject: &Option<Address>) -> String {
    subject
        .map(|subject| format!(" of {subject}"))
        .unwrap_or_default()
}

fn describe_held(held: &[(u64, Address)]) -> String {
    if held.is_empty() {
        return " (it holds none)".to_owned();
    }
    let pairs: Vec<String> = held
        .iter()
        .map(|(chain, registry)| format!("chain {chain} registry {registry}"))
        .collect();
    format!(" (it holds credentials for {})", pairs.join(", "))
}

fn describe_registries(certifier: Address, chain_id: u64, count: usize) -> String {
    match count {
        0 => format!("the wallet holds no credential from {certifier} on chain {chain_id}"),
        _ => format!("credentials from {certifier} on chain {chain_id} name {count} registries"),
    }
}

fn error_suffix(message: &Option<String>) -> String {
    message
        .as_ref()
        .map(|message| format!(": {message}"))
        .unwrap_or_default()
}
