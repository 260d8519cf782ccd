//! The gate: does this run let a release through? The default: no item that is
//! not optional may be red. `--fail-on yellow` also stops on yellow items.
//!
//! Waivers do not count unless the policy says so (`--allow-waivers`): a waived
//! item that fails the gate still fails it, and the gate names it as waived.
//! When they count, a waived item is let through and still listed.

use crate::outcome::{Gate, Report, Status};

/// The lowest status that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Red items fail the gate; yellow ones pass (the default).
    #[default]
    Red,
    /// Yellow and red items fail the gate.
    Yellow,
}

/// How a run is judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatePolicy {
    /// The lowest status that fails.
    pub fail_on: FailOn,
    /// Whether an item with an unexpired waiver is let through (default: no).
    pub allow_waivers: bool,
}

impl GatePolicy {
    fn fails(self, status: Status) -> bool {
        match self.fail_on {
            FailOn::Red => status == Status::Red,
            FailOn::Yellow => matches!(status, Status::Red | Status::Yellow),
        }
    }

    /// The statuses that fail the gate, in words.
    pub fn blocking(self) -> &'static str {
        match self.fail_on {
            FailOn::Red => "red",
            FailOn::Yellow => "yellow or red",
        }
    }

    /// Describes the policy, as in reports.
    pub fn describe(self) -> String {
        let waivers = if self.allow_waivers {
            " (waived items are let through)"
        } else {
            ""
        };
        format!("no required item is {}{waivers}", self.blocking())
    }

    /// Judges a report. Only leaf items count: a group's colour is already the
    /// roll-up of its leaves. Optional items never fail the gate.
    pub fn evaluate(self, report: &Report) -> Gate {
        let mut failing = Vec::new();
        let mut waived = Vec::new();
        for item in report.all_items() {
            let counts = item.items.is_empty() && !item.optional && self.fails(item.status);
            if !counts {
                continue;
            }
            if item.waived() {
                waived.push(item.id.clone());
                if self.allow_waivers {
                    continue;
                }
            }
            failing.push(item.id.clone());
        }
        Gate {
            policy: self.describe(),
            blocking: self.blocking().to_owned(),
            passed: failing.is_empty() && !report.interrupted,
            failing,
            waivers_count: self.allow_waivers,
            waived,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::{Basis, ItemReport, Waiver};

    fn report(waiver: Option<Waiver>) -> Report {
        let item = ItemReport {
            id: "api-ready".into(),
            title: "Ready".into(),
            status: Status::Red,
            basis: Basis::Probes,
            reason: "expected status 200, got 503".into(),
            critical: false,
            optional: false,
            declared: None,
            owner: None,
            tags: Vec::new(),
            depends_on: Vec::new(),
            probes: Vec::new(),
            signoffs: Vec::new(),
            waiver,
            items: Vec::new(),
        };
        Report {
            schema_version: 1,
            tool: "candlefish test".into(),
            checklist: crate::outcome::ChecklistInfo::default(),
            started_at: String::new(),
            duration_ms: 0,
            status: Status::Red,
            summary: crate::outcome::Summary::default(),
            gate: None,
            interrupted: false,
            warnings: Vec::new(),
            items: vec![item],
        }
    }

    fn waiver(expired: bool) -> Waiver {
        Waiver {
            by: "Ada".into(),
            at: "2026-11-25T10:00:00Z".into(),
            reason: "vendor fix next week".into(),
            expires: "2026-12-02T10:00:00Z".into(),
            expired,
        }
    }

    #[test]
    fn waivers_count_only_when_the_policy_says_so() {
        let strict = GatePolicy::default();
        let lenient = GatePolicy {
            allow_waivers: true,
            ..GatePolicy::default()
        };
        let waived = report(Some(waiver(false)));
        let gate = strict.evaluate(&waived);
        assert!(!gate.passed);
        assert_eq!((gate.failing.len(), gate.waived.len()), (1, 1));
        let gate = lenient.evaluate(&waived);
        assert!(gate.passed);
        assert_eq!((gate.failing.len(), gate.waived.len()), (0, 1));
        // An expired waiver lets nothing through.
        let gate = lenient.evaluate(&report(Some(waiver(true))));
        assert!(!gate.passed);
        assert!(gate.waived.is_empty());
    }
}
