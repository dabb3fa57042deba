#![doc = include_str!("../README.md")]

use std::path::PathBuf;

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use kyc_certifier::{
    governance::{add_certifier, deploy_registry},
    Chain,
};
use serde::Serialize;

pub mod demo;
mod error;

pub use error::{Error, Result};

/// The name the demo certifier is registered under.
pub const DEMO_CERTIFIER_NAME: &str = "Demo Certification Body";

/// A running devnet: anvil stops when this is dropped.
#[derive(Debug)]
pub struct Devnet {
    /// The chain.
    pub anvil: AnvilInstance,
    /// The deployed registry.
    pub registry: Address,
    /// The demo certification body, anvil account #2.
    pub certifier: PrivateKeySigner,
}

/// Options for starting anvil.
#[derive(Debug, Default, Clone)]
pub struct AnvilOptions {
    /// Port to listen on; a free one when `None`.
    pub port: Option<u16>,
    /// Seconds between blocks; a block per transaction when `None`.
    pub block_time: Option<u64>,
}

/// Where a devnet is, as the environment variables the `kyc` commands read.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub struct Settings {
    /// The chain's JSON-RPC endpoint.
    pub eth_rpc_url: String,
    /// The registry, EIP-55.
    pub kyc_registry: String,
    /// The chain ID.
    pub kyc_chain_id: String,
    /// The demo certifier's address, EIP-55.
    pub kyc_certifier: String,
    /// The demo certifier's key: anvil's well-known test key #2, public knowledge.
    pub kyc_certifier_key: String,
}

impl Settings {
    /// The settings as shell `export NAME=value` lines.
    ///
    /// The certifier's key is not exported as `KYC_PRIVATE_KEY`, which every signing
    /// command reads: a person's wallet would sign as the certifier.
    pub fn exports(&self) -> String {
        [
            ("ETH_RPC_URL", &self.eth_rpc_url),
            ("KYC_REGISTRY", &self.kyc_registry),
            ("KYC_CHAIN_ID", &self.kyc_chain_id),
            ("KYC_CERTIFIER", &self.kyc_certifier),
            ("KYC_CERTIFIER_KEY", &self.kyc_certifier_key),
        ]
        .iter()
        .map(|(name, value)| format!("export {name}={value}\n"))
        .collect()
    }
}

impl Devnet {
    /// Starts anvil, deploys the registry and registers the demo certifier.
    pub async fn start(options: &AnvilOptions) -> Result<Self> {
        let mut anvil = Anvil::at(anvil_path());
        if let Some(port) = options.port {
            // anvil would only report a bind failure as a spawn timeout.
            std::net::TcpListener::bind(("127.0.0.1", port))
                .map_err(|source| Error::PortInUse { port, source })?;
            anvil = anvil.port(port);
        }
        if let Some(seconds) = options.block_time {
            anvil = anvil.block_time(seconds);
        }
        let anvil = anvil.try_spawn()?;
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let (owner, certifier) = (key(0), key(2));

        let provider = signing_provider(&anvil, owner.clone());
        let registry = deploy_registry(&provider, owner.address())
            .await
            .map_err(Error::Deploy)?;
        let governance = Chain::connect(provider, registry, owner.address()).await?;
        add_certifier(&governance, certifier.address(), DEMO_CERTIFIER_NAME)
            .await
            .map_err(Error::AddCertifier)?;
        Ok(Self {
            registry,
            anvil,
            certifier,
        })
    }

    /// Where this devnet is, for other programs.
    pub fn settings(&self) -> Settings {
        Settings {
            eth_rpc_url: self.anvil.endpoint(),
            kyc_registry: self.registry.to_checksum(None),
            kyc_chain_id: self.anvil.chain_id().to_string(),
            kyc_certifier: self.certifier.address().to_checksum(None),
            kyc_certifier_key: alloy::hex::encode_prefixed(self.certifier.to_bytes()),
        }
    }

    /// The signer of anvil's well-known account `index`.
    pub fn account(&self, index: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[index].clone())
    }

    /// A provider that signs with `signer`.
    pub fn provider(&self, signer: PrivateKeySigner) -> DynProvider {
        signing_provider(&self.anvil, signer)
    }
}

/// The `anvil` binary: `$KYC_ANVIL`, else `anvil` on `PATH` (`scripts/demo` puts the pinned one there).
fn anvil_path() -> PathBuf {
    std::env::var_os("KYC_ANVIL").map_or_else(|| PathBuf::from("anvil"), PathBuf::from)
}

fn signing_provider(anvil: &AnvilInstance, signer: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url())
        .erased()
}
