//! What `attest` and `queue approve` show: a progress bar, one line per request, and a
//! summary (or one JSON document with `--json`).

use std::path::Path;

use alloy::primitives::Address;
use indicatif::{ProgressBar, ProgressStyle};
use kyc_certifier::attest::{Attested, BatchSummary, Disposition, Failure};
use serde_json::{json, Value};

/// Collects and prints the outcomes of one run.
pub(super) struct Report {
    bar: ProgressBar,
    json: bool,
    attested: Vec<Value>,
    failed: Vec<Value>,
}

impl Report {
    /// A report for `total` requests; the bar draws on a terminal's standard error only.
    pub(super) fn new(total: usize, json: bool) -> Self {
        let bar = ProgressBar::new(u64::try_from(total).unwrap_or(u64::MAX));
        let style =
            ProgressStyle::with_template("{bar:40} {pos}/{len} attested or settled ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Self {
            bar,
            json,
            attested: Vec::new(),
            failed: Vec::new(),
        }
    }

    /// A request refused by the checks before anything was sent.
    pub(super) fn refused(&mut self, label: &str, error: &kyc_certifier::Error) {
        self.failed(label, None, &Failure::from(error));
    }

    /// A request attested (now, or by an earlier run).
    pub(super) fn attested(&mut self, label: &str, attested: &Attested, credential: Option<&Path>) {
        let credential_file = credential.map(|path| path.display().to_string());
        let c = &attested.credential;
        if !self.json {
            let verb = if attested.already_on_chain {
                "already attested"
            } else {
                "attested"
            };
            self.bar.suspend(|| {
                println!(
                    "{verb} {label} {} in transaction {} (block {})",
                    c.subject, c.tx_hash, c.block_number
                );
            });
        }
        self.attested.push(json!({
            "request": label,
            "subject": c.subject.to_checksum(None),
            "root": c.root,
            "tx_hash": c.tx_hash,
            "block_number": c.block_number,
            "issued_at": c.issued_at,
            "expires_at": c.expires_at,
            "already_on_chain": attested.already_on_chain,
            "credential": credential_file,
        }));
        self.bar.inc(1);
    }

    /// A request not attested, and what becomes of it.
    pub(super) fn failed(&mut self, label: &str, subject: Option<Address>, failure: &Failure) {
        let state = match failure.disposition {
            Disposition::Retry => "pending",
            Disposition::Stale => "rejected",
            Disposition::Expired => "timed_out",
        };
        if !self.json {
            let who = subject.map(|s| format!(" {s}")).unwrap_or_default();
            self.bar
                .suspend(|| eprintln!("{state} {label}{who}: {}", failure.reason));
        }
        self.failed.push(json!({
            "request": label,
            "subject": subject.map(|s| s.to_checksum(None)),
            "status": state,
            "reason": failure.reason,
        }));
        self.bar.inc(1);
    }

    /// Prints the summary; an error when any request was not attested.
    pub(super) fn finish(self, summary: &BatchSummary) -> anyhow::Result<()> {
        self.bar.finish_and_clear();
        let done = self.attested.len();
        let total = done + self.failed.len();
        if self.json {
            println!(
                "{}",
                json!({
                    "attested": self.attested,
                    "failed": self.failed,
                    "transactions": summary.transactions,
                    "gas_used": summary.gas_used,
                })
            );
        } else {
            println!(
                "{done} of {total} attested ({} already on chain), {} transactions, {} gas",
                summary.already_on_chain, summary.transactions, summary.gas_used
            );
        }
        if !self.failed.is_empty() {
            anyhow::bail!(
                "{} of {total} requests were not attested",
                self.failed.len()
            );
        }
        Ok(())
    }
}
