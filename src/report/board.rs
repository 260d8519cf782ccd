//! The status board: the checklist as a tree with a 🟢🟡🔴⚪ per item, a line of
//! evidence under each item that is not green, who signed manual items off and
//! when, waived items marked `⚑ waived` with their justification and expiry, and
//! a summary.
//!
//! It is laid out for a given width (80 columns by default): titles and evidence
//! wrap inside the tree, ids are never truncated.

use std::collections::HashMap;

use comfy_table::{ColumnConstraint, ContentArrangement, LineStyle, Table, TableStyle, Width};

use crate::checklist::scalar::format_duration;
use crate::outcome::{Basis, GateVerdict, ItemReport, Report, Status};
use crate::report::printable;
use crate::report::text::{failing_short, gate_headline};

/// How to draw the board.
#[derive(Debug, Clone)]
pub struct BoardOptions {
    /// ASCII stand-ins for emoji and box drawing.
    pub ascii: bool,
    /// ANSI colours.
    pub color: bool,
    /// The width to fit, in columns.
    pub width: usize,
    /// Statuses of an earlier run: items whose status changed are marked.
    pub previous: Option<HashMap<String, Status>>,
}

impl Default for BoardOptions {
    fn default() -> Self {
        BoardOptions {
            ascii: false,
            color: false,
            width: 80,
            previous: None,
        }
    }
}

/// Every item's status by id, for [`BoardOptions::previous`].
pub fn statuses(report: &Report) -> HashMap<String, Status> {
    report
        .all_items()
        .into_iter()
        .map(|i| (i.id.clone(), i.status))
        .collect()
}

/// A rule under the header and one at the bottom; no other lines.
fn board_style(rule: char) -> TableStyle {
    TableStyle::new()
        .header_separator(LineStyle::none().fill(rule).junction(rule))
        .bottom_border(LineStyle::none().fill(rule).junction(rule))
}

/// The narrowest the item column gets; past this the board grows wider instead.
const MIN_ITEM_WIDTH: usize = 24;

struct Glyphs {
    branch: &'static str,
    last: &'static str,
    pipe: &'static str,
    blank: &'static str,
    critical: &'static str,
    evidence: &'static str,
    signed: &'static str,
    flag: &'static str,
    waived: &'static str,
    dash: &'static str,
    dot: &'static str,
    changed: &'static str,
}

const UNICODE: Glyphs = Glyphs {
    branch: "├─ ",
    last: "└─ ",
    pipe: "│  ",
    blank: "   ",
    critical: "\u{a0}★",
    evidence: "↳ ",
    signed: "✓ ",
    flag: "⚑ ",
    waived: " ⚑ waived",
    dash: "—",
    dot: "·",
    changed: "◀",
};

const ASCII: Glyphs = Glyphs {
    branch: "|- ",
    last: "`- ",
    pipe: "|  ",
    blank: "   ",
    critical: " (critical)",
    evidence: "> ",
    signed: "+ ",
    flag: "! ",
    waived: " (waived)",
    dash: "-",
    dot: "|",
    changed: "<-",
};

struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    fn status_code(status: Status) -> &'static str {
        match status {
            Status::Green => "32",
            Status::Yellow => "33",
            Status::Red => "31",
            Status::White => "2",
        }
    }
}

/// Renders the whole board.
pub fn render(report: &Report, options: &BoardOptions) -> String {
    let glyphs = if options.ascii { &ASCII } else { &UNICODE };
    let painter = Painter {
        color: options.color,
    };
    let status_width = if options.ascii { 3 } else { 2 };
    let id_width = report
        .all_items()
        .iter()
        .map(|i| i.id.chars().count())
        .max()
        .unwrap_or(2)
        .max(2);
    // Three columns, one space of padding either side of each, and a space
    // between columns.
    let item_width = options
        .width
        .saturating_sub(status_width + id_width + 8)
        .max(MIN_ITEM_WIDTH);

    let mut table = Table::new();
    table
        .load_style(board_style(if options.ascii { '-' } else { '─' }))
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(vec![
            painter.paint("1", if options.ascii { "ST" } else { "" }),
            painter.paint("1", "ITEM"),
            painter.paint("1", "ID"),
        ]);
    let mut rows = Vec::new();
    for item in &report.items {
        tree_rows(
            item, "", None, glyphs, &painter, options, item_width, &mut rows,
        );
    }
    for row in rows {
        table.add_row(row);
    }
    for (index, width) in [status_width, item_width, id_width].into_iter().enumerate() {
        if let Some(column) = table.column_mut(index) {
            // comfy-table's fixed width includes one space of padding either side.
            column.set_constraint(ColumnConstraint::Absolute(Width::Fixed((width + 2) as u16)));
        }
    }

    let mut out = String::new();
    let status = report.status;
    let mark = if options.ascii {
        status.ascii()
    } else {
        status.glyph()
    };
    let overall = format!(
        "{mark} {}",
        painter.paint(Painter::status_code(status), status.word())
    );
    let dot = glyphs.dot;
    // The headline leads with the gate's verdict and what decided it; the
    // overall roll-up is shown only when no gate judged the run.
    let verdict = match &report.gate {
        Some(gate) => {
            let code = match gate.verdict {
                GateVerdict::Ready => "1;32",
                GateVerdict::NothingJudged | GateVerdict::Interrupted => "1;33",
                GateVerdict::NotReady => "1;31",
            };
            let why = match gate.verdict {
                GateVerdict::Ready => gate.policy.clone(),
                GateVerdict::NothingJudged => format!("no {} item to judge", gate.counted()),
                GateVerdict::Interrupted => "the run was interrupted".to_owned(),
                GateVerdict::NotReady => failing_short(gate, false).unwrap_or_default(),
            };
            format!("{} {dot} {why}", painter.paint(code, &gate_headline(gate)))
        }
        None => format!("overall {overall}"),
    };
    out.push_str(&fit(
        &format!(
            "{} {} {verdict}",
            painter.paint("1", &report.checklist.name),
            glyphs.dash
        ),
        options.width,
    ));
    if report.interrupted {
        out.push_str(&painter.paint(
            "1;33",
            "interrupted: the board shows what finished before the stop\n",
        ));
    }
    for line in table.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str(&summary(report, options, glyphs, &painter));
    out
}

/// `line` word-wrapped to `width` columns (colour codes take no room), later
/// lines indented; with a newline at the end.
fn fit(line: &str, width: usize) -> String {
    // Ids are never cut: a word longer than the width stays whole.
    let options = textwrap::Options::new(width.max(20))
        .subsequent_indent("    ")
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let mut out = textwrap::wrap(line, &options).join("\n");
    out.push('\n');
    out
}

#[allow(clippy::too_many_arguments)]
fn tree_rows(
    item: &ItemReport,
    prefix: &str,
    last: Option<bool>,
    glyphs: &Glyphs,
    painter: &Painter,
    options: &BoardOptions,
    width: usize,
    rows: &mut Vec<Vec<String>>,
) {
    let (lead, cont) = match last {
        None => (String::new(), String::new()),
        Some(true) => (
            format!("{prefix}{}", glyphs.last),
            format!("{prefix}{}", glyphs.blank),
        ),
        Some(false) => (
            format!("{prefix}{}", glyphs.branch),
            format!("{prefix}{}", glyphs.pipe),
        ),
    };
    let mut title = item.title.clone();
    if item.critical {
        title.push_str(glyphs.critical);
    }
    if let Some(before) = options.previous.as_ref().and_then(|p| p.get(&item.id))
        && *before != item.status
    {
        let was = if options.ascii {
            before.ascii()
        } else {
            before.glyph()
        };
        title.push_str(&format!(" {} was {was}", glyphs.changed));
    }
    if item.waived() {
        title.push_str(glyphs.waived);
    }
    // Lines under a group's title continue the tree down to its children.
    let under = if item.items.is_empty() {
        cont.clone()
    } else {
        format!("{cont}{}", glyphs.pipe)
    };
    let title_lines = wrap(&title, width, &lead, &under);
    // Group titles are bold; leaf titles plain.
    let weight = if item.items.is_empty() { "0" } else { "1" };
    let title_cell: Vec<String> = title_lines
        .iter()
        .map(|(tree, text)| {
            format!(
                "{}{}",
                painter.paint("2", tree),
                painter.paint(weight, text)
            )
        })
        .collect();
    let glyph = if options.ascii {
        item.status.ascii()
    } else {
        item.status.glyph()
    };
    rows.push(vec![
        painter.paint(Painter::status_code(item.status), glyph),
        title_cell.join("\n"),
        item.id.clone(),
    ]);
    let mut notes: Vec<(String, &str)> = Vec::new();
    for signoff in &item.signoffs {
        let code = if signoff.stale { "33" } else { "32" };
        notes.push((
            format!(
                "{}{}",
                glyphs.signed,
                crate::report::text::signoff_line(signoff, glyphs.dot)
            ),
            code,
        ));
    }
    if let Some(waiver) = &item.waiver {
        let code = if waiver.expired { "2" } else { "35" };
        notes.push((
            format!(
                "{}{}",
                glyphs.flag,
                crate::report::text::waiver_line(waiver)
            ),
            code,
        ));
    }
    let flaky = item.probes.iter().any(|p| p.flaky);
    let shows_evidence = !item.reason.is_empty()
        && (item.status != Status::Green || flaky)
        && (item.items.is_empty() || item.basis != Basis::Children);
    if shows_evidence {
        let code = match item.status {
            Status::Red => "31",
            Status::Yellow => "33",
            Status::Green => "36",
            Status::White => "2",
        };
        notes.push((format!("{}{}", glyphs.evidence, item.reason), code));
    }
    for (text, code) in notes {
        // Sign-offs carry what people typed: never let it drive the terminal.
        let lines = wrap(&printable(&text), width, &under, &format!("{under}  "));
        let cell: Vec<String> = lines
            .iter()
            .map(|(tree, text)| {
                format!("{}{}", painter.paint("2", tree), painter.paint(code, text))
            })
            .collect();
        rows.push(vec![String::new(), cell.join("\n"), String::new()]);
    }
    let count = item.items.len();
    for (i, child) in item.items.iter().enumerate() {
        tree_rows(
            child,
            &cont,
            Some(i + 1 == count),
            glyphs,
            painter,
            options,
            width,
            rows,
        );
    }
}

/// Wraps `text` to `width` columns, the first line after `first`, the rest after `rest`.
/// Returns (tree prefix, text) pairs.
fn wrap(text: &str, width: usize, first: &str, rest: &str) -> Vec<(String, String)> {
    let text = text.replace(['\n', '\r', '\t'], " ");
    let first_width = width
        .saturating_sub(unicode_width::UnicodeWidthStr::width(first))
        .max(8);
    let rest_width = width
        .saturating_sub(unicode_width::UnicodeWidthStr::width(rest))
        .max(8);
    // Lines break at spaces only: the default Unicode rules would break a URL
    // after every `/`, and a URL cut in two cannot be copied. A word longer
    // than the line is still cut, at the edge.
    let options = textwrap::Options::new(first_width)
        .subsequent_indent("")
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation)
        .break_words(true);
    let mut lines: Vec<String> = Vec::new();
    let first_pass = textwrap::wrap(&text, &options);
    if let Some(head) = first_pass.first() {
        lines.push(head.to_string());
        let consumed = head.len();
        let tail = text[consumed.min(text.len())..].trim_start();
        if !tail.is_empty() {
            let rest_options = textwrap::Options::new(rest_width)
                .word_separator(textwrap::WordSeparator::AsciiSpace)
                .word_splitter(textwrap::WordSplitter::NoHyphenation)
                .break_words(true);
            lines.extend(
                textwrap::wrap(tail, &rest_options)
                    .into_iter()
                    .map(|l| l.to_string()),
            );
        }
    } else {
        lines.push(String::new());
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            (
                if i == 0 {
                    first.to_owned()
                } else {
                    rest.to_owned()
                },
                line,
            )
        })
        .collect()
}

fn summary(report: &Report, options: &BoardOptions, glyphs: &Glyphs, painter: &Painter) -> String {
    let s = &report.summary;
    let mut counts = Vec::new();
    for status in Status::ALL {
        let glyph = if options.ascii {
            status.ascii()
        } else {
            status.glyph()
        };
        counts.push(format!("{} {glyph}", s.count(status)));
    }
    let leaves = s.green + s.yellow + s.red + s.white;
    let waived = if s.waived > 0 {
        format!("  {} {} waived", glyphs.dot, s.waived)
    } else {
        String::new()
    };
    let mut out = format!(
        "{}  {} {}{waived}\n{} in {}: {}\n",
        counts.join("  "),
        glyphs.dot,
        crate::report::text::count(leaves, "item"),
        crate::report::text::count(s.probes(), "probe"),
        format_duration(std::time::Duration::from_millis(report.duration_ms)),
        crate::report::text::probe_counts(s),
    );
    if let Some(gate) = &report.gate {
        if gate.verdict == GateVerdict::NothingJudged {
            let code = if gate.passed { "1;33" } else { "1;31" };
            out.push_str(&fit(
                &format!(
                    "{}: {}",
                    painter.paint(code, "gate judged nothing"),
                    gate.nothing_judged()
                ),
                options.width,
            ));
        } else if gate.passed {
            out.push_str(&fit(
                &format!("{}: {}", painter.paint("1;32", "gate passed"), gate.policy),
                options.width,
            ));
        } else {
            let n = gate.failing.len();
            let shown: Vec<&str> = gate.failing.iter().take(8).map(String::as_str).collect();
            let more = n.saturating_sub(shown.len());
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            let items = if n == 1 { "item is" } else { "items are" };
            let red = format!(
                "{n} {} {items} {}: {}{more}",
                gate.counted(),
                gate.blocking,
                shown.join(", ")
            );
            let why = match (report.interrupted, n) {
                (true, 0) => "the run was interrupted".to_owned(),
                (true, _) => format!("the run was interrupted ({red})"),
                (false, _) => red,
            };
            out.push_str(&fit(
                &format!("{}: {why}", painter.paint("1;31", "gate failed")),
                options.width,
            ));
        }
        if !gate.waived.is_empty() {
            let line = if gate.waivers_count {
                format!("let through by a waiver: {}", gate.waived.join(", "))
            } else {
                format!(
                    "waived, but waivers count only with --allow-waivers: {}",
                    gate.waived.join(", ")
                )
            };
            for part in fit(&line, options.width).lines() {
                out.push_str(&painter.paint("35", part));
                out.push('\n');
            }
        }
    }
    let has_critical = report.all_items().iter().any(|i| i.critical);
    if has_critical {
        let mark = if options.ascii { "(critical)" } else { "★" };
        out.push_str(&painter.paint("2", &format!("{mark} critical path\n")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_keeps_prefixes() {
        let lines = wrap("one two three four five six", 14, "├─ ", "│  ");
        assert_eq!(lines[0], ("├─ ".to_owned(), "one two".to_owned()));
        assert!(lines.iter().skip(1).all(|(p, _)| p == "│  "));
        let joined: Vec<String> = lines.iter().map(|(_, t)| t.clone()).collect();
        assert_eq!(joined.join(" "), "one two three four five six");
    }

    #[test]
    fn urls_are_never_broken_at_a_slash() {
        let text =
            "no answer within 1s (timeout) waiting for http://127.0.0.1:41667/api/v1/reports";
        let lines = wrap(text, 40, "", "  ");
        let url = "http://127.0.0.1:41667/api/v1/reports";
        assert!(
            lines.iter().any(|(_, t)| t.contains(url)),
            "the URL stays on one line: {lines:?}"
        );
    }
}
