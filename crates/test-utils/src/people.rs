//! Many distinct people, each attested, and their signed answers to registration
//! codes: the load of the benchmarks and load tests.

use alloy::{
    primitives::{Address, Bytes},
    signers::local::PrivateKeySigner,
};
use kyc_contracts::IKycRegistry::AttestInput;
use kyc_core::{
    commitment::Commitment,
    eip712::{signing_hash, AttestRequest},
    evidence::Evidence,
    files::{FormatVersion, Submission},
    uri::RegistrationUri,
};

use crate::{commitment, mined, sign, unix_now, Devnet};

/// Attestations per `attestBatch` transaction, within anvil's block gas limit.
const ATTESTATIONS_PER_TRANSACTION: usize = 200;

/// A person with a key of their own and a commitment to their claims.
pub struct Person {
    /// The subject's key.
    pub signer: PrivateKeySigner,
    /// The claims under fresh salts.
    pub commitment: Commitment,
}

impl Person {
    /// A person with a random key and four claims.
    pub fn random() -> Self {
        Self {
            signer: PrivateKeySigner::random(),
            commitment: commitment(&[
                ("given_name", "Taro"),
                ("family_name", "Yamada"),
                ("birthdate", "1990-01-31"),
                ("nationality", "JP"),
            ]),
        }
    }

    /// The person's answer to `code`, naming `certifier` and disclosing the fields the
    /// code asks for, signed as a wallet signs it.
    pub fn answer(&self, code: &RegistrationUri, certifier: Address) -> Submission {
        let mut submission = Submission {
            version: FormatVersion,
            registration_id: code.registration_id,
            service: code.service.clone(),
            chain_id: code.chain_id,
            registry: code.registry,
            subject: self.signer.address(),
            certifier,
            root: self.commitment.root(),
            leaves: self.commitment.disclose(&code.fields).unwrap(),
            signed_at: unix_now(),
            signature: Bytes::new(),
        };
        submission.signature = sign(&self.signer, submission.signing_hash());
        submission
    }
}

impl Devnet {
    /// `count` people with random keys, each attested by the devnet certifier (document
    /// and face, valid a year) through `attestBatch`, a few hundred per transaction.
    pub async fn attest_people(&self, count: usize) -> Vec<Person> {
        let people: Vec<Person> = (0..count).map(|_| Person::random()).collect();
        let registry = self.registry_for(self.certifier.clone());
        let (now, evidence) = (self.chain_time().await, Evidence::DOCUMENT | Evidence::FACE);
        for group in people.chunks(ATTESTATIONS_PER_TRANSACTION) {
            let inputs = group
                .iter()
                .map(|person| {
                    let request = AttestRequest {
                        subject: person.signer.address(),
                        certifier: self.certifier.address(),
                        root: person.commitment.root(),
                        nonce: 0,
                        deadline: now + 3600,
                    };
                    let digest = signing_hash(&request, self.chain_id(), self.registry);
                    AttestInput {
                        subject: request.subject,
                        root: request.root,
                        evidence: evidence.bits(),
                        expiresAt: now + 365 * 86_400,
                        deadline: request.deadline,
                        signature: sign(&person.signer, digest),
                    }
                })
                .collect();
            mined(registry.attestBatch(inputs)).await;
        }
        people
    }
}
