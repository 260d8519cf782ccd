//! The launch-day journal: what happened, one JSON object per line, appended
//! through [`crate::state::log`] — so with the sign-off store's guarantees:
//! durable before it is acknowledged, one line per record, writers serialized
//! by a file lock (several operators may share one journal), torn or corrupt
//! lines reported with their line numbers, never dropped.
//!
//! ```text
//! {"op":"open","at":"2026-12-01T10:58:00Z","by":"Ada","session":"…","t0":"2026-12-01T15:00:00Z","checklist":"…","mode":"interactive"}
//! {"op":"start","at":"2026-12-01T11:00:00Z","by":"Ada","session":"…","phase":"pre-launch","step":"health"}
//! {"op":"finish","at":"2026-12-01T11:00:02Z","by":"Ada","session":"…","phase":"pre-launch","step":"health","result":{…}}
//! {"op":"decide","at":"2026-12-01T11:20:00Z","by":"Ada","session":"…","phase":"pre-launch","go":true,…}
//! ```
//!
//! `runbook::replay` folds the records, in file order, into what counts now.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::outcome::{Gate, ItemReport, Status, Verdict};

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// A session opened the runbook.
    Open(Open),
    /// A step started.
    Start(Start),
    /// A person answered a prompt.
    Answer(Answer),
    /// A watch took a sample.
    Sample(Sample),
    /// A step finished.
    Finish(Box<Finish>),
    /// A phase's go/no-go.
    Decide(Decision),
    /// A person chose to go on after a no-go.
    Proceed(Proceed),
    /// A step is to be done again; its earlier results no longer count.
    Redo(Redo),
    /// A session stopped before its end (Ctrl-C, quit).
    Stop(Stop),
}

/// Interactive, or never prompting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A person answers prompts.
    Interactive,
    /// CI or cron: nothing is asked.
    NonInteractive,
}

/// `op: open`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Open {
    /// When.
    pub at: Timestamp,
    /// The operator.
    pub by: String,
    /// This session's id.
    pub session: String,
    /// T-0.
    pub t0: Timestamp,
    /// The checklist's name.
    pub checklist: String,
    /// Interactive or not.
    pub mode: Mode,
    /// The one phase asked for (`--phase`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// `simulated` when the clock was simulated (a rehearsal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clock: Option<String>,
    /// The machine the session ran on, and its process id: another session on
    /// the same machine can tell whether this one is still running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The session's process id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
}

/// `op: start`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    /// When.
    pub at: Timestamp,
    /// The operator.
    pub by: String,
    /// The session.
    pub session: String,
    /// The phase's id.
    pub phase: String,
    /// The step's id.
    pub step: String,
    /// The session whose claim on the step this start takes over (it stopped,
    /// or its process is gone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

/// What a person answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Done and checked.
    Confirm,
    /// Not done, or not good.
    Fail,
    /// Not done on purpose.
    Skip,
}

impl Reply {
    /// The past-tense word: `confirmed`, `failed`, `skipped`.
    pub fn done(self) -> &'static str {
        match self {
            Reply::Confirm => "confirmed",
            Reply::Fail => "failed",
            Reply::Skip => "skipped",
        }
    }
}

/// `op: answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// When.
    pub at: Timestamp,
    /// Who answered.
    pub by: String,
    /// The session.
    pub session: String,
    /// The phase's id.
    pub phase: String,
    /// The step's id.
    pub step: String,
    /// The checklist item answered for, when the step runs items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    /// The answer.
    pub reply: Reply,
    /// A link or text backing a confirmation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// Why it failed or was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The operator's SSH signature over [`answer_payload`], when they have a
    /// key (as `candlefish sign` signs sign-offs); unsigned when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

/// What the signature of an answer covers: the checklist's name, the session,
/// phase, step and item, the reply, who, when, evidence and reason; every field
/// present, in this order.
pub fn answer_payload(checklist: &str, a: &Answer) -> String {
    serde_json::json!({
        "candlefish": "runbook-answer/1",
        "checklist": checklist,
        "session": a.session,
        "phase": a.phase,
        "step": a.step,
        "item": a.item,
        "reply": a.reply,
        "by": a.by,
        "at": a.at.to_string(),
        "evidence": a.evidence,
        "reason": a.reason,
    })
    .to_string()
}

/// `op: sample`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// When it was taken.
    pub at: Timestamp,
    /// The session.
    pub session: String,
    /// The phase's id.
    pub phase: String,
    /// The step's id.
    pub step: String,
    /// The probe's verdict.
    pub verdict: Verdict,
    /// The tracked number, when the sample had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// Its unit (`ms`, `%`, …).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// The probe's evidence.
    pub evidence: String,
}

/// `op: finish`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finish {
    /// When.
    pub at: Timestamp,
    /// The operator.
    pub by: String,
    /// The session.
    pub session: String,
    /// The phase's id.
    pub phase: String,
    /// The step's id.
    pub step: String,
    /// The step as an item: status, reason, probes, sign-offs, the items it ran.
    pub result: ItemReport,
    /// False when the result waits for a person (a manual step nobody has
    /// signed off in a non-interactive run): a later run looks again.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub settled: bool,
    /// A watch's summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<crate::runbook::watch::Summary>,
}

fn yes() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde passes a reference
fn is_true(b: &bool) -> bool {
    *b
}

/// A step that keeps a phase from going.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    /// The step's id.
    pub step: String,
    /// Its status.
    pub status: Status,
    /// Why, one line.
    pub reason: String,
}

/// `op: decide`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// When.
    pub at: Timestamp,
    /// The operator whose session decided.
    pub by: String,
    /// The session.
    pub session: String,
    /// The phase's id.
    pub phase: String,
    /// Go (true) or no-go.
    pub go: bool,
    /// The gate's verdict over the phase's steps and the items they ran.
    pub gate: Gate,
    /// The steps that block it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocking: Vec<Blocker>,
    /// Steps a person skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

/// `op: proceed`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proceed {
    /// When.
    pub at: Timestamp,
    /// Who decided to go on.
    pub by: String,
    /// The session.
    pub session: String,
    /// The phase that was no-go.
    pub phase: String,
    /// Why.
    pub reason: String,
}

/// `op: redo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Redo {
    /// When.
    pub at: Timestamp,
    /// Who asked.
    pub by: String,
    /// The session.
    pub session: String,
    /// The step's id.
    pub step: String,
    /// Why, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `op: stop`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stop {
    /// When.
    pub at: Timestamp,
    /// The operator.
    pub by: String,
    /// The session.
    pub session: String,
    /// The phase it was in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The step it was in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// Why: `interrupted` (Ctrl-C), `quit`, `no-go`.
    pub why: String,
}

impl Record {
    /// When it was recorded.
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Open(r) => r.at,
            Record::Start(r) => r.at,
            Record::Answer(r) => r.at,
            Record::Sample(r) => r.at,
            Record::Finish(r) => r.at,
            Record::Decide(r) => r.at,
            Record::Proceed(r) => r.at,
            Record::Redo(r) => r.at,
            Record::Stop(r) => r.at,
        }
    }
}
