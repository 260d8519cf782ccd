//! `--format json`: the [`Report`] as JSON, schema documented in
//! `docs/json-schema.md` and `docs/report.schema.json`, versioned by
//! `schema_version`.

use std::io::Write as _;

use crate::outcome::Report;

/// Streams the report as pretty-printed JSON with a trailing newline.
pub fn write(report: &Report, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut buffered = std::io::BufWriter::new(out);
    serde_json::to_writer_pretty(&mut buffered, report)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

/// The report as pretty-printed JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let mut text = serde_json::to_string_pretty(report).unwrap_or_else(|e| {
        // Serializing plain owned data cannot fail; stay total all the same.
        format!("{{\"error\": \"could not serialize the report: {e}\"}}")
    });
    text.push('\n');
    text
}
