//! Renderers: one file per output format. Each takes a finished [`Report`] and
//! returns text; none of them probes, prints, reads the clock or the
//! environment. `commands/` decides where the text goes.

pub mod board;
pub mod diff;
pub mod github;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod text;

use std::path::PathBuf;

pub use board::BoardOptions;

use crate::outcome::Report;

/// The formats `check --format` and `--report FORMAT=PATH` accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// The status board, for people.
    #[default]
    Board,
    /// The versioned JSON report, for machines.
    Json,
    /// JUnit XML, for CI test dashboards.
    Junit,
    /// Markdown in the seed checklist's format.
    #[value(name = "md", alias = "markdown")]
    Markdown,
    /// A self-contained HTML page.
    Html,
    /// GitHub Actions: annotations on stdout; as a `--report`, the job summary.
    Github,
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
        Format::Board => board::write(report, board, out),
        other => out.write_all(render(report, other, board).as_bytes()),
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

impl Format {
    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Format::Board => "board",
            Format::Json => "json",
            Format::Junit => "junit",
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Github => "github",
        }
    }

    /// True for formats meant for a terminal rather than a program.
    pub fn is_for_people(self) -> bool {
        matches!(self, Format::Board | Format::Github)
    }
}

/// Renders `report` in `format`, as printed on stdout.
pub fn render(report: &Report, format: Format, board: &BoardOptions) -> String {
    match format {
        Format::Board => board::render(report, board),
        Format::Json => json::render(report),
        Format::Junit => junit::render(report),
        Format::Markdown => markdown::render(report),
        Format::Html => html::render(report),
        Format::Github => github::annotations(report),
    }
}

/// Renders `report` in `format`, as written to a `--report` file: the board
/// without colour, and for `github` the job summary.
pub fn render_file(report: &Report, format: Format) -> String {
    match format {
        Format::Board => board::render(report, &BoardOptions::default()),
        Format::Github => github::summary(report),
        other => render(report, other, &BoardOptions::default()),
    }
}

/// One `--report FORMAT=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportSpec {
    /// What to write.
    pub format: Format,
    /// Where.
    pub path: PathBuf,
}

impl std::str::FromStr for ReportSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let names = "board, json, junit, md, html, github";
        let Some((name, path)) = text.split_once('=') else {
            return Err(format!(
                "`{text}` is not FORMAT=PATH (e.g. junit=report.xml); formats: {names}"
            ));
        };
        if path.is_empty() {
            return Err(format!("`{text}` names no file after `=`"));
        }
        let format = <Format as clap::ValueEnum>::from_str(name, true)
            .map_err(|_| format!("unknown report format `{name}`; formats: {names}"))?;
        Ok(ReportSpec {
            format,
            path: PathBuf::from(path),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_specs_parse() {
        let spec: ReportSpec = "junit=out/report.xml".parse().expect("valid");
        assert_eq!(spec.format, Format::Junit);
        assert_eq!(spec.path, PathBuf::from("out/report.xml"));
        let md: ReportSpec = "markdown=STATUS.md".parse().expect("alias");
        assert_eq!(md.format, Format::Markdown);
        assert!(
            "pdf=x"
                .parse::<ReportSpec>()
                .unwrap_err()
                .contains("unknown report format")
        );
        assert!("html".parse::<ReportSpec>().is_err());
        assert!("html=".parse::<ReportSpec>().is_err());
    }
}
