//! The gate: does this run let a release through? The default: no item that is
//! not optional may be red. `--fail-on yellow` also stops on yellow items.

use crate::outcome::{Gate, ItemReport, Report, Status};

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
        format!("no required item is {}", self.blocking())
    }

    /// Judges a report. Only leaf items count: a group's colour is already the
    /// roll-up of its leaves. Optional items never fail the gate.
    pub fn evaluate(self, report: &Report) -> Gate {
        let failing: Vec<String> = report
            .all_items()
            .into_iter()
            .filter(|i: &&ItemReport| i.items.is_empty() && !i.optional && self.fails(i.status))
            .map(|i| i.id.clone())
            .collect();
        Gate {
            policy: self.describe(),
            blocking: self.blocking().to_owned(),
            passed: failing.is_empty() && !report.interrupted,
            failing,
        }
    }
}
