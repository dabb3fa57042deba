//! `kyc demo`: the protocol's flow on a fresh local chain, step by step.

use alloy::{
    providers::Provider,
    signers::{local::PrivateKeySigner, SignerSync},
};
use anyhow::{ensure, Context};
use kyc_contracts::{KycRegistry, Status};
use kyc_core::{
    claims::{normalize_claim, ClaimSet},
    commitment::Commitment,
    eip712::{self, AttestRequest},
    evidence::Evidence,
    signature::encode_signature,
};

use crate::devnet::{AnvilOptions, Devnet, DEMO_CERTIFIER_NAME};

/// Run the whole flow on its own anvil chain, printing a line per step; fails if any step
/// does not behave as shown.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

impl Args {
    pub(crate) async fn run(self, _json: bool) -> anyhow::Result<()> {
        let devnet = Devnet::start(&AnvilOptions::default()).await?;
        let chain_id = devnet.anvil.chain_id();
        let subject = devnet.account(1);
        let certifier = devnet.certifier.address();
        step(format!(
            "devnet: anvil on {}, registry {} deployed, certifier {DEMO_CERTIFIER_NAME:?} ({certifier}) added",
            devnet.anvil.endpoint(),
            devnet.registry
        ));

        let claims = demo_claims()?;
        let commitment = Commitment::new(&claims).context("cannot commit to the claims")?;
        step(format!(
            "person {}: {} claims salted, root {}",
            subject.address(),
            commitment.claims().len(),
            commitment.root()
        ));

        let registry = KycRegistry::new(devnet.registry, devnet.provider(devnet.certifier.clone()));
        let now = chain_time(&registry).await?;
        let nonce = registry.nonces(subject.address(), certifier).call().await?;
        let request = AttestRequest {
            subject: subject.address(),
            certifier,
            root: commitment.root(),
            nonce,
            deadline: now + 3600,
        };
        let signature = sign(
            &subject,
            eip712::signing_hash(&request, chain_id, devnet.registry),
        )?;
        step(format!(
            "person signs an EIP-712 AttestRequest (nonce {nonce}); no ether needed"
        ));

        let evidence = Evidence::from_names(["document", "face"])?;
        let receipt = registry
            .attest(
                request.subject,
                request.root,
                evidence.bits(),
                now + 365 * 86_400,
                request.deadline,
                signature.into(),
            )
            .send()
            .await
            .map_err(crate::revert::explain)?
            .get_receipt()
            .await?;
        ensure!(receipt.status(), "the attestation transaction failed");
        step(format!(
            "certifier attests in block {}: {} gas, paid by the certifier",
            receipt.block_number.unwrap_or_default(),
            receipt.gas_used
        ));

        let stored = registry
            .attestation(request.subject, certifier)
            .call()
            .await?;
        ensure!(stored.root == request.root, "the chain holds another root");
        let verified = registry
            .isVerified(request.subject, certifier, evidence.bits())
            .call()
            .await?;
        ensure!(verified, "isVerified should be true after attesting");
        step(format!(
            "registry: status {}, evidence {}, isVerified = true",
            Status::from_abi(stored.status),
            Evidence::from_bits(stored.evidence)?.names().join(",")
        ));

        registry
            .revoke(request.subject, "demo: document reported stolen".to_owned())
            .send()
            .await
            .map_err(crate::revert::explain)?
            .get_receipt()
            .await?;
        let verified = registry
            .isVerified(request.subject, certifier, evidence.bits())
            .call()
            .await?;
        ensure!(!verified, "isVerified should be false after revoking");
        step("certifier revokes: isVerified = false".to_owned());
        println!("demo: every step behaved as expected");
        Ok(())
    }
}

fn step(line: String) {
    println!("  ✓ {line}");
}

fn demo_claims() -> anyhow::Result<ClaimSet> {
    let raw = [
        ("given_name", "Hanako"),
        ("family_name", "Yamada"),
        ("birthdate", "1985-12-01"),
        ("nationality", "jp"),
        ("address.country", "JP"),
    ];
    let claims = raw
        .iter()
        .map(|(key, value)| normalize_claim(key, value).map(|(claim, _changed)| claim))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ClaimSet::new(claims)?)
}

fn sign(signer: &PrivateKeySigner, digest: alloy::primitives::B256) -> anyhow::Result<Vec<u8>> {
    let signature = signer.sign_hash_sync(&digest).context("cannot sign")?;
    Ok(encode_signature(&signature).to_vec())
}

async fn chain_time<P: Provider>(
    registry: &KycRegistry::KycRegistryInstance<P>,
) -> anyhow::Result<u64> {
    let block = registry
        .provider()
        .get_block_by_number(Default::default())
        .await?
        .context("the chain has no latest block")?;
    Ok(block.header.timestamp)
}
