//! `kyc user request`: an attestation request for a certifier.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};
use anyhow::Context;
use kyc_core::{age::DEFAULT_AGE_THRESHOLDS, files::JsonFile};
use kyc_wallet::{
    chain::RegistryClient,
    claims_input::{normalize_claims, with_age_claims},
    request::prepare_request,
};
use serde::Serialize;

use super::{parse_duration, print_json, show_time, unix_now, UserWalletArgs};
use crate::opts::RegistryArgs;

/// Normalise the claims of a JSON object (`{"given_name": "Taro", ...}`), salt them, and
/// sign an attestation request with the registry's current nonce.
///
/// Shows which values normalising changed and refuses the keys or values it cannot
/// accept, all at once. Adds the age claims the birthdate makes true today
/// (`age_over_18: "true"`), so a service can learn "over 18" without the birth date.
/// Writes the request for the certifier (owner-only) and keeps a copy in the wallet.
#[derive(Debug, clap::Args)]
pub(crate) struct RequestArgs {
    /// The claims: a JSON object of keys and string values.
    #[arg(long, value_name = "FILE")]
    claims: PathBuf,

    /// The certifier to ask.
    #[arg(long)]
    certifier: Address,

    /// The ages to derive "over NN" claims for from the birthdate (13 to 99).
    #[arg(
        long,
        value_delimiter = ',',
        value_name = "NN,..",
        default_values_t = DEFAULT_AGE_THRESHOLDS,
        value_parser = parse_age
    )]
    age_over: Vec<u8>,

    /// How long the certifier may take to record it.
    #[arg(long, default_value = "10d", value_parser = parse_duration)]
    deadline: std::time::Duration,

    /// Where to write the request.
    #[arg(long, default_value = "request.json", value_name = "FILE")]
    out: PathBuf,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl RequestArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let text = std::fs::read_to_string(&self.claims)
            .with_context(|| format!("cannot read {}", self.claims.display()))?;
        let normalized = normalize_claims(&text)
            .with_context(|| format!("{} is refused", self.claims.display()))?;
        let wallet = self.wallet.open()?;
        let signer = self.wallet.signer(&wallet)?;
        let provider = self.registry.rpc.provider()?;
        let registry = RegistryClient::connect(provider, self.registry.registry).await?;
        let now = unix_now()?;
        let claims = with_age_claims(&normalized.claims, &self.age_over, now)
            .with_context(|| format!("{} is refused", self.claims.display()))?;
        let request = prepare_request(
            &registry,
            &signer,
            self.certifier,
            &claims,
            now + self.deadline.as_secs(),
        )
        .await?;
        kyc_fs::write_private(&self.out, (request.to_json()? + "\n").as_bytes())?;
        let copy = wallet.save_request(&request)?;
        if json {
            print_json(&Made {
                request: &self.out,
                copy: &copy,
                subject: request.subject,
                certifier: request.certifier,
                root: request.root,
                nonce: request.nonce,
                deadline: request.deadline,
                changed: normalized.changes.iter().map(|c| c.key.as_str()).collect(),
                age_claims: request
                    .claims
                    .iter()
                    .map(|c| c.key.as_str())
                    .filter(|key| key.starts_with(kyc_core::age::AGE_CLAIM_PREFIX))
                    .collect(),
            });
            return Ok(());
        }
        for change in &normalized.changes {
            println!(
                "normalised {}: {:?} -> {:?}",
                change.key, change.before, change.after
            );
        }
        println!(
            "request for {} claims of {} to certifier {}",
            request.claims.len(),
            request.subject,
            request.certifier
        );
        let ages: Vec<String> = request
            .claims
            .iter()
            .filter_map(|c| kyc_core::age::age_threshold(&c.key).ok().flatten())
            .map(|age| format!("over {age}"))
            .collect();
        if !ages.is_empty() {
            println!("derived  {} (from the birthdate, today)", ages.join(", "));
        }
        println!("root     {}", request.root);
        println!("nonce    {}", request.nonce);
        println!("deadline {}", show_time(request.deadline));
        println!(
            "wrote {} (a copy is in {})",
            self.out.display(),
            copy.display()
        );
        Ok(())
    }
}

/// What `kyc user request --json` prints.
#[derive(Serialize)]
struct Made<'a> {
    request: &'a PathBuf,
    copy: &'a PathBuf,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    subject: Address,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    certifier: Address,
    root: B256,
    nonce: u64,
    deadline: u64,
    changed: Vec<&'a str>,
    age_claims: Vec<&'a str>,
}

/// An age from 13 to 99.
fn parse_age(text: &str) -> Result<u8, String> {
    text.parse::<u8>()
        .ok()
        .filter(|age| kyc_core::age::AGE_THRESHOLDS.contains(age))
        .ok_or_else(|| format!("{text:?} is not an age from 13 to 99"))
}
