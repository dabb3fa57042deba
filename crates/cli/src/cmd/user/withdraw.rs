//! `kyc user withdraw` and `kyc user withdraw-consent`.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, B256},
    providers::Provider,
};
use anyhow::Context;
use kyc_core::files::JsonFile;
use kyc_core::text::printable;
use kyc_wallet::{
    chain::RegistryClient,
    http::ServiceClient,
    withdraw::{prepare_withdraw, withdraw_consent},
};
use serde::Serialize;

use super::{parse_duration, show_time, unix_now, UserWalletArgs};
use crate::{opts::RpcArgs, output::print_json};

/// Withdraw a certifier's attestation of you: sign a Withdraw, then either send
/// withdrawBySig yourself (--send, paying gas) or write a relay file that the certifier
/// (or anyone) relays with `kyc certifier relay FILE`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("delivery").required(true).args(["send", "relay_out"])))]
pub(crate) struct WithdrawArgs {
    /// The certifier whose attestation to withdraw.
    #[arg(long)]
    certifier: Address,

    /// The registry [default: the one of the wallet's credential from that certifier].
    #[arg(long, env = "KYC_REGISTRY")]
    registry: Option<Address>,

    /// How long the signed withdrawal stays valid.
    #[arg(long, default_value = "10d", value_parser = parse_duration)]
    deadline: std::time::Duration,

    /// Send withdrawBySig now, paying the gas from the signing key.
    #[arg(long)]
    send: bool,

    /// Write the signed withdrawal to this file for a relayer.
    #[arg(long, value_name = "FILE")]
    relay_out: Option<PathBuf>,

    #[command(flatten)]
    rpc: RpcArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl WithdrawArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let wallet = self.wallet.open()?;
        let signer = self.wallet.signer(&wallet)?;
        let provider = if self.send {
            self.rpc.signing_provider(signer.clone())?
        } else {
            self.rpc.provider()?
        };
        let registry_address = match self.registry {
            Some(registry) => registry,
            None => {
                let chain_id = provider
                    .get_chain_id()
                    .await
                    .with_context(|| format!("cannot reach the chain at {}", self.rpc.rpc_url))?;
                wallet
                    .registry_of(chain_id, self.certifier)
                    .map_err(|error| anyhow::anyhow!("{error}: give --registry"))?
            }
        };
        let registry = RegistryClient::connect(provider, registry_address).await?;
        let deadline = unix_now()? + self.deadline.as_secs();
        let relay = prepare_withdraw(&registry, &signer, self.certifier, deadline).await?;
        if let Some(out) = &self.relay_out {
            std::fs::write(out, relay.to_json()? + "\n")
                .with_context(|| format!("cannot write {}", out.display()))?;
            if json {
                print_json(&RelayWritten {
                    relay_file: out,
                    subject: relay.subject,
                    certifier: relay.certifier,
                    nonce: relay.nonce,
                    deadline: relay.deadline,
                })?;
            } else {
                println!(
                    "wrote the signed withdrawal to {}: valid until {}, relay it with `kyc certifier relay`",
                    out.display(),
                    show_time(relay.deadline)
                );
            }
            return Ok(());
        }
        let tx_hash = registry.withdraw_by_sig(&relay).await?;
        if json {
            print_json(&Withdrawn {
                withdrawn: true,
                subject: relay.subject,
                certifier: relay.certifier,
                tx_hash,
            })?;
        } else {
            println!(
                "withdrew the attestation of {} by {} in transaction {tx_hash}",
                relay.subject, relay.certifier
            );
        }
        Ok(())
    }
}

/// Ask a service to delete what it received under a registration: sign a
/// ConsentWithdrawal and post it to the service named in the consent log.
#[derive(Debug, clap::Args)]
pub(crate) struct WithdrawConsentArgs {
    /// The registration ID of the consent, as `kyc user consents` lists it.
    registration_id: B256,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl WithdrawConsentArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let wallet = self.wallet.open()?;
        // Refuse an unknown registration before asking for the password.
        wallet.consent_log().find(self.registration_id)?;
        let signer = self.wallet.signer(&wallet)?;
        let withdrawn = withdraw_consent(
            &wallet,
            &signer,
            &ServiceClient::new()?,
            self.registration_id,
            unix_now()?,
        )
        .await?;
        if json {
            print_json(&withdrawn)?;
        } else {
            println!(
                "{} ({}) accepted the withdrawal of registration {}",
                printable(&withdrawn.name),
                printable(&withdrawn.service),
                withdrawn.registration_id
            );
        }
        Ok(())
    }
}

/// What `kyc user withdraw --relay-out --json` prints.
#[derive(Serialize)]
struct RelayWritten<'a> {
    relay_file: &'a std::path::Path,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    subject: Address,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    certifier: Address,
    nonce: u64,
    deadline: u64,
}

/// What `kyc user withdraw --send --json` prints.
#[derive(Serialize)]
struct Withdrawn {
    withdrawn: bool,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    subject: Address,
    #[serde(serialize_with = "kyc_core::hex::serialize")]
    certifier: Address,
    tx_hash: B256,
}
