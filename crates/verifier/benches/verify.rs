//! Verification throughput.
//!
//! - `offline`: what needs neither chain nor store: parse, canonical checks, leaf
//!   hashes and root, EIP-712 digest, public-key recovery. Per core.
//! - `chain`: whole verifications against a local anvil, one at a time and 100 per
//!   batch (sessions unknown, so the store is only read).
//! - `store_and_chain`: 2,000 distinct people answering 2,000 open sessions, verified
//!   together against a local anvil and a SQLite file, all approved: every session is
//!   read, used up and its verdict stored.
#![allow(missing_docs, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, Ordering};

use alloy::{
    primitives::{Bytes, B256},
    signers::local::PrivateKeySigner,
};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use kyc_core::{
    commitment::Commitment,
    files::{FormatVersion, Submission},
    signature::recover_signer,
};
use kyc_test_utils::{sign, unix_now, Devnet};
use kyc_verifier::{
    inspect::inspect,
    store::{database_key, SqliteStore},
    Policy, SessionRequest, Verifier,
};

const BATCH: usize = 100;

/// Distinct registration IDs, so no verification repeats another.
fn next_registration_id() -> B256 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    B256::left_padding_from(&NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes())
}

fn commitment() -> Commitment {
    kyc_test_utils::commitment(&[
        ("given_name", "Taro"),
        ("family_name", "Yamada"),
        ("birthdate", "1990-01-31"),
        ("nationality", "JP"),
        ("address.country", "JP"),
        ("document.type", "passport"),
        ("document.number", "TR1234567"),
        ("email", "taro@example.jp"),
    ])
}

/// A submission disclosing three of eight claims, signed by `signer`.
fn submission(
    signer: &PrivateKeySigner,
    commitment: &Commitment,
    chain_id: u64,
    registry: alloy::primitives::Address,
) -> Submission {
    let fields = ["birthdate", "family_name", "given_name"].map(String::from);
    let mut submission = Submission {
        version: FormatVersion,
        registration_id: next_registration_id(),
        service: "https://bank.example".to_owned(),
        chain_id,
        registry,
        subject: signer.address(),
        certifier: alloy::primitives::Address::repeat_byte(2),
        root: commitment.root(),
        leaves: commitment.disclose(&fields).unwrap(),
        signed_at: unix_now(),
        signature: Bytes::new(),
    };
    submission.signature = sign(signer, submission.signing_hash());
    submission
}

fn offline(c: &mut Criterion) {
    let commitment = commitment();
    let jsons: Vec<Vec<u8>> = (0..256)
        .map(|_| {
            let signer = PrivateKeySigner::random();
            serde_json::to_vec(&submission(
                &signer,
                &commitment,
                1,
                alloy::primitives::Address::repeat_byte(1),
            ))
            .unwrap()
        })
        .collect();
    let mut group = c.benchmark_group("offline");
    group.throughput(Throughput::Elements(1));
    let mut next = jsons.iter().cycle();
    group.bench_function("inspect", |b| {
        b.iter(|| {
            let inspection = inspect(next.next().unwrap());
            assert!(inspection.reasons.is_empty() && inspection.signed_by_subject_key());
        })
    });
    let signatures: Vec<(B256, Bytes)> = jsons
        .iter()
        .map(|json| {
            let submission: Submission = serde_json::from_slice(json).unwrap();
            (submission.signing_hash(), submission.signature)
        })
        .collect();
    let mut next = signatures.iter().cycle();
    group.bench_function("recover_signer", |b| {
        b.iter(|| {
            let (digest, signature) = next.next().unwrap();
            recover_signer(*digest, signature).unwrap()
        })
    });
    group.finish();
}

fn chain(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (devnet, verifier) = runtime.block_on(async {
        let devnet = Devnet::start().await;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = SqliteStore::connect(&url, database_key(&url, None).unwrap())
            .await
            .unwrap();
        let verifier = Verifier::connect(&devnet.anvil.endpoint(), devnet.registry, store)
            .await
            .unwrap();
        (devnet, verifier)
    });
    let commitment = commitment();
    runtime.block_on(devnet.attest(commitment.root(), 1, 86_400));
    let make = |count: usize| -> Vec<Vec<u8>> {
        (0..count)
            .map(|_| {
                let mut submission = submission(
                    &devnet.subject,
                    &commitment,
                    devnet.chain_id(),
                    devnet.registry,
                );
                submission.certifier = devnet.certifier.address();
                submission.signature = sign(&devnet.subject, submission.signing_hash());
                serde_json::to_vec(&submission).unwrap()
            })
            .collect()
    };
    let policy = Policy::default();

    let mut group = c.benchmark_group("chain");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_one", |b| {
        b.iter_batched(
            || make(1),
            |jsons| {
                runtime
                    .block_on(verifier.verify(&jsons[0], &policy))
                    .unwrap()
            },
            BatchSize::SmallInput,
        )
    });
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("verify_many_100", |b| {
        b.iter_batched(
            || make(BATCH),
            |jsons| {
                let verdicts = runtime
                    .block_on(verifier.verify_many(&jsons, &policy))
                    .unwrap();
                assert!(verdicts.iter().all(|verdict| verdict.attestation.is_some()));
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

/// Distinct people answering as many sessions in one `verify_many`.
const PEOPLE: usize = 2_000;

fn store_and_chain(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (devnet, verifier, people) = runtime.block_on(async {
        let devnet = Devnet::start().await;
        let people = devnet.attest_people(PEOPLE).await;
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = SqliteStore::connect(&url, database_key(&url, None).unwrap())
            .await
            .unwrap();
        let verifier = Verifier::connect(&devnet.anvil.endpoint(), devnet.registry, store)
            .await
            .unwrap();
        (devnet, verifier, people)
    });
    let fields = ["birthdate", "given_name"].map(String::from).to_vec();
    // Fresh sessions and answers for every sample: a used session would be refused.
    let answers = || -> Vec<Vec<u8>> {
        runtime.block_on(async {
            let mut answers = Vec::with_capacity(PEOPLE);
            for person in &people {
                let request = SessionRequest::new("https://bank.example", fields.clone());
                let session = verifier.open_session(request).await.unwrap();
                let answer = person.answer(&session.uri(), devnet.certifier.address());
                answers.push(serde_json::to_vec(&answer).unwrap());
            }
            answers
        })
    };
    let policy = Policy::default();
    let mut group = c.benchmark_group("store_and_chain");
    group.sample_size(10);
    group.throughput(Throughput::Elements(PEOPLE as u64));
    group.bench_function("verify_many_2000", |b| {
        b.iter_batched(
            answers,
            |answers| {
                let verdicts = runtime
                    .block_on(verifier.verify_many(&answers, &policy))
                    .unwrap();
                assert!(verdicts.iter().all(|verdict| verdict.is_approved()));
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, offline, chain, store_and_chain);
criterion_main!(benches);
