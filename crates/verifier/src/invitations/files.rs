//! What the bank sends its customers: each invitation's link and QR code, and the
//! result CSV its mailer or SMS gateway reads.

use std::{
    fmt,
    path::{Path, PathBuf},
};

use serde::Serialize;

use super::{result_csv, Invitation, InvitationReport};
use crate::{parallel::on_every_share, qr, Result};

/// Writes into `dir` (created owner-only if missing) each invitation's link (`ID.txt`)
/// and QR code (`ID.png`), drawn on every core, calling `progress` after each; then the
/// result CSV, `BATCH.csv`. Returns the report with the result CSV's path.
///
/// The links and QR codes hold no personal data and are not synced one by one; the
/// result CSV holds the references, and is written owner-only, atomically and synced.
pub fn write_files<'a>(
    dir: &Path,
    report: &'a InvitationReport,
    progress: &(dyn Fn() + Sync),
) -> Result<Invited<'a>> {
    kyc_fs::create_private_dir(dir)?;
    let invitations = &report.invitations;
    on_every_share(invitations, |share| {
        share.iter().try_for_each(|invitation| -> Result<()> {
            write_code(dir, invitation)?;
            progress();
            Ok(())
        })
    })
    .into_iter()
    .collect::<Result<()>>()?;
    let path = dir.join(format!("{}.csv", report.batch));
    kyc_fs::write_private(&path, result_csv(invitations).as_bytes())?;
    Ok(Invited {
        report,
        result_csv: path,
    })
}

/// An invited list and where its result CSV was written.
#[derive(Clone, Debug, Serialize)]
pub struct Invited<'a> {
    /// What inviting the list did.
    #[serde(flatten)]
    pub report: &'a InvitationReport,
    /// The result CSV for the bank's mailer.
    pub result_csv: PathBuf,
}

/// One line: the batch, how many were invited (new and before), the rows skipped,
/// and the result CSV.
impl fmt::Display for Invited<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let report = self.report;
        write!(
            f,
            "batch {}: {} invited ({} new, {} invited before), {} rows skipped; result {}",
            report.batch,
            report.invitations.len(),
            report.created,
            report.existing,
            report.skipped.len(),
            self.result_csv.display()
        )
    }
}

/// Writes an invitation's link and QR code as `ID.txt` and `ID.png`.
fn write_code(dir: &Path, invitation: &Invitation) -> Result<()> {
    let id = invitation.registration_id;
    let files = [
        (
            format!("{id}.txt"),
            format!("{}\n", invitation.uri).into_bytes(),
        ),
        (format!("{id}.png"), qr::render_png(&invitation.uri)?),
    ];
    for (name, contents) in files {
        let path = dir.join(name);
        std::fs::write(&path, contents).map_err(kyc_fs::Error::at("cannot write", &path))?;
    }
    Ok(())
}
