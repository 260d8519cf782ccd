//! `/metrics`: the served checklists in the Prometheus text exposition format
//! (version 0.0.4), rendered from the [`State`] at scrape time. Pure: the
//! caller passes the time.
//!
//! Names follow Prometheus's conventions: the `candlefish_` prefix, base
//! units (`_seconds`, `_timestamp_seconds`), `_total` on counters only.
//!
//! **Statuses** are a state set, as kube-state-metrics writes enums: for every
//! item, `candlefish_item_status` has one series per colour (`status="green"`,
//! `"yellow"`, `"red"`, `"white"`), 1 for the item's current colour and 0 for
//! the other three. `candlefish_item_status{status="red"} == 1` selects the
//! red items; the series exist from the first run on, so an alert's `for:`
//! clause sees a clean transition.
//!
//! **Labels** come from the checklist only: its name, item ids, section ids
//! (the top-level item an item belongs to), `critical` (the item or a group
//! holding it is critical), probe kinds, statuses and verdicts. Evidence,
//! targets, URLs, titles and sign-off text never become labels, so the number
//! of series is bounded by the checklist and no secret can reach one.

use std::fmt::Write as _;

use super::State;
use crate::outcome::{ItemReport, Report, Status, Verdict};

/// The `Content-Type` of the exposition.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The exposition of `state` as of `now` (Unix seconds).
pub fn render(state: &State, now: f64) -> String {
    let mut out = Exposition::default();
    out.family(
        "candlefish_build_info",
        "gauge",
        "Always 1; the version label says which Candlefish serves.",
    );
    out.sample(
        "candlefish_build_info",
        &[("version", env!("CARGO_PKG_VERSION"))],
        1.0,
    );

    out.family(
        "candlefish_checklist_valid",
        "gauge",
        "1 when the checklist file validates; 0 when an edit broke it and the last valid version is still being run.",
    );
    for c in &state.checklists {
        out.sample(
            "candlefish_checklist_valid",
            &[("checklist", &c.name)],
            f64::from(u8::from(c.invalid.is_none())),
        );
    }

    out.family(
        "candlefish_runs_total",
        "counter",
        "Finished rounds, by the gate's verdict (passed, failed).",
    );
    for c in &state.checklists {
        for result in [super::RunResult::Passed, super::RunResult::Failed] {
            let n = c.results.get(&result).copied().unwrap_or(0);
            out.sample(
                "candlefish_runs_total",
                &[("checklist", &c.name), ("result", result.word())],
                n as f64,
            );
        }
    }

    out.family(
        "candlefish_run_overruns_total",
        "counter",
        "Rounds that started late because the previous round outlasted the interval (rounds never overlap).",
    );
    for c in &state.checklists {
        out.sample(
            "candlefish_run_overruns_total",
            &[("checklist", &c.name)],
            c.overruns as f64,
        );
    }

    let latest: Vec<(&str, &Report)> = state
        .checklists
        .iter()
        .filter_map(|c| c.latest.as_deref().map(|r| (c.name.as_str(), r)))
        .collect();

    out.family(
        "candlefish_run_last_start_timestamp_seconds",
        "gauge",
        "When the latest finished round started, Unix time.",
    );
    for (name, report) in &latest {
        if let Ok(t) = report.started_at.parse::<jiff::Timestamp>() {
            out.sample(
                "candlefish_run_last_start_timestamp_seconds",
                &[("checklist", name)],
                t.as_millisecond() as f64 / 1000.0,
            );
        }
    }
    out.family(
        "candlefish_run_last_duration_seconds",
        "gauge",
        "How long the latest finished round took.",
    );
    for (name, report) in &latest {
        out.sample(
            "candlefish_run_last_duration_seconds",
            &[("checklist", name)],
            report.duration_ms as f64 / 1000.0,
        );
    }
    out.family(
        "candlefish_gate_passed",
        "gauge",
        "1 when the latest round passed the gate (what /readyz answers 200 for), else 0.",
    );
    for (name, report) in &latest {
        let passed = report.gate.as_ref().is_some_and(|g| g.passed);
        out.sample(
            "candlefish_gate_passed",
            &[("checklist", name)],
            f64::from(u8::from(passed)),
        );
    }

    out.family(
        "candlefish_item_status",
        "gauge",
        "The item's colour in the latest round, as a state set: 1 for its status label, 0 for the other three.",
    );
    for (name, report) in &latest {
        for section in &report.items {
            walk(section, false, &mut |item, critical| {
                for status in Status::ALL {
                    out.sample(
                        "candlefish_item_status",
                        &[
                            ("checklist", name),
                            ("section", &section.id),
                            ("item", &item.id),
                            ("critical", if critical { "true" } else { "false" }),
                            ("status", status.word()),
                        ],
                        f64::from(u8::from(item.status == status)),
                    );
                }
            });
        }
    }

    out.family(
        "candlefish_items",
        "gauge",
        "Leaf items per status in the latest round.",
    );
    for (name, report) in &latest {
        for status in Status::ALL {
            out.sample(
                "candlefish_items",
                &[("checklist", name), ("status", status.word())],
                report.summary.count(status) as f64,
            );
        }
    }

    out.family(
        "candlefish_probes",
        "gauge",
        "Probes per verdict in the latest round.",
    );
    for (name, report) in &latest {
        let s = &report.summary;
        for (verdict, n) in [
            (Verdict::Pass, s.probes_pass),
            (Verdict::Warn, s.probes_warn),
            (Verdict::Fail, s.probes_fail),
            (Verdict::Error, s.probes_error),
            (Verdict::Skipped, s.probes_skipped),
        ] {
            out.sample(
                "candlefish_probes",
                &[("checklist", name), ("verdict", verdict.word())],
                n as f64,
            );
        }
    }

    out.family(
        "candlefish_probe_duration_seconds",
        "histogram",
        "Wall time of each probe that ran (retries included), over every round, by probe kind.",
    );
    for c in &state.checklists {
        for (kind, histogram) in &c.durations {
            let labels = [("checklist", c.name.as_str()), ("kind", kind.as_str())];
            for (bound, n) in histogram.cumulative() {
                let le = if bound.is_infinite() {
                    "+Inf".to_owned()
                } else {
                    format_value(bound)
                };
                out.sample(
                    "candlefish_probe_duration_seconds_bucket",
                    &[labels[0], labels[1], ("le", &le)],
                    n as f64,
                );
            }
            out.sample(
                "candlefish_probe_duration_seconds_sum",
                &labels,
                histogram.sum,
            );
            out.sample(
                "candlefish_probe_duration_seconds_count",
                &labels,
                histogram.count as f64,
            );
        }
    }

    out.family(
        "candlefish_tls_certificate_expiry_timestamp_seconds",
        "gauge",
        "When the leaf certificate a tls probe saw expires (Unix time, to the day: UTC midnight of the date in its evidence).",
    );
    for (name, report) in &latest {
        for item in report.all_items() {
            if let Some(expiry) = tls_expiry(item) {
                out.sample(
                    "candlefish_tls_certificate_expiry_timestamp_seconds",
                    &[("checklist", name), ("item", &item.id)],
                    expiry,
                );
            }
        }
    }

    out.family(
        "candlefish_signoff_age_seconds",
        "gauge",
        "Time since the newest sign-off on a manual item.",
    );
    for (name, report) in &latest {
        for item in report.all_items() {
            let newest = item
                .signoffs
                .iter()
                .filter_map(|s| s.at.parse::<jiff::Timestamp>().ok())
                .max();
            if let Some(at) = newest {
                let age = (now - at.as_millisecond() as f64 / 1000.0).max(0.0);
                out.sample(
                    "candlefish_signoff_age_seconds",
                    &[("checklist", name), ("item", &item.id)],
                    age,
                );
            }
        }
    }
    out.family(
        "candlefish_signoff_stale",
        "gauge",
        "1 when a sign-off on the manual item has expired (the item is yellow until someone signs again), else 0.",
    );
    for (name, report) in &latest {
        for item in report.all_items() {
            if !item.signoffs.is_empty() {
                let stale = item.signoffs.iter().any(|s| s.stale);
                out.sample(
                    "candlefish_signoff_stale",
                    &[("checklist", name), ("item", &item.id)],
                    f64::from(u8::from(stale)),
                );
            }
        }
    }
    out.text
}

/// Calls `each` for `item` and its descendants with whether a critical
/// item holds them (or they are critical).
fn walk<'a>(item: &'a ItemReport, critical: bool, each: &mut impl FnMut(&'a ItemReport, bool)) {
    let critical = critical || item.critical;
    each(item, critical);
    for child in &item.items {
        walk(child, critical, each);
    }
}

/// The expiry date a `tls` probe of `item` reported, as Unix time: its expiry
/// check's observation reads `expires 2027-03-01 (in 89 days)` or
/// `expired 2026-11-01 (3 days ago)`.
fn tls_expiry(item: &ItemReport) -> Option<f64> {
    item.probes
        .iter()
        .filter(|p| p.kind == "tls")
        .flat_map(|p| &p.checks)
        .find(|c| c.expected.ends_with("before expiry"))
        .and_then(|c| {
            let date = c
                .observed
                .strip_prefix("expires ")
                .or_else(|| c.observed.strip_prefix("expired "))?
                .split_whitespace()
                .next()?;
            let date: jiff::civil::Date = date.parse().ok()?;
            let t = jiff::tz::TimeZone::UTC
                .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
                .ok()?;
            Some(t.as_second() as f64)
        })
}

/// A number as the exposition format writes it.
fn format_value(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

#[derive(Default)]
struct Exposition {
    text: String,
}

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (i, (key, value)) in labels.iter().enumerate() {
                if i > 0 {
                    self.text.push(',');
                }
                let _ = write!(self.text, "{key}=\"{}\"", escape_label(value));
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", format_value(value));
    }
}

/// A label value escaped as the format requires: backslash, double quote, newline.
fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::fixture::{leaf, report};
    use crate::outcome::{Check, ProbeOutcome, Signoff};
    use crate::serve::Hub;

    fn sample() -> Report {
        let mut tls = leaf("cert", Status::Yellow);
        let mut probe = ProbeOutcome::bare(
            "tls",
            "api.example.com:443 with password s3cret".into(),
            Verdict::Warn,
            "evidence with https://user:s3cret@example.com".into(),
        );
        probe.checks.push(Check {
            expected: "more than 30 days before expiry".into(),
            observed: "expires 2027-01-11 (in 12 days)".into(),
            verdict: Verdict::Warn,
        });
        probe.duration_ms = 40;
        tls.probes.push(probe);
        let mut manual = leaf("training", Status::Yellow);
        manual.signoffs.push(Signoff {
            by: "Ada".into(),
            at: "2026-12-01T00:00:00Z".into(),
            evidence: Some("https://wiki/secret-page".into()),
            note: None,
            expires: None,
            stale: true,
            key: None,
            principals: Vec::new(),
        });
        let mut group = leaf("sec", Status::Yellow);
        group.critical = true;
        group.items = vec![tls, manual];
        let mut r = report(vec![group, leaf("quo\"te", Status::Red)]);
        r.started_at = "2026-12-30T00:00:00Z".into();
        r.duration_ms = 1500;
        r.summary.yellow = 2;
        r.summary.red = 1;
        r.gate = Some(crate::engine::gate::GatePolicy::default().evaluate(&r));
        r
    }

    fn rendered() -> String {
        let hub = Hub::new(vec![("Prod \\ API".into(), "p.yaml".into())], 10);
        hub.publish(0, sample(), false);
        let now = "2026-12-31T00:00:00Z".parse::<jiff::Timestamp>().unwrap();
        render(&hub.lock(), now.as_second() as f64)
    }

    #[test]
    fn statuses_are_a_state_set_with_bounded_labels() {
        let text = rendered();
        assert!(text.contains(
            "candlefish_item_status{checklist=\"Prod \\\\ API\",section=\"sec\",item=\"cert\",critical=\"true\",status=\"yellow\"} 1\n"
        ));
        assert!(text.contains(
            "candlefish_item_status{checklist=\"Prod \\\\ API\",section=\"sec\",item=\"cert\",critical=\"true\",status=\"green\"} 0\n"
        ));
        assert!(text.contains("item=\"quo\\\"te\",critical=\"false\",status=\"red\"} 1\n"));
        assert!(text.contains("candlefish_gate_passed{checklist=\"Prod \\\\ API\"} 0\n"));
        assert!(
            text.contains(
                "candlefish_run_last_duration_seconds{checklist=\"Prod \\\\ API\"} 1.5\n"
            )
        );
        for leak in ["s3cret", "example.com", "wiki", "Ada", "Item cert"] {
            assert!(
                !text.contains(leak),
                "{leak} leaked into the metrics:\n{text}"
            );
        }
    }

    #[test]
    fn tls_expiry_sign_off_age_and_durations() {
        let text = rendered();
        // 2027-01-11T00:00:00Z
        assert!(text.contains(
            "candlefish_tls_certificate_expiry_timestamp_seconds{checklist=\"Prod \\\\ API\",item=\"cert\"} 1799625600\n"
        ), "{text}");
        assert!(text.contains(
            "candlefish_signoff_age_seconds{checklist=\"Prod \\\\ API\",item=\"training\"} 2592000\n"
        ));
        assert!(text.contains(
            "candlefish_signoff_stale{checklist=\"Prod \\\\ API\",item=\"training\"} 1\n"
        ));
        assert!(text.contains(
            "candlefish_probe_duration_seconds_bucket{checklist=\"Prod \\\\ API\",kind=\"tls\",le=\"0.025\"} 0\n"
        ));
        assert!(text.contains(
            "candlefish_probe_duration_seconds_bucket{checklist=\"Prod \\\\ API\",kind=\"tls\",le=\"0.05\"} 1\n"
        ));
        assert!(text.contains(
            "candlefish_probe_duration_seconds_bucket{checklist=\"Prod \\\\ API\",kind=\"tls\",le=\"+Inf\"} 1\n"
        ));
        assert!(
            text.contains(
                "candlefish_runs_total{checklist=\"Prod \\\\ API\",result=\"failed\"} 1\n"
            )
        );
    }

    #[test]
    fn values_are_written_as_the_format_wants() {
        assert_eq!(format_value(1.0), "1");
        assert_eq!(format_value(0.25), "0.25");
        assert_eq!(format_value(f64::INFINITY), "+Inf");
        assert_eq!(format_value(f64::NAN), "NaN");
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
