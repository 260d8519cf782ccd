//! The engine's input: a validated checklist with every location, variable and
//! default resolved. Built by `checklist::validate`; nothing here knows YAML.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::outcome::ChecklistInfo;
use crate::probe::ProbeKind;

/// A status a person declared for an item nothing verifies yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Declared {
    /// Done (shown green, marked as declared).
    Done,
    /// In progress (yellow).
    InProgress,
    /// Not started (red).
    NotStarted,
    /// Blocked (red).
    Blocked,
    /// Deferred (white); its probes are not run.
    Deferred,
}

impl Declared {
    /// The word used in the checklist.
    pub fn word(self) -> &'static str {
        match self {
            Declared::Done => "done",
            Declared::InProgress => "in_progress",
            Declared::NotStarted => "not_started",
            Declared::Blocked => "blocked",
            Declared::Deferred => "deferred",
        }
    }
}

/// A checklist ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What is being checked.
    pub info: ChecklistInfo,
    /// Top-level sections.
    pub items: Vec<PlanItem>,
}

impl Plan {
    /// Every item, depth first.
    pub fn walk(&self) -> Vec<&PlanItem> {
        self.items.iter().flat_map(PlanItem::walk).collect()
    }

    /// The number of probes in the plan.
    pub fn probe_count(&self) -> usize {
        self.walk().iter().map(|i| i.probes.len()).sum()
    }
}

/// One item of a [`Plan`].
#[derive(Debug, Clone)]
pub struct PlanItem {
    /// Stable id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Owner.
    pub owner: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// On the critical path.
    pub critical: bool,
    /// Optional (itself or through an ancestor).
    pub optional: bool,
    /// Ids that must be green first.
    pub depends_on: Vec<String>,
    /// Declared status.
    pub declared: Option<Declared>,
    /// A person signs it off.
    pub manual: bool,
    /// Free-form notes (Markdown), carried to reports.
    pub notes: Option<String>,
    /// A link or path to documentation.
    pub docs: Option<String>,
    /// Its probes.
    pub probes: Vec<PlanProbe>,
    /// Its children.
    pub items: Vec<PlanItem>,
}

impl PlanItem {
    /// This item and every descendant, depth first.
    pub fn walk(&self) -> Vec<&PlanItem> {
        let mut out = vec![self];
        for child in &self.items {
            out.extend(child.walk());
        }
        out
    }
}

/// One probe of an item, with its deadline resolved.
#[derive(Debug, Clone)]
pub struct PlanProbe {
    /// The probe kind and its configuration.
    pub kind: ProbeKind,
    /// The deadline for one attempt.
    pub timeout: Duration,
}
