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

use std::{fmt, fmt::Display, marker::PhantomData, str::FromStr};

use serde::{de::Visitor, Deserialize, Deserializer, Serializer};

/// Writes the value's `Display`.
pub fn serialize<T: Display, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(value)
}

/// Reads `0x` and hex digits of any case; errors never repeat the input.
pub fn deserialize<'de, T: FromStr, D: Deserializer<'de>>(deserializer: D) -> Result<T, D::Error> {
    deserializer.deserialize_str(HexVisitor(PhantomData))
}

/// Parses the string it is given where it lies, without a copy.
struct HexVisitor<T>(PhantomData<T>);

impl<T: FromStr> Visitor<'_> for HexVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
        parse(text).map_err(E::custom)
    }
}

/// A value read by [`deserialize`], for reading it inside other types.
struct Hex<T>(T);

impl<'de, T: FromStr> Deserialize<'de> for Hex<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserialize(deserializer).map(Hex)
    }
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

    use serde::{Deserialize, Deserializer, Serializer};

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
        Ok(Option::<super::Hex<T>>::deserialize(deserializer)?.map(|hex| hex.0))
    }
}

/// The same for addresses, EIP-55 checksummed out, faster when few addresses repeat:
/// each thread remembers the text of the last two it wrote. A verdict, its event and
/// its customer name the same subject and certifier, and a batch one certifier, so
/// most addresses are hashed once rather than at every mention.
pub mod address {
    use std::cell::Cell;

    use alloy_primitives::Address;
    use serde::{Deserializer, Serializer};

    /// The length of `0x` and 40 hex digits.
    const TEXT_LEN: usize = 42;

    /// An address and its EIP-55 text.
    type Written = Option<(Address, [u8; TEXT_LEN])>;

    thread_local! {
        /// The last two addresses written on this thread, the most recent first.
        static RECENT: Cell<[Written; 2]> = const { Cell::new([None; 2]) };
    }

    /// `address` as EIP-55 text, handed to `write`.
    pub fn with_text<R>(address: &Address, write: impl FnOnce(&str) -> R) -> R {
        let mut recent = RECENT.get();
        let text = match recent {
            [Some((last, text)), _] if last == *address => text,
            [first, Some((last, text))] if last == *address => {
                recent = [Some((last, text)), first];
                text
            }
            [first, _] => {
                let mut text = [0u8; TEXT_LEN];
                let _: &mut str = address.to_checksum_raw(&mut text, None);
                recent = [Some((*address, text)), first];
                text
            }
        };
        RECENT.set(recent);
        // Checksummed hex is ASCII.
        write(std::str::from_utf8(&text).unwrap_or_default())
    }

    /// `address` as EIP-55 text.
    pub fn text(address: &Address) -> String {
        with_text(address, str::to_owned)
    }

    /// Writes the EIP-55 text.
    pub fn serialize<S: Serializer>(address: &Address, serializer: S) -> Result<S::Ok, S::Error> {
        with_text(address, |text| serializer.serialize_str(text))
    }

    /// Reads `0x` and 40 hex digits of any case.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Address, D::Error> {
        super::deserialize(deserializer)
    }

    /// The same for an optional address: `null` when absent.
    pub mod option {
        use alloy_primitives::Address;
        use serde::{Deserializer, Serializer};

        /// Writes the EIP-55 text, or `null`.
        pub fn serialize<S: Serializer>(
            address: &Option<Address>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match address {
                Some(address) => super::serialize(address, serializer),
                None => serializer.serialize_none(),
            }
        }

        /// Reads `null`, or `0x` and 40 hex digits of any case.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<Address>, D::Error> {
            super::super::option::deserialize(deserializer)
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn writes_each_address_as_its_own_checksummed_text_whatever_came_before() {
            let addresses = [
                Address::repeat_byte(0xab),
                Address::repeat_byte(0x11),
                Address::repeat_byte(0xab),
                Address::repeat_byte(0x5c),
                Address::repeat_byte(0x11),
                Address::repeat_byte(0x5c),
                Address::repeat_byte(0x5c),
                Address::ZERO,
            ];
            for _ in 0..2 {
                for address in addresses {
                    assert_eq!(text(&address), address.to_checksum(None));
                }
            }
            let on_another_thread = std::thread::spawn(|| text(&Address::repeat_byte(0x11)));
            assert_eq!(
                on_another_thread.join().ok(),
                Some(Address::repeat_byte(0x11).to_checksum(None))
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256};
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Holder {
        #[serde(with = "crate::hex")]
        subject: Address,
        #[serde(default, with = "crate::hex::option")]
        root: Option<B256>,
    }

    fn read(json: &str) -> Result<Holder, String> {
        serde_json::from_str(json).map_err(|error| error.to_string())
    }

    #[test]
    fn reads_hex_strings_escaped_or_not_and_refuses_anything_else() {
        let subject = Address::repeat_byte(0xab);
        let read_back =
            read(r#"{"subject":"\u0030xABABABABABABABABABABABABABABABABABABABAB","root":null}"#);
        assert_eq!(
            read_back.map(|holder| (holder.subject, holder.root)),
            Ok((subject, None))
        );
        let root = B256::repeat_byte(0x11);
        let with_root = read(&format!(r#"{{"subject":"{subject}","root":"{root}"}}"#));
        assert_eq!(with_root.map(|holder| holder.root), Ok(Some(root)));
        for (json, refusal) in [
            (r#"{"subject":5}"#, "expected a string"),
            (r#"{"subject":"ab"}"#, "expected 0x and hex digits"),
            (r#"{"subject":"0xabcd"}"#, "wrong number of hex digits"),
            (r#"{"subject":"0xzz"}"#, "expected 0x and hex digits"),
            (
                &format!(r#"{{"subject":"{subject}","root":7}}"#),
                "expected a string",
            ),
        ] {
            let error = read(json).err().unwrap_or_default();
            assert!(error.contains(refusal), "{json}: {error}");
        }
    }
}
