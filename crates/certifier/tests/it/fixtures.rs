//! Chains, certifiers and signed requests for the tests.

use std::time::Duration;

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use kyc_certifier::{
    attest::{attest_batch, AttestOptions, BatchSummary, Item},
    governance::{add_certifier, deploy_registry},
    Chain,
};
use kyc_core::{
    evidence::Evidence,
    files::{FormatVersion, Request},
};
pub(crate) use kyc_test_utils::sign;
use kyc_test_utils::{anvil_path, commitment, Devnet};

use crate::attest::Collect;

/// A chain with a registry, our certifier registered, and a connection as that certifier.
pub(crate) struct Fixture {
    pub(crate) anvil: AnvilInstance,
    pub(crate) registry: Address,
    pub(crate) owner: PrivateKeySigner,
    pub(crate) certifier: PrivateKeySigner,
    pub(crate) chain: Chain,
}

impl Fixture {
    /// The standard devnet of `kyc-test-utils`.
    pub(crate) async fn start() -> Self {
        let Devnet {
            anvil,
            registry,
            owner,
            certifier,
            ..
        } = Devnet::start().await;
        let chain = connect(&anvil, registry, &certifier).await;
        Self {
            anvil,
            registry,
            owner,
            certifier,
            chain,
        }
    }

    /// A devnet on an anvil configured by `configure`, set up with this crate's own
    /// governance helpers.
    pub(crate) async fn with_anvil(configure: impl FnOnce(Anvil) -> Anvil) -> Self {
        let anvil = configure(Anvil::at(anvil_path())).try_spawn().unwrap();
        let owner = PrivateKeySigner::from(anvil.keys()[0].clone());
        let certifier = PrivateKeySigner::from(anvil.keys()[2].clone());
        let registry = deploy_registry(&provider(&anvil, &owner), owner.address())
            .await
            .unwrap();
        let as_owner = connect(&anvil, registry, &owner).await;
        add_certifier(&as_owner, certifier.address(), "Test Certification Body")
            .await
            .unwrap();
        let chain = connect(&anvil, registry, &certifier).await;
        Self {
            anvil,
            registry,
            owner,
            certifier,
            chain,
        }
    }

    /// A connection to this registry signing as `signer`.
    pub(crate) async fn connect_as(&self, signer: &PrivateKeySigner) -> Chain {
        connect(&self.anvil, self.registry, signer).await
    }

    /// A provider signing as `signer`.
    pub(crate) fn provider(&self, signer: &PrivateKeySigner) -> DynProvider {
        provider(&self.anvil, signer)
    }

    /// The latest block's timestamp.
    pub(crate) async fn now(&self) -> u64 {
        self.chain.now().await.unwrap()
    }

    /// Moves the chain's clock forward and mines a block.
    pub(crate) async fn advance(&self, secs: u64) {
        let provider = self.provider(&self.owner);
        let _: serde_json::Value = provider
            .raw_request("evm_increaseTime".into(), (secs,))
            .await
            .unwrap();
        let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await.unwrap();
    }

    /// A request by `subject` for `claims`, with the registry's current nonce and a
    /// deadline an hour ahead, signed with EIP-712.
    pub(crate) async fn request(
        &self,
        subject: &PrivateKeySigner,
        claims: &[(&str, &str)],
    ) -> Request {
        let nonce = self
            .chain
            .pair(subject.address(), self.certifier.address())
            .await
            .unwrap()
            .nonce;
        let deadline = self.now().await + 3600;
        signed_request(&self.chain, subject, claims, nonce, deadline)
    }
}

pub(crate) async fn connect(
    anvil: &AnvilInstance,
    registry: Address,
    signer: &PrivateKeySigner,
) -> Chain {
    Chain::connect(provider(anvil, signer), registry, signer.address())
        .await
        .unwrap()
}

pub(crate) fn provider(anvil: &AnvilInstance, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// A request for `claims` with the given nonce and deadline, signed by `subject`.
pub(crate) fn signed_request(
    chain: &Chain,
    subject: &PrivateKeySigner,
    claims: &[(&str, &str)],
    nonce: u64,
    deadline: u64,
) -> Request {
    let commitment = commitment(claims);
    let mut request = Request {
        version: FormatVersion,
        chain_id: chain.chain_id(),
        registry: chain.registry_address(),
        subject: subject.address(),
        certifier: chain.account(),
        claims: commitment.claims().to_vec(),
        root: commitment.root(),
        nonce,
        deadline,
        signature: Default::default(),
    };
    request.signature = sign(subject, request.signing_hash());
    request
}

/// The claims of a person holding passport `number`.
pub(crate) fn person(
    family_name: &'static str,
    number: &'static str,
) -> Vec<(&'static str, &'static str)> {
    vec![
        ("given_name", "Taro"),
        ("family_name", family_name),
        ("birthdate", "1990-01-31"),
        ("document.type", "passport"),
        ("document.issuer", "JP"),
        ("document.number", number),
    ]
}

/// Attests `request` directly, outside any queue, with the standard [`options`].
pub(crate) async fn attest_one(chain: &Chain, request: Request) -> BatchSummary {
    let item = Item { key: 0, request };
    attest_batch(chain, vec![item], &options(), &mut Collect::default())
        .await
        .unwrap()
}

/// Evidence `document,face`, a year's validity.
pub(crate) fn options() -> AttestOptions {
    AttestOptions::new(
        Evidence::from_names(["document", "face"]).unwrap(),
        Duration::from_secs(365 * 86_400),
    )
}
