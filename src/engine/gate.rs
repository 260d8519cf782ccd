//! The gate: does this run let a release through?
//!
//! A [`GatePolicy`] says which items count ([`GateScope`]: every required item,
//! or only the critical path) and which statuses stop a release ([`FailOn`]).
//! The default: no item that is not optional may be red. Only leaf items are
//! judged (a group's colour is the roll-up of its leaves), and optional items
//! never fail the gate.
//!
//! Waivers do not count unless the policy says so (`--allow-waivers`): a waived
//! item that fails the gate still fails it, and the gate names it as waived.
//! When they count, a waived item is let through and still listed.

use crate::outcome::{Gate, GateVerdict, ItemReport, Report, Status};

/// The lowest status that fails the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum FailOn {
    /// Red items fail the gate; yellow ones pass (the default).
    #[default]
    Red,
    /// Yellow and red items fail the gate.
    Yellow,
}

/// Which items the gate judges.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GateScope {
    /// Every item that is not optional (the default).
    #[default]
    All,
    /// Only critical items: those marked `critical`, and the items inside them.
    Critical,
}

impl GateScope {
    /// The word used on the command line and in reports.
    pub fn word(self) -> &'static str {
        match self {
            GateScope::All => "all",
            GateScope::Critical => "critical",
        }
    }
}

/// How a run is judged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GatePolicy {
    /// Which items count.
    pub scope: GateScope,
    /// The lowest status that fails.
    pub fail_on: FailOn,
    /// Whether an item with an unexpired waiver is let through (default: no).
    pub allow_waivers: bool,
    /// Whether a gate that judged nothing passes (`--allow-empty-gate`;
    /// default: no, as a test runner fails when it collected no test).
    pub allow_empty: bool,
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

    /// The items the gate judges, in words: `required` or `critical`.
    pub fn counted(self) -> &'static str {
        match self.scope {
            GateScope::All => "required",
            GateScope::Critical => "critical",
        }
    }

    /// Describes the policy, as in reports.
    pub fn describe(self) -> String {
        let waivers = if self.allow_waivers {
            " (waived items are let through)"
        } else {
            ""
        };
        format!("no {} item is {}{waivers}", self.counted(), self.blocking())
    }

    /// The leaf items this policy judges, depth first.
    pub fn judged(self, report: &Report) -> Vec<&ItemReport> {
        self.judged_items(&report.items)
    }

    /// The leaves of `items` this policy judges, depth first.
    pub fn judged_items(self, items: &[ItemReport]) -> Vec<&ItemReport> {
        fn walk<'a>(
            item: &'a ItemReport,
            critical: bool,
            policy: GatePolicy,
            out: &mut Vec<&'a ItemReport>,
        ) {
            let critical = critical || item.critical;
            if item.items.is_empty() {
                let in_scope = match policy.scope {
                    GateScope::All => true,
                    GateScope::Critical => critical,
                };
                if in_scope && !item.optional {
                    out.push(item);
                }
            }
            for child in &item.items {
                walk(child, critical, policy, out);
            }
        }
        let mut out = Vec::new();
        for item in items {
            walk(item, false, self, &mut out);
        }
        out
    }

    /// Judges a report. An interrupted run never passes.
    pub fn evaluate(self, report: &Report) -> Gate {
        self.evaluate_items(&report.items, report.interrupted)
    }

    /// Judges items (a report's, or a runbook phase's steps). An interrupted
    /// run never passes; nor does one where the policy found nothing to judge
    /// (no item in its scope that is not white), unless the policy accepts it.
    pub fn evaluate_items(self, items: &[ItemReport], interrupted: bool) -> Gate {
        let mut failing = Vec::new();
        let mut waived = Vec::new();
        let mut judged = 0;
        for item in self.judged_items(items) {
            if item.status != Status::White {
                judged += 1;
            }
            if !self.fails(item.status) {
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
        let nothing_judged = judged == 0;
        let verdict = if interrupted {
            GateVerdict::Interrupted
        } else if !failing.is_empty() {
            GateVerdict::NotReady
        } else if nothing_judged {
            GateVerdict::NothingJudged
        } else {
            GateVerdict::Ready
        };
        Gate {
            policy: self.describe(),
            scope: self.scope.word().to_owned(),
            blocking: self.blocking().to_owned(),
            passed: match verdict {
                GateVerdict::Ready => true,
                GateVerdict::NothingJudged => self.allow_empty,
                GateVerdict::NotReady | GateVerdict::Interrupted => false,
            },
            failing,
            waivers_count: self.allow_waivers,
            waived,
            verdict,
            judged,
            allow_empty: self.allow_empty,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Waiver;
    use crate::outcome::fixture::{leaf, report};

    /// A critical group holding a yellow leaf, a critical red leaf, a plain red
    /// leaf and an optional white one.
    fn sample() -> Report {
        let mut group = leaf("crit-group", Status::Yellow);
        group.critical = true;
        group.items = vec![leaf("inside", Status::Yellow)];
        let mut crit = leaf("crit-red", Status::Red);
        crit.critical = true;
        let mut optional = leaf("optional", Status::White);
        optional.optional = true;
        report(vec![group, crit, leaf("plain-red", Status::Red), optional])
    }

    fn failing(scope: GateScope, fail_on: FailOn) -> Vec<String> {
        GatePolicy {
            scope,
            fail_on,
            ..GatePolicy::default()
        }
        .evaluate(&sample())
        .failing
    }

    #[test]
    fn every_policy_judges_the_items_it_should() {
        assert_eq!(
            failing(GateScope::All, FailOn::Red),
            ["crit-red", "plain-red"]
        );
        assert_eq!(
            failing(GateScope::All, FailOn::Yellow),
            ["inside", "crit-red", "plain-red"]
        );
        assert_eq!(failing(GateScope::Critical, FailOn::Red), ["crit-red"]);
        assert_eq!(
            failing(GateScope::Critical, FailOn::Yellow),
            ["inside", "crit-red"]
        );
    }

    #[test]
    fn descriptions_name_scope_and_statuses() {
        let policy = GatePolicy {
            scope: GateScope::Critical,
            fail_on: FailOn::Yellow,
            ..GatePolicy::default()
        };
        assert_eq!(policy.describe(), "no critical item is yellow or red");
        assert_eq!(GatePolicy::default().describe(), "no required item is red");
    }

    #[test]
    fn an_interrupted_run_never_passes() {
        let mut r = report(vec![leaf("ok", Status::Green)]);
        assert!(GatePolicy::default().evaluate(&r).passed);
        r.interrupted = true;
        assert!(!GatePolicy::default().evaluate(&r).passed);
    }

    #[test]
    fn a_gate_that_judged_nothing_does_not_pass_unless_accepted() {
        // Nothing critical: `--gate critical` has nothing to judge, whatever is red.
        let r = report(vec![
            leaf("plain-red", Status::Red),
            leaf("ok", Status::Green),
        ]);
        let critical = GatePolicy {
            scope: GateScope::Critical,
            ..GatePolicy::default()
        };
        let gate = critical.evaluate(&r);
        assert_eq!(
            (gate.verdict, gate.judged, gate.passed),
            (GateVerdict::NothingJudged, 0, false)
        );
        let accepted = GatePolicy {
            allow_empty: true,
            ..critical
        }
        .evaluate(&r);
        assert_eq!(
            (accepted.verdict, accepted.passed),
            (GateVerdict::NothingJudged, true)
        );
        // Only white (deferred) items in scope: judged nothing either.
        let mut deferred = leaf("later", Status::White);
        deferred.critical = true;
        let gate = critical.evaluate(&report(vec![deferred]));
        assert_eq!(gate.verdict, GateVerdict::NothingJudged);
        // The default gate judges both items here.
        let gate = GatePolicy::default().evaluate(&r);
        assert_eq!((gate.verdict, gate.judged), (GateVerdict::NotReady, 2));
    }

    fn waived_report(waiver: Option<Waiver>) -> Report {
        let mut item = leaf("api-ready", Status::Red);
        item.waiver = waiver;
        report(vec![item])
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
        let waived = waived_report(Some(waiver(false)));
        let gate = strict.evaluate(&waived);
        assert!(!gate.passed);
        assert_eq!((gate.failing.len(), gate.waived.len()), (1, 1));
        let gate = lenient.evaluate(&waived);
        assert!(gate.passed);
        assert_eq!((gate.failing.len(), gate.waived.len()), (0, 1));
        // An expired waiver lets nothing through.
        let gate = lenient.evaluate(&waived_report(Some(waiver(true))));
        assert!(!gate.passed);
        assert!(gate.waived.is_empty());
    }
}
