//! Every reason code, each from a real submission that triggers it, on a real chain.

use std::time::Duration;

use alloy::{
    hex,
    primitives::{address, Address, Bytes, B256, U256},
    signers::local::PrivateKeySigner,
};
use kyc_core::{
    claims::SaltedClaim,
    commitment::{leaf_hash, merkle_root, Commitment, Leaf},
    signature::ERC6492_MAGIC,
};
use kyc_test_utils::{sign, unix_now};
use kyc_verifier::{store::SqliteStore, Outcome, Policy, Reason, Session, SessionRequest, Store};

use crate::fixtures::{
    commitment, evidence, fields, mined, resign, sqlite_store, to_json, Fixture, SERVICE,
};

/// A change a test makes to a submission before signing it again.
type Tamper = fn(&mut kyc_core::files::Submission);

const ALL_FIELDS: [&str; 3] = ["birthdate", "family_name", "given_name"];

fn policy(text: &str) -> Policy {
    Policy::from_toml(text).unwrap()
}

/// A fixture with Taro attested (document, face) and a session asking for three fields.
async fn attested() -> (Fixture<SqliteStore>, Session, Commitment) {
    let fixture = Fixture::start().await;
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document,face"))
        .await;
    let session = fixture.session(&ALL_FIELDS).await;
    (fixture, session, commitment)
}

#[tokio::test]
async fn an_honest_submission_is_approved_and_uses_up_the_session() {
    let (fixture, session, commitment) = attested().await;
    let submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    let strict = policy(&format!(
        "trusted_certifiers = [\"{}\"]\nrequired_evidence = [\"document\"]\nrequired_fields = [\"given_name\"]\nmax_attestation_age = \"1d\"",
        fixture.devnet.certifier.address()
    ));
    let verdict = fixture.verify(&submission, &strict).await;

    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
    assert!(verdict.reasons.is_empty());
    assert_eq!(verdict.registration_id, Some(session.registration_id));
    assert_eq!(verdict.subject, Some(fixture.devnet.subject.address()));
    assert_eq!(
        verdict.certifier_name.as_deref(),
        Some(kyc_test_utils::CERTIFIER_NAME)
    );
    let attestation = verdict.attestation.unwrap();
    assert_eq!(attestation.root, commitment.root());
    assert_eq!(attestation.evidence, evidence("document,face"));
    assert_eq!(attestation.status.code(), "active");
    assert_eq!(verdict.fields, fields(&ALL_FIELDS));
    let given_name = verdict
        .claims
        .iter()
        .find(|claim| claim.key == "given_name")
        .unwrap();
    assert_eq!(given_name.value, "Taro");
    assert!(!verdict
        .claims
        .iter()
        .any(|claim| claim.key == "nationality"));

    let record = fixture.record(session.registration_id).await;
    assert!(record.used_at.is_some());
    assert_eq!(record.verdict.as_ref(), Some(&verdict));

    let json = serde_json::to_value(&verdict).unwrap();
    assert_eq!(json["outcome"], "approved");
    assert_eq!(
        json["attestation"]["evidence"],
        serde_json::json!(["document", "face"])
    );
}

#[tokio::test]
async fn malformed() {
    let (fixture, session, commitment) = attested().await;
    let default = Policy::default();
    for garbage in [&b"not json"[..], b"{}", &[0xff, 0xfe], &vec![b' '; 200_000]] {
        let verdict = fixture.verify_json(garbage, &default).await;
        assert_eq!(verdict.reasons, [Reason::Malformed]);
        assert_eq!(verdict.registration_id, None);
    }
    let mut json: serde_json::Value = serde_json::from_slice(&to_json(&fixture.submission(
        &session,
        &commitment,
        &ALL_FIELDS,
    )))
    .unwrap();
    json["surprise"] = true.into();
    let verdict = fixture
        .verify_json(json.to_string().as_bytes(), &default)
        .await;
    assert_eq!(verdict.reasons, [Reason::Malformed]);

    // Signed, but a disclosed value is not canonical.
    let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    if let Leaf::Disclosed(claim) = &mut submission.leaves[2] {
        claim.value = format!(" {}", claim.value);
    }
    resign(&mut submission, &fixture.devnet.subject);
    let verdict = fixture.verify(&submission, &default).await;
    assert_eq!(verdict.outcome, Outcome::Rejected);
    assert!(
        verdict.reasons.contains(&Reason::Malformed),
        "{:?}",
        verdict.reasons
    );
    assert!(verdict.claims.is_empty());
}

#[tokio::test]
async fn bad_signature() {
    let (fixture, session, commitment) = attested().await;
    let honest = fixture.submission(&session, &commitment, &ALL_FIELDS);
    let order = U256::from_be_slice(&hex!(
        "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
    ));

    let mut high_s = honest.clone();
    let bytes = honest.signature.to_vec();
    let s = U256::from_be_slice(&bytes[32..64]);
    let mut twin = bytes[..32].to_vec();
    twin.extend_from_slice(&(order - s).to_be_bytes::<32>());
    twin.push(if bytes[64] == 27 { 28 } else { 27 });
    high_s.signature = twin.into();

    let mut compact = honest.clone();
    compact.signature = Bytes::copy_from_slice(&bytes[..64]);

    let mut wrapped = honest.clone();
    let mut erc6492 = bytes.clone();
    erc6492.extend_from_slice(ERC6492_MAGIC.as_slice());
    wrapped.signature = erc6492.into();

    for (name, submission) in [
        ("high s", high_s),
        ("compact", compact),
        ("erc-6492", wrapped),
    ] {
        let verdict = fixture.verify(&submission, &Policy::default()).await;
        assert_eq!(verdict.reasons, [Reason::BadSignature], "{name}");
    }
    // None of them used up the session: the honest answer still goes through.
    let verdict = fixture.verify(&honest, &Policy::default()).await;
    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
}

#[tokio::test]
async fn signer_mismatch() {
    let (fixture, session, commitment) = attested().await;
    let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    resign(&mut submission, &fixture.devnet.certifier);
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::SignerMismatch]);
    assert!(fixture
        .record(session.registration_id)
        .await
        .used_at
        .is_none());
}

#[tokio::test]
async fn unknown_registration() {
    let (fixture, session, commitment) = attested().await;
    let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    submission.registration_id = B256::repeat_byte(7);
    resign(&mut submission, &fixture.devnet.subject);
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    // The session's fields are unknown too, so only the registration is wrong.
    assert_eq!(verdict.reasons, [Reason::UnknownRegistration]);
}

#[tokio::test]
async fn registration_expired() {
    let fixture = Fixture::start().await;
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    let request = SessionRequest {
        ttl: Duration::from_secs(1),
        ..SessionRequest::new(SERVICE, fields(&ALL_FIELDS))
    };
    let session = fixture.verifier.open_session(request).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let verdict = fixture
        .answer(&session, &commitment, &Policy::default())
        .await;
    assert_eq!(verdict.reasons, [Reason::RegistrationExpired]);
}

#[tokio::test]
async fn registration_used() {
    let (fixture, session, commitment) = attested().await;
    let first = fixture.submission(&session, &commitment, &ALL_FIELDS);
    assert_eq!(
        fixture.verify(&first, &Policy::default()).await.outcome,
        Outcome::Approved
    );
    let again = fixture.submission(&session, &commitment, &ALL_FIELDS);
    let verdict = fixture.verify(&again, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::RegistrationUsed]);
    assert!(verdict.claims.is_empty());
    // The stored verdict is still the first one.
    let record = fixture.record(session.registration_id).await;
    assert_eq!(record.verdict.unwrap().outcome, Outcome::Approved);
}

#[tokio::test]
async fn wrong_service_chain_and_registry() {
    let (fixture, _, commitment) = attested().await;
    let cases: [(Reason, Tamper); 3] = [
        (Reason::WrongService, |s| {
            s.service = "https://evil.example".to_owned()
        }),
        (Reason::WrongChain, |s| s.chain_id += 1),
        (Reason::WrongRegistry, |s| {
            s.registry = address!("0x000000000000000000000000000000000000dEaD")
        }),
    ];
    for (reason, tamper) in cases {
        let session = fixture.session(&ALL_FIELDS).await;
        let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
        tamper(&mut submission);
        resign(&mut submission, &fixture.devnet.subject);
        let verdict = fixture.verify(&submission, &Policy::default()).await;
        assert_eq!(verdict.reasons, [reason]);
        // Signed by the subject and bound to the registration: it is the answer.
        let record = fixture.record(session.registration_id).await;
        assert!(record.used_at.is_some(), "{reason}");
    }
}

#[tokio::test]
async fn no_attestation() {
    let fixture = Fixture::start().await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture
        .answer(&session, &commitment(), &Policy::default())
        .await;
    assert_eq!(verdict.reasons, [Reason::NoAttestation]);
    assert_eq!(verdict.attestation, None);
    assert_eq!(fixture.record(session.registration_id).await.used_at, None);
}

#[tokio::test]
async fn a_stranger_with_a_throwaway_key_neither_spoils_nor_takes_the_session() {
    let (fixture, session, commitment) = attested().await;
    // Someone who saw the QR code signs an answer as themselves, with a root of their own.
    let stranger = PrivateKeySigner::random();
    let mut spoiler = fixture.submission(&session, &crate::fixtures::commitment(), &ALL_FIELDS);
    spoiler.subject = stranger.address();
    resign(&mut spoiler, &stranger);
    let verdict = fixture.verify(&spoiler, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::NoAttestation]);
    assert_eq!(fixture.record(session.registration_id).await.used_at, None);

    // The real person then answers, and is approved.
    let verdict = fixture
        .answer(&session, &commitment, &Policy::default())
        .await;
    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
    let record = fixture.record(session.registration_id).await;
    assert_eq!(
        record.verdict.unwrap().subject,
        Some(fixture.devnet.subject.address())
    );
}

#[tokio::test]
async fn root_mismatch() {
    let (fixture, session, _) = attested().await;
    // The same claims under other salts: a root the certifier never recorded.
    let other = commitment();
    let verdict = fixture.answer(&session, &other, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::RootMismatch]);
    // A root the certifier never recorded proves nothing: the session stays open.
    assert_eq!(fixture.record(session.registration_id).await.used_at, None);

    // A value changed after signing: the leaves no longer give the signed root.
    let session = fixture.session(&ALL_FIELDS).await;
    let mut submission = fixture.submission(&session, &other, &ALL_FIELDS);
    if let Leaf::Disclosed(claim) = &mut submission.leaves[0] {
        claim.value = "1990-02-01".to_owned();
    }
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    assert!(
        verdict.reasons.contains(&Reason::RootMismatch),
        "{:?}",
        verdict.reasons
    );
}

#[tokio::test]
async fn revoked_and_withdrawn() {
    let (fixture, session, commitment) = attested().await;
    let subject = fixture.devnet.subject.address();
    mined(
        fixture
            .devnet
            .registry_for(fixture.devnet.certifier.clone())
            .revoke(subject, "document reported stolen".to_owned()),
    )
    .await;
    let verdict = fixture
        .answer(&session, &commitment, &Policy::default())
        .await;
    assert_eq!(verdict.reasons, [Reason::Revoked]);
    assert_eq!(verdict.attestation.unwrap().status.code(), "revoked");

    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    mined(
        fixture
            .devnet
            .registry_for(fixture.devnet.subject.clone())
            .withdraw(fixture.devnet.certifier.address()),
    )
    .await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture
        .answer(&session, &commitment, &Policy::default())
        .await;
    assert_eq!(verdict.reasons, [Reason::Withdrawn]);
}

#[tokio::test]
async fn attestation_expired_and_too_old() {
    let fixture = Fixture::start().await;
    let commitment = commitment();
    let expires_at = unix_now() + 5;
    let subject = fixture.devnet.subject.address();
    fixture
        .attest_for(
            &fixture.devnet.subject,
            subject,
            commitment.root(),
            evidence("document"),
            expires_at,
        )
        .await;
    let too_old = policy("max_attestation_age = \"1s\"");
    let session = fixture.session(&ALL_FIELDS).await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let verdict = fixture.answer(&session, &commitment, &too_old).await;
    assert_eq!(verdict.outcome, Outcome::Review);
    assert_eq!(verdict.reasons, [Reason::AttestationTooOld]);
    assert_eq!(
        verdict.claims.len(),
        3,
        "a review keeps the claims for the reviewer"
    );

    while unix_now() < expires_at {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture
        .answer(&session, &commitment, &Policy::default())
        .await;
    assert_eq!(verdict.reasons, [Reason::AttestationExpired]);
}

#[tokio::test]
async fn untrusted_certifier() {
    let (fixture, session, commitment) = attested().await;
    let other = policy("trusted_certifiers = [\"0x90F79bf6EB2c4f870365E785982E1f101E93b906\"]");
    let verdict = fixture.answer(&session, &commitment, &other).await;
    assert_eq!(verdict.reasons, [Reason::UntrustedCertifier]);

    // A certifier the registry removed no longer counts, whatever the policy says.
    mined(
        fixture
            .devnet
            .registry_for(fixture.devnet.owner.clone())
            .removeCertifier(fixture.devnet.certifier.address()),
    )
    .await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture
        .answer(&session, &commitment, &Policy::default())
        .await;
    assert_eq!(verdict.reasons, [Reason::UntrustedCertifier]);
    assert_eq!(verdict.certifier_name, None);
}

#[tokio::test]
async fn insufficient_evidence() {
    let (fixture, session, commitment) = attested().await;
    let needs_address = policy("required_evidence = [\"document\", \"address\"]");
    let verdict = fixture.answer(&session, &commitment, &needs_address).await;
    assert_eq!(verdict.reasons, [Reason::InsufficientEvidence]);
}

#[tokio::test]
async fn missing_fields() {
    let (fixture, session, commitment) = attested().await;
    let verdict = fixture
        .verify(
            &fixture.submission(&session, &commitment, &["family_name", "given_name"]),
            &Policy::default(),
        )
        .await;
    assert_eq!(verdict.reasons, [Reason::MissingFields]);

    let session = fixture.session(&["given_name"]).await;
    let needs_nationality = policy("required_fields = [\"nationality\"]");
    let verdict = fixture
        .answer(&session, &commitment, &needs_nationality)
        .await;
    assert_eq!(verdict.reasons, [Reason::MissingFields]);
}

#[tokio::test]
async fn duplicate_field() {
    let fixture = Fixture::start().await;
    // A commitment with a key twice, which no honest wallet builds, attested all the same.
    let claims: Vec<SaltedClaim> = ["Taro", "Jiro"]
        .iter()
        .enumerate()
        .map(|(i, name)| SaltedClaim {
            key: "given_name".to_owned(),
            value: (*name).to_owned(),
            salt: [u8::try_from(i).unwrap(); 16].into(),
        })
        .collect();
    let root = merkle_root(&claims.iter().map(leaf_hash).collect::<Vec<_>>()).unwrap();
    fixture.attest(root, evidence("document")).await;
    let session = fixture.session(&["given_name"]).await;
    let mut submission = fixture.submission(&session, &commitment(), &["given_name"]);
    submission.root = root;
    submission.leaves = claims.into_iter().map(Leaf::Disclosed).collect();
    resign(&mut submission, &fixture.devnet.subject);
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::DuplicateField]);
}

#[tokio::test]
async fn rpc_unavailable_is_an_error_and_leaves_the_session_open() {
    let (fixture, session, commitment) = attested().await;
    let submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    let Fixture {
        devnet, verifier, ..
    } = fixture;
    drop(devnet); // stops anvil
    let error = verifier
        .verify(&to_json(&submission), &Policy::default())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rpc_unavailable", "{error}");
    let record = verifier
        .store()
        .session(session.registration_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.used_at, None);
    assert_eq!(record.verdict, None);
}

#[tokio::test]
async fn attestations_are_read_at_a_confirmed_block() {
    let fixture = Fixture::start().await;
    fixture.mine(5).await; // the registry itself is confirmed
    let commitment = commitment();
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    let confirmed = policy("confirmations = 3");
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture.answer(&session, &commitment, &confirmed).await;
    assert_eq!(verdict.reasons, [Reason::NoAttestation]);

    fixture.mine(3).await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture.answer(&session, &commitment, &confirmed).await;
    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
}

#[tokio::test]
async fn confirmations_never_delay_a_revocation_or_a_removal() {
    let (fixture, _, commitment) = attested().await;
    fixture.mine(3).await;
    let confirmed = policy("confirmations = 3");
    let subject = fixture.devnet.subject.address();
    let certifier = fixture.devnet.certifier.clone();
    mined(
        fixture
            .devnet
            .registry_for(certifier.clone())
            .revoke(subject, "document reported stolen".to_owned()),
    )
    .await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture.answer(&session, &commitment, &confirmed).await;
    assert_eq!(verdict.reasons, [Reason::Revoked]);

    // Attested again and confirmed, then the certifier is removed: untrusted at once.
    fixture
        .attest(commitment.root(), evidence("document"))
        .await;
    fixture.mine(3).await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture.answer(&session, &commitment, &confirmed).await;
    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
    mined(
        fixture
            .devnet
            .registry_for(fixture.devnet.owner.clone())
            .removeCertifier(certifier.address()),
    )
    .await;
    let session = fixture.session(&ALL_FIELDS).await;
    let verdict = fixture.answer(&session, &commitment, &confirmed).await;
    assert_eq!(verdict.reasons, [Reason::UntrustedCertifier]);
}

#[tokio::test]
async fn a_contract_subject_signs_through_erc1271() {
    let fixture = Fixture::start().await;
    let owner = &fixture.devnet.subject;
    let commitment = commitment();
    let wallet = fixture.contract_wallet(&commitment).await;

    let session = fixture.session(&ALL_FIELDS).await;
    let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    submission.subject = wallet;
    resign(&mut submission, owner);
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
    assert_eq!(verdict.subject, Some(wallet));

    // The wallet refuses another key's signature.
    let session = fixture.session(&ALL_FIELDS).await;
    let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    submission.subject = wallet;
    resign(&mut submission, &PrivateKeySigner::random());
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::SignerMismatch]);

    // Garbage is put to the wallet too, which refuses it.
    submission.signature = Bytes::from(vec![1; 100]);
    let verdict = fixture.verify(&submission, &Policy::default()).await;
    assert_eq!(verdict.reasons, [Reason::BadSignature]);
}

/// Runtime code that answers any call with the 32-byte `word`.
fn answers_with(word: [u8; 32]) -> Bytes {
    // PUSH32 word, PUSH1 0, MSTORE, PUSH1 32, PUSH1 0, RETURN
    [&[0x7f][..], &word, &hex!("600052" "60206000f3")]
        .concat()
        .into()
}

/// Runtime code that loops `rounds` times (about 26 gas each), then answers the magic value.
fn costly_but_valid(rounds: u16) -> Bytes {
    let [high, low] = rounds.to_be_bytes();
    // PUSH2 rounds; JUMPDEST; PUSH1 1; SWAP1; SUB; DUP1; PUSH1 3; JUMPI; POP; then as answers_with.
    let lead = [
        0x61, high, low, 0x5b, 0x60, 0x01, 0x90, 0x03, 0x80, 0x60, 0x03, 0x57, 0x50,
    ];
    [&lead[..], &answers_with(MAGIC_WORD)].concat().into()
}

/// `isValidSignature.selector` as an ABI word.
const MAGIC_WORD: [u8; 32] = {
    let mut word = [0; 32];
    word[0] = 0x16;
    word[1] = 0x26;
    word[2] = 0xba;
    word[3] = 0x7e;
    word
};

#[tokio::test]
async fn odd_erc1271_subjects_are_bad_signatures_and_spoil_no_batch() {
    odd_erc1271_subjects(0).await;
}

/// A batch large enough to be parsed and checked on every core while the chain is
/// read: its ERC-1271 answers are asked for afterwards.
#[tokio::test]
async fn odd_erc1271_subjects_are_bad_signatures_in_a_large_batch() {
    odd_erc1271_subjects(100).await;
}

/// Six odd contract subjects and an honest answer in one batch, with `padding` more
/// unreadable submissions.
async fn odd_erc1271_subjects(padding: usize) {
    let (fixture, session, commitment) = attested().await;
    let mut dirty = MAGIC_WORD;
    dirty[31] = 1;
    let subjects: [(&str, Address, Option<Bytes>); 6] = [
        // The identity precompile echoes its calldata, selector first.
        (
            "identity precompile",
            address!("0x0000000000000000000000000000000000000004"),
            None,
        ),
        (
            "reverts",
            address!("0x00000000000000000000000000000000000012a1"),
            Some(hex!("60006000fd").into()),
        ),
        (
            "burns all gas",
            address!("0x00000000000000000000000000000000000012a2"),
            Some(hex!("5b600056").into()),
        ),
        (
            "magic, then dirty bytes",
            address!("0x00000000000000000000000000000000000012a3"),
            Some(answers_with(dirty)),
        ),
        (
            "over the gas allowance",
            address!("0x00000000000000000000000000000000000012a4"),
            Some(costly_but_valid(20_000)),
        ),
        (
            "within the gas allowance",
            address!("0x00000000000000000000000000000000000012a5"),
            Some(costly_but_valid(500)),
        ),
    ];
    let mut jsons = vec![to_json(&fixture.submission(
        &session,
        &commitment,
        &ALL_FIELDS,
    ))];
    for (_, subject, code) in &subjects {
        if let Some(code) = code {
            fixture.devnet.set_code(*subject, code.clone()).await;
        }
        let other = fixture.session(&ALL_FIELDS).await;
        let mut submission = fixture.submission(&other, &commitment, &ALL_FIELDS);
        submission.subject = *subject;
        // Not an ECDSA signature: only the contract could accept it.
        submission.signature = Bytes::from(vec![1; 100]);
        jsons.push(to_json(&submission));
    }
    jsons.extend(std::iter::repeat_n(b"garbage".to_vec(), padding));
    // One batch: the odd contracts are judged, the honest answer still approved.
    let verdicts = fixture
        .verifier
        .verify_many(&jsons, &Policy::default())
        .await
        .unwrap();
    assert_eq!(
        verdicts[0].outcome,
        Outcome::Approved,
        "{:?}",
        verdicts[0].reasons
    );
    for ((name, _, _), verdict) in subjects.iter().zip(&verdicts[1..]) {
        let signed = !verdict.reasons.contains(&Reason::BadSignature);
        assert_eq!(
            signed,
            *name == "within the gas allowance",
            "{name}: {:?}",
            verdict.reasons
        );
        assert!(verdict.reasons.contains(&Reason::NoAttestation), "{name}");
    }
}

#[tokio::test]
async fn many_submissions_are_verified_together_in_order() {
    let (fixture, session, commitment) = attested().await;
    let other = fixture.session(&ALL_FIELDS).await;
    let mut forged = fixture.submission(&other, &commitment, &ALL_FIELDS);
    forged.signature = sign(&fixture.devnet.certifier, forged.signing_hash());
    let jsons = vec![
        to_json(&fixture.submission(&session, &commitment, &ALL_FIELDS)),
        b"garbage".to_vec(),
        to_json(&forged),
    ];
    let verdicts = fixture
        .verifier
        .verify_many(&jsons, &Policy::default())
        .await
        .unwrap();
    let reasons: Vec<_> = verdicts
        .iter()
        .map(|verdict| verdict.reasons.clone())
        .collect();
    assert_eq!(
        reasons,
        [
            vec![],
            vec![Reason::Malformed],
            vec![Reason::SignerMismatch]
        ]
    );
}

#[tokio::test]
async fn a_parsed_submission_gets_the_same_verdict() {
    let (fixture, session, commitment) = attested().await;
    let submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
    let verdict = fixture
        .verifier
        .verify_submission(&submission, &Policy::default())
        .await
        .unwrap();
    assert_eq!(verdict.outcome, Outcome::Approved, "{:?}", verdict.reasons);
    let again = fixture.verify(&submission, &Policy::default()).await;
    assert_eq!(again.reasons, [Reason::RegistrationUsed]);
}

#[tokio::test]
async fn a_verifier_refuses_an_address_without_a_registry() {
    let fixture = Fixture::start().await;
    let (store, _dir) = sqlite_store().await;
    let nowhere = address!("0x000000000000000000000000000000000000dEaD");
    let error = kyc_verifier::Verifier::connect(&fixture.devnet.anvil.endpoint(), nowhere, store)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("no registry contract at 0x000000000000000000000000000000000000dEaD"),
        "{error}"
    );
    let (store, _dir) = sqlite_store().await;
    let error = kyc_verifier::Verifier::connect("not a url", nowhere, store)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rpc_unavailable");
}

#[tokio::test]
async fn a_large_batch_keeps_the_order_of_its_submissions() {
    let (fixture, session, commitment) = attested().await;
    let mut jsons = Vec::new();
    let mut expected = Vec::new();
    for i in 0u8..100 {
        let mut submission = fixture.submission(&session, &commitment, &ALL_FIELDS);
        submission.registration_id = B256::repeat_byte(i);
        match i % 3 {
            0 => {
                jsons.push(format!("garbage {i}").into_bytes());
                expected.push((None, vec![Reason::Malformed]));
                continue;
            }
            1 => resign(&mut submission, &fixture.devnet.subject),
            _ => resign(&mut submission, &fixture.devnet.certifier),
        }
        let mut reasons = vec![Reason::UnknownRegistration];
        if i % 3 == 2 {
            reasons.insert(0, Reason::SignerMismatch);
        }
        expected.push((Some(submission.registration_id), reasons));
        jsons.push(to_json(&submission));
    }
    let verdicts = fixture
        .verifier
        .verify_many(&jsons, &Policy::default())
        .await
        .unwrap();
    let got: Vec<_> = verdicts
        .into_iter()
        .map(|verdict| (verdict.registration_id, verdict.reasons))
        .collect();
    assert_eq!(got, expected);
}
