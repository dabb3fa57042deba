#![doc = include_str!("../README.md")]
#![allow(clippy::unwrap_used)] // Fixtures: a failure here is a broken test environment.

mod people;
pub mod webhooks;

pub use people::Person;

use std::{
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
};

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    primitives::{Address, Bytes, B256, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::TransactionReceipt,
    signers::{local::PrivateKeySigner, SignerSync},
};
use kyc_contracts::KycRegistry;
use kyc_core::{
    claims::{Claim, ClaimSet},
    commitment::Commitment,
    eip712::{signing_hash, AttestRequest},
    evidence::Evidence,
    files::{Credential, FormatVersion, Request, Submission},
    signature::encode_signature,
    uri::RegistrationUri,
};

/// Registration codes made so far, so that each gets its own ID.
static CODES: AtomicU64 = AtomicU64::new(0);

/// The name the devnet certifier is registered under.
pub const CERTIFIER_NAME: &str = "Demo Certification Body";

/// The key that seals disclosed claims in the PostgreSQL database tests share
/// (`KYC_TEST_POSTGRES_URL`): one key for every test, run after run, as replicas share one.
pub const POSTGRES_TEST_DATABASE_KEY: [u8; 32] = [0x5e; 32];

/// The key file a test opens the database at `url` with: for PostgreSQL, an owner-only
/// file of [`POSTGRES_TEST_DATABASE_KEY`] (one per test process); `None`, the key file
/// beside the database, for SQLite.
pub fn test_database_key_file(url: &str) -> Option<&'static Path> {
    static FILE: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    url.starts_with("postgres").then(|| {
        let (_, path) = FILE.get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("database.key");
            kyc_fs::write_private(&path, &POSTGRES_TEST_DATABASE_KEY).unwrap();
            (dir, path)
        });
        path.as_path()
    })
}

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

/// A commitment, with fresh salts, of canonical `(key, value)` claims in any order.
pub fn commitment(claims: &[(&str, &str)]) -> Commitment {
    let claims = claims
        .iter()
        .map(|(key, value)| Claim {
            key: (*key).to_owned(),
            value: (*value).to_owned(),
        })
        .collect();
    Commitment::new(&ClaimSet::new(claims).unwrap()).unwrap()
}

/// Signs an EIP-712 digest in the one form the protocol accepts: 65 bytes, low `s`,
/// `v` 27 or 28.
pub fn sign(signer: &PrivateKeySigner, digest: B256) -> Bytes {
    encode_signature(&signer.sign_hash_sync(&digest).unwrap())
        .to_vec()
        .into()
}

/// Seconds since 1970 by the system clock.
pub fn unix_now() -> u64 {
    kyc_core::time::unix_now().unwrap()
}

/// A fresh anvil chain with `KycRegistry` deployed and one certifier registered.
///
/// Accounts are anvil's well-known ones: the owner is #0, the subject #1 and the certifier #2,
/// as in `crates/core/tests/vectors/eip712.json`.
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
        mined(registry.addCertifier(certifier.address(), CERTIFIER_NAME.to_owned())).await;
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

    /// The latest block's timestamp.
    pub async fn chain_time(&self) -> u64 {
        let provider = self.provider(self.owner.clone());
        let block = provider
            .get_block_by_number(Default::default())
            .await
            .unwrap()
            .unwrap();
        block.header.timestamp
    }

    /// The subject signs an `AttestRequest` for `root` (the pair's nonce, a deadline an
    /// hour ahead) and the certifier records it with `evidence` bits for `valid_for`
    /// seconds from the chain's time. Returns the mined, successful receipt.
    pub async fn attest(&self, root: B256, evidence: u16, valid_for: u64) -> TransactionReceipt {
        let expires_at = self.chain_time().await + valid_for;
        self.attest_for(
            &self.subject,
            self.subject.address(),
            root,
            evidence,
            expires_at,
        )
        .await
    }

    /// The certifier revokes its attestation of the subject, giving `reason`. Returns the
    /// mined, successful receipt.
    pub async fn revoke(&self, reason: &str) -> TransactionReceipt {
        mined(
            self.registry_for(self.certifier.clone())
                .revoke(self.subject.address(), reason.to_owned()),
        )
        .await
    }

    /// `signer` signs an `AttestRequest` for `subject` (itself, or a contract wallet it
    /// owns) and the certifier records `root` with `evidence` bits until `expires_at`.
    pub async fn attest_for(
        &self,
        signer: &PrivateKeySigner,
        subject: Address,
        root: B256,
        evidence: u16,
        expires_at: u64,
    ) -> TransactionReceipt {
        let certifier = self.certifier.address();
        let registry = self.registry_for(self.certifier.clone());
        let request = AttestRequest {
            subject,
            certifier,
            root,
            nonce: registry.nonces(subject, certifier).call().await.unwrap(),
            deadline: self.chain_time().await + 3600,
        };
        let digest = signing_hash(&request, self.chain_id(), self.registry);
        mined(registry.attest(
            subject,
            root,
            evidence,
            expires_at,
            request.deadline,
            sign(signer, digest),
        ))
        .await
    }

    /// Puts runtime `code` at `at` (`anvil_setCode`).
    pub async fn set_code(&self, at: Address, code: Bytes) {
        self.provider(self.owner.clone())
            .raw_request::<_, ()>("anvil_setCode".into(), (at, code))
            .await
            .unwrap();
    }

    /// Puts a minimal ERC-1271 wallet owned by `owner` at `at`: it accepts a 65-byte
    /// signature whose `ecrecover` is `owner`, and answers `0xffffffff` otherwise.
    pub async fn deploy_contract_wallet(&self, at: Address, owner: Address) {
        self.set_code(at, erc1271_wallet_code(owner)).await;
    }

    /// The certifier attests a signed request (evidence document and face, valid a year)
    /// and issues its credential, as a certification body would.
    pub async fn issue_credential(&self, request: &Request) -> Credential {
        let registry = self.registry_for(self.certifier.clone());
        let evidence = Evidence::DOCUMENT | Evidence::FACE;
        let receipt = mined(registry.attest(
            request.subject,
            request.root,
            evidence.bits(),
            unix_now() + 365 * 86_400,
            request.deadline,
            request.signature.clone(),
        ))
        .await;
        let stored = registry
            .attestation(request.subject, request.certifier)
            .call()
            .await
            .unwrap();
        Credential {
            version: FormatVersion,
            chain_id: request.chain_id,
            registry: request.registry,
            subject: request.subject,
            certifier: request.certifier,
            claims: request.claims.clone(),
            root: request.root,
            evidence,
            issued_at: stored.issuedAt,
            expires_at: stored.expiresAt,
            tx_hash: receipt.transaction_hash,
            block_number: receipt.block_number.unwrap(),
        }
    }

    /// The subject's answer to a registration code, disclosing every claim of
    /// `commitment`, signed by `signer` (the subject, or a forger).
    pub fn submission(
        &self,
        code: &RegistrationUri,
        commitment: &Commitment,
        signer: &PrivateKeySigner,
    ) -> Submission {
        let keys: Vec<String> = commitment
            .claims()
            .iter()
            .map(|claim| claim.key.clone())
            .collect();
        let mut submission = Submission {
            version: FormatVersion,
            registration_id: code.registration_id,
            service: code.service.clone(),
            chain_id: code.chain_id,
            registry: code.registry,
            subject: self.subject.address(),
            certifier: self.certifier.address(),
            root: commitment.root(),
            leaves: commitment.disclose(&keys).unwrap(),
            signed_at: unix_now(),
            signature: Bytes::new(),
        };
        submission.signature = sign(signer, submission.signing_hash());
        submission
    }

    /// A registration code of `service` for this chain and registry, asking for `fields`
    /// and valid for ten minutes; its registration ID differs between calls.
    pub fn registration_code(&self, service: &str, fields: &[&str]) -> RegistrationUri {
        RegistrationUri {
            registration_id: B256::from(
                U256::from(unix_now()) << 64 | U256::from(CODES.fetch_add(1, Ordering::Relaxed)),
            ),
            service: service.to_owned(),
            name: "Ticket Shop".to_owned(),
            callback: format!("{service}/v1/sessions/rid/submission"),
            chain_id: self.chain_id(),
            registry: self.registry,
            fields: fields.iter().map(|field| (*field).to_owned()).collect(),
            expires_at: unix_now() + 600,
        }
    }
}

fn provider(anvil: &AnvilInstance, signer: PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// Runtime code of an ERC-1271 wallet, in EVM assembly:
/// copy hash, v, r, s from `isValidSignature(bytes32,bytes)` calldata into memory,
/// `staticcall` the ecrecover precompile, compare with `owner`, return the magic value or `0xffffffff`.
fn erc1271_wallet_code(owner: Address) -> Bytes {
    let mut code = alloy::hex!(
        "600435600052"          // mstore(0x00, hash)
        "60a43560f81c602052"    // mstore(0x20, v)
        "606435604052"          // mstore(0x40, r)
        "608435606052"          // mstore(0x60, s)
        "60206080608060006001" "5afa50" // staticcall(gas, 1, 0, 0x80, 0x80, 0x20)
        "60805173"              // mload(0x80) == owner
    )
    .to_vec();
    code.extend_from_slice(owner.as_slice());
    code.extend_from_slice(&alloy::hex!(
        "14605457"                              // jumpi(ok, eq)
        "63ffffffff60e01b60005260206000f3"      // return 0xffffffff
        "5b631626ba7e60e01b60005260206000f3"    // ok: return 0x1626ba7e
    ));
    code.into()
}

/// Sends a transaction and returns its receipt once mined; the transaction must succeed.
pub async fn mined<P: Provider, D: CallDecoder>(call: CallBuilder<P, D>) -> TransactionReceipt {
    let receipt = call.send().await.unwrap().get_receipt().await.unwrap();
    assert!(receipt.status());
    receipt
}
