//! The shared vectors, and files built from them.

use std::collections::BTreeMap;

use alloy_primitives::{Address, Bytes, B256};
use kyc_core::{
    claims::SaltedClaim,
    commitment::Commitment,
    evidence::Evidence,
    files::{
        Credential, FormatVersion, Request, SignedConsentWithdrawal, Submission, WithdrawRelay,
    },
};
use serde::Deserialize;

/// The default anvil account 1, which signed every EIP-712 vector.
pub(crate) const SIGNER_KEY: &str =
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";

#[derive(Deserialize)]
pub(crate) struct CommitmentVector {
    pub(crate) claims: Vec<SaltedClaim>,
    pub(crate) leaf_hashes: Vec<B256>,
    pub(crate) root: B256,
}

#[derive(Deserialize)]
pub(crate) struct Eip712Vector {
    pub(crate) typed_data: TypedData,
    pub(crate) digest: B256,
    pub(crate) signer: Address,
    pub(crate) signature: Bytes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TypedData {
    pub(crate) types: BTreeMap<String, Vec<TypedField>>,
    pub(crate) primary_type: String,
    pub(crate) domain: Domain,
    pub(crate) message: serde_json::Value,
}

#[derive(Deserialize)]
pub(crate) struct TypedField {
    pub(crate) name: String,
    #[serde(rename = "type")]
    pub(crate) ty: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Domain {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) chain_id: u64,
    pub(crate) verifying_contract: Address,
}

#[derive(Deserialize)]
struct Vectors<T> {
    vectors: Vec<T>,
}

pub(crate) fn commitment_vectors() -> Vec<CommitmentVector> {
    let text = include_str!("../vectors/commitment.json");
    serde_json::from_str::<Vectors<_>>(text)
        .expect("commitment.json parses")
        .vectors
}

pub(crate) fn eip712_vectors() -> Vec<Eip712Vector> {
    let text = include_str!("../vectors/eip712.json");
    serde_json::from_str::<Vectors<_>>(text)
        .expect("eip712.json parses")
        .vectors
}

#[derive(Deserialize)]
pub(crate) struct CheckCodeVector {
    pub(crate) registration_id: B256,
    pub(crate) code: String,
}

pub(crate) fn check_code_vectors() -> Vec<CheckCodeVector> {
    let text = include_str!("../vectors/check_code.json");
    serde_json::from_str::<Vectors<_>>(text)
        .expect("check_code.json parses")
        .vectors
}

fn vector<T>(mut vectors: Vec<T>, index: usize) -> T {
    vectors.swap_remove(index)
}

/// The 12 claims of the last commitment vector.
pub(crate) fn commitment() -> Commitment {
    let claims = vector(commitment_vectors(), 3).claims;
    Commitment::from_salted(claims).expect("the vector's claims are canonical")
}

fn field(message: &serde_json::Value, name: &str) -> String {
    message[name].as_str().expect("a string field").to_owned()
}

fn number(message: &serde_json::Value, name: &str) -> u64 {
    message[name].as_u64().expect("a number field")
}

fn address(message: &serde_json::Value, name: &str) -> Address {
    field(message, name).parse().expect("an address")
}

/// The request whose signature is the first EIP-712 vector.
pub(crate) fn request() -> Request {
    let signed = vector(eip712_vectors(), 0);
    let message = &signed.typed_data.message;
    let commitment = commitment();
    Request {
        version: FormatVersion,
        chain_id: signed.typed_data.domain.chain_id,
        registry: signed.typed_data.domain.verifying_contract,
        subject: address(message, "subject"),
        certifier: address(message, "certifier"),
        claims: commitment.claims().to_vec(),
        root: commitment.root(),
        nonce: number(message, "nonce"),
        deadline: number(message, "deadline"),
        signature: signed.signature,
    }
}

/// The submission whose signature is the fourth EIP-712 vector.
pub(crate) fn submission() -> Submission {
    let signed = vector(eip712_vectors(), 3);
    let message = &signed.typed_data.message;
    let fields: Vec<String> = serde_json::from_value(message["fields"].clone()).expect("fields");
    Submission {
        version: FormatVersion,
        registration_id: field(message, "registrationId").parse().expect("a bytes32"),
        service: field(message, "service"),
        chain_id: signed.typed_data.domain.chain_id,
        registry: signed.typed_data.domain.verifying_contract,
        subject: address(message, "subject"),
        certifier: address(message, "certifier"),
        root: commitment().root(),
        leaves: commitment()
            .disclose(&fields)
            .expect("the fields are claims"),
        signed_at: number(message, "signedAt"),
        signature: signed.signature,
    }
}

/// A credential for the request.
pub(crate) fn credential() -> Credential {
    let request = request();
    Credential {
        version: FormatVersion,
        chain_id: request.chain_id,
        registry: request.registry,
        subject: request.subject,
        certifier: request.certifier,
        claims: request.claims,
        root: request.root,
        evidence: Evidence::DOCUMENT | Evidence::FACE,
        issued_at: 1_767_225_600,
        expires_at: 1_798_761_600,
        tx_hash: B256::repeat_byte(0xab),
        block_number: 42,
    }
}

/// The relay file whose signature is the third EIP-712 vector.
pub(crate) fn withdraw_relay() -> WithdrawRelay {
    let signed = vector(eip712_vectors(), 2);
    let message = &signed.typed_data.message;
    WithdrawRelay {
        version: FormatVersion,
        chain_id: signed.typed_data.domain.chain_id,
        registry: signed.typed_data.domain.verifying_contract,
        subject: address(message, "subject"),
        certifier: address(message, "certifier"),
        nonce: number(message, "nonce"),
        deadline: number(message, "deadline"),
        signature: signed.signature,
    }
}

/// The consent withdrawal whose signature is the sixth EIP-712 vector.
pub(crate) fn consent_withdrawal() -> SignedConsentWithdrawal {
    let signed = vector(eip712_vectors(), 5);
    let message = &signed.typed_data.message;
    SignedConsentWithdrawal {
        version: FormatVersion,
        registration_id: field(message, "registrationId").parse().expect("a bytes32"),
        service: field(message, "service"),
        subject: address(message, "subject"),
        signed_at: number(message, "signedAt"),
        signature: signed.signature,
    }
}
