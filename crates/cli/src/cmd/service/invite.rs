//! `kyc service invite` and `kyc service invitations`: a bank's list of customers
//! invited at once, and where each invitation stands.

use std::{path::PathBuf, time::Duration};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use kyc_verifier::invitations::{self, BatchId, InvitationFilter, InvitationStatus, Rows};

use super::{DatabaseArgs, OriginArgs, VerifierArgs};
use crate::output::show;

/// Invite every customer of a CSV list: one session each, its link (`ID.txt`) and QR
/// code (`ID.png`) in --out-dir, and a result CSV (`BATCH.csv`: reference,
/// registration_id, check_code, link, expires_at) for the bank's mailer or SMS gateway.
///
/// The list needs a header row with a `reference` column, the bank's key for the
/// customer; other columns are ignored and never stored. The reference stays in the
/// service's database, never in the link. A malformed row is reported with its line
/// and skipped. A reference the batch has already keeps its invitation, so running
/// the same list again makes nothing new.
#[derive(Debug, clap::Args)]
pub(super) struct InviteArgs {
    /// The CSV list of customers.
    #[arg(long, value_name = "FILE")]
    csv: PathBuf,

    #[command(flatten)]
    origin: OriginArgs,

    /// The claim keys asked for, comma-separated.
    #[arg(long, value_name = "KEY,..", value_delimiter = ',', required = true)]
    fields: Vec<String>,

    /// How long each invitation stays open, such as 10d or 36h.
    #[arg(long, default_value = "10d", value_parser = kyc_core::time::parse_duration)]
    ttl: Duration,

    /// Where the links, QR codes and the result CSV go (created owner-only).
    #[arg(long, value_name = "DIR")]
    out_dir: PathBuf,

    /// The batch, the scope in which a reference is invited once
    /// [default: the CSV file's name without its extension].
    #[arg(long, value_name = "ID")]
    batch: Option<String>,

    #[command(flatten)]
    verifier: VerifierArgs,
}

impl InviteArgs {
    pub(super) async fn run(self, json: bool) -> anyhow::Result<()> {
        let batch = match &self.batch {
            Some(batch) => batch.clone(),
            None => BatchId::of_file(&self.csv)
                .map(|batch| batch.as_str().to_owned())
                .with_context(|| {
                    let csv = self.csv.display();
                    format!("the file name of {csv} is no batch id: give --batch")
                })?,
        };
        let rows = Rows::read_csv(&self.csv)?;
        let request = self.origin.request(&self.fields, self.ttl);
        let verifier = self.verifier.connect().await?;
        let report = verifier.invite(&batch, &request, rows).await?;
        for skipped in &report.skipped {
            eprintln!("{}: {skipped}", self.csv.display());
        }

        let bar = ProgressBar::new(report.invitations.len() as u64).with_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} links and QR codes ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let invited = invitations::write_files(&self.out_dir, &report, &|| bar.inc(1))?;
        bar.finish_and_clear();
        show(&invited, json)
    }
}

/// List the invitations and where each stands (pending, approved, review, rejected,
/// declined, expired, withdrawn), then the count of each status in the batch (or in
/// every batch), whatever --status. With --json: one document, `{invitations, summary}`.
#[derive(Debug, clap::Args)]
pub(super) struct InvitationsArgs {
    /// Only this batch's.
    #[arg(long, value_name = "ID")]
    batch: Option<String>,

    /// Only those at this status.
    #[arg(long, value_name = "STATUS")]
    status: Option<InvitationStatus>,

    #[command(flatten)]
    database: DatabaseArgs,
}

impl InvitationsArgs {
    pub(super) async fn run(self, json: bool) -> anyhow::Result<()> {
        let filter = InvitationFilter {
            batch: self.batch.as_deref().map(BatchId::parse).transpose()?,
            status: self.status,
        };
        let store = self.database.connect().await?;
        let list = invitations::list(&store, &filter).await?;
        show(&list, json)
    }
}
