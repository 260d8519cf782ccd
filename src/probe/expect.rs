//! The one place where expectations meet observations. A probe lists [`Check`]s
//! (what it expected, what it saw, whether that held) and [`Finding::from_checks`]
//! turns them into a verdict and one line of evidence a person can read.

use crate::outcome::{Check, Verdict};

/// What one probe attempt found, before the engine adds timings and redaction.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The verdict.
    pub verdict: Verdict,
    /// One line for people.
    pub evidence: String,
    /// Every expectation compared.
    pub checks: Vec<Check>,
}

impl Finding {
    /// The probe could not run.
    pub fn error(evidence: impl Into<String>) -> Self {
        Finding {
            verdict: Verdict::Error,
            evidence: evidence.into(),
            checks: Vec::new(),
        }
    }

    /// Combines checks into a verdict: any failed check fails the probe, any
    /// warning (and no failure) makes it warn, otherwise it passes.
    ///
    /// Evidence lists the checks that did not pass as "expected X, got Y",
    /// followed by `context` (e.g. `in 41ms`); a pass reads `summary`.
    pub fn from_checks(checks: Vec<Check>, summary: &str, context: &str) -> Self {
        let worst = checks
            .iter()
            .map(|c| c.verdict)
            .max_by_key(|v| severity(*v))
            .unwrap_or(Verdict::Pass);
        let evidence = if worst == Verdict::Pass {
            summary.to_owned()
        } else {
            let phrases: Vec<String> = checks
                .iter()
                .filter(|c| c.verdict == worst)
                .map(|c| format!("expected {}, got {}", c.expected, c.observed))
                .collect();
            let mut line = phrases.join("; ");
            if !context.is_empty() {
                line.push(' ');
                line.push_str(context);
            }
            line
        };
        Finding {
            verdict: worst,
            evidence,
            checks,
        }
    }
}

impl Finding {
    /// Like [`Finding::from_checks`] for checks whose observations name the
    /// object and what is wrong with it (`deployment/api: 1/3 ready`): a pass
    /// reads `summary`, anything else lists the observations of the checks at
    /// the worst verdict (at most [`MAX_LISTED`], then how many more).
    pub fn from_observations(checks: Vec<Check>, summary: &str) -> Self {
        let worst = checks
            .iter()
            .map(|c| c.verdict)
            .max_by_key(|v| severity(*v))
            .unwrap_or(Verdict::Pass);
        let evidence = if worst == Verdict::Pass {
            summary.to_owned()
        } else {
            let at_worst: Vec<&str> = checks
                .iter()
                .filter(|c| c.verdict == worst)
                .map(|c| c.observed.as_str())
                .collect();
            let mut line = at_worst
                .iter()
                .take(MAX_LISTED)
                .copied()
                .collect::<Vec<_>>()
                .join("; ");
            if at_worst.len() > MAX_LISTED {
                line.push_str(&format!("; and {} more", at_worst.len() - MAX_LISTED));
            }
            line
        };
        Finding {
            verdict: worst,
            evidence,
            checks,
        }
    }
}

/// What one part of a probe found (one of a `kubernetes` probe's checks, say):
/// its comparisons, and the line a pass reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// The comparisons; observations name the object (`deployment/api: 3/3 ready`).
    pub checks: Vec<Check>,
    /// What a pass reads.
    pub summary: String,
}

impl Part {
    /// A part of one check.
    pub fn one(check: Check, summary: String) -> Part {
        Part {
            checks: vec![check],
            summary,
        }
    }

    /// The finding of several parts: on a pass their summaries, otherwise
    /// what did not hold ([`Finding::from_observations`]).
    pub fn finish(parts: Vec<Part>) -> Finding {
        let summary = parts
            .iter()
            .map(|p| p.summary.as_str())
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        let checks = parts.into_iter().flat_map(|p| p.checks).collect();
        Finding::from_observations(checks, &summary)
    }
}

/// The most observations [`Finding::from_observations`] lists in evidence.
pub const MAX_LISTED: usize = 8;

fn severity(v: Verdict) -> u8 {
    match v {
        Verdict::Pass | Verdict::Skipped => 0,
        Verdict::Warn => 1,
        Verdict::Fail => 2,
        Verdict::Error => 3,
    }
}

/// A check that passes when `ok` holds, failing otherwise.
pub fn check(ok: bool, expected: impl Into<String>, observed: impl Into<String>) -> Check {
    Check {
        expected: expected.into(),
        observed: observed.into(),
        verdict: if ok { Verdict::Pass } else { Verdict::Fail },
    }
}

/// A check that warns instead of failing.
pub fn soft_check(ok: bool, expected: impl Into<String>, observed: impl Into<String>) -> Check {
    Check {
        verdict: if ok { Verdict::Pass } else { Verdict::Warn },
        ..check(true, expected, observed)
    }
}

/// Shortens `text` to at most `max` characters for evidence, marking the cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let clean = clean.trim();
    if clean.chars().count() <= max {
        clean.to_owned()
    } else {
        let cut: String = clean.chars().take(max).collect();
        format!("{cut}…")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_win_and_read_as_sentences() {
        let f = Finding::from_checks(
            vec![
                check(false, "status 200", "503"),
                soft_check(false, "latency <= 100ms", "150ms"),
                check(true, "body contains \"ok\"", "found"),
            ],
            "200 OK in 41ms",
            "in 150ms",
        );
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(f.evidence, "expected status 200, got 503 in 150ms");
    }

    #[test]
    fn warnings_without_failures_warn() {
        let f = Finding::from_checks(
            vec![soft_check(false, "latency <= 100ms", "150ms")],
            "ok",
            "",
        );
        assert_eq!(f.verdict, Verdict::Warn);
        assert_eq!(f.evidence, "expected latency <= 100ms, got 150ms");
    }

    #[test]
    fn all_passing_reads_the_summary() {
        let f = Finding::from_checks(vec![check(true, "a", "a")], "200 OK in 3ms", "in 3ms");
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(f.evidence, "200 OK in 3ms");
    }

    #[test]
    fn observations_list_what_is_wrong_and_count_the_rest() {
        let mut checks = vec![check(true, "a", "deployment/a: 3/3 ready")];
        for i in 0..10 {
            checks.push(check(false, "ready", format!("pod p{i}: CrashLoopBackOff")));
        }
        checks.push(soft_check(false, "quiet", "2 warnings"));
        let f = Finding::from_observations(checks, "all fine");
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(
            f.evidence
                .starts_with("pod p0: CrashLoopBackOff; pod p1: CrashLoopBackOff;")
        );
        assert!(
            f.evidence.ends_with("pod p7: CrashLoopBackOff; and 2 more"),
            "{}",
            f.evidence
        );
        let ok = Finding::from_observations(vec![check(true, "a", "b")], "all fine");
        assert_eq!(
            (ok.verdict, ok.evidence.as_str()),
            (Verdict::Pass, "all fine")
        );
    }

    #[test]
    fn excerpts_are_bounded_and_single_line() {
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
