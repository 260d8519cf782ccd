//! What the runbook prints: the timeline (what is done, due, overdue,
//! upcoming), phase headings, step results, go/no-go decisions and the
//! countdown. Plain text; anything a person or a peer typed goes through
//! `printable` so it cannot drive the terminal.

use std::fmt::Write as _;

use jiff::Timestamp;

use crate::outcome::{Basis, ItemReport, Status};
use crate::report::printable;
use crate::runbook::plan::{Action, Offset, Phase, Runbook, Step, compact};
use crate::runbook::record::clock;
use crate::runbook::replay::Replay;
use crate::runbook::timeline::{
    PhaseState, StepState, Verdict, phase_state, phase_time, settled_steps, step_state,
};

/// A status as a glyph: emoji, or ASCII with `--ascii`.
pub fn glyph(status: Status, ascii: bool) -> &'static str {
    if ascii {
        status.ascii()
    } else {
        status.glyph()
    }
}

/// `3h58m` from now to `at`, or `now` when it has passed.
pub fn until(now: Timestamp, at: Timestamp) -> String {
    let seconds = at.as_second() - now.as_second();
    if seconds <= 0 {
        "now".to_owned()
    } else {
        format!("in {}", compact(seconds.unsigned_abs()))
    }
}

/// The heading and the timeline of every phase at `now`.
pub fn timeline(
    name: &str,
    runbook: &Runbook,
    replay: &Replay,
    t0: Timestamp,
    now: Timestamp,
    ascii: bool,
) -> String {
    let mut out = format!(
        "Launch runbook — {}\nT-0 {} · now {} ({})\n\n",
        printable(name),
        t0.strftime("%Y-%m-%d %H:%M UTC"),
        clock(t0, now),
        Offset::between(t0, now)
    );
    for (index, phase) in runbook.phases.iter().enumerate() {
        let state = phase_state(runbook, replay, t0, now, index);
        let at = phase_time(t0, phase);
        let mark = match state {
            PhaseState::Done { go: true } => glyph(Status::Green, ascii),
            PhaseState::Done { go: false } => glyph(Status::Red, ascii),
            PhaseState::Due | PhaseState::Overdue => {
                if ascii {
                    "[>]"
                } else {
                    "▶"
                }
            }
            PhaseState::Upcoming => {
                if ascii {
                    "[ ]"
                } else {
                    "·"
                }
            }
        };
        let when = match state {
            PhaseState::Upcoming => until(now, at),
            other => other.word().to_owned(),
        };
        let _ = writeln!(
            out,
            "  {mark} {:<6} {:>9}  {}  — {when}, {} of {} steps done",
            phase.at.to_string(),
            clock(t0, at),
            printable(&phase.title),
            settled_steps(replay, phase),
            phase.steps.len()
        );
        if matches!(state, PhaseState::Due | PhaseState::Overdue) {
            for step in &phase.steps {
                let (mark, note) = match step_state(replay, step) {
                    StepState::Done(status) => (glyph(status, ascii), ""),
                    StepState::Waiting(status) => {
                        (glyph(status, ascii), " (waiting for a sign-off)")
                    }
                    StepState::Started => (if ascii { "[>]" } else { "▶" }, " (started)"),
                    StepState::Pending => (if ascii { "[ ]" } else { "·" }, ""),
                };
                let _ = writeln!(
                    out,
                    "        {mark} {} · {}{note}",
                    step.id,
                    printable(&step.title)
                );
            }
        }
    }
    out
}

/// `── T-4h · Pre-launch · due 11:00 UTC ──`.
pub fn phase_heading(phase: &Phase, t0: Timestamp) -> String {
    format!(
        "\n── {} · {} · due {} ──",
        phase.at,
        printable(&phase.title),
        clock(t0, phase_time(t0, phase))
    )
}

/// `[2/6] backups · Database backups verified (manual)`.
pub fn step_heading(index: usize, count: usize, step: &Step) -> String {
    let kind = match &step.action {
        Action::Run(ids) => format!("runs {}", ids.join(", ")),
        Action::Probes(p) => format!("{} probe{}", p.len(), if p.len() == 1 { "" } else { "s" }),
        Action::Manual(m) if m.signoffs > 1 => format!("manual, {} people", m.signoffs),
        Action::Manual(_) => "manual".to_owned(),
        Action::Watch(w) => format!(
            "watch every {} for {}",
            compact(w.every.as_secs()),
            compact(w.window.as_secs())
        ),
    };
    format!(
        "\n[{}/{count}] {} · {} ({kind})",
        index + 1,
        step.id,
        printable(&step.title)
    )
}

/// A step already settled in the journal.
pub fn already(step: &Step, replay: &Replay, t0: Timestamp, ascii: bool) -> String {
    let attempt = replay.step(&step.id);
    match (step_state(replay, step), &attempt.finished) {
        (StepState::Done(status), Some(f)) => format!(
            "      {} done at {} by {} (in the journal; --redo {} to do it again)",
            glyph(status, ascii),
            clock(t0, f.at),
            printable(&f.by),
            step.id
        ),
        _ => String::new(),
    }
}

/// A step's result: its status and reason, then each item it ran when it ran
/// several; while it waits for a sign-off, how to give one.
pub fn result(result: &ItemReport, settled: bool, file: &std::path::Path, ascii: bool) -> String {
    let mut out = format!(
        "      {} {}",
        glyph(result.status, ascii),
        result.status.word()
    );
    if !result.reason.is_empty() {
        out.push_str(": ");
        out.push_str(&printable(&result.reason));
    }
    out.push('\n');
    let leaves: Vec<&ItemReport> = result
        .items
        .iter()
        .flat_map(ItemReport::walk)
        .filter(|i| i.items.is_empty())
        .collect();
    if leaves.len() > 1 {
        for item in &leaves {
            let reason = if item.reason.is_empty() {
                String::new()
            } else {
                format!(" — {}", printable(&item.reason))
            };
            let _ = writeln!(
                out,
                "        {} {} {}{reason}",
                glyph(item.status, ascii),
                item.id,
                printable(&item.title)
            );
        }
    }
    if !settled {
        let waiting: Vec<&&ItemReport> = leaves
            .iter()
            .filter(|i| matches!(i.basis, Basis::Manual | Basis::Signoff))
            .filter(|i| matches!(i.status, Status::Red | Status::Yellow))
            .collect();
        if waiting.is_empty() {
            let _ = writeln!(
                out,
                "      waiting for a person: confirm it at the prompt (--resume), or record it: candlefish runbook {} --t0 … --confirm {} --evidence …",
                file.display(),
                result.id
            );
        }
        for item in waiting {
            let _ = writeln!(
                out,
                "      waiting for a sign-off: candlefish sign {} -c {} --evidence …",
                item.id,
                file.display()
            );
        }
    }
    out
}

/// `T-4h GO — …` or `T-4h NO-GO — 2 steps block it: …`.
pub fn decision(phase: &Phase, verdict: &Verdict, ascii: bool) -> String {
    let mut out = String::new();
    let judged_nothing = verdict.gate.verdict == crate::outcome::GateVerdict::NothingJudged;
    if verdict.go {
        let why = if judged_nothing {
            verdict.gate.nothing_judged()
        } else {
            verdict.gate.policy.clone()
        };
        let _ = write!(
            out,
            "\n{} {} GO — {why}",
            glyph(Status::Green, ascii),
            phase.at,
        );
    } else if judged_nothing {
        // Nothing blocks it, and nothing vouches for it either.
        let _ = write!(
            out,
            "\n{} {} NO-GO — {}",
            glyph(Status::Red, ascii),
            phase.at,
            verdict.gate.nothing_judged()
        );
    } else {
        let n = verdict.blocking.len();
        let _ = write!(
            out,
            "\n{} {} NO-GO — {n} step{} block{} it:",
            glyph(Status::Red, ascii),
            phase.at,
            if n == 1 { "" } else { "s" },
            if n == 1 { "s" } else { "" }
        );
        for b in &verdict.blocking {
            let _ = write!(
                out,
                "\n    {} {}: {}",
                glyph(b.status, ascii),
                b.step,
                printable(&b.reason)
            );
        }
    }
    if !verdict.skipped.is_empty() {
        let _ = write!(
            out,
            "\n    skipped by a person: {}",
            verdict.skipped.join(", ")
        );
    }
    out
}
