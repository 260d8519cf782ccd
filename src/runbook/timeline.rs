//! Where launch day stands (pure): each phase's moment and state — upcoming,
//! due, overdue, done — from the journal and `now`; each step's state; and a
//! phase's go/no-go, computed by the gate policy over its steps and the items
//! they ran.

use jiff::Timestamp;

use crate::engine::gate::GatePolicy;
use crate::outcome::{Basis, ItemReport, Status};
use crate::runbook::journal::Blocker;
use crate::runbook::plan::{Phase, Runbook, Step};
use crate::runbook::replay::Replay;

/// Where a phase stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseState {
    /// Its moment has not come.
    Upcoming,
    /// Its moment has come and it is not done.
    Due,
    /// The next phase's moment has come and this one is not done.
    Overdue,
    /// Every step settled and the go/no-go decided.
    Done {
        /// The decision.
        go: bool,
    },
}

impl PhaseState {
    /// A word for people.
    pub fn word(self) -> &'static str {
        match self {
            PhaseState::Upcoming => "upcoming",
            PhaseState::Due => "due now",
            PhaseState::Overdue => "overdue",
            PhaseState::Done { go: true } => "done: GO",
            PhaseState::Done { go: false } => "done: NO-GO",
        }
    }
}

/// Where a step stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    /// Nothing recorded yet.
    Pending,
    /// Started but not finished (interrupted, or running elsewhere).
    Started,
    /// A result that waits for a person's sign-off.
    Waiting(Status),
    /// Settled.
    Done(Status),
}

/// The moment a phase starts.
pub fn phase_time(t0: Timestamp, phase: &Phase) -> Timestamp {
    t0.checked_add(phase.at.signed()).unwrap_or(t0)
}

/// Where `step` stands in the journal.
pub fn step_state(replay: &Replay, step: &Step) -> StepState {
    let attempt = replay.step(&step.id);
    match &attempt.finished {
        Some(f) if f.settled => StepState::Done(f.result.status),
        Some(f) => StepState::Waiting(f.result.status),
        None if attempt.started.is_some() || !attempt.answers.is_empty() => StepState::Started,
        None => StepState::Pending,
    }
}

/// Every step settled and a decision standing.
pub fn phase_done(replay: &Replay, phase: &Phase) -> bool {
    replay.decisions.contains_key(&phase.id)
        && phase.steps.iter().all(|s| replay.step(&s.id).done())
}

/// Where the phase at `index` stands at `now`.
pub fn phase_state(
    runbook: &Runbook,
    replay: &Replay,
    t0: Timestamp,
    now: Timestamp,
    index: usize,
) -> PhaseState {
    let phase = &runbook.phases[index];
    if phase_done(replay, phase)
        && let Some(decision) = replay.decisions.get(&phase.id)
    {
        return PhaseState::Done { go: decision.go };
    }
    if now < phase_time(t0, phase) {
        return PhaseState::Upcoming;
    }
    match runbook.phases.get(index + 1) {
        Some(next) if now >= phase_time(t0, next) => PhaseState::Overdue,
        _ => PhaseState::Due,
    }
}

/// The steps of `phase` that are settled.
pub fn settled_steps(replay: &Replay, phase: &Phase) -> usize {
    phase
        .steps
        .iter()
        .filter(|s| replay.step(&s.id).done())
        .count()
}

/// A phase's go/no-go, before it is journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Go or no-go.
    pub go: bool,
    /// The gate's verdict.
    pub gate: crate::outcome::Gate,
    /// The steps that block it, in order.
    pub blocking: Vec<Blocker>,
    /// Steps a person skipped.
    pub skipped: Vec<String>,
}

/// A step's result before anything is known: red, with `reason`.
pub fn blank_result(step: &Step, reason: &str) -> ItemReport {
    ItemReport {
        id: step.id.clone(),
        title: step.title.clone(),
        status: Status::Red,
        basis: Basis::Nothing,
        reason: reason.to_owned(),
        critical: step.critical,
        optional: false,
        declared: None,
        owner: step.owner.clone(),
        due: None,
        due_in_days: None,
        overdue: false,
        tags: Vec::new(),
        depends_on: Vec::new(),
        notes: step.notes.clone(),
        docs: None,
        probes: Vec::new(),
        signoffs: Vec::new(),
        waiver: None,
        items: Vec::new(),
    }
}

/// The result a step has in the journal, or a red "not done" stand-in.
pub fn step_result(replay: &Replay, step: &Step) -> ItemReport {
    replay
        .step(&step.id)
        .finished
        .map_or_else(|| blank_result(step, "not done"), |f| f.result)
}

/// Decides a phase: the gate policy over its steps' results (a step that runs
/// items is judged by those items). Go when the gate passes.
pub fn decide(phase: &Phase, replay: &Replay, policy: GatePolicy) -> Verdict {
    let results: Vec<ItemReport> = phase.steps.iter().map(|s| step_result(replay, s)).collect();
    let gate = policy.evaluate_items(&results, false);
    let mut blocking = Vec::new();
    for result in &results {
        let failing: Vec<&ItemReport> = result
            .walk()
            .into_iter()
            .filter(|i| i.items.is_empty() && gate.failing.contains(&i.id))
            .collect();
        let Some(first) = failing.first() else {
            continue;
        };
        let mut reason = if first.id == result.id {
            first.reason.clone()
        } else {
            format!("`{}`: {}", first.id, first.reason)
        };
        if failing.len() > 1 {
            reason.push_str(&format!(" (+{} more)", failing.len() - 1));
        }
        blocking.push(Blocker {
            step: result.id.clone(),
            status: result.status,
            reason,
        });
    }
    let skipped = results
        .iter()
        .filter(|r| r.status == Status::White && r.basis == Basis::Manual)
        .map(|r| r.id.clone())
        .collect();
    Verdict {
        go: gate.passed,
        gate,
        blocking,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::model::Manual;
    use crate::outcome::fixture::leaf;
    use crate::runbook::journal::{Finish, Record};
    use crate::runbook::plan::{Action, Offset};

    fn step(id: &str) -> Step {
        Step {
            id: id.into(),
            title: id.into(),
            critical: false,
            owner: None,
            notes: None,
            action: Action::Manual(Manual::default()),
        }
    }

    fn runbook() -> Runbook {
        let phase = |id: &str, at: i64, steps: &[&str]| Phase {
            id: id.into(),
            title: id.into(),
            at: Offset(at),
            notes: None,
            steps: steps.iter().map(|s| step(s)).collect(),
        };
        Runbook {
            phases: vec![
                phase("pre", -4 * 3600, &["health", "backups"]),
                phase("launch", 0, &["dns"]),
            ],
        }
    }

    fn finished(step: &str, result: ItemReport) -> Record {
        Record::Finish(Box::new(Finish {
            at: "2026-12-01T11:05:00Z".parse().unwrap(),
            by: "Ada".into(),
            session: "s".into(),
            phase: "pre".into(),
            step: step.into(),
            result,
            settled: true,
            watch: None,
        }))
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn phases_are_upcoming_due_then_overdue() {
        let rb = runbook();
        let t0 = at("2026-12-01T15:00:00Z");
        let empty = Replay::default();
        let state = |now: &str, i| phase_state(&rb, &empty, t0, at(now), i);
        assert_eq!(state("2026-12-01T10:00:00Z", 0), PhaseState::Upcoming);
        assert_eq!(state("2026-12-01T11:00:00Z", 0), PhaseState::Due);
        assert_eq!(state("2026-12-01T15:00:00Z", 0), PhaseState::Overdue);
        assert_eq!(state("2026-12-01T15:00:00Z", 1), PhaseState::Due);
        assert_eq!(
            state("2026-12-02T15:00:00Z", 1),
            PhaseState::Due,
            "the last phase is never overdue"
        );
    }

    #[test]
    fn the_gate_decides_naming_the_blocking_steps() {
        let rb = runbook();
        let mut health = leaf("health", Status::Yellow);
        let mut inner = leaf("api-health", Status::Red);
        inner.reason = "expected status 200, got 503".into();
        health.items = vec![inner, leaf("db", Status::Green)];
        let r = Replay::of(&[finished("health", health)]);
        let v = decide(&rb.phases[0], &r, GatePolicy::default());
        assert!(!v.go);
        assert_eq!(v.gate.failing, ["api-health", "backups"]);
        assert_eq!(
            v.blocking,
            [
                Blocker {
                    step: "health".into(),
                    status: Status::Yellow,
                    reason: "`api-health`: expected status 200, got 503".into()
                },
                Blocker {
                    step: "backups".into(),
                    status: Status::Red,
                    reason: "not done".into()
                }
            ]
        );
        let mut skipped = leaf("backups", Status::White);
        skipped.basis = Basis::Manual;
        let r = Replay::of(&[
            finished("health", leaf("health", Status::Green)),
            finished("backups", skipped),
        ]);
        let v = decide(&rb.phases[0], &r, GatePolicy::default());
        assert!(v.go);
        assert_eq!(v.skipped, ["backups"]);
    }
}
