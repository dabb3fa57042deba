//! `kyc hash FILE`: the Merkle root of a claim list, request or credential.

use std::path::PathBuf;

use alloy::primitives::B256;
use anyhow::Context;
use kyc_core::files::{root_of_json, FileKind};
use serde::Serialize;

use crate::output::print_json;

/// What `--json` prints.
#[derive(Serialize)]
struct Hashed {
    kind: FileKind,
    root: B256,
}

/// Print the Merkle root of a claim list (`[{key,value,salt}]`), a request or a credential.
///
/// The file is checked in full first: canonical claims, distinct sorted keys, and, for a
/// request or a credential, the stated root equal to the recomputed one.
#[derive(Debug, clap::Args)]
pub(crate) struct Args {
    /// The JSON file to hash (`-` for standard input).
    file: PathBuf,
}

impl Args {
    pub(crate) fn run(self, json: bool) -> anyhow::Result<()> {
        let (name, text) = if self.file.as_os_str() == "-" {
            let text = std::io::read_to_string(std::io::stdin());
            (
                "standard input".to_owned(),
                text.context("cannot read standard input")?,
            )
        } else {
            let name = self.file.display().to_string();
            let text = std::fs::read_to_string(&self.file);
            (
                name.clone(),
                text.with_context(|| format!("cannot read {name}"))?,
            )
        };
        let (kind, root) = root_of_json(&text).with_context(|| format!("{name} is not valid"))?;
        if json {
            print_json(&Hashed { kind, root })?;
        } else {
            println!("{root}");
        }
        Ok(())
    }
}
