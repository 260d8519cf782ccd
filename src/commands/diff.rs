//! `candlefish diff OLD.json NEW.json`: what changed between two runs,
//! regressions first. Exit 1 when something regressed, 2 when a file cannot be
//! read; `check --baseline` reads its file here too.

use std::path::Path;

use super::Exit;
use crate::cli::{DiffArgs, DiffFormat};
use crate::outcome::{Report, SCHEMA_VERSION};
use crate::report::diff;

/// The largest report file read (64 MiB).
const MAX_REPORT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads a JSON report written by `--format json` or `--report json=…`.
pub fn read_report(path: &Path) -> Result<Report, String> {
    let bytes = crate::bounded::read_at_most(path, MAX_REPORT_BYTES, "a report")?;
    let text =
        String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{} is not JSON: {e}", path.display()))?;
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(format!(
                "{} has schema_version {v}; this Candlefish reads {SCHEMA_VERSION}",
                path.display()
            ));
        }
        None => {
            return Err(format!(
                "{} is not a Candlefish report (no schema_version); write one with --format json",
                path.display()
            ));
        }
    }
    serde_json::from_value(value)
        .map_err(|e| format!("{} is not a Candlefish report: {e}", path.display()))
}

pub fn run(args: &DiffArgs) -> Exit {
    let (old, new) = match (read_report(&args.old), read_report(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let changes = diff::diff(&old, &new);
    match args.format {
        DiffFormat::Text => super::print_out(&diff::render(&changes, args.ascii)),
        DiffFormat::Json => super::print_out(&format!(
            "{}\n",
            serde_json::to_string_pretty(&changes).unwrap_or_default()
        )),
    }
    if changes.has_regressions() {
        Exit::Failed
    } else {
        Exit::Passed
    }
}
