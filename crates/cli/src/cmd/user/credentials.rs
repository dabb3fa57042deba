//! `kyc user import` and `kyc user show`: the wallet's credentials.

use std::path::PathBuf;

use alloy::providers::Provider;
use anyhow::Context;
use kyc_core::files::{Credential, JsonFile};
use kyc_wallet::{
    chain::RegistryClient,
    credential::{credential_status, import_credential, CredentialStatus},
};
use serde_json::json;

use super::{print_json, show_time, UserWalletArgs};
use crate::opts::RpcArgs;

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
            print_json(&json!({
                "imported": credential.root,
                "subject": credential.subject.to_string(),
                "certifier": credential.certifier.to_string(),
                "certifier_name": certifier_name,
                "evidence": credential.evidence,
                "expires_at": credential.expires_at,
            }));
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
        let credentials = wallet.credentials()?;
        let provider = self.rpc.provider()?;
        let chain_id = if credentials.is_empty() {
            None
        } else {
            Some(
                provider
                    .get_chain_id()
                    .await
                    .with_context(|| format!("cannot reach the chain at {}", self.rpc.rpc_url))?,
            )
        };
        let mut rows = Vec::new();
        for credential in &credentials {
            let (status, certifier_name) = if Some(credential.chain_id) == chain_id {
                let registry =
                    RegistryClient::connect(provider.clone(), credential.registry).await?;
                (
                    credential_status(credential, &registry).await?,
                    registry.certifier_name(credential.certifier).await?,
                )
            } else {
                (CredentialStatus::OtherChain, String::new())
            };
            rows.push((credential, status, certifier_name));
        }
        if json {
            let list: Vec<serde_json::Value> = rows
                .iter()
                .map(|(credential, status, name)| row_json(credential, *status, name))
                .collect();
            print_json(&json!({ "credentials": list }));
            return Ok(());
        }
        if rows.is_empty() {
            println!("no credentials in {}", wallet.dir().display());
        }
        for (credential, status, name) in rows {
            let fields: Vec<&str> = credential.claims.iter().map(|c| c.key.as_str()).collect();
            println!("{:<10} {} {name:?}", status.code(), credential.certifier);
            println!("           subject   {}", credential.subject);
            println!(
                "           chain     {} registry {}",
                credential.chain_id, credential.registry
            );
            println!("           root      {}", credential.root);
            println!(
                "           evidence  {}",
                credential.evidence.names().join(", ")
            );
            println!("           expires   {}", show_time(credential.expires_at));
            println!("           fields    {}", fields.join(", "));
        }
        Ok(())
    }
}

fn row_json(credential: &Credential, status: CredentialStatus, name: &str) -> serde_json::Value {
    let fields: Vec<&str> = credential.claims.iter().map(|c| c.key.as_str()).collect();
    json!({
        "status": status.code(),
        "certifier": credential.certifier.to_string(),
        "certifier_name": name,
        "subject": credential.subject.to_string(),
        "chain_id": credential.chain_id,
        "registry": credential.registry.to_string(),
        "root": credential.root,
        "evidence": credential.evidence,
        "issued_at": credential.issued_at,
        "expires_at": credential.expires_at,
        "fields": fields,
    })
}
