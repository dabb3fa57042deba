//! `kyc service watch`: follows the registry for the customers in the service's
//! database and prints their changes of status as JSON lines, for a bank that embeds
//! the library rather than running the service.

use std::{io::Write, time::Duration};

use anyhow::bail;
use kyc_verifier::watcher::{Pass, WatchOptions};

use super::VerifierArgs;

/// Follow the registry for the verified customers in the database: print each change
/// of status (revoked, withdrawn, expired, re-attested, certifier removed, reinstated)
/// as one JSON line `{type, timestamp, data}`, and record it like the service does.
///
/// Reads from where the last watch of this database stopped to the chain's head, then
/// exits; with --follow, keeps reading until Ctrl-C.
#[derive(Debug, clap::Args)]
pub(super) struct WatchArgs {
    /// Keep following the chain rather than stop at its head.
    #[arg(long)]
    follow: bool,

    /// How long between two passes with --follow, such as 2s.
    #[arg(long, default_value = "2s", value_parser = kyc_core::time::parse_duration)]
    every: Duration,

    /// How many blocks each pass reads again, to correct reorganisations.
    #[arg(long, default_value_t = WatchOptions::default().reorg_depth)]
    reorg_depth: u64,

    /// The longest block range of one log request (hosted nodes limit it).
    #[arg(long, default_value_t = WatchOptions::default().max_log_range)]
    max_log_range: u64,

    #[command(flatten)]
    verifier: VerifierArgs,
}

impl WatchArgs {
    pub(super) async fn run(self) -> anyhow::Result<()> {
        let verifier = self.verifier.connect().await?;
        let mut watcher = verifier.watcher(WatchOptions {
            reorg_depth: self.reorg_depth,
            max_log_range: self.max_log_range,
        });
        let mut stdout = std::io::stdout().lock();
        loop {
            match watcher.pass().await {
                Ok(Pass::Watched { events, .. }) => {
                    for event in events {
                        writeln!(stdout, "{}", serde_json::to_string(&event)?)?;
                    }
                    stdout.flush()?;
                }
                Ok(Pass::Standby) if !self.follow => {
                    bail!("another process is watching the registry for this database")
                }
                Ok(Pass::Standby) => {}
                Err(err) if self.follow => eprintln!("warning: {err}; retrying"),
                Err(err) => return Err(err.into()),
            }
            if !self.follow {
                return Ok(());
            }
            tokio::select! {
                () = tokio::time::sleep(self.every) => {}
                () = kyc_service::shutdown_signal() => return Ok(()),
            }
        }
    }
}
