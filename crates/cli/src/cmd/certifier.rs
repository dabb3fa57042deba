//! `kyc certifier`: what a certification body runs: attest requests on chain (directly or
//! through the intake queue), revoke, and relay a subject's signed withdrawal.

use std::{path::PathBuf, time::Duration};

use crate::{
    opts::{RegistryArgs, WalletArgs},
    output::show,
};
use alloy::primitives::Address;
use anyhow::Context;
use clap::Subcommand;
use kyc_certifier::{
    attest::AttestOptions,
    files::{read_file, request_files},
    queue::ApproveOptions,
    relay::{relay_withdraw, revoke},
    Chain,
};
use kyc_core::{evidence::Evidence, files::WithdrawRelay};

mod queue;
mod report;

/// The certification body: attest, revoke, relay withdrawals, and the intake queue.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: CertifierCommand,
}

#[derive(Debug, Subcommand)]
enum CertifierCommand {
    /// Check request files and attest them on chain at once, writing credentials.
    Attest(AttestArgs),
    /// Revoke our attestation of a subject (the reason is public, on chain).
    Revoke(RevokeArgs),
    /// Relay a subject's signed withdrawal (withdrawBySig), paying its gas.
    Relay(RelayArgs),
    /// The intake queue: add, list, approve, reject, purge.
    Queue(queue::Args),
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        match self.command {
            CertifierCommand::Attest(args) => args.run(json).await,
            CertifierCommand::Revoke(args) => {
                let chain = args.chain.connect_signing().await?;
                show(&revoke(&chain, args.subject, &args.reason).await?, json)
            }
            CertifierCommand::Relay(args) => {
                let relay: WithdrawRelay = read_file(&args.file)?;
                let chain = args.chain.connect_signing().await?;
                let withdrawn = relay_withdraw(&chain, &relay)
                    .await
                    .with_context(|| format!("cannot relay {}", args.file.display()))?;
                show(&withdrawn, json)
            }
            CertifierCommand::Queue(args) => args.run(json).await,
        }
    }
}

/// The registry, the certifier's key, and how transactions are confirmed.
#[derive(Debug, clap::Args)]
struct ChainArgs {
    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,

    /// Blocks (the including one counts) before a transaction counts as done.
    #[arg(
        long,
        env = "KYC_CONFIRMATIONS",
        default_value_t = 1,
        help_heading = "Transactions"
    )]
    confirmations: u64,

    /// How long to wait for a transaction to be mined and confirmed.
    #[arg(long, default_value = "5m", value_parser = kyc_core::time::parse_duration, help_heading = "Transactions")]
    tx_timeout: Duration,
}

impl ChainArgs {
    /// The provider that signs as the certifier, and the certifier's address.
    fn signing(&self) -> anyhow::Result<(alloy::providers::DynProvider, Address)> {
        let signer = self.wallet.signer()?;
        let account = signer.address();
        Ok((self.registry.rpc.signing_provider(signer)?, account))
    }

    /// Connects to the registry through `provider`, confirming as these options say.
    async fn connect(
        &self,
        (provider, account): (alloy::providers::DynProvider, Address),
    ) -> kyc_certifier::Result<Chain> {
        Ok(Chain::connect(provider, self.registry.registry, account)
            .await?
            .with_confirmations(self.confirmations)?
            .with_confirm_timeout(self.tx_timeout))
    }

    /// Reads the key and connects.
    async fn connect_signing(&self) -> anyhow::Result<Chain> {
        Ok(self.connect(self.signing()?).await?)
    }
}

/// What is attested, and how it is sent.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Attestation")]
struct BatchArgs {
    /// How the people were checked: document, face, address, phone, email, in_person.
    #[arg(long, value_parser = parse_evidence)]
    evidence: Evidence,

    /// How long the attestations last, such as 365d.
    #[arg(long, value_parser = kyc_core::time::parse_duration)]
    valid_for: Duration,

    /// Where credentials are written, one file per subject.
    #[arg(long)]
    out_dir: PathBuf,

    /// The most requests in one transaction (fewer when they would not fit half a block).
    #[arg(long, default_value_t = 100)]
    chunk_size: usize,

    /// The most transactions sent and not yet confirmed.
    #[arg(long, default_value_t = 4)]
    in_flight: usize,

    /// When the identity document already backs a live attestation of another address,
    /// revoke that one first instead of refusing.
    #[arg(long)]
    rebind: bool,
}

impl BatchArgs {
    fn options(&self) -> ApproveOptions {
        ApproveOptions {
            attest: AttestOptions {
                chunk_size: self.chunk_size,
                in_flight: self.in_flight,
                ..AttestOptions::new(self.evidence, self.valid_for)
            },
            out_dir: self.out_dir.clone(),
            rebind: self.rebind,
        }
    }
}

fn parse_evidence(text: &str) -> Result<Evidence, String> {
    let evidence: Evidence = text.parse().map_err(|e: kyc_core::Error| e.to_string())?;
    if evidence.is_empty() {
        return Err("name at least one kind of evidence".to_owned());
    }
    Ok(evidence)
}

/// Check request files and attest them on chain at once, writing a credential per subject.
///
/// Every file is checked (claims, root, signature, nonce, deadline) and recorded in the
/// queue, and the same duplicate-identity check as `queue approve` applies; the valid ones
/// go out through attestBatch. Running it again after an interruption sends nothing
/// twice: what is already on chain is recognised and its credential written.
#[derive(Debug, clap::Args)]
struct AttestArgs {
    /// Request files, or folders of them (*.json).
    #[arg(required = true)]
    requests: Vec<PathBuf>,

    #[command(flatten)]
    batch: BatchArgs,

    #[command(flatten)]
    queue: queue::QueueArgs,

    #[command(flatten)]
    chain: ChainArgs,
}

impl AttestArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let total = request_files(&self.requests)?.len();
        let (queue, maintenance) = self.queue.open().await?;
        queue::note(&maintenance, json);
        let attested = async {
            let chain = self.chain.connect_signing().await?;
            let mut progress = report::Progress::new(total, json);
            let approval = queue
                .attest_files(&chain, &self.requests, &self.batch.options(), |outcome| {
                    progress.show(outcome)
                })
                .await?;
            progress.finish(&approval)
        }
        .await;
        queue.close().await;
        attested
    }
}

/// Revoke our attestation of a subject. The reason is public, on chain: nothing personal.
#[derive(Debug, clap::Args)]
struct RevokeArgs {
    /// The subject's address.
    subject: Address,

    /// Why, in a few public words (such as "document reported stolen").
    #[arg(long)]
    reason: String,

    #[command(flatten)]
    chain: ChainArgs,
}

/// Relay a subject's signed withdrawal (the file `kyc user withdraw --relay-out` writes),
/// paying the gas so the subject needs no ether.
#[derive(Debug, clap::Args)]
struct RelayArgs {
    /// The relay file.
    file: PathBuf,

    #[command(flatten)]
    chain: ChainArgs,
}
