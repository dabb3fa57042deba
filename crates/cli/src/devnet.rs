//! A local anvil chain with the registry deployed and a demo certifier registered.

use std::path::PathBuf;

use alloy::{
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    providers::DynProvider,
    signers::local::PrivateKeySigner,
};
use anyhow::Context;
use kyc_certifier::{
    governance::{add_certifier, deploy_registry},
    Chain,
};

/// The name the demo certifier is registered under.
pub(crate) const DEMO_CERTIFIER_NAME: &str = "Demo Certification Body";

/// A running devnet: anvil stops when this is dropped.
pub(crate) struct Devnet {
    /// The chain.
    pub(crate) anvil: AnvilInstance,
    /// The deployed registry.
    pub(crate) registry: Address,
    /// The demo certification body, anvil account #2.
    pub(crate) certifier: PrivateKeySigner,
}

/// Options for starting anvil.
#[derive(Debug, Default, Clone)]
pub(crate) struct AnvilOptions {
    /// Port to listen on; a free one when `None`.
    pub(crate) port: Option<u16>,
    /// Seconds between blocks; a block per transaction when `None`.
    pub(crate) block_time: Option<u64>,
}

impl Devnet {
    /// Starts anvil, deploys the registry and registers the demo certifier.
    pub(crate) async fn start(options: &AnvilOptions) -> anyhow::Result<Self> {
        let mut anvil = Anvil::at(anvil_path());
        if let Some(port) = options.port {
            // anvil would only report a bind failure as a spawn timeout.
            std::net::TcpListener::bind(("127.0.0.1", port))
                .with_context(|| format!("port {port} is in use: choose another with --port"))?;
            anvil = anvil.port(port);
        }
        if let Some(seconds) = options.block_time {
            anvil = anvil.block_time(seconds);
        }
        let anvil = anvil.try_spawn().context(
            "cannot start anvil (run scripts/setup, or put anvil on PATH, or set KYC_ANVIL)",
        )?;
        let key = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let (owner, certifier) = (key(0), key(2));

        let provider = self::provider(&anvil, owner.clone());
        let registry = deploy_registry(&provider, owner.address())
            .await
            .context("cannot deploy the registry")?;
        let governance = Chain::connect(provider, registry, owner.address()).await?;
        add_certifier(&governance, certifier.address(), DEMO_CERTIFIER_NAME)
            .await
            .context("cannot add the demo certifier")?;
        Ok(Self {
            registry,
            anvil,
            certifier,
        })
    }

    /// The signer of anvil's well-known account `index`.
    pub(crate) fn account(&self, index: usize) -> PrivateKeySigner {
        PrivateKeySigner::from(self.anvil.keys()[index].clone())
    }

    /// A provider that signs with `signer`.
    pub(crate) fn provider(&self, signer: PrivateKeySigner) -> DynProvider {
        provider(&self.anvil, signer)
    }
}

/// The `anvil` binary: `$KYC_ANVIL`, else `anvil` on `PATH` (`scripts/demo` puts the pinned one there).
fn anvil_path() -> PathBuf {
    std::env::var_os("KYC_ANVIL").map_or_else(|| PathBuf::from("anvil"), PathBuf::from)
}

fn provider(anvil: &AnvilInstance, signer: PrivateKeySigner) -> DynProvider {
    crate::opts::connect(anvil.endpoint_url(), Some(signer))
}
