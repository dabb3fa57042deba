//! `kyc registry`: the registry owner's commands (deploy, add and remove certifiers) and
//! what the registry holds about a subject.

use alloy::primitives::Address;
use clap::Subcommand;
use kyc_certifier::{
    governance::{
        add_certifier, attestations_of, deploy_registry, remove_certifier, RegistryDeployed,
        SubjectAttestations,
    },
    Chain,
};

use crate::{
    opts::{RegistryArgs, RpcArgs, WalletArgs},
    output::show,
};

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
        show(&RegistryDeployed { registry, owner }, json)
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
        show(
            &add_certifier(&chain, self.certifier, &self.name).await?,
            json,
        )
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
        show(&remove_certifier(&chain, self.certifier).await?, json)
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
        let attestations = attestations_of(&chain, self.subject, self.certifier).await?;
        let subject = self.subject;
        show(
            &SubjectAttestations {
                subject,
                attestations,
            },
            json,
        )
    }
}
