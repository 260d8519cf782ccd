//! One checklist's rounds in `serve`: read the checklist again (keeping the
//! last valid version when an edit broke it), read the sign-offs as of now,
//! run, judge, publish to the hub, log a line, wait for the next start.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::checklist::LoadOptions;
use crate::engine::RunOptions;
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::outcome::{Report, Status};
use crate::serve::Hub;

/// The longest load error the board and the log carry.
const MAX_PROBLEM: usize = 2000;

/// Everything one checklist's loop needs.
pub struct Runner {
    pub index: usize,
    pub name: String,
    pub file: PathBuf,
    pub options: LoadOptions,
    pub store: PathBuf,
    /// The last version of the checklist that validated.
    pub plan: Plan,
    pub concurrency: usize,
    pub per_host: usize,
    pub policy: GatePolicy,
    pub interval: Duration,
    pub jitter: f64,
    /// The load problem last logged, so a broken file is logged once, not every round.
    pub shown_problem: Option<String>,
    /// The store warnings last logged.
    pub shown_warnings: Vec<String>,
}

impl Runner {
    /// Runs rounds until `cancel`.
    pub async fn run(mut self, hub: Arc<Hub>, cancel: CancellationToken) {
        let mut late = false;
        loop {
            let began = Instant::now();
            self.reload(&hub);
            let Some(report) = self.round(&cancel).await else {
                return;
            };
            self.log(&report, hub.lock().checklists[self.index].rounds + 1);
            hub.publish(self.index, report, late);
            let (next, overrun) = next_start(
                began,
                Instant::now(),
                self.interval,
                self.jitter,
                fastrand::f64(),
            );
            late = overrun;
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                () = cancel.cancelled() => return,
            }
        }
    }

    /// Reads the checklist again; on a problem keeps the last valid plan.
    fn reload(&mut self, hub: &Hub) {
        match crate::checklist::load(&self.file, &self.options) {
            Ok(loaded) => {
                self.plan = loaded.plan;
                if self.shown_problem.take().is_some() {
                    eprintln!("{}: {} validates again", stamp(), self.file.display());
                    hub.set_invalid(self.index, None);
                }
            }
            Err(error) => {
                let mut problem = error.render(false);
                if problem.len() > MAX_PROBLEM {
                    let mut cut = MAX_PROBLEM;
                    while !problem.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    problem.truncate(cut);
                    problem.push('…');
                }
                let problem = problem.trim_end().to_owned();
                if self.shown_problem.as_deref() != Some(problem.as_str()) {
                    eprintln!(
                        "{}: {} no longer validates; running its last valid version\n{problem}",
                        stamp(),
                        self.file.display()
                    );
                    hub.set_invalid(self.index, Some(problem.clone()));
                    self.shown_problem = Some(problem);
                }
            }
        }
    }

    /// One round: `None` when it was cancelled.
    async fn round(&mut self, cancel: &CancellationToken) -> Option<Report> {
        let mut warnings = Vec::new();
        let attested = match super::now().and_then(|now| {
            super::super::store::attestations(
                &self.store,
                &self.plan,
                now,
                super::super::store::rehearsal(),
            )
        }) {
            Ok((attested, found)) => {
                warnings = found;
                attested
            }
            Err(message) => {
                warnings.push(format!("cannot read the sign-off store: {message}"));
                crate::engine::attest::Attestations::new()
            }
        };
        if warnings != self.shown_warnings {
            for warning in &warnings {
                eprintln!("{}: warning: {warning}", stamp());
            }
            self.shown_warnings.clone_from(&warnings);
        }
        if let Some(problem) = &self.shown_problem {
            let first = problem.lines().next().unwrap_or_default();
            warnings.push(format!(
                "{} no longer validates ({first}); this round ran its last valid version",
                self.file.display()
            ));
        }
        let options = RunOptions {
            concurrency: self.concurrency,
            per_host: self.per_host,
            run_blocked: false,
            no_exec: false,
            cancel: Some(cancel.child_token()),
            attested,
            started_at: crate::commands::store::fixed_now(),
        };
        let mut report = crate::engine::run(&self.plan, &options, None).await;
        if cancel.is_cancelled() {
            return None;
        }
        report.warnings = warnings;
        report.gate = Some(self.policy.evaluate(&report));
        Some(report)
    }

    fn log(&self, report: &Report, round: u64) {
        let verdict = if report.gate.as_ref().is_some_and(|g| g.passed) {
            "READY"
        } else {
            "NOT READY"
        };
        let counts: Vec<String> = Status::ALL
            .iter()
            .map(|s| format!("{} {}", report.summary.count(*s), s.word()))
            .collect();
        eprintln!(
            "{}: {} round {round}: {verdict} ({}) in {}",
            stamp(),
            self.name,
            counts.join(", "),
            crate::report::text::millis(report.duration_ms)
        );
    }
}

fn stamp() -> String {
    jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .map_or_else(|_| String::new(), |t| t.to_string())
}

/// When the next round starts, and whether it starts late: `interval` after
/// this round's start, moved by up to `jitter` of it either way (`random` in
/// 0..1 picks where), but never before this round ended.
pub fn next_start(
    began: Instant,
    ended: Instant,
    interval: Duration,
    jitter: f64,
    random: f64,
) -> (Instant, bool) {
    let factor = 1.0 + jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
    let due = began + interval.mul_f64(factor.max(0.0));
    if ended > due {
        (ended, true)
    } else {
        (due, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_are_jittered_within_the_fraction_and_never_overlap() {
        let t0 = Instant::now();
        let minute = Duration::from_secs(60);
        let ended = t0 + Duration::from_secs(2);
        assert_eq!(
            next_start(t0, ended, minute, 0.1, 0.0),
            (t0 + Duration::from_secs(54), false)
        );
        assert_eq!(
            next_start(t0, ended, minute, 0.1, 1.0),
            (t0 + Duration::from_secs(66), false)
        );
        assert_eq!(
            next_start(t0, ended, minute, 0.1, 0.5),
            (t0 + minute, false)
        );
        assert_eq!(
            next_start(t0, ended, minute, 0.0, 0.9),
            (t0 + minute, false)
        );
        // A round longer than the interval: the next starts when it ends, late.
        let long = t0 + Duration::from_secs(90);
        assert_eq!(next_start(t0, long, minute, 0.1, 0.5), (long, true));
    }
}
