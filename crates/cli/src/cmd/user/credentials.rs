//! `kyc user import` and `kyc user show`: the wallet's credentials.

use std::path::PathBuf;

use alloy::primitives::{Address, B256};
use anyhow::Context;
use kyc_core::{
    evidence::Evidence,
    files::{Credential, JsonFile},
};
use kyc_wallet::{
    chain::RegistryClient,
    credential::{import_credential, list_credentials, CredentialEntry},
};
use serde::Serialize;

use super::{show_time, UserWalletArgs};
use crate::{opts::RpcArgs, output::print_json};

/// Check a credential from a certifier and keep it in the wallet.
///
/// The credential must answer a request this wallet made (same claims and salts) and the
/// registry must hold its root for the subject from that certifier, active and unexpired.
#[derive(Debug, clap::Args)]
pub(crate) struct ImportArgs {
    /// The credential file.
    credential: PathBuf,

    #[command(flatten)]
    rpc: RpcArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ImportArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let name = self.credential.display().to_string();
        let text = std::fs::read_to_string(&self.credential)
            .with_context(|| format!("cannot read {name}"))?;
        let credential =
            Credential::from_json(&text).with_context(|| format!("{name} is not valid"))?;
        let wallet = self.wallet.open()?;
        // The registry to ask is the one the credential names.
        let registry = RegistryClient::connect(self.rpc.provider()?, credential.registry).await?;
        let credential = import_credential(&wallet, &registry, credential)
            .await
            .with_context(|| format!("{name} is refused"))?;
        let certifier_name = registry.certifier_name(credential.certifier).await?;
        if json {
            print_json(&Imported {
                imported: credential.root,
                subject: credential.subject,
                certifier: credential.certifier,
                certifier_name: &certifier_name,
                evidence: credential.evidence,
                expires_at: credential.expires_at,
            })?;
        } else {
            println!(
                "imported the credential from {certifier_name:?} ({}) for {}",
                credential.certifier, credential.subject
            );
            println!("root      {}", credential.root);
            println!("evidence  {}", credential.evidence.names().join(", "));
            println!("expires   {}", show_time(credential.expires_at));
        }
        Ok(())
    }
}

/// List the wallet's credentials: certifier, evidence, expiry, fields, and the status the
/// chain gives (active, expired, revoked, withdrawn, replaced, certifier_removed).
#[derive(Debug, clap::Args)]
pub(crate) struct ShowArgs {
    #[command(flatten)]
    rpc: RpcArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ShowArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let wallet = self.wallet.open()?;
        let entries = list_credentials(&wallet, self.rpc.provider()?).await?;
        if json {
            #[derive(Serialize)]
            struct Listed {
                credentials: Vec<CredentialEntry>,
            }
            print_json(&Listed {
                credentials: entries,
            })?;
            return Ok(());
        }
        if entries.is_empty() {
            println!("no credentials in {}", wallet.dir().display());
        }
        entries.iter().for_each(|entry| print!("{entry}"));
        Ok(())
    }
}

/// What `kyc user import --json` prints.
#[derive(Serialize)]
struct Imported<'a> {
    imported: B256,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    subject: Address,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    certifier: Address,
    certifier_name: &'a str,
    evidence: Evidence,
    expires_at: u64,
}
