//! Attestation requests: salted claims, their root and the subject's signed `AttestRequest`.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use alloy::{
    primitives::{Address, B256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use kyc_core::{
    age::{age_threshold, AGE_CLAIM_PREFIX},
    claims::ClaimSet,
    commitment::Commitment,
    files::{FormatVersion, JsonFile, Request},
    signature::encode_signature,
    time::format_time,
};

use crate::{chain::RegistryClient, claims_input::ChangedValue, Error, Result, Wallet};

/// Salts `claims`, reads the pair's nonce from the registry and signs the request.
///
/// Refuses a certifier the registry does not list and a deadline that is not after
/// the chain's time, since the contract would refuse both.
pub async fn prepare_request(
    registry: &RegistryClient,
    signer: &PrivateKeySigner,
    certifier: Address,
    claims: &ClaimSet,
    deadline: u64,
) -> Result<Request> {
    if !registry.is_certifier(certifier).await? {
        return Err(Error::NotCertifier(certifier));
    }
    let now = registry.chain_time().await?;
    if deadline <= now {
        return Err(Error::DeadlinePassed { deadline, now });
    }
    let nonce = registry.nonce(signer.address(), certifier).await?;
    let commitment = Commitment::new(claims)?;
    sign_request(
        signer,
        &commitment,
        RequestTarget {
            chain_id: registry.chain_id(),
            registry: registry.address(),
            certifier,
            nonce,
            deadline,
        },
    )
}

/// Where a request goes and what the registry expects of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestTarget {
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    pub registry: Address,
    /// The certifier asked.
    pub certifier: Address,
    /// The registry's current `nonces(subject, certifier)`.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
}

/// Signs the `AttestRequest` for a commitment and returns the request file.
pub fn sign_request(
    signer: &PrivateKeySigner,
    commitment: &Commitment,
    target: RequestTarget,
) -> Result<Request> {
    let mut request = Request {
        version: FormatVersion,
        chain_id: target.chain_id,
        registry: target.registry,
        subject: signer.address(),
        certifier: target.certifier,
        claims: commitment.claims().to_vec(),
        root: commitment.root(),
        nonce: target.nonce,
        deadline: target.deadline,
        signature: Default::default(),
    };
    request.signature = sign_digest(signer, request.signing_hash())?.into();
    Ok(request)
}

/// Signs an EIP-712 digest in the one form the protocol accepts: 65 bytes, low `s`, `v` 27 or 28.
pub(crate) fn sign_digest(signer: &PrivateKeySigner, digest: B256) -> Result<Vec<u8>> {
    let signature = signer
        .sign_hash_sync(&digest)
        .map_err(|e| Error::Sign(e.to_string()))?;
    Ok(encode_signature(&signature).to_vec())
}

/// A request written by [`write_request`]: where it was written and what it asks. In JSON the
/// normalised keys are listed, never their values.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RequestMade {
    /// The request file for the certifier.
    pub request: PathBuf,
    /// The wallet's copy.
    pub copy: PathBuf,
    /// The person.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub subject: Address,
    /// The certifier asked.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub certifier: Address,
    /// The root of the salted claims.
    pub root: B256,
    /// The pair's nonce signed.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
    /// The keys whose values normalising changed.
    pub changed: Vec<String>,
    /// The age claims derived from the birthdate.
    pub age_claims: Vec<String>,
    /// How many claims the request holds.
    #[serde(skip)]
    pub claim_count: usize,
    /// The values normalising changed, for the person's own screen only.
    #[serde(skip)]
    pub changes: Vec<ChangedValue>,
}

impl fmt::Display for RequestMade {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for change in &self.changes {
            let (key, before, after) = (&change.key, &change.before, &change.after);
            writeln!(f, "normalised {key}: {before:?} -> {after:?}")?;
        }
        let (count, subject, certifier) = (self.claim_count, self.subject, self.certifier);
        writeln!(
            f,
            "request for {count} claims of {subject} to certifier {certifier}"
        )?;
        let ages: Vec<String> = self
            .age_claims
            .iter()
            .filter_map(|key| age_threshold(key).ok().flatten())
            .map(|age| format!("over {age}"))
            .collect();
        if !ages.is_empty() {
            writeln!(
                f,
                "derived  {} (from the birthdate, today)",
                ages.join(", ")
            )?;
        }
        writeln!(f, "root     {}", self.root)?;
        writeln!(f, "nonce    {}", self.nonce)?;
        writeln!(f, "deadline {}", format_time(self.deadline))?;
        let (request, copy) = (self.request.display(), self.copy.display());
        write!(f, "wrote {request} (a copy is in {copy})")
    }
}

/// Writes a signed request to `out` for the certifier (owner-only: it holds personal
/// data) and keeps a copy in the wallet; `changes` are what normalising its claims changed.
pub fn write_request(
    wallet: &Wallet,
    request: &Request,
    out: &Path,
    changes: Vec<ChangedValue>,
) -> Result<RequestMade> {
    kyc_fs::write_private(out, (request.to_json()? + "\n").as_bytes())?;
    let copy = wallet.save_request(request)?;
    let keys = request.claims.iter().map(|claim| claim.key.clone());
    Ok(RequestMade {
        request: out.to_owned(),
        copy,
        subject: request.subject,
        certifier: request.certifier,
        root: request.root,
        nonce: request.nonce,
        deadline: request.deadline,
        changed: changes.iter().map(|change| change.key.clone()).collect(),
        age_claims: keys
            .filter(|key| key.starts_with(AGE_CLAIM_PREFIX))
            .collect(),
        claim_count: request.claims.len(),
        changes,
    })
}
