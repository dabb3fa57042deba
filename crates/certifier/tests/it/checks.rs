//! Request checks and connecting to a registry: each failure names its field, nothing passes
//! that the registry would refuse.

use alloy::{
    network::TransactionBuilder,
    primitives::{Address, Bytes, U256},
    providers::Provider,
    rpc::types::TransactionRequest,
    signers::local::PrivateKeySigner,
};
use kyc_certifier::{check::check_request, Chain, Error};
use kyc_core::signature::recover_signer;

use crate::fixtures::{person, provider, sign, signed_request, Fixture};

#[tokio::test]
async fn a_well_formed_request_passes() {
    let fixture = Fixture::start().await;
    let request = fixture
        .request(&PrivateKeySigner::random(), &person("Yamada", "TK1"))
        .await;
    check_request(&fixture.chain, &request).await.unwrap();
}

#[tokio::test]
async fn each_wrong_field_is_named() {
    let fixture = Fixture::start().await;
    let subject = PrivateKeySigner::random();
    let good = fixture.request(&subject, &person("Yamada", "TK1")).await;
    let check = |request| {
        let chain = &fixture.chain;
        async move { check_request(chain, &request).await.unwrap_err() }
    };

    let mut request = good.clone();
    request.chain_id = 1;
    let error = check(request).await;
    assert!(
        matches!(error, Error::WrongChain { file: 1, .. }),
        "{error}"
    );
    assert!(error.to_string().starts_with("chain_id is 1"), "{error}");

    let mut request = good.clone();
    request.registry = Address::repeat_byte(7);
    assert!(matches!(check(request).await, Error::WrongRegistry { .. }));

    let mut request = good.clone();
    request.certifier = fixture.owner.address();
    assert!(matches!(check(request).await, Error::WrongCertifier { .. }));

    let mut request = good.clone();
    request.signature = sign(&PrivateKeySigner::random(), good.signing_hash());
    let error = check(request).await;
    assert!(
        matches!(error, Error::BadSignature { subject: s, .. } if s == subject.address()),
        "{error}"
    );

    // The high-s twin of a valid signature recovers the same key, and is still refused.
    let mut request = good.clone();
    request.signature = high_s_twin(&good.signature);
    assert!(recover_signer(good.signing_hash(), &request.signature).is_err());
    let error = check(request).await;
    assert!(error.to_string().contains("high"), "{error}");

    let request = signed_request(
        &fixture.chain,
        &subject,
        &person("Yamada", "TK1"),
        1,
        good.deadline,
    );
    let error = check(request).await;
    assert!(
        matches!(
            error,
            Error::WrongNonce {
                file: 1,
                registry: 0,
                ..
            }
        ),
        "{error}"
    );

    let now = fixture.now().await;
    let request = signed_request(
        &fixture.chain,
        &subject,
        &person("Yamada", "TK1"),
        0,
        now + 5,
    );
    assert!(matches!(check(request).await, Error::DeadlinePassed { .. }));

    let mut request = good.clone();
    request.root.0[0] ^= 1;
    assert!(matches!(
        check(request).await,
        Error::Core(kyc_core::Error::RootMismatch { .. })
    ));

    let mut request = good;
    request.claims[0].value = " Taro".to_owned();
    let error = check(request).await;
    assert!(matches!(error, Error::Core(_)), "{error}");
    assert!(
        !error.to_string().contains("Taro"),
        "errors never repeat claim values: {error}"
    );
}

#[tokio::test]
async fn connecting_refuses_what_is_not_our_registry() {
    let fixture = Fixture::start().await;
    let me = fixture.certifier.address();
    let rpc = || provider(&fixture.anvil, &fixture.certifier);

    let nobody = Address::repeat_byte(0x42);
    let error = Chain::connect(rpc(), nobody, me).await.unwrap_err();
    assert!(
        matches!(error, Error::NoContract { registry, .. } if registry == nobody),
        "{error}"
    );
    assert!(error
        .to_string()
        .contains("no contract at registry address"));

    // A contract that answers every call with 42: not a registry.
    let init = Bytes::from_static(&[
        0x60, 0x0a, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x0a, 0x60, 0x00,
        0xf3, // copy and return the runtime
        0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00,
        0xf3, // mstore(0, 42); return(0, 32)
    ]);
    let deploy = TransactionRequest::default().with_deploy_code(init);
    let receipt = rpc()
        .send_transaction(deploy)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let other = receipt.contract_address.unwrap();
    let error = Chain::connect(rpc(), other, me).await.unwrap_err();
    assert!(matches!(error, Error::NotARegistry { .. }), "{error}");

    let down = alloy::providers::ProviderBuilder::new()
        .connect_http("http://127.0.0.1:9".parse().unwrap())
        .erased();
    let error = Chain::connect(down, fixture.registry, me)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Rpc { .. }), "{error}");
    assert!(error.to_string().starts_with("rpc unavailable"), "{error}");
}

/// The same signature with `s` replaced by `n - s` and `v` flipped.
fn high_s_twin(signature: &Bytes) -> Bytes {
    let order = U256::from_str_radix(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
        16,
    )
    .unwrap();
    let s = U256::from_be_slice(&signature[32..64]);
    let mut twin = signature.to_vec();
    twin[32..64].copy_from_slice(&(order - s).to_be_bytes::<32>());
    twin[64] = if twin[64] == 27 { 28 } else { 27 };
    twin.into()
}
