//! `kyc devnet`: a local chain with the registry and a demo certifier, until interrupted.

use std::path::PathBuf;

use anyhow::Context;
use kyc_devnet::{AnvilOptions, Devnet, Error, DEMO_CERTIFIER_NAME};

use crate::output::print_json;

/// Start anvil, deploy the registry, add a demo certifier and print the settings as shell exports.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// Port for anvil's JSON-RPC endpoint.
    #[arg(long, default_value_t = 8545)]
    port: u16,

    /// Seconds between blocks (default: a block per transaction).
    #[arg(long)]
    block_time: Option<u64>,

    /// Also write the exports to this file (to `source` it from another shell).
    #[arg(long)]
    env_out: Option<PathBuf>,
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let options = AnvilOptions {
            port: Some(self.port),
            block_time: self.block_time,
        };
        let devnet = Devnet::start(&options).await.map_err(|error| match error {
            Error::PortInUse { .. } => anyhow::anyhow!("{error}: choose another with --port"),
            other => other.into(),
        })?;
        // anvil's well-known test keys: public knowledge, safe to print. Use the
        // certifier's with `--private-key $KYC_CERTIFIER_KEY`.
        let settings = devnet.settings();
        let exports = settings.exports();
        if let Some(path) = &self.env_out {
            std::fs::write(path, &exports)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if json {
            print_json(&settings)?;
        } else {
            eprintln!(
                "devnet: registry deployed, certifier {DEMO_CERTIFIER_NAME:?} added; Ctrl-C to stop"
            );
            print!("{exports}");
        }
        // Ctrl-C or SIGTERM; anvil stops when `devnet` is dropped.
        kyc_service::shutdown_signal().await;
        eprintln!("devnet: stopped");
        Ok(())
    }
}
