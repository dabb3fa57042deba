//! Option groups shared by subcommands, each with a Foundry-style environment variable.

use std::path::PathBuf;

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    transports::http::reqwest::Url,
};
use anyhow::{bail, Context};
use clap::Args;

/// Where the chain and the registry are.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Chain")]
pub(crate) struct RpcArgs {
    /// JSON-RPC endpoint of the chain.
    #[arg(long, env = "ETH_RPC_URL", default_value = "http://127.0.0.1:8545")]
    pub(crate) rpc_url: String,
}

/// Which registry to talk to.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Chain")]
pub(crate) struct RegistryArgs {
    #[command(flatten)]
    pub(crate) rpc: RpcArgs,

    /// Address of the KycRegistry contract.
    #[arg(long, env = "KYC_REGISTRY")]
    pub(crate) registry: Address,
}

/// The key that signs: a raw private key or an encrypted JSON keystore.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Wallet")]
pub(crate) struct WalletArgs {
    /// Hex private key (prefer --keystore outside tests).
    #[arg(
        long,
        env = "KYC_PRIVATE_KEY",
        hide_env_values = true,
        conflicts_with = "keystore"
    )]
    pub(crate) private_key: Option<String>,

    /// Encrypted JSON keystore file.
    #[arg(long, env = "KYC_KEYSTORE")]
    pub(crate) keystore: Option<PathBuf>,

    /// File whose first line is the keystore password.
    #[arg(long, env = "KYC_PASSWORD_FILE", requires = "keystore")]
    pub(crate) password_file: Option<PathBuf>,
}

impl WalletArgs {
    /// The signer these options name.
    pub(crate) fn signer(&self) -> anyhow::Result<PrivateKeySigner> {
        if let Some(key) = &self.private_key {
            return parse_private_key(key);
        }
        let Some(keystore) = &self.keystore else {
            bail!(
                "no signing key: give --private-key (KYC_PRIVATE_KEY) or --keystore (KYC_KEYSTORE)"
            );
        };
        let password = match &self.password_file {
            Some(path) => read_first_line(path, "password file")?,
            None => bail!("--keystore needs --password-file (KYC_PASSWORD_FILE)"),
        };
        PrivateKeySigner::decrypt_keystore(keystore, password)
            .with_context(|| format!("cannot open keystore {}", keystore.display()))
    }
}

/// Reads `--private-key`: 32 bytes of hex.
pub(crate) fn parse_private_key(key: &str) -> anyhow::Result<PrivateKeySigner> {
    key.trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("--private-key is not a 32-byte hex private key"))
}

/// The one way the CLI connects to a chain: a provider for `url` that signs transactions
/// with `signer` when one is given.
pub(crate) fn connect(url: Url, signer: Option<PrivateKeySigner>) -> DynProvider {
    let builder = ProviderBuilder::new();
    match signer {
        Some(signer) => builder
            .wallet(EthereumWallet::from(signer))
            .connect_http(url)
            .erased(),
        None => builder.connect_http(url).erased(),
    }
}

/// Reads the first line of a file of secrets (`what` names it in an error), without its
/// line ending.
pub(crate) fn read_first_line(path: &std::path::Path, what: &str) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read {what} {}", path.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

impl RpcArgs {
    /// A read-only provider for the endpoint.
    pub(crate) fn provider(&self) -> anyhow::Result<DynProvider> {
        Ok(connect(self.url()?, None))
    }

    /// A provider that signs transactions with `signer`.
    pub(crate) fn signing_provider(&self, signer: PrivateKeySigner) -> anyhow::Result<DynProvider> {
        Ok(connect(self.url()?, Some(signer)))
    }

    fn url(&self) -> anyhow::Result<Url> {
        self.rpc_url
            .parse()
            .map_err(|_| anyhow::anyhow!("--rpc-url {:?} is not a URL", self.rpc_url))
    }
}
