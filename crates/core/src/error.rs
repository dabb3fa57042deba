//! The crate's error type. Messages name keys and fields, never claim values or salts.

use alloy_primitives::B256;

/// Everything that can go wrong in `kyc-core`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A claim key does not match `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$` in 1–64 bytes.
    #[error("invalid claim key {key:?}: {reason}")]
    InvalidKey {
        /// The key.
        key: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A claim value breaks a rule; the value itself is not repeated.
    #[error("claim {key}: value {reason}")]
    InvalidValue {
        /// The claim's key.
        key: String,
        /// What is wrong with the value.
        reason: &'static str,
    },
    /// A claim value is valid but normalising it would change it.
    #[error("claim {key}: value is not in canonical form (normalise before salting)")]
    NotCanonical {
        /// The claim's key.
        key: String,
    },
    /// A claim set or leaf list is empty or longer than 64.
    #[error("expected 1 to 64 claims, got {0}")]
    ClaimCount(usize),
    /// Two claims, or two requested fields, share a key.
    #[error("duplicate claim key {0}")]
    DuplicateKey(String),
    /// Claims are not in leaf order (keys ascending bytewise).
    #[error("claim {0} is out of order: keys must ascend bytewise")]
    KeyOrder(String),
    /// A Merkle root was asked of no leaves.
    #[error("a merkle tree needs at least one leaf")]
    NoLeaves,
    /// A field to disclose is not among the claims.
    #[error("no claim with key {0}")]
    MissingClaim(String),
    /// A file's root differs from the root of its claims or leaves.
    #[error("root mismatch: the file says {stated}, its claims give {computed}")]
    RootMismatch {
        /// The root written in the file.
        stated: B256,
        /// The root recomputed from the claims or leaves.
        computed: B256,
    },
    /// The operating system's random generator failed.
    #[error("operating system random generator failed: {0}")]
    Random(getrandom::Error),
    /// An evidence name is not one of the known ones.
    #[error("unknown evidence {0:?}: expected document, face, address, phone, email or in_person")]
    UnknownEvidence(String),
    /// An evidence name appears twice.
    #[error("evidence {0} appears twice")]
    DuplicateEvidence(String),
    /// Evidence bits that no evidence kind has.
    #[error("unknown evidence bits in {0:#x}")]
    UnknownEvidenceBits(u16),
    /// A status value the registry does not define.
    #[error("unknown attestation status {0}")]
    UnknownStatus(u8),
    /// A code that names no variant of a [`coded_enum!`](crate::coded_enum) enum.
    #[error("unknown {kind} {code:?}: expected one of {}", expected.join(", "))]
    UnknownCode {
        /// The enum's name.
        kind: &'static str,
        /// The code given.
        code: String,
        /// The codes the enum has.
        expected: &'static [&'static str],
    },
    /// A signature is not 65 bytes (64-byte compact signatures are refused too).
    #[error("signature is {0} bytes, expected 65 (r || s || v)")]
    SignatureLength(usize),
    /// A signature's `v` is not 27, 28 (or 0, 1 off chain).
    #[error("signature v is {0}, expected 27 or 28")]
    SignatureV(u8),
    /// A signature's `r` or `s` is zero.
    #[error("signature r or s is zero")]
    SignatureZero,
    /// A signature's `s` is in the upper half of the curve order.
    #[error("signature s is high (s > n/2)")]
    SignatureHighS,
    /// A signature recovers no key, or the zero address.
    #[error("signature recovers no signer")]
    SignatureRecovery,
    /// A registration URI is malformed as a whole.
    #[error("registration uri {0}")]
    Uri(&'static str),
    /// A registration URI parameter is missing, repeated, unknown or malformed.
    #[error("registration uri parameter {param:?} {reason}")]
    UriParam {
        /// The parameter's name.
        param: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A file field breaks a rule.
    #[error("{field} {reason}")]
    InvalidField {
        /// The field's name.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An age claim threshold outside 13 to 99.
    #[error("age threshold {0} is not from 13 to 99")]
    AgeThreshold(u8),
    /// An age claim that its claim set's birthdate does not make true.
    #[error("claim {key} {reason}")]
    AgeClaim {
        /// The age claim's key, such as `age_over_18`.
        key: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// A body over its size limit.
    #[error("{what} is over the limit of {limit} bytes")]
    TooLarge {
        /// What the body should have been.
        what: &'static str,
        /// The limit, in bytes.
        limit: usize,
    },
    /// JSON that does not parse into the expected file; names the path, not the input.
    #[error("invalid json: {0}")]
    Json(String),
    /// The system clock is before 1970.
    #[error("the system clock is before 1970")]
    Clock,
    /// A duration is not a number with a unit.
    #[error("{0} (write durations such as 10d, 36h or 15m)")]
    Duration(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
