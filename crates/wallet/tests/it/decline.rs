//! Declining a code: an unsigned decline posted to the callback, only where a consent
//! would be sent.

use kyc_wallet::{decline::decline, http::ServiceClient, Error};

use crate::{
    consent::service,
    fixtures::{unix_now, Setup},
};

#[tokio::test]
async fn a_decline_goes_to_the_callback_and_holds_no_more_than_the_code() {
    let setup = Setup::start().await;
    let service = service(&setup).await;
    let code = setup.code(&service.origin, &["nationality"]);
    let client = ServiceClient::new().unwrap();
    let now = unix_now();
    let receipt = decline(&client, &code, now).await.unwrap();
    assert_eq!(receipt.registration_id, code.registration_id);
    assert_eq!(receipt.check_code, code.check_code());
    assert_eq!(receipt.declined_at, now);
    assert_eq!(receipt.answer["status"], "declined");

    let received = service.received();
    assert_eq!(received.len(), 1);
    let body: serde_json::Value = serde_json::from_str(&received[0]).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "version": 1,
            "registration_id": code.registration_id,
            "service": service.origin,
            "declined_at": now,
        })
    );

    // The service's refusal is an error with its status and code.
    let error = decline(&client, &code, now).await.unwrap_err();
    assert!(
        matches!(
            &error,
            Error::DeclineRefused { status: 409, message: Some(code), .. } if code == "registration_used"
        ),
        "{error}"
    );
}

#[tokio::test]
async fn a_decline_is_not_sent_where_a_consent_would_not_be() {
    let setup = Setup::start().await;
    let service = service(&setup).await;
    let client = ServiceClient::new().unwrap();
    let now = unix_now();

    let expired = setup.code(&service.origin, &["nationality"]);
    let error = decline(&client, &expired, expired.expires_at + 1)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::CodeExpired { .. }), "{error}");

    // The callback on another origin than the service the person is shown.
    let mut elsewhere = setup.code("https://bank.example", &["nationality"]);
    elsewhere.callback = format!("{}/v1/sessions/rid/submission", service.origin);
    let error = decline(&client, &elsewhere, now).await.unwrap_err();
    assert!(matches!(error, Error::Core(_)), "{error}");

    // Plain http to another machine.
    let insecure = setup.code("http://bank.example", &["nationality"]);
    let error = decline(&client, &insecure, now).await.unwrap_err();
    assert!(matches!(error, Error::InsecureService(_)), "{error}");

    assert!(service.received().is_empty(), "nothing was sent");
}
