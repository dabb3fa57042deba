//! Attesting 500 requests through `attestBatch` on anvil: wall time per batch, and the gas
//! per attestation (printed once per configuration).
//!
//! `cargo bench -p kyc-certifier --bench attest_batch`
#![allow(clippy::unwrap_used)] // A benchmark: a failure is a broken environment.

use std::time::{Duration, Instant};

use alloy::{
    network::EthereumWallet,
    node_bindings::{Anvil, AnvilInstance},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use criterion::{criterion_main, Criterion};
use kyc_certifier::{
    attest::{attest_batch, AttestOptions, BatchSummary, Item, Journal, Outcome},
    governance::{add_certifier, deploy_registry},
    Chain,
};
use kyc_core::{
    evidence::Evidence,
    files::{FormatVersion, Request},
};
use kyc_test_utils::{anvil_path, commitment, sign};

const BATCH: usize = 500;

/// Outcomes are only counted: the credentials are not the point here.
struct Count(usize);

impl Journal<usize> for Count {
    async fn record(&mut self, _: &usize, outcome: Outcome) -> kyc_certifier::Result<()> {
        if matches!(outcome, Outcome::Attested(_)) {
            self.0 += 1;
        }
        Ok(())
    }
}

fn provider(anvil: &AnvilInstance, signer: &PrivateKeySigner) -> DynProvider {
    ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(anvil.endpoint_url())
        .erased()
}

/// A fresh chain with a registry and a certifier, and 500 signed requests for it.
async fn setup(block_time: Option<u64>) -> (AnvilInstance, Chain, Vec<Item<usize>>) {
    let mut anvil = Anvil::at(anvil_path());
    if let Some(secs) = block_time {
        anvil = anvil.block_time(secs);
    }
    let anvil = anvil.try_spawn().unwrap();
    let owner = PrivateKeySigner::from(anvil.keys()[0].clone());
    let certifier = PrivateKeySigner::from(anvil.keys()[2].clone());
    let registry = deploy_registry(&provider(&anvil, &owner), owner.address())
        .await
        .unwrap();
    let as_owner = Chain::connect(provider(&anvil, &owner), registry, owner.address())
        .await
        .unwrap();
    add_certifier(&as_owner, certifier.address(), "Bench Body")
        .await
        .unwrap();
    let chain = Chain::connect(provider(&anvil, &certifier), registry, certifier.address())
        .await
        .unwrap();
    let deadline = chain.now().await.unwrap() + 3600;
    let items = (0..BATCH)
        .map(|key| {
            let subject = PrivateKeySigner::random();
            let commitment = commitment(&[
                ("given_name", "Taro"),
                ("family_name", "Yamada"),
                ("birthdate", "1990-01-31"),
                ("document.number", &format!("TK{key:07}")),
            ]);
            let mut request = Request {
                version: FormatVersion,
                chain_id: chain.chain_id(),
                registry,
                subject: subject.address(),
                certifier: certifier.address(),
                claims: commitment.claims().to_vec(),
                root: commitment.root(),
                nonce: 0,
                deadline,
                signature: Default::default(),
            };
            request.signature = sign(&subject, request.signing_hash());
            Item { key, request }
        })
        .collect();
    (anvil, chain, items)
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let options = AttestOptions::new(
        Evidence::from_names(["document", "face"]).unwrap(),
        Duration::from_secs(365 * 86_400),
    );
    let mut group = c.benchmark_group("attest_batch_500");
    group.sample_size(10);
    for (name, block_time) in [("automine", None), ("block_time_1s", Some(1))] {
        let mut reported = false;
        group.bench_function(name, |b| {
            b.iter_custom(|iterations| {
                let mut total = Duration::ZERO;
                for _ in 0..iterations {
                    let (anvil, chain, items) = runtime.block_on(setup(block_time));
                    let mut count = Count(0);
                    let started = Instant::now();
                    let summary: BatchSummary = runtime
                        .block_on(attest_batch(&chain, items, &options, &mut count))
                        .unwrap();
                    total += started.elapsed();
                    assert_eq!((summary.attested, count.0), (BATCH, BATCH));
                    if !reported {
                        reported = true;
                        eprintln!(
                            "\n{name}: {} transactions, {} gas, {} gas per attestation",
                            summary.transactions,
                            summary.gas_used,
                            summary.gas_used / BATCH as u64
                        );
                    }
                    drop(anvil);
                }
                total
            });
        });
    }
    group.finish();
}

/// The generated entry points carry no docs.
mod entry {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(benches, super::bench);
}

criterion_main!(entry::benches);
