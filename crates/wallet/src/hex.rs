//! Serde for the hex fields of the wallet's files: `0x` and hex digits of any case in,
//! the type's `Display` out (lower-case hex; EIP-55 checksummed addresses).

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
    let text = String::deserialize(deserializer)?;
    match text.strip_prefix("0x") {
        Some(digits) if digits.bytes().all(|b| b.is_ascii_hexdigit()) => digits
            .parse()
            .map_err(|_| D::Error::custom("wrong number of hex digits")),
        _ => Err(D::Error::custom("expected 0x and hex digits")),
    }
}
