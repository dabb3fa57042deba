//! `kyc user scan`, `kyc user consent` and `kyc user consents`: registration codes and
//! the consents given to them.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
};

use alloy::primitives::Address;
use anyhow::{bail, Context};
use kyc_core::{
    files::{Credential, JsonFile, Submission},
    uri::RegistrationUri,
};
use kyc_wallet::{
    chain::RegistryClient,
    consent::{build_submission, choose_credential, choose_fields},
    consent_log::{ConsentRecord, OUTCOME_UNDELIVERED, OUTCOME_WRITTEN},
    http::{ServiceClient, Verdict},
    scan::{credentials_for, decode_qr_image, missing_fields, read_code},
    Error,
};
use serde_json::json;

use super::{print_json, show_time, unix_now, UserWalletArgs};
use crate::opts::RpcArgs;

/// Where a registration code comes from: its URI, or an image of its QR code.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct CodeArgs {
    /// The registration URI, `kycanchor://register?...`.
    uri: Option<String>,

    /// A PNG or JPEG image of the QR code.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
}

impl CodeArgs {
    /// Reads the code, refusing a malformed or expired one.
    fn read(&self, now: u64) -> anyhow::Result<RegistrationUri> {
        let text = match (&self.uri, &self.image) {
            (Some(uri), _) => uri.clone(),
            (None, Some(path)) => {
                let bytes = std::fs::read(path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                decode_qr_image(&bytes).with_context(|| format!("{} is refused", path.display()))?
            }
            (None, None) => bail!("give a registration URI or --image FILE"),
        };
        read_code(&text, now).context("the registration code is refused")
    }
}

/// Show who asks for which fields in a registration code, so the person can compare the
/// registration ID with the service's screen.
///
/// Refuses an expired or malformed code, a callback on another origin than the service,
/// and a code for a chain or registry the wallet holds no credential for.
#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    code: CodeArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ScanArgs {
    pub(crate) fn run(self, json: bool) -> anyhow::Result<()> {
        let now = unix_now()?;
        let code = self.code.read(now)?;
        let wallet = self.wallet.open()?;
        let credentials = wallet.credentials()?;
        let matching = credentials_for(&code, &credentials, None)?;
        if json {
            let answers: Vec<serde_json::Value> = matching
                .iter()
                .map(|credential| {
                    json!({
                        "certifier": credential.certifier.to_string(),
                        "root": credential.root,
                        "missing_fields": missing_fields(&code, credential),
                    })
                })
                .collect();
            let mut value = code_json(&code);
            value["credentials"] = answers.into();
            print_json(&value);
            return Ok(());
        }
        print_code(&mut std::io::stdout(), &code, now)?;
        for credential in matching {
            let missing = missing_fields(&code, credential);
            if missing.is_empty() {
                println!(
                    "the credential from {} has every field",
                    credential.certifier
                );
            } else {
                println!(
                    "the credential from {} lacks {}",
                    credential.certifier,
                    missing.join(", ")
                );
            }
        }
        Ok(())
    }
}

/// Consent to a registration code: sign a Consent and disclose the asked fields, with
/// their salts, and only the digests of the other claims.
///
/// Discloses exactly the fields asked for unless --fields names fewer; never more. Shows
/// what goes to whom and asks for confirmation unless --yes. The consent is logged in
/// the wallet (`kyc user consents`).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["out", "submit"])))]
pub(crate) struct ConsentArgs {
    #[command(flatten)]
    code: CodeArgs,

    /// Disclose only these of the asked fields (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "KEY,..")]
    fields: Option<Vec<String>>,

    /// Use the credential from this certifier [default: the newest active one].
    #[arg(long)]
    certifier: Option<Address>,

    /// Consent without asking.
    #[arg(long)]
    yes: bool,

    /// Write the submission to this file.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Send the submission to the code's callback and print the service's verdict.
    #[arg(long)]
    submit: bool,

    #[command(flatten)]
    rpc: RpcArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ConsentArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        if !self.yes && !std::io::stdin().is_terminal() {
            bail!(
                "no terminal to confirm on: review the code with `kyc user scan`, then pass --yes"
            );
        }
        let now = unix_now()?;
        let code = self.code.read(now)?;
        let wallet = self.wallet.open()?;
        let credentials = wallet.credentials()?;
        let signer = self.wallet.signer(&wallet)?;
        let candidates = credentials_for(&code, &credentials, Some(signer.address()))?;
        let fields = choose_fields(&code, self.fields.as_deref())?;
        let registry = RegistryClient::connect(self.rpc.provider()?, code.registry).await?;
        registry.check_same("the registration code", code.chain_id, code.registry)?;
        let credential = choose_credential(&candidates, &fields, self.certifier, &registry).await?;

        let mut screen = std::io::stderr();
        print_code(&mut screen, &code, now)?;
        print_disclosure(&mut screen, credential, &fields)?;
        if !self.yes {
            confirm(&code)?;
        }
        let signed_at = unix_now()?;
        if code.is_expired(signed_at) {
            return Err(Error::CodeExpired {
                expired_at: code.expires_at,
                now: signed_at,
            }
            .into());
        }
        let submission = build_submission(&signer, credential, &code, &fields, signed_at)?;
        let log = wallet.consent_log();
        let record = |outcome: &str, reasons: Vec<String>| ConsentRecord {
            registration_id: code.registration_id,
            service: code.service.clone(),
            name: code.name.clone(),
            chain_id: code.chain_id,
            registry: code.registry,
            certifier: credential.certifier,
            fields: submission.consent().fields,
            signed_at,
            outcome: outcome.to_owned(),
            reasons,
            withdrawn_at: None,
        };

        if let Some(out) = &self.out {
            std::fs::write(out, submission.to_json()? + "\n")
                .with_context(|| format!("cannot write {}", out.display()))?;
            log.append(record(OUTCOME_WRITTEN, Vec::new()))?;
            if json {
                print_json(&submission_json(&submission, Some(out), None));
            } else {
                println!("wrote the signed submission to {}", out.display());
            }
            return Ok(());
        }
        let verdict = match ServiceClient::new()?
            .submit(&code.callback, &submission)
            .await
        {
            Ok(verdict) => verdict,
            Err(error) => {
                log.append(record(OUTCOME_UNDELIVERED, Vec::new()))?;
                return Err(error.into());
            }
        };
        log.append(record(&verdict.outcome, verdict.reasons.clone()))?;
        if json {
            print_json(&submission_json(&submission, None, Some(&verdict)));
        } else {
            println!("{}: {}", code.name, verdict.outcome);
            if !verdict.reasons.is_empty() {
                println!("reasons: {}", verdict.reasons.join(", "));
            }
        }
        Ok(())
    }
}

fn submission_json(
    submission: &Submission,
    out: Option<&PathBuf>,
    verdict: Option<&Verdict>,
) -> serde_json::Value {
    json!({
        "registration_id": submission.registration_id,
        "service": submission.service,
        "subject": submission.subject.to_string(),
        "certifier": submission.certifier.to_string(),
        "fields": submission.consent().fields,
        "signed_at": submission.signed_at,
        "out": out,
        "verdict": verdict.map(|verdict| verdict.body.clone()),
    })
}

/// Asks on the terminal; anything but yes refuses.
fn confirm(code: &RegistrationUri) -> anyhow::Result<()> {
    eprint!("disclose these to {} ({})? [y/N] ", code.name, code.service);
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if !matches!(answer.trim(), "y" | "Y" | "yes") {
        bail!("consent declined; nothing was signed or sent");
    }
    Ok(())
}

fn code_json(code: &RegistrationUri) -> serde_json::Value {
    json!({
        "name": code.name,
        "service": code.service,
        "registration_id": code.registration_id,
        "fields": code.fields,
        "expires_at": code.expires_at,
        "chain_id": code.chain_id,
        "registry": code.registry.to_string(),
        "callback": code.callback,
    })
}

fn print_code(out: &mut impl Write, code: &RegistrationUri, now: u64) -> std::io::Result<()> {
    writeln!(out, "service          {:?} at {}", code.name, code.service)?;
    writeln!(
        out,
        "registration ID  {} (compare it with the service's screen)",
        code.registration_id
    )?;
    writeln!(out, "asks for         {}", code.fields.join(", "))?;
    writeln!(
        out,
        "expires          {} (in {}s)",
        show_time(code.expires_at),
        code.expires_at.saturating_sub(now)
    )?;
    writeln!(
        out,
        "chain            {} registry {}",
        code.chain_id, code.registry
    )?;
    writeln!(out, "callback         {}", code.callback)
}

/// What will be disclosed, values included: this goes to the person's own terminal.
fn print_disclosure(
    out: &mut impl Write,
    credential: &Credential,
    fields: &[String],
) -> std::io::Result<()> {
    writeln!(
        out,
        "from the credential of certifier {}, disclosing:",
        credential.certifier
    )?;
    for claim in credential
        .claims
        .iter()
        .filter(|claim| fields.contains(&claim.key))
    {
        writeln!(out, "  {} = {:?}", claim.key, claim.value)?;
    }
    let hidden = credential.claims.len()
        - credential
            .claims
            .iter()
            .filter(|c| fields.contains(&c.key))
            .count();
    writeln!(out, "and {hidden} other claim(s) as digests only")
}

/// List the consents given: service, registration ID, fields, time and outcome.
#[derive(Debug, clap::Args)]
pub(crate) struct ConsentsArgs {
    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ConsentsArgs {
    pub(crate) fn run(self, json: bool) -> anyhow::Result<()> {
        let wallet = self.wallet.open()?;
        let records = wallet.consent_log().records()?;
        if json {
            print_json(&json!({ "consents": records }));
            return Ok(());
        }
        if records.is_empty() {
            println!("no consents given");
        }
        for record in records {
            let withdrawn = record
                .withdrawn_at
                .map(|at| format!(", withdrawn {}", show_time(at)))
                .unwrap_or_default();
            println!(
                "{} {:?} {} registration {}: {} [{}]{withdrawn}",
                show_time(record.signed_at),
                record.name,
                record.service,
                record.registration_id,
                record.fields.join(", "),
                record.outcome,
            );
        }
        Ok(())
    }
}
