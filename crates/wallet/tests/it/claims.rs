//! Normalising what a person typed.

use kyc_wallet::{claims_input::normalize_claims, Error};

#[test]
fn values_are_normalised_and_every_change_reported() {
    let normalized = normalize_claims(
        r#"{"nationality": "jp", "given_name": " Taro ", "email": "Taro@Example.COM",
            "phone_number": "+81 90-1234-5678", "family_name": "Yamada"}"#,
    )
    .unwrap();
    let values: Vec<(&str, &str)> = normalized
        .claims
        .claims()
        .iter()
        .map(|c| (c.key.as_str(), c.value.as_str()))
        .collect();
    assert_eq!(
        values,
        [
            ("email", "Taro@example.com"),
            ("family_name", "Yamada"),
            ("given_name", "Taro"),
            ("nationality", "JP"),
            ("phone_number", "+819012345678"),
        ]
    );
    let changes: Vec<(&str, &str, &str)> = normalized
        .changes
        .iter()
        .map(|c| (c.key.as_str(), c.before.as_str(), c.after.as_str()))
        .collect();
    assert_eq!(
        changes,
        [
            ("email", "Taro@Example.COM", "Taro@example.com"),
            ("given_name", " Taro ", "Taro"),
            ("nationality", "jp", "JP"),
            ("phone_number", "+81 90-1234-5678", "+819012345678"),
        ]
    );
    // Debug output never shows values.
    assert!(!format!("{:?}", normalized.changes).contains("Taro"));
}

#[test]
fn every_refused_claim_is_named_at_once_without_its_value() {
    let err = normalize_claims(
        r#"{"birthdate": "1990-02-30", "Given Name": "Taro", "nationality": "Japan",
            "family_name": "Yamada", "family_name": "Tanaka"}"#,
    )
    .unwrap_err();
    let Error::ClaimsRefused(refusals) = &err else {
        panic!("expected a refusal, got {err}");
    };
    assert_eq!(refusals.len(), 4, "{err}");
    let message = err.to_string();
    for named in [
        "birthdate",
        "Given Name",
        "nationality",
        "duplicate claim key family_name",
    ] {
        assert!(message.contains(named), "{message}");
    }
    for value in ["1990-02-30", "Japan", "Tanaka"] {
        assert!(!message.contains(value), "{message}");
    }
}

#[test]
fn only_an_object_of_strings_is_read() {
    for text in [
        r#"["given_name", "Taro"]"#,
        r#""secret-value""#,
        r#"{"age": 42}"#,
        r#"{"address": {"country": "JP"}}"#,
        r#"{"given_name": "Taro""#,
        "{}",
    ] {
        let err = normalize_claims(text).unwrap_err();
        assert!(
            matches!(err, Error::ClaimsFormat(_) | Error::Core(_)),
            "{text}: {err}"
        );
        assert!(!err.to_string().contains("secret-value"), "{err}");
    }
    let err = normalize_claims(r#"{"address": {"country": "JP"}}"#).unwrap_err();
    assert!(err.to_string().contains("address.country"), "{err}");
}
