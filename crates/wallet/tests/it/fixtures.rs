//! A wallet on a devnet with an attested credential, and registration codes.

use alloy::providers::Provider;
use kyc_core::{
    files::{Credential, Request, WithdrawRelay},
    uri::RegistrationUri,
};
pub(crate) use kyc_test_utils::unix_now;
use kyc_test_utils::Devnet;
use kyc_wallet::{
    chain::RegistryClient, claims_input::normalize_claims, request::prepare_request,
    withdraw::prepare_withdraw, Wallet,
};
use tempfile::TempDir;

/// The claims every fixture person has; the values are distinctive so a test can search for them.
pub(crate) const CLAIMS: &str = r#"{
    "given_name": "Hanako",
    "family_name": "Quixotebridge",
    "birthdate": "1987-06-05",
    "nationality": "JP",
    "email": "hanako@zzmail.example",
    "address.locality": "Kitamurasaki"
}"#;

/// A devnet, a wallet folder, and the registry as the subject sees it.
pub(crate) struct Setup {
    pub(crate) devnet: Devnet,
    pub(crate) wallet: Wallet,
    pub(crate) registry: RegistryClient,
    _dir: TempDir,
}

impl Setup {
    pub(crate) async fn start() -> Self {
        let devnet = Devnet::start().await;
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::open(dir.path().join("wallet")).unwrap();
        let registry =
            RegistryClient::connect(devnet.provider(devnet.subject.clone()), devnet.registry)
                .await
                .unwrap();
        Self {
            devnet,
            wallet,
            registry,
            _dir: dir,
        }
    }

    /// The registry as the certifier sees it.
    pub(crate) async fn certifier_registry(&self) -> RegistryClient {
        RegistryClient::connect(
            self.devnet.provider(self.devnet.certifier.clone()),
            self.devnet.registry,
        )
        .await
        .unwrap()
    }

    /// Makes a request for `claims` with the wallet and keeps its copy.
    pub(crate) async fn request(&self, claims: &str) -> Request {
        let normalized = normalize_claims(claims).unwrap();
        let request = prepare_request(
            &self.registry,
            &self.devnet.subject,
            self.devnet.certifier.address(),
            &normalized.claims,
            unix_now() + 3600,
        )
        .await
        .unwrap();
        self.wallet.save_request(&request).unwrap();
        request
    }

    /// The certifier attests a request on chain and issues the credential.
    pub(crate) async fn attest(&self, request: &Request) -> Credential {
        self.devnet.issue_credential(request).await
    }

    /// The subject signs a withdrawal of `credential`'s attestation, void after `deadline`.
    pub(crate) async fn withdrawal(
        &self,
        credential: &Credential,
        deadline: u64,
    ) -> kyc_wallet::Result<WithdrawRelay> {
        prepare_withdraw(
            &self.registry,
            &self.devnet.subject,
            credential.certifier,
            deadline,
        )
        .await
    }

    /// A request, attested, imported: the wallet holds a live credential.
    pub(crate) async fn credential(&self) -> Credential {
        let request = self.request(CLAIMS).await;
        let credential = self.attest(&request).await;
        self.wallet.save_credential(&credential).unwrap();
        credential
    }

    /// A registration code of `service` asking for `fields`, valid for ten minutes.
    pub(crate) fn code(&self, service: &str, fields: &[&str]) -> RegistrationUri {
        self.devnet.registration_code(service, fields)
    }

    /// Mines a block `seconds` later, so chain time moves on.
    pub(crate) async fn advance(&self, seconds: u64) {
        let provider = self.devnet.provider(self.devnet.owner.clone());
        provider
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (seconds,))
            .await
            .unwrap();
        provider
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .unwrap();
    }
}
