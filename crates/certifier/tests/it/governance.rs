//! The owner's helpers and reading a subject's attestations.

use alloy::signers::local::PrivateKeySigner;
use kyc_certifier::governance::{
    add_certifier, attestations_of, known_certifiers, remove_certifier,
};
use kyc_core::attestation::Status;

use crate::fixtures::{attest_one, person, Fixture};

#[tokio::test]
async fn certifiers_come_and_go_and_show_lists_their_attestations() {
    let fixture = Fixture::with_anvil(|anvil| anvil).await;
    let as_owner = fixture.connect_as(&fixture.owner).await;
    let second = PrivateKeySigner::random();
    add_certifier(&as_owner, second.address(), "Second Body")
        .await
        .unwrap();
    assert_eq!(
        known_certifiers(&fixture.chain).await.unwrap(),
        vec![fixture.certifier.address(), second.address()]
    );

    // Only the owner governs; the refusal is the contract's error, decoded.
    let error = add_certifier(
        &fixture.chain,
        PrivateKeySigner::random().address(),
        "Rogue",
    )
    .await
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "registry refused adding the certifier: {} is not the registry owner",
            fixture.certifier.address()
        )
    );
    let error = add_certifier(&as_owner, second.address(), "Again")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("already registered"), "{error}");

    let subject = PrivateKeySigner::random();
    let request = fixture.request(&subject, &person("Yamada", "TK1")).await;
    attest_one(&fixture.chain, request.clone()).await;

    let shown = attestations_of(&fixture.chain, subject.address(), None)
        .await
        .unwrap();
    assert_eq!(shown.len(), 1, "only certifiers that hold one");
    let one = &shown[0];
    assert_eq!(
        (one.certifier, one.attestation.root, one.attestation.status),
        (fixture.certifier.address(), request.root, Status::Active)
    );
    assert_eq!(
        (one.certifier_name.as_str(), one.current, one.verified),
        ("Test Certification Body", true, true)
    );
    assert_eq!(one.attestation.evidence.names(), ["document", "face"]);
    let none = attestations_of(&fixture.chain, subject.address(), Some(second.address()))
        .await
        .unwrap();
    assert_eq!((none.len(), none[0].attestation.status), (1, Status::None));

    remove_certifier(&as_owner, fixture.certifier.address())
        .await
        .unwrap();
    let shown = attestations_of(&fixture.chain, subject.address(), None)
        .await
        .unwrap();
    assert_eq!(
        (
            shown[0].current,
            shown[0].verified,
            shown[0].attestation.status
        ),
        (false, false, Status::Active)
    );
}
