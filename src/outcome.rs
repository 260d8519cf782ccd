//! Plain, serializable results: what one probe found ([`ProbeOutcome`]), what an
//! item's status is ([`ItemReport`]) and what a whole run found ([`Report`]).
//!
//! Nothing here performs I/O. Probes produce [`ProbeOutcome`]s, the engine turns
//! them into a [`Report`], and renderers only read it. The JSON form of these types
//! is the documented `--format json` schema (see `docs/json-schema.md`); field names
//! are stable within a `schema_version`.

use serde::{Deserialize, Serialize};

/// The version of the JSON report schema. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// An item's status on the board.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Complete and verified.
    Green,
    /// In progress or partially complete, or a probe warns.
    Yellow,
    /// Not started or blocked: probes fail or could not run.
    Red,
    /// Optional or deferred.
    White,
}

impl Status {
    /// Every status, in board order.
    pub const ALL: [Status; 4] = [Status::Green, Status::Yellow, Status::Red, Status::White];

    /// The emoji shown on the board.
    pub fn glyph(self) -> &'static str {
        match self {
            Status::Green => "🟢",
            Status::Yellow => "🟡",
            Status::Red => "🔴",
            Status::White => "⚪",
        }
    }

    /// The three-column ASCII stand-in for [`Status::glyph`].
    pub fn ascii(self) -> &'static str {
        match self {
            Status::Green => "[+]",
            Status::Yellow => "[~]",
            Status::Red => "[x]",
            Status::White => "[-]",
        }
    }

    /// The lowercase word, as in the JSON report.
    pub fn word(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Yellow => "yellow",
            Status::Red => "red",
            Status::White => "white",
        }
    }
}

/// The verdict of one probe. `Fail` and `Error` are kept apart: the first means
/// the system answered wrong, the second that the probe could not run at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// Every expectation held.
    Pass,
    /// Every expectation held, but something deserves attention.
    Warn,
    /// The system answered, and the answer was wrong.
    Fail,
    /// The probe could not run: DNS, refused, timeout, no credentials.
    Error,
    /// The probe was not run (blocked by a dependency, or the run was interrupted).
    Skipped,
}

impl Verdict {
    /// The lowercase word, as in the JSON report.
    pub fn word(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Error => "error",
            Verdict::Skipped => "skipped",
        }
    }
}

/// One expectation compared with one observation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was expected, e.g. `status 200` or `latency <= 500ms`.
    pub expected: String,
    /// What was seen, e.g. `503` or `41 ms`.
    pub observed: String,
    /// Whether it held.
    pub verdict: Verdict,
}

/// Everything one probe found. Evidence is for people; `checks` is for machines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeOutcome {
    /// The probe kind, e.g. `http`.
    pub kind: String,
    /// The probe's name, when the checklist gives one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// What was probed, secrets removed, e.g. `GET https://api.example.com/health`.
    pub target: String,
    /// The probe's verdict.
    pub verdict: Verdict,
    /// One line a person can read, e.g. `expected status 200, got 503 in 41 ms`.
    pub evidence: String,
    /// Each expectation with what was observed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    /// When the probe started, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// Wall time of the probe in milliseconds, retries included.
    pub duration_ms: u64,
    /// How many attempts were made (1 unless retries are configured).
    pub attempts: u32,
    /// It passed only after failing: retries hid a failure.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub flaky: bool,
    /// The steps of a `flow` probe, in order, up to the one that failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<StepOutcome>,
}

/// One step of a `flow` probe: what it did, how it ended and how long it took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepOutcome {
    /// The step's name as written (`log in`).
    pub name: String,
    /// Its verdict.
    pub verdict: Verdict,
    /// One line: `200 OK in 12ms`, or what went wrong.
    pub evidence: String,
    /// Wall time of the step in milliseconds, its retries included.
    pub duration_ms: u64,
    /// How many times the step was sent (more than 1 when it `retry`s).
    pub attempts: u32,
}

impl ProbeOutcome {
    /// An outcome with no checks: used for errors and skips.
    pub fn bare(kind: &str, target: String, verdict: Verdict, evidence: String) -> Self {
        ProbeOutcome {
            kind: kind.to_owned(),
            name: None,
            target,
            verdict,
            evidence,
            checks: Vec::new(),
            started_at: None,
            duration_ms: 0,
            attempts: 0,
            flaky: false,
            steps: Vec::new(),
        }
    }
}

/// Where an item's status came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// Its probes.
    Probes,
    /// The roll-up of its children (and its own probes, if any).
    Children,
    /// The status declared in the checklist; nothing verified it.
    Declared,
    /// A manual item with no valid sign-off: awaiting one.
    Manual,
    /// A manual item's sign-offs: valid (green), too few or expired (yellow).
    Signoff,
    /// Nothing: no probe, sign-off or declared status.
    Nothing,
    /// A dependency that is not green.
    Dependency,
    /// Optional or deferred.
    Optional,
    /// Not green by its due date: red, whatever it would be otherwise.
    Overdue,
}

/// One checklist item and its verdict, with its children.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemReport {
    /// The item's stable id.
    pub id: String,
    /// The item's title.
    pub title: String,
    /// The item's status after roll-up.
    pub status: Status,
    /// Where the status came from.
    pub basis: Basis,
    /// Why the item has its status, one line; empty for verified green items.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// On the critical path.
    #[serde(default)]
    pub critical: bool,
    /// Optional: white unless it is green.
    #[serde(default)]
    pub optional: bool,
    /// The status written in the checklist, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<String>,
    /// The item's owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When it must be green by (its own `due`, or its group's when earlier):
    /// `2026-12-15`, or a moment in RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<String>,
    /// Days from the run's day to the due day (UTC): 0 due today, negative past.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_in_days: Option<i64>,
    /// It was not green by its due date, so it is red.
    #[serde(default, skip_serializing_if = "is_false")]
    pub overdue: bool,
    /// The item's tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Ids this item depends on.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// The item's notes from the checklist (Markdown, e.g. the commands a person runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// A link or path to the item's documentation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs: Option<String>,
    /// The item's own probes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<ProbeOutcome>,
    /// A manual item's current sign-offs (the latest of each person since the
    /// last revocation), valid and stale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signoffs: Vec<Signoff>,
    /// The waiver on this item, if one is recorded and not revoked. A waiver never
    /// changes the status; the gate decides whether it counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiver: Option<Waiver>,
    /// Child items.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<ItemReport>,
}

/// A person's sign-off on a manual item. `by` is recorded as given
/// (attribution); `key`, when present, is the SSH key whose signature over the
/// sign-off verified (authentication, README "Trust model").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signoff {
    /// Who signed, as given (`Ada Lovelace <ada@example.com>`).
    pub by: String,
    /// When, RFC 3339.
    pub at: String,
    /// A link or text backing the sign-off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// A free-form note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it stops counting, RFC 3339.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    /// It has expired: the item is yellow until someone signs again.
    #[serde(default)]
    pub stale: bool,
    /// `SHA256:…` of the key that signed it, when it is signed and the
    /// signature verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// The key's principals in the checklist's allowed signers file.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub principals: Vec<String>,
}

/// An accepted failure: a person vouches that an automated item may stay as it
/// is until `expires`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waiver {
    /// Who waived it, as given.
    pub by: String,
    /// When, RFC 3339.
    pub at: String,
    /// The justification.
    pub reason: String,
    /// When it stops counting, RFC 3339 (mandatory).
    pub expires: String,
    /// It has expired and no longer counts for anything.
    #[serde(default)]
    pub expired: bool,
}

impl Waiver {
    /// Recorded, not revoked, not expired.
    pub fn active(&self) -> bool {
        !self.expired
    }
}

impl ItemReport {
    /// Carries a waiver that has not expired.
    pub fn waived(&self) -> bool {
        self.waiver.as_ref().is_some_and(Waiver::active)
    }

    /// This item and every descendant, depth first.
    pub fn walk(&self) -> Vec<&ItemReport> {
        let mut out = vec![self];
        for child in &self.items {
            out.extend(child.walk());
        }
        out
    }
}

/// Counts of leaf items per status and of probes per verdict.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Leaf items that are green.
    pub green: usize,
    /// Leaf items that are yellow.
    pub yellow: usize,
    /// Leaf items that are red.
    pub red: usize,
    /// Leaf items that are white.
    pub white: usize,
    /// Probes that passed.
    pub probes_pass: usize,
    /// Probes that passed with a warning.
    pub probes_warn: usize,
    /// Probes that failed.
    pub probes_fail: usize,
    /// Probes that could not run.
    pub probes_error: usize,
    /// Probes that were not run.
    pub probes_skipped: usize,
    /// Leaf items carrying a waiver that has not expired (whatever their status).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub waived: usize,
}

impl Summary {
    /// The count for one status.
    pub fn count(&self, status: Status) -> usize {
        match status {
            Status::Green => self.green,
            Status::Yellow => self.yellow,
            Status::Red => self.red,
            Status::White => self.white,
        }
    }

    /// All probes counted.
    pub fn probes(&self) -> usize {
        self.probes_pass
            + self.probes_warn
            + self.probes_fail
            + self.probes_error
            + self.probes_skipped
    }
}

/// The checklist a report is about.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistInfo {
    /// The checklist's name.
    pub name: String,
    /// The file it was loaded from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Its owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// When it was last reviewed (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_reviewed: Option<String>,
    /// When it is due for review (YYYY-MM-DD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_review: Option<String>,
    /// Its longer description (Markdown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Its notes section: blockers, decisions, dependencies, risks.
    #[serde(default, skip_serializing_if = "ChecklistNotes::is_empty")]
    pub notes: ChecklistNotes,
}

/// The checklist's notes section, as in the seed's "Notes Section".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistNotes {
    /// What blocks the launch.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<String>,
    /// Decisions that still need to be made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decisions: Vec<String>,
    /// External dependencies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Known risks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub risks: Vec<String>,
}

impl ChecklistNotes {
    /// True when every list is empty.
    pub fn is_empty(&self) -> bool {
        self.blockers.is_empty()
            && self.decisions.is_empty()
            && self.dependencies.is_empty()
            && self.risks.is_empty()
    }
}

/// The gate's verdict on a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gate {
    /// The policy applied, e.g. `no required item is red`.
    pub policy: String,
    /// The items judged: `all` (every required item) or `critical`.
    #[serde(default = "Gate::default_scope")]
    pub scope: String,
    /// The statuses that fail it: `red`, or `yellow or red`.
    pub blocking: String,
    /// Whether the gate passed.
    pub passed: bool,
    /// Ids of the items that made it fail.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
    /// Whether waivers let an item through (`--allow-waivers`); left out when not.
    #[serde(default, skip_serializing_if = "is_false")]
    pub waivers_count: bool,
    /// Ids of items that would fail it but carry a waiver: let through when
    /// waivers count, listed in `failing` as well when they do not.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waived: Vec<String>,
    /// The verdict in one word: `ready`, `not_ready`, `nothing_judged` (no
    /// item was in the gate's scope: it cannot vouch for anything) or
    /// `interrupted`.
    #[serde(default)]
    pub verdict: GateVerdict,
    /// How many leaf items the gate judged (in its scope, not optional, not white).
    #[serde(default)]
    pub judged: usize,
    /// A gate that judged nothing passes (`--allow-empty-gate`); left out when not.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_empty: bool,
}

/// What the gate concluded, as a test runner tells "failed" from "no test collected".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateVerdict {
    /// Every item judged is fine.
    Ready,
    /// Some item judged fails the gate.
    #[default]
    NotReady,
    /// The gate found no item to judge (e.g. `--gate critical` and nothing is
    /// critical). Fails unless `--allow-empty-gate` accepts it.
    NothingJudged,
    /// The run was stopped before every probe finished.
    Interrupted,
}

impl GateVerdict {
    /// The headline word: `READY`, `NOT READY`, `NOTHING JUDGED`, `INTERRUPTED`.
    pub fn headline(self) -> &'static str {
        match self {
            GateVerdict::Ready => "READY",
            GateVerdict::NotReady => "NOT READY",
            GateVerdict::NothingJudged => "NOTHING JUDGED",
            GateVerdict::Interrupted => "INTERRUPTED",
        }
    }

    /// The word in the JSON report: `ready`, `not_ready`, `nothing_judged`, `interrupted`.
    pub fn word(self) -> &'static str {
        match self {
            GateVerdict::Ready => "ready",
            GateVerdict::NotReady => "not_ready",
            GateVerdict::NothingJudged => "nothing_judged",
            GateVerdict::Interrupted => "interrupted",
        }
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_false(b: &bool) -> bool {
    !*b
}

impl Gate {
    fn default_scope() -> String {
        "all".to_owned()
    }

    /// The items judged, in words: `required` or `critical`.
    pub fn counted(&self) -> &'static str {
        if self.scope == "critical" {
            "critical"
        } else {
            "required"
        }
    }

    /// Why a gate that judged nothing did: `no item is critical (--gate
    /// critical)`, or `every item is optional or deferred`; then whether that
    /// was accepted.
    pub fn nothing_judged(&self) -> String {
        let why = if self.scope == "critical" {
            "no item to judge: nothing is critical, or every critical item is optional or deferred (--gate critical)"
        } else {
            "no item to judge: every item is optional or deferred"
        };
        if self.allow_empty {
            format!("{why}; accepted by --allow-empty-gate")
        } else {
            format!("{why}; pass --allow-empty-gate to accept that")
        }
    }
}

/// The result of one run over a checklist: pure data, rendered by `report::*`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// See [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `candlefish <version>`.
    pub tool: String,
    /// What was checked.
    pub checklist: ChecklistInfo,
    /// When the run started, RFC 3339.
    pub started_at: String,
    /// Wall time of the run in milliseconds.
    pub duration_ms: u64,
    /// The roll-up of all top-level sections.
    pub status: Status,
    /// Counts.
    pub summary: Summary,
    /// The gate's verdict, when one was applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gate: Option<Gate>,
    /// True when the run was stopped before every probe finished.
    #[serde(default)]
    pub interrupted: bool,
    /// Problems beside the run: unreadable state records, sign-offs for ids the
    /// checklist no longer has. Each names its file and line.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The top-level sections.
    pub items: Vec<ItemReport>,
    /// Set when this run was one part of a sharded run (`check --shard K/N`);
    /// `candlefish merge` combines the parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<ShardInfo>,
}

/// Which part of a sharded run a report holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardInfo {
    /// This part, from 1.
    pub index: usize,
    /// How many parts.
    pub count: usize,
    /// Ids of the items this part judged (each is judged by exactly one part;
    /// the groups holding them are rolled up again by `merge`).
    pub owned: Vec<String>,
    /// Every item id of the whole checklist, depth first: the same in every
    /// part of one run, and the order `merge` restores.
    pub order: Vec<String>,
}

impl Report {
    /// Every item of the report, depth first.
    pub fn all_items(&self) -> Vec<&ItemReport> {
        self.items.iter().flat_map(ItemReport::walk).collect()
    }
}

/// Small reports for unit tests elsewhere in the crate.
#[cfg(test)]
pub(crate) mod fixture {
    use super::{Basis, ChecklistInfo, ItemReport, Report, Status, Summary};

    /// A leaf item with a declared basis.
    pub fn leaf(id: &str, status: Status) -> ItemReport {
        ItemReport {
            id: id.into(),
            title: format!("Item {id}"),
            status,
            basis: Basis::Declared,
            reason: String::new(),
            critical: false,
            optional: false,
            declared: None,
            owner: None,
            due: None,
            due_in_days: None,
            overdue: false,
            tags: Vec::new(),
            depends_on: Vec::new(),
            notes: None,
            docs: None,
            probes: Vec::new(),
            signoffs: Vec::new(),
            waiver: None,
            items: Vec::new(),
        }
    }

    /// A report holding `items`, without a gate.
    pub fn report(items: Vec<ItemReport>) -> Report {
        Report {
            schema_version: 1,
            tool: "candlefish test".into(),
            checklist: ChecklistInfo::default(),
            started_at: String::new(),
            duration_ms: 0,
            status: Status::Red,
            summary: Summary::default(),
            gate: None,
            interrupted: false,
            warnings: Vec::new(),
            items,
            shard: None,
        }
    }
}
