//! Requests: salted, committed, signed with the registry's nonce, accepted by the contract.

use alloy::primitives::Address;
use kyc_core::{files::JsonFile, signature::recover_signer};
use kyc_wallet::{claims_input::normalize_claims, request::prepare_request, Error};

use crate::fixtures::{unix_now, Setup, CLAIMS};

#[tokio::test]
async fn a_request_carries_the_chain_nonce_and_the_contract_accepts_its_signature() {
    let setup = Setup::start().await;
    let request = setup.request(CLAIMS).await;
    assert_eq!(request.subject, setup.devnet.subject.address());
    assert_eq!(request.nonce, 0);
    assert_eq!(request.chain_id, setup.devnet.chain_id());
    assert_eq!(request.registry, setup.devnet.registry);
    assert_eq!(request.computed_root().unwrap(), request.root);
    assert_eq!(
        recover_signer(request.signing_hash(), &request.signature).unwrap(),
        request.subject
    );
    // The file round-trips and the wallet kept a copy.
    assert_eq!(
        kyc_core::files::Request::from_json(&request.to_json().unwrap()).unwrap(),
        request
    );
    assert_eq!(setup.wallet.requests().unwrap(), vec![request.clone()]);

    setup.attest(&request).await;
    // The nonce is used up: the next request carries the next one, with fresh salts.
    let next = setup.request(CLAIMS).await;
    assert_eq!(next.nonce, 1);
    assert_ne!(next.root, request.root);
    assert_ne!(next.claims[0].salt, request.claims[0].salt);
    setup.attest(&next).await;
}

#[tokio::test]
async fn a_request_to_a_non_certifier_or_past_its_deadline_is_refused() {
    let setup = Setup::start().await;
    let claims = normalize_claims(CLAIMS).unwrap().claims;
    let stranger = Address::repeat_byte(0x42);
    let err = prepare_request(
        &setup.registry,
        &setup.devnet.subject,
        stranger,
        &claims,
        unix_now() + 60,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::NotCertifier(a) if a == stranger),
        "{err}"
    );

    let err = prepare_request(
        &setup.registry,
        &setup.devnet.subject,
        setup.devnet.certifier.address(),
        &claims,
        unix_now() - 60,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::DeadlinePassed { .. }), "{err}");
    assert!(setup.wallet.requests().unwrap().is_empty());
}

#[tokio::test]
async fn connecting_to_an_address_without_a_registry_is_refused() {
    let setup = Setup::start().await;
    let err = kyc_wallet::chain::RegistryClient::connect(
        setup.devnet.provider(setup.devnet.subject.clone()),
        Address::repeat_byte(0x11),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NoRegistry { .. }), "{err}");
}
