//! `kyc user withdraw` and `kyc user withdraw-consent`.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, B256},
    providers::Provider,
};
use anyhow::Context;
use kyc_wallet::{
    chain::RegistryClient,
    http::ServiceClient,
    withdraw::{prepare_withdraw, send_withdraw, withdraw_consent, write_relay},
};

use super::{parse_duration, show_time, unix_now, UserWalletArgs};
use crate::{
    opts::RpcArgs,
    output::{print_json, show},
};

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
            let written = write_relay(&relay, out)?;
            if json {
                return print_json(&written);
            }
            let until = show_time(relay.deadline);
            let wrote = format!("wrote the signed withdrawal to {}", out.display());
            println!("{wrote}: valid until {until}, relay it with `kyc certifier relay`");
            return Ok(());
        }
        show(&send_withdraw(&registry, &relay).await?, json)
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
        show(&withdrawn, json)
    }
}
