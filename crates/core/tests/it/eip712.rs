use std::str::FromStr;

use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use kyc_core::{
    eip712::{domain, signing_hash, AttestRequest, Consent, ConsentWithdrawal, Withdraw},
    signature::{encode_signature, recover_signer},
};

use crate::fixtures::{eip712_vectors, Eip712Vector, SIGNER_KEY};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn digest_and_type(
    vector: &Eip712Vector,
) -> Result<(alloy_primitives::B256, String), Box<dyn std::error::Error>> {
    fn typed<T: SolStruct + serde::de::DeserializeOwned>(
        vector: &Eip712Vector,
    ) -> Result<(alloy_primitives::B256, String), serde_json::Error> {
        let message: T = serde_json::from_value(vector.typed_data.message.clone())?;
        let domain = &vector.typed_data.domain;
        Ok((
            signing_hash(&message, domain.chain_id, domain.verifying_contract),
            T::eip712_encode_type().into_owned(),
        ))
    }
    Ok(match vector.typed_data.primary_type.as_str() {
        "AttestRequest" => typed::<AttestRequest>(vector)?,
        "Withdraw" => typed::<Withdraw>(vector)?,
        "Consent" => typed::<Consent>(vector)?,
        "ConsentWithdrawal" => typed::<ConsentWithdrawal>(vector)?,
        other => return Err(format!("unexpected primary type {other}").into()),
    })
}

#[test]
fn reproduces_every_eip712_digest_and_type() -> TestResult {
    for vector in eip712_vectors() {
        let (digest, encode_type) = digest_and_type(&vector)?;
        assert_eq!(digest, vector.digest, "{}", vector.typed_data.primary_type);

        let primary = &vector.typed_data.primary_type;
        let fields: Vec<String> = vector.typed_data.types[primary]
            .iter()
            .map(|f| format!("{} {}", f.ty, f.name))
            .collect();
        assert_eq!(encode_type, format!("{primary}({})", fields.join(",")));

        let expected = &vector.typed_data.domain;
        let ours = domain(expected.chain_id, expected.verifying_contract);
        assert_eq!(ours.name.as_deref(), Some(expected.name.as_str()));
        assert_eq!(ours.version.as_deref(), Some(expected.version.as_str()));
    }
    Ok(())
}

#[test]
fn type_strings_match_the_spec() {
    assert_eq!(
        AttestRequest::eip712_encode_type(),
        "AttestRequest(address subject,address certifier,bytes32 root,uint64 nonce,uint64 deadline)"
    );
    assert_eq!(
        Withdraw::eip712_encode_type(),
        "Withdraw(address subject,address certifier,uint64 nonce,uint64 deadline)"
    );
    assert_eq!(
        Consent::eip712_encode_type(),
        "Consent(address subject,bytes32 registrationId,string service,address certifier,bytes32 root,string[] fields,uint64 signedAt)"
    );
    assert_eq!(
        ConsentWithdrawal::eip712_encode_type(),
        "ConsentWithdrawal(address subject,bytes32 registrationId,string service,uint64 signedAt)"
    );
}

#[test]
fn recovers_every_vector_signer() -> TestResult {
    for vector in eip712_vectors() {
        assert_eq!(
            recover_signer(vector.digest, &vector.signature)?,
            vector.signer
        );
    }
    Ok(())
}

#[test]
fn local_signer_makes_the_same_signatures() -> TestResult {
    let signer = PrivateKeySigner::from_str(SIGNER_KEY)?;
    for vector in eip712_vectors() {
        assert_eq!(signer.address(), vector.signer);
        let signature = signer.sign_hash_sync(&vector.digest)?;
        assert_eq!(
            encode_signature(&signature).as_slice(),
            vector.signature.as_ref()
        );
    }
    Ok(())
}
