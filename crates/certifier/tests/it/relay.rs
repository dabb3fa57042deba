//! Revocation, and relaying a subject's signed withdrawal.

use alloy::signers::local::PrivateKeySigner;
use kyc_certifier::{
    relay::{relay_withdraw, revoke},
    Error,
};
use kyc_core::{
    attestation::Status,
    files::{FormatVersion, WithdrawRelay},
};

use crate::fixtures::{attest_one, person, sign, Fixture};

async fn attested(fixture: &Fixture) -> PrivateKeySigner {
    let subject = PrivateKeySigner::random();
    let request = fixture.request(&subject, &person("Yamada", "TK1")).await;
    let summary = attest_one(&fixture.chain, request).await;
    assert_eq!(summary.attested, 1);
    subject
}

async fn withdrawal(fixture: &Fixture, subject: &PrivateKeySigner) -> WithdrawRelay {
    let certifier = fixture.certifier.address();
    let mut relay = WithdrawRelay {
        version: FormatVersion,
        chain_id: fixture.chain.chain_id(),
        registry: fixture.registry,
        subject: subject.address(),
        certifier,
        nonce: fixture
            .chain
            .pair(subject.address(), certifier)
            .await
            .unwrap()
            .nonce,
        deadline: fixture.now().await + 600,
        signature: Default::default(),
    };
    relay.signature = sign(subject, relay.signing_hash());
    relay
}

#[tokio::test]
async fn revoke_then_revoke_again() {
    let fixture = Fixture::start().await;
    let subject = attested(&fixture).await;
    let confirmed = revoke(
        &fixture.chain,
        subject.address(),
        "document reported stolen",
    )
    .await
    .unwrap();
    assert!(confirmed.block_number > 0);
    let pair = fixture
        .chain
        .pair(subject.address(), fixture.certifier.address())
        .await
        .unwrap();
    assert_eq!(pair.attestation.status, Status::Revoked);

    let error = revoke(&fixture.chain, subject.address(), "again")
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "registry refused revoking: no active attestation of {} by {}",
            subject.address(),
            fixture.certifier.address()
        )
    );
}

#[tokio::test]
async fn a_signed_withdrawal_is_relayed_once() {
    let fixture = Fixture::start().await;
    let subject = attested(&fixture).await;
    let relay = withdrawal(&fixture, &subject).await;

    // A file round trip, as the wallet writes it.
    let json = serde_json::to_string(&relay).unwrap();
    assert!(json.contains(&subject.address().to_checksum(None)));
    let read: WithdrawRelay = kyc_core::files::parse_json(&json).unwrap();
    assert_eq!(read, relay);
    let extra = json.replacen('{', "{\"memo\":1,", 1);
    assert!(kyc_core::files::parse_json::<WithdrawRelay>(&extra).is_err());

    let mut wrong = relay.clone();
    wrong.chain_id = 1;
    assert!(matches!(
        relay_withdraw(&fixture.chain, &wrong).await,
        Err(Error::WrongChain { .. })
    ));
    let mut forged = relay.clone();
    forged.signature = sign(&PrivateKeySigner::random(), relay.signing_hash());
    assert!(matches!(
        relay_withdraw(&fixture.chain, &forged).await,
        Err(Error::BadSignature { .. })
    ));
    let mut late = relay.clone();
    late.deadline = fixture.now().await;
    assert!(matches!(
        relay_withdraw(&fixture.chain, &late).await,
        Err(Error::DeadlinePassed { .. })
    ));

    // Anyone pays: here the registry owner relays.
    let relayer = fixture.connect_as(&fixture.owner).await;
    relay_withdraw(&relayer, &relay).await.unwrap();
    let pair = fixture
        .chain
        .pair(subject.address(), fixture.certifier.address())
        .await
        .unwrap();
    assert_eq!(
        (pair.attestation.status, pair.nonce),
        (Status::Withdrawn, 2)
    );

    let error = relay_withdraw(&relayer, &relay).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::WrongNonce {
                file: 1,
                registry: 2,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test]
async fn transactions_sent_at_once_get_consecutive_nonces() {
    let fixture = Fixture::start().await;
    let mut subjects = Vec::new();
    for _ in 0..4 {
        subjects.push(attested(&fixture).await.address());
    }
    let chain = &fixture.chain;
    let (a, b, c, d) = tokio::join!(
        revoke(chain, subjects[0], "one"),
        revoke(chain, subjects[1], "two"),
        revoke(chain, subjects[2], "three"),
        revoke(chain, subjects[3], "four"),
    );
    let mut hashes: Vec<_> = [a, b, c, d]
        .into_iter()
        .map(|r| r.unwrap().tx_hash)
        .collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 4);
    for subject in subjects {
        let pair = chain
            .pair(subject, fixture.certifier.address())
            .await
            .unwrap();
        assert_eq!(pair.attestation.status, Status::Revoked);
    }
}
