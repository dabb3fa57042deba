//! `kyc user request`: an attestation request for a certifier.

use std::path::PathBuf;

use alloy::primitives::Address;
use anyhow::Context;
use kyc_core::age::DEFAULT_AGE_THRESHOLDS;
use kyc_wallet::{
    chain::RegistryClient,
    claims_input::{normalize_claims, with_age_claims},
    request::{prepare_request, write_request},
};

use super::{parse_duration, unix_now, UserWalletArgs};
use crate::{opts::RegistryArgs, output::show};

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
        let deadline = now + self.deadline.as_secs();
        let request = prepare_request(&registry, &signer, self.certifier, &claims, deadline);
        let made = write_request(&wallet, &request.await?, &self.out, normalized.changes)?;
        show(&made, json)
    }
}

/// An age from 13 to 99.
fn parse_age(text: &str) -> Result<u8, String> {
    text.parse::<u8>()
        .ok()
        .filter(|age| kyc_core::age::AGE_THRESHOLDS.contains(age))
        .ok_or_else(|| format!("{text:?} is not an age from 13 to 99"))
}
