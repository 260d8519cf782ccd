//! Renderers: one file per output format. Each takes a finished [`Report`] and
//! returns text; none of them probes, prints or reads the clock.

pub mod board;
pub mod json;

pub use board::BoardOptions;

use crate::outcome::Report;

/// The formats `check --format` accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// The status board, for people.
    #[default]
    Board,
    /// The versioned JSON report, for machines.
    Json,
}

/// Writes `report` in `format` to `out`, streaming the large formats.
pub fn write(
    report: &Report,
    format: Format,
    board: &BoardOptions,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => json::write(report, out),
        Format::Board => out.write_all(board::render(report, board).as_bytes()),
    }?;
    out.flush()
}

/// `text` with control characters (escape sequences, newlines) shown as spaces:
/// what people typed into a sign-off must not drive the terminal.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Renders `report` in `format`.
pub fn render(report: &Report, format: Format, board: &BoardOptions) -> String {
    match format {
        Format::Board => board::render(report, board),
        Format::Json => json::render(report),
    }
}
