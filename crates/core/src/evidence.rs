//! Evidence: how a certifier checked a person, as the registry's bit set.

use std::{ops::BitOr, str::FromStr};

use serde::{de::Error as _, Deserialize, Deserializer, Serialize, Serializer};

use crate::{Error, Result};

/// A set of evidence kinds. In files, a list of names such as `["document", "face"]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Evidence(u16);

impl Evidence {
    /// An identity document was checked.
    pub const DOCUMENT: Self = Self(1);
    /// A biometric match or liveness check.
    pub const FACE: Self = Self(2);
    /// Proof of address.
    pub const ADDRESS: Self = Self(4);
    /// The phone number was confirmed.
    pub const PHONE: Self = Self(8);
    /// The e-mail address was confirmed.
    pub const EMAIL: Self = Self(16);
    /// The person was seen in person.
    pub const IN_PERSON: Self = Self(32);

    const NAMED: [(&'static str, Self); 6] = [
        ("document", Self::DOCUMENT),
        ("face", Self::FACE),
        ("address", Self::ADDRESS),
        ("phone", Self::PHONE),
        ("email", Self::EMAIL),
        ("in_person", Self::IN_PERSON),
    ];
    const KNOWN_BITS: u16 = 0b11_1111;

    /// The bits, as the registry stores them.
    pub const fn bits(self) -> u16 {
        self.0
    }

    /// Reads registry bits, refusing bits no evidence kind has.
    pub fn from_bits(bits: u16) -> Result<Self> {
        if bits & !Self::KNOWN_BITS != 0 {
            return Err(Error::UnknownEvidenceBits(bits));
        }
        Ok(Self(bits))
    }

    /// The names of the kinds in the set, in bit order.
    pub fn names(self) -> Vec<&'static str> {
        Self::NAMED
            .iter()
            .filter(|(_, kind)| self.contains(*kind))
            .map(|(name, _)| *name)
            .collect()
    }

    /// Whether every kind in `other` is also in `self`.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether the set has no kind.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Reads names, refusing unknown and repeated ones.
    pub fn from_names<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self> {
        names.into_iter().try_fold(Self::default(), |set, name| {
            let kind = Self::NAMED
                .iter()
                .find(|(known, _)| *known == name)
                .map(|(_, kind)| *kind)
                .ok_or_else(|| Error::UnknownEvidence(name.to_owned()))?;
            if set.contains(kind) {
                return Err(Error::DuplicateEvidence(name.to_owned()));
            }
            Ok(set | kind)
        })
    }
}

impl BitOr for Evidence {
    type Output = Self;

    fn bitor(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }
}

/// Reads comma-separated names such as `document,face`.
impl FromStr for Evidence {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::from_names(text.split(',').map(str::trim))
    }
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.names().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let names = Vec::<String>::deserialize(deserializer)?;
        Self::from_names(names.iter().map(String::as_str)).map_err(D::Error::custom)
    }
}
