//! Serde for the hex fields of files: `0x` and hex digits of any case in, the
//! type's `Display` out (lower-case hex; EIP-55 checksummed addresses).

use std::{fmt::Display, str::FromStr};

use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

pub(crate) fn serialize<T: Display, S: Serializer>(
    value: &T,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

pub(crate) fn deserialize<'de, T: FromStr, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    parse(&String::deserialize(deserializer)?).map_err(D::Error::custom)
}

/// Parses `0x`-prefixed hex; the error never repeats the input, which may be a salt.
pub(crate) fn parse<T: FromStr>(text: &str) -> Result<T, &'static str> {
    match text.strip_prefix("0x") {
        Some(digits) if digits.bytes().all(|b| b.is_ascii_hexdigit()) => {
            digits.parse().map_err(|_| "wrong number of hex digits")
        }
        _ => Err("expected 0x and hex digits"),
    }
}
