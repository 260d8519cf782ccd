//! The engine's input: a validated checklist with every location, variable and
//! default resolved. Built by `checklist::validate`; nothing here knows YAML.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checklist::model::Manual;
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
    /// The checklist's directory: probes resolve relative paths against it.
    pub base_dir: PathBuf,
    /// Top-level sections.
    pub items: Vec<PlanItem>,
    /// `signoffs:`: who may sign, and whether signatures are required.
    pub signoffs: crate::state::trust::Rules,
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

    /// `6 items in 2 groups`: the leaves, counted as the board counts items
    /// (each gets a colour of its own), and the sections and groups holding them.
    pub fn items_in_groups(&self) -> String {
        use crate::report::text::count;
        let all = self.walk();
        let leaves = all.iter().filter(|i| i.items.is_empty()).count();
        let groups = all.len() - leaves;
        if groups == 0 {
            count(leaves, "item")
        } else {
            format!("{} in {}", count(leaves, "item"), count(groups, "group"))
        }
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
    /// Deferred (itself or through an ancestor): white, and its probes are not run.
    pub deferred: bool,
    /// Ids that must be green first.
    pub depends_on: Vec<String>,
    /// When it must be green by: its own `due`, or an enclosing group's when
    /// that is earlier, with the owner who answers for it.
    pub due: Option<Deadline>,
    /// Declared status.
    pub declared: Option<Declared>,
    /// How a person signs it off, when one must.
    pub manual: Option<Manual>,
    /// Free-form notes (Markdown), carried to reports.
    pub notes: Option<String>,
    /// A link or path to documentation.
    pub docs: Option<String>,
    /// Its probes.
    pub probes: Vec<Arc<PlanProbe>>,
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

/// When an item must be green by, and who answers for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deadline {
    /// The due date or moment.
    pub due: crate::checklist::due::Due,
    /// The item's owner, else the nearest enclosing group's.
    pub owner: Option<String>,
}

/// One probe of an item, with its deadline resolved.
#[derive(Debug, Clone)]
pub struct PlanProbe {
    /// The probe kind and its configuration.
    pub kind: ProbeKind,
    /// A name for reports.
    pub name: Option<String>,
    /// The deadline for one attempt.
    pub timeout: Duration,
    /// Whether and how to try again.
    pub persistence: Persistence,
}

/// The most retries a probe may ask for.
pub const MAX_RETRIES: u32 = 10;
/// The wait before the first retry when the checklist gives none.
pub const DEFAULT_RETRY_DELAY: Duration = Duration::from_secs(1);
/// Retry waits double up to this.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);
/// The pause between attempts of `wait_until` when the checklist gives none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// How a probe tries again after an attempt that did not pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persistence {
    /// One attempt.
    Once,
    /// Up to `retries` more attempts, waiting `delay`, then twice that, … (at most 30s).
    Retry {
        /// Extra attempts.
        retries: u32,
        /// The first wait.
        delay: Duration,
    },
    /// Attempts every `interval` until one passes or `deadline` has passed since the first.
    WaitUntil {
        /// How long to keep trying.
        deadline: Duration,
        /// The pause between attempts.
        interval: Duration,
    },
}

#[cfg(test)]
impl PlanItem {
    /// A bare item for tests: id and title `id`, nothing else.
    pub(crate) fn fixture(id: &str) -> PlanItem {
        PlanItem {
            id: id.to_owned(),
            title: id.to_owned(),
            owner: None,
            tags: Vec::new(),
            critical: false,
            optional: false,
            deferred: false,
            depends_on: Vec::new(),
            due: None,
            declared: None,
            manual: None,
            notes: None,
            docs: None,
            probes: Vec::new(),
            items: Vec::new(),
        }
    }
}
