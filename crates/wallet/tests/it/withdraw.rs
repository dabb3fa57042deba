//! Withdrawing an attestation (relayed or sent) and a consent.

use kyc_core::attestation::Status;
use kyc_core::files::JsonFile;
use kyc_wallet::{
    credential::{credential_status, CredentialStatus},
    http::ServiceClient,
    withdraw::{read_relay, sign_consent_withdrawal, sign_withdraw},
    Error,
};

use crate::{
    fixtures::{unix_now, Setup},
    service::TestService,
};

#[tokio::test]
async fn a_relay_file_lets_the_certifier_withdraw_for_the_subject() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let relay = setup
        .withdrawal(&credential, unix_now() + 3600)
        .await
        .unwrap();
    assert_eq!(relay.nonce, 1);

    let text = relay.to_json().unwrap();
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "certifier",
            "chain_id",
            "deadline",
            "nonce",
            "registry",
            "signature",
            "subject",
            "version"
        ]
    );
    assert_eq!(value["version"], 1);
    assert_eq!(value["subject"], credential.subject.to_checksum(None));

    // The certifier reads the file and pays the gas.
    let read = read_relay(&text).unwrap();
    let certifier = setup.certifier_registry().await;
    certifier.withdraw_by_sig(&read).await.unwrap();
    let stored = setup
        .registry
        .attestation(credential.subject, credential.certifier)
        .await
        .unwrap();
    assert_eq!(stored.status, Status::Withdrawn);
    assert_eq!(
        credential_status(&credential, &setup.registry)
            .await
            .unwrap(),
        CredentialStatus::Withdrawn
    );

    // Relayed again: the registry refuses with its own error.
    let err = certifier.withdraw_by_sig(&read).await.unwrap_err();
    assert!(matches!(err, Error::Revert(_)), "{err}");
    // And the wallet refuses to sign a withdrawal of nothing.
    let err = setup
        .withdrawal(&credential, unix_now() + 60)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("nothing to withdraw"), "{err}");
}

#[tokio::test]
async fn the_subject_can_send_the_withdrawal_itself() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let relay = setup
        .withdrawal(&credential, unix_now() + 3600)
        .await
        .unwrap();
    setup.registry.withdraw_by_sig(&relay).await.unwrap();
    assert_eq!(
        credential_status(&credential, &setup.registry)
            .await
            .unwrap(),
        CredentialStatus::Withdrawn
    );
}

#[tokio::test]
async fn forged_stale_and_foreign_relay_files_are_refused() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let relay = setup
        .withdrawal(&credential, unix_now() + 3600)
        .await
        .unwrap();

    let mut moved = relay.clone();
    moved.deadline += 1;
    let err = read_relay(&moved.to_json().unwrap()).unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");

    let mut extra: serde_json::Value = serde_json::from_str(&relay.to_json().unwrap()).unwrap();
    extra["fee"] = 1.into();
    assert!(read_relay(&extra.to_string()).is_err());

    let mut elsewhere = relay.clone();
    elsewhere.chain_id += 1;
    let err = setup
        .registry
        .withdraw_by_sig(&elsewhere)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::RelayElsewhere { .. }), "{err}");

    // Signed with a stale nonce: the contract's signature check fails.
    let stale = sign_withdraw(
        &setup.devnet.subject,
        relay.chain_id,
        relay.registry,
        relay.certifier,
        relay.nonce - 1,
        relay.deadline,
    )
    .unwrap();
    let err = setup.registry.withdraw_by_sig(&stale).await.unwrap_err();
    assert!(
        matches!(err, Error::Revert(ref m) if m.contains("signature")),
        "{err}"
    );

    let err = setup
        .withdrawal(&credential, unix_now() - 10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DeadlinePassed { .. }), "{err}");
}

#[tokio::test]
async fn a_consent_withdrawal_reaches_the_service_signed_by_the_subject() {
    let setup = Setup::start().await;
    let service = TestService::start(
        setup.devnet.provider(setup.devnet.owner.clone()),
        setup.devnet.registry,
        setup.devnet.chain_id(),
    )
    .await;
    let code = setup.code(&service.origin, &["birthdate"]);
    let sign = |chain_id| {
        sign_consent_withdrawal(
            &setup.devnet.subject,
            code.registration_id,
            &service.origin,
            unix_now(),
            chain_id,
            setup.devnet.registry,
        )
        .unwrap()
    };
    let withdrawal = sign(setup.devnet.chain_id());
    // The withdrawal goes beside the callback the code gave.
    let url = format!(
        "{}/v1/sessions/{}/withdrawal",
        service.origin, code.registration_id
    );
    let client = ServiceClient::new().unwrap();
    let answer = client.withdraw_consent(&url, &withdrawal).await.unwrap();
    assert_eq!(answer["deleted"], true);
    let body: serde_json::Value = serde_json::from_str(&service.received()[0]).unwrap();
    let mut keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "registration_id",
            "service",
            "signature",
            "signed_at",
            "subject",
            "version"
        ]
    );

    // Signed for another chain: the service does not recover the subject and refuses.
    let err = client
        .withdraw_consent(&url, &sign(setup.devnet.chain_id() + 1))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::WithdrawalRefused { status: 403, ref message, .. } if message.is_some()),
        "{err}"
    );
}
