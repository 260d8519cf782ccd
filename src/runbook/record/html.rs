//! The launch record as one self-contained HTML page (inline CSS, no script,
//! nothing fetched): the phases with their go/no-go, each step with who, when
//! and evidence, and the timeline. Every piece of recorded text goes through
//! the HTML report's `escape`.

use std::fmt::Write as _;

use crate::report::html::escape as esc;
use crate::report::text::emoji;
use crate::runbook::record::{LaunchRecord, PhaseRecord, StepRecord, clock_of};

const CSS: &str = "\
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1f24}
h1{font-size:1.5rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1rem;margin:1.2rem 0 .3rem}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
.go{color:#1a7f37;font-weight:600}.nogo{color:#cf222e;font-weight:600}.open{color:#6e7781}
.meta{color:#57606a}.rehearsal{background:#fff8c5;padding:.5rem;border:1px solid #d4a72c}
ul{margin:.3rem 0;padding-left:1.3rem}code{font-size:.9em}
details summary{cursor:pointer;color:#57606a}
";

/// Recorded text as HTML: escaped, and its `code` spans (ids, as the
/// Markdown record writes them) shown as code, never as literal backticks.
fn rich(text: &str) -> String {
    let escaped = esc(text);
    let parts: Vec<&str> = escaped.split('`').collect();
    let mut out = String::with_capacity(escaped.len() + 16);
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        } else if i + 1 < parts.len() {
            out.push_str("<code>");
            out.push_str(part);
            out.push_str("</code>");
        } else {
            // An unpaired backtick stays as written.
            out.push('`');
            out.push_str(part);
        }
    }
    out
}

/// The record as one HTML document.
pub fn render(record: &LaunchRecord) -> String {
    let mut out = String::with_capacity(32 * 1024);
    let name = esc(&record.checklist);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Launch record — {name}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <h1>Launch record: {name}</h1>\n"
    );
    let people = if record.people.is_empty() {
        "nobody yet".to_owned()
    } else {
        esc(&record.people.join(", "))
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\">T-0 {} · journal <code>{}</code> · people: {people}</p>",
        esc(&clock_of(&record.t0, &record.t0, true)),
        esc(&record.journal)
    );
    if record.rehearsal {
        out.push_str(
            "<p class=\"rehearsal\">Rehearsal: a session ran on the simulated clock.</p>\n",
        );
    }
    out.push_str("<table>\n<tr><th>Phase</th><th>Due</th><th>Verdict</th></tr>\n");
    for phase in &record.phases {
        let _ = writeln!(
            out,
            "<tr><td><a href=\"#phase-{id}\">{} {}</a></td><td>{}</td><td>{}</td></tr>",
            phase.offset,
            esc(&phase.title),
            esc(&clock_of(&record.t0, &phase.due, false)),
            verdict(record, phase),
            id = esc(&phase.id),
        );
    }
    out.push_str("</table>\n");
    for phase in &record.phases {
        phase_section(record, phase, &mut out);
    }
    out.push_str("<h2 id=\"timeline\">Timeline</h2>\n<table>\n<tr><th>Time</th><th>From T-0</th><th>Who</th><th>What</th></tr>\n");
    for e in &record.events {
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&clock_of(&record.t0, &e.at, false)),
            e.offset,
            esc(&e.by),
            rich(&e.what)
        );
    }
    out.push_str("</table>\n");
    if !record.problems.is_empty() {
        out.push_str("<h2>Unreadable journal lines</h2>\n<ul>\n");
        for p in &record.problems {
            let _ = writeln!(out, "<li>{}</li>", esc(p));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

fn verdict(record: &LaunchRecord, phase: &PhaseRecord) -> String {
    match &phase.decision {
        Some(d) if phase.verdict != "not decided" => format!(
            "<span class=\"{}\">{}</span> at {} by {}",
            if d.go { "go" } else { "nogo" },
            phase.verdict,
            esc(&clock_of(&record.t0, &d.at, false)),
            esc(&d.by)
        ),
        _ => "<span class=\"open\">not decided</span>".to_owned(),
    }
}

fn phase_section(record: &LaunchRecord, phase: &PhaseRecord, out: &mut String) {
    let _ = writeln!(
        out,
        "<h2 id=\"phase-{}\">{} · {} — {}</h2>",
        esc(&phase.id),
        phase.offset,
        esc(&phase.title),
        verdict(record, phase)
    );
    let _ = write!(
        out,
        "<p>Due {}.",
        esc(&clock_of(&record.t0, &phase.due, false))
    );
    if let Some(d) = &phase.decision {
        let _ = write!(
            out,
            " Decided {} at {} ({}) by {}.</p>\n<p class=\"gate\">Gate: {}. Result: {}.",
            if d.go { "GO" } else { "NO-GO" },
            esc(&clock_of(&record.t0, &d.at, false)),
            d.offset,
            esc(&d.by),
            rich(&d.rule),
            rich(&d.result)
        );
    }
    out.push_str("</p>\n");
    if phase.decisions.len() > 1 {
        out.push_str("<p>Every decision on this phase:</p>\n<ol>\n");
        for d in &phase.decisions {
            let blocking: Vec<String> = d
                .blocking
                .iter()
                .map(|b| format!("<code>{}</code>", esc(&b.step)))
                .collect();
            let why = if blocking.is_empty() {
                String::new()
            } else {
                format!(" — blocked by {}", blocking.join(", "))
            };
            let _ = writeln!(
                out,
                "<li><span class=\"{}\">{}</span> at {} ({}) by {}{why}</li>",
                if d.go { "go" } else { "nogo" },
                if d.go { "GO" } else { "NO-GO" },
                esc(&clock_of(&record.t0, &d.at, false)),
                d.offset,
                esc(&d.by)
            );
        }
        out.push_str("</ol>\n");
    }
    if let Some(d) = &phase.decision
        && (!d.blocking.is_empty() || !d.skipped.is_empty())
    {
        out.push_str("<ul>\n");
        for b in &d.blocking {
            let _ = writeln!(
                out,
                "<li>{} <code>{}</code> blocks it: {}</li>",
                emoji(b.status),
                esc(&b.step),
                rich(&b.reason)
            );
        }
        for s in &d.skipped {
            let _ = writeln!(
                out,
                "<li>⏭ <code>{}</code> skipped by a person</li>",
                esc(s)
            );
        }
        out.push_str("</ul>\n");
    }
    if let Some(p) = &phase.proceeded {
        let _ = writeln!(
            out,
            "<p><strong>Went on after the NO-GO</strong>: {}</p>",
            rich(p)
        );
    }
    for step in &phase.steps {
        step_section(record, step, out);
    }
}

fn step_section(record: &LaunchRecord, step: &StepRecord, out: &mut String) {
    let glyph = step.status.map_or_else(|| "⏳".to_owned(), emoji);
    let _ = writeln!(
        out,
        "<h3 id=\"step-{id}\">{glyph} <code>{id}</code> {}</h3>",
        esc(&step.title),
        id = esc(&step.id)
    );
    let when = match (&step.at, &step.offset, &step.by) {
        (Some(at), Some(offset), Some(by)) => format!(
            ", finished at {} ({offset}) by {}",
            esc(&clock_of(&record.t0, at, false)),
            esc(by)
        ),
        _ => String::new(),
    };
    let _ = writeln!(
        out,
        "<p class=\"meta\"><em>{}</em> step, {}{when}</p>",
        step.kind, step.state
    );
    if !step.reason.is_empty() {
        let _ = writeln!(out, "<p>{}</p>", rich(&step.reason));
    }
    let (samples, lines): (Vec<&String>, Vec<&String>) = step
        .evidence
        .iter()
        .partition(|l| l.starts_with("sample at "));
    if !lines.is_empty() || !step.earlier.is_empty() {
        out.push_str("<ul>\n");
        for line in lines {
            let _ = writeln!(out, "<li>{}</li>", rich(line));
        }
        for line in &step.earlier {
            let _ = writeln!(out, "<li>earlier attempt (redone): {}</li>", rich(line));
        }
        out.push_str("</ul>\n");
    }
    if !samples.is_empty() {
        let _ = writeln!(
            out,
            "<details><summary>{}</summary>\n<ul>",
            crate::report::text::count(samples.len(), "sample")
        );
        for line in samples {
            let _ = writeln!(out, "<li>{}</li>", esc(line));
        }
        out.push_str("</ul>\n</details>\n");
    }
}
