//! Problems in a checklist, rendered the way compilers do: a title, the
//! `--> file:line:col` arrow, the offending line with a caret, and a hint.
//!
//! ```text
//! error: unknown field `timout`
//!   --> checklist.yaml:8:9
//!    |
//!  8 |         timout: 5s
//!    |         ^^^^^^
//!    = help: did you mean `timeout`?
//! ```

use std::fmt::Write as _;

use serde_saphyr::Location;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Nothing runs.
    Error,
    /// Worth saying; the checklist still runs.
    Warning,
}

/// A place in a checklist file: which file (0 is the checklist named on the
/// command line, 1… the files it includes, in the order they were read), a line
/// and column (both 1-based) and the length of the marked text in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Index of the file in the checklist's sources.
    pub file: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// Characters to underline (at least one caret is drawn).
    pub len: u32,
}

impl Span {
    /// The span of a serde-saphyr location, if it is known.
    pub fn from_location(location: &Location) -> Option<Span> {
        if location.line() == 0 {
            return None;
        }
        Some(Span {
            file: 0,
            line: u32::try_from(location.line()).unwrap_or(u32::MAX),
            column: u32::try_from(location.column()).unwrap_or(u32::MAX),
            len: u32::try_from(location.span().len()).unwrap_or(1).max(1),
        })
    }

    /// The same place, in file `file` of the checklist's sources.
    #[must_use]
    pub fn in_file(self, file: u32) -> Span {
        Span { file, ..self }
    }
}

/// One problem with a checklist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The title line.
    pub message: String,
    /// Where, when known.
    pub span: Option<Span>,
    /// What to do about it.
    pub help: Option<String>,
    /// Extra context, e.g. where an id was first defined.
    pub note: Option<String>,
    /// The file a diagnostic without a span is about (an index into the
    /// checklist's sources; 0 is the checklist itself).
    pub file: u32,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            help: None,
            note: None,
            file: 0,
        }
    }

    /// A warning at `span`.
    pub fn warning(message: impl Into<String>, span: Option<Span>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(message, span)
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The same problem, found in file `file` of the checklist's sources.
    #[must_use]
    pub fn in_file(mut self, file: u32) -> Self {
        self.file = file;
        self.span = self.span.map(|s| s.in_file(file));
        self
    }

    /// The index of the file this diagnostic is about.
    pub fn file(&self) -> u32 {
        self.span.map_or(self.file, |s| s.file)
    }

    /// Renders the diagnostic against the file it is about.
    pub fn render(&self, file_name: &str, source: &str, color: bool) -> String {
        let paint = |code: &str, text: &str| {
            if color {
                format!("\x1b[{code}m{text}\x1b[0m")
            } else {
                text.to_owned()
            }
        };
        let (label, code) = match self.severity {
            Severity::Error => ("error", "1;31"),
            Severity::Warning => ("warning", "1;33"),
        };
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", paint(code, label), paint("1", &self.message));
        let gutter_width = self.span.map_or(1, |s| s.line.to_string().len());
        let pad = " ".repeat(gutter_width);
        let bar = paint("1;34", "|");
        match self.span {
            Some(span) => {
                let _ = writeln!(
                    out,
                    "{pad}{} {file_name}:{}:{}",
                    paint("1;34", "-->"),
                    span.line,
                    span.column
                );
                if let Some(text) = source.lines().nth(span.line as usize - 1) {
                    let text = text.trim_end_matches('\r').replace('\t', " ");
                    let (text, start) = window(&text, span.column.saturating_sub(1) as usize);
                    let _ = writeln!(out, "{pad} {bar}");
                    let _ = writeln!(
                        out,
                        "{} {bar} {text}",
                        paint("1;34", &span.line.to_string())
                    );
                    let line_chars = text.chars().count();
                    let width = (span.len as usize)
                        .min(line_chars.saturating_sub(start))
                        .max(1);
                    let carets = format!("{}{}", " ".repeat(start), "^".repeat(width));
                    let _ = writeln!(out, "{pad} {bar} {}", paint(code, &carets));
                }
            }
            None => {
                let _ = writeln!(out, "{pad}{} {file_name}", paint("1;34", "-->"));
            }
        }
        if let Some(note) = &self.note {
            let _ = writeln!(out, "{pad} = note: {note}");
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "{pad} = {}: {help}", paint("1;36", "help"));
        }
        out
    }
}

/// Source lines longer than this are shown as a window around the column.
const LONG_LINE: usize = 160;

/// How much of a long line is shown.
const SHOWN_CHARS: usize = 120;

/// `line` cut to a window of [`SHOWN_CHARS`] around character `column` (with
/// `…` where it was cut) when it is longer than [`LONG_LINE`], and the column
/// within what is shown.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= LONG_LINE {
        return (line.to_owned(), column);
    }
    let from = column
        .saturating_sub(SHOWN_CHARS / 3)
        .min(chars.len() - SHOWN_CHARS);
    let to = from + SHOWN_CHARS;
    let mut text: String = chars[from..to].iter().collect();
    let mut column = column - from;
    if from > 0 {
        text.insert(0, '…');
        column += 1;
    }
    if to < chars.len() {
        text.push('…');
    }
    (text, column)
}

/// The closest candidate to `word`, if one is close enough to be a typo.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_caret_under_the_span() {
        let d = Diagnostic::error(
            "unknown field `timout`",
            Some(Span {
                file: 0,
                line: 2,
                column: 3,
                len: 6,
            }),
        )
        .with_help("did you mean `timeout`?");
        let out = d.render("x.yaml", "a:\n  timout: 5s\n", false);
        assert_eq!(
            out,
            "error: unknown field `timout`\n --> x.yaml:2:3\n  |\n2 |   timout: 5s\n  |   ^^^^^^\n  = help: did you mean `timeout`?\n"
        );
    }

    #[test]
    fn long_lines_are_shown_around_the_column() {
        let line = format!("{}timout{}", "a".repeat(300), "b".repeat(300));
        let d = Diagnostic::error(
            "unknown field `timout`",
            Some(Span {
                file: 0,
                line: 1,
                column: 301,
                len: 6,
            }),
        );
        let out = d.render("x.yaml", &line, false);
        let shown: Vec<&str> = out.lines().collect();
        let text = shown[3].split_once("| ").map_or("", |(_, t)| t);
        let carets = shown[4].split_once("| ").map_or("", |(_, t)| t);
        assert!(text.starts_with('…') && text.ends_with('…'), "{out}");
        assert!(text.chars().count() <= SHOWN_CHARS + 2, "{out}");
        let at = carets.find('^').expect("carets");
        assert_eq!(
            &text.chars().skip(at).take(6).collect::<String>(),
            "timout",
            "{out}"
        );
    }

    #[test]
    fn suggests_close_words_only() {
        assert_eq!(did_you_mean("timout", ["url", "timeout"]), Some("timeout"));
        assert_eq!(did_you_mean("htp", ["http", "tcp"]), Some("http"));
        assert_eq!(did_you_mean("zzz", ["http", "tcp"]), None);
    }
}
