//! Policy files: every key read, every mistake refused with the line or key it is on.

use std::time::Duration;

use alloy::primitives::address;
use kyc_verifier::Policy;

use crate::fixtures::{evidence, fields};

#[test]
fn a_full_policy_is_read() {
    let policy = Policy::from_toml(
        r#"
trusted_certifiers = ["0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"]
required_evidence = ["document", "face"]
required_fields = ["given_name", "birthdate"]
max_attestation_age = "365d"
confirmations = 2
"#,
    )
    .unwrap();
    assert_eq!(
        policy.trusted_certifiers,
        [address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")]
    );
    assert_eq!(policy.required_evidence, evidence("document,face"));
    assert_eq!(policy.required_fields, fields(&["given_name", "birthdate"]));
    assert_eq!(
        policy.max_attestation_age,
        Some(Duration::from_secs(365 * 86_400))
    );
    assert_eq!(policy.confirmations, 2);
    assert!(policy.trusts(address!("0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC")));
    assert!(!policy.trusts(address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906")));
}

#[test]
fn an_empty_policy_trusts_every_current_certifier() {
    let policy = Policy::from_toml("").unwrap();
    assert_eq!(policy, Policy::default());
    assert!(policy.trusts(address!("0x90F79bf6EB2c4f870365E785982E1f101E93b906")));
}

#[test]
fn mistakes_are_refused_with_where_they_are() {
    let cases = [
        ("confirmations = 1\nsurprise = true", "line 2"),
        ("confirmations = -1", "confirmations"),
        ("trusted_certifiers = [\"0x1234\"]", "not an address"),
        (
            "trusted_certifiers = [\"0x0000000000000000000000000000000000000000\"]",
            "zero",
        ),
        ("required_evidence = [\"dna\"]", "dna"),
        ("required_evidence = [\"face\", \"face\"]", "twice"),
        ("required_fields = [\"Given Name\"]", "Given Name"),
        ("required_fields = [\"email\", \"email\"]", "twice"),
        ("max_attestation_age = \"a year\"", "max_attestation_age"),
        ("confirmations = ", "line 1"),
    ];
    for (text, expected) in cases {
        let error = Policy::from_toml(text).unwrap_err().to_string();
        assert!(error.starts_with("invalid policy"), "{text}: {error}");
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn a_missing_file_is_named() {
    let error = Policy::load(std::path::Path::new("/nonexistent/policy.toml")).unwrap_err();
    assert!(
        error.to_string().contains("/nonexistent/policy.toml"),
        "{error}"
    );
}
