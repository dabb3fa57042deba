use kyc_core::{
    age::{age_claim_key, age_on, check_age_claims, derive_age_claims, DEFAULT_AGE_THRESHOLDS},
    claims::{normalize_claim, ClaimSet},
    Error,
};

/// 2025-11-30T12:00:00Z.
const NOW: u64 = 1_764_504_000;
const DAY: u64 = 86_400;

#[test]
fn ages_count_whole_years_to_the_utc_day() -> Result<(), Error> {
    assert_eq!(age_on("2007-11-30", NOW)?, 18);
    assert_eq!(age_on("2007-12-01", NOW)?, 17);
    assert_eq!(age_on("2007-12-01", NOW + DAY)?, 18);
    assert_eq!(age_on("1960-01-01", NOW)?, 65);
    // Born on 29 February: a year older on 1 March in other years.
    let feb_28_2025 = NOW - 275 * DAY;
    assert_eq!(age_on("2004-02-29", feb_28_2025)?, 20);
    assert_eq!(age_on("2004-02-29", feb_28_2025 + DAY)?, 21);
    assert_eq!(age_on("2030-01-01", NOW)?, 0);
    assert!(age_on("30.11.2007", NOW).is_err());
    Ok(())
}

#[test]
fn derives_only_the_thresholds_that_hold() -> Result<(), Error> {
    let keys = |claims: Vec<kyc_core::claims::Claim>| -> Vec<String> {
        claims.into_iter().map(|claim| claim.key).collect()
    };
    assert_eq!(
        keys(derive_age_claims(
            "2007-11-30",
            NOW,
            &DEFAULT_AGE_THRESHOLDS
        )?),
        ["age_over_16", "age_over_18"]
    );
    assert_eq!(
        keys(derive_age_claims(
            "2007-12-01",
            NOW,
            &DEFAULT_AGE_THRESHOLDS
        )?),
        ["age_over_16"]
    );
    assert_eq!(
        keys(derive_age_claims("1950-05-05", NOW, &[21, 18, 21])?),
        ["age_over_18", "age_over_21"]
    );
    assert!(derive_age_claims("1950-05-05", NOW, &[])?.is_empty());
    assert!(matches!(
        derive_age_claims("1950-05-05", NOW, &[12]),
        Err(Error::AgeThreshold(12))
    ));
    assert_eq!(age_claim_key(65)?, "age_over_65");
    Ok(())
}

#[test]
fn age_claims_must_hold_for_their_own_birthdate() {
    let adult = [("birthdate", "2007-11-30"), ("age_over_18", "true")];
    assert!(check_age_claims(adult, NOW).is_ok());
    let refused = |claims: &[(&'static str, &'static str)], now| match check_age_claims(
        claims.iter().copied(),
        now,
    ) {
        Err(Error::AgeClaim { key, reason }) => (key, reason),
        other => panic!("expected an age claim refusal, got {other:?}"),
    };
    assert_eq!(
        refused(&adult, NOW - DAY).1,
        "is not true for the birthdate on the day it is checked"
    );
    assert_eq!(
        refused(&[("age_over_18", "true"), ("given_name", "Taro")], NOW).1,
        "needs a birthdate claim to be checked against"
    );
    assert_eq!(
        refused(
            &[("birthdate", "1950-01-01"), ("age_over_21", "false")],
            NOW
        )
        .1,
        "must have the value true"
    );
}

#[test]
fn age_claim_keys_and_values_are_canonical_only_in_their_one_form() {
    assert!(normalize_claim("age_over_18", "true").is_ok());
    for key in ["age_over_5", "age_over_100", "age_over_12", "age_over_1x"] {
        assert!(
            matches!(normalize_claim(key, "true"), Err(Error::InvalidKey { .. })),
            "{key}"
        );
    }
    for value in ["false", "yes", "TRUE"] {
        assert!(
            matches!(
                normalize_claim("age_over_18", value),
                Err(Error::InvalidValue { .. })
            ),
            "{value}"
        );
    }
    let (claim, _) = normalize_claim("age_over_65", "true").expect("canonical");
    assert!(ClaimSet::new(vec![claim]).is_ok());
}
