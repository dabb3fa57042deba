//! Claims: keys, values, their canonical form, and claim sets.
//!
//! A wallet normalises what a person typed once, with [`normalize_claim`],
//! before salting. Everyone after it only checks, with [`check_canonical`].

use std::{cmp::Ordering, fmt};

use alloy_primitives::FixedBytes;
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

use crate::{Error, Result};

/// The most claims a claim set (and so a commitment) may hold.
pub const MAX_CLAIMS: usize = 64;
/// The longest key, in bytes.
pub const MAX_KEY_LEN: usize = 64;
/// The longest value, in bytes.
pub const MAX_VALUE_LEN: usize = 1024;
/// The values `document.type` may take.
pub const DOCUMENT_TYPES: [&str; 4] =
    ["passport", "id_card", "driving_licence", "residence_permit"];

/// The random 16 bytes that hide a claim inside its leaf hash.
pub type Salt = FixedBytes<16>;

/// A claim: a key and its value. `Debug` hides the value.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    /// The claim's name, such as `given_name` or `address.country`.
    pub key: String,
    /// The personal data itself.
    pub value: String,
}

/// A claim with its salt: one leaf of a commitment. `Debug` hides the value and the salt.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaltedClaim {
    /// The claim's name.
    pub key: String,
    /// The personal data itself.
    pub value: String,
    /// The claim's salt, `0x` and 32 hex digits in files.
    #[serde(with = "crate::hex")]
    pub salt: Salt,
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for SaltedClaim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaltedClaim")
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl SaltedClaim {
    /// Salts a claim.
    pub fn new(claim: Claim, salt: Salt) -> Self {
        Self {
            key: claim.key,
            value: claim.value,
            salt,
        }
    }

    /// Checks that the claim is valid and canonical (see [`check_canonical`]).
    pub fn check(&self) -> Result<()> {
        check_canonical_parts(&self.key, &self.value)
    }
}

/// A checked claim set: 1 to 64 canonical claims with distinct keys, sorted by key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimSet(Vec<Claim>);

impl ClaimSet {
    /// Sorts the claims by key (bytewise) and checks them.
    ///
    /// Claims must already be canonical: normalise them first with [`normalize_claim`].
    pub fn new(mut claims: Vec<Claim>) -> Result<Self> {
        check_count(claims.len())?;
        claims.iter().try_for_each(check_canonical)?;
        claims.sort_by(|a, b| a.key.cmp(&b.key));
        check_key_order(claims.iter().map(|claim| claim.key.as_str()))?;
        Ok(Self(claims))
    }

    /// The claims, sorted by key.
    pub fn claims(&self) -> &[Claim] {
        &self.0
    }
}

/// Draws a fresh salt from the operating system's CSPRNG.
pub fn fresh_salt() -> Result<Salt> {
    let mut salt = Salt::ZERO;
    getrandom::fill(salt.as_mut_slice()).map_err(Error::Random)?;
    Ok(salt)
}

/// Brings a value into canonical form and checks the result.
///
/// Normalisation: trim leading and trailing white space; upper-case country
/// codes (`nationality`, `address.country`, `document.issuer`); lower-case
/// `document.type` and the domain of `email`; remove spaces and dashes from
/// `phone_number`; then Unicode NFC. Returns the claim and whether the value changed,
/// so a wallet can show the person what it altered.
pub fn normalize_claim(key: &str, value: &str) -> Result<(Claim, bool)> {
    check_key(key)?;
    let normal = normalize_value(key, value);
    check_value(key, &normal)?;
    let changed = normal != value;
    Ok((
        Claim {
            key: key.to_owned(),
            value: normal,
        },
        changed,
    ))
}

/// Checks that a claim is valid and already canonical: normalising it changes nothing.
pub fn check_canonical(claim: &Claim) -> Result<()> {
    check_canonical_parts(&claim.key, &claim.value)
}

fn check_canonical_parts(key: &str, value: &str) -> Result<()> {
    let (_, changed) = normalize_claim(key, value)?;
    if changed {
        return Err(Error::NotCanonical {
            key: key.to_owned(),
        });
    }
    Ok(())
}

/// Checks a key: 1–64 bytes of `^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`.
pub fn check_key(key: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidKey {
            key: key.to_owned(),
            reason,
        })
    };
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return invalid("must be 1 to 64 bytes");
    }
    for segment in key.split('.') {
        let mut bytes = segment.bytes();
        if !bytes.next().is_some_and(|first| first.is_ascii_lowercase()) {
            return invalid("each dot-separated part must start with a-z");
        }
        if !bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
            return invalid("may only hold a-z, 0-9, '_' and '.'");
        }
    }
    crate::age::age_threshold(key)?;
    Ok(())
}

/// The field rule that applies to a key.
#[derive(Clone, Copy)]
enum Rule {
    Date,
    Country,
    Email,
    Phone,
    DocumentType,
    AgeOver,
    Text,
}

impl Rule {
    /// Dates are `birthdate` and any key whose last part is `date`, `expiry`,
    /// or ends in `_date` or `_expiry` (such as `document.expiry`).
    fn of(key: &str) -> Self {
        let last = key.rsplit('.').next().unwrap_or(key);
        match key {
            "nationality" | "address.country" | "document.issuer" => Self::Country,
            "email" => Self::Email,
            "phone_number" => Self::Phone,
            "document.type" => Self::DocumentType,
            _ if key.starts_with(crate::age::AGE_CLAIM_PREFIX) => Self::AgeOver,
            _ if matches!(last, "birthdate" | "date" | "expiry")
                || last.ends_with("_date")
                || last.ends_with("_expiry") =>
            {
                Self::Date
            }
            _ => Self::Text,
        }
    }

    /// What is wrong with a normalised value under this rule, if anything.
    fn problem(self, value: &str) -> Option<&'static str> {
        match self {
            Self::Date if !is_calendar_date(value) => Some("is not a calendar date YYYY-MM-DD"),
            Self::Country if !is_country_code(value) => {
                Some("is not an upper-case ISO 3166-1 alpha-2 code")
            }
            Self::Email if !is_email(value) => {
                Some("is not an e-mail address with a lower-case domain")
            }
            Self::Phone if !is_e164(value) => {
                Some("is not an E.164 number: a plus sign and 1 to 15 digits")
            }
            Self::DocumentType if !DOCUMENT_TYPES.contains(&value) => {
                Some("is not one of passport, id_card, driving_licence, residence_permit")
            }
            Self::AgeOver if value != crate::age::AGE_CLAIM_VALUE => {
                Some("of an age claim must be true")
            }
            _ => None,
        }
    }
}

fn normalize_value(key: &str, value: &str) -> String {
    let value = value.trim();
    let cased = match Rule::of(key) {
        Rule::Country => value.to_ascii_uppercase(),
        Rule::DocumentType => value.to_ascii_lowercase(),
        Rule::Email => match value.rsplit_once('@') {
            Some((local, domain)) => format!("{local}@{}", domain.to_lowercase()),
            None => value.to_owned(),
        },
        Rule::Phone => value.chars().filter(|c| !matches!(c, ' ' | '-')).collect(),
        Rule::Date | Rule::AgeOver | Rule::Text => value.to_owned(),
    };
    cased.nfc().collect()
}

/// Checks a normalised value; the messages never repeat the value.
fn check_value(key: &str, value: &str) -> Result<()> {
    let invalid = |reason| {
        Err(Error::InvalidValue {
            key: key.to_owned(),
            reason,
        })
    };
    if value.is_empty() {
        return invalid("is empty");
    }
    if value.len() > MAX_VALUE_LEN {
        return invalid("is longer than 1024 bytes");
    }
    if value.chars().any(char::is_control) {
        return invalid("holds a control character");
    }
    match Rule::of(key).problem(value) {
        Some(reason) => invalid(reason),
        None => Ok(()),
    }
}

/// `YYYY-MM-DD` naming a day of the proleptic Gregorian calendar.
fn is_calendar_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    let shape_ok = bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        });
    if !shape_ok {
        return false;
    }
    let number = |range: std::ops::Range<usize>| {
        bytes[range]
            .iter()
            .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
    };
    let (year, month, day) = (number(0..4), number(5..7), number(8..10));
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days_in_month).contains(&day)
}

/// Two upper-case ASCII letters: the shape of ISO 3166-1 alpha-2, not membership
/// (documents use user-assigned codes such as `XK`).
fn is_country_code(value: &str) -> bool {
    value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase())
}

/// `local@domain`, both non-empty, no white space, a domain without upper case.
fn is_email(value: &str) -> bool {
    match value.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && !value.chars().any(char::is_whitespace)
                && domain.to_lowercase() == domain
        }
        None => false,
    }
}

/// E.164: `+`, a country code that does not start with 0, at most 15 digits in all.
fn is_e164(value: &str) -> bool {
    match value.strip_prefix('+') {
        Some(digits) => {
            (1..=15).contains(&digits.len())
                && !digits.starts_with('0')
                && digits.bytes().all(|b| b.is_ascii_digit())
        }
        None => false,
    }
}

/// Checks the number of claims or leaves: 1 to [`MAX_CLAIMS`].
pub(crate) fn check_count(count: usize) -> Result<()> {
    if !(1..=MAX_CLAIMS).contains(&count) {
        return Err(Error::ClaimCount(count));
    }
    Ok(())
}

/// Checks that keys are strictly ascending bytewise, so also distinct.
pub(crate) fn check_key_order<'a>(keys: impl IntoIterator<Item = &'a str>) -> Result<()> {
    let mut previous: Option<&str> = None;
    for key in keys {
        match previous.map(|previous| previous.cmp(key)) {
            Some(Ordering::Equal) => return Err(Error::DuplicateKey(key.to_owned())),
            Some(Ordering::Greater) => return Err(Error::KeyOrder(key.to_owned())),
            Some(Ordering::Less) | None => previous = Some(key),
        }
    }
    Ok(())
}
