//! `kyc devnet`: a local chain with the registry and a demo certifier, until interrupted.

use std::path::PathBuf;

use anyhow::Context;

use crate::devnet::{AnvilOptions, Devnet, DEMO_CERTIFIER_NAME};

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
        let devnet = Devnet::start(&options).await?;
        let certifier_key = alloy::hex::encode_prefixed(devnet.certifier.to_bytes());
        let settings = [
            ("ETH_RPC_URL", devnet.anvil.endpoint()),
            ("KYC_REGISTRY", devnet.registry.to_checksum(None)),
            ("KYC_CHAIN_ID", devnet.anvil.chain_id().to_string()),
            (
                "KYC_CERTIFIER",
                devnet.certifier.address().to_checksum(None),
            ),
            // anvil's well-known test key: public knowledge, safe to print. Not exported as
            // KYC_PRIVATE_KEY, which every signing command reads: a person's wallet would sign
            // as the certifier. Pass it with `--private-key $KYC_CERTIFIER_KEY`.
            ("KYC_CERTIFIER_KEY", certifier_key),
        ];
        let exports: String = settings
            .iter()
            .map(|(name, value)| format!("export {name}={value}\n"))
            .collect();
        if let Some(path) = &self.env_out {
            std::fs::write(path, &exports)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        if json {
            let map: serde_json::Map<_, _> = settings
                .iter()
                .map(|(name, value)| (name.to_string(), value.clone().into()))
                .collect();
            println!("{}", serde_json::Value::Object(map));
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
