//! `candlefish serve`: what the long-running server holds and shows. The
//! rounds themselves (loading, running, logging) live in `commands/serve/`;
//! this module owns the shared state ([`Hub`]), the Prometheus exposition
//! ([`metrics`]), the live board ([`live`]) and the HTTP server ([`http`]).
//!
//! Everything here is bounded by the checklists served: one latest report per
//! checklist, a history ring of fixed size, one histogram per probe kind, and
//! a change counter (not a queue) for the live board.

pub mod histogram;
pub mod http;
pub mod live;
pub mod metrics;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::outcome::{Report, Status, Summary};
use histogram::Histogram;

/// How a finished round ended, as counted by `candlefish_runs_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunResult {
    /// The gate passed.
    Passed,
    /// The gate failed.
    Failed,
}

impl RunResult {
    /// The label value.
    pub fn word(self) -> &'static str {
        match self {
            RunResult::Passed => "passed",
            RunResult::Failed => "failed",
        }
    }
}

/// One checklist being served.
#[derive(Debug, Default)]
pub struct Served {
    /// The checklist's name: the `checklist` label and the `?checklist=` value.
    pub name: String,
    /// The file it is loaded from, as given on the command line.
    pub file: String,
    /// The latest finished run, with its gate.
    pub latest: Option<Arc<Report>>,
    /// Why the file on disk does not validate now (the latest run used the
    /// last version that did); `None` while it validates.
    pub invalid: Option<String>,
    /// Finished rounds.
    pub rounds: u64,
    /// Finished rounds by result.
    pub results: BTreeMap<RunResult, u64>,
    /// Rounds that started late because the previous one outlasted the interval.
    pub overruns: u64,
    /// Probe durations by probe kind, over every round.
    pub durations: BTreeMap<String, Histogram>,
}

/// One line of `/api/v1/history`.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// The checklist's name.
    pub checklist: String,
    /// Its round number (1 for the first).
    pub round: u64,
    /// When the run started, RFC 3339.
    pub started_at: String,
    /// How long it took.
    pub duration_ms: u64,
    /// The roll-up of the whole checklist.
    pub status: Status,
    /// Whether the gate passed.
    pub passed: bool,
    /// Counts of leaf items and probes.
    pub summary: Summary,
    /// The first [`MAX_FAILING`] items that failed the gate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failing: Vec<String>,
    /// How many items failed the gate in all.
    pub failing_count: usize,
    /// The checklist on disk did not validate: this run used the last version that did.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub stale_checklist: bool,
}

/// The most failing ids one history line carries.
pub const MAX_FAILING: usize = 20;

impl RunSummary {
    /// The summary of `report` (which carries a gate).
    pub fn of(report: &Report, checklist: &str, round: u64, stale_checklist: bool) -> Self {
        let failing: &[String] = report.gate.as_ref().map_or(&[], |g| &g.failing);
        RunSummary {
            checklist: checklist.to_owned(),
            round,
            started_at: report.started_at.clone(),
            duration_ms: report.duration_ms,
            status: report.status,
            passed: report.gate.as_ref().is_some_and(|g| g.passed),
            summary: report.summary.clone(),
            failing: failing.iter().take(MAX_FAILING).cloned().collect(),
            failing_count: failing.len(),
            stale_checklist,
        }
    }
}

/// Everything the server shows.
#[derive(Debug)]
pub struct State {
    /// The checklists, in command-line order.
    pub checklists: Vec<Served>,
    /// The latest runs of every checklist, oldest first, at most `history_cap`.
    pub history: VecDeque<RunSummary>,
    /// The history ring's size.
    pub history_cap: usize,
}

impl State {
    /// The checklist called `name`, or the only one when `name` is `None`.
    pub fn find(&self, name: Option<&str>) -> Result<&Served, String> {
        match name {
            Some(name) => self
                .checklists
                .iter()
                .find(|c| c.name == name)
                .ok_or_else(|| format!("no checklist is called `{name}`; {}", self.names())),
            None if self.checklists.len() == 1 => Ok(&self.checklists[0]),
            None => Err(format!(
                "several checklists are served: add ?checklist=NAME; {}",
                self.names()
            )),
        }
    }

    fn names(&self) -> String {
        let names: Vec<String> = self
            .checklists
            .iter()
            .map(|c| format!("`{}`", c.name))
            .collect();
        format!("served: {}", names.join(", "))
    }
}

/// The state shared by the rounds and the server, and the signal that a
/// round finished.
#[derive(Debug)]
pub struct Hub {
    state: Mutex<State>,
    /// Bumped after every published round: the live board's cue. A watch
    /// channel keeps only the latest value, so a slow reader never queues.
    changed: tokio::sync::watch::Sender<u64>,
}

impl Hub {
    /// A hub for checklists `(name, file)`, none run yet.
    pub fn new(checklists: Vec<(String, String)>, history_cap: usize) -> Arc<Hub> {
        let checklists = checklists
            .into_iter()
            .map(|(name, file)| Served {
                name,
                file,
                ..Served::default()
            })
            .collect();
        Arc::new(Hub {
            state: Mutex::new(State {
                checklists,
                history: VecDeque::with_capacity(history_cap.min(1024)),
                history_cap,
            }),
            changed: tokio::sync::watch::channel(0).0,
        })
    }

    /// The state, for reading or for a short update.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: keep serving it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Notified after each published round.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Records checklist `index`'s finished run (whose gate is set).
    pub fn publish(&self, index: usize, report: Report, overrun: bool) {
        {
            let mut state = self.lock();
            let cap = state.history_cap;
            let served = &mut state.checklists[index];
            served.rounds += 1;
            if overrun {
                served.overruns += 1;
            }
            let passed = report.gate.as_ref().is_some_and(|g| g.passed);
            let result = if passed {
                RunResult::Passed
            } else {
                RunResult::Failed
            };
            *served.results.entry(result).or_default() += 1;
            for item in report.all_items() {
                for probe in &item.probes {
                    if probe.verdict == crate::outcome::Verdict::Skipped {
                        continue;
                    }
                    served
                        .durations
                        .entry(probe.kind.clone())
                        .or_default()
                        .observe(probe.duration_ms as f64 / 1000.0);
                }
            }
            let line = RunSummary::of(
                &report,
                &served.name,
                served.rounds,
                served.invalid.is_some(),
            );
            served.latest = Some(Arc::new(report));
            if cap > 0 {
                while state.history.len() >= cap {
                    state.history.pop_front();
                }
                state.history.push_back(line);
            }
        }
        self.changed.send_modify(|n| *n += 1);
    }

    /// Records whether checklist `index`'s file validates now.
    pub fn set_invalid(&self, index: usize, invalid: Option<String>) {
        self.lock().checklists[index].invalid = invalid;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::fixture::{leaf, report};

    fn gated(passed: bool) -> Report {
        let mut r = report(vec![leaf("a", Status::Green)]);
        r.gate = Some(crate::engine::gate::GatePolicy::default().evaluate(&r));
        if let Some(g) = r.gate.as_mut() {
            g.passed = passed;
        }
        r
    }

    #[test]
    fn the_history_ring_keeps_the_latest_runs_only() {
        let hub = Hub::new(vec![("one".into(), "one.yaml".into())], 3);
        let mut rx = hub.subscribe();
        for n in 0..10 {
            hub.publish(0, gated(n % 2 == 0), false);
        }
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), 10);
        let state = hub.lock();
        let rounds: Vec<u64> = state.history.iter().map(|r| r.round).collect();
        assert_eq!(rounds, [8, 9, 10]);
        assert_eq!(state.checklists[0].results[&RunResult::Passed], 5);
        assert_eq!(state.checklists[0].results[&RunResult::Failed], 5);
    }

    #[test]
    fn a_name_picks_a_checklist_and_several_need_one() {
        let hub = Hub::new(
            vec![("a".into(), "a.yaml".into()), ("b".into(), "b.yaml".into())],
            1,
        );
        let state = hub.lock();
        assert_eq!(state.find(Some("b")).unwrap().file, "b.yaml");
        assert!(state.find(None).unwrap_err().contains("served: `a`, `b`"));
        assert!(
            state
                .find(Some("c"))
                .unwrap_err()
                .contains("no checklist is called `c`")
        );
    }
}
