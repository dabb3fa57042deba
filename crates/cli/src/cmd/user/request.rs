//! `kyc user request`: an attestation request for a certifier.

use std::path::PathBuf;

use alloy::primitives::Address;
use anyhow::Context;
use kyc_core::files::JsonFile;
use kyc_wallet::{chain::RegistryClient, claims_input::normalize_claims, request::prepare_request};
use serde_json::json;

use super::{parse_duration, print_json, show_time, unix_now, UserWalletArgs};
use crate::opts::RegistryArgs;

/// Normalise the claims of a JSON object (`{"given_name": "Taro", ...}`), salt them, and
/// sign an attestation request with the registry's current nonce.
///
/// Shows which values normalising changed and refuses the keys or values it cannot
/// accept, all at once. Writes the request for the certifier and keeps a copy in the wallet.
#[derive(Debug, clap::Args)]
pub(crate) struct RequestArgs {
    /// The claims: a JSON object of keys and string values.
    #[arg(long, value_name = "FILE")]
    claims: PathBuf,

    /// The certifier to ask.
    #[arg(long)]
    certifier: Address,

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
        let deadline = unix_now()? + self.deadline.as_secs();
        let request = prepare_request(
            &registry,
            &signer,
            self.certifier,
            &normalized.claims,
            deadline,
        )
        .await?;
        std::fs::write(&self.out, request.to_json()? + "\n")
            .with_context(|| format!("cannot write {}", self.out.display()))?;
        let copy = wallet.save_request(&request)?;
        if json {
            let changed: Vec<&str> = normalized.changes.iter().map(|c| c.key.as_str()).collect();
            print_json(&json!({
                "request": self.out,
                "copy": copy,
                "subject": request.subject.to_string(),
                "certifier": request.certifier.to_string(),
                "root": request.root,
                "nonce": request.nonce,
                "deadline": request.deadline,
                "changed": changed,
            }));
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
