//! The launch record: what happened on launch day, for the debrief and the
//! postmortem — each phase with its steps (status, who, when, evidence, earlier
//! attempts) and its go/no-go, and every event in order. A pure function of
//! the runbook and the journal ([`build`]); rendered as Markdown
//! ([`markdown`]), HTML ([`html`]) or JSON.

mod build;
pub mod html;
pub mod markdown;

pub use build::build;

use std::path::PathBuf;

use jiff::Timestamp;
use serde::Serialize;

use crate::outcome::Status;
use crate::runbook::journal::Blocker;

/// The version of the launch record's JSON (`docs/launch-record.schema.json`).
pub const SCHEMA_VERSION: u32 = 1;

/// The launch record.
#[derive(Debug, Clone, Serialize)]
pub struct LaunchRecord {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `candlefish` and its version.
    pub tool: String,
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
    /// `GO`, `NO-GO`, `NO-GO, steps still open` (decided while steps wait), or `not decided`.
    pub verdict: String,
    /// The standing decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<DecisionRecord>,
    /// Every decision taken on the phase, in order (the standing one last when
    /// it still stands): two NO-GOs before a GO are part of the story.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<DecisionRecord>,
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
    /// The policy as a rule: `fails when a required item is red`.
    pub rule: String,
    /// What the gate found, naming every red item the phase ran: those that
    /// blocked it, those a waiver let through, those outside the gate's scope.
    pub result: String,
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
    /// When it was done, RFC 3339: the last confirmation or sign-off of a
    /// step settled by people, else when its session finished it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// When it finished, from T-0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<String>,
    /// Who did it: the people whose confirmations or sign-offs settled a
    /// step no probe ran, else the operator whose session finished it.
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
