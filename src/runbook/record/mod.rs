//! The launch record: what happened on launch day, for the debrief and the
//! postmortem — each phase with its steps (status, who, when, evidence, earlier
//! attempts) and its go/no-go, and every event in order. A pure function of
//! the runbook and the journal ([`build`]); rendered as Markdown
//! ([`markdown`]), HTML ([`html`]) or JSON.

pub mod html;
pub mod markdown;

use std::path::PathBuf;

use jiff::Timestamp;
use serde::Serialize;

use crate::outcome::{ItemReport, Status};
use crate::report::text::{one_line, probe_line};
use crate::runbook::journal::{Attempt, Blocker, Mode, Record, Replay};
use crate::runbook::plan::{Action, Offset, Phase, Runbook, Step};
use crate::runbook::timeline::{StepState, phase_done, phase_time, step_state};
use crate::runbook::watch::shown;

/// The launch record.
#[derive(Debug, Clone, Serialize)]
pub struct LaunchRecord {
    /// The checklist's name.
    pub checklist: String,
    /// T-0, RFC 3339.
    pub t0: String,
    /// The journal it was read from.
    pub journal: String,
    /// Some session ran on the simulated clock: a rehearsal, not the day.
    pub rehearsal: bool,
    /// Everyone who appears in the journal, in order of appearance.
    pub people: Vec<String>,
    /// The phases.
    pub phases: Vec<PhaseRecord>,
    /// Everything that happened, in order.
    pub events: Vec<Event>,
    /// Journal lines that could not be read.
    pub problems: Vec<String>,
}

/// One phase.
#[derive(Debug, Clone, Serialize)]
pub struct PhaseRecord {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `T-4h`.
    pub offset: String,
    /// When it was due, RFC 3339.
    pub due: String,
    /// `GO`, `NO-GO`, or `not decided`.
    pub verdict: String,
    /// The standing decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionRecord>,
    /// Who went on after a no-go, and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proceeded: Option<String>,
    /// The steps.
    pub steps: Vec<StepRecord>,
}

/// A go/no-go.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    /// Go or no-go.
    pub go: bool,
    /// When, RFC 3339.
    pub at: String,
    /// When, from T-0.
    pub offset: String,
    /// Whose session decided.
    pub by: String,
    /// The gate policy, in words.
    pub policy: String,
    /// What blocked it.
    pub blocking: Vec<Blocker>,
    /// Steps a person skipped.
    pub skipped: Vec<String>,
}

/// One step.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// `run`, `probes`, `manual`, `watch`.
    pub kind: String,
    /// `done`, `waiting for a sign-off`, `started, not finished`, `not started`.
    pub state: String,
    /// Its status, when it has a result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// When it finished, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// When it finished, from T-0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// Whose session finished it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// Why it has its status.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Evidence, one line each: answers, sign-offs, probes, items run, samples.
    pub evidence: Vec<String>,
    /// Earlier attempts, superseded by a redo, one line each.
    pub earlier: Vec<String>,
}

/// One event of the day.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    /// When, RFC 3339.
    pub at: String,
    /// When, from T-0.
    pub offset: String,
    /// Who.
    pub by: String,
    /// What, one line.
    pub what: String,
}

/// `11:03 UTC`, or `2026-12-02 11:03 UTC` on another day than T-0.
pub fn clock(t0: Timestamp, at: Timestamp) -> String {
    let day = |t: Timestamp| t.as_second().div_euclid(86_400);
    if day(at) == day(t0) {
        at.strftime("%H:%M UTC").to_string()
    } else {
        at.strftime("%Y-%m-%d %H:%M UTC").to_string()
    }
}

/// A recorded time (RFC 3339) as people read it: `11:03 UTC`, with the date
/// when it is not T-0's day or when `full`; the text unchanged when unreadable.
pub fn clock_of(t0: &str, at: &str, full: bool) -> String {
    match (t0.parse::<Timestamp>(), at.parse::<Timestamp>()) {
        (Ok(_), Ok(at)) if full => at.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        (Ok(t0), Ok(at)) => clock(t0, at),
        _ => at.to_owned(),
    }
}

/// Builds the record of the launch at `t0` from the runbook and the journal.
pub fn build(
    checklist: &str,
    runbook: &Runbook,
    replay: &Replay,
    t0: Timestamp,
    journal: &std::path::Path,
) -> LaunchRecord {
    let mut people: Vec<String> = Vec::new();
    let mut rehearsal = false;
    let mut events = Vec::new();
    for entry in &replay.entries {
        let record = &entry.record;
        if let Some(by) = who(record)
            && !people.iter().any(|p| p == by)
        {
            people.push(by.to_owned());
        }
        if let Record::Open(o) = record {
            rehearsal |= o.clock.is_some();
        }
        if let Some(what) = event_text(record, runbook) {
            events.push(Event {
                at: record.at().to_string(),
                offset: Offset::between(t0, record.at()).to_string(),
                by: who(record).unwrap_or_default().to_owned(),
                what,
            });
        }
    }
    LaunchRecord {
        checklist: checklist.to_owned(),
        t0: t0.to_string(),
        journal: PathBuf::from(journal).display().to_string(),
        rehearsal,
        people,
        phases: runbook
            .phases
            .iter()
            .map(|p| phase_record(p, replay, t0))
            .collect(),
        events,
        problems: replay
            .problems
            .iter()
            .map(|p| format!("line {}: {}", p.line, p.message))
            .collect(),
    }
}

fn who(record: &Record) -> Option<&str> {
    Some(match record {
        Record::Open(r) => &r.by,
        Record::Start(r) => &r.by,
        Record::Answer(r) => &r.by,
        Record::Finish(r) => &r.by,
        Record::Decide(r) => &r.by,
        Record::Proceed(r) => &r.by,
        Record::Redo(r) => &r.by,
        Record::Stop(r) => &r.by,
        Record::Sample(_) => return None,
    })
}

fn phase_record(phase: &Phase, replay: &Replay, t0: Timestamp) -> PhaseRecord {
    let decision = replay.decisions.get(&phase.id).map(|d| DecisionRecord {
        go: d.go,
        at: d.at.to_string(),
        offset: Offset::between(t0, d.at).to_string(),
        by: d.by.clone(),
        policy: d.gate.policy.clone(),
        blocking: d.blocking.clone(),
        skipped: d.skipped.clone(),
    });
    let verdict = match &decision {
        Some(d) if phase_done(replay, phase) => {
            if d.go {
                "GO"
            } else {
                "NO-GO"
            }
        }
        _ => "not decided",
    };
    PhaseRecord {
        id: phase.id.clone(),
        title: phase.title.clone(),
        offset: phase.at.to_string(),
        due: phase_time(t0, phase).to_string(),
        verdict: verdict.to_owned(),
        proceeded: replay.proceeds.get(&phase.id).map(|p| {
            format!(
                "{} went on at {} ({}): {}",
                p.by,
                clock(t0, p.at),
                Offset::between(t0, p.at),
                one_line(&p.reason)
            )
        }),
        decision,
        steps: phase
            .steps
            .iter()
            .map(|s| step_record(s, replay, t0))
            .collect(),
    }
}

fn step_record(step: &Step, replay: &Replay, t0: Timestamp) -> StepRecord {
    let attempt = replay.step(&step.id);
    let state = match step_state(replay, step) {
        StepState::Done(_) => "done",
        StepState::Waiting(_) => "waiting for a sign-off",
        StepState::Started => "started, not finished",
        StepState::Pending => "not started",
    };
    let finished = attempt.finished.as_ref();
    StepRecord {
        id: step.id.clone(),
        title: step.title.clone(),
        kind: step.action.kind().to_owned(),
        state: state.to_owned(),
        status: finished.map(|f| f.result.status),
        at: finished.map(|f| f.at.to_string()),
        offset: finished.map(|f| Offset::between(t0, f.at).to_string()),
        by: finished.map(|f| f.by.clone()),
        reason: finished
            .map(|f| one_line(&f.result.reason))
            .unwrap_or_default(),
        evidence: evidence(step, &attempt, t0),
        earlier: replay
            .earlier
            .get(&step.id)
            .into_iter()
            .flatten()
            .filter_map(|a| a.finished.as_ref())
            .map(|f| {
                format!(
                    "{} at {} by {}: {}",
                    f.result.status.word(),
                    clock(t0, f.at),
                    f.by,
                    one_line(&f.result.reason)
                )
            })
            .collect(),
    }
}

fn evidence(step: &Step, attempt: &Attempt, t0: Timestamp) -> Vec<String> {
    let mut out = Vec::new();
    for a in &attempt.answers {
        let item = a
            .item
            .as_deref()
            .filter(|i| *i != step.id)
            .map(|i| format!(" `{i}`"))
            .unwrap_or_default();
        let mut line = format!(
            "{}{item} by {} at {}",
            a.reply.done(),
            a.by,
            clock(t0, a.at)
        );
        if let Some(e) = &a.evidence {
            line.push_str(&format!(": {}", one_line(e)));
        }
        if let Some(r) = &a.reason {
            line.push_str(&format!(": {}", one_line(r)));
        }
        out.push(line);
    }
    if let Some(f) = &attempt.finished {
        item_lines(&f.result, true, t0, &mut out);
    }
    if let Action::Watch(_) = step.action {
        for s in &attempt.samples {
            let value = s
                .value
                .map(|v| format!(" {}", shown(v, &s.unit)))
                .unwrap_or_default();
            out.push(format!(
                "sample at {}: {}{value} — {}",
                clock(t0, s.at),
                s.verdict.word(),
                one_line(&s.evidence)
            ));
        }
    }
    out
}

/// The evidence of an item: its sign-offs and probes, then its children's.
fn item_lines(item: &ItemReport, top: bool, t0: Timestamp, out: &mut Vec<String>) {
    if !top {
        let reason = if item.reason.is_empty() {
            String::new()
        } else {
            format!(" — {}", one_line(&item.reason))
        };
        out.push(format!(
            "{} `{}` {}{reason}",
            item.status.word(),
            item.id,
            item.title
        ));
    }
    for s in &item.signoffs {
        let evidence = s
            .evidence
            .as_deref()
            .map(|e| format!(": {}", one_line(e)))
            .unwrap_or_default();
        let at =
            s.at.parse::<Timestamp>()
                .map_or_else(|_| s.at.clone(), |at| clock(t0, at));
        out.push(format!("signed off by {} at {at}{evidence}", s.by));
    }
    if let Some(w) = &item.waiver {
        out.push(format!(
            "waived by {} until {}: {}",
            w.by,
            crate::report::text::when(&w.expires),
            one_line(&w.reason)
        ));
    }
    for p in &item.probes {
        out.push(probe_line(p));
    }
    for child in &item.items {
        item_lines(child, false, t0, out);
    }
}

fn title_of<'a>(runbook: &'a Runbook, step: &'a str) -> &'a str {
    runbook.step(step).map_or(step, |(_, s)| s.title.as_str())
}

/// `T-4h Pre-launch`, or the id of a phase the runbook no longer has.
fn phase_name(runbook: &Runbook, id: &str) -> String {
    runbook
        .phase(id)
        .map_or_else(|| id.to_owned(), |p| format!("{} {}", p.at, p.title))
}

fn event_text(record: &Record, runbook: &Runbook) -> Option<String> {
    Some(match record {
        Record::Open(o) => {
            let mode = match o.mode {
                Mode::Interactive => "interactive",
                Mode::NonInteractive => "non-interactive",
            };
            let phase = o
                .phase
                .as_deref()
                .map(|p| format!(", phase {p}"))
                .unwrap_or_default();
            let clock = o
                .clock
                .as_deref()
                .map(|c| format!(", {c} clock"))
                .unwrap_or_default();
            format!("opened the runbook ({mode}{phase}{clock})")
        }
        Record::Start(s) => format!("started `{}` {}", s.step, title_of(runbook, &s.step)),
        Record::Answer(a) => {
            let item = a
                .item
                .as_deref()
                .filter(|i| *i != a.step)
                .map(|i| format!(" (`{i}`)"))
                .unwrap_or_default();
            let detail = a
                .evidence
                .as_deref()
                .or(a.reason.as_deref())
                .map(|t| format!(": {}", one_line(t)))
                .unwrap_or_default();
            format!("{} `{}`{item}{detail}", a.reply.done(), a.step)
        }
        Record::Sample(_) => return None,
        Record::Finish(f) => {
            let waiting = if f.settled {
                ""
            } else {
                " (waiting for a sign-off)"
            };
            let reason = if f.result.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", one_line(&f.result.reason))
            };
            format!(
                "{} `{}` {}{waiting}{reason}",
                f.result.status.word(),
                f.step,
                title_of(runbook, &f.step)
            )
        }
        Record::Decide(d) => {
            let phase = phase_name(runbook, &d.phase);
            if d.go {
                format!("{phase}: GO")
            } else {
                let steps: Vec<&str> = d.blocking.iter().map(|b| b.step.as_str()).collect();
                format!("{phase}: NO-GO ({})", steps.join(", "))
            }
        }
        Record::Proceed(p) => format!(
            "went on past the NO-GO of {}: {}",
            phase_name(runbook, &p.phase),
            one_line(&p.reason)
        ),
        Record::Redo(r) => {
            let why = r
                .reason
                .as_deref()
                .map(|t| format!(": {}", one_line(t)))
                .unwrap_or_default();
            format!("asked to redo `{}`{why}", r.step)
        }
        Record::Stop(s) => {
            let at = s
                .step
                .as_deref()
                .map(|st| format!(" at `{st}`"))
                .unwrap_or_default();
            format!("stopped ({}){at}", s.why)
        }
    })
}

/// The formats of the launch record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordFormat {
    /// Markdown.
    Markdown,
    /// A self-contained HTML page.
    Html,
    /// JSON.
    Json,
}

/// One `--report FORMAT[=PATH]` of the runbook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpec {
    /// The format.
    pub format: RecordFormat,
    /// The file; stdout when absent.
    pub path: Option<PathBuf>,
}

impl std::str::FromStr for RecordSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let (name, path) = match text.split_once('=') {
            Some((_, "")) => return Err(format!("`{text}` names no file after `=`")),
            Some((name, path)) => (name, Some(PathBuf::from(path))),
            None => (text, None),
        };
        let format = match name.to_ascii_lowercase().as_str() {
            "md" | "markdown" => RecordFormat::Markdown,
            "html" => RecordFormat::Html,
            "json" => RecordFormat::Json,
            _ => {
                return Err(format!(
                    "unknown launch record format `{name}`; formats: md, html, json (FORMAT or FORMAT=PATH)"
                ));
            }
        };
        Ok(RecordSpec { format, path })
    }
}

/// Renders the record.
pub fn render(record: &LaunchRecord, format: RecordFormat) -> String {
    match format {
        RecordFormat::Markdown => markdown::render(record),
        RecordFormat::Html => html::render(record),
        RecordFormat::Json => serde_json::to_string_pretty(record).unwrap_or_default() + "\n",
    }
}
