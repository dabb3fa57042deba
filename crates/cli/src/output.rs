//! `--json`: one JSON document on one line per command (JSON lines for a stream), always
//! serialised from data, never built by hand.

use std::fmt::Display;

use serde::Serialize;

/// Prints `value` as one line of JSON.
pub(crate) fn print_json(value: &impl Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string(value)?);
    Ok(())
}

/// Prints a library result: its JSON with `--json`, else its lines.
pub(crate) fn show(value: &(impl Serialize + Display), json: bool) -> anyhow::Result<()> {
    show_as(value, value, json)
}

/// Prints a library result: its JSON with `--json`, else the `screen` that presents it.
pub(crate) fn show_as(
    value: &impl Serialize,
    screen: impl Display,
    json: bool,
) -> anyhow::Result<()> {
    if json {
        return print_json(value);
    }
    println!("{screen}");
    Ok(())
}
