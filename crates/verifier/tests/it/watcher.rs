//! The registry watcher on a real anvil chain: every change of a customer's status
//! becomes an event in the outbox; reorganisations are corrected, outages are waited
//! out, logs are read in ranges, and the cursor survives a restart.

use std::time::Duration;

use alloy::{
    primitives::{Address, B256, U256},
    providers::Provider,
};
use kyc_test_utils::unix_now;
use kyc_verifier::{
    customers::CustomerStatus,
    events::{Event, EventType},
    outbox::DeliveryStatus,
    watcher::{Pass, WatchOptions, Watcher},
    Policy, Store,
};
use tokio::{
    io::copy_bidirectional,
    net::{TcpListener, TcpStream},
    sync::watch,
};

use crate::fixtures::{evidence, fields, Fixture};

const OPTIONS: WatchOptions = WatchOptions {
    reorg_depth: 4,
    max_log_range: 2,
};

/// One pass that reads the chain; the events it recorded.
async fn pass<S: Store>(watcher: &mut Watcher<S>) -> Vec<Event> {
    match watcher.pass().await.unwrap() {
        Pass::Watched { events, .. } => events,
        Pass::Standby => panic!("the only watcher is on standby"),
    }
}

fn kinds(events: &[Event]) -> Vec<EventType> {
    events.iter().map(|event| event.kind).collect()
}

impl<S: Store + Clone> Fixture<S> {
    /// The subject, attested with fresh claims valid for `valid_for` seconds, answers
    /// a new session and is approved: a customer.
    async fn approved_customer(&self, valid_for: u64) -> B256 {
        let commitment = crate::fixtures::commitment();
        self.devnet
            .attest(commitment.root(), evidence("document").bits(), valid_for)
            .await;
        let session = self.session(&["given_name"]).await;
        let verdict = self.answer(&session, &commitment, &Policy::default()).await;
        assert!(verdict.is_approved(), "{verdict:?}");
        commitment.root()
    }

    async fn status(&self) -> CustomerStatus {
        let subject = self.devnet.subject.address();
        let customer = self.verifier.store().customer(subject).await.unwrap();
        customer.unwrap().status
    }
}

#[tokio::test]
async fn a_revocation_is_an_event_and_a_reorg_that_undoes_it_reinstates() {
    let fixture = Fixture::start().await;
    let root = fixture.approved_customer(365 * 86_400).await;
    let subject = fixture.devnet.subject.address();
    let store = fixture.verifier.store();
    let customer = store.customer(subject).await.unwrap().unwrap();
    assert_eq!(
        (customer.status, customer.root, customer.certifier),
        (
            CustomerStatus::Active,
            root,
            fixture.devnet.certifier.address()
        )
    );
    let outbox = store.deliveries(None, 10).await.unwrap();
    assert_eq!(outbox.len(), 1);
    assert_eq!(
        (outbox[0].kind, outbox[0].status),
        (EventType::SessionApproved, DeliveryStatus::Pending)
    );

    let mut watcher = fixture.verifier.watcher(OPTIONS);
    assert!(pass(&mut watcher).await.is_empty());
    let provider = fixture.devnet.provider(fixture.devnet.owner.clone());
    let snapshot: U256 = provider
        .raw_request("evm_snapshot".into(), ())
        .await
        .unwrap();
    let receipt = fixture.devnet.revoke("document reported stolen").await;
    let events = pass(&mut watcher).await;
    assert_eq!(kinds(&events), [EventType::CustomerRevoked]);
    let data = &events[0].data;
    assert_eq!(data.transaction, Some(receipt.transaction_hash));
    assert_eq!(data.block, receipt.block_number);
    assert_eq!((data.subject, data.root), (Some(subject), Some(root)));
    assert_eq!(fixture.status().await, CustomerStatus::Revoked);
    // The same blocks read again change nothing.
    assert!(pass(&mut watcher).await.is_empty());

    // The block with the revocation is dropped, and the chain grows past it.
    let reverted: bool = provider
        .raw_request("evm_revert".into(), (snapshot,))
        .await
        .unwrap();
    assert!(reverted);
    fixture.mine(3).await;
    let events = pass(&mut watcher).await;
    assert_eq!(kinds(&events), [EventType::CustomerReinstated]);
    assert_eq!(fixture.status().await, CustomerStatus::Active);

    let recorded: Vec<EventType> = store
        .deliveries(None, 10)
        .await
        .unwrap()
        .iter()
        .map(|delivery| delivery.kind)
        .collect();
    assert_eq!(
        recorded,
        [
            EventType::CustomerReinstated,
            EventType::CustomerRevoked,
            EventType::SessionApproved
        ]
    );
}

#[tokio::test]
async fn every_change_of_status_is_one_event() {
    let fixture = Fixture::start().await;
    let mut watcher = fixture.verifier.watcher(OPTIONS);
    fixture.approved_customer(365 * 86_400).await;
    assert!(pass(&mut watcher).await.is_empty());
    let (subject, certifier) = (
        fixture.devnet.subject.address(),
        fixture.devnet.certifier.address(),
    );
    let governance = fixture.devnet.registry_for(fixture.devnet.owner.clone());
    let removal = governance.removeCertifier(certifier);
    crate::fixtures::mined(removal).await;
    assert_eq!(
        kinds(&pass(&mut watcher).await),
        [EventType::CustomerCertifierRemoved]
    );
    let added = governance.addCertifier(certifier, "Back Again".to_owned());
    crate::fixtures::mined(added).await;
    assert_eq!(
        kinds(&pass(&mut watcher).await),
        [EventType::CustomerReinstated]
    );
    let as_subject = fixture.devnet.registry_for(fixture.devnet.subject.clone());
    crate::fixtures::mined(as_subject.withdraw(certifier)).await;
    assert_eq!(
        kinds(&pass(&mut watcher).await),
        [EventType::CustomerWithdrawn]
    );
    assert_eq!(fixture.status().await, CustomerStatus::Withdrawn);
    // Another root attested after the withdrawal: the verified claims are not it.
    fixture
        .devnet
        .attest(B256::repeat_byte(9), evidence("document").bits(), 86_400)
        .await;
    assert_eq!(
        kinds(&pass(&mut watcher).await),
        [EventType::CustomerReattested]
    );

    // Verified again, with an attestation that lapses in a few seconds.
    let valid_for = 4;
    fixture.approved_customer(valid_for).await;
    assert_eq!(fixture.status().await, CustomerStatus::Active);
    let expires_at = fixture
        .verifier
        .store()
        .customer(subject)
        .await
        .unwrap()
        .unwrap()
        .expires_at;
    assert!(pass(&mut watcher).await.is_empty());
    tokio::time::sleep(Duration::from_secs(
        expires_at.saturating_sub(unix_now()) + 1,
    ))
    .await;
    let events = pass(&mut watcher).await;
    assert_eq!(kinds(&events), [EventType::CustomerExpired]);
    assert_eq!(events[0].data.transaction, None);
    assert_eq!(fixture.status().await, CustomerStatus::Expired);
}

#[tokio::test]
async fn an_outage_changes_nothing_and_the_watcher_catches_up_in_ranges() {
    let fixture = Fixture::start().await;
    let (proxy, online) = proxy_to(&fixture.devnet.anvil.endpoint()).await;
    let (store, _dir) = crate::fixtures::sqlite_store().await;
    let verifier = kyc_verifier::Verifier::connect(&proxy, fixture.devnet.registry, store.clone())
        .await
        .unwrap();
    let commitment = crate::fixtures::commitment();
    fixture
        .devnet
        .attest(commitment.root(), evidence("document").bits(), 86_400)
        .await;
    let session = verifier
        .open_session(kyc_verifier::SessionRequest::new(
            crate::fixtures::SERVICE,
            fields(&["given_name"]),
        ))
        .await
        .unwrap();
    let submission = fixture.submission(&session, &commitment, &["given_name"]);
    let verdict = verifier
        .verify(&crate::fixtures::to_json(&submission), &Policy::default())
        .await
        .unwrap();
    assert!(verdict.is_approved(), "{verdict:?}");
    let mut watcher = verifier.watcher(OPTIONS);
    assert!(pass(&mut watcher).await.is_empty());
    let cursor = store.watcher_cursor().await.unwrap();

    online.send_replace(false);
    let subject = fixture.devnet.subject.address();
    fixture.devnet.revoke("expired documents").await;
    fixture.mine(9).await;
    for _ in 0..2 {
        let failed = watcher.pass().await;
        assert!(
            matches!(failed, Err(kyc_verifier::Error::Rpc(_))),
            "{failed:?}"
        );
    }
    let customer = store.customer(subject).await.unwrap().unwrap();
    assert_eq!(customer.status, CustomerStatus::Active);
    assert_eq!(store.watcher_cursor().await.unwrap(), cursor);
    assert_eq!(store.deliveries(None, 10).await.unwrap().len(), 1);

    online.send_replace(true);
    let events = pass(&mut watcher).await;
    assert_eq!(kinds(&events), [EventType::CustomerRevoked]);
    assert!(store.watcher_cursor().await.unwrap() > cursor);

    // A restarted watcher goes on from the stored cursor: nothing is reported twice.
    let mut restarted = verifier.watcher(OPTIONS);
    assert!(pass(&mut restarted).await.is_empty());
    assert_eq!(store.deliveries(None, 10).await.unwrap().len(), 2);
}

/// A loopback TCP proxy to the JSON-RPC endpoint `target`, cut (open connections too)
/// while the switch is `false`.
async fn proxy_to(target: &str) -> (String, watch::Sender<bool>) {
    let target = target.trim_start_matches("http://").to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (online, _) = watch::channel(true);
    let switch = online.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let mut up = switch.subscribe();
            if !*up.borrow() {
                continue;
            }
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(mut server) = TcpStream::connect(&target).await else {
                    return;
                };
                tokio::select! {
                    _ = copy_bidirectional(&mut client, &mut server) => {}
                    _ = up.wait_for(|online| !*online) => {}
                }
            });
        }
    });
    (url, online)
}

#[tokio::test]
async fn customers_of_other_subjects_are_not_touched() {
    let fixture = Fixture::start().await;
    fixture.approved_customer(86_400).await;
    let store = fixture.verifier.store();
    let stranger = Address::repeat_byte(0x42);
    assert!(store.customer(stranger).await.unwrap().is_none());
    assert!(!store.end_customer(stranger).await.unwrap());
    let subject = fixture.devnet.subject.address();
    assert!(store.end_customer(subject).await.unwrap());
    assert!(store.customer(subject).await.unwrap().is_none());
}
