//! The batch engine: chunks, several transactions in flight, refusals isolated, reruns
//! that recognise what is already on chain.

use std::{collections::HashMap, future::Future};

use alloy::{
    providers::{DynProvider, Provider},
    signers::local::PrivateKeySigner,
};
use kyc_certifier::{
    attest::{attest_batch, AttestOptions, Disposition, Item, Journal, Outcome},
    Error,
};
use kyc_contracts::KycRegistry;
use kyc_core::{attestation::Status, files::Request};

use crate::fixtures::{options, person, sign, Fixture};

/// A journal that keeps every outcome in memory.
#[derive(Default)]
pub(crate) struct Collect {
    pub(crate) outcomes: HashMap<usize, Outcome>,
}

impl Journal<usize> for Collect {
    async fn record(&mut self, key: &usize, outcome: Outcome) -> kyc_certifier::Result<()> {
        assert!(
            self.outcomes.insert(*key, outcome).is_none(),
            "one outcome per request"
        );
        Ok(())
    }
}

async fn requests(fixture: &Fixture, count: usize) -> Vec<Item<usize>> {
    let mut items = Vec::new();
    for key in 0..count {
        let request = fixture
            .request(&PrivateKeySigner::random(), &person("Yamada", "TK1"))
            .await;
        items.push(Item { key, request });
    }
    items
}

/// Whether anvil mines each transaction as it comes.
async fn automine(fixture: &Fixture, on: bool) {
    let _: serde_json::Value = fixture
        .provider(&fixture.owner)
        .raw_request("evm_setAutomine".into(), (on,))
        .await
        .unwrap();
}

/// With automatic mining off: waits until our attestBatch is in the pool, sends `ahead`,
/// mines one block and mines automatically again.
async fn land_ahead_of_our_batch(fixture: &Fixture, ahead: impl Future<Output = ()>) {
    let owner = fixture.provider(&fixture.owner);
    let me = fixture.certifier.address();
    while owner.get_transaction_count(me).pending().await.unwrap()
        == owner.get_transaction_count(me).latest().await.unwrap()
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    ahead.await;
    let _: serde_json::Value = owner.raw_request("evm_mine".into(), ()).await.unwrap();
    automine(fixture, true).await;
}

/// Sends `call` with a tip high enough to be mined before our transactions.
async fn high_tip<D: alloy::contract::CallDecoder>(
    call: alloy::contract::CallBuilder<&DynProvider, D>,
) {
    let _pending = call
        .max_priority_fee_per_gas(100_000_000_000)
        .max_fee_per_gas(200_000_000_000)
        .send()
        .await
        .unwrap();
}

fn small_chunks() -> AttestOptions {
    AttestOptions {
        chunk_size: 7,
        in_flight: 3,
        ..options()
    }
}

#[tokio::test]
async fn a_batch_goes_out_in_chunks_and_a_rerun_sends_nothing() {
    let fixture = Fixture::start().await;
    let items = requests(&fixture, 30).await;
    let mut first = Collect::default();
    let summary = attest_batch(&fixture.chain, items.clone(), &small_chunks(), &mut first)
        .await
        .unwrap();
    assert_eq!(
        (summary.attested, summary.failed, summary.transactions),
        (30, 0, 5)
    );
    assert!(summary.gas_used > 0);

    let me = fixture.certifier.address();
    for item in &items {
        let pair = fixture.chain.pair(item.request.subject, me).await.unwrap();
        assert_eq!(
            (pair.attestation.root, pair.attestation.status, pair.nonce),
            (item.request.root, Status::Active, 1)
        );
    }

    let mut second = Collect::default();
    let summary = attest_batch(&fixture.chain, items.clone(), &small_chunks(), &mut second)
        .await
        .unwrap();
    assert_eq!(
        (
            summary.attested,
            summary.already_on_chain,
            summary.transactions
        ),
        (0, 30, 0)
    );
    for key in 0..30 {
        let (Some(Outcome::Attested(before)), Some(Outcome::Attested(after))) =
            (first.outcomes.get(&key), second.outcomes.get(&key))
        else {
            panic!("request {key} attested in both runs");
        };
        assert!(after.already_on_chain);
        assert_eq!(
            before.credential, after.credential,
            "the same credential, original transaction"
        );
    }
}

#[tokio::test]
async fn a_refused_request_is_isolated_and_the_rest_attested() {
    let fixture = Fixture::start().await;
    let mut items = requests(&fixture, 9).await;
    // Signed by someone else: passes no check, but the engine is asked directly.
    let forged: &mut Request = &mut items[4].request;
    forged.signature = sign(&PrivateKeySigner::random(), forged.signing_hash());
    let mut journal = Collect::default();
    let summary = attest_batch(&fixture.chain, items, &options(), &mut journal)
        .await
        .unwrap();
    assert_eq!((summary.attested, summary.failed), (8, 1));
    let Some(Outcome::Failed(failure)) = journal.outcomes.get(&4) else {
        panic!("the forged request fails");
    };
    assert_eq!(failure.disposition, Disposition::Retry);
    assert!(
        failure.reason.contains("the signature is not")
            && failure.reason.contains("registry refused"),
        "{}",
        failure.reason
    );
}

#[tokio::test]
async fn chunks_shrink_to_fit_the_block() {
    // A 3,000,000 gas block: a transaction may use 1,500,000, fewer than 40 attestations.
    let fixture = Fixture::with_anvil(|anvil| anvil.args(["--gas-limit", "3000000"])).await;
    let items = requests(&fixture, 40).await;
    let mut journal = Collect::default();
    let options = AttestOptions {
        chunk_size: 40,
        ..options()
    };
    let summary = attest_batch(&fixture.chain, items, &options, &mut journal)
        .await
        .unwrap();
    assert_eq!((summary.attested, summary.failed), (40, 0));
    assert!(summary.transactions >= 2, "{summary:?}");
}

#[tokio::test]
async fn two_requests_of_one_subject_in_one_run() {
    let fixture = Fixture::start().await;
    let subject = PrivateKeySigner::random();
    let items = vec![
        Item {
            key: 0,
            request: fixture.request(&subject, &person("Yamada", "TK1")).await,
        },
        Item {
            key: 1,
            request: fixture.request(&subject, &person("Yamada", "TK2")).await,
        },
    ];
    let mut journal = Collect::default();
    let summary = attest_batch(&fixture.chain, items, &options(), &mut journal)
        .await
        .unwrap();
    assert_eq!((summary.attested, summary.failed), (1, 1));
    let Some(Outcome::Failed(failure)) = journal.outcomes.get(&1) else {
        panic!("the second request fails");
    };
    assert!(failure.reason.contains("another request of"));
}

#[tokio::test]
async fn bad_options_are_refused() {
    let fixture = Fixture::start().await;
    let mut journal = Collect::default();
    for options in [
        AttestOptions {
            chunk_size: 0,
            ..options()
        },
        AttestOptions {
            in_flight: 0,
            ..options()
        },
        AttestOptions {
            valid_for: std::time::Duration::ZERO,
            ..options()
        },
    ] {
        let error = attest_batch(&fixture.chain, Vec::new(), &options, &mut journal)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidOption { .. }), "{error}");
    }
}

#[tokio::test]
async fn a_chunk_that_reverts_once_mined_is_simulated_again_and_left_pending() {
    let fixture = Fixture::start().await;
    let items = requests(&fixture, 3).await;
    let owner = fixture.provider(&fixture.owner);
    // While our attestBatch waits in the pool, the owner removes us with a higher tip,
    // so the batch is mined after the removal and reverts.
    let me = fixture.certifier.address();
    let registry = KycRegistry::new(fixture.registry, owner.clone());
    automine(&fixture, false).await;
    let race = land_ahead_of_our_batch(&fixture, high_tip(registry.removeCertifier(me)));
    let (mut journal, options) = (Collect::default(), options());
    let attest = attest_batch(&fixture.chain, items, &options, &mut journal);
    let (summary, ()) = tokio::join!(attest, race);
    let summary = summary.unwrap();
    assert_eq!(
        (summary.attested, summary.failed, summary.transactions),
        (0, 3, 0)
    );
    for key in 0..3 {
        let Some(Outcome::Failed(failure)) = journal.outcomes.get(&key) else {
            panic!("request {key} fails");
        };
        assert_eq!(failure.disposition, Disposition::Retry);
        assert!(
            failure.reason.contains("is not a current certifier"),
            "{}",
            failure.reason
        );
    }
    let block = owner
        .get_block_by_number(Default::default())
        .await
        .unwrap()
        .unwrap();
    let receipts = owner
        .get_block_receipts(block.header.number.into())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(receipts.len(), 2);
    assert!(
        receipts[0].status() && !receipts[1].status(),
        "the removal first, then our batch reverted"
    );
}

#[tokio::test]
async fn an_unmined_batch_is_left_pending_and_recognised_once_mined() {
    let fixture = Fixture::start().await;
    let items = requests(&fixture, 2).await;
    let owner = fixture.provider(&fixture.owner);
    automine(&fixture, false).await;
    let impatient = fixture
        .connect_as(&fixture.certifier)
        .await
        .with_confirm_timeout(std::time::Duration::from_secs(1));
    let mut first = Collect::default();
    let summary = attest_batch(&impatient, items.clone(), &options(), &mut first)
        .await
        .unwrap();
    assert_eq!((summary.attested, summary.failed), (0, 2));
    let Some(Outcome::Failed(failure)) = first.outcomes.get(&0) else {
        panic!("not confirmed");
    };
    assert_eq!(failure.disposition, Disposition::Retry);
    assert!(
        failure.reason.contains("not confirmed within 1s"),
        "{}",
        failure.reason
    );

    let _: serde_json::Value = owner.raw_request("evm_mine".into(), ()).await.unwrap();
    let mut second = Collect::default();
    let summary = attest_batch(&impatient, items, &options(), &mut second)
        .await
        .unwrap();
    assert_eq!((summary.already_on_chain, summary.transactions), (2, 0));
}

#[tokio::test]
async fn confirmations_wait_for_later_blocks() {
    let fixture = Fixture::with_anvil(|anvil| anvil.block_time(1)).await;
    let error = fixture
        .connect_as(&fixture.certifier)
        .await
        .with_confirmations(0)
        .unwrap_err();
    assert!(matches!(error, Error::InvalidOption { .. }), "{error}");
    let careful = fixture
        .connect_as(&fixture.certifier)
        .await
        .with_confirmations(2)
        .unwrap();
    let mut journal = Collect::default();
    attest_batch(
        &careful,
        requests(&fixture, 1).await,
        &options(),
        &mut journal,
    )
    .await
    .unwrap();
    let Some(Outcome::Attested(attested)) = journal.outcomes.get(&0) else {
        panic!("attested");
    };
    let latest = fixture.chain.provider().get_block_number().await.unwrap();
    assert!(
        latest > attested.credential.block_number,
        "a block after the one that holds it"
    );
}

/// Runtime code of a contract wallet that says yes to any signature when asked off chain
/// (a call or a gas estimate, where the gas price is zero) and reverts when a mined
/// transaction asks: `if (tx.gasprice != 0) revert(); return 0x1626ba7e;`.
const TWO_FACED_WALLET: [u8; 26] = alloy::primitives::hex!(
    "3a15600957600080fd5b" // if iszero(gasprice) jump over revert(0, 0)
    "631626ba7e60e01b60005260206000f3" // mstore(0, magic << 224) return(0, 32)
);

/// A request that passes its simulation but that the chain refuses does not hold back
/// its chunk: the chunk is halved down to it, the others are attested, and it fails with
/// the registry's error read from its own transaction.
#[tokio::test]
async fn a_request_refused_only_on_chain_is_isolated_and_the_rest_attested() {
    let fixture = Fixture::start().await;
    let mut items = requests(&fixture, 5).await;
    let wallet = alloy::primitives::Address::repeat_byte(0x2f);
    let _: () = fixture
        .provider(&fixture.owner)
        .raw_request(
            "anvil_setCode".into(),
            (wallet, alloy::primitives::Bytes::from(TWO_FACED_WALLET)),
        )
        .await
        .unwrap();
    items[3].request.subject = wallet;

    let mut journal = Collect::default();
    let summary = attest_batch(&fixture.chain, items, &options(), &mut journal)
        .await
        .unwrap();
    assert_eq!((summary.attested, summary.failed), (4, 1));
    let Some(Outcome::Failed(failure)) = journal.outcomes.get(&3) else {
        panic!("the wallet's request fails");
    };
    assert_eq!(failure.disposition, Disposition::Retry);
    assert!(
        failure
            .reason
            .contains(&format!("the signature is not {wallet}'s")),
        "{}",
        failure.reason
    );
    let registry = fixture.chain.registry();
    let nonce = registry
        .nonces(wallet, fixture.certifier.address())
        .call()
        .await
        .unwrap();
    assert_eq!(nonce, 0, "nothing recorded for the wallet");
}

/// A subject's direct withdrawal that lands before our batch (a higher tip) uses up the
/// nonce its request was signed with: that request fails with the registry's error and
/// the rest of its chunk is attested.
#[tokio::test]
async fn a_withdrawal_that_lands_first_fails_only_its_request() {
    let fixture = Fixture::start().await;
    let subject = PrivateKeySigner::from(fixture.anvil.keys()[5].clone());
    let first = fixture.request(&subject, &person("Yamada", "TK1")).await;
    crate::fixtures::attest_one(&fixture.chain, first).await;
    let mut items = requests(&fixture, 3).await;
    items[1].request = fixture.request(&subject, &person("Yamada", "TK1")).await;
    let me = fixture.certifier.address();
    let registry = KycRegistry::new(fixture.registry, fixture.provider(&subject));
    automine(&fixture, false).await;
    let race = land_ahead_of_our_batch(&fixture, high_tip(registry.withdraw(me)));
    let (mut journal, options) = (Collect::default(), options());
    let attest = attest_batch(&fixture.chain, items, &options, &mut journal);
    let (summary, ()) = tokio::join!(attest, race);
    let summary = summary.unwrap();
    assert_eq!((summary.attested, summary.failed), (2, 1));
    let Some(Outcome::Failed(failure)) = journal.outcomes.get(&1) else {
        panic!("the withdrawn subject's request fails");
    };
    assert!(
        failure
            .reason
            .contains(&format!("the signature is not {}'s", subject.address())),
        "{}",
        failure.reason
    );
    let pair = fixture.chain.pair(subject.address(), me).await.unwrap();
    assert_eq!(pair.attestation.status, Status::Withdrawn);
}
