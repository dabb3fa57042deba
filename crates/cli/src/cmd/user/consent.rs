//! `kyc user scan`, `kyc user consent`, `kyc user decline` and `kyc user consents`:
//! registration codes and the answers given to them.

use std::{
    io::{BufRead, IsTerminal, Write},
    path::PathBuf,
};

use alloy::primitives::Address;
use anyhow::{bail, Context};
use kyc_core::uri::RegistrationUri;
use kyc_wallet::{
    consent::{ConsentDraft, Delivery},
    decline::decline,
    http::ServiceClient,
    scan::{newest_fitting, read_code, read_qr_image, scan, CodeSummary},
    screen::{
        Answer, AnswerScreen, CodeScreen, ConfirmScreen, DeclineScreen, DisclosureScreen,
        ScanScreen,
    },
};

use super::{unix_now, UserWalletArgs};
use crate::{
    opts::RpcArgs,
    output::{print_json, show, show_as},
};

/// Where a registration code comes from: its URI, or an image of its QR code.
#[derive(Debug, clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct CodeArgs {
    /// The registration URI, `kycanchor://register?...`.
    uri: Option<String>,

    /// A PNG or JPEG image of the QR code.
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
}

impl CodeArgs {
    /// Reads the code, refusing a malformed or expired one.
    fn read(&self, now: u64) -> anyhow::Result<RegistrationUri> {
        let text = match (&self.uri, &self.image) {
            (Some(uri), _) => uri.clone(),
            (None, Some(path)) => {
                read_qr_image(path).with_context(|| format!("{} is refused", path.display()))?
            }
            (None, None) => bail!("give a registration URI or --image FILE"),
        };
        read_code(&text, now).context("the registration code is refused")
    }
}

/// Show who asks for which fields in a registration code, with the check code to compare
/// with the service's screen, and what the wallet's newest fitting credential would send.
///
/// Refuses an expired or malformed code, a callback on another origin than the service
/// and a plain http service on another machine. A code the wallet holds no fitting
/// credential for is still shown, with the fields the wallet cannot provide.
#[derive(Debug, clap::Args)]
pub(crate) struct ScanArgs {
    #[command(flatten)]
    code: CodeArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ScanArgs {
    pub(crate) fn run(self, json: bool) -> anyhow::Result<()> {
        let now = unix_now()?;
        let code = self.code.read(now)?;
        let wallet = self.wallet.open()?;
        let credentials = wallet.credentials()?;
        let scanned = scan(&code, &credentials);
        if json {
            print_json(&scanned)?;
            return Ok(());
        }
        let fitting = newest_fitting(&code, &credentials);
        print!(
            "{}",
            ScanScreen {
                scan: &scanned,
                fitting,
                now
            }
        );
        Ok(())
    }
}

/// Consent to a registration code: sign a Consent and disclose the asked fields, with
/// their salts, and only the digests of the other claims.
///
/// Discloses exactly the fields asked for unless --fields names fewer; never more. Shows
/// who asks, the check code, each value that would be sent and what stays undisclosed,
/// and asks before signing unless --yes; answering "decline" there tells the service no
/// (as `kyc user decline`). The consent is logged in the wallet (`kyc user consents`).
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("destination").required(true).args(["out", "submit"])))]
pub(crate) struct ConsentArgs {
    #[command(flatten)]
    code: CodeArgs,

    /// Disclose only these of the asked fields (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "KEY,..")]
    fields: Option<Vec<String>>,

    /// Use the credential from this certifier [default: the newest active one].
    #[arg(long)]
    certifier: Option<Address>,

    /// Consent without asking (for scripts).
    #[arg(long)]
    yes: bool,

    /// Write the submission to this file (owner-only: it holds personal data).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,

    /// Send the submission to the code's callback and print the service's verdict.
    #[arg(long)]
    submit: bool,

    #[command(flatten)]
    rpc: RpcArgs,

    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ConsentArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        if !self.yes && !std::io::stdin().is_terminal() {
            bail!(
                "no terminal to confirm on: review the code with `kyc user scan`, then pass --yes"
            );
        }
        let now = unix_now()?;
        let code = self.code.read(now)?;
        let wallet = self.wallet.open()?;
        let signer = self.wallet.signer(&wallet)?;
        let draft = ConsentDraft::prepare(
            &wallet,
            self.rpc.provider()?,
            code,
            signer.address(),
            self.fields.as_deref(),
            self.certifier,
        )
        .await?;

        let code = CodeSummary::of(&draft.code);
        eprint!("{}", CodeScreen { code: &code, now });
        let disclosure = draft.disclosure();
        eprint!(
            "{}",
            DisclosureScreen {
                certifier: draft.credential.certifier,
                certifier_name: &draft.certifier_name,
                disclosure: &disclosure,
            }
        );
        if !self.yes && confirm(&draft)? == Answer::Decline {
            return send_decline(&draft.code, json).await;
        }
        let client;
        let delivery = match &self.out {
            Some(path) => Delivery::File(path),
            None => {
                client = ServiceClient::new()?;
                Delivery::Service(&client)
            }
        };
        let receipt = draft.give(&wallet, &signer, delivery, unix_now()?).await?;
        let name = &draft.code.name;
        show_as(
            &receipt,
            AnswerScreen {
                name,
                receipt: &receipt,
            },
            json,
        )
    }
}

/// Decline a registration code: tell the service you say no, so it need not wait for
/// the code to expire.
///
/// Refuses the codes a consent refuses. The decline is not signed, so the service keeps
/// the code open: you may still consent to it later.
#[derive(Debug, clap::Args)]
pub(crate) struct DeclineArgs {
    #[command(flatten)]
    code: CodeArgs,
}

impl DeclineArgs {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let code = self.code.read(unix_now()?)?;
        send_decline(&code, json).await
    }
}

/// Posts a decline of `code` to its callback and prints the service's answer.
async fn send_decline(code: &RegistrationUri, json: bool) -> anyhow::Result<()> {
    let receipt = decline(&ServiceClient::new()?, code, unix_now()?).await?;
    show_as(
        &receipt,
        DeclineScreen {
            code,
            receipt: &receipt,
        },
        json,
    )
}

/// Asks on the terminal: yes consents, "decline" tells the service no, anything else
/// refuses without sending anything.
fn confirm(draft: &ConsentDraft) -> anyhow::Result<Answer> {
    eprint!("{}", ConfirmScreen { draft });
    std::io::stderr().flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Answer::parse(&answer).context("consent declined; nothing was signed or sent")
}

/// List the consents given: service, registration ID, fields, time and outcome.
#[derive(Debug, clap::Args)]
pub(crate) struct ConsentsArgs {
    #[command(flatten)]
    wallet: UserWalletArgs,
}

impl ConsentsArgs {
    pub(crate) fn run(self, json: bool) -> anyhow::Result<()> {
        show(&self.wallet.open()?.consent_log().consents()?, json)
    }
}
