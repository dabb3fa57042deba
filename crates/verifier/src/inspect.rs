//! The checks of a submission that need neither the chain nor the store: shape and
//! sizes, leaf order, the commitment, and the subject's ECDSA signature.

use alloy::primitives::{Address, B256};
use kyc_core::{
    claims::{SaltedClaim, MAX_CLAIMS},
    commitment::root_of_leaves,
    files::Submission,
    signature::{is_erc6492_wrapped, recover_signer},
    uri::is_bare_origin,
};

use crate::{digest::consent_digest, memo::Last, Reason};

/// The largest submission accepted, in bytes: 64 leaves of the largest claims fit.
pub const MAX_SUBMISSION_BYTES: usize = 128 * 1024;
/// The longest signature accepted: 65 bytes for a key, more for a contract wallet (ERC-1271).
pub const MAX_SIGNATURE_LEN: usize = 4096;
/// The longest service origin accepted, in bytes.
pub const MAX_SERVICE_LEN: usize = kyc_core::uri::MAX_ORIGIN_LEN;

/// What the subject's signature shows without asking the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// A strict ECDSA signature by the subject's key.
    Valid,
    /// Not the subject's key: valid only if the subject is a contract that accepts it
    /// (ERC-1271); otherwise the reason given.
    AskContract(Reason),
    /// Refused outright (an ERC-6492 wrapper).
    Invalid(Reason),
}

/// A submission after the checks that need neither chain nor store.
#[derive(Clone, Debug)]
pub struct Inspection {
    /// The parsed submission; `None` when it is not one (then `reasons` is `[malformed]`).
    pub submission: Option<Submission>,
    /// Reasons found so far: `malformed`, `duplicate_field`, `root_mismatch` (the stated
    /// root is not the leaves' root).
    pub reasons: Vec<Reason>,
    /// The root recomputed from the leaves.
    pub computed_root: Option<B256>,
    /// The EIP-712 digest of the consent.
    pub digest: Option<B256>,
    /// The signature's verdict before any ERC-1271 call.
    pub signature: SignatureCheck,
}

impl Inspection {
    pub(crate) fn malformed() -> Self {
        Self {
            submission: None,
            reasons: vec![Reason::Malformed],
            computed_root: None,
            digest: None,
            signature: SignatureCheck::Invalid(Reason::Malformed),
        }
    }

    /// Whether the signature is the subject's: a strict ECDSA signature by its key.
    pub fn signed_by_subject_key(&self) -> bool {
        self.signature == SignatureCheck::Valid
    }
}

/// Parses a submission and runs the checks that need neither chain nor store.
pub fn inspect(json: &[u8]) -> Inspection {
    match parse_submission(json) {
        Some(submission) => inspect_submission(submission),
        None => Inspection::malformed(),
    }
}

/// The bytes of a submission file, read no further than one byte past
/// [`MAX_SUBMISSION_BYTES`]: a larger file costs no more to refuse as malformed.
pub fn read_submission_file(path: &std::path::Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    // Room for a typical submission: read, then the end, with no size asked first.
    let mut json = Vec::with_capacity(8 * 1024);
    std::fs::File::open(path)?
        .take(MAX_SUBMISSION_BYTES as u64 + 1)
        .read_to_end(&mut json)?;
    Ok(json)
}

/// The submission in `json`, unless it is too large or not one.
pub(crate) fn parse_submission(json: &[u8]) -> Option<Submission> {
    if json.len() > MAX_SUBMISSION_BYTES {
        return None;
    }
    // Only whether it parses matters here, so plain serde_json rather than `parse_json`,
    // whose error paths cost time on every submission.
    serde_json::from_slice(json).ok()
}

thread_local! {
    /// The last service origin checked on this thread: a batch answers one service.
    static LAST_ORIGIN: Last<String, bool> = const { Last::new() };
}

/// [`is_bare_origin`], parsing only an origin other than the last one checked here.
fn is_known_bare_origin(service: &str) -> bool {
    LAST_ORIGIN.with(|last| {
        last.get(
            |origin| origin == service,
            || (service.to_owned(), is_bare_origin(service)),
        )
    })
}

/// [`inspect`] for a submission already parsed.
pub fn inspect_submission(submission: Submission) -> Inspection {
    let mut reasons = Vec::new();
    let well_formed = (1..=MAX_CLAIMS).contains(&submission.leaves.len())
        && submission.signature.len() <= MAX_SIGNATURE_LEN
        && submission.service.len() <= MAX_SERVICE_LEN
        && is_known_bare_origin(&submission.service)
        && !submission.subject.is_zero()
        && submission.disclosed().all(|claim| claim.check().is_ok());
    if !well_formed {
        reasons.push(Reason::Malformed);
    }
    match key_order(submission.disclosed()) {
        KeyOrder::Ascending => {}
        KeyOrder::Duplicate => reasons.push(Reason::DuplicateField),
        KeyOrder::Unordered => reasons.push(Reason::Malformed),
    }
    let computed_root = root_of_leaves(&submission.leaves).ok();
    if computed_root != Some(submission.root) {
        reasons.push(Reason::RootMismatch);
    }
    let digest = consent_digest(&submission);
    let signature = check_signature(&submission.signature, digest, submission.subject);
    reasons.sort_unstable();
    reasons.dedup();
    Inspection {
        submission: Some(submission),
        reasons,
        computed_root,
        digest: Some(digest),
        signature,
    }
}

/// What a signature shows of `subject` without the chain (see [`SignatureCheck`]).
pub(crate) fn check_signature(signature: &[u8], digest: B256, subject: Address) -> SignatureCheck {
    if is_erc6492_wrapped(signature) {
        return SignatureCheck::Invalid(Reason::BadSignature);
    }
    match recover_signer(digest, signature) {
        Ok(signer) if signer == subject => SignatureCheck::Valid,
        Ok(_) => SignatureCheck::AskContract(Reason::SignerMismatch),
        Err(_) => SignatureCheck::AskContract(Reason::BadSignature),
    }
}

enum KeyOrder {
    Ascending,
    Duplicate,
    Unordered,
}

/// Disclosed keys must ascend bytewise; a repeated key is told apart from disorder.
fn key_order<'a>(claims: impl Iterator<Item = &'a SaltedClaim>) -> KeyOrder {
    let keys: Vec<&str> = claims.map(|claim| claim.key.as_str()).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    if sorted.windows(2).any(|pair| pair[0] == pair[1]) {
        KeyOrder::Duplicate
    } else if sorted != keys {
        KeyOrder::Unordered
    } else {
        KeyOrder::Ascending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_origin_remembered_as_bare_leaves_every_other_to_be_checked() {
        for service in [
            "https://bank.example",
            "https://bank.example",
            "https://bank.example/",
            "https://bank.example",
            "https://Bank.example",
            "",
            "https://bank.example:443",
            "http://shop.example:8080",
            "https://bank.example",
            "http://shop.example:8080",
        ] {
            assert_eq!(
                is_known_bare_origin(service),
                is_bare_origin(service),
                "{service}"
            );
        }
    }

    /// A submission file is read whole; a larger one than any submission only to one
    /// byte past the limit, and then refused as malformed.
    #[test]
    fn a_submission_file_is_read_no_further_than_the_largest_submission() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let small = dir.path().join("small.json");
        std::fs::write(&small, b"{}").expect("a small file");
        assert_eq!(read_submission_file(&small).expect("read"), b"{}");

        let large = dir.path().join("large.json");
        std::fs::write(&large, vec![b' '; MAX_SUBMISSION_BYTES + 100]).expect("a large file");
        let read = read_submission_file(&large).expect("read");
        assert_eq!(read.len(), MAX_SUBMISSION_BYTES + 1);
        assert!(parse_submission(&read).is_none());

        assert!(read_submission_file(&dir.path().join("missing.json")).is_err());
    }
}
