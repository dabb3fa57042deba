//! Importing credentials, checked against the chain and the wallet's own request, and
//! their status as the chain tells it.

use alloy::primitives::B256;
use kyc_core::evidence::Evidence;
use kyc_wallet::{
    credential::{credential_status, import_credential, CredentialStatus},
    Error,
};

use crate::fixtures::{Setup, CLAIMS};

#[tokio::test]
async fn a_credential_matching_the_request_and_the_chain_is_imported() {
    let setup = Setup::start().await;
    let request = setup.request(CLAIMS).await;
    let credential = setup.attest(&request).await;
    let imported = import_credential(&setup.wallet, &setup.registry, credential.clone())
        .await
        .unwrap();
    assert_eq!(imported, credential);
    assert_eq!(
        setup.wallet.credentials().unwrap(),
        vec![credential.clone()]
    );
    assert_eq!(
        credential_status(&credential, &setup.registry)
            .await
            .unwrap(),
        CredentialStatus::Active
    );
}

#[tokio::test]
async fn a_credential_for_no_request_of_the_wallet_is_refused() {
    let setup = Setup::start().await;
    let request = setup.request(CLAIMS).await;
    let credential = setup.attest(&request).await;
    // The wallet forgets its request: the credential now answers nothing it asked for.
    std::fs::remove_dir_all(setup.wallet.dir().join("requests")).unwrap();
    let err = import_credential(&setup.wallet, &setup.registry, credential.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoMatchingRequest { .. }), "{err}");
    assert!(setup.wallet.credentials().unwrap().is_empty());
}

#[tokio::test]
async fn a_credential_the_chain_does_not_confirm_is_refused() {
    let setup = Setup::start().await;
    let request = setup.request(CLAIMS).await;
    let credential = setup.attest(&request).await;
    let import = |credential: &kyc_core::files::Credential| {
        let credential = credential.clone();
        let (wallet, registry) = (setup.wallet.clone(), setup.registry.clone());
        async move { import_credential(&wallet, &registry, credential).await }
    };

    let mut wrong_evidence = credential.clone();
    wrong_evidence.evidence = Evidence::DOCUMENT | Evidence::FACE | Evidence::ADDRESS;
    let err = import(&wrong_evidence).await.unwrap_err();
    assert!(err.to_string().contains("evidence"), "{err}");

    let mut wrong_expiry = credential.clone();
    wrong_expiry.expires_at += 1;
    let err = import(&wrong_expiry).await.unwrap_err();
    assert!(matches!(err, Error::NotOnChain(_)), "{err}");

    let mut wrong_tx = credential.clone();
    wrong_tx.tx_hash = B256::repeat_byte(7);
    let err = import(&wrong_tx).await.unwrap_err();
    assert!(err.to_string().contains("no transaction"), "{err}");

    let mut wrong_block = credential.clone();
    wrong_block.block_number += 1;
    let err = import(&wrong_block).await.unwrap_err();
    assert!(err.to_string().contains("block"), "{err}");

    let mut wrong_chain = credential.clone();
    wrong_chain.chain_id += 1;
    let err = import(&wrong_chain).await.unwrap_err();
    assert!(matches!(err, Error::WrongChain { .. }), "{err}");

    // A later attestation replaces this one: the registry no longer holds its root.
    let newer = setup.request(CLAIMS).await;
    setup.attest(&newer).await;
    let err = import(&credential).await.unwrap_err();
    assert!(err.to_string().contains("holds root"), "{err}");
    assert_eq!(
        credential_status(&credential, &setup.registry)
            .await
            .unwrap(),
        CredentialStatus::Replaced
    );
    assert!(setup.wallet.credentials().unwrap().is_empty());
}

#[tokio::test]
async fn a_tampered_credential_is_refused_before_the_chain_is_asked() {
    let setup = Setup::start().await;
    let request = setup.request(CLAIMS).await;
    let credential = setup.attest(&request).await;
    let mut tampered = credential.clone();
    tampered.claims[0].value = "Someone Else".to_owned();
    let err = import_credential(&setup.wallet, &setup.registry, tampered)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Core(kyc_core::Error::RootMismatch { .. })),
        "{err}"
    );
    assert!(!err.to_string().contains("Someone Else"));
}

#[tokio::test]
async fn status_follows_revocation_expiry_and_certifier_removal() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let status = || credential_status(&credential, &setup.registry);
    assert_eq!(status().await.unwrap(), CredentialStatus::Active);

    let owner = setup.devnet.registry_for(setup.devnet.owner.clone());
    owner
        .removeCertifier(credential.certifier)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert_eq!(status().await.unwrap(), CredentialStatus::CertifierRemoved);
    let err = import_credential(&setup.wallet, &setup.registry, credential.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotCertifier(_)), "{err}");

    setup.advance(366 * 86_400).await;
    assert_eq!(status().await.unwrap(), CredentialStatus::Expired);
}

#[tokio::test]
async fn a_revoked_credential_is_refused_and_shown_revoked() {
    let setup = Setup::start().await;
    let request = setup.request(CLAIMS).await;
    let credential = setup.attest(&request).await;
    setup
        .devnet
        .registry_for(setup.devnet.certifier.clone())
        .revoke(credential.subject, "document reported stolen".to_owned())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let err = import_credential(&setup.wallet, &setup.registry, credential.clone())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("revoked"), "{err}");
    assert_eq!(
        credential_status(&credential, &setup.registry)
            .await
            .unwrap(),
        CredentialStatus::Revoked
    );
}
