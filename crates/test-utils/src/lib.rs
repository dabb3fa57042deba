#![doc = include_str!("../README.md")]
#![allow(clippy::unwrap_used)] // Fixtures: a failure here is a broken test environment.

use std::path::PathBuf;

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use kyc_contracts::KycRegistry;

/// The name the devnet certifier is registered under.
pub const CERTIFIER_NAME: &str = "Demo Certification Body";

/// The `anvil` binary: `$KYC_ANVIL`, else the one `scripts/setup` installed, else `anvil` on `PATH`.
pub fn anvil_path() -> PathBuf {
    if let Some(path) = std::env::var_os("KYC_ANVIL") {
        return path.into();
    }
    let installed = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/anvil");
    if installed.exists() {
        installed
    } else {
        PathBuf::from("anvil")
    }
}

/// Spawns anvil on a free port; it stops when the instance is dropped.
pub fn spawn_anvil() -> AnvilInstance {
    Anvil::at(anvil_path())
        .try_spawn()
        .expect("anvil starts (run scripts/setup to install it)")
}

/// A fresh anvil chain with `KycRegistry` deployed and one certifier registered.
///
/// Accounts are anvil's well-known ones: the owner is #0, the subject #1 and the certifier #2,
/// as in `shared/vectors/eip712.json`.
pub struct Devnet {
    /// The running chain.
    pub anvil: AnvilInstance,
    /// The registry's address.
    pub registry: Address,
    /// The registry owner (governance).
    pub owner: PrivateKeySigner,
    /// The person being certified.
    pub subject: PrivateKeySigner,
    /// The registered certification body.
    pub certifier: PrivateKeySigner,
}

impl Devnet {
    /// Spawns anvil, deploys the registry and registers the certifier.
    pub async fn start() -> Self {
        let anvil = spawn_anvil();
        let signer = |i: usize| PrivateKeySigner::from(anvil.keys()[i].clone());
        let (owner, subject, certifier) = (signer(0), signer(1), signer(2));
        let provider = provider(&anvil, owner.clone());
        let registry = KycRegistry::deploy(&provider, owner.address())
            .await
            .unwrap();
        registry
            .addCertifier(certifier.address(), CERTIFIER_NAME.to_owned())
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        let registry = *registry.address();
        Self {
            anvil,
            registry,
            owner,
            subject,
            certifier,
        }
    }

    /// A provider that signs with `signer`.
    pub fn provider(&self, signer: PrivateKeySigner) -> DynProvider {
        provider(&self.anvil, signer)
    }

    /// The registry, with transactions signed by `signer`.
    pub fn registry_for(
        &self,
        signer: PrivateKeySigner,
    ) -> KycRegistry::KycRegistryInstance<DynProvider> {
        KycRegistry::new(self.registry, self.provider(signer))
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }
}

fn provider(anvil: &AnvilInstance, signer: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url())
        .erased()
}
