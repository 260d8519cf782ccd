//! `md`: the board as Markdown in the seed checklist's own format, so the living
//! board can replace the hand-kept file (and `candlefish import` reads it back).
//!
//! - `# name`, the description, the status legend, then a one-line verdict as a
//!   quote that starts with `Candlefish:`.
//! - Sections are `##` headings; a group holding groups is a heading one level
//!   deeper (down to `######`); other items are list items, nested by indent.
//!   Headings carry their status at the end (`#### PostgreSQL [🔴]`), list items
//!   at the start (`- [🟡] …`). A leaf that is green is `[x]`; one that is red
//!   only because nothing is done yet (declared, awaiting sign-off) is `[ ]`;
//!   every other status is its emoji. A group shows a marker only when a person
//!   declared its status (otherwise its colour is the roll-up of its items).
//! - Critical items end in ` ★`; optional ones that are not deferred in
//!   ` (optional)`.
//! - Evidence is a sub-bullet starting with `↳`: one per probe (verdict,
//!   evidence, time), or the reason (blocked by …, awaiting sign-off). When the
//!   board's colour differs from the status a person declared, a sub-bullet
//!   `↳ declared: 🟡 (in_progress)` keeps what they said.
//! - Item notes follow as Markdown (code blocks stay code blocks); notes that
//!   hold lists or headings are quoted so they are not read back as items
//!   (those holding task lines, which `import` reads as items even in a quote,
//!   start with an HTML comment that marks them as notes).
//! - The checklist's notes section and the footer (last updated, next review,
//!   owner) close the file, as in the seed.

use crate::outcome::{Basis, ItemReport, Report, Status};
use crate::report::text::{millis, probe_line};

/// The legend, in the seed's words.
pub const LEGEND: [(Status, &str); 4] = [
    (Status::Green, "Complete and verified"),
    (Status::Yellow, "In progress or partially complete"),
    (Status::Red, "Not started or blocked"),
    (Status::White, "Optional or can be deferred"),
];

/// The heading of the legend section.
pub const LEGEND_HEADING: &str = "Quick Status Overview";

/// The heading of the checklist's notes section, and its four parts.
pub const NOTES_HEADING: &str = "Notes Section";

/// The deepest Markdown heading.
const MAX_HEADING: usize = 6;

/// The whole report as a Markdown document.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!("# {}\n\n", escape_heading(&report.checklist.name)));
    if let Some(description) = report.checklist.description.as_deref() {
        let description = description.trim();
        if !description.is_empty() {
            out.push_str(description);
            out.push_str("\n\n");
        }
    }
    out.push_str(&format!("## {LEGEND_HEADING}\n"));
    for (status, meaning) in LEGEND {
        out.push_str(&format!("- {} {meaning}\n", status.glyph()));
    }
    out.push('\n');
    out.push_str(&format!("> {}\n\n", verdict(report)));
    out.push_str(&body(report));
    out.push_str(&notes_section(report));
    out.push_str(&footer(report));
    out
}

/// The sections alone, as Markdown (also used by the GitHub job summary).
pub fn body(report: &Report) -> String {
    let mut out = String::new();
    for section in &report.items {
        heading(section, 2, false, &mut out);
    }
    out
}

/// `**Candlefish: NOT READY** — …`: the run's verdict in one line.
fn verdict(report: &Report) -> String {
    let s = &report.summary;
    let word = report
        .gate
        .as_ref()
        .map_or_else(|| "CHECKED".to_owned(), crate::report::text::gate_headline);
    let mut parts = vec![format!("**Candlefish: {word}**")];
    if let Some(gate) = &report.gate {
        parts.push(format!("gate: {}", crate::report::text::gate_rule(gate)));
        parts.push(format!(
            "result: {}",
            crate::report::text::gate_result(gate, |id| format!("`{id}`"))
        ));
    }
    parts.push(format!(
        "overall {} · {} 🟢 {} 🟡 {} 🔴 {} ⚪",
        report.status.glyph(),
        s.green,
        s.yellow,
        s.red,
        s.white
    ));
    parts.push(format!(
        "checked {} in {} by {}",
        crate::report::text::when(&report.started_at),
        millis(report.duration_ms),
        report.tool
    ));
    parts.join(" — ")
}

/// Whether an item's children include groups (so it is drawn as a heading).
fn holds_groups(item: &ItemReport) -> bool {
    item.items.iter().any(|c| !c.items.is_empty())
}

/// Whether an item shows a status marker: leaves always; a group only when a
/// person declared one (its colour is otherwise the roll-up of what it holds,
/// and a marker would read back as a declaration).
fn shows_marker(item: &ItemReport) -> bool {
    item.items.is_empty() || item.declared.is_some()
}

fn heading(item: &ItemReport, level: usize, parent_optional: bool, out: &mut String) {
    out.push_str(&format!(
        "{} {}{}{}{}\n\n",
        "#".repeat(level),
        escape_heading(&item.title),
        optional_tag(item, parent_optional),
        if item.critical { " ★" } else { "" },
        if shows_marker(item) {
            format!(" [{}]", item.status.glyph())
        } else {
            String::new()
        }
    ));
    let evidence = evidence(item);
    for line in &evidence {
        out.push_str(&format!("- ↳ {}\n", escape_inline(line)));
    }
    if !evidence.is_empty() {
        out.push('\n');
    }
    if let Some(notes) = notes_block(item) {
        out.push_str(&notes);
        out.push_str("\n\n");
    }
    let deeper = level < MAX_HEADING;
    let first_heading = item.items.iter().position(holds_groups).filter(|_| deeper);
    let mut in_list = false;
    for (index, child) in item.items.iter().enumerate() {
        if first_heading.is_some_and(|f| index >= f) {
            if in_list {
                blank_line(out);
                in_list = false;
            }
            heading(child, level + 1, item.optional, out);
        } else {
            list_item(child, "", item.optional, out);
            in_list = true;
        }
    }
    if in_list {
        blank_line(out);
    }
}

/// Ends the text with one blank line, not two.
fn blank_line(out: &mut String) {
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn list_item(item: &ItemReport, indent: &str, parent_optional: bool, out: &mut String) {
    // Inside an optional group an item is white whatever it says; show what
    // it says, as the hand-kept file did (the group's ⚪ tells the rest).
    let shown = if parent_optional && item.items.is_empty() {
        item.declared
            .as_deref()
            .and_then(declared_status)
            .map(|status| ItemReport {
                status,
                basis: Basis::Declared,
                declared: None,
                ..item.clone()
            })
    } else {
        None
    };
    let item = shown.as_ref().unwrap_or(item);
    let marker = if shows_marker(item) {
        format!("[{}] ", list_box(item))
    } else {
        String::new()
    };
    out.push_str(&format!(
        "{indent}- {marker}{}{}{}\n",
        escape_inline(&item.title),
        optional_tag(item, parent_optional),
        if item.critical { " ★" } else { "" }
    ));
    let inner = format!("{indent}  ");
    for line in evidence(item) {
        out.push_str(&format!("{inner}- ↳ {}\n", escape_inline(&line)));
    }
    if let Some(notes) = notes_block(item) {
        blank_line(out);
        for line in notes.lines() {
            if line.is_empty() {
                out.push('\n');
            } else {
                out.push_str(&format!("{inner}{line}\n"));
            }
        }
        out.push('\n');
    }
    for child in &item.items {
        list_item(child, &inner, item.optional, out);
    }
}

/// ` (optional)` for an optional item that would not read back as deferred
/// (which `import` makes optional): one declared or shown as anything but ⚪,
/// unless its group is optional already.
fn optional_tag(item: &ItemReport, parent_optional: bool) -> &'static str {
    let reads_deferred = match item.declared.as_deref() {
        Some(word) => word == "deferred",
        None => shows_marker(item) && item.status == Status::White,
    };
    if item.optional && !parent_optional && !reads_deferred {
        " (optional)"
    } else {
        ""
    }
}

/// `x` for a green leaf, a space for a leaf nobody has started, else the emoji.
fn list_box(item: &ItemReport) -> &'static str {
    if !item.items.is_empty() {
        return item.status.glyph();
    }
    match (item.status, item.basis) {
        (Status::Green, _) => "x",
        (Status::Red, Basis::Declared | Basis::Manual | Basis::Nothing) => " ",
        (status, _) => status.glyph(),
    }
}

/// The status a declared word stands for.
pub fn declared_status(word: &str) -> Option<Status> {
    match word {
        "done" => Some(Status::Green),
        "in_progress" => Some(Status::Yellow),
        "not_started" | "blocked" => Some(Status::Red),
        "deferred" => Some(Status::White),
        _ => None,
    }
}

/// The evidence lines under an item.
fn evidence(item: &ItemReport) -> Vec<String> {
    let mut lines: Vec<String> = item.probes.iter().map(probe_line).collect();
    let reason_counts = item.probes.is_empty()
        && !item.reason.is_empty()
        && matches!(
            item.basis,
            Basis::Dependency | Basis::Manual | Basis::Nothing
        );
    if reason_counts {
        lines.push(item.reason.clone());
    }
    lines.extend(crate::report::text::attestation_lines(item));
    if let Some(declared) = item.declared.as_deref()
        && let Some(status) = declared_status(declared)
        && status != item.status
        && item.probes.is_empty()
    {
        lines.push(format!(
            "declared: {} ({})",
            status.glyph(),
            declared.replace('_', " ")
        ));
    }
    lines
}

/// The item's notes, quoted when they hold Markdown that would read as items.
fn notes_block(item: &ItemReport) -> Option<String> {
    let mut notes = item.notes.as_deref()?.trim_end().to_owned();
    if notes.trim().is_empty() {
        return None;
    }
    if let Some(docs) = item.docs.as_deref() {
        notes.push_str(&format!("\n\nDocs: <{docs}>"));
    }
    if needs_quote(&notes) {
        // `import` reads tasks in a quote as items: say these are notes.
        if holds_task_lines(&notes) {
            notes.insert_str(0, &format!("{}\n", crate::import::outline::NOTES_QUOTE));
        }
        Some(
            notes
                .lines()
                .map(|l| {
                    if l.is_empty() {
                        ">".to_owned()
                    } else {
                        format!("> {l}")
                    }
                })
                .collect::<Vec<_>>()
                .join("\n"),
        )
    } else {
        Some(notes)
    }
}

/// True when, outside code fences, a line would start a list, heading, quote or table.
/// Whether notes hold a list line with a marker (`- [ ] drain`).
fn holds_task_lines(notes: &str) -> bool {
    notes.lines().any(|line| {
        let t = line.trim_start();
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        let rest = if digits > 0 {
            t[digits..]
                .strip_prefix(". ")
                .or_else(|| t[digits..].strip_prefix(") "))
        } else {
            ["- ", "* ", "+ "].iter().find_map(|p| t.strip_prefix(p))
        };
        rest.and_then(|r| r.trim_start().strip_prefix('['))
            .and_then(|r| r.split_once(']'))
            .is_some_and(|(inside, after)| inside.chars().count() <= 3 && !after.starts_with('('))
    })
}

fn needs_quote(notes: &str) -> bool {
    let mut fenced = false;
    for line in notes.lines() {
        let t = line.trim_start();
        if t.starts_with("```") || t.starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        let ordered = digits > 0 && matches!(t[digits..].chars().next(), Some('.' | ')'));
        if ordered
            || ["- ", "* ", "+ ", "#", ">", "|"]
                .iter()
                .any(|p| t.starts_with(p))
            || t == "-"
            || t == "*"
        {
            return true;
        }
    }
    false
}

/// The seed's notes section, with only the lists the checklist has: no
/// empty `- ` bullets, and no section at all when it has none.
fn notes_section(report: &Report) -> String {
    let notes = &report.checklist.notes;
    if notes.is_empty() {
        return String::new();
    }
    let mut out = format!("## {NOTES_HEADING}\n\n");
    for (title, entries) in [
        ("Blockers", &notes.blockers),
        ("Decisions Needed", &notes.decisions),
        ("Dependencies", &notes.dependencies),
        ("Risk Items", &notes.risks),
    ] {
        if entries.is_empty() {
            continue;
        }
        out.push_str(&format!("### {title}\n"));
        for entry in entries {
            out.push_str(&format!("- {}\n", escape_inline(entry)));
        }
        out.push('\n');
    }
    out
}

/// The seed's footer with what the checklist says; a line it has no value
/// for is left out (never a `[Date]` placeholder), and so is an empty footer.
fn footer(report: &Report) -> String {
    let info = &report.checklist;
    let lines: Vec<String> = [
        (
            "Last Updated",
            info.last_reviewed.as_deref().map(escape_inline),
        ),
        (
            "Next Review",
            info.next_review.as_deref().map(escape_inline),
        ),
        ("Owner", info.owner.as_deref().map(escape_inline)),
    ]
    .into_iter()
    .filter_map(|(label, value)| value.map(|v| format!("**{label}**: {v}\n")))
    .collect();
    if lines.is_empty() {
        return String::new();
    }
    format!("---\n\n{}", lines.concat())
}

/// Escapes what Markdown would read as formatting in running text.
pub fn escape_inline(text: &str) -> String {
    // Balanced backticks are code spans, and read back as written.
    let code_spans = text.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        let next = text[i + c.len_utf8()..].chars().next();
        match c {
            '_' if intraword(text, i) => out.push('_'),
            '`' if code_spans => out.push('`'),
            '<' if !next
                .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!' | '?')) =>
            {
                out.push('<');
            }
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '|' => {
                out.push('\\');
                out.push(c);
            }
            '&' if looks_like_entity(&text[i..]) => out.push_str("\\&"),
            '\n' | '\r' | '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a heading's text: as running text, and a trailing `#` kept.
fn escape_heading(text: &str) -> String {
    let escaped = escape_inline(text);
    match escaped.strip_suffix('#') {
        Some(head) => format!("{head}\\#"),
        None => escaped,
    }
}

/// An underscore between letters or digits, which never starts emphasis.
fn intraword(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back();
    let after = text[at + 1..].chars().next();
    before.is_some_and(char::is_alphanumeric) && after.is_some_and(char::is_alphanumeric)
}

fn looks_like_entity(text: &str) -> bool {
    let rest = text.trim_start_matches('&').trim_start_matches('#');
    let name: String = rest
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    !name.is_empty() && rest[name.len()..].starts_with(';')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_formatting_but_not_plain_punctuation() {
        assert_eq!(
            escape_inline("a_b *c* [d] _e_"),
            "a_b \\*c\\* \\[d\\] \\_e\\_"
        );
        assert_eq!(escape_inline("R&D &amp;"), "R&D \\&amp;");
        assert_eq!(escape_inline("<= 1s <b> `x` a|b"), "<= 1s \\<b> `x` a\\|b");
        assert_eq!(escape_inline("one ` tick"), "one \\` tick");
        assert_eq!(
            escape_inline("SLI/SLO (ok) - done."),
            "SLI/SLO (ok) - done."
        );
        assert_eq!(escape_heading("C#"), "C\\#");
    }

    #[test]
    fn lists_in_notes_are_quoted_code_is_not() {
        assert!(!needs_quote("```bash\n- not a list\n```\nplain"));
        assert!(needs_quote("first\n- a list"));
        assert!(needs_quote("1. step"));
        assert!(holds_task_lines("steps:\n- [ ] drain\n"));
        assert!(holds_task_lines("1. [x] done"));
        assert!(!holds_task_lines("- the lead\n- [a link](x) later"));
    }
}
