//! `kyc user`: the person's wallet: keys, attestation requests, credentials, consent
//! to services and withdrawal.

use std::{io::IsTerminal, path::PathBuf};

use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, Context};
use clap::Subcommand;
use kyc_wallet::Wallet;

use crate::opts::{parse_private_key, read_first_line};

mod consent;
mod credentials;
mod keys;
mod request;
mod withdraw;

/// The person's wallet: keys, requests, credentials, consent and withdrawal.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create the wallet's key in an encrypted keystore.
    New(keys::NewArgs),
    /// Normalise, salt and commit to claims, and sign an attestation request for a certifier.
    Request(request::RequestArgs),
    /// Check a credential against the chain and the wallet's request, then keep it.
    Import(credentials::ImportArgs),
    /// List the wallet's credentials with their status on chain.
    Show(credentials::ShowArgs),
    /// Show who asks for which fields in a registration code, refusing bad codes.
    Scan(consent::ScanArgs),
    /// Consent to a registration code: disclose the asked fields and sign.
    Consent(consent::ConsentArgs),
    /// Decline a registration code: tell the service you say no.
    Decline(consent::DeclineArgs),
    /// List the consents given.
    Consents(consent::ConsentsArgs),
    /// Withdraw a certifier's attestation: send withdrawBySig or write a relay file.
    Withdraw(withdraw::WithdrawArgs),
    /// Ask a service to delete what it received under a registration.
    WithdrawConsent(withdraw::WithdrawConsentArgs),
}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        match self.command {
            UserCommand::New(args) => args.run(json),
            UserCommand::Request(args) => args.run(json).await,
            UserCommand::Import(args) => args.run(json).await,
            UserCommand::Show(args) => args.run(json).await,
            UserCommand::Scan(args) => args.run(json),
            UserCommand::Consent(args) => args.run(json).await,
            UserCommand::Decline(args) => args.run(json).await,
            UserCommand::Consents(args) => args.run(json),
            UserCommand::Withdraw(args) => args.run(json).await,
            UserCommand::WithdrawConsent(args) => args.run(json).await,
        }
    }
}

/// The wallet folder and the key that signs.
#[derive(Debug, Clone, clap::Args)]
#[command(next_help_heading = "Wallet")]
pub(crate) struct UserWalletArgs {
    /// The wallet folder [default: kyc-anchor/wallet in the user's data directory].
    #[arg(long = "wallet", env = "KYC_WALLET", value_name = "DIR")]
    wallet: Option<PathBuf>,

    /// Hex private key to sign with instead of the wallet's keystore (for scripts and tests).
    #[arg(long, env = "KYC_PRIVATE_KEY", hide_env_values = true)]
    private_key: Option<String>,

    /// File whose first line is the keystore password [default: ask on the terminal].
    #[arg(long, env = "KYC_PASSWORD_FILE", value_name = "FILE")]
    password_file: Option<PathBuf>,
}

impl UserWalletArgs {
    /// Opens (creating if needed) the wallet folder.
    pub(crate) fn open(&self) -> anyhow::Result<Wallet> {
        let dir = match &self.wallet {
            Some(dir) => dir.clone(),
            None => Wallet::default_dir()
                .map_err(|e| anyhow::anyhow!("{e}: give it with --wallet or KYC_WALLET"))?,
        };
        Ok(Wallet::open(dir)?)
    }

    /// The `--private-key`, if given.
    fn private_key(&self) -> anyhow::Result<Option<PrivateKeySigner>> {
        self.private_key
            .as_deref()
            .map(parse_private_key)
            .transpose()
    }

    /// The signing key: `--private-key`, else the wallet's keystore unlocked with the password.
    pub(crate) fn signer(&self, wallet: &Wallet) -> anyhow::Result<PrivateKeySigner> {
        if let Some(signer) = self.private_key()? {
            return Ok(signer);
        }
        if !wallet.has_key() {
            let missing = kyc_wallet::Error::NoKey(wallet.keystore_path());
            bail!("{missing}: create one with `kyc user new`, or give --private-key");
        }
        let password = self.password("keystore password: ", false)?;
        Ok(wallet.unlock(&password)?)
    }

    /// The password from `--password-file`, else from the terminal (twice when `confirm`).
    fn password(&self, prompt: &str, confirm: bool) -> anyhow::Result<String> {
        if let Some(path) = &self.password_file {
            return read_first_line(path, "password file");
        }
        if !std::io::stdin().is_terminal() {
            bail!("no password: give --password-file (KYC_PASSWORD_FILE) or run on a terminal");
        }
        let password = rpassword::prompt_password(prompt).context("cannot read the password")?;
        if confirm {
            let again = rpassword::prompt_password("repeat the password: ")
                .context("cannot read the password")?;
            if again != password {
                bail!("the passwords differ");
            }
        }
        Ok(password)
    }
}

pub(crate) use kyc_core::time::{format_time as show_time, parse_duration, unix_now};
