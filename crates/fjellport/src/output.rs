//! Printing data: compact JSON when stdout is not a terminal (or with `--json`), indented JSON
//! for people otherwise.

use std::io::{IsTerminal, Write};

use serde::Serialize;

pub(crate) fn print<T: Serialize>(value: &T, json: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let machine = json || !stdout.is_terminal();
    let text =
        if machine { serde_json::to_string(value) } else { serde_json::to_string_pretty(value) }
            .map_err(std::io::Error::other)?;
    let mut out = stdout.lock();
    writeln!(out, "{text}")?;
    out.flush()
}
