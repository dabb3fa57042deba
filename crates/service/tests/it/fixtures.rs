//! A devnet with the subject's claims attested, a service over a fresh SQLite file on
//! a loopback port, and the wallet side built with `kyc-core` and `kyc-wallet`.

use std::time::Duration;

use alloy::{primitives::B256, signers::local::PrivateKeySigner};
use kyc_core::{
    eip712::{self, ConsentWithdrawal},
    evidence::Evidence,
    files::{Credential, FormatVersion, Submission},
};
use kyc_service::{ApiToken, Service, ServiceConfig};
use kyc_test_utils::{commitment, test_database_key_file, Devnet};
pub(crate) use kyc_test_utils::{sign, unix_now};
use kyc_verifier::{store::SealingKey, AnyStore, Policy, Verifier};
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

/// The backend's bearer token.
pub(crate) const TOKEN: &str = "test-token-0123456789abcdef";

/// The fields the tests ask for.
pub(crate) const FIELDS: [&str; 3] = ["birthdate", "family_name", "given_name"];

/// A running service over a devnet where the subject (#1) holds an attestation.
pub(crate) struct TestService {
    pub(crate) devnet: Devnet,
    /// `http://127.0.0.1:PORT`, also the service origin.
    pub(crate) base: String,
    pub(crate) http: reqwest::Client,
    /// The subject's credential from the certifier.
    pub(crate) credential: Credential,
    /// The (method, path) pairs the service serves.
    pub(crate) routes: Vec<(&'static str, &'static str)>,
    _dir: Option<TempDir>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<kyc_service::Result<()>>>,
}

/// The answer to `POST /v1/sessions`.
pub(crate) struct Created {
    pub(crate) registration_id: B256,
    pub(crate) uri: String,
    pub(crate) page_url: String,
}

impl TestService {
    /// A service with the default configuration and a policy requiring document and face.
    pub(crate) async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// A service whose configuration `configure` adjusts.
    pub(crate) async fn start_with(configure: impl FnOnce(&mut ServiceConfig)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("kyc-service.db").display());
        Self::launch(&url, Some(dir), configure).await
    }

    /// A service over the PostgreSQL database of `KYC_TEST_POSTGRES_URL`. The PostgreSQL
    /// tests are ignored by default and fail, rather than pass without running, when they
    /// are asked for and cannot run.
    pub(crate) async fn start_on_postgres() -> Self {
        let url = std::env::var("KYC_TEST_POSTGRES_URL")
            .ok()
            .filter(|url| !url.is_empty())
            .expect("KYC_TEST_POSTGRES_URL is unset: the PostgreSQL tests need a database (scripts/test starts one)");
        Self::launch(&url, None, |_| {}).await
    }

    async fn launch(
        url: &str,
        dir: Option<TempDir>,
        configure: impl FnOnce(&mut ServiceConfig),
    ) -> Self {
        // reqwest is built without a default TLS provider; another test may have installed one.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let devnet = Devnet::start().await;
        let credential = attest(&devnet).await;
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let policy = Policy::from_toml("required_evidence = [\"document\", \"face\"]").unwrap();
        let mut config = ServiceConfig::new(base.clone(), ApiToken::new(TOKEN).unwrap(), policy);
        config.name = Some("Example Bank".to_owned());
        configure(&mut config);
        let service = service_on(&devnet, url, config).await;
        let routes = service.routes();
        let (stop, stopped) = oneshot::channel();
        let server = tokio::spawn(service.serve(listener, async move {
            let _ = stopped.await;
        }));
        Self {
            devnet,
            base,
            http: reqwest::Client::new(),
            credential,
            routes,
            _dir: dir,
            stop: Some(stop),
            server: Some(server),
        }
    }

    /// Stops the service gracefully and returns how serving ended.
    pub(crate) async fn shutdown(mut self) -> kyc_service::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let server = self.server.take().unwrap();
        tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("the service stops within 10 seconds")
            .unwrap()
    }

    /// The SQLite database file, when the service runs on one.
    pub(crate) fn database(&self) -> Option<std::path::PathBuf> {
        Some(self._dir.as_ref()?.path().join("kyc-service.db"))
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `POST /v1/sessions` with the token, for `fields`.
    pub(crate) async fn create_session(&self, fields: &[&str]) -> Created {
        let (status, body) = self
            .post(
                "/v1/sessions",
                Some(TOKEN),
                json!({ "fields": fields, "ttl": 600 }).to_string(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        Created {
            registration_id: body["registration_id"].as_str().unwrap().parse().unwrap(),
            uri: body["uri"].as_str().unwrap().to_owned(),
            page_url: body["page_url"].as_str().unwrap().to_owned(),
        }
    }

    /// `GET /v1/sessions/{id}` with the token.
    pub(crate) async fn session(&self, registration_id: B256) -> Value {
        let (status, body) = self
            .get(&format!("/v1/sessions/{registration_id}"), Some(TOKEN))
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// POSTs `body` as JSON; returns the status and the body as JSON (`null` if not JSON).
    pub(crate) async fn post(&self, path: &str, token: Option<&str>, body: String) -> (u16, Value) {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }

    /// GETs `path`; returns the status and the body as JSON (`null` if not JSON).
    pub(crate) async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        read(request.send().await.unwrap()).await
    }

    /// The submission the subject's wallet builds for a session's URI, disclosing `fields`.
    pub(crate) fn submission(&self, uri: &str, fields: &[&str]) -> Submission {
        let code = kyc_wallet::scan::read_code(uri, unix_now()).unwrap();
        let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
        kyc_wallet::consent::build_submission(
            &self.devnet.subject,
            &self.credential,
            &code,
            &fields,
            unix_now(),
        )
        .unwrap()
    }

    /// Posts a submission to its session's callback; returns the status and the verdict.
    pub(crate) async fn submit(&self, submission: &Submission) -> (u16, Value) {
        let path = format!("/v1/sessions/{}/submission", submission.registration_id);
        self.post(&path, None, serde_json::to_string(submission).unwrap())
            .await
    }

    /// A `ConsentWithdrawal` of `registration_id` naming `subject`, signed by `signer`.
    pub(crate) fn withdrawal(
        &self,
        registration_id: B256,
        signer: &PrivateKeySigner,
        subject: alloy::primitives::Address,
    ) -> Value {
        let signed_at = unix_now();
        let message = ConsentWithdrawal {
            subject,
            registrationId: registration_id,
            service: self.base.clone(),
            signedAt: signed_at,
        };
        let digest = eip712::signing_hash(&message, self.devnet.chain_id(), self.devnet.registry);
        json!({
            "version": 1,
            "registration_id": registration_id,
            "service": self.base,
            "subject": subject,
            "signed_at": signed_at,
            "signature": sign(signer, digest),
        })
    }
}

async fn read(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// The key of the database at `url` (see [`test_database_key_file`]).
pub(crate) fn database_key(url: &str) -> SealingKey {
    kyc_verifier::store::database_key(url, test_database_key_file(url)).unwrap()
}

/// A service over a verifier on `devnet` with its sessions in the database at `url`.
pub(crate) async fn service_on(devnet: &Devnet, url: &str, config: ServiceConfig) -> Service {
    let store = AnyStore::connect(url, database_key(url)).await.unwrap();
    let verifier = Verifier::connect(&devnet.anvil.endpoint(), devnet.registry, store)
        .await
        .unwrap();
    Service::new(verifier, config).unwrap()
}

/// The subject (#1) asks, the certifier (#2) records Taro Yamada's claims with the
/// evidence `document` and `face`, valid for a year; returns the credential.
async fn attest(devnet: &Devnet) -> Credential {
    let commitment = commitment(&[
        ("given_name", "Taro"),
        ("family_name", "Yamada"),
        ("birthdate", "1990-01-31"),
        ("nationality", "JP"),
    ]);
    let (subject, certifier) = (devnet.subject.address(), devnet.certifier.address());
    let evidence: Evidence = "document,face".parse().unwrap();
    let receipt = devnet
        .attest(commitment.root(), evidence.bits(), 365 * 86_400)
        .await;
    let stored = devnet
        .registry_for(devnet.certifier.clone())
        .attestation(subject, certifier)
        .call()
        .await
        .unwrap();
    Credential {
        version: FormatVersion,
        chain_id: devnet.chain_id(),
        registry: devnet.registry,
        subject,
        certifier,
        claims: commitment.claims().to_vec(),
        root: commitment.root(),
        evidence,
        issued_at: stored.issuedAt,
        expires_at: stored.expiresAt,
        tx_hash: receipt.transaction_hash,
        block_number: receipt.block_number.unwrap(),
    }
}
