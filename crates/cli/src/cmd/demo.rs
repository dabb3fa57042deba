//! `kyc demo`: the protocol's whole flow on a fresh local chain, step by step.

use crate::output::print_json;

/// Run the whole flow on its own anvil chain, a line per step; exits non-zero if any
/// step does not behave as shown.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {}

impl Args {
    pub(crate) async fn run(self, json: bool) -> anyhow::Result<()> {
        let mut unprintable = None;
        kyc_devnet::demo::run(|step| {
            if json {
                unprintable = unprintable.take().or(print_json(&step).err());
                return;
            }
            println!("  ✓ {}", step.line);
            if let Some(qr) = &step.qr {
                println!("{qr}");
            }
        })
        .await?;
        if let Some(error) = unprintable {
            return Err(error);
        }
        if !json {
            println!("demo: every step behaved as shown");
        }
        Ok(())
    }
}
