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
