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
    /// The steps of a multi-step probe (`flow`), in order; empty for others.
    pub steps: Vec<crate::outcome::StepOutcome>,
    /// Values learnt while running that must never be shown (a session token a
    /// flow captured): the engine masks them in every outcome of the run, as it
    /// does the secrets a probe declares before it runs.
    pub secrets: Vec<String>,
}

impl Finding {
    /// The probe could not run.
    pub fn error(evidence: impl Into<String>) -> Self {
        Finding {
            verdict: Verdict::Error,
            evidence: evidence.into(),
            checks: Vec::new(),
            steps: Vec::new(),
            secrets: Vec::new(),
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
            steps: Vec::new(),
            secrets: Vec::new(),
        }
    }
}

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
    fn excerpts_are_bounded_and_single_line() {
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
