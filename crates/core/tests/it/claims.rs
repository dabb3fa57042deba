use kyc_core::{
    claims::{
        check_canonical, check_key, fresh_salt, normalize_claim, Claim, ClaimSet, SaltedClaim,
    },
    Error,
};

fn claim(key: &str, value: &str) -> Claim {
    Claim {
        key: key.to_owned(),
        value: value.to_owned(),
    }
}

/// Normalises, expecting the result; and checks the result is canonical.
fn normal(key: &str, value: &str) -> String {
    let (claim, _) = normalize_claim(key, value).expect("the value normalises");
    check_canonical(&claim).expect("a normalised claim is canonical");
    claim.value
}

/// Refuses an invalid value, with a message that names the key but not the value.
fn refuse(key: &str, value: &str) {
    let error = normalize_claim(key, value).expect_err("the value is invalid");
    assert!(
        matches!(&error, Error::InvalidValue { key: k, .. } if k == key),
        "{error}"
    );
    let message = error.to_string();
    assert!(message.contains(key), "{message}");
    let value = value.trim();
    assert!(
        value.is_empty() || !message.contains(value),
        "the message repeats the value: {message}"
    );
}

#[test]
fn keys_follow_the_grammar() {
    for key in [
        "a",
        "given_name",
        "address.postal_code",
        "x1.y_2.z",
        &"k".repeat(64),
    ] {
        assert!(check_key(key).is_ok(), "{key}");
    }
    for key in [
        "",
        "Given",
        "1a",
        "_a",
        "a..b",
        ".a",
        "a.",
        "a-b",
        "a.1b",
        "a b",
        "é",
        &"k".repeat(65),
    ] {
        assert!(
            matches!(check_key(key), Err(Error::InvalidKey { .. })),
            "{key:?}"
        );
        assert!(normalize_claim(key, "x").is_err());
    }
}

#[test]
fn values_are_trimmed_nfc_and_bounded() {
    assert_eq!(normal("given_name", "  Taro\t"), "Taro");
    assert_eq!(normal("given_name", "Jose\u{301}"), "Jos\u{e9}");
    assert_eq!(normal("family_name", "山田"), "山田");
    assert_eq!(
        normal("address.street_address", &"a".repeat(1024)).len(),
        1024
    );
    refuse("address.street_address", &"secret".repeat(200));
    refuse("given_name", "Secret\u{7}Name");
    refuse("given_name", "Secret\nName");
    refuse("given_name", "   ");
    let (_, changed) = normalize_claim("given_name", "Taro").expect("valid");
    assert!(!changed);
}

#[test]
fn check_canonical_refuses_what_normalising_would_change() {
    for (key, value) in [
        ("given_name", " Taro"),
        ("given_name", "Jose\u{301}"),
        ("nationality", "jp"),
        ("email", "jose@Example.org"),
        ("phone_number", "+49 221 1234"),
        ("document.type", "Passport"),
    ] {
        let error = check_canonical(&claim(key, value)).expect_err("not canonical");
        assert!(matches!(&error, Error::NotCanonical { key: k } if k == key));
        assert!(!error.to_string().contains(value.trim()));
    }
    assert!(check_canonical(&claim("nationality", "JP")).is_ok());
}

#[test]
fn dates_are_real_calendar_dates() {
    for key in [
        "birthdate",
        "document.expiry",
        "document.issue_date",
        "visa.expiry",
        "residence.valid_expiry",
    ] {
        assert_eq!(normal(key, " 2000-02-29 "), "2000-02-29");
        assert_eq!(normal(key, "2024-02-29"), "2024-02-29");
        assert_eq!(normal(key, "1999-12-31"), "1999-12-31");
        for bad in [
            "1900-02-29",
            "2023-02-29",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-1-01",
            "2024/01/01",
            "24-01-01",
            "secret",
            "2024-01-01T00",
        ] {
            refuse(key, bad);
        }
    }
    // Only keys that name a date are dates.
    assert_eq!(normal("candidate", "secret"), "secret");
}

#[test]
fn country_codes_are_upper_case_alpha_2() {
    for key in ["nationality", "address.country", "document.issuer"] {
        assert_eq!(normal(key, "jp"), "JP");
        assert_eq!(normal(key, " De "), "DE");
        for bad in ["JPN", "J1", "J", "ÉS", "Secret"] {
            refuse(key, bad);
        }
    }
}

#[test]
fn email_domains_are_lower_case() {
    assert_eq!(normal("email", "Jose@Example.ORG"), "Jose@example.org");
    assert_eq!(normal("email", "a@b@c.example"), "a@b@c.example");
    for bad in [
        "secret",
        "@secret.example",
        "secret@",
        "sec ret@example.org",
    ] {
        refuse("email", bad);
    }
}

#[test]
fn phone_numbers_are_e164() {
    assert_eq!(normal("phone_number", "+49 221-123 456"), "+49221123456");
    assert_eq!(normal("phone_number", "+1"), "+1");
    assert_eq!(
        normal("phone_number", "+123456789012345"),
        "+123456789012345"
    );
    for bad in [
        "0049221123456",
        "+",
        "+0123",
        "+1234567890123456",
        "+49(221)1",
        "+secret",
    ] {
        refuse("phone_number", bad);
    }
}

#[test]
fn document_types_are_from_the_list() {
    for kind in ["passport", "id_card", "driving_licence", "residence_permit"] {
        assert_eq!(normal("document.type", kind), kind);
    }
    assert_eq!(normal("document.type", "ID_Card"), "id_card");
    refuse("document.type", "secret_visa");
}

#[test]
fn claim_sets_are_sorted_distinct_and_bounded() -> Result<(), Error> {
    let set = ClaimSet::new(vec![
        claim("given_name", "Taro"),
        claim("birthdate", "1990-01-31"),
    ])?;
    let keys: Vec<&str> = set.claims().iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["birthdate", "given_name"]);

    assert!(matches!(ClaimSet::new(vec![]), Err(Error::ClaimCount(0))));
    let many = (0..65).map(|i| claim(&format!("k{i}"), "v")).collect();
    assert!(matches!(ClaimSet::new(many), Err(Error::ClaimCount(65))));
    let twice = vec![claim("given_name", "Taro"), claim("given_name", "Jiro")];
    assert!(matches!(ClaimSet::new(twice), Err(Error::DuplicateKey(key)) if key == "given_name"));
    let raw = vec![claim("nationality", "jp")];
    assert!(matches!(
        ClaimSet::new(raw),
        Err(Error::NotCanonical { .. })
    ));
    Ok(())
}

#[test]
fn salts_are_fresh() -> Result<(), Error> {
    let (a, b) = (fresh_salt()?, fresh_salt()?);
    assert_ne!(a, b);
    assert!(!a.is_zero());
    Ok(())
}

#[test]
fn debug_hides_values_and_salts() -> Result<(), Error> {
    let salt = fresh_salt()?;
    let salted = SaltedClaim::new(claim("given_name", "Secret"), salt);
    for text in [
        format!("{salted:?}"),
        format!("{:?}", claim("given_name", "Secret")),
    ] {
        assert!(text.contains("given_name"));
        assert!(
            !text.contains("Secret") && !text.contains(&salt.to_string()[2..]),
            "{text}"
        );
    }
    Ok(())
}
