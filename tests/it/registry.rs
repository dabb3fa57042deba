//! The registry on a real chain: type hashes agree with `kyc-core`, and an attestation signed
//! with `kyc-core`'s EIP-712 types is recorded, verified and revoked.

use alloy::{
    primitives::{Address, B256},
    sol_types::SolStruct,
};
use kyc_contracts::KycRegistry;
use kyc_core::{
    attestation::Status,
    commitment::Commitment,
    eip712::{self, AttestRequest, Withdraw},
    evidence::Evidence,
};
use kyc_test_utils::{commitment, sign, Devnet};

fn claims() -> Commitment {
    commitment(&[
        ("given_name", "Taro"),
        ("family_name", "Yamada"),
        ("birthdate", "1990-01-31"),
    ])
}

#[tokio::test]
async fn type_hashes_and_domain_match_the_contract() {
    let devnet = Devnet::start().await;
    let registry = devnet.registry_for(devnet.owner.clone());
    let request = AttestRequest {
        subject: Address::ZERO,
        certifier: Address::ZERO,
        root: B256::ZERO,
        nonce: 0,
        deadline: 0,
    };
    let withdraw = Withdraw {
        subject: Address::ZERO,
        certifier: Address::ZERO,
        nonce: 0,
        deadline: 0,
    };
    assert_eq!(
        registry.ATTEST_REQUEST_TYPEHASH().call().await.unwrap(),
        request.eip712_type_hash()
    );
    assert_eq!(
        registry.WITHDRAW_TYPEHASH().call().await.unwrap(),
        withdraw.eip712_type_hash()
    );
    assert_eq!(
        registry.DOMAIN_SEPARATOR().call().await.unwrap(),
        eip712::domain(devnet.chain_id(), devnet.registry).separator()
    );
}

#[tokio::test]
async fn attest_verify_revoke() {
    let devnet = Devnet::start().await;
    let (subject, certifier) = (devnet.subject.address(), devnet.certifier.address());
    let registry = devnet.registry_for(devnet.certifier.clone());
    let commitment = claims();
    let now = devnet.chain_time().await;

    let nonce = registry.nonces(subject, certifier).call().await.unwrap();
    let request = AttestRequest {
        subject,
        certifier,
        root: commitment.root(),
        nonce,
        deadline: now + 3600,
    };
    let digest = eip712::signing_hash(&request, devnet.chain_id(), devnet.registry);
    let evidence = Evidence::from_names(["document", "face"]).unwrap();
    let receipt = registry
        .attest(
            subject,
            commitment.root(),
            evidence.bits(),
            now + 365 * 86_400,
            request.deadline,
            sign(&devnet.subject, digest),
        )
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());

    let stored = registry
        .attestation(subject, certifier)
        .call()
        .await
        .unwrap();
    assert_eq!(stored.root, commitment.root());
    assert_eq!(Status::from_abi(stored.status).unwrap(), Status::Active);
    assert_eq!(stored.evidence, evidence.bits());
    assert_eq!(
        registry.nonces(subject, certifier).call().await.unwrap(),
        nonce + 1
    );
    assert!(registry
        .isVerified(subject, certifier, evidence.bits())
        .call()
        .await
        .unwrap());
    let with_address = evidence.bits() | Evidence::from_names(["address"]).unwrap().bits();
    assert!(!registry
        .isVerified(subject, certifier, with_address)
        .call()
        .await
        .unwrap());

    registry
        .revoke(subject, "document reported stolen".to_owned())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let stored = registry
        .attestation(subject, certifier)
        .call()
        .await
        .unwrap();
    assert_eq!(Status::from_abi(stored.status).unwrap(), Status::Revoked);
    assert!(!registry
        .isVerified(subject, certifier, 0)
        .call()
        .await
        .unwrap());
}

#[tokio::test]
async fn a_replayed_request_is_refused_with_the_contract_error() {
    let devnet = Devnet::start().await;
    let (subject, certifier) = (devnet.subject.address(), devnet.certifier.address());
    let registry = devnet.registry_for(devnet.certifier.clone());
    let commitment = claims();
    let now = devnet.chain_time().await;
    let request = AttestRequest {
        subject,
        certifier,
        root: commitment.root(),
        nonce: 0,
        deadline: now + 3600,
    };
    let signature = sign(
        &devnet.subject,
        eip712::signing_hash(&request, devnet.chain_id(), devnet.registry),
    );
    let attest = || {
        registry.attest(
            subject,
            commitment.root(),
            1,
            now + 86_400,
            request.deadline,
            signature.clone(),
        )
    };
    attest().send().await.unwrap().get_receipt().await.unwrap();

    let err = attest().call().await.unwrap_err();
    let decoded = kyc_contracts::decode_revert(&err).unwrap();
    assert!(matches!(
        decoded,
        KycRegistry::KycRegistryErrors::InvalidSignature(ref e) if e.subject == subject
    ));
    assert!(kyc_contracts::describe_revert(&decoded).contains("signature"));
}
