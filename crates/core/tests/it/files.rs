use kyc_core::{
    files::{
        parse_json, root_of_json, Credential, Decline, FileKind, FormatVersion, JsonFile, Request,
        SignedConsentWithdrawal, Submission, WithdrawRelay, MAX_DECLINE_BYTES,
    },
    signature::{recover_signer, ERC6492_MAGIC},
    Error,
};
use serde_json::{json, Value};

use crate::fixtures::{
    commitment_vectors, consent_withdrawal, credential, eip712_vectors, request, submission,
    withdraw_relay,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;
type Edit = fn(&mut Value);

/// The file as JSON after an edit.
fn edited(file: &impl serde::Serialize, edit: impl FnOnce(&mut Value)) -> String {
    let mut value = serde_json::to_value(file).expect("files serialize");
    edit(&mut value);
    value.to_string()
}

fn json_error<T: JsonFile>(text: &str) -> String {
    match T::from_json(text) {
        Err(Error::Json(message)) => message,
        other => panic!("expected a json error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn request_matches_its_signed_vector() -> TestResult {
    let request = request();
    request.check()?;
    assert_eq!(request.signing_hash(), eip712_vectors()[0].digest);
    assert_eq!(
        recover_signer(request.signing_hash(), &request.signature)?,
        request.subject
    );
    Ok(())
}

#[test]
fn submission_matches_its_signed_vector() -> TestResult {
    let submission = submission();
    submission.check()?;
    assert_eq!(
        submission.consent().fields,
        ["address.country", "address.locality", "address.postal_code"]
    );
    assert_eq!(submission.disclosed().count(), 3);
    assert_eq!(submission.signing_hash(), eip712_vectors()[3].digest);
    assert_eq!(
        recover_signer(submission.signing_hash(), &submission.signature)?,
        submission.subject
    );
    Ok(())
}

#[test]
fn withdraw_relay_matches_its_signed_vector() -> TestResult {
    let relay = withdraw_relay();
    relay.check()?;
    assert_eq!(relay.signing_hash(), eip712_vectors()[2].digest);
    assert_eq!(
        recover_signer(relay.signing_hash(), &relay.signature)?,
        relay.subject
    );
    Ok(())
}

#[test]
fn consent_withdrawal_matches_its_signed_vector() -> TestResult {
    let withdrawal = consent_withdrawal();
    let domain = &eip712_vectors()[5].typed_data.domain;
    let digest = withdrawal.signing_hash(domain.chain_id, domain.verifying_contract);
    assert_eq!(digest, eip712_vectors()[5].digest);
    assert_eq!(
        recover_signer(digest, &withdrawal.signature)?,
        withdrawal.subject
    );
    Ok(())
}

#[test]
fn withdrawals_round_trip_and_refuse_unknown_fields() -> TestResult {
    let json = withdraw_relay().to_json()?;
    assert!(json.contains(r#""subject": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8""#));
    assert_eq!(WithdrawRelay::from_json(&json)?, withdraw_relay());
    let message = json_error::<WithdrawRelay>(&edited(&withdraw_relay(), |v| v["fee"] = json!(1)));
    assert!(message.contains("unknown field `fee`"), "{message}");

    let json = serde_json::to_string(&consent_withdrawal())?;
    assert!(json.contains(r#""signature":"0x"#), "{json}");
    assert_eq!(
        parse_json::<SignedConsentWithdrawal>(&json)?,
        consent_withdrawal()
    );
    let extra = edited(&consent_withdrawal(), |v| v["reason"] = json!("moved"));
    let Err(Error::Json(message)) = parse_json::<SignedConsentWithdrawal>(&extra) else {
        panic!("a json error")
    };
    assert!(message.contains("unknown field `reason`"), "{message}");
    Ok(())
}

fn decline() -> Decline {
    let submission = submission();
    Decline {
        version: FormatVersion,
        registration_id: submission.registration_id,
        service: submission.service,
        declined_at: 1_764_460_800,
    }
}

#[test]
fn a_decline_round_trips_and_refuses_what_is_not_one() -> TestResult {
    let json = serde_json::to_string(&decline())?;
    assert_eq!(
        json,
        format!(
            r#"{{"version":1,"registration_id":"{}","service":"https://bank.example","declined_at":1764460800}}"#,
            decline().registration_id
        )
    );
    assert_eq!(Decline::from_bytes(json.as_bytes())?, decline());

    let message = json_error::<Decline>(&edited(&decline(), |v| v["reason"] = json!("no")));
    assert!(message.contains("unknown field `reason`"), "{message}");
    let message = json_error::<Decline>(&edited(&decline(), |v| v["version"] = json!(2)));
    assert!(message.contains("unsupported version 2"), "{message}");
    let message = json_error::<Decline>(&edited(&decline(), |v| {
        v.as_object_mut().map(|o| o.remove("declined_at"));
    }));
    assert!(message.contains("missing field `declined_at`"), "{message}");
    for service in [
        "https://bank.example/",
        "ftp://bank.example",
        "bank.example",
    ] {
        let text = edited(&decline(), |v| v["service"] = json!(service));
        assert!(
            matches!(
                Decline::from_bytes(text.as_bytes()),
                Err(Error::InvalidField {
                    field: "service",
                    ..
                })
            ),
            "{service}"
        );
    }
    // A valid origin, but longer than any service accepts.
    let long_origin = format!(
        "https://{}example",
        format!("{}.", "a".repeat(60)).repeat(5)
    );
    assert!(kyc_core::uri::is_bare_origin(&long_origin) && long_origin.len() > 256);
    let text = edited(&decline(), |v| v["service"] = json!(long_origin));
    assert!(Decline::from_bytes(text.as_bytes()).is_err());

    let padded = format!("{json}{}", " ".repeat(MAX_DECLINE_BYTES));
    let Err(error) = Decline::from_bytes(padded.as_bytes()) else {
        panic!("an oversized decline is refused")
    };
    assert!(matches!(error, Error::TooLarge { .. }), "{error}");
    assert_eq!(error.to_string(), "decline is over the limit of 2048 bytes");
    let Err(error) = Decline::from_bytes(b"{\"version\":\xff}") else {
        panic!("bytes that are not UTF-8 are refused")
    };
    assert_eq!(error.to_string(), "invalid json: not UTF-8");
    Ok(())
}

#[test]
fn a_decline_is_told_from_a_submission_by_its_shape() -> TestResult {
    assert!(Decline::is_decline_shaped(
        serde_json::to_string(&decline())?.as_bytes()
    ));
    // Shape only: a decline with a bad value is still a decline, to be refused as one.
    assert!(Decline::is_decline_shaped(br#"{"declined_at":"soon"}"#));
    assert!(!Decline::is_decline_shaped(
        serde_json::to_string(&submission())?.as_bytes()
    ));
    let both = edited(&submission(), |v| v["declined_at"] = json!(1));
    assert!(
        !Decline::is_decline_shaped(both.as_bytes()),
        "signed: a submission"
    );
    for other in [&b"[]"[..], b"not json", b"{}", b"\"declined_at\""] {
        assert!(!Decline::is_decline_shaped(other));
    }
    Ok(())
}

#[test]
fn a_relay_may_hold_any_signature_but_an_erc6492_wrapper() -> TestResult {
    // A contract subject signs through ERC-1271, in any length, even none.
    for signature in [json!("0x"), json!(format!("0x{}", "ab".repeat(200)))] {
        let text = edited(&withdraw_relay(), |v| v["signature"] = signature);
        WithdrawRelay::from_json(&text)?;
    }
    let wrapped = edited(&withdraw_relay(), |v| {
        v["signature"] = json!(format!("0x{}{ERC6492_MAGIC:x}", "ab".repeat(100)))
    });
    assert!(matches!(
        WithdrawRelay::from_json(&wrapped),
        Err(Error::InvalidField {
            field: "signature",
            ..
        })
    ));
    Ok(())
}

#[test]
fn files_round_trip_with_lower_hex_and_checksummed_addresses() -> TestResult {
    let json = request().to_json()?;
    assert!(
        json.starts_with("{\n  \"version\": 1,\n  \"chain_id\": 31337,"),
        "{json}"
    );
    assert!(json.contains(r#""subject": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8""#));
    assert!(json.contains(r#""registry": "0x5FbDB2315678afecb367f032d93F642f64180aa3""#));
    assert!(json.contains(
        r#""root": "0x9b9e19da9f01b77a5433babb186ff517db504611edd8db3096a3bea181bd22fe""#
    ));
    assert!(json.contains(r#""salt": "0x8a8d1264c005eace247b0ebc6021ba47""#));
    assert!(json.contains(r#""nonce": 0"#));
    assert_eq!(Request::from_json(&json)?, request());

    let json = credential().to_json()?;
    assert!(
        json.contains("\"evidence\": [\n    \"document\",\n    \"face\"\n  ]"),
        "{json}"
    );
    assert_eq!(Credential::from_json(&json)?, credential());

    let json = submission().to_json()?;
    assert!(json.contains(r#""digest": "0x"#));
    assert_eq!(Submission::from_json(&json)?, submission());
    Ok(())
}

#[test]
fn hex_input_may_be_mixed_case_but_needs_0x() -> TestResult {
    let json = request().to_json()?;
    let root = "9b9e19da9f01b77a5433babb186ff517db504611edd8db3096a3bea181bd22fe";
    let upper = json.replace(root, &root.to_uppercase());
    let lower = upper.replace(
        "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
        "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
    );
    assert_eq!(Request::from_json(&lower)?, request());

    let message = json_error::<Request>(&json.replace(&format!("0x{root}"), root));
    assert!(
        message.starts_with("root: expected 0x and hex digits"),
        "{message}"
    );
    assert!(
        json_error::<Request>(&json.replace(&format!("0x{root}"), &format!("0X{root}")))
            .starts_with("root:")
    );
    let message = json_error::<Request>(&json.replace(&format!("0x{root}"), "0xab"));
    assert!(
        message.starts_with("root: wrong number of hex digits"),
        "{message}"
    );
    Ok(())
}

#[test]
fn refuses_other_versions_unknown_and_missing_fields() {
    let request = request();
    let message = json_error::<Request>(&edited(&request, |v| v["version"] = json!(2)));
    assert!(
        message.starts_with("version: unsupported version 2, expected 1"),
        "{message}"
    );
    let message = json_error::<Request>(&edited(&request, |v| v["foo"] = json!(1)));
    assert!(message.contains("unknown field `foo`"), "{message}");
    let message = json_error::<Credential>(&edited(&request, |_| ()));
    assert!(message.contains("unknown field `deadline`"), "{message}");
    let message =
        json_error::<Request>(&edited(&request, |v| v["claims"][0]["extra"] = json!("x")));
    assert!(
        message.starts_with("claims[0].extra: unknown field `extra`"),
        "{message}"
    );
    let message = json_error::<Request>(&edited(&request, |v| {
        drop(v.as_object_mut().map(|o| o.remove("nonce")))
    }));
    assert!(message.contains("missing field `nonce`"), "{message}");
    let message = json_error::<Request>(&format!("{} x", edited(&request, |_| ())));
    assert!(message.contains("trailing characters"), "{message}");
}

#[test]
fn submission_leaves_are_one_shape_or_the_other() {
    let submission = submission();
    // Leaf 0 (address.country) is disclosed, leaf 5 (document.expiry) is not.
    let edits: [Edit; 4] = [
        |v| v["leaves"][0]["digest"] = v["leaves"][5]["digest"].clone(),
        |v| v["leaves"][5]["key"] = json!("document.expiry"),
        |v| drop(v["leaves"][0].as_object_mut().map(|o| o.remove("salt"))),
        |v| v["leaves"][5] = json!({}),
    ];
    for edit in edits {
        let message = json_error::<Submission>(&edited(&submission, edit));
        assert!(
            message.contains("a leaf is either {key, value, salt} or {digest}"),
            "{message}"
        );
    }
    let message = json_error::<Submission>(&edited(&submission, |v| {
        v["leaves"][5]["key"] = Value::Null
    }));
    assert!(
        message.starts_with("leaves[5].key: invalid type, expected a string"),
        "{message}"
    );
    let message =
        json_error::<Submission>(&edited(&submission, |v| v["leaves"][5]["foo"] = json!(1)));
    assert!(message.contains("unknown field `foo`"), "{message}");
    let message = json_error::<Submission>(&edited(&submission, |v| {
        v["leaves"][0]["salt"] = json!("0x12")
    }));
    assert!(
        message.contains("salt: wrong number of hex digits"),
        "{message}"
    );
}

#[test]
fn check_refuses_mismatched_roots_and_bad_claims() {
    let request = request();
    let wrong_root = edited(&request, |v| {
        v["root"] = json!(format!("0x{}", "00".repeat(32)))
    });
    assert!(matches!(
        Request::from_json(&wrong_root),
        Err(Error::RootMismatch { .. })
    ));
    let raw = edited(&request, |v| v["claims"][0]["value"] = json!("de"));
    assert!(
        matches!(Request::from_json(&raw), Err(Error::NotCanonical { key }) if key == "address.country")
    );
    let swapped = edited(&request, |v| {
        v["claims"].as_array_mut().expect("claims").swap(2, 3)
    });
    assert!(matches!(
        Request::from_json(&swapped),
        Err(Error::KeyOrder(_))
    ));

    let expired = edited(&credential(), |v| v["expires_at"] = v["issued_at"].clone());
    assert!(matches!(
        Credential::from_json(&expired),
        Err(Error::InvalidField {
            field: "expires_at",
            ..
        })
    ));

    let submission = submission();
    let path = edited(&submission, |v| {
        v["service"] = json!("https://bank.example/")
    });
    assert!(matches!(
        Submission::from_json(&path),
        Err(Error::InvalidField {
            field: "service",
            ..
        })
    ));
    let swapped = edited(&submission, |v| {
        v["leaves"].as_array_mut().expect("leaves").swap(0, 1)
    });
    assert!(matches!(
        Submission::from_json(&swapped),
        Err(Error::KeyOrder(_))
    ));
    let empty = edited(&submission, |v| v["leaves"] = json!([]));
    assert!(matches!(
        Submission::from_json(&empty),
        Err(Error::ClaimCount(0))
    ));
    let hidden = edited(&submission, |v| {
        v["leaves"][0] = json!({ "digest": format!("0x{}", "11".repeat(32)) })
    });
    assert!(matches!(
        Submission::from_json(&hidden),
        Err(Error::RootMismatch { .. })
    ));
}

#[test]
fn json_errors_name_the_path_but_not_the_input() {
    let request = request();
    let cases: [(Edit, &str, &str); 4] = [
        (
            |v| v["claims"][2]["value"] = json!(50667),
            "claims[2].value",
            "50667",
        ),
        (
            |v| v["claims"][1]["salt"] = json!("0xSECRETSALT"),
            "claims[1].salt",
            "SECRET",
        ),
        (|v| v["nonce"] = json!("Taro Yamada"), "nonce", "Taro"),
        (
            |v| v["claims"][0]["key"] = json!(false),
            "claims[0].key",
            "false",
        ),
    ];
    for (edit, path, secret) in cases {
        let message = json_error::<Request>(&edited(&request, edit));
        assert!(message.starts_with(path), "{message}");
        assert!(!message.contains(secret), "{message}");
    }
}

#[test]
fn root_of_json_reads_the_three_forms() -> TestResult {
    for vector in commitment_vectors() {
        let list = serde_json::to_string(&vector.claims)?;
        assert_eq!(root_of_json(&list)?, (FileKind::ClaimList, vector.root));
    }
    assert_eq!(
        root_of_json(&request().to_json()?)?,
        (FileKind::Request, request().root)
    );
    assert_eq!(
        root_of_json(&credential().to_json()?)?,
        (FileKind::Credential, credential().root)
    );

    assert!(matches!(root_of_json("42"), Err(Error::Json(_))));
    assert!(matches!(root_of_json("[]"), Err(Error::ClaimCount(0))));
    assert!(matches!(root_of_json("{"), Err(Error::Json(_))));
    let bad_key =
        r#"[{"key": "Given", "value": "Taro", "salt": "0xe7f5ae9e212fc6e5239275a2b539ae8c"}]"#;
    assert!(matches!(
        root_of_json(bad_key),
        Err(Error::InvalidKey { .. })
    ));
    let bad_salt = r#"[{"key": "given_name", "value": "Taro", "salt": "0xe7"}]"#;
    let Err(Error::Json(message)) = root_of_json(bad_salt) else {
        panic!("a json error")
    };
    assert!(
        message.starts_with("[0].salt: wrong number of hex digits"),
        "{message}"
    );
    let Err(Error::Json(message)) = root_of_json(&submission().to_json()?) else {
        panic!("a json error")
    };
    assert!(
        message.contains("unknown field `registration_id`"),
        "{message}"
    );
    Ok(())
}
