//! `html`: one self-contained page (inline CSS and JS, nothing fetched) for
//! people who are not at a terminal: the verdict, the critical path first, then
//! the whole board with evidence, checks and timings.
//!
//! Filtering by status works without JavaScript (radio buttons and CSS); with
//! it, the filter follows the URL (`#status=red`, `?status=red`, `q=text`), a
//! text filter appears, and filtered-out items get the `hidden` attribute. The
//! layout is one column that fits a 375 px phone.

use std::fmt::Write as _;

use crate::outcome::{GateVerdict, ItemReport, ProbeOutcome, Report, Status, Verdict};
use crate::report::text::{
    emoji, gate_headline, gate_result, gate_rule, millis, probe_counts, when,
};

const CSS: &str = include_str!("assets/report.css");
const JS: &str = include_str!("assets/report.js");

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && !matches!(c, '\n' | '\t') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// The report as one HTML document.
pub fn render(report: &Report) -> String {
    let verdict = match &report.gate {
        Some(gate) => (
            gate_headline(gate),
            match gate.verdict {
                GateVerdict::Ready => "pass",
                GateVerdict::NothingJudged if gate.passed => "none",
                _ => "fail",
            },
        ),
        None => ("CHECKED".to_owned(), "none"),
    };
    let name = escape(&report.checklist.name);
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"{tool}\">\n\
         <title>{name} — {word}</title>\n<style>\n{CSS}</style>\n</head>\n\
         <body data-filter=\"all\">\n",
        tool = escape(&report.tool),
        word = verdict.0,
    );
    let verdict = (verdict.0.as_str(), verdict.1);
    // The filter radios sit before everything they filter, so CSS alone can filter.
    let _ = writeln!(
        out,
        "<input type=\"radio\" class=\"f\" name=\"f\" id=\"f-all\" value=\"all\" checked>"
    );
    for status in Status::ALL {
        let _ = writeln!(
            out,
            "<input type=\"radio\" class=\"f\" name=\"f\" id=\"f-{w}\" value=\"{w}\">",
            w = status.word()
        );
    }
    header(report, &name, verdict, &mut out);
    filters(report, &mut out);
    out.push_str("<main>\n");
    critical_path(report, &mut out);
    out.push_str("<section id=\"board\">\n<h2>Board</h2>\n<ul class=\"items tree\">\n");
    for item in &report.items {
        board_item(item, &mut out);
    }
    out.push_str("</ul>\n</section>\n");
    checklist_notes(report, &mut out);
    out.push_str("</main>\n");
    let _ = write!(
        out,
        "<footer><p>{tool} · started {started} · took {took}{file}</p></footer>\n\
         <script>\n{JS}</script>\n</body>\n</html>\n",
        tool = escape(&report.tool),
        started = escape(&when(&report.started_at)),
        took = millis(report.duration_ms),
        file = report
            .checklist
            .file
            .as_deref()
            .map(|f| format!(" · {}", escape(f)))
            .unwrap_or_default(),
    );
    out
}

fn header(report: &Report, name: &str, verdict: (&str, &str), out: &mut String) {
    let s = &report.summary;
    let _ = write!(
        out,
        "<header>\n<h1>{name}</h1>\n<p class=\"verdict {class}\"><strong id=\"verdict\">{word}</strong> \
         <span class=\"overall\">overall <span class=\"st\">{glyph}</span> {status}</span></p>\n",
        class = verdict.1,
        word = verdict.0,
        glyph = emoji(report.status),
        status = report.status.word(),
    );
    if let Some(gate) = &report.gate {
        // The rule and the result on lines of their own: "no required item is
        // red — 4 required items are red" read as a contradiction.
        let ids = |id: &str| format!("<a href=\"#b-{id}\"><code>{id}</code></a>", id = escape(id));
        let _ = write!(
            out,
            "<p class=\"gate\"><span class=\"rule\">Gate: {}.</span> <span class=\"result\">Result: {}.</span>",
            escape(&gate_rule(gate)),
            // Ids are escaped by `ids`; the rest are Candlefish's own words.
            gate_result(gate, ids),
        );
        out.push_str("</p>\n");
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\">{} in {}: {} · started {}</p>\n</header>",
        crate::report::text::count(s.probes(), "probe"),
        millis(report.duration_ms),
        probe_counts(s),
        escape(&when(&report.started_at))
    );
    if report.interrupted {
        out.push_str(
            "<p class=\"interrupted\">Interrupted: the board shows what finished before the stop.</p>\n",
        );
    }
}

fn filters(report: &Report, out: &mut String) {
    let s = &report.summary;
    let total = s.green + s.yellow + s.red + s.white;
    out.push_str("<nav class=\"filters\" aria-label=\"Filter by status\">\n");
    let _ = writeln!(out, "<label for=\"f-all\">All <b>{total}</b></label>");
    for status in Status::ALL {
        let _ = writeln!(
            out,
            "<label for=\"f-{w}\"><span class=\"st\">{g}</span> {w} <b>{n}</b></label>",
            w = status.word(),
            g = emoji(status),
            n = s.count(status)
        );
    }
    let _ = writeln!(
        out,
        "<input type=\"search\" id=\"q\" placeholder=\"Filter by text or id\" aria-label=\"Filter by text or id\" hidden>\n\
         <output id=\"shown\">{total} items</output>\n</nav>"
    );
}

/// Statuses present in an item and its descendants, as `has-…` classes.
fn has_classes(item: &ItemReport) -> String {
    let mut present = [false; 4];
    for i in item.walk() {
        present[Status::ALL.iter().position(|s| *s == i.status).unwrap_or(0)] = true;
    }
    Status::ALL
        .iter()
        .zip(present)
        .filter(|(_, p)| *p)
        .map(|(s, _)| format!("has-{}", s.word()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn critical_path(report: &Report, out: &mut String) {
    let mut critical: Vec<&ItemReport> = report
        .all_items()
        .into_iter()
        .filter(|i| i.critical)
        .collect();
    if critical.is_empty() {
        return;
    }
    let rank = |s: Status| match s {
        Status::Red => 0,
        Status::Yellow => 1,
        Status::Green => 2,
        Status::White => 3,
    };
    critical.sort_by_key(|i| rank(i.status));
    out.push_str(
        "<section id=\"critical-path\">\n<h2>★ Critical path</h2>\n<ul class=\"items flat\">\n",
    );
    for item in critical {
        let _ = write!(
            out,
            "<li class=\"item s-{status} {has}\" data-status=\"{status}\">",
            status = item.status.word(),
            has = has_classes(item),
        );
        row(item, &format!("#b-{}", item.id), out);
        reason(item, out);
        out.push_str("</li>\n");
    }
    out.push_str("</ul>\n</section>\n");
}

fn row(item: &ItemReport, link: &str, out: &mut String) {
    let _ = write!(
        out,
        "<div class=\"row\"><span class=\"st\" title=\"{w}\" aria-label=\"{w}\">{g}</span> \
         <a class=\"title\" href=\"{link}\">{title}</a>{crit} <code class=\"id\">{id}</code>{time}</div>",
        w = item.status.word(),
        g = emoji(item.status),
        link = escape(link),
        title = escape(&item.title),
        crit = if item.critical {
            " <span class=\"crit\" title=\"critical path\">★</span>"
        } else {
            ""
        },
        id = escape(&item.id),
        time = if item.probes.is_empty() {
            String::new()
        } else {
            format!(
                " <span class=\"time\">{}</span>",
                millis(item.probes.iter().map(|p| p.duration_ms).sum())
            )
        },
    );
}

fn reason(item: &ItemReport, out: &mut String) {
    if !item.reason.is_empty() {
        let _ = write!(out, "<p class=\"reason\">↳ {}</p>", escape(&item.reason));
    }
    for line in crate::report::text::attestation_lines(item) {
        let class = if line.starts_with('⚑') {
            "waiver"
        } else {
            "signoff"
        };
        let _ = write!(out, "<p class=\"{class}\">{}</p>", escape(&line));
    }
}

fn board_item(item: &ItemReport, out: &mut String) {
    let _ = write!(
        out,
        "<li class=\"item {kind} s-{status} {has}\" id=\"b-{id}\" data-status=\"{status}\">",
        kind = if item.items.is_empty() {
            "leaf"
        } else {
            "group"
        },
        status = item.status.word(),
        has = has_classes(item),
        id = escape(&item.id),
    );
    row(item, &format!("#b-{}", item.id), out);
    reason(item, out);
    let mut facts = Vec::new();
    if let Some(declared) = &item.declared {
        facts.push(format!("declared {}", escape(declared)));
    }
    if let Some(owner) = &item.owner {
        facts.push(format!("owner {}", escape(owner)));
    }
    if !item.depends_on.is_empty() {
        let deps: Vec<String> = item
            .depends_on
            .iter()
            .map(|d| format!("<a href=\"#b-{d}\"><code>{d}</code></a>", d = escape(d)))
            .collect();
        facts.push(format!("depends on {}", deps.join(", ")));
    }
    if !item.tags.is_empty() {
        facts.push(format!("tags {}", escape(&item.tags.join(", "))));
    }
    if let Some(docs) = &item.docs {
        // A link only for the web or a relative path: never `javascript:` or
        // `data:` in a page people open from CI artifacts.
        if safe_link(docs) {
            facts.push(format!("<a href=\"{d}\">docs</a>", d = escape(docs)));
        } else {
            facts.push(format!("docs: <code>{}</code>", escape(docs)));
        }
    }
    if !facts.is_empty() {
        let _ = write!(out, "<p class=\"facts\">{}</p>", facts.join(" · "));
    }
    if !item.probes.is_empty() {
        probes(item, out);
    }
    if let Some(notes) = item.notes.as_deref().filter(|n| !n.trim().is_empty()) {
        let _ = write!(
            out,
            "<details class=\"notes\"><summary>notes</summary><pre>{}</pre></details>",
            escape(notes.trim_end())
        );
    }
    if !item.items.is_empty() {
        out.push_str("\n<ul class=\"children\">\n");
        for child in &item.items {
            board_item(child, out);
        }
        out.push_str("</ul>");
    }
    out.push_str("</li>\n");
}

fn verdict_mark(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✓",
        Verdict::Warn => "!",
        Verdict::Fail => "✗",
        Verdict::Error => "⚠",
        Verdict::Skipped => "–",
    }
}

fn probes(item: &ItemReport, out: &mut String) {
    let bad = item
        .probes
        .iter()
        .any(|p| !matches!(p.verdict, Verdict::Pass));
    let _ = write!(
        out,
        "<details class=\"probes\"{open}><summary>{n} {noun} · {time}</summary><ul>",
        open = if bad { " open" } else { "" },
        n = item.probes.len(),
        noun = if item.probes.len() == 1 {
            "probe"
        } else {
            "probes"
        },
        time = millis(item.probes.iter().map(|p| p.duration_ms).sum()),
    );
    for probe in &item.probes {
        probe_entry(probe, out);
    }
    out.push_str("</ul></details>");
}

fn probe_entry(probe: &ProbeOutcome, out: &mut String) {
    let _ = write!(
        out,
        "<li class=\"probe v-{v}\"><span class=\"verdict\">{mark} {v}</span> \
         <code class=\"target\">{kind} {target}</code> <span class=\"time\">{time}{attempts}</span>\
         <p class=\"evidence\">{evidence}</p>",
        v = probe.verdict.word(),
        mark = verdict_mark(probe.verdict),
        kind = escape(&probe.kind),
        target = escape(&probe.target),
        time = millis(probe.duration_ms),
        attempts = if probe.attempts > 1 {
            format!(", {} attempts", probe.attempts)
        } else {
            String::new()
        },
        evidence = escape(&probe.evidence),
    );
    if !probe.checks.is_empty() {
        out.push_str(
            "<table class=\"checks\"><thead><tr><th></th><th>expected</th><th>observed</th></tr></thead><tbody>",
        );
        for check in &probe.checks {
            let _ = write!(
                out,
                "<tr class=\"v-{v}\"><td>{mark}</td><td>{e}</td><td>{o}</td></tr>",
                v = check.verdict.word(),
                mark = verdict_mark(check.verdict),
                e = escape(&check.expected),
                o = escape(&check.observed),
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</li>");
}

fn checklist_notes(report: &Report, out: &mut String) {
    let notes = &report.checklist.notes;
    let description = report.checklist.description.as_deref().unwrap_or("").trim();
    if notes.is_empty() && description.is_empty() {
        return;
    }
    out.push_str("<section id=\"notes\">\n<h2>Notes</h2>\n");
    if !description.is_empty() {
        let _ = writeln!(
            out,
            "<pre class=\"description\">{}</pre>",
            escape(description)
        );
    }
    for (title, entries) in [
        ("Blockers", &notes.blockers),
        ("Decisions needed", &notes.decisions),
        ("Dependencies", &notes.dependencies),
        ("Risks", &notes.risks),
    ] {
        if entries.is_empty() {
            continue;
        }
        let _ = write!(out, "<h3>{title}</h3><ul>");
        for entry in entries {
            let _ = write!(out, "<li>{}</li>", escape(entry));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

/// Whether `target` may be a link: http(s), mailto, or a path (no scheme).
fn safe_link(target: &str) -> bool {
    let target = target.trim();
    let scheme = target
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.contains(['/', '?', '#']));
    match scheme {
        Some(s) => ["http", "https", "mailto"].contains(&s.to_ascii_lowercase().as_str()),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_links_and_paths_become_links() {
        assert!(safe_link("https://wiki.example.com/runbook"));
        assert!(safe_link("docs/runbooks/db.md"));
        assert!(safe_link("mailto:ops@example.com"));
        assert!(!safe_link("javascript:alert(1)"));
        assert!(!safe_link(" JavaScript:alert(1)"));
        assert!(!safe_link("data:text/html,<script>x</script>"));
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            escape("<a href=\"x\">&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;"
        );
    }
}
