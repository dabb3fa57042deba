//! What `attest` and `queue approve` show: a progress bar, each request's outcome as it
//! is settled, and the approval (one JSON document with `--json`).

use indicatif::{ProgressBar, ProgressStyle};
use kyc_certifier::queue::{Approval, RequestOutcome, Settled};

/// Shows the outcomes of one run as they come.
pub(super) struct Progress {
    bar: ProgressBar,
    json: bool,
}

impl Progress {
    /// Progress over `total` requests; the bar draws on a terminal's standard error only.
    pub(super) fn new(total: usize, json: bool) -> Self {
        let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
        let style =
            ProgressStyle::with_template("{bar:40} {pos}/{len} attested or settled ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Self { bar, json }
    }

    /// One request settled: attested on stdout, anything else on stderr, with the flag
    /// that lifts a duplicate identity.
    pub(super) fn show(&mut self, outcome: &RequestOutcome) {
        if !self.json {
            self.bar.suspend(|| match &outcome.settled {
                Settled::Attested(_) => println!("{outcome}"),
                Settled::DuplicateIdentity {
                    rebindable: true, ..
                } => eprintln!("{outcome}; approve with --rebind to revoke that first"),
                _ => eprintln!("{outcome}"),
            });
        }
        self.bar.inc(1);
    }

    /// Prints the approval; an error when any request was not attested.
    pub(super) fn finish(self, approval: &Approval) -> anyhow::Result<()> {
        self.bar.finish_and_clear();
        if self.json {
            crate::output::print_json(approval)?;
        } else {
            approval
                .refused
                .iter()
                .for_each(|refused| eprintln!("{refused}"));
            println!("{approval}");
        }
        match approval.describe_not_attested() {
            Some(missed) => anyhow::bail!(missed),
            None => Ok(()),
        }
    }
}
