//! The protocol's whole story on a fresh devnet, step by step.
//!
//! Every step runs the same library code as the `kyc` commands and checks that it
//! behaved as its line says; the story stops with [`Error::Misbehaved`] at the first
//! step that did not.

use std::time::Duration;

use alloy::{
    primitives::{utils::parse_ether, Address, U256},
    signers::local::PrivateKeySigner,
};
use kyc_certifier::{
    attest::AttestOptions,
    queue::{ApproveOptions, Queue, QueuePolicy, Selection, Settled},
    relay::{relay_withdraw, revoke},
    Chain,
};
use kyc_contracts::VerifiedTicket;
use kyc_core::{
    age::DEFAULT_AGE_THRESHOLDS,
    evidence::Evidence,
    files::{Credential, JsonFile, Submission},
    uri::RegistrationUri,
};
use kyc_verifier::{qr, store::SqliteStore, Policy, Reason, SessionRequest, Verdict, Verifier};
use kyc_wallet::{
    chain::RegistryClient,
    claims_input::{normalize_claims, with_age_claims},
    consent::build_submission,
    request::prepare_request,
    scan::read_code,
    withdraw::prepare_withdraw,
};
use serde::Serialize;

use crate::{AnvilOptions, Devnet, Error, Result, DEMO_CERTIFIER_NAME};

/// The person's claims as typed into a wallet: the wallet normalises them (NFC,
/// trimming, upper-case country codes) before salting.
const CLAIMS: &str = r#"{
    "given_name": "Hanako",
    "family_name": "Yamada",
    "birthdate": "1985-12-01",
    "nationality": "jp",
    "email": "hanako@Example.JP",
    "document.type": "passport",
    "document.issuer": "JP",
    "document.number": "TR1234567"
}"#;

/// What the bank asks for.
const FIELDS: [&str; 3] = ["birthdate", "family_name", "given_name"];
const BANK: &str = "https://bank.example";
const SHOP: &str = "https://shop.example";

/// One step of the story, checked.
#[derive(Clone, Debug, Serialize)]
pub struct Step {
    /// What happened, in one line.
    pub line: String,
    /// The registration URI the step shows as a QR code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
    /// That QR code drawn for a terminal.
    #[serde(skip)]
    pub qr: Option<String>,
}

impl Step {
    fn line(line: String) -> Self {
        Self {
            line,
            uri: None,
            qr: None,
        }
    }
}

/// Plays the story on its own devnet, handing each checked step to `on_step` as it
/// happens; the first step that does not behave as shown ends it with an error.
pub async fn run(mut on_step: impl FnMut(Step)) -> Result<()> {
    let mut step = |line: String| on_step(Step::line(line));
    let scratch = tempfile::tempdir().map_err(Error::Scratch)?;
    let devnet = Devnet::start(&AnvilOptions::default()).await?;
    let person = devnet.account(1);
    let certifier = devnet.certifier.address();
    step(format!(
        "devnet: anvil at {}, KycRegistry {} deployed, {DEMO_CERTIFIER_NAME:?} {certifier} added",
        devnet.anvil.endpoint(),
        devnet.registry
    ));

    // The person: claims, salts, root, a signed request.
    let wallet = RegistryClient::connect(devnet.provider(person.clone()), devnet.registry).await?;
    let normalized = normalize_claims(CLAIMS)?;
    let now = wallet.chain_time().await?;
    let claims = with_age_claims(&normalized.claims, &DEFAULT_AGE_THRESHOLDS, now)?;
    let request = prepare_request(&wallet, &person, certifier, &claims, now + 86_400).await?;
    step(format!(
        "person {}: {} claims normalised ({} changed, {} derived: over 16, 18, 21), salted, root {}; AttestRequest signed (nonce {})",
        person.address(),
        request.claims.len(),
        normalized.changes.len(),
        request.claims.len() - normalized.claims.claims().len(),
        request.root,
        request.nonce
    ));

    // The certification body: queue, check documents, approve, attest.
    let chain = Chain::connect(
        devnet.provider(devnet.certifier.clone()),
        devnet.registry,
        certifier,
    )
    .await?;
    let queue_path = scratch.path().join("certifier.db");
    let queue = Queue::open(&queue_path, &Queue::default_key_path(&queue_path)).await?;
    queue.maintain(&QueuePolicy::default()).await?;
    let id = queue.add(&chain, &request).await?;
    step(format!(
        "certifier: request #{id} checked (claims canonical, root, signature, nonce) and queued"
    ));

    let credentials = scratch.path().join("credentials");
    let evidence: Evidence = "document,face".parse()?;
    let approve = ApproveOptions {
        attest: AttestOptions::new(evidence, Duration::from_secs(365 * 86_400)),
        out_dir: credentials.clone(),
        rebind: false,
    };
    let credential = approve_one(&queue, &chain, id, &approve).await?;
    step(format!(
        "certifier: documents checked, attested in block {} (the certifier pays the gas); credential written",
        credential.block_number
    ));
    check(
        kyc_wallet::credential::check_against_chain(&credential, &wallet)
            .await
            .is_ok(),
        || "the credential should match the chain".to_owned(),
    )?;
    step(
        "person: credential checked against the chain: root active, evidence document,face"
            .to_owned(),
    );

    // The bank: a session and its QR code.
    let database = format!("sqlite://{}", scratch.path().join("bank.db").display());
    let key = kyc_verifier::store::database_key(&database, None)?;
    let store = SqliteStore::connect(&database, key).await?;
    let verifier =
        Verifier::new(devnet.provider(devnet.account(5)), devnet.registry, store).await?;
    let policy = Policy {
        trusted_certifiers: vec![certifier],
        required_evidence: evidence,
        ..Policy::default()
    };
    let session = open_session(&verifier).await?;
    let uri = session.to_uri_string();
    on_step(Step {
        line: format!(
            "bank: session {} opened; its QR code:",
            session.registration_id
        ),
        qr: Some(qr::render_terminal(&uri)?),
        uri: Some(uri.clone()),
    });
    let mut step = |line: String| on_step(Step::line(line));

    // The person scans and consents to three claims.
    let code = read_code(&uri, wallet.chain_time().await?)?;
    let fields: Vec<String> = FIELDS.iter().map(|f| f.to_string()).collect();
    step(format!(
        "person scans: {:?} ({}) asks for {}; consents",
        code.name,
        code.service,
        code.fields.join(", ")
    ));
    let submission = consent(&person, &credential, &code, &fields, &wallet).await?;

    let verdict = verifier
        .verify(submission.to_json()?.as_bytes(), &policy)
        .await?;
    check(verdict.is_approved(), || {
        format!("expected approved, got {}", describe(&verdict))
    })?;
    let learned: Vec<&str> = verdict.claims.iter().map(|c| c.key.as_str()).collect();
    check(learned == FIELDS, || {
        format!("the bank should learn exactly {FIELDS:?}, learned {learned:?}")
    })?;
    step(format!(
        "bank verifies: approved; it learned only {} (the other {} leaves are digests)",
        learned.join(", "),
        submission.leaves.len() - learned.len()
    ));

    // A shop that sells to adults asks only "over 18".
    let mut asked = SessionRequest::new(SHOP, vec!["age_over_18".to_owned()]);
    asked.name = Some("Example Shop".to_owned());
    let code = verifier.open_session(asked).await?.uri();
    let answer = consent(&person, &credential, &code, &code.fields, &wallet).await?;
    let verdict = verifier
        .verify(answer.to_json()?.as_bytes(), &policy)
        .await?;
    let learned: Vec<&str> = verdict.claims.iter().map(|c| c.key.as_str()).collect();
    check(verdict.is_approved() && learned == ["age_over_18"], || {
        format!(
            "the shop should approve and learn only age_over_18, got {} {learned:?}",
            describe(&verdict)
        )
    })?;
    step(format!(
        "shop verifies: approved; it learned only age_over_18 = {}, not the birth date (check code {})",
        verdict.claims[0].value,
        code.check_code()
    ));

    step(ticket_shop(&devnet, certifier, &person).await?);

    // What goes wrong, each with its reason.
    let session = open_session(&verifier).await?;
    let mut tampered = consent(&person, &credential, &session, &fields, &wallet).await?;
    change_a_value(&mut tampered)?;
    let bank = Bank {
        verifier: &verifier,
        policy: &policy,
    };
    step(
        bank.expect(&tampered, Reason::RootMismatch, "one changed value")
            .await?,
    );
    step(
        bank.expect(
            &submission,
            Reason::RegistrationUsed,
            "the same submission again",
        )
        .await?,
    );

    revoke(&chain, person.address(), "demo: document reported stolen").await?;
    let session = open_session(&verifier).await?;
    let after_revoke = consent_unchecked(&person, &credential, &session, &fields)?;
    step(
        bank.expect(&after_revoke, Reason::Revoked, "the certifier revokes")
            .await?,
    );

    // Certified again (a new request, the next nonce), then withdrawn by a relayed signature.
    let now = wallet.chain_time().await?;
    let again = prepare_request(&wallet, &person, certifier, &claims, now + 86_400).await?;
    let id = queue.add(&chain, &again).await?;
    let renewed = approve_one(&queue, &chain, id, &approve).await?;
    let relay = prepare_withdraw(&wallet, &person, certifier, now + 3600).await?;
    let relayed = relay_withdraw(&chain, &relay).await?;
    step(format!(
        "person is certified again (nonce {}), then signs a Withdraw; the certifier relays it in block {}",
        again.nonce, relayed.block_number
    ));
    let session = open_session(&verifier).await?;
    let after_withdraw = consent_unchecked(&person, &renewed, &session, &fields)?;
    step(
        bank.expect(&after_withdraw, Reason::Withdrawn, "the person withdraws")
            .await?,
    );
    Ok(())
}

/// `Ok` when `behaved`, else the step's complaint.
fn check(behaved: bool, complaint: impl FnOnce() -> String) -> Result<()> {
    if behaved {
        Ok(())
    } else {
        Err(Error::Misbehaved(complaint()))
    }
}

async fn open_session(verifier: &Verifier<SqliteStore>) -> Result<RegistrationUri> {
    let mut request = SessionRequest::new(BANK, FIELDS.iter().map(|f| f.to_string()).collect());
    request.name = Some("Example Bank".to_owned());
    Ok(verifier.open_session(request).await?.uri())
}

/// The wallet's consent: the credential must be live on chain first.
async fn consent(
    person: &PrivateKeySigner,
    credential: &Credential,
    code: &RegistrationUri,
    fields: &[String],
    wallet: &RegistryClient,
) -> Result<Submission> {
    kyc_wallet::credential::check_against_chain(credential, wallet).await?;
    consent_unchecked(person, credential, code, fields)
}

/// A consent signed without asking the chain, as a wallet that missed the news would.
fn consent_unchecked(
    person: &PrivateKeySigner,
    credential: &Credential,
    code: &RegistrationUri,
    fields: &[String],
) -> Result<Submission> {
    let signed_at = kyc_core::time::unix_now()?;
    Ok(build_submission(
        person, credential, code, fields, signed_at,
    )?)
}

/// The bank's verifier under its policy.
struct Bank<'a> {
    verifier: &'a Verifier<SqliteStore>,
    policy: &'a Policy,
}

impl Bank<'_> {
    /// Checks the bank refuses `submission` for `reason`; the step's line.
    async fn expect(&self, submission: &Submission, reason: Reason, what: &str) -> Result<String> {
        let verdict = self
            .verifier
            .verify(submission.to_json()?.as_bytes(), self.policy)
            .await?;
        check(
            !verdict.is_approved() && verdict.reasons.contains(&reason),
            || {
                format!(
                    "{what}: expected {}, got {}",
                    reason.code(),
                    describe(&verdict)
                )
            },
        )?;
        Ok(format!("{what}: {} ({})", verdict.outcome, reason.code()))
    }
}

fn describe(verdict: &Verdict) -> String {
    let reasons: Vec<&str> = verdict.reasons.iter().map(|r| r.code()).collect();
    format!("{} [{}]", verdict.outcome, reasons.join(", "))
}

/// Changes one character of the first disclosed value, as a forger would.
fn change_a_value(submission: &mut Submission) -> Result<()> {
    for leaf in &mut submission.leaves {
        if let kyc_core::commitment::Leaf::Disclosed(claim) = leaf {
            claim.value = claim.value.replacen('1', "2", 1);
            return Ok(());
        }
    }
    Err(Error::Misbehaved(
        "the submission discloses nothing to change".to_owned(),
    ))
}

/// Approves one queued request and returns the credential the certifier hands out.
async fn approve_one(
    queue: &Queue,
    chain: &Chain,
    id: i64,
    options: &ApproveOptions,
) -> Result<Credential> {
    let approval = queue
        .approve(chain, &Selection::Ids(vec![id]), options, |_| {})
        .await?;
    let Some(outcome) = approval.outcomes.into_iter().next() else {
        return Err(Error::Misbehaved(format!("request #{id} was not settled")));
    };
    let line = outcome.to_string();
    match outcome.settled {
        Settled::Attested(attested) => Ok(attested.credential),
        _ => Err(Error::Misbehaved(line)),
    }
}

/// A shop built on the registry: tickets only for verified buyers; the step's line.
async fn ticket_shop(
    devnet: &Devnet,
    certifier: Address,
    person: &PrivateKeySigner,
) -> Result<String> {
    let shop_error =
        |what: &str, error: &dyn std::fmt::Display| Error::Shop(format!("{what}: {error}"));
    let owner = devnet.account(4);
    let price = parse_ether("0.01").map_err(|e| shop_error("price", &e))?;
    let shop = VerifiedTicket::deploy(
        devnet.provider(owner.clone()),
        devnet.registry,
        vec![certifier],
        "document,face".parse::<Evidence>()?.bits(),
        price,
        U256::from(100),
        "Demo Concert".to_owned(),
        "TIX".to_owned(),
        owner.address(),
    )
    .await
    .map_err(|e| shop_error("cannot deploy VerifiedTicket", &e))?;
    let as_buyer = VerifiedTicket::new(*shop.address(), devnet.provider(person.clone()));
    let receipt = as_buyer
        .buy()
        .value(price)
        .send()
        .await
        .map_err(|e| shop_error("the verified person cannot buy a ticket", &e))?
        .get_receipt()
        .await
        .map_err(|e| shop_error("the ticket purchase was not mined", &e))?;
    check(receipt.status(), || "the ticket purchase failed".to_owned())?;
    let tickets = shop
        .balanceOf(person.address())
        .call()
        .await
        .map_err(|e| shop_error("cannot read the tickets held", &e))?;
    check(tickets == U256::from(1), || {
        "the person should hold one ticket".to_owned()
    })?;
    let stranger = devnet.account(6);
    let refused = VerifiedTicket::new(*shop.address(), devnet.provider(stranger.clone()))
        .buy()
        .value(price)
        .call()
        .await;
    let not_verified = refused.as_ref().err().and_then(|error| {
        error.as_decoded_interface_error::<VerifiedTicket::VerifiedTicketErrors>()
    });
    check(
        matches!(
            not_verified,
            Some(VerifiedTicket::VerifiedTicketErrors::NotVerified(_))
        ),
        || "an unverified buyer should be refused with NotVerified".to_owned(),
    )?;
    Ok(format!(
        "shop: VerifiedTicket {} sells the person a ticket ({} gas); {} (not verified) is refused: NotVerified",
        shop.address(),
        receipt.gas_used,
        stranger.address()
    ))
}
