//! Derived age claims, named as ISO/IEC 18013-5 names them: `age_over_NN` with the
//! value `true`, so a service can learn "over 18" without the birth date.

use crate::{claims::Claim, Error, Result};

/// The thresholds a wallet derives by default.
pub const DEFAULT_AGE_THRESHOLDS: [u8; 4] = [16, 18, 21, 65];
/// The lowest and highest threshold an age claim may name.
pub const AGE_THRESHOLDS: std::ops::RangeInclusive<u8> = 13..=99;
/// The prefix of every age claim's key.
pub const AGE_CLAIM_PREFIX: &str = "age_over_";
/// The one value an age claim has.
pub const AGE_CLAIM_VALUE: &str = "true";
/// The claim age claims are derived from.
pub const BIRTHDATE: &str = "birthdate";

/// The key of the age claim for `threshold`: `age_over_18`.
pub fn age_claim_key(threshold: u8) -> Result<String> {
    if !AGE_THRESHOLDS.contains(&threshold) {
        return Err(Error::AgeThreshold(threshold));
    }
    Ok(format!("{AGE_CLAIM_PREFIX}{threshold:02}"))
}

/// The threshold an age claim's key names; `None` for a key that is no age claim.
/// A key that starts like one but names no threshold from 13 to 99 is refused.
pub fn age_threshold(key: &str) -> Result<Option<u8>> {
    let Some(digits) = key.strip_prefix(AGE_CLAIM_PREFIX) else {
        return Ok(None);
    };
    let threshold = (digits.len() == 2 && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse::<u8>().ok())
        .flatten()
        .filter(|threshold| AGE_THRESHOLDS.contains(threshold));
    match threshold {
        Some(threshold) => Ok(Some(threshold)),
        None => Err(Error::InvalidKey {
            key: key.to_owned(),
            reason: "age claims are age_over_NN with NN from 13 to 99",
        }),
    }
}

/// The age claims among `thresholds` that `birthdate` (`YYYY-MM-DD`) makes true on the
/// UTC day of `now` (Unix seconds), in ascending order.
pub fn derive_age_claims(birthdate: &str, now: u64, thresholds: &[u8]) -> Result<Vec<Claim>> {
    let age = age_on(birthdate, now)?;
    let mut held: Vec<u8> = thresholds
        .iter()
        .map(|&threshold| age_claim_key(threshold).map(|_| threshold))
        .collect::<Result<_>>()?;
    held.retain(|&threshold| age >= u32::from(threshold));
    held.sort_unstable();
    held.dedup();
    held.into_iter()
        .map(|threshold| {
            Ok(Claim {
                key: age_claim_key(threshold)?,
                value: AGE_CLAIM_VALUE.to_owned(),
            })
        })
        .collect()
}

/// Checks every age claim among `(key, value)` pairs against the pairs' own
/// `birthdate` on the UTC day of `now`: each must be `true` and hold that day, and
/// there must be a birthdate at all.
pub fn check_age_claims<'a>(
    claims: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
    now: u64,
) -> Result<()> {
    let birthdate = claims
        .clone()
        .into_iter()
        .find(|(key, _)| *key == BIRTHDATE)
        .map(|(_, value)| value);
    for (key, value) in claims {
        let Some(threshold) = age_threshold(key)? else {
            continue;
        };
        let refuse = |reason| {
            Err(Error::AgeClaim {
                key: key.to_owned(),
                reason,
            })
        };
        if value != AGE_CLAIM_VALUE {
            return refuse("must have the value true");
        }
        let Some(birthdate) = birthdate else {
            return refuse("needs a birthdate claim to be checked against");
        };
        if age_on(birthdate, now)? < u32::from(threshold) {
            return refuse("is not true for the birthdate on the day it is checked");
        }
    }
    Ok(())
}

/// Whole years from `birthdate` (`YYYY-MM-DD`) to the UTC day of `now`; someone born on
/// 29 February turns a year older on 1 March in other years.
pub fn age_on(birthdate: &str, now: u64) -> Result<u32> {
    let born = parse_date(birthdate).ok_or(Error::InvalidValue {
        key: BIRTHDATE.to_owned(),
        reason: "is not a calendar date YYYY-MM-DD",
    })?;
    let today = civil_date(now / 86_400);
    let years = today.0.saturating_sub(born.0);
    Ok(match (today.1, today.2) < (born.1, born.2) {
        true => years.saturating_sub(1),
        false => years,
    })
}

/// `(year, month, day)` of a `YYYY-MM-DD` text (its calendar validity is checked elsewhere).
fn parse_date(text: &str) -> Option<(u32, u32, u32)> {
    let mut parts = text.splitn(3, '-');
    let mut next = |len: usize| {
        parts
            .next()
            .filter(|part| part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|part| part.parse().ok())
    };
    Some((next(4)?, next(2)?, next(2)?))
}

/// The proleptic Gregorian `(year, month, day)` of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year as u32, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        assert_eq!(civil_date(0), (1970, 1, 1));
        assert_eq!(civil_date(11_016), (2000, 2, 29));
        assert_eq!(civil_date(19_782), (2024, 2, 29));
        assert_eq!(civil_date(20_422), (2025, 11, 30));
    }
}
