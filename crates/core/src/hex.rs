//! Serde for the hex fields of files: `0x` and hex digits of any case in, the
//! type's `Display` out (lower-case hex; EIP-55 checksummed addresses).
//!
//! For any type with `FromStr` from bare hex digits and a `0x`-prefixed `Display`,
//! such as `Address`, `B256` and `Bytes`:
//!
//! ```
//! use alloy_primitives::Address;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct Holder {
//!     #[serde(with = "kyc_core::hex")]
//!     subject: Address,
//! }
//!
//! let read: Holder =
//!     serde_json::from_str(r#"{"subject":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8"}"#)?;
//! assert_eq!(
//!     serde_json::to_string(&read)?,
//!     r#"{"subject":"0x70997970C51812dc3A010C7d01b50e0d17dc79C8"}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::{fmt::Display, str::FromStr};

use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

/// Writes the value's `Display`.
pub fn serialize<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Reads `0x` and hex digits of any case; errors never repeat the input.
pub fn deserialize<'de, T: FromStr, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
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

/// The same for an optional value: `null` when absent.
pub mod option {
    use std::{fmt::Display, str::FromStr};

    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    /// Writes the value's `Display`, or `null`.
    pub fn serialize<T: Display, S: Serializer>(
        value: &Option<T>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match value {
            Some(value) => serializer.collect_str(value),
            None => serializer.serialize_none(),
        }
    }

    /// Reads `null`, or `0x` and hex digits of any case.
    pub fn deserialize<'de, T: FromStr, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<T>, D::Error> {
        Option::<String>::deserialize(deserializer)?
            .map(|text| super::parse(&text).map_err(D::Error::custom))
            .transpose()
    }
}
