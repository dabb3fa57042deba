//! Consent with selective disclosure: the service learns the chosen fields and nothing else.

use alloy::primitives::Address;
use kyc_core::{
    files::{JsonFile, Submission},
    signature::recover_signer,
};
use kyc_wallet::{
    consent::{build_submission, choose_credential, choose_fields},
    consent_log::{ConsentOutcome, ConsentRecord},
    http::ServiceClient,
    scan::credentials_for,
    Error,
};

use crate::{
    fixtures::{unix_now, Setup},
    service::TestService,
};

pub(crate) async fn service(setup: &Setup) -> TestService {
    TestService::start(
        setup.devnet.provider(setup.devnet.owner.clone()),
        setup.devnet.registry,
        setup.devnet.chain_id(),
    )
    .await
}

#[tokio::test]
async fn the_service_learns_only_the_chosen_fields() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let service = service(&setup).await;
    let code = setup.code(&service.origin, &["nationality", "birthdate"]);

    let fields = choose_fields(&code, None).unwrap();
    assert_eq!(fields, ["nationality", "birthdate"]);
    let credentials = setup.wallet.credentials().unwrap();
    let candidates =
        credentials_for(&code, &credentials, Some(setup.devnet.subject.address())).unwrap();
    let chosen = choose_credential(&candidates, &fields, None, &setup.registry)
        .await
        .unwrap();
    assert_eq!(chosen, &credential);
    let submission =
        build_submission(&setup.devnet.subject, chosen, &code, &fields, unix_now()).unwrap();

    // Signed by the subject, bound to the code, fields in leaf order, root unchanged.
    assert_eq!(
        recover_signer(submission.signing_hash(), &submission.signature).unwrap(),
        credential.subject
    );
    assert_eq!(submission.registration_id, code.registration_id);
    assert_eq!(submission.service, code.service);
    assert_eq!(submission.consent().fields, ["birthdate", "nationality"]);
    assert_eq!(submission.computed_root().unwrap(), credential.root);

    // The file holds the disclosed values and salts, and no other value or salt.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("submission.json");
    std::fs::write(&path, submission.to_json().unwrap()).unwrap();
    let file = std::fs::read_to_string(&path).unwrap();
    assert_disclosed_only(&file, &credential, &fields);
    assert_eq!(Submission::from_json(&file).unwrap(), submission);

    let verdict = ServiceClient::new()
        .unwrap()
        .submit(&code.callback, &submission)
        .await
        .unwrap();
    assert_eq!(
        verdict.outcome,
        ConsentOutcome::Approved,
        "{:?}",
        verdict.body
    );
    assert!(verdict.reasons.is_empty());
    assert_eq!(
        verdict.body["fields"],
        serde_json::json!(["birthdate", "nationality"])
    );
    let received = service.received();
    assert_eq!(received.len(), 1);
    assert_disclosed_only(&received[0], &credential, &fields);
}

fn assert_disclosed_only(text: &str, credential: &kyc_core::files::Credential, fields: &[String]) {
    for claim in &credential.claims {
        let salt = claim.salt.to_string();
        if fields.contains(&claim.key) {
            assert!(text.contains(&claim.value), "{} is missing", claim.key);
            assert!(text.contains(&salt), "the salt of {} is missing", claim.key);
        } else {
            assert!(!text.contains(&claim.value), "{} leaked", claim.key);
            assert!(
                !text.contains(&salt[2..]),
                "the salt of {} leaked",
                claim.key
            );
            assert!(
                !text.contains(&format!("\"{}\"", claim.key)),
                "the key {} leaked",
                claim.key
            );
        }
    }
}

#[tokio::test]
async fn a_person_may_disclose_fewer_fields_never_more() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let service = service(&setup).await;
    let code = setup.code(&service.origin, &["nationality", "birthdate"]);

    let fewer = choose_fields(&code, Some(&["nationality".to_owned()])).unwrap();
    let submission = build_submission(
        &setup.devnet.subject,
        &credential,
        &code,
        &fewer,
        unix_now(),
    )
    .unwrap();
    assert_eq!(submission.consent().fields, ["nationality"]);
    assert_disclosed_only(&submission.to_json().unwrap(), &credential, &fewer);

    // The credential has a family name, but the service did not ask for it.
    let more = ["nationality".to_owned(), "family_name".to_owned()];
    let err = choose_fields(&code, Some(&more)).unwrap_err();
    assert!(
        matches!(err, Error::FieldNotAsked(ref f) if f == "family_name"),
        "{err}"
    );
    let err =
        build_submission(&setup.devnet.subject, &credential, &code, &more, unix_now()).unwrap_err();
    assert!(matches!(err, Error::FieldNotAsked(_)), "{err}");
    let twice = ["nationality".to_owned(), "nationality".to_owned()];
    assert!(choose_fields(&code, Some(&twice)).is_err());
}

#[tokio::test]
async fn a_field_the_credential_lacks_is_an_error() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let code = setup.code("https://shop.example", &["birthdate", "document.number"]);
    let fields = choose_fields(&code, None).unwrap();
    let credentials = setup.wallet.credentials().unwrap();
    let candidates = credentials_for(&code, &credentials, None).unwrap();
    let err = choose_credential(&candidates, &fields, None, &setup.registry)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::CredentialLacks { ref field, .. } if field == "document.number"),
        "{err}"
    );
    let err = build_submission(
        &setup.devnet.subject,
        &credential,
        &code,
        &fields,
        unix_now(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::CredentialLacks { .. }), "{err}");
}

#[tokio::test]
async fn only_a_live_credential_of_the_signer_for_the_code_is_used() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let code = setup.code("https://shop.example", &["birthdate"]);
    let fields = choose_fields(&code, None).unwrap();

    let stranger = alloy::signers::local::PrivateKeySigner::random();
    let err = build_submission(&stranger, &credential, &code, &fields, unix_now()).unwrap_err();
    assert!(matches!(err, Error::WrongSubject { .. }), "{err}");

    let mut other_chain = code.clone();
    other_chain.chain_id += 1;
    let err = build_submission(
        &setup.devnet.subject,
        &credential,
        &other_chain,
        &fields,
        unix_now(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::WrongChain { .. }), "{err}");
    let mut other_registry = code.clone();
    other_registry.registry = Address::repeat_byte(0x99);
    let err = build_submission(
        &setup.devnet.subject,
        &credential,
        &other_registry,
        &fields,
        unix_now(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::WrongRegistry { .. }), "{err}");

    let candidates = vec![&credential];
    let err = choose_credential(
        &candidates,
        &fields,
        Some(Address::repeat_byte(3)),
        &setup.registry,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::NoActiveCredential(_)), "{err}");

    setup
        .devnet
        .registry_for(setup.devnet.certifier.clone())
        .revoke(credential.subject, "expired document".to_owned())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let err = choose_credential(&candidates, &fields, None, &setup.registry)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NoActiveCredential(_)), "{err}");
    assert!(err.to_string().contains("revoked"), "{err}");
}

#[tokio::test]
async fn the_credential_live_on_chain_is_chosen_over_a_replaced_one() {
    let setup = Setup::start().await;
    let older = setup.credential().await;
    setup.advance(10).await;
    let newer = setup.credential().await;
    let code = setup.code("https://shop.example", &["birthdate"]);
    let credentials = setup.wallet.credentials().unwrap();
    let candidates = credentials_for(&code, &credentials, None).unwrap();
    assert_eq!(candidates.len(), 2);
    let fields = choose_fields(&code, None).unwrap();
    let chosen = choose_credential(&candidates, &fields, None, &setup.registry)
        .await
        .unwrap();
    assert_eq!(chosen, &newer);
    assert_ne!(chosen, &older);
}

#[tokio::test]
async fn unreachable_services_and_answers_without_a_verdict_are_errors() {
    let setup = Setup::start().await;
    let credential = setup.credential().await;
    let code = setup.code("http://127.0.0.1:9", &["birthdate"]);
    let fields = choose_fields(&code, None).unwrap();
    let submission = build_submission(
        &setup.devnet.subject,
        &credential,
        &code,
        &fields,
        unix_now(),
    )
    .unwrap();
    let client = ServiceClient::new().unwrap();
    let err = client
        .submit(&code.callback, &submission)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Http { .. }), "{err}");

    // The withdrawal route answers, but not with a verdict.
    let service = service(&setup).await;
    let url = format!("{}/v1/sessions/rid/withdrawal", service.origin);
    let err = client.submit(&url, &submission).await.unwrap_err();
    assert!(matches!(err, Error::NoVerdict { status: 400, .. }), "{err}");
}

#[test]
fn the_consent_log_records_and_marks_withdrawals() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = kyc_wallet::Wallet::open(dir.path()).unwrap();
    let log = wallet.consent_log();
    assert!(log.records().unwrap().is_empty());
    let record = consent_record(None);
    log.append(record.clone()).unwrap();
    assert_eq!(log.find(record.registration_id).unwrap(), record);
    log.mark_withdrawn(record.registration_id, 1_700_000_100)
        .unwrap();
    assert_eq!(log.records().unwrap()[0].withdrawn_at, Some(1_700_000_100));
    let unknown = alloy::primitives::B256::repeat_byte(6);
    assert!(matches!(log.find(unknown), Err(Error::UnknownConsent(_))));
    assert!(matches!(
        log.mark_withdrawn(unknown, 1),
        Err(Error::UnknownConsent(_))
    ));

    std::fs::write(dir.path().join("consents.json"), "{\"version\": 2}").unwrap();
    assert!(matches!(log.records(), Err(Error::BadWalletFile { .. })));
}

#[test]
fn a_withdrawal_goes_beside_the_callback_the_code_gave() {
    let registration_id = alloy::primitives::B256::repeat_byte(5);
    let record = consent_record;
    // A code that left `cb` out, and a record kept before callbacks were logged.
    let default = format!("https://shop.example/v1/sessions/{registration_id}/withdrawal");
    let callback = format!("https://shop.example/v1/sessions/{registration_id}/submission");
    assert_eq!(record(Some(&callback)).withdrawal_url().unwrap(), default);
    assert_eq!(record(None).withdrawal_url().unwrap(), default);
    // A service with routes of its own.
    assert_eq!(
        record(Some("https://shop.example/kyc/answer?lang=ja"))
            .withdrawal_url()
            .unwrap(),
        "https://shop.example/kyc/withdrawal"
    );
    assert!(matches!(
        record(Some("not a url")).withdrawal_url(),
        Err(Error::Http { .. })
    ));
}

/// A consent to the shop's registration 0x0505…, kept with `callback`.
fn consent_record(callback: Option<&str>) -> ConsentRecord {
    ConsentRecord {
        registration_id: alloy::primitives::B256::repeat_byte(5),
        service: "https://shop.example".to_owned(),
        name: "Ticket Shop".to_owned(),
        chain_id: 31337,
        registry: Address::repeat_byte(1),
        certifier: Address::repeat_byte(2),
        fields: vec!["birthdate".to_owned()],
        signed_at: 1_700_000_000,
        outcome: ConsentOutcome::Approved,
        reasons: vec![],
        withdrawn_at: None,
        callback: callback.map(str::to_owned),
    }
}
