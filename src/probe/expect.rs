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
    /// followed by `context` (e.g. `in 41ms`); a pass reads `summary`. When
    /// the probe fails, the cause comes first and its warnings follow
    /// (`… + 2 warnings: expected …; expected …`): a failing item never hides
    /// what else was wrong with it.
    pub fn from_checks(checks: Vec<Check>, summary: &str, context: &str) -> Self {
        let worst = checks
            .iter()
            .map(|c| c.verdict)
            .max_by_key(|v| severity(*v))
            .unwrap_or(Verdict::Pass);
        let phrases = |verdict: Verdict| -> Vec<String> {
            checks
                .iter()
                .filter(|c| c.verdict == verdict)
                .map(|c| format!("expected {}, got {}", c.expected, c.observed))
                .collect()
        };
        let evidence = if worst == Verdict::Pass {
            summary.to_owned()
        } else {
            let mut line = phrases(worst).join("; ");
            if !context.is_empty() {
                line.push(' ');
                line.push_str(context);
            }
            let warnings = if worst == Verdict::Warn {
                Vec::new()
            } else {
                phrases(Verdict::Warn)
            };
            if !warnings.is_empty() {
                let n = warnings.len();
                line.push_str(&format!(
                    " + {n} warning{}: {}",
                    if n == 1 { "" } else { "s" },
                    warnings.join("; ")
                ));
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
            // A failure keeps its warnings, as in `from_checks`.
            let warnings: Vec<&str> = if worst == Verdict::Warn {
                Vec::new()
            } else {
                checks
                    .iter()
                    .filter(|c| c.verdict == Verdict::Warn)
                    .map(|c| c.observed.as_str())
                    .collect()
            };
            if !warnings.is_empty() {
                let n = warnings.len();
                let shown: Vec<&str> = warnings.iter().take(MAX_LISTED).copied().collect();
                line.push_str(&format!(
                    " + {n} warning{}: {}",
                    if n == 1 { "" } else { "s" },
                    shown.join("; ")
                ));
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

/// A number read from an observation. JSON numbers are taken as they are; a
/// string that holds a number is read as that number, because many APIs send
/// numbers as strings (Prometheus sends every sample value as `"90.49"`, and
/// `"+Inf"`/`"-Inf"` for infinities). `NaN`, empty strings and words are not numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number {
    /// The value.
    pub value: f64,
    /// Whether it arrived as a string.
    pub from_text: bool,
}

impl Number {
    /// Reads `value` as a number, if it is one (see [`Number`]).
    pub fn read(value: &serde_json::Value) -> Option<Number> {
        match value {
            serde_json::Value::Number(n) => n.as_f64().map(|value| Number {
                value,
                from_text: false,
            }),
            serde_json::Value::String(s) => Number::parse(s).map(|value| Number {
                value,
                from_text: true,
            }),
            _ => None,
        }
    }

    /// A number written as text: decimal or exponent notation, or `+Inf`/`-Inf`
    /// (any case). Surrounding spaces are allowed; `NaN`, hex and words are not.
    pub fn parse(text: &str) -> Option<f64> {
        let t = text.trim();
        let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
        let infinite = ["inf", "infinity"]
            .iter()
            .any(|w| digits.eq_ignore_ascii_case(w));
        let plain = !digits.is_empty()
            && digits
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-'))
            && digits.starts_with(|c: char| c.is_ascii_digit() || c == '.');
        if !(plain || infinite) {
            return None;
        }
        t.parse::<f64>().ok().filter(|n| !n.is_nan())
    }
}

/// Whether `value` is a number (or a string holding one) below `limit`.
pub fn below(value: &serde_json::Value, limit: f64) -> bool {
    Number::read(value).is_some_and(|n| n.value < limit)
}

/// Whether `value` is a number (or a string holding one) above `limit`.
pub fn above(value: &serde_json::Value, limit: f64) -> bool {
    Number::read(value).is_some_and(|n| n.value > limit)
}

/// Whether `value` is a string holding the number `expected` (`"1"` for
/// `equals: 1`), as APIs that send numbers as text (Prometheus samples) do.
/// Integers compare exactly, whatever their size; anything else as `f64`.
pub fn text_equals_number(value: &serde_json::Value, expected: &serde_json::Value) -> bool {
    let (serde_json::Value::String(text), serde_json::Value::Number(want)) = (value, expected)
    else {
        return false;
    };
    let t = text.trim();
    let exact = want
        .as_i64()
        .map(i128::from)
        .or_else(|| want.as_u64().map(i128::from));
    if let (Some(want), Ok(got)) = (exact, t.strip_prefix('+').unwrap_or(t).parse::<i128>()) {
        return got == want;
    }
    match (Number::parse(text), want.as_f64()) {
        (Some(got), Some(want)) => (got - want).abs() < f64::EPSILON,
        _ => false,
    }
}

/// How a value compared as a number reads in evidence: `42`; `"90.49" (a
/// string, read as the number 90.49)`; `"ok" (not a number)`.
pub fn shown_as_number(value: &serde_json::Value) -> String {
    let shown = excerpt(&value.to_string(), 80);
    match Number::read(value) {
        Some(Number {
            from_text: false, ..
        }) => shown,
        Some(n) => format!("{shown} (a string, read as the number {})", n.value),
        None => format!("{shown} (not a number)"),
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
        // The cause first, then what else was wrong.
        assert_eq!(
            f.evidence,
            "expected status 200, got 503 in 150ms + 1 warning: expected latency <= 100ms, got 150ms"
        );
        let f = Finding::from_checks(
            vec![
                soft_check(false, "no version in Server", "nginx/1.22.1"),
                check(false, "Strict-Transport-Security", "absent"),
                soft_check(false, "Referrer-Policy strict", "unsafe-url"),
            ],
            "ok",
            "",
        );
        assert_eq!(
            f.evidence,
            "expected Strict-Transport-Security, got absent + 2 warnings: \
             expected no version in Server, got nginx/1.22.1; expected Referrer-Policy strict, got unsafe-url"
        );
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
            f.evidence
                .ends_with("pod p7: CrashLoopBackOff; and 2 more + 1 warning: 2 warnings"),
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
    fn numbers_in_strings_are_numbers_and_words_are_not() {
        use serde_json::json;
        assert!(above(&json!("90.49"), 90.0));
        assert!(below(&json!(" 1e-3 "), 0.01));
        assert!(above(&json!("+Inf"), 1e300));
        assert!(below(&json!("-Inf"), -1e300));
        assert!(above(&json!(91), 90.0));
        for word in ["NaN", "", "ok", "0x10", "1_000", "12ms", "nan", "e5"] {
            assert_eq!(Number::parse(word), None, "{word}");
            assert!(!above(&json!(word), -1e308), "{word}");
        }
        assert!(!above(&json!(true), 0.0));
        assert_eq!(shown_as_number(&json!(3)), "3");
        assert_eq!(
            shown_as_number(&json!("90.49")),
            "\"90.49\" (a string, read as the number 90.49)"
        );
        assert_eq!(shown_as_number(&json!("ok")), "\"ok\" (not a number)");
    }

    #[test]
    fn excerpts_are_bounded_and_single_line() {
        assert_eq!(excerpt("a\nb", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
