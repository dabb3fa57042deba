//! Consent: which fields to disclose, from which credential, the signed submission
//! that shows the chosen claims and only the digests of the others, its delivery to
//! the service or a file, and its entry in the consent log.

use std::path::{Path, PathBuf};

use alloy::{
    primitives::{Address, B256},
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use kyc_core::{
    claims::SaltedClaim,
    commitment::Commitment,
    files::{Credential, FormatVersion, JsonFile, Submission},
    uri::RegistrationUri,
};
use serde::Serialize;

use crate::{
    chain::RegistryClient,
    consent_log::{ConsentOutcome, ConsentRecord},
    credential::{credential_status, CredentialStatus},
    http::ServiceClient,
    request::sign_digest,
    scan::credentials_for,
    Error, Result, Wallet,
};

/// A consent about to be given: the code, the fields to disclose and the credential
/// they come from, ready to be shown to the person before anything is signed.
#[derive(Clone, Debug)]
pub struct ConsentDraft {
    /// The registration code answered.
    pub code: RegistrationUri,
    /// The fields to disclose, as chosen.
    pub fields: Vec<String>,
    /// The credential the values come from: the newest live one that has them all.
    pub credential: Credential,
    /// The credential's certifier's name in the registry.
    pub certifier_name: String,
}

/// Where a signed submission goes.
#[derive(Clone, Copy, Debug)]
pub enum Delivery<'a> {
    /// Posted to the code's callback; the service's verdict is the outcome.
    Service(&'a ServiceClient),
    /// Written to a file (owner-only: it holds personal data).
    File(&'a Path),
}

/// What a consent sent and what came of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsentReceipt {
    /// The registration ID the consent is bound to.
    pub registration_id: B256,
    /// Its six-digit check code.
    pub check_code: String,
    /// The service's origin.
    pub service: String,
    /// The signer.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub subject: Address,
    /// The certifier of the credential used.
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    pub certifier: Address,
    /// The disclosed keys, in leaf order.
    pub fields: Vec<String>,
    /// When the consent was signed.
    pub signed_at: u64,
    /// What came of it.
    pub outcome: ConsentOutcome,
    /// The service's reasons, as it gave them.
    pub reasons: Vec<String>,
    /// The file the submission was written to.
    pub out: Option<PathBuf>,
    /// The service's whole answer.
    pub verdict: Option<serde_json::Value>,
}

/// What a consent sends and what it keeps back, values included: for the person's own
/// screen only. `Debug` hides the values.
#[derive(Clone, Debug)]
pub struct Disclosure<'a> {
    /// The claims sent, with their values, in leaf order.
    pub sent: Vec<&'a SaltedClaim>,
    /// The keys of the claims that stay undisclosed (sent as digests only).
    pub undisclosed: Vec<&'a str>,
}

/// Splits a credential's claims into those `fields` sends and those it keeps back.
pub fn disclosure<'a>(credential: &'a Credential, fields: &[String]) -> Disclosure<'a> {
    let (sent, kept): (Vec<&SaltedClaim>, Vec<&SaltedClaim>) = credential
        .claims
        .iter()
        .partition(|claim| fields.contains(&claim.key));
    Disclosure {
        sent,
        undisclosed: kept.into_iter().map(|claim| claim.key.as_str()).collect(),
    }
}

impl ConsentDraft {
    /// Chooses the fields (all asked, or the fewer given) and the newest credential of
    /// `subject` that has them and is live on the code's chain and registry.
    pub async fn prepare(
        wallet: &Wallet,
        provider: DynProvider,
        code: RegistrationUri,
        subject: Address,
        fields: Option<&[String]>,
        certifier: Option<Address>,
    ) -> Result<Self> {
        let credentials = wallet.credentials()?;
        let candidates = credentials_for(&code, &credentials, Some(subject))?;
        let fields = choose_fields(&code, fields)?;
        let registry = RegistryClient::connect(provider, code.registry).await?;
        registry.check_same("the registration code", code.chain_id, code.registry)?;
        let credential = choose_credential(&candidates, &fields, certifier, &registry)
            .await?
            .clone();
        let certifier_name = registry.certifier_name(credential.certifier).await?;
        Ok(Self {
            code,
            fields,
            credential,
            certifier_name,
        })
    }

    /// What the consent sends and keeps back.
    pub fn disclosure(&self) -> Disclosure<'_> {
        disclosure(&self.credential, &self.fields)
    }

    /// Signs the consent at `signed_at` (refusing a code expired by then), delivers the
    /// submission and logs the consent in the wallet. A service that cannot be reached
    /// is logged as undelivered, and its error returned.
    pub async fn give(
        &self,
        wallet: &Wallet,
        signer: &PrivateKeySigner,
        delivery: Delivery<'_>,
        signed_at: u64,
    ) -> Result<ConsentReceipt> {
        if self.code.is_expired(signed_at) {
            return Err(Error::CodeExpired {
                expired_at: self.code.expires_at,
                now: signed_at,
            });
        }
        let submission = build_submission(
            signer,
            &self.credential,
            &self.code,
            &self.fields,
            signed_at,
        )?;
        let log = wallet.consent_log();
        let mut receipt = ConsentReceipt {
            registration_id: submission.registration_id,
            check_code: self.code.check_code(),
            service: submission.service.clone(),
            subject: submission.subject,
            certifier: submission.certifier,
            fields: submission.consent().fields,
            signed_at,
            outcome: ConsentOutcome::Written,
            reasons: Vec::new(),
            out: None,
            verdict: None,
        };
        match delivery {
            Delivery::File(path) => {
                kyc_fs::write_private(path, (submission.to_json()? + "\n").as_bytes())?;
                receipt.out = Some(path.to_owned());
            }
            Delivery::Service(client) => {
                match client.submit(&self.code.callback, &submission).await {
                    Ok(verdict) => {
                        receipt.outcome = verdict.outcome;
                        receipt.reasons = verdict.reasons;
                        receipt.verdict = Some(verdict.body);
                    }
                    Err(error) => {
                        receipt.outcome = ConsentOutcome::Undelivered;
                        log.append(self.record(&receipt))?;
                        return Err(error);
                    }
                }
            }
        }
        log.append(self.record(&receipt))?;
        Ok(receipt)
    }

    fn record(&self, receipt: &ConsentReceipt) -> ConsentRecord {
        ConsentRecord {
            registration_id: self.code.registration_id,
            service: self.code.service.clone(),
            name: self.code.name.clone(),
            chain_id: self.code.chain_id,
            registry: self.code.registry,
            certifier: self.credential.certifier,
            fields: receipt.fields.clone(),
            signed_at: receipt.signed_at,
            outcome: receipt.outcome,
            reasons: receipt.reasons.clone(),
            withdrawn_at: None,
            callback: Some(self.code.callback.clone()),
        }
    }
}

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
