//! Consent: which fields to disclose, from which credential, and the signed submission
//! that shows the chosen claims and only the digests of the others.

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use kyc_core::{
    commitment::Commitment,
    files::{Credential, FormatVersion, Submission},
    uri::RegistrationUri,
};

use crate::{
    chain::RegistryClient,
    credential::{credential_status, CredentialStatus},
    request::sign_digest,
    Error, Result,
};

/// The fields to disclose: by default exactly those asked; a person may choose fewer,
/// never one that was not asked for. Keeps the order given, refusing repeats.
pub fn choose_fields(code: &RegistrationUri, chosen: Option<&[String]>) -> Result<Vec<String>> {
    let Some(chosen) = chosen else {
        return Ok(code.fields.clone());
    };
    for (index, field) in chosen.iter().enumerate() {
        if !code.fields.contains(field) {
            return Err(Error::FieldNotAsked(field.clone()));
        }
        if chosen[..index].contains(field) {
            return Err(kyc_core::Error::DuplicateKey(field.clone()).into());
        }
    }
    Ok(chosen.to_vec())
}

/// Among the wallet's credentials for a code, the newest that has every field to disclose
/// and is active on chain; `certifier` narrows the choice to one certification body.
pub async fn choose_credential<'a>(
    candidates: &[&'a Credential],
    fields: &[String],
    certifier: Option<Address>,
    registry: &RegistryClient,
) -> Result<&'a Credential> {
    let mut from_certifier: Vec<&Credential> = candidates
        .iter()
        .copied()
        .filter(|credential| certifier.is_none_or(|wanted| credential.certifier == wanted))
        .collect();
    if let (Some(wanted), true) = (certifier, from_certifier.is_empty()) {
        return Err(Error::NoActiveCredential(format!(
            "the wallet holds no credential from {wanted} for this chain and registry"
        )));
    }
    from_certifier.sort_by_key(|credential| std::cmp::Reverse(credential.issued_at));
    let mut not_live = Vec::new();
    let mut lacking = None;
    for credential in from_certifier {
        if let Some(field) = fields
            .iter()
            .find(|field| !credential.claims.iter().any(|claim| &&claim.key == field))
        {
            lacking.get_or_insert(Error::CredentialLacks {
                field: field.clone(),
                certifier: credential.certifier,
            });
            continue;
        }
        match credential_status(credential, registry).await? {
            CredentialStatus::Active => return Ok(credential),
            status => not_live.push(format!(
                "the credential from {} for root {} is {status}",
                credential.certifier, credential.root
            )),
        }
    }
    match (not_live.is_empty(), lacking) {
        (true, Some(lacking)) => Err(lacking),
        _ => Err(Error::NoActiveCredential(not_live.join("; "))),
    }
}

/// Signs a `Consent` to disclose `fields` of `credential` to the code's service, and
/// builds the submission: `{key, value, salt}` for the disclosed claims, `{digest}`
/// for every other, in leaf order.
pub fn build_submission(
    signer: &PrivateKeySigner,
    credential: &Credential,
    code: &RegistrationUri,
    fields: &[String],
    signed_at: u64,
) -> Result<Submission> {
    if credential.subject != signer.address() {
        return Err(Error::WrongSubject {
            credential: credential.subject,
            signer: signer.address(),
        });
    }
    if credential.chain_id != code.chain_id {
        return Err(Error::WrongChain {
            what: "the credential",
            expected: credential.chain_id,
            actual: code.chain_id,
        });
    }
    if credential.registry != code.registry {
        return Err(Error::WrongRegistry {
            what: "the credential",
            expected: credential.registry,
            actual: code.registry,
        });
    }
    let fields = choose_fields(code, Some(fields))?;
    if let Some(field) = fields
        .iter()
        .find(|field| !credential.claims.iter().any(|claim| &&claim.key == field))
    {
        return Err(Error::CredentialLacks {
            field: field.clone(),
            certifier: credential.certifier,
        });
    }
    let commitment = Commitment::from_salted(credential.claims.clone())?;
    let mut submission = Submission {
        version: FormatVersion,
        registration_id: code.registration_id,
        service: code.service.clone(),
        chain_id: credential.chain_id,
        registry: credential.registry,
        subject: credential.subject,
        certifier: credential.certifier,
        root: commitment.root(),
        leaves: commitment.disclose(&fields)?,
        signed_at,
        signature: Default::default(),
    };
    submission.signature = sign_digest(signer, submission.signing_hash())?.into();
    Ok(submission)
}
