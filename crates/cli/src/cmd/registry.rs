//! `kyc registry`: the registry owner's commands (deploy, add and remove certifiers) and
//! what the registry holds about a subject.

use alloy::primitives::Address;
use clap::Subcommand;
use kyc_certifier::{
    chain::Confirmed,
    governance::{
        add_certifier, attestations_of, deploy_registry, remove_certifier, CertifierAttestation,
    },
    Chain,
};
use serde::Serialize;

use crate::{
    opts::{RegistryArgs, RpcArgs, WalletArgs},
    output::print_json,
};

/// `deploy --json`.
#[derive(Serialize)]
struct Deployed {
    #[serde(with = "kyc_core::hex")]
    registry: Address,
    #[serde(with = "kyc_core::hex")]
    owner: Address,
}

/// `add-certifier --json`.
#[derive(Serialize)]
struct Added<'a> {
    #[serde(with = "kyc_core::hex")]
    added: Address,
    name: &'a str,
    #[serde(flatten)]
    confirmed: Confirmed,
}

/// `remove-certifier --json`.
#[derive(Serialize)]
struct Removed {
    #[serde(with = "kyc_core::hex")]
    removed: Address,
    #[serde(flatten)]
    confirmed: Confirmed,
}

/// `show --json`.
#[derive(Serialize)]
struct Shown<'a> {
    #[serde(with = "kyc_core::hex")]
    subject: Address,
    attestations: &'a [CertifierAttestation],
}

/// The registry: deploy it, govern its certifiers, show a subject's attestations.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: RegistryCommand,
}

#[derive(Debug, Subcommand)]
enum RegistryCommand {
    /// Deploy a KycRegistry owned by the signing account and print its address.
    Deploy(DeployArgs),
    /// Add a certifier with a display name (owner only).
    AddCertifier(AddArgs),
    /// Remove a certifier; its attestations stop counting (owner only).
    RemoveCertifier(RemoveArgs),
    /// Show a subject's attestations: root, status, evidence, times, isVerified.
    Show(ShowArgs),
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        match self.command {
            RegistryCommand::Deploy(args) => args.run(json).await,
            RegistryCommand::AddCertifier(args) => args.run(json).await,
            RegistryCommand::RemoveCertifier(args) => args.run(json).await,
            RegistryCommand::Show(args) => args.run(json).await,
        }
    }
}

/// Deploy a KycRegistry owned by the signing account.
#[derive(Debug, clap::Args)]
struct DeployArgs {
    #[command(flatten)]
    rpc: RpcArgs,

    #[command(flatten)]
    wallet: WalletArgs,
}

impl DeployArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let signer = self.wallet.signer()?;
        let owner = signer.address();
        let provider = self.rpc.signing_provider(signer)?;
        let registry = deploy_registry(&provider, owner).await?;
        if json {
            print_json(&Deployed { registry, owner })?;
        } else {
            println!("{registry}");
        }
        Ok(())
    }
}

/// Connects to the registry as the signing account.
async fn connect(registry: &RegistryArgs, wallet: &WalletArgs) -> anyhow::Result<Chain> {
    let signer = wallet.signer()?;
    let account = signer.address();
    let provider = registry.rpc.signing_provider(signer)?;
    Ok(Chain::connect(provider, registry.registry, account).await?)
}

/// Add a certifier with a display name (owner only).
#[derive(Debug, clap::Args)]
struct AddArgs {
    /// The certifier's address.
    certifier: Address,

    /// The name services show for it.
    #[arg(long)]
    name: String,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,
}

impl AddArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let chain = connect(&self.registry, &self.wallet).await?;
        let confirmed = add_certifier(&chain, self.certifier, &self.name).await?;
        if json {
            print_json(&Added {
                added: self.certifier,
                name: &self.name,
                confirmed,
            })?;
        } else {
            println!(
                "added certifier {} ({}) in transaction {}",
                self.certifier, self.name, confirmed.tx_hash
            );
        }
        Ok(())
    }
}

/// Remove a certifier (owner only).
#[derive(Debug, clap::Args)]
struct RemoveArgs {
    /// The certifier's address.
    certifier: Address,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,
}

impl RemoveArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let chain = connect(&self.registry, &self.wallet).await?;
        let confirmed = remove_certifier(&chain, self.certifier).await?;
        if json {
            print_json(&Removed {
                removed: self.certifier,
                confirmed,
            })?;
        } else {
            println!(
                "removed certifier {} in transaction {}",
                self.certifier, confirmed.tx_hash
            );
        }
        Ok(())
    }
}

/// Show a subject's attestations: by one certifier, or by every certifier ever added that
/// holds one.
#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The subject's address.
    subject: Address,

    /// Only this certifier's attestation (shown even when there is none).
    #[arg(long)]
    certifier: Option<Address>,

    #[command(flatten)]
    registry: RegistryArgs,
}

impl ShowArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let provider = self.registry.rpc.provider()?;
        let chain = Chain::connect(provider, self.registry.registry, Address::ZERO).await?;
        let found = attestations_of(&chain, self.subject, self.certifier).await?;
        if json {
            return print_json(&Shown {
                subject: self.subject,
                attestations: &found,
            });
        }
        if found.is_empty() {
            println!("no attestations of {}", self.subject);
        }
        for (i, one) in found.iter().enumerate() {
            if i > 0 {
                println!();
            }
            let standing = if one.current { "current" } else { "removed" };
            println!(
                "certifier {} {:?} ({standing})",
                one.certifier, one.certifier_name
            );
            let attestation = &one.attestation;
            println!("  status    {}", attestation.status);
            println!("  root      {}", attestation.root);
            println!("  evidence  {}", attestation.evidence.names().join(", "));
            println!("  issued    {}", time(attestation.issued_at));
            println!("  expires   {}", time(attestation.expires_at));
            println!("  verified  {}", if one.verified { "yes" } else { "no" });
        }
        Ok(())
    }
}

fn time(unix: u64) -> String {
    if unix == 0 {
        return "-".to_owned();
    }
    format!("{} ({unix})", kyc_core::time::format_time(unix))
}
