//! Running the built `kyc` binary.

use std::process::{Command, Output};

/// The `kyc` binary under test, with no KYC_* or ETH_RPC_URL settings leaking in from the caller.
pub(crate) fn kyc() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kyc"));
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("KYC_") || name == "ETH_RPC_URL" {
            command.env_remove(name);
        }
    }
    command
}

/// Standard output as text.
pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
