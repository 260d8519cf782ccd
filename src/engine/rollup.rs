//! From probe outcomes to item statuses, exactly as DESIGN.md says:
//!
//! - a leaf's probes: any failure or error → red, any warning → yellow, else green;
//! - a manual leaf: its sign-offs ([`attest::manual_status`]); with probes too,
//!   both must be green;
//! - a leaf without probes: its declared status, or red when nothing verifies it;
//! - a group ignores white children; all green → green; none green or yellow →
//!   red; otherwise yellow (a group's own probes count as one more child);
//! - an item whose `depends_on` is not green is red, "blocked by …";
//! - an optional item is white unless it is green; a deferred one is white.

use std::collections::HashMap;

use crate::engine::attest::{self, Attestations};
use crate::engine::plan::{Declared, Plan, PlanItem};
use crate::outcome::{Basis, ItemReport, ProbeOutcome, Status, Summary, Verdict};

/// The roll-up of child statuses. White children are ignored; with only white
/// children the group is white.
pub fn roll_up(children: &[Status]) -> Status {
    let counted: Vec<Status> = children
        .iter()
        .copied()
        .filter(|s| *s != Status::White)
        .collect();
    if counted.is_empty() {
        Status::White
    } else if counted.iter().all(|s| *s == Status::Green) {
        Status::Green
    } else if counted.iter().all(|s| *s == Status::Red) {
        Status::Red
    } else {
        Status::Yellow
    }
}

/// The status probe outcomes give their item.
pub fn probe_status(outcomes: &[ProbeOutcome]) -> (Status, String) {
    let bad: Vec<&ProbeOutcome> = outcomes
        .iter()
        .filter(|o| matches!(o.verdict, Verdict::Fail | Verdict::Error))
        .collect();
    let label = |o: &ProbeOutcome| {
        if outcomes.len() > 1 {
            format!("{}: {}", o.kind, o.evidence)
        } else {
            o.evidence.clone()
        }
    };
    if let Some(first) = bad.first() {
        let more = if bad.len() > 1 {
            format!(" (+{} more failing)", bad.len() - 1)
        } else {
            String::new()
        };
        return (Status::Red, format!("{}{more}", label(first)));
    }
    if !outcomes.is_empty() && outcomes.iter().all(|o| o.verdict == Verdict::Skipped) {
        return (Status::Red, outcomes[0].evidence.clone());
    }
    if let Some(warn) = outcomes.iter().find(|o| o.verdict == Verdict::Warn) {
        return (Status::Yellow, label(warn));
    }
    if let Some(skipped) = outcomes.iter().find(|o| o.verdict == Verdict::Skipped) {
        return (Status::Yellow, label(skipped));
    }
    // Green, but a retry hid a failure: say so.
    if let Some(flaky) = outcomes.iter().find(|o| o.flaky) {
        return (Status::Green, label(flaky));
    }
    (Status::Green, String::new())
}

/// The status a person declared.
pub fn declared_status(declared: Declared) -> (Status, &'static str) {
    match declared {
        Declared::Done => (Status::Green, "declared done; nothing verifies it"),
        Declared::InProgress => (Status::Yellow, "declared in progress"),
        Declared::NotStarted => (Status::Red, "not started"),
        Declared::Blocked => (Status::Red, "declared blocked"),
        Declared::Deferred => (Status::White, "deferred"),
    }
}

#[derive(Clone)]
struct Verdict3 {
    status: Status,
    basis: Basis,
    reason: String,
}

struct Arena<'a> {
    attested: &'a Attestations,
    /// The run's clock, for due dates.
    now: jiff::Timestamp,
    items: Vec<&'a PlanItem>,
    children: Vec<Vec<usize>>,
    outcomes: Vec<Vec<ProbeOutcome>>,
    by_id: HashMap<&'a str, usize>,
    memo: Vec<Option<Verdict3>>,
    visiting: Vec<bool>,
}

impl<'a> Arena<'a> {
    fn new(
        plan: &'a Plan,
        mut outcomes: HashMap<usize, Vec<ProbeOutcome>>,
        attested: &'a Attestations,
        now: jiff::Timestamp,
    ) -> Self {
        let mut arena = Arena {
            attested,
            now,
            items: Vec::new(),
            children: Vec::new(),
            outcomes: Vec::new(),
            by_id: HashMap::new(),
            memo: Vec::new(),
            visiting: Vec::new(),
        };
        fn add<'a>(
            arena: &mut Arena<'a>,
            item: &'a PlanItem,
            outcomes: &mut HashMap<usize, Vec<ProbeOutcome>>,
        ) -> usize {
            let index = arena.items.len();
            arena.items.push(item);
            arena.children.push(Vec::new());
            arena
                .outcomes
                .push(outcomes.remove(&index).unwrap_or_default());
            arena.by_id.insert(item.id.as_str(), index);
            arena.memo.push(None);
            arena.visiting.push(false);
            for child in &item.items {
                let c = add(arena, child, outcomes);
                arena.children[index].push(c);
            }
            index
        }
        for item in &plan.items {
            add(&mut arena, item, &mut outcomes);
        }
        arena
    }

    fn verdict(&mut self, index: usize) -> Verdict3 {
        if let Some(done) = &self.memo[index] {
            return done.clone();
        }
        if self.visiting[index] {
            // Validation rejects cycles; stay total anyway.
            return Verdict3 {
                status: Status::Red,
                basis: Basis::Dependency,
                reason: "dependency cycle".to_owned(),
            };
        }
        self.visiting[index] = true;
        let item = self.items[index];
        let mut v = self.own_verdict(index);
        if !item.deferred {
            for dep in &item.depends_on {
                let Some(&d) = self.by_id.get(dep.as_str()) else {
                    continue;
                };
                let dep_verdict = self.verdict(d);
                if dep_verdict.status != Status::Green {
                    // A waiver accepts one item's failure, not its dependents'.
                    let waived = !self.items[d].probes.is_empty()
                        && self
                            .attested
                            .get(dep.as_str())
                            .and_then(|a| a.waiver.as_ref())
                            .is_some_and(crate::outcome::Waiver::active);
                    v = Verdict3 {
                        status: Status::Red,
                        basis: Basis::Dependency,
                        reason: blocked_reason(dep, &dep_verdict, waived),
                    };
                    break;
                }
            }
        }
        // An optional group is white unless all of it is green.
        let all_children_green = self.children[index]
            .clone()
            .into_iter()
            .all(|c| self.verdict(c).status == Status::Green);
        if item.optional
            && v.status != Status::White
            && (v.status != Status::Green || !all_children_green)
        {
            v = Verdict3 {
                status: Status::White,
                basis: Basis::Optional,
                reason: format!("optional; {}", v.reason),
            };
        }
        // Past its due date, anything but green is red — deferred included.
        if let Some(deadline) = &item.due
            && v.status != Status::Green
            && deadline.due.passed(self.now)
        {
            v = Verdict3 {
                status: Status::Red,
                basis: Basis::Overdue,
                reason: overdue_reason(deadline, &v.reason),
            };
        }
        self.visiting[index] = false;
        self.memo[index] = Some(v.clone());
        v
    }

    fn own_verdict(&mut self, index: usize) -> Verdict3 {
        let item = self.items[index];
        let outcomes = &self.outcomes[index];
        if item.deferred {
            return Verdict3 {
                status: Status::White,
                basis: Basis::Optional,
                reason: "deferred".to_owned(),
            };
        }
        let children = self.children[index].clone();
        if !children.is_empty() {
            let mut statuses: Vec<Status> =
                children.iter().map(|&c| self.verdict(c).status).collect();
            if !self.outcomes[index].is_empty() {
                statuses.push(probe_status(&self.outcomes[index]).0);
            }
            let status = roll_up(&statuses);
            return Verdict3 {
                status,
                basis: Basis::Children,
                reason: group_reason(&statuses, status),
            };
        }
        let probed = (!outcomes.is_empty()).then(|| probe_status(outcomes));
        let signed = item.manual.as_ref().map(|rule| {
            let attested = self.attested.get(&item.id);
            let signoffs = attested.map_or(&[][..], |a| a.signoffs.as_slice());
            let rejected = attested.map_or(&[][..], |a| a.rejected.as_slice());
            attest::manual_status(rule, item.declared, signoffs, rejected)
        });
        match (probed, signed) {
            (Some((status, reason)), None) => Verdict3 {
                status,
                basis: Basis::Probes,
                reason,
            },
            (None, Some((status, basis, reason))) => Verdict3 {
                status,
                basis,
                reason,
            },
            // Probes and a sign-off: both must hold; the worse one decides and explains.
            // (Neither is ever white here, and green < yellow < red.)
            (Some((probe, probe_reason)), Some((sign, basis, sign_reason))) => {
                if sign > probe {
                    Verdict3 {
                        status: sign,
                        basis,
                        reason: sign_reason,
                    }
                } else {
                    Verdict3 {
                        status: probe,
                        basis: Basis::Probes,
                        reason: probe_reason,
                    }
                }
            }
            (None, None) => match item.declared {
                Some(declared) => {
                    let (status, reason) = declared_status(declared);
                    Verdict3 {
                        status,
                        basis: Basis::Declared,
                        reason: reason.to_owned(),
                    }
                }
                None => Verdict3 {
                    status: Status::Red,
                    basis: Basis::Nothing,
                    reason: "nothing verifies this item".to_owned(),
                },
            },
        }
    }

    fn report(&mut self, index: usize) -> ItemReport {
        let v = self.verdict(index);
        let item = self.items[index];
        let children = self.children[index].clone();
        ItemReport {
            id: item.id.clone(),
            title: item.title.clone(),
            status: v.status,
            basis: v.basis,
            reason: v.reason,
            critical: item.critical,
            optional: item.optional,
            declared: item.declared.map(|d| d.word().to_owned()),
            owner: item.owner.clone(),
            due: item.due.as_ref().map(|d| d.due.shown.clone()),
            due_in_days: item.due.as_ref().map(|d| d.due.days_left(self.now)),
            overdue: v.basis == Basis::Overdue,
            tags: item.tags.clone(),
            depends_on: item.depends_on.clone(),
            notes: item.notes.clone(),
            docs: item.docs.clone(),
            probes: std::mem::take(&mut self.outcomes[index]),
            signoffs: match (&item.manual, self.attested.get(&item.id)) {
                (Some(_), Some(a)) => a.signoffs.clone(),
                _ => Vec::new(),
            },
            // A waiver covers an automated item's probes; elsewhere it counts for nothing.
            waiver: self
                .attested
                .get(&item.id)
                .filter(|_| !item.probes.is_empty())
                .and_then(|a| a.waiver.clone()),
            items: children.into_iter().map(|c| self.report(c)).collect(),
        }
    }
}

/// "overdue since 2026-12-15, owner ada; declared in progress".
fn overdue_reason(deadline: &crate::engine::plan::Deadline, was: &str) -> String {
    let owner = deadline
        .owner
        .as_deref()
        .map_or_else(|| ", no owner".to_owned(), |o| format!(", owner {o}"));
    let mut reason = format!("overdue since {}{owner}", deadline.due.shown);
    if !was.is_empty() {
        reason.push_str("; ");
        reason.push_str(was);
    }
    reason
}

/// The most of a cause chain an evidence line carries.
const MAX_REASON: usize = 300;

/// "blocked by `api` (red: blocked by `db` (red: connection refused …))".
fn blocked_reason(dep: &str, verdict: &Verdict3, waived: bool) -> String {
    let status = verdict.status.word();
    let note = if waived { ", waived" } else { "" };
    let mut reason = if verdict.reason.is_empty() {
        format!("blocked by `{dep}` ({status}{note})")
    } else {
        format!("blocked by `{dep}` ({status}{note}: {})", verdict.reason)
    };
    if reason.chars().count() > MAX_REASON {
        reason = reason.chars().take(MAX_REASON).collect::<String>() + "…";
    }
    reason
}

/// The status of one item (pre-order index) given the outcomes so far.
#[allow(clippy::implicit_hasher)]
pub fn status_of(
    plan: &Plan,
    outcomes: &HashMap<usize, Vec<ProbeOutcome>>,
    attested: &Attestations,
    now: jiff::Timestamp,
    index: usize,
) -> Status {
    Arena::new(plan, outcomes.clone(), attested, now)
        .verdict(index)
        .status
}

/// The status, basis and reason of a group that is only a container (no
/// probes, sign-off, declared status or dependencies of its own), from its
/// children's statuses: what `merge` recomputes for the groups that shards split.
pub fn container(optional: bool, children: &[Status]) -> (Status, Basis, String) {
    let status = roll_up(children);
    let reason = group_reason(children, status);
    let all_green = children.iter().all(|s| *s == Status::Green);
    if optional && status != Status::White && (status != Status::Green || !all_green) {
        return (
            Status::White,
            Basis::Optional,
            format!("optional; {reason}"),
        );
    }
    (status, Basis::Children, reason)
}

fn group_reason(children: &[Status], status: Status) -> String {
    if status == Status::Green {
        return String::new();
    }
    let counted = children.iter().filter(|s| **s != Status::White).count();
    let mut parts = Vec::new();
    for s in [Status::Red, Status::Yellow, Status::Green] {
        let n = children.iter().filter(|c| **c == s).count();
        if n > 0 {
            parts.push(format!("{n} {}", s.word()));
        }
    }
    if counted == 0 {
        return "every item is optional or deferred".to_owned();
    }
    format!("{} of {counted}", parts.join(", "))
}

/// Builds the item tree of a report. `outcomes` maps the pre-order index of an
/// item in the plan to its probe outcomes; `attested` holds sign-offs and
/// waivers; due dates are judged on the wall clock (see [`build_at`]).
#[allow(clippy::implicit_hasher)]
pub fn build(
    plan: &Plan,
    outcomes: HashMap<usize, Vec<ProbeOutcome>>,
    attested: &Attestations,
) -> Vec<ItemReport> {
    build_at(plan, outcomes, attested, jiff::Timestamp::now())
}

/// [`build`], with due dates judged at `now` (the run's clock).
#[allow(clippy::implicit_hasher)]
pub fn build_at(
    plan: &Plan,
    outcomes: HashMap<usize, Vec<ProbeOutcome>>,
    attested: &Attestations,
    now: jiff::Timestamp,
) -> Vec<ItemReport> {
    let mut arena = Arena::new(plan, outcomes, attested, now);
    let mut roots = Vec::new();
    let mut next = 0;
    for item in &plan.items {
        roots.push(next);
        next += item.walk().len();
    }
    roots.into_iter().map(|r| arena.report(r)).collect()
}

/// Counts leaf items per status and probes per verdict.
pub fn summarize(items: &[ItemReport]) -> Summary {
    let mut summary = Summary::default();
    for item in items.iter().flat_map(ItemReport::walk) {
        if item.items.is_empty() {
            if item.waived() {
                summary.waived += 1;
            }
            match item.status {
                Status::Green => summary.green += 1,
                Status::Yellow => summary.yellow += 1,
                Status::Red => summary.red += 1,
                Status::White => summary.white += 1,
            }
        }
        for probe in &item.probes {
            match probe.verdict {
                Verdict::Pass => summary.probes_pass += 1,
                Verdict::Warn => summary.probes_warn += 1,
                Verdict::Fail => summary.probes_fail += 1,
                Verdict::Error => summary.probes_error += 1,
                Verdict::Skipped => summary.probes_skipped += 1,
            }
        }
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ChecklistInfo;
    use Status::{Green, Red, White, Yellow};

    #[test]
    fn roll_up_follows_the_design() {
        assert_eq!(roll_up(&[Green, Green]), Green);
        assert_eq!(roll_up(&[Green, White]), Green);
        assert_eq!(roll_up(&[Red, Red, White]), Red);
        assert_eq!(roll_up(&[Green, Red]), Yellow);
        assert_eq!(roll_up(&[Yellow, Red]), Yellow);
        assert_eq!(roll_up(&[Yellow]), Yellow);
        assert_eq!(roll_up(&[White, White]), White);
        assert_eq!(roll_up(&[]), White);
    }

    fn item(id: &str) -> PlanItem {
        PlanItem::fixture(id)
    }

    fn declared(id: &str, d: Declared) -> PlanItem {
        PlanItem {
            declared: Some(d),
            deferred: d == Declared::Deferred,
            ..item(id)
        }
    }

    fn plan(items: Vec<PlanItem>) -> Plan {
        Plan {
            info: ChecklistInfo::default(),
            base_dir: std::path::PathBuf::new(),
            signoffs: crate::state::trust::Rules::default(),
            items,
        }
    }

    fn statuses(report: &[ItemReport]) -> Vec<(String, Status)> {
        report
            .iter()
            .flat_map(ItemReport::walk)
            .map(|i| (i.id.clone(), i.status))
            .collect()
    }

    #[test]
    fn nested_groups_and_optional_groups() {
        let mut optional_group = item("opt");
        optional_group.optional = true;
        optional_group.items = vec![
            PlanItem {
                optional: true,
                ..declared("o1", Declared::Done)
            },
            PlanItem {
                optional: true,
                ..declared("o2", Declared::NotStarted)
            },
        ];
        let mut inner = item("inner");
        inner.items = vec![
            declared("a", Declared::Done),
            declared("b", Declared::InProgress),
        ];
        let mut outer = item("outer");
        outer.items = vec![inner, optional_group, declared("c", Declared::Deferred)];
        let report = build(&plan(vec![outer]), HashMap::new(), &Attestations::new());
        assert_eq!(
            statuses(&report),
            vec![
                ("outer".into(), Yellow),
                ("inner".into(), Yellow),
                ("a".into(), Green),
                ("b".into(), Yellow),
                ("opt".into(), White),
                ("o1".into(), Green),
                ("o2".into(), White),
                ("c".into(), White),
            ]
        );
    }

    #[test]
    fn optional_group_all_green_is_green() {
        let mut group = item("g");
        group.optional = true;
        group.items = vec![PlanItem {
            optional: true,
            ..declared("x", Declared::Done)
        }];
        let report = build(&plan(vec![group]), HashMap::new(), &Attestations::new());
        assert_eq!(report[0].status, Green);
    }

    #[test]
    fn dependencies_block_until_green() {
        let mut a = declared("a", Declared::Done);
        a.depends_on = vec!["b".into()];
        let b = declared("b", Declared::InProgress);
        let mut c = declared("c", Declared::Done);
        c.depends_on = vec!["d".into()];
        let d = declared("d", Declared::Done);
        let report = build(
            &plan(vec![a, b, c, d]),
            HashMap::new(),
            &Attestations::new(),
        );
        assert_eq!(report[0].status, Red);
        assert_eq!(report[0].basis, Basis::Dependency);
        assert_eq!(
            report[0].reason,
            "blocked by `b` (yellow: declared in progress)"
        );
        assert_eq!(report[2].status, Green);
    }

    #[test]
    fn probe_failures_and_errors_are_red_warnings_yellow() {
        let outcome = |v: Verdict, e: &str| ProbeOutcome::bare("http", "GET x".into(), v, e.into());
        assert_eq!(probe_status(&[outcome(Verdict::Pass, "")]).0, Green);
        assert_eq!(
            probe_status(&[outcome(Verdict::Warn, "slow")]),
            (Yellow, "slow".into())
        );
        assert_eq!(
            probe_status(&[
                outcome(Verdict::Pass, ""),
                outcome(Verdict::Error, "refused")
            ]),
            (Red, "http: refused".into())
        );
        assert_eq!(probe_status(&[outcome(Verdict::Fail, "503")]).0, Red);
    }

    #[test]
    fn leaves_without_anything_are_red() {
        let report = build(
            &plan(vec![item("lonely")]),
            HashMap::new(),
            &Attestations::new(),
        );
        assert_eq!(report[0].status, Red);
        assert_eq!(report[0].basis, Basis::Nothing);
        let manual = PlanItem {
            manual: Some(crate::checklist::model::Manual {
                signoffs: 1,
                ..Default::default()
            }),
            ..item("m")
        };
        let report = build(&plan(vec![manual]), HashMap::new(), &Attestations::new());
        assert_eq!(report[0].reason, "awaiting sign-off");
    }

    #[test]
    fn summary_counts_leaves_only() {
        let mut g = item("g");
        g.items = vec![
            declared("a", Declared::Done),
            declared("b", Declared::NotStarted),
        ];
        let report = build(&plan(vec![g]), HashMap::new(), &Attestations::new());
        let s = summarize(&report);
        assert_eq!((s.green, s.yellow, s.red, s.white), (1, 0, 1, 0));
    }
}
