//! The journal folded into what counts now ([`Replay`]): each step's current
//! attempt (a `redo` starts a new one; earlier ones are kept for the record),
//! each phase's standing decision (any later result in the phase withdraws
//! it) and decision to go on after a no-go. Pure: the caller reads the file.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::runbook::journal::{Answer, Decision, Finish, Open, Proceed, Record, Sample, Start};
use crate::state::log::{Contents, Entry, Problem};

/// One attempt at a step: everything since it was last (re)started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attempt {
    /// The first start of this attempt (a watch's window counts from it).
    pub started: Option<Start>,
    /// The start that holds the claim on it now: the first, or a later one
    /// that took it over from a session that was gone.
    pub claimed: Option<Start>,
    /// Answers given, in order.
    pub answers: Vec<Answer>,
    /// Watch samples, in order.
    pub samples: Vec<Sample>,
    /// The latest result.
    pub finished: Option<Finish>,
}

impl Attempt {
    /// Finished for good: a settled result.
    pub fn done(&self) -> bool {
        self.finished.as_ref().is_some_and(|f| f.settled)
    }
}

/// The journal folded into what counts now.
#[derive(Debug, Clone, Default)]
pub struct Replay {
    /// Every record, in file order, with its line.
    pub entries: Vec<Entry<Record>>,
    /// Lines that could not be read.
    pub problems: Vec<Problem>,
    /// The current attempt of each step, by step id.
    pub steps: HashMap<String, Attempt>,
    /// Earlier attempts of each step, superseded by a redo.
    pub earlier: HashMap<String, Vec<Attempt>>,
    /// The standing decision of each phase, by phase id.
    pub decisions: HashMap<String, Decision>,
    /// A standing decision to go on after a no-go, by phase id.
    pub proceeds: HashMap<String, Proceed>,
}

impl Replay {
    /// Folds `contents` in file order.
    pub fn new(contents: Contents<Record>) -> Replay {
        let mut replay = Replay {
            problems: contents.problems,
            ..Replay::default()
        };
        for entry in &contents.entries {
            replay.apply(&entry.record);
        }
        replay.entries = contents.entries;
        replay
    }

    fn withdraw(&mut self, phase: &str) {
        self.decisions.remove(phase);
        self.proceeds.remove(phase);
    }

    fn apply(&mut self, record: &Record) {
        match record {
            Record::Open(_) | Record::Stop(_) => {}
            Record::Start(r) => {
                // The first start claims the attempt; a later one takes the
                // claim over only from the session it names, so of two
                // sessions taking over at once the first in the file wins.
                let attempt = self.steps.entry(r.step.clone()).or_default();
                let takes_over = match (&attempt.claimed, &r.replaces) {
                    (None, _) => true,
                    (Some(current), Some(from)) => current.session == *from,
                    (Some(_), None) => false,
                };
                if takes_over {
                    attempt.claimed = Some(r.clone());
                }
                if attempt.started.is_none() {
                    attempt.started = Some(r.clone());
                }
            }
            Record::Answer(r) => {
                let attempt = self.steps.entry(r.step.clone()).or_default();
                attempt.answers.push(r.clone());
            }
            Record::Sample(r) => {
                let attempt = self.steps.entry(r.step.clone()).or_default();
                attempt.samples.push(r.clone());
            }
            Record::Finish(r) => {
                let attempt = self.steps.entry(r.step.clone()).or_default();
                attempt.finished = Some(Finish::clone(r));
                self.withdraw(&r.phase);
            }
            Record::Decide(r) => {
                self.decisions.insert(r.phase.clone(), r.clone());
                self.proceeds.remove(&r.phase);
            }
            Record::Proceed(r) => {
                self.proceeds.insert(r.phase.clone(), r.clone());
            }
            Record::Redo(r) => {
                if let Some(old) = self.steps.remove(&r.step) {
                    if let Some(phase) = old.finished.as_ref().map(|f| f.phase.clone()) {
                        self.withdraw(&phase);
                    }
                    self.earlier.entry(r.step.clone()).or_default().push(old);
                }
            }
        }
    }

    /// The replay of `records`, as if read from a journal (for tests).
    #[cfg(test)]
    pub(crate) fn of(records: &[Record]) -> Replay {
        let text: String = records
            .iter()
            .map(|r| serde_json::to_string(r).expect("a record") + "\n")
            .collect();
        Replay::new(crate::state::log::parse(text.as_bytes()))
    }

    /// The current attempt of `step` (empty when it never started).
    pub fn step(&self, step: &str) -> Attempt {
        self.steps.get(step).cloned().unwrap_or_default()
    }

    /// T-0 as the journal's first session recorded it.
    pub fn t0(&self) -> Option<Timestamp> {
        self.opens().next().map(|o| o.t0)
    }

    /// Every session, in order.
    pub fn opens(&self) -> impl Iterator<Item = &Open> {
        self.entries.iter().filter_map(|e| match &e.record {
            Record::Open(o) => Some(o),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::fixture::leaf;
    use crate::outcome::{Gate, Status};
    use crate::runbook::journal::Redo;

    fn at(minute: u32) -> Timestamp {
        format!("2026-12-01T11:{minute:02}:00Z").parse().unwrap()
    }

    fn finish(step: &str, minute: u32, status: Status, settled: bool) -> Record {
        Record::Finish(Box::new(Finish {
            at: at(minute),
            by: "Ada".into(),
            session: "s1".into(),
            phase: "pre".into(),
            step: step.into(),
            result: leaf(step, status),
            settled,
            watch: None,
        }))
    }

    fn decide(minute: u32, go: bool) -> Record {
        Record::Decide(Decision {
            at: at(minute),
            by: "Ada".into(),
            session: "s1".into(),
            phase: "pre".into(),
            go,
            gate: Gate {
                policy: String::new(),
                scope: "all".into(),
                blocking: "red".into(),
                passed: go,
                failing: Vec::new(),
                waivers_count: false,
                waived: Vec::new(),
                verdict: if go {
                    crate::outcome::GateVerdict::Ready
                } else {
                    crate::outcome::GateVerdict::NotReady
                },
                judged: 1,
                allow_empty: false,
            },
            blocking: Vec::new(),
            skipped: Vec::new(),
        })
    }

    #[test]
    fn a_redo_starts_a_new_attempt_and_withdraws_the_decision() {
        let r = Replay::of(&[
            finish("a", 1, Status::Red, true),
            finish("b", 2, Status::Green, true),
            decide(3, false),
            Record::Redo(Redo {
                at: at(4),
                by: "Bob".into(),
                session: "s2".into(),
                step: "a".into(),
                reason: None,
            }),
        ]);
        assert!(!r.step("a").done());
        assert_eq!(r.earlier["a"].len(), 1);
        assert!(r.step("b").done());
        assert!(r.decisions.is_empty(), "the no-go no longer stands");
    }

    #[test]
    fn unsettled_results_are_not_done_and_later_results_withdraw_decisions() {
        let r = Replay::of(&[finish("a", 1, Status::Red, false), decide(2, false)]);
        assert!(!r.step("a").done());
        assert!(r.decisions.contains_key("pre"));
        let r = Replay::of(&[
            finish("a", 1, Status::Red, false),
            decide(2, false),
            finish("a", 3, Status::Green, true),
        ]);
        assert!(r.step("a").done());
        assert!(r.decisions.is_empty());
    }

    #[test]
    fn records_are_one_line_and_read_back() {
        let record = finish("a", 1, Status::Green, true);
        let text = serde_json::to_string(&record).unwrap();
        assert!(text.starts_with(r#"{"op":"finish","at":"2026-12-01T11:01:00Z""#));
        assert!(!text.contains("settled"), "settled is the default");
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
    }
}
