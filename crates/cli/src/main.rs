//! `kyc`: the KYC Anchor command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;
mod opts;
mod output;

#[cfg(unix)] // Fewer page faults and system calls than the C library's allocator.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// KYC Anchor: identity checks anchored on Ethereum, with no personal data on chain.
#[derive(Debug, Parser)]
#[command(name = "kyc", version, about, propagate_version = true)]
struct Cli {
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start anvil, deploy the registry, add a demo certifier, print the settings.
    Devnet(cmd::devnet::Args),
    /// The whole flow on a fresh local chain, step by step.
    Demo(cmd::demo::Args),
    /// Print the Merkle root of a claim list, request or credential file.
    Hash(cmd::hash::Args),
    /// The person's wallet: keys, requests, credentials, consent and withdrawal.
    User(cmd::user::Args),
    /// The service side: registration sessions, QR codes and verification.
    Service(cmd::service::Args),
    /// The certification body: attest, revoke, relay withdrawals, the intake queue.
    Certifier(cmd::certifier::Args),
    /// The registry: deploy, add and remove certifiers, show a subject's attestations.
    Registry(cmd::registry::Args),
}

impl Command {
    async fn run(self, json: bool) -> anyhow::Result<()> {
        match self {
            Self::Devnet(args) => args.run(json).await,
            Self::Demo(args) => args.run(json).await,
            Self::Hash(args) => args.run(json),
            Self::User(args) => args.run(json).await,
            Self::Service(args) => args.run(json).await,
            Self::Certifier(args) => args.run(json).await,
            Self::Registry(args) => args.run(json).await,
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => return usage_error(err),
    };
    match cli.command.run(cli.json).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // An error may quote a code, a file or a service's answer: never raw.
            eprintln!("error: {}", kyc_core::text::printable(&format!("{err:#}")));
            ExitCode::FAILURE
        }
    }
}

/// Help and version go out as clap writes them; a usage mistake is one line and exit code 2.
fn usage_error(err: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        err.exit();
    }
    // clap's message runs until the usage block; fold it into one line.
    let text = err.render().to_string();
    let message: Vec<&str> = text
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty())
        .collect();
    eprintln!("{} (see --help)", message.join(" "));
    ExitCode::from(2)
}
