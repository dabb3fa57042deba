//! `kyc certifier`: what a certification body runs: attest requests on chain (directly or
//! through the intake queue), revoke, and relay a subject's signed withdrawal.

use std::{path::PathBuf, time::Duration};

use alloy::primitives::Address;
use anyhow::Context;
use clap::Subcommand;
use kyc_certifier::{
    attest::{attest_batch, AttestOptions, Journal, Outcome},
    check::check_request,
    files::{read_file, request_files, write_credential},
    relay::{relay_withdraw, revoke},
    Chain,
};
use kyc_core::{evidence::Evidence, files::WithdrawRelay};

use crate::opts::{RegistryArgs, WalletArgs};

mod queue;
mod report;

use report::Report;

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
            CertifierCommand::Revoke(args) => args.run(json).await,
            CertifierCommand::Relay(args) => args.run(json).await,
            CertifierCommand::Queue(args) => args.run(json).await,
        }
    }
}

/// How transactions are confirmed.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Transactions")]
struct TxArgs {
    /// Blocks (the including one counts) before a transaction counts as done.
    #[arg(long, env = "KYC_CONFIRMATIONS", default_value_t = 1)]
    confirmations: u64,

    /// How long to wait for a transaction to be mined and confirmed.
    #[arg(long, default_value = "5m", value_parser = humantime::parse_duration)]
    tx_timeout: Duration,
}

/// What is attested, and how it is sent.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Attestation")]
struct BatchArgs {
    /// How the people were checked: document, face, address, phone, email, in_person.
    #[arg(long, value_parser = parse_evidence)]
    evidence: Evidence,

    /// How long the attestations last, such as 365d.
    #[arg(long, value_parser = humantime::parse_duration)]
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
}

impl BatchArgs {
    fn options(&self) -> AttestOptions {
        AttestOptions {
            chunk_size: self.chunk_size,
            in_flight: self.in_flight,
            ..AttestOptions::new(self.evidence, self.valid_for)
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

/// Connects to the registry as the signing certifier.
async fn connect(registry: &RegistryArgs, wallet: &WalletArgs) -> anyhow::Result<Chain> {
    let signer = wallet.signer()?;
    let account = signer.address();
    let provider = registry.rpc.signing_provider(signer)?;
    Ok(Chain::connect(provider, registry.registry, account).await?)
}

impl TxArgs {
    /// `chain`, confirming transactions as these options say.
    fn apply(&self, chain: Chain) -> anyhow::Result<Chain> {
        Ok(chain
            .with_confirmations(self.confirmations)?
            .with_confirm_timeout(self.tx_timeout))
    }
}

/// Check request files and attest them on chain at once, writing a credential per subject.
///
/// Without the queue: every file is checked (claims, root, signature, nonce, deadline), the
/// valid ones go out through attestBatch. Running it again after an interruption sends
/// nothing twice: what is already on chain is recognised and its credential written.
#[derive(Debug, clap::Args)]
struct AttestArgs {
    /// Request files, or folders of them (*.json).
    #[arg(required = true)]
    requests: Vec<PathBuf>,

    #[command(flatten)]
    batch: BatchArgs,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,

    #[command(flatten)]
    tx: TxArgs,
}

impl AttestArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let files = request_files(&self.requests)?;
        let chain = self
            .tx
            .apply(connect(&self.registry, &self.wallet).await?)?;
        let mut report = Report::new(files.len(), json);
        let mut items = Vec::new();
        for file in files {
            let label = file.display().to_string();
            let checked = match read_file(&file) {
                Ok(request) => check_request(&chain, &request).await.map(|()| request),
                Err(error) => Err(error),
            };
            match checked {
                Ok(request) => items.push(kyc_certifier::attest::Item {
                    key: label,
                    request,
                }),
                Err(error) => report.refused(&label, &error),
            }
        }
        let mut journal = FileJournal {
            out_dir: &self.batch.out_dir,
            report: &mut report,
        };
        let summary = attest_batch(&chain, items, &self.batch.options(), &mut journal).await?;
        report.finish(&summary)
    }
}

/// Writes credentials and reports outcomes of the direct `attest`.
struct FileJournal<'a> {
    out_dir: &'a PathBuf,
    report: &'a mut Report,
}

impl Journal<String> for FileJournal<'_> {
    async fn record(&mut self, file: &String, outcome: Outcome) -> kyc_certifier::Result<()> {
        if let Outcome::Attested(attested) = &outcome {
            let path = write_credential(self.out_dir, &attested.credential)?;
            self.report.attested(file, attested, Some(&path));
        } else if let Outcome::Failed(failure) = &outcome {
            self.report.failed(file, None, failure);
        }
        Ok(())
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
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,

    #[command(flatten)]
    tx: TxArgs,
}

impl RevokeArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let chain = self
            .tx
            .apply(connect(&self.registry, &self.wallet).await?)?;
        let confirmed = revoke(&chain, self.subject, &self.reason).await?;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "revoked": self.subject.to_checksum(None),
                    "certifier": chain.account().to_checksum(None),
                    "tx_hash": confirmed.tx_hash,
                    "block_number": confirmed.block_number,
                })
            );
        } else {
            println!(
                "revoked {} in transaction {} (block {})",
                self.subject, confirmed.tx_hash, confirmed.block_number
            );
        }
        Ok(())
    }
}

/// Relay a subject's signed withdrawal (the file `kyc user withdraw --relay-out` writes),
/// paying the gas so the subject needs no ether.
#[derive(Debug, clap::Args)]
struct RelayArgs {
    /// The relay file.
    file: PathBuf,

    #[command(flatten)]
    registry: RegistryArgs,

    #[command(flatten)]
    wallet: WalletArgs,

    #[command(flatten)]
    tx: TxArgs,
}

impl RelayArgs {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        let relay: WithdrawRelay = read_file(&self.file)?;
        let chain = self
            .tx
            .apply(connect(&self.registry, &self.wallet).await?)?;
        let confirmed = relay_withdraw(&chain, &relay)
            .await
            .with_context(|| format!("cannot relay {}", self.file.display()))?;
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "withdrawn": relay.subject.to_checksum(None),
                    "certifier": relay.certifier.to_checksum(None),
                    "tx_hash": confirmed.tx_hash,
                    "block_number": confirmed.block_number,
                })
            );
        } else {
            println!(
                "withdrew the attestation of {} by {} in transaction {} (block {})",
                relay.subject, relay.certifier, confirmed.tx_hash, confirmed.block_number
            );
        }
        Ok(())
    }
}
