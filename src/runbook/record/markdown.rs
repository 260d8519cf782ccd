//! The launch record as Markdown: a summary table of the phases, then each
//! phase with its go/no-go and its steps (who, when, evidence), then the
//! timeline of everything that happened. Every piece of recorded text goes
//! through `escape_inline`.

use std::fmt::Write as _;

use crate::outcome::Status;
use crate::report::markdown::escape_inline as esc;
use crate::report::text::emoji;
use crate::runbook::record::{LaunchRecord, PhaseRecord, StepRecord, clock_of};

/// The record as one Markdown document.
pub fn render(record: &LaunchRecord) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let _ = writeln!(out, "# Launch record: {}\n", esc(&record.checklist));
    let _ = writeln!(
        out,
        "- **T-0**: {}\n- **Journal**: `{}`\n- **People**: {}",
        clock_of(&record.t0, &record.t0, true),
        record.journal.replace('`', "'"),
        if record.people.is_empty() {
            "nobody yet".to_owned()
        } else {
            esc(&record.people.join(", "))
        }
    );
    if record.rehearsal {
        out.push_str("\n> **Rehearsal**: a session ran on the simulated clock (`CANDLEFISH_CLOCK=simulated`).\n");
    }
    out.push_str("\n| Phase | Due | Verdict |\n|---|---|---|\n");
    for phase in &record.phases {
        let _ = writeln!(
            out,
            "| {} {} | {} | {} |",
            phase.offset,
            esc(&phase.title),
            clock_of(&record.t0, &phase.due, false),
            verdict_cell(record, phase)
        );
    }
    for phase in &record.phases {
        phase_section(record, phase, &mut out);
    }
    out.push_str("\n## Timeline\n\n| Time | From T-0 | Who | What |\n|---|---|---|---|\n");
    for e in &record.events {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            clock_of(&record.t0, &e.at, false),
            e.offset,
            esc(&e.by),
            esc(&e.what)
        );
    }
    if !record.problems.is_empty() {
        out.push_str("\n## Unreadable journal lines\n\n");
        for p in &record.problems {
            let _ = writeln!(out, "- {}", esc(p));
        }
    }
    out
}

fn verdict_cell(record: &LaunchRecord, phase: &PhaseRecord) -> String {
    match &phase.decision {
        Some(d) if phase.verdict != "not decided" => {
            let glyph = if d.go {
                emoji(Status::Green)
            } else {
                emoji(Status::Red)
            };
            format!(
                "{glyph} {} at {} by {}",
                phase.verdict,
                clock_of(&record.t0, &d.at, false),
                esc(&d.by)
            )
        }
        _ => "not decided".to_owned(),
    }
}

fn phase_section(record: &LaunchRecord, phase: &PhaseRecord, out: &mut String) {
    let _ = writeln!(
        out,
        "\n## {} · {} — {}\n",
        phase.offset,
        esc(&phase.title),
        phase.verdict
    );
    let _ = writeln!(out, "Due {}.", clock_of(&record.t0, &phase.due, false));
    if let Some(d) = &phase.decision {
        let word = if d.go { "GO" } else { "NO-GO" };
        let _ = writeln!(
            out,
            "Decided **{word}** at {} ({}) by {}.\n\nGate: {}. Result: {}.\n",
            clock_of(&record.t0, &d.at, false),
            d.offset,
            esc(&d.by),
            esc(&d.rule),
            esc(&d.result)
        );
        for b in &d.blocking {
            let _ = writeln!(
                out,
                "- {} `{}` blocks it: {}",
                emoji(b.status),
                b.step,
                esc(&b.reason)
            );
        }
        if !d.skipped.is_empty() {
            let _ = writeln!(out, "- skipped by a person: `{}`", d.skipped.join("`, `"));
        }
    }
    if phase.decisions.len() > 1 {
        out.push_str("\nEvery decision on this phase:\n\n");
        for (n, d) in phase.decisions.iter().enumerate() {
            let blocking: Vec<String> =
                d.blocking.iter().map(|b| format!("`{}`", b.step)).collect();
            let why = if blocking.is_empty() {
                String::new()
            } else {
                format!(" — blocked by {}", blocking.join(", "))
            };
            let _ = writeln!(
                out,
                "{}. {} {} at {} ({}) by {}{why}",
                n + 1,
                emoji(if d.go { Status::Green } else { Status::Red }),
                if d.go { "GO" } else { "NO-GO" },
                clock_of(&record.t0, &d.at, false),
                d.offset,
                esc(&d.by)
            );
        }
    }
    if let Some(p) = &phase.proceeded {
        let _ = writeln!(out, "\n**Went on after the NO-GO**: {}", esc(p));
    }
    for step in &phase.steps {
        step_section(record, step, out);
    }
}

fn step_section(record: &LaunchRecord, step: &StepRecord, out: &mut String) {
    let glyph = step.status.map_or_else(|| "⏳".to_owned(), emoji);
    let _ = writeln!(out, "\n### {glyph} `{}` {}\n", step.id, esc(&step.title));
    let when = match (&step.at, &step.offset, &step.by) {
        (Some(at), Some(offset), Some(by)) => format!(
            ", {} at {} ({offset}) by {}",
            step.status.map_or("finished", Status::word),
            clock_of(&record.t0, at, false),
            esc(by)
        ),
        _ => String::new(),
    };
    let _ = writeln!(out, "*{}* step, {}{when}.", step.kind, step.state);
    if !step.reason.is_empty() {
        let _ = writeln!(out, "\n{}", esc(&step.reason));
    }
    if !step.evidence.is_empty() {
        out.push('\n');
        for line in &step.evidence {
            let _ = writeln!(out, "- {}", esc(line));
        }
    }
    for line in &step.earlier {
        let _ = writeln!(out, "- earlier attempt (redone): {}", esc(line));
    }
}
