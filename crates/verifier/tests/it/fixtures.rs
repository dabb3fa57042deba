//! A devnet with a verifier over it, attestations signed with `kyc-core`, and
//! submissions built and signed the way a wallet builds them.

use alloy::{
    primitives::{address, Address, Bytes, B256},
    providers::Provider,
    signers::local::PrivateKeySigner,
};
use kyc_core::{
    commitment::Commitment,
    evidence::Evidence,
    files::{FormatVersion, Submission},
};
pub(crate) use kyc_test_utils::mined;
use kyc_test_utils::{sign, test_database_key_file, unix_now, Devnet};
use kyc_verifier::{
    store::{SealingKey, SqliteStore},
    AnyStore, Policy, Session, SessionRecord, SessionRequest, Store, Verdict, Verifier,
};
use tempfile::TempDir;

/// The service origin sessions are opened for.
pub(crate) const SERVICE: &str = "https://bank.example";

/// A devnet, a verifier with its own store, and the temp dir that holds a SQLite store.
pub(crate) struct Fixture<S> {
    pub(crate) devnet: Devnet,
    pub(crate) verifier: Verifier<S>,
    /// The store's database, for a second verifier over it.
    pub(crate) database_url: String,
    _dir: Option<TempDir>,
}

impl Fixture<SqliteStore> {
    /// A devnet and a verifier over a fresh SQLite file.
    pub(crate) async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        Self::on_sqlite(sqlite_url(&dir), Some(dir)).await
    }

    /// A devnet and a verifier over an in-memory SQLite database, which has one
    /// connection.
    pub(crate) async fn start_in_memory() -> Self {
        Self::on_sqlite("sqlite::memory:".to_owned(), None).await
    }

    async fn on_sqlite(database_url: String, dir: Option<TempDir>) -> Self {
        let devnet = Devnet::start().await;
        let store = SqliteStore::connect(&database_url, database_key(&database_url))
            .await
            .unwrap();
        let verifier = verifier_on(&devnet, store).await;
        Self {
            devnet,
            verifier,
            database_url,
            _dir: dir,
        }
    }
}

impl Fixture<AnyStore> {
    /// A devnet and a verifier over the PostgreSQL of `KYC_TEST_POSTGRES_URL`.
    pub(crate) async fn start_postgres() -> Self {
        let url = postgres_url();
        let devnet = Devnet::start().await;
        let store = store_at(&url).await;
        let verifier = verifier_on(&devnet, store).await;
        Self {
            devnet,
            verifier,
            database_url: url,
            _dir: None,
        }
    }
}

/// A fresh SQLite store in a temp dir (dropping the dir deletes it).
pub(crate) async fn sqlite_store() -> (SqliteStore, TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir);
    (
        SqliteStore::connect(&url, database_key(&url))
            .await
            .unwrap(),
        dir,
    )
}

/// The store at `url` (SQLite or PostgreSQL), its claims sealed under its test key.
pub(crate) async fn store_at(url: &str) -> AnyStore {
    AnyStore::connect(url, database_key(url)).await.unwrap()
}

/// The key of the database at `url` (see [`test_database_key_file`]).
pub(crate) fn database_key(url: &str) -> SealingKey {
    kyc_verifier::store::database_key(url, test_database_key_file(url)).unwrap()
}

fn sqlite_url(dir: &TempDir) -> String {
    format!("sqlite://{}", dir.path().join("kyc.db").display())
}

/// `KYC_TEST_POSTGRES_URL`. The PostgreSQL tests are ignored by default and fail, rather
/// than pass without running, when they are asked for and cannot run.
pub(crate) fn postgres_url() -> String {
    if cfg!(not(feature = "postgres")) {
        panic!("built without the `postgres` feature: the PostgreSQL tests cannot run");
    }
    std::env::var("KYC_TEST_POSTGRES_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .expect("KYC_TEST_POSTGRES_URL is unset: the PostgreSQL tests need a database (scripts/test starts one)")
}

pub(crate) async fn verifier_on<S: Store>(devnet: &Devnet, store: S) -> Verifier<S> {
    Verifier::connect(&devnet.anvil.endpoint(), devnet.registry, store)
        .await
        .unwrap()
}

/// Taro Yamada's claims under fresh salts.
pub(crate) fn commitment() -> Commitment {
    kyc_test_utils::commitment(&[
        ("given_name", "Taro"),
        ("family_name", "Yamada"),
        ("birthdate", "1990-01-31"),
        ("nationality", "JP"),
    ])
}

pub(crate) fn fields(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|key| (*key).to_owned()).collect()
}

pub(crate) fn evidence(names: &str) -> Evidence {
    names.parse().unwrap()
}

impl<S: Store> Fixture<S> {
    /// `count` honest answers to as many new sessions asking for `given_name`, of the
    /// subject (#1), attested with [`commitment`]'s root and document evidence.
    pub(crate) async fn honest_answers(&self, count: usize) -> Vec<Vec<u8>> {
        let commitment = commitment();
        self.attest(commitment.root(), evidence("document")).await;
        let mut answers = Vec::with_capacity(count);
        for _ in 0..count {
            let session = self.session(&["given_name"]).await;
            answers.push(to_json(&self.submission(
                &session,
                &commitment,
                &["given_name"],
            )));
        }
        answers
    }

    /// Opens a session asking for `keys` with the default time to live.
    pub(crate) async fn session(&self, keys: &[&str]) -> Session {
        self.verifier
            .open_session(SessionRequest::new(SERVICE, fields(keys)))
            .await
            .unwrap()
    }

    /// The subject (#1) asks, the certifier (#2) records `root` with `evidence`, valid for a year.
    pub(crate) async fn attest(&self, root: B256, evidence: Evidence) {
        self.devnet
            .attest(root, evidence.bits(), 365 * 86_400)
            .await;
    }

    /// `signer` signs an attest request for `subject` (itself, or a contract wallet it owns).
    pub(crate) async fn attest_for(
        &self,
        signer: &PrivateKeySigner,
        subject: Address,
        root: B256,
        evidence: Evidence,
        expires_at: u64,
    ) {
        self.devnet
            .attest_for(signer, subject, root, evidence.bits(), expires_at)
            .await;
    }

    /// What the wallet of the subject (#1) sends for `session`, disclosing `keys`.
    pub(crate) fn submission(
        &self,
        session: &Session,
        commitment: &Commitment,
        keys: &[&str],
    ) -> Submission {
        let mut submission = Submission {
            version: FormatVersion,
            registration_id: session.registration_id,
            service: session.service.clone(),
            chain_id: session.chain_id,
            registry: session.registry,
            subject: self.devnet.subject.address(),
            certifier: self.devnet.certifier.address(),
            root: commitment.root(),
            leaves: commitment.disclose(&fields(keys)).unwrap(),
            signed_at: unix_now(),
            signature: Bytes::new(),
        };
        resign(&mut submission, &self.devnet.subject);
        submission
    }

    /// The subject's honest answer to `session`, disclosing the fields it asks for, verified.
    pub(crate) async fn answer(
        &self,
        session: &Session,
        commitment: &Commitment,
        policy: &Policy,
    ) -> Verdict {
        let keys: Vec<&str> = session.fields.iter().map(String::as_str).collect();
        self.verify(&self.submission(session, commitment, &keys), policy)
            .await
    }

    pub(crate) async fn verify(&self, submission: &Submission, policy: &Policy) -> Verdict {
        self.verify_json(&to_json(submission), policy).await
    }

    pub(crate) async fn verify_json(&self, json: &[u8], policy: &Policy) -> Verdict {
        self.verifier.verify(json, policy).await.unwrap()
    }

    /// Another verifier over the same chain and database, with connections of its own,
    /// as a second process of the service would have.
    pub(crate) async fn second_verifier(&self) -> Verifier<AnyStore> {
        verifier_on(&self.devnet, store_at(&self.database_url).await).await
    }

    /// The stored record of the session `registration_id`.
    pub(crate) async fn record(&self, registration_id: B256) -> SessionRecord {
        self.verifier
            .store()
            .session(registration_id)
            .await
            .unwrap()
            .unwrap()
    }

    /// An ERC-1271 wallet owned by the subject (#1), attested by the certifier (#2) with
    /// `commitment`'s root and document evidence for a day.
    pub(crate) async fn contract_wallet(&self, commitment: &Commitment) -> Address {
        let wallet = address!("0x0000000000000000000000000000000000001271");
        let owner = &self.devnet.subject;
        self.devnet
            .deploy_contract_wallet(wallet, owner.address())
            .await;
        let expires_at = self.devnet.chain_time().await + 86_400;
        self.attest_for(
            owner,
            wallet,
            commitment.root(),
            evidence("document"),
            expires_at,
        )
        .await;
        wallet
    }

    /// Mines `blocks` empty blocks.
    pub(crate) async fn mine(&self, blocks: u64) {
        let provider = self.devnet.provider(self.devnet.owner.clone());
        provider
            .raw_request::<_, serde_json::Value>("anvil_mine".into(), (blocks,))
            .await
            .unwrap();
    }
}

/// Signs the submission's consent again, after a test changed it.
pub(crate) fn resign(submission: &mut Submission, signer: &PrivateKeySigner) {
    submission.signature = sign(signer, submission.signing_hash());
}

pub(crate) fn to_json(submission: &Submission) -> Vec<u8> {
    serde_json::to_vec(submission).unwrap()
}
