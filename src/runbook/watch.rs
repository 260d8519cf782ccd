//! What a watch saw (pure): the number each sample tracks, and the summary
//! of a window — how many samples failed, the worst value and when, and the
//! trend (improving, steady, worsening). The sampling loop lives with the
//! driver; this module only judges.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::checklist::scalar::format_duration;
use crate::outcome::{ProbeOutcome, Status, Verdict};
use crate::runbook::journal::Sample;
use crate::runbook::plan::{Better, Watch};

/// Which way the tracked number went over the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Trend {
    /// It got better by more than a tenth.
    Improving,
    /// Within a tenth either way.
    Steady,
    /// It got worse by more than a tenth.
    Worsening,
}

impl Trend {
    /// The word.
    pub fn word(self) -> &'static str {
        match self {
            Trend::Improving => "improving",
            Trend::Steady => "steady",
            Trend::Worsening => "worsening",
        }
    }
}

/// The worst value of a window and when it was seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worst {
    /// The value.
    pub value: f64,
    /// When, RFC 3339.
    pub at: String,
}

/// A finished window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// What was tracked: `duration`, or the metric's name.
    pub metric: String,
    /// The unit of the values (`ms`, `%`, or nothing).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Samples taken.
    pub samples: usize,
    /// Samples a whole window holds.
    pub expected: usize,
    /// Samples that failed or could not run.
    pub failed: usize,
    /// Samples that warned.
    pub warned: usize,
    /// The worst value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worst: Option<Worst>,
    /// The trend, with at least two values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trend: Option<Trend>,
    /// The status it gives the step.
    pub status: Status,
    /// One line for people.
    pub reason: String,
}

/// The number a sample tracks: the first check whose expectation starts with
/// `metric`, or the probe's duration; with its unit (times become `ms`).
pub fn value(outcome: &ProbeOutcome, metric: Option<&str>) -> Option<(f64, String)> {
    match metric {
        None => Some((outcome.duration_ms as f64, "ms".to_owned())),
        Some(name) => outcome
            .checks
            .iter()
            .find(|c| c.expected.starts_with(name))
            .and_then(|c| number(&c.observed)),
    }
}

/// `41ms` → (41, ms); `1.2 s` → (1200, ms); `0.3%` → (0.3, %); `17` → (17, "").
pub fn number(text: &str) -> Option<(f64, String)> {
    let text = text.trim();
    let end = text
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || (i == 0 && matches!(c, '-' | '+'))))
        .map_or(text.len(), |(i, _)| i);
    let value: f64 = text[..end].parse().ok()?;
    if !value.is_finite() {
        return None;
    }
    let unit = text[end..].split_whitespace().next().unwrap_or("");
    let unit = unit.trim_end_matches([',', ';', ')']);
    let to_ms = match unit {
        "ns" => Some(1e-6),
        "us" | "µs" => Some(1e-3),
        "ms" => Some(1.0),
        "s" | "sec" => Some(1e3),
        "m" | "min" => Some(6e4),
        "h" => Some(3.6e6),
        _ => None,
    };
    Some(match to_ms {
        Some(factor) => (value * factor, "ms".to_owned()),
        None => (value, unit.to_owned()),
    })
}

/// `212ms`, `1.2s`, `0.3%`, `17`.
pub fn shown(value: f64, unit: &str) -> String {
    if unit == "ms" && value >= 0.0 {
        return format_duration(Duration::from_secs_f64(value / 1000.0));
    }
    let rounded = (value * 1000.0).round() / 1000.0;
    format!("{rounded}{unit}")
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// The mean of the last third against the first: a change of more than a
/// tenth, more than the values' own spread (their standard deviation) and more
/// than `noise` (the measurement's resolution) is a trend.
pub fn trend(values: &[f64], better: Better, noise: f64) -> Option<Trend> {
    if values.len() < 2 {
        return None;
    }
    let third = (values.len() / 3).max(1);
    let first = mean(&values[..third]);
    let last = mean(&values[values.len() - third..]);
    let scale = first.abs().max(last.abs());
    let delta = last - first;
    let all = mean(values);
    let spread =
        (values.iter().map(|v| (v - all).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    if scale == 0.0 || delta.abs() <= (scale / 10.0).max(noise).max(spread) {
        return Some(Trend::Steady);
    }
    let worse = match better {
        Better::Lower => delta > 0.0,
        Better::Higher => delta < 0.0,
    };
    Some(if worse {
        Trend::Worsening
    } else {
        Trend::Improving
    })
}

fn clock_time(at: &jiff::Timestamp) -> String {
    at.strftime("%H:%M").to_string()
}

/// Judges a window's samples.
pub fn summarize(watch: &Watch, samples: &[Sample]) -> Summary {
    let expected = watch.expected_samples();
    let failed: Vec<&Sample> = samples
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .collect();
    let warned = samples
        .iter()
        .filter(|s| s.verdict == Verdict::Warn)
        .count();
    // The worst value and the trend are read from samples that answered: a
    // failed sample's number (a refusal in 0ms, a timeout at the deadline) says
    // nothing about how the system performs, and would call a window where
    // every sample failed "improving".
    let valued: Vec<(&Sample, f64)> = samples
        .iter()
        .filter(|s| !matches!(s.verdict, Verdict::Fail | Verdict::Error))
        .filter_map(|s| s.value.map(|v| (s, v)))
        .collect();
    let unit = valued
        .first()
        .map(|(s, _)| s.unit.clone())
        .unwrap_or_default();
    let worst = valued
        .iter()
        .copied()
        .reduce(|a, b| {
            let b_worse = match watch.better {
                Better::Lower => b.1 > a.1,
                Better::Higher => b.1 < a.1,
            };
            if b_worse { b } else { a }
        })
        .map(|(s, v)| Worst {
            value: v,
            at: s.at.to_string(),
        });
    let values: Vec<f64> = valued.iter().map(|(_, v)| *v).collect();
    // Durations are measured to the millisecond: a millisecond either way is noise.
    let noise = if unit == "ms" { 1.0 } else { 0.0 };
    let trend = trend(&values, watch.better, noise);
    let taken = samples.len();
    let share = if taken == 0 {
        0.0
    } else {
        failed.len() as f64 * 100.0 / taken as f64
    };
    let missed = expected.saturating_sub(taken);
    let status = if taken == 0 || share > watch.max_failed {
        Status::Red
    } else if warned > 0 || missed > 0 {
        Status::Yellow
    } else {
        Status::Green
    };
    let head = format!(
        "{taken} sample{} over {}",
        if taken == 1 { "" } else { "s" },
        format_duration(watch.window)
    );
    let mut parts = Vec::new();
    if missed > 0 {
        parts.push(format!("{missed} of {expected} missed while not running"));
    }
    parts.push(match failed.first() {
        None => "none failed".to_owned(),
        Some(first) => {
            let allowed = if watch.max_failed > 0.0 {
                format!(", at most {}% allowed", watch.max_failed)
            } else {
                String::new()
            };
            format!(
                "{} failed ({:.1}%{allowed}), first at {}: {}",
                failed.len(),
                share,
                clock_time(&first.at),
                first.evidence
            )
        }
    });
    if warned > 0 {
        parts.push(format!("{warned} warned"));
    }
    let metric = watch
        .metric
        .clone()
        .unwrap_or_else(|| "duration".to_owned());
    if let Some(w) = &worst {
        let when =
            w.at.parse::<jiff::Timestamp>()
                .map(|t| clock_time(&t))
                .unwrap_or_default();
        parts.push(format!(
            "worst {metric} {} at {when}",
            shown(w.value, &unit)
        ));
    } else if taken > 0 && failed.len() == taken {
        parts.push("every sample failed: no worst value or trend".to_owned());
    } else if taken > 0 {
        parts.push(format!("no sample had a {metric} value"));
    }
    if let Some(t) = trend {
        parts.push(format!("trend {}", t.word()));
    }
    Summary {
        metric,
        unit,
        samples: taken,
        expected,
        failed: failed.len(),
        warned,
        worst,
        trend,
        status,
        reason: format!("{head}: {}", parts.join("; ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::plan::{Persistence, PlanProbe};
    use crate::outcome::Check;

    fn watch(max_failed: f64, better: Better) -> Watch {
        let kind: crate::probe::ProbeSpec =
            serde_saphyr::from_str("file: { path: x }").expect("probe");
        Watch {
            probe: std::sync::Arc::new(PlanProbe {
                kind: kind.kind,
                name: None,
                timeout: Duration::from_secs(1),
                persistence: Persistence::Once,
            }),
            every: Duration::from_secs(60),
            window: Duration::from_secs(300),
            metric: None,
            better,
            max_failed,
        }
    }

    fn sample(minute: u32, verdict: Verdict, value: f64) -> Sample {
        Sample {
            at: format!("2026-12-01T15:{minute:02}:00Z").parse().unwrap(),
            session: "s".into(),
            phase: "launch".into(),
            step: "errors".into(),
            verdict,
            value: Some(value),
            unit: "ms".into(),
            evidence: format!("{verdict:?} at {minute}"),
        }
    }

    #[test]
    fn numbers_are_read_with_their_units() {
        assert_eq!(number("41ms"), Some((41.0, "ms".into())));
        assert_eq!(number("1.5 s"), Some((1500.0, "ms".into())));
        assert_eq!(number("0.3%"), Some((0.3, "%".into())));
        assert_eq!(number("17"), Some((17.0, String::new())));
        assert_eq!(number("-2 errors, of 10"), Some((-2.0, "errors".into())));
        assert_eq!(number("ok"), None);
        let outcome = ProbeOutcome {
            checks: vec![Check {
                expected: "$.error_rate < 0.01".into(),
                observed: "0.004".into(),
                verdict: Verdict::Pass,
            }],
            duration_ms: 12,
            ..ProbeOutcome::bare("http", "GET x".into(), Verdict::Pass, String::new())
        };
        assert_eq!(value(&outcome, None), Some((12.0, "ms".into())));
        assert_eq!(
            value(&outcome, Some("$.error_rate")),
            Some((0.004, String::new()))
        );
        assert_eq!(value(&outcome, Some("latency")), None);
    }

    #[test]
    fn trends_compare_the_last_third_with_the_first() {
        assert_eq!(
            trend(&[10.0, 10.0, 11.0, 20.0, 30.0, 30.0], Better::Lower, 0.0),
            Some(Trend::Worsening)
        );
        assert_eq!(
            trend(&[10.0, 10.0, 11.0, 20.0, 30.0, 30.0], Better::Higher, 0.0),
            Some(Trend::Improving)
        );
        assert_eq!(
            trend(&[0.0, 0.0, 0.0], Better::Lower, 0.0),
            Some(Trend::Steady)
        );
        assert_eq!(
            trend(&[0.0, 0.0, 0.0, 0.0, 0.0, 1.0], Better::Lower, 1.0),
            Some(Trend::Steady),
            "within the resolution"
        );
        assert_eq!(
            trend(&[100.0, 95.0, 105.0], Better::Lower, 0.0),
            Some(Trend::Steady)
        );
        assert_eq!(trend(&[1.0], Better::Lower, 0.0), None);
        assert_eq!(
            trend(&[0.0, 7.0, 4.0, 5.0, 5.0, 6.0], Better::Lower, 1.0),
            Some(Trend::Steady),
            "jitter within the values' spread"
        );
    }

    #[test]
    fn a_window_is_red_past_its_failure_budget() {
        let w = watch(0.0, Better::Lower);
        let all: Vec<Sample> = (0..6)
            .map(|m| sample(m, Verdict::Pass, 100.0 + f64::from(m)))
            .collect();
        let s = summarize(&w, &all);
        assert_eq!((s.status, s.samples, s.expected), (Status::Green, 6, 6));
        assert!((s.worst.as_ref().unwrap().value - 105.0).abs() < 1e-9);
        assert_eq!(
            s.reason,
            "6 samples over 5m: none failed; worst duration 105ms at 15:05; trend steady"
        );
        let mut one_bad = all.clone();
        one_bad[2].verdict = Verdict::Fail;
        let s = summarize(&w, &one_bad);
        assert_eq!(s.status, Status::Red);
        assert!(
            s.reason
                .contains("1 failed (16.7%), first at 15:02: Pass at 2"),
            "{}",
            s.reason
        );
        // A budget of 20% lets one of six through.
        assert_eq!(
            summarize(&watch(20.0, Better::Lower), &one_bad).status,
            Status::Green
        );
        // Missed samples (the process was down) make it yellow.
        let s = summarize(&w, &all[..4]);
        assert_eq!(s.status, Status::Yellow);
        assert!(s.reason.contains("2 of 6 missed"), "{}", s.reason);
        assert_eq!(summarize(&w, &[]).status, Status::Red);
    }

    #[test]
    fn failed_samples_give_no_worst_value_or_trend() {
        let w = watch(0.0, Better::Lower);
        // Every sample failed, each sooner than the last (timeouts turning
        // into refusals): not "improving".
        let all: Vec<Sample> = (0..6)
            .map(|m| sample(m, Verdict::Error, 1000.0 - 190.0 * f64::from(m)))
            .collect();
        let s = summarize(&w, &all);
        assert_eq!(
            (s.status, s.trend, s.worst.is_none()),
            (Status::Red, None, true)
        );
        assert!(
            s.reason
                .ends_with("every sample failed: no worst value or trend"),
            "{}",
            s.reason
        );
        // One failure among passes: its number counts for neither.
        let mut one_bad: Vec<Sample> = (0..6).map(|m| sample(m, Verdict::Pass, 100.0)).collect();
        one_bad[5] = sample(5, Verdict::Fail, 9000.0);
        let s = summarize(&w, &one_bad);
        assert!((s.worst.as_ref().unwrap().value - 100.0).abs() < 1e-9);
        assert_eq!(s.trend, Some(Trend::Steady));
    }
}
