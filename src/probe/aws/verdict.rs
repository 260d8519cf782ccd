//! Evidence for the AWS probes: every check is recorded (expected, observed),
//! and the line a person reads names each resource and attribute that is
//! wrong — `db-prod: backup retention 0 days < 7` — instead of the generic
//! "expected …, got …".

use crate::outcome::{Check, Verdict};
use crate::probe::expect::Finding;

/// Checks gathered by one probe, with a sentence for each that did not hold.
#[derive(Debug, Default)]
pub struct Verdicts {
    checks: Vec<Check>,
    problems: Vec<(Verdict, String)>,
}

/// At most this many offenders are named in the evidence line; the checks hold them all.
pub const MAX_NAMED: usize = 10;

impl Verdicts {
    /// An empty set of checks.
    pub fn new() -> Self {
        Verdicts::default()
    }

    /// Records a check; when `ok` is false, `problem` is what the evidence says.
    pub fn check(
        &mut self,
        ok: bool,
        expected: impl Into<String>,
        observed: impl Into<String>,
        problem: impl FnOnce() -> String,
    ) {
        self.record(ok, Verdict::Fail, expected, observed, problem);
    }

    /// Like [`Verdicts::check`], but a miss only warns.
    pub fn warn(
        &mut self,
        ok: bool,
        expected: impl Into<String>,
        observed: impl Into<String>,
        problem: impl FnOnce() -> String,
    ) {
        self.record(ok, Verdict::Warn, expected, observed, problem);
    }

    fn record(
        &mut self,
        ok: bool,
        miss: Verdict,
        expected: impl Into<String>,
        observed: impl Into<String>,
        problem: impl FnOnce() -> String,
    ) {
        let verdict = if ok { Verdict::Pass } else { miss };
        self.checks.push(Check {
            expected: expected.into(),
            observed: observed.into(),
            verdict,
        });
        if !ok {
            self.problems.push((miss, problem()));
        }
    }

    /// The finding: the worst verdict, the problems of that verdict joined by
    /// `; ` (at most [`MAX_NAMED`], then how many more), or `summary` when all held.
    pub fn finish(self, summary: &str) -> Finding {
        let worst = if self.problems.iter().any(|(v, _)| *v == Verdict::Fail) {
            Verdict::Fail
        } else if self.problems.is_empty() {
            Verdict::Pass
        } else {
            Verdict::Warn
        };
        let evidence = if worst == Verdict::Pass {
            summary.to_owned()
        } else {
            let lines: Vec<&str> = self
                .problems
                .iter()
                .filter(|(v, _)| *v == worst)
                .map(|(_, line)| line.as_str())
                .collect();
            let mut text = lines
                .iter()
                .take(MAX_NAMED)
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
            if lines.len() > MAX_NAMED {
                text.push_str(&format!("; and {} more", lines.len() - MAX_NAMED));
            }
            text
        };
        Finding {
            verdict: worst,
            evidence,
            checks: self.checks,
            steps: Vec::new(),
            secrets: Vec::new(),
        }
    }
}

/// `1 subnet`, `2 subnets`.
pub fn count(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_name_the_resource_and_the_attribute() {
        let mut v = Verdicts::new();
        v.check(true, "status available", "db-prod: available", String::new);
        v.check(
            false,
            "backup retention >= 7 days",
            "db-prod: 0 days",
            || "db-prod: backup retention 0 days < 7".to_owned(),
        );
        v.warn(false, "x", "y", || "only a warning".to_owned());
        let f = v.finish("all good");
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(f.evidence, "db-prod: backup retention 0 days < 7");
        assert_eq!(f.checks.len(), 3);
    }

    #[test]
    fn many_offenders_are_cut_short() {
        let mut v = Verdicts::new();
        for i in 0..12 {
            v.check(false, "closed", "open", || format!("sg-{i}"));
        }
        let f = v.finish("");
        assert!(f.evidence.ends_with("sg-9; and 2 more"), "{}", f.evidence);
    }

    #[test]
    fn all_held_reads_the_summary() {
        let mut v = Verdicts::new();
        v.check(true, "a", "a", String::new);
        assert_eq!(
            v.finish("db-prod: available").evidence,
            "db-prod: available"
        );
        assert_eq!(count(1, "subnet"), "1 subnet");
        assert_eq!(count(3, "subnet"), "3 subnets");
    }
}

/// An age for evidence, coarse as people say it: `40s`, `42m`, `5h 3m`, `3d`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..172_800 => {
            let (h, m) = (s / 3600, (s % 3600) / 60);
            if m == 0 {
                format!("{h}h")
            } else {
                format!("{h}h {m}m")
            }
        }
        _ => format!("{}d", s / 86_400),
    }
}

/// Seconds since the Unix epoch, now.
pub fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, secs)
}

#[cfg(test)]
mod age_tests {
    #[test]
    fn ages_read_as_people_say_them() {
        assert_eq!(super::age(40), "40s");
        assert_eq!(super::age(42 * 60), "42m");
        assert_eq!(super::age(5 * 3600 + 180), "5h 3m");
        assert_eq!(super::age(30 * 3600), "30h");
        assert_eq!(super::age(3 * 86_400), "3d");
    }
}

/// Whole seconds of `d`, as the signed number ages are compared in.
pub fn secs(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}
