use crate::fixtures::check_code_vectors;
use alloy_primitives::{address, b256};
use kyc_core::{
    check_code::check_code,
    uri::{default_callback, is_bare_origin, RegistrationUri},
    Error,
};

fn example() -> RegistrationUri {
    RegistrationUri {
        registration_id: b256!("612fc81d7d44b86902685fbffc9944da5d110f0bfdf55915202dfccfac9a4bff"),
        service: "https://bank.example".to_owned(),
        name: "Bank & Co. #1 — Köln".to_owned(),
        callback: "https://bank.example/kyc/callback?session=7".to_owned(),
        chain_id: 31337,
        registry: address!("5FbDB2315678afecb367f032d93F642f64180aa3"),
        fields: vec!["given_name".to_owned(), "address.country".to_owned()],
        expires_at: 1_767_226_200,
    }
}

const EXAMPLE: &str = "kycanchor://register?v=1\
    &rid=0x612fc81d7d44b86902685fbffc9944da5d110f0bfdf55915202dfccfac9a4bff\
    &svc=https%3A%2F%2Fbank.example\
    &name=Bank%20%26%20Co.%20%231%20%E2%80%94%20K%C3%B6ln\
    &cb=https%3A%2F%2Fbank.example%2Fkyc%2Fcallback%3Fsession%3D7\
    &chain=31337\
    &reg=0x5FbDB2315678afecb367f032d93F642f64180aa3\
    &f=given_name%2Caddress.country\
    &exp=1767226200";

fn refusal(uri: &str) -> Error {
    RegistrationUri::parse(uri).expect_err("the uri is refused")
}

fn param_refusal(uri: &str) -> (String, &'static str) {
    match refusal(uri) {
        Error::UriParam { param, reason } => (param, reason),
        other => panic!("expected a parameter error, got {other}"),
    }
}

#[test]
fn prints_and_parses_the_example() -> Result<(), Error> {
    assert_eq!(example().to_uri_string(), EXAMPLE);
    assert_eq!(RegistrationUri::parse(EXAMPLE)?, example());
    // Parameters may come in any order, and unencoded where the URI syntax allows.
    let reordered = EXAMPLE
        .replace("v=1&", "")
        .replace("&exp=", "&v=1&exp=")
        .replace("https%3A%2F%2Fbank.example&", "https://bank.example&");
    assert_eq!(RegistrationUri::parse(&reordered)?, example());
    Ok(())
}

#[test]
fn no_fields_is_an_empty_list() -> Result<(), Error> {
    let uri = RegistrationUri {
        fields: vec![],
        ..example()
    };
    assert!(uri.to_uri_string().contains("&f=&"));
    assert_eq!(RegistrationUri::parse(&uri.to_uri_string())?, uri);
    Ok(())
}

#[test]
fn refuses_wrong_scheme_host_and_fragments() {
    for uri in [
        EXAMPLE.replace("kycanchor://", "https://"),
        EXAMPLE.replace("kycanchor://", "KYCANCHOR://"),
        EXAMPLE.replace("register?", "login?"),
        EXAMPLE.replace("register?", "register/?"),
        format!("{EXAMPLE}#top"),
    ] {
        assert!(matches!(refusal(&uri), Error::Uri(_)), "{uri}");
    }
}

#[test]
fn refuses_missing_repeated_unknown_and_malformed_parameters() {
    let cases = [
        (EXAMPLE.replace("v=1", "v=2"), "v", "must be 1"),
        (EXAMPLE.replace("&chain=31337", ""), "chain", "is missing"),
        (format!("{EXAMPLE}&chain=1"), "chain", "appears twice"),
        (format!("{EXAMPLE}&extra=1"), "extra", "is unknown"),
        (format!("{EXAMPLE}&flag"), "flag", "has no value"),
        (
            EXAMPLE.replace("chain=31337", "chain=%2B31337"),
            "chain",
            "is not a decimal number",
        ),
        (
            EXAMPLE.replace("chain=31337", "chain=031337"),
            "chain",
            "is not a decimal number",
        ),
        (
            EXAMPLE.replace("exp=1767226200", "exp=99999999999999999999"),
            "exp",
            "is not a decimal number",
        ),
        (
            EXAMPLE.replace("rid=0x612f", "rid=612f"),
            "rid",
            "expected 0x and hex digits",
        ),
        (
            EXAMPLE.replace("rid=0x612f", "rid=0x12f"),
            "rid",
            "wrong number of hex digits",
        ),
        (
            EXAMPLE.replace("reg=0x5FbD", "reg=0xzzbD"),
            "reg",
            "expected 0x and hex digits",
        ),
        (
            EXAMPLE.replace("K%C3%B6ln", "K%C3ln"),
            "name",
            "is not UTF-8 once percent-decoded",
        ),
    ];
    for (uri, param, reason) in cases {
        assert_eq!(param_refusal(&uri), (param.to_owned(), reason), "{uri}");
    }
}

#[test]
fn svc_must_be_a_bare_origin_and_cb_on_it() {
    for service in [
        "https://bank.example/",
        "https://bank.example/path",
        "https://Bank.example",
        "https://bank.example:443",
        "https://user@bank.example",
        "https://bank.example?q",
        "ftp://bank.example",
        "bank.example",
    ] {
        assert!(!is_bare_origin(service), "{service}");
        let uri = RegistrationUri {
            service: service.to_owned(),
            ..example()
        };
        assert_eq!(param_refusal(&uri.to_uri_string()).0, "svc", "{service}");
    }
    for service in [
        "https://bank.example",
        "http://localhost:8080",
        "https://xn--bcher-kva.example",
        "http://127.0.0.1:3000",
    ] {
        assert!(is_bare_origin(service), "{service}");
    }
    for callback in [
        "https://evil.example/cb",
        "http://bank.example/cb",
        "https://bank.example:8443/cb",
        "/cb",
        "kycanchor://bank.example",
    ] {
        let uri = RegistrationUri {
            callback: callback.to_owned(),
            ..example()
        };
        assert_eq!(param_refusal(&uri.to_uri_string()).0, "cb", "{callback}");
    }
    let uri = RegistrationUri {
        callback: "https://BANK.example:443/cb".to_owned(),
        ..example()
    };
    assert!(uri.check().is_ok());
}

#[test]
fn refuses_bad_names_and_fields() {
    for name in ["", "Bank\nScam", "Bank\u{202E}knaB", &"n".repeat(129)] {
        let uri = RegistrationUri {
            name: name.to_owned(),
            ..example()
        };
        assert_eq!(param_refusal(&uri.to_uri_string()).0, "name", "{name:?}");
    }
    let twice = RegistrationUri {
        fields: vec!["email".to_owned(), "email".to_owned()],
        ..example()
    };
    assert!(matches!(refusal(&twice.to_uri_string()), Error::DuplicateKey(key) if key == "email"));
    let bad = EXAMPLE.replace(
        "f=given_name%2Caddress.country",
        "f=given_name%2C%2Caddress.country",
    );
    assert!(matches!(refusal(&bad), Error::InvalidKey { .. }));
    let many = RegistrationUri {
        fields: (0..65).map(|i| format!("k{i}")).collect(),
        ..example()
    };
    assert_eq!(param_refusal(&many.to_uri_string()).0, "f");
}

#[test]
fn expires_after_exp() {
    let uri = example();
    assert!(!uri.is_expired(uri.expires_at - 1));
    assert!(!uri.is_expired(uri.expires_at));
    assert!(uri.is_expired(uri.expires_at + 1));
}

#[test]
fn the_default_callback_is_left_out_and_read_back() -> Result<(), Error> {
    let uri = RegistrationUri {
        callback: default_callback("https://bank.example", example().registration_id),
        ..example()
    };
    assert_eq!(
        uri.callback,
        "https://bank.example/v1/sessions/0x612fc81d7d44b86902685fbffc9944da5d110f0bfdf55915202dfccfac9a4bff/submission"
    );
    let short = uri.to_uri_string();
    assert!(!short.contains("cb="), "{short}");
    assert_eq!(
        short.len(),
        EXAMPLE.len() - "&cb=https%3A%2F%2Fbank.example%2Fkyc%2Fcallback%3Fsession%3D7".len()
    );
    assert_eq!(RegistrationUri::parse(&short)?, uri);
    // A wallet reads the same code with the default written out, too.
    let long = short.replace(
        "&chain=",
        &format!(
            "&cb={}&chain=",
            uri.callback.replace(':', "%3A").replace('/', "%2F")
        ),
    );
    assert_eq!(RegistrationUri::parse(&long)?, uri);
    Ok(())
}

#[test]
fn reproduces_every_check_code_vector() {
    for vector in check_code_vectors() {
        assert_eq!(check_code(&vector.registration_id), vector.code);
        let uri = RegistrationUri {
            registration_id: vector.registration_id,
            ..example()
        };
        assert_eq!(uri.check_code(), vector.code);
    }
}
