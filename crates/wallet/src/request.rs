//! Attestation requests: salted claims, their root and the subject's signed `AttestRequest`.

use alloy::{
    primitives::{Address, B256},
    signers::{local::PrivateKeySigner, SignerSync},
};
use kyc_core::{
    claims::ClaimSet,
    commitment::Commitment,
    files::{FormatVersion, Request},
    signature::encode_signature,
};

use crate::{chain::RegistryClient, Error, Result};

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
