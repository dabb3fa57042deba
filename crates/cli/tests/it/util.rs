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

/// Asserts that `actual` is the whole of `expected`, line for line, where `[..]` in an
/// expected line stands for any text (as in snapbox, which foundry's cast tests use):
/// for what varies from run to run, such as times. Shows both texts when they differ.
#[track_caller]
pub(crate) fn assert_output(actual: &str, expected: &str) {
    let same = actual.lines().count() == expected.lines().count()
        && actual
            .lines()
            .zip(expected.lines())
            .all(|(line, pattern)| line_matches(line, pattern));
    assert!(
        same,
        "the output differs\n--- expected\n{expected}\n--- actual\n{actual}"
    );
}

/// Whether `line` is `pattern` with each `[..]` standing for any text.
fn line_matches(line: &str, pattern: &str) -> bool {
    let mut parts = pattern.split("[..]");
    let Some(mut rest) = parts.next().and_then(|first| line.strip_prefix(first)) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

#[test]
fn a_wildcard_stands_for_any_text_and_nothing_else_differs() {
    assert!(line_matches("check code 123456", "check code 123456"));
    assert!(line_matches(
        "until 2026-11-30 (in 600s)",
        "until [..] (in [..]s)"
    ));
    assert!(line_matches("abc", "[..]"));
    assert!(!line_matches("check code 123456", "check code 12345"));
    assert!(!line_matches(
        "until x (in 600s) more",
        "until [..] (in [..]s)"
    ));
    assert!(!line_matches("ab", "a[..]b[..]b"));
}
