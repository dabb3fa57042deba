//! The JSON files: request (wallet → certifier), credential (certifier → wallet),
//! submission and decline (wallet → service), withdraw relay (wallet → certifier or any
//! relayer), signed consent withdrawal (wallet → service), and the plain claim list.
//!
//! Unknown fields are refused, `version` is 1, hex is `0x`-prefixed (any case in,
//! lower case out, addresses EIP-55 checksummed out), times and amounts are numbers.

use alloy_primitives::{Address, Bytes, B256};
use serde::{
    de::DeserializeOwned, de::Error as _, Deserialize, Deserializer, Serialize, Serializer,
};

use crate::{
    claims::{check_count, check_key_order, SaltedClaim},
    commitment::{root_of_claims, root_of_leaves, Leaf},
    eip712::{signing_hash, AttestRequest, Consent, ConsentWithdrawal, Withdraw},
    evidence::Evidence,
    signature::is_erc6492_wrapped,
    uri::{is_bare_origin, MAX_ORIGIN_LEN},
    Error, Result,
};

/// The file format version, which is always 1; other numbers are refused.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FormatVersion;

impl Serialize for FormatVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u64(1)
    }
}

impl<'de> Deserialize<'de> for FormatVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match u64::deserialize(deserializer)? {
            1 => Ok(Self),
            other => Err(D::Error::custom(format_args!(
                "unsupported version {other}, expected 1"
            ))),
        }
    }
}

/// A file format: parsed with [`parse_json`], then checked.
pub trait JsonFile: Serialize + DeserializeOwned {
    /// Checks the rules serde does not: claims canonical and in leaf order,
    /// sizes, and that the stated root is the recomputed one.
    fn check(&self) -> Result<()>;

    /// Parses and checks a file.
    fn from_json(text: &str) -> Result<Self> {
        let file: Self = parse_json(text)?;
        file.check()?;
        Ok(file)
    }

    /// The file as pretty JSON.
    fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self).map_err(|e| Error::Json(e.to_string()))
    }
}

/// A wallet asks a certifier to attest its claims.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    /// Always 1.
    pub version: FormatVersion,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "crate::hex")]
    pub registry: Address,
    /// The person's address.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// The certifier asked.
    #[serde(with = "crate::hex")]
    pub certifier: Address,
    /// The salted claims, in leaf order.
    pub claims: Vec<SaltedClaim>,
    /// The Merkle root of the claims.
    #[serde(with = "crate::hex")]
    pub root: B256,
    /// The registry's `nonces(subject, certifier)` when signing.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
    /// The subject's signature of the [`AttestRequest`].
    #[serde(with = "crate::hex")]
    pub signature: Bytes,
}

impl Request {
    /// The root recomputed from the claims (which are checked on the way).
    pub fn computed_root(&self) -> Result<B256> {
        root_of_claims(&self.claims)
    }

    /// The EIP-712 message the subject signed.
    pub fn attest_request(&self) -> AttestRequest {
        AttestRequest {
            subject: self.subject,
            certifier: self.certifier,
            root: self.root,
            nonce: self.nonce,
            deadline: self.deadline,
        }
    }

    /// The digest of [`attest_request`](Self::attest_request) under this file's domain.
    pub fn signing_hash(&self) -> B256 {
        signing_hash(&self.attest_request(), self.chain_id, self.registry)
    }
}

impl JsonFile for Request {
    /// Checks claims and root; the signature is left to the certifier, since
    /// a contract subject signs through ERC-1271 with any length.
    fn check(&self) -> Result<()> {
        check_root(self.root, self.computed_root()?)
    }
}

/// A certifier's record of an attestation, for the wallet to keep.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credential {
    /// Always 1.
    pub version: FormatVersion,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "crate::hex")]
    pub registry: Address,
    /// The person's address.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// The certifier that attested.
    #[serde(with = "crate::hex")]
    pub certifier: Address,
    /// The salted claims, in leaf order.
    pub claims: Vec<SaltedClaim>,
    /// The attested Merkle root.
    #[serde(with = "crate::hex")]
    pub root: B256,
    /// How the certifier checked the person.
    pub evidence: Evidence,
    /// When the attestation was made.
    pub issued_at: u64,
    /// When the attestation lapses.
    pub expires_at: u64,
    /// The transaction that recorded it.
    #[serde(with = "crate::hex")]
    pub tx_hash: B256,
    /// The block that holds the transaction.
    pub block_number: u64,
}

impl Credential {
    /// The root recomputed from the claims (which are checked on the way).
    pub fn computed_root(&self) -> Result<B256> {
        root_of_claims(&self.claims)
    }
}

impl JsonFile for Credential {
    fn check(&self) -> Result<()> {
        if self.expires_at <= self.issued_at {
            return Err(Error::InvalidField {
                field: "expires_at",
                reason: "is not after issued_at",
            });
        }
        check_root(self.root, self.computed_root()?)
    }
}

/// What a wallet sends a service: some claims disclosed, a signed consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submission {
    /// Always 1.
    pub version: FormatVersion,
    /// The registration ID from the service's QR code.
    #[serde(with = "crate::hex")]
    pub registration_id: B256,
    /// The service's origin, as in the QR code.
    pub service: String,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "crate::hex")]
    pub registry: Address,
    /// The person's address.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// The certifier whose attestation backs the claims.
    #[serde(with = "crate::hex")]
    pub certifier: Address,
    /// The attested Merkle root.
    #[serde(with = "crate::hex")]
    pub root: B256,
    /// Every leaf, in leaf order, disclosed or as its digest.
    pub leaves: Vec<Leaf>,
    /// When the person signed.
    pub signed_at: u64,
    /// The subject's signature of the [`Consent`].
    #[serde(with = "crate::hex")]
    pub signature: Bytes,
}

impl Submission {
    /// The root recomputed from the leaves.
    pub fn computed_root(&self) -> Result<B256> {
        root_of_leaves(&self.leaves)
    }

    /// The disclosed claims, in leaf order.
    pub fn disclosed(&self) -> impl Iterator<Item = &SaltedClaim> {
        self.leaves.iter().filter_map(Leaf::disclosed)
    }

    /// The EIP-712 message the subject signed; `fields` are the disclosed keys.
    pub fn consent(&self) -> Consent {
        Consent {
            subject: self.subject,
            registrationId: self.registration_id,
            service: self.service.clone(),
            certifier: self.certifier,
            root: self.root,
            fields: self.disclosed().map(|claim| claim.key.clone()).collect(),
            signedAt: self.signed_at,
        }
    }

    /// The digest of [`consent`](Self::consent) under this file's domain.
    pub fn signing_hash(&self) -> B256 {
        signing_hash(&self.consent(), self.chain_id, self.registry)
    }
}

impl JsonFile for Submission {
    fn check(&self) -> Result<()> {
        if !is_bare_origin(&self.service) {
            return Err(Error::InvalidField {
                field: "service",
                reason: "is not a bare origin",
            });
        }
        check_count(self.leaves.len())?;
        self.disclosed().try_for_each(SaltedClaim::check)?;
        check_key_order(self.disclosed().map(|claim| claim.key.as_str()))?;
        check_root(self.root, self.computed_root()?)
    }
}

/// The largest decline accepted, in bytes: a decline is a few hundred bytes at most.
pub const MAX_DECLINE_BYTES: usize = 2048;

/// A person's "no" to a registration: posted to the code's callback in place of a
/// [`Submission`]. It is not signed (anyone holding the code may say no), so a service
/// records it without using up the session, and a later authentic answer still counts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decline {
    /// Always 1.
    pub version: FormatVersion,
    /// The registration ID from the service's QR code.
    #[serde(with = "crate::hex")]
    pub registration_id: B256,
    /// The service's origin, as in the QR code.
    pub service: String,
    /// When the person declined (Unix seconds).
    pub declined_at: u64,
}

impl Decline {
    /// Whether a callback body has the shape of a decline rather than a submission: a
    /// JSON object with `declined_at` and without `signature`. Nothing else is checked.
    pub fn is_decline_shaped(json: &[u8]) -> bool {
        /// The two members that tell the bodies apart; every other one is skipped.
        #[derive(Deserialize)]
        struct Shape {
            declined_at: Option<serde::de::IgnoredAny>,
            signature: Option<serde::de::IgnoredAny>,
        }
        serde_json::from_slice::<Shape>(json)
            .is_ok_and(|shape| shape.declined_at.is_some() && shape.signature.is_none())
    }

    /// Parses and checks a decline from a request body of at most
    /// [`MAX_DECLINE_BYTES`]; errors never repeat the body.
    pub fn from_bytes(json: &[u8]) -> Result<Self> {
        if json.len() > MAX_DECLINE_BYTES {
            return Err(Error::TooLarge {
                what: "decline",
                limit: MAX_DECLINE_BYTES,
            });
        }
        let text = std::str::from_utf8(json).map_err(|_| Error::Json("not UTF-8".to_owned()))?;
        Self::from_json(text)
    }
}

impl JsonFile for Decline {
    fn check(&self) -> Result<()> {
        if self.service.len() > MAX_ORIGIN_LEN || !is_bare_origin(&self.service) {
            return Err(Error::InvalidField {
                field: "service",
                reason: "is not a bare origin",
            });
        }
        Ok(())
    }
}

/// A subject's signed `Withdraw`, as a file anyone may relay (`withdrawBySig`, paying
/// the gas), so the subject needs no ether.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawRelay {
    /// Always 1.
    pub version: FormatVersion,
    /// The chain of the registry.
    pub chain_id: u64,
    /// The `KycRegistry` address.
    #[serde(with = "crate::hex")]
    pub registry: Address,
    /// The person withdrawing.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// The certifier whose attestation is withdrawn.
    #[serde(with = "crate::hex")]
    pub certifier: Address,
    /// The registry's `nonces(subject, certifier)` when signing.
    pub nonce: u64,
    /// The signature is void after this time.
    pub deadline: u64,
    /// The subject's signature of the [`Withdraw`].
    #[serde(with = "crate::hex")]
    pub signature: Bytes,
}

impl WithdrawRelay {
    /// The EIP-712 message the subject signed.
    pub fn message(&self) -> Withdraw {
        Withdraw {
            subject: self.subject,
            certifier: self.certifier,
            nonce: self.nonce,
            deadline: self.deadline,
        }
    }

    /// The digest of [`message`](Self::message) under this file's domain.
    pub fn signing_hash(&self) -> B256 {
        signing_hash(&self.message(), self.chain_id, self.registry)
    }
}

impl JsonFile for WithdrawRelay {
    /// Refuses an ERC-6492 wrapper, as the registry does. Whose signature it is is the
    /// relayer's to check: a contract subject signs through ERC-1271 with any length.
    fn check(&self) -> Result<()> {
        if is_erc6492_wrapped(&self.signature) {
            return Err(Error::InvalidField {
                field: "signature",
                reason: "is an ERC-6492 wrapper, which the registry refuses",
            });
        }
        Ok(())
    }
}

/// A subject's signed `ConsentWithdrawal`: the body a wallet posts to the service
/// that holds the consent, where that service's session says.
///
/// The EIP-712 domain is the chain and registry of the consent, which the service knows
/// from its session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedConsentWithdrawal {
    /// Always 1.
    pub version: FormatVersion,
    /// The registration the service should forget.
    #[serde(with = "crate::hex")]
    pub registration_id: B256,
    /// The service's origin.
    pub service: String,
    /// The person asking.
    #[serde(with = "crate::hex")]
    pub subject: Address,
    /// When the person signed.
    pub signed_at: u64,
    /// The subject's signature of the [`ConsentWithdrawal`].
    #[serde(with = "crate::hex")]
    pub signature: Bytes,
}

impl SignedConsentWithdrawal {
    /// The EIP-712 message the subject signed.
    pub fn message(&self) -> ConsentWithdrawal {
        ConsentWithdrawal {
            subject: self.subject,
            registrationId: self.registration_id,
            service: self.service.clone(),
            signedAt: self.signed_at,
        }
    }

    /// The digest of [`message`](Self::message) under the consent's domain.
    pub fn signing_hash(&self, chain_id: u64, registry: Address) -> B256 {
        signing_hash(&self.message(), chain_id, registry)
    }
}

fn check_root(stated: B256, computed: B256) -> Result<()> {
    if stated != computed {
        return Err(Error::RootMismatch { stated, computed });
    }
    Ok(())
}

/// Which file a JSON text holds, as told by [`root_of_json`]; in JSON `claims`,
/// `request` or `credential`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// A JSON array of `{key, value, salt}`.
    #[serde(rename = "claims")]
    ClaimList,
    /// A [`Request`].
    Request,
    /// A [`Credential`].
    Credential,
}

/// The root of a claim list, request or credential, after full checks.
///
/// An array is a claim list; an object with `tx_hash` or `evidence` a
/// credential; any other object a request.
pub fn root_of_json(text: &str) -> Result<(FileKind, B256)> {
    let kind = match parse_json(text)? {
        serde_json::Value::Array(_) => FileKind::ClaimList,
        serde_json::Value::Object(fields)
            if fields.contains_key("tx_hash") || fields.contains_key("evidence") =>
        {
            FileKind::Credential
        }
        serde_json::Value::Object(_) => FileKind::Request,
        _ => {
            return Err(Error::Json(
                "expected a claim list, a request or a credential".to_owned(),
            ))
        }
    };
    let root = match kind {
        FileKind::ClaimList => root_of_claims(&parse_json::<Vec<SaltedClaim>>(text)?)?,
        FileKind::Request => Request::from_json(text)?.root,
        FileKind::Credential => Credential::from_json(text)?.root,
    };
    Ok((kind, root))
}

/// Parses JSON into `T`. Errors name the path (`claims[2].salt: …`) and never
/// repeat the input, which may hold personal data.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> Result<T> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let message = without_input(&error.into_inner().to_string());
        Error::Json(if path == "." {
            message
        } else {
            format!("{path}: {message}")
        })
    })?;
    deserializer
        .end()
        .map_err(|error| Error::Json(error.to_string()))?;
    Ok(value)
}

/// serde's "invalid type: string \"…\", expected …" quotes the input: keep only what was expected.
fn without_input(message: &str) -> String {
    for prefix in ["invalid type", "invalid value"] {
        if let (true, Some(at)) = (message.starts_with(prefix), message.rfind(", expected ")) {
            return format!("{prefix}{}", &message[at..]);
        }
    }
    message.to_owned()
}
