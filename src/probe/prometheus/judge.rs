//! The `prometheus` comparison (pure): series against thresholds, with the
//! offending series' labels in the evidence; targets, rules and alerts.

use serde_json::Value;

use crate::outcome::Check;
use crate::probe::expect::{Finding, check};

use super::{Matching, PrometheusProbe, Seen};

/// At most this many offending series get a check of their own.
const SHOWN: usize = 10;

/// `http_requests_total{code="500",job="api"}`; `{}` for none.
pub fn labels(metric: &Value) -> String {
    let Some(map) = metric.as_object() else {
        return "{}".into();
    };
    let name = map.get("__name__").and_then(Value::as_str).unwrap_or("");
    let pairs: Vec<String> = map
        .iter()
        .filter(|(k, _)| k.as_str() != "__name__")
        .map(|(k, v)| format!("{k}={}", Value::String(v.as_str().unwrap_or("").to_owned())))
        .collect();
    format!("{name}{{{}}}", pairs.join(","))
}

fn number(value: &Value) -> Result<f64, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!("a sample value that is not a string: {value}"))?;
    match text {
        "NaN" => Ok(f64::NAN),
        "+Inf" | "Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        other => other
            .parse()
            .map_err(|_| format!("a sample value that is not a number: {other:?}")),
    }
}

/// The series of a `/api/v1/query` answer's `data`: labels and value.
pub fn series(data: &Value) -> Result<Vec<(String, f64)>, String> {
    match data["resultType"].as_str().unwrap_or("") {
        "vector" => data["result"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| Ok((labels(&s["metric"]), number(&s["value"][1])?)))
            .collect(),
        "scalar" => Ok(vec![("scalar".into(), number(&data["result"][1])?)]),
        "matrix" => Err("the query returned a range vector: give an instant query (a range like [5m] belongs inside rate() or another function)".into()),
        other => Err(format!("the query returned a {other:?} result, not numbers")),
    }
}

fn shown(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else {
        format!("{v}")
    }
}

/// The threshold as words, and whether a value meets it.
fn threshold(p: &PrometheusProbe) -> (String, Box<dyn Fn(f64) -> bool>) {
    match (p.below, p.above, p.equals) {
        // Equal within a part in a billion: sums of decimal samples rarely land exactly.
        (_, _, Some(t)) => (
            format!("= {t}"),
            Box::new(move |v| (v - t).abs() <= 1e-9 * t.abs().max(1.0)),
        ),
        (Some(b), Some(a), _) => (
            format!("between {a} and {b}"),
            Box::new(move |v| v < b && v > a),
        ),
        (Some(b), None, _) => (format!("< {b}"), Box::new(move |v| v < b)),
        (None, Some(a), _) => (format!("> {a}"), Box::new(move |v| v > a)),
        _ => ("anything".into(), Box::new(|_| true)),
    }
}

/// How far from holding a value is (bigger is worse), for ordering.
fn badness(p: &PrometheusProbe, v: f64) -> f64 {
    if v.is_nan() {
        return f64::INFINITY;
    }
    match (p.below, p.above, p.equals) {
        (_, _, Some(t)) => (v - t).abs(),
        (Some(_), None, _) => v,
        (None, Some(_), _) => -v,
        (Some(b), Some(a), _) => (v - b).max(a - v),
        _ => 0.0,
    }
}

/// Turns what was seen into a finding.
pub fn judge(p: &PrometheusProbe, seen: &Seen) -> Finding {
    let mut checks: Vec<Check> = Vec::new();
    let mut summary: Vec<String> = Vec::new();
    if let Some(series) = &seen.series {
        let (words, holds) = threshold(p);
        let mut sorted = series.clone();
        sorted.sort_by(|a, b| badness(p, b.1).total_cmp(&badness(p, a.1)));
        if sorted.is_empty() {
            checks.push(check(
                p.allow_empty,
                format!(
                    "value {words} for {} series",
                    if p.matching == Matching::Any {
                        "any"
                    } else {
                        "every"
                    }
                ),
                "no series (the query matched nothing)",
            ));
            summary.push("the query matched no series".into());
        } else if p.matching == Matching::Any {
            let (best_labels, best) = sorted.last().cloned().unwrap_or_default();
            checks.push(check(
                holds(best),
                format!("value {words} for any series (best {best_labels})"),
                shown(best),
            ));
            summary.push(format!("{best_labels} {} {words}", shown(best)));
        } else {
            let offending: Vec<&(String, f64)> =
                sorted.iter().filter(|(_, v)| !holds(*v)).collect();
            if offending.is_empty() {
                let (worst_labels, worst) = &sorted[0];
                checks.push(check(
                    true,
                    format!("value {words} for every series (worst {worst_labels})"),
                    shown(*worst),
                ));
                summary.push(format!(
                    "{} series {words}, the worst {worst_labels} {}",
                    sorted.len(),
                    shown(*worst)
                ));
            } else {
                for (labels, v) in offending.iter().take(SHOWN) {
                    checks.push(check(
                        false,
                        format!("value {words} for {labels}"),
                        shown(*v),
                    ));
                }
                if offending.len() > SHOWN {
                    checks.push(check(
                        false,
                        format!("value {words} for every series"),
                        format!("{} more series outside it", offending.len() - SHOWN),
                    ));
                }
            }
        }
    }
    if let (Some(job), Some(targets)) = (&p.targets, &seen.targets) {
        let down: Vec<String> = targets
            .iter()
            .filter(|(_, health, _)| health != "up")
            .map(|(instance, health, error)| {
                if error.is_empty() {
                    format!("{instance} {health}")
                } else {
                    format!("{instance} {health} ({error})")
                }
            })
            .collect();
        let up = targets.len() - down.len();
        let observed = if targets.is_empty() {
            "no target in that job".to_owned()
        } else if down.is_empty() {
            format!("{up} of {} up", targets.len())
        } else {
            format!("{up} of {} up; {}", targets.len(), down.join("; "))
        };
        checks.push(check(
            !targets.is_empty() && down.is_empty(),
            format!("every target of job {job} up"),
            observed.clone(),
        ));
        summary.push(format!("job {job}: {observed}"));
    }
    if let Some(rules) = &seen.rules {
        let missing: Vec<&String> = p
            .rules
            .iter()
            .filter(|n| !rules.iter().any(|(r, _, _)| r == *n))
            .collect();
        let broken: Vec<String> = rules
            .iter()
            .filter(|(name, health, _)| p.rules.contains(name) && health == "err")
            .map(|(name, _, error)| format!("{name} ({error})"))
            .collect();
        let mut problems = Vec::new();
        if !missing.is_empty() {
            problems.push(format!(
                "not loaded: {}",
                missing
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        if !broken.is_empty() {
            problems.push(format!("failing: {}", broken.join(", ")));
        }
        checks.push(check(
            problems.is_empty(),
            format!("alerting rules {} loaded and healthy", p.rules.join(", ")),
            if problems.is_empty() {
                "all loaded".to_owned()
            } else {
                problems.join("; ")
            },
        ));
        summary.push(format!("{} alerting rule(s) loaded", rules.len()));
    }
    if let (Some(alerts), Some(firing)) = (&p.alerts, &seen.firing) {
        let which = alerts
            .severity
            .as_deref()
            .map_or_else(|| "no alert".to_owned(), |s| format!("no {s} alert"));
        let names: Vec<String> = firing
            .iter()
            .take(SHOWN)
            .map(|(_, labels)| labels.clone())
            .collect();
        checks.push(check(
            firing.is_empty(),
            format!("{which} firing"),
            if firing.is_empty() {
                "none".to_owned()
            } else {
                format!("{} firing: {}", firing.len(), names.join(", "))
            },
        ));
        if firing.is_empty() {
            summary.push(format!("{which} firing"));
        }
    }
    Finding::from_checks(checks, &summary.join("; "), "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use serde_json::json;

    fn probe(yaml: &str) -> PrometheusProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn string_values_are_numbers_and_labels_are_named() {
        let data = json!({"resultType": "vector", "result": [
            {"metric": {"__name__": "errors", "job": "api", "code": "500"}, "value": [1.0, "90.49"]},
            {"metric": {"job": "web"}, "value": [1.0, "NaN"]},
        ]});
        let s = series(&data).unwrap();
        assert_eq!(s[0], ("errors{job=\"api\",code=\"500\"}".to_owned(), 90.49));
        assert!(s[1].1.is_nan());
        assert!(
            series(&json!({"resultType": "matrix", "result": []}))
                .unwrap_err()
                .contains("range vector")
        );
        assert_eq!(
            series(&json!({"resultType": "scalar", "result": [1.0, "2"]})).unwrap(),
            vec![("scalar".to_owned(), 2.0)]
        );
    }

    #[test]
    fn offending_series_come_first_with_their_labels() {
        let p = probe("{ url: 'http://p', query: 'x', below: 10 }");
        let seen = Seen {
            series: Some(vec![
                ("{a=\"1\"}".into(), 9.0),
                ("{a=\"2\"}".into(), 90.49),
                ("{a=\"3\"}".into(), 12.0),
            ]),
            ..Seen::default()
        };
        let f = judge(&p, &seen);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected value < 10 for {a=\"2\"}, got 90.49; expected value < 10 for {a=\"3\"}, got 12"
        );
        let any = probe("{ url: 'http://p', query: 'x', below: 10, match: any }");
        assert_eq!(judge(&any, &seen).verdict, Verdict::Pass);
        let empty = Seen {
            series: Some(vec![]),
            ..Seen::default()
        };
        assert_eq!(judge(&p, &empty).verdict, Verdict::Fail);
        let allowed = probe("{ url: 'http://p', query: 'x', below: 10, allow_empty: true }");
        assert_eq!(judge(&allowed, &empty).verdict, Verdict::Pass);
    }
}
