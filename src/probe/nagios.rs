//! Nagios plugin semantics for the `exec` probe: the exit code is the status
//! (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), the first line of output is the
//! status text, and what follows a `|` is performance data:
//!
//! ```text
//! TCP OK - 0.000 second response time on 127.0.0.1 port 8080|time=0.000109s;;;0.000000;10.000000
//! ```
//!
//! Each metric is `'label'=value[UOM];[warn];[crit];[min];[max]`; warn and crit
//! are ranges (`10`, `10:`, `~:10`, `10:20`, `@10:20`) that alert when the value
//! is outside them (inside, with `@`).

use crate::outcome::{Check, Verdict};

/// At most this many metrics are read from one plugin's output.
pub const MAX_METRICS: usize = 64;

/// A plugin's exit code, as a probe verdict and the word plugins print.
pub fn status(code: i32) -> Option<(Verdict, &'static str)> {
    match code {
        0 => Some((Verdict::Pass, "OK")),
        1 => Some((Verdict::Warn, "WARNING")),
        2 => Some((Verdict::Fail, "CRITICAL")),
        // UNKNOWN: the plugin could not check; a probe error, not optional.
        3 => Some((Verdict::Error, "UNKNOWN")),
        _ => None,
    }
}

/// A plugin's output: the status text and its performance data.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    /// The first line, without performance data.
    pub text: String,
    /// Every metric, in order.
    pub metrics: Vec<Metric>,
}

/// One performance-data metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// The label, unquoted.
    pub label: String,
    /// The value as written (`0.000109`, or `U` when undetermined).
    pub value: String,
    /// The unit: `s`, `ms`, `%`, `B`, `KB`, `c`, … or empty.
    pub uom: String,
    /// The warning range, if any.
    pub warn: Option<String>,
    /// The critical range, if any.
    pub crit: Option<String>,
}

/// Splits plugin output into its status text and metrics. Performance data is
/// what follows the `|` on the first line, and everything after the first `|`
/// in the lines below it.
pub fn parse(stdout: &str) -> Output {
    let mut lines = stdout.lines();
    let first = lines.next().unwrap_or_default();
    let (text, mut perf) = match first.split_once('|') {
        Some((text, perf)) => (text.trim().to_owned(), perf.to_owned()),
        None => (first.trim().to_owned(), String::new()),
    };
    let rest: Vec<&str> = lines.collect();
    let rest = rest.join("\n");
    if let Some((_, more)) = rest.split_once('|') {
        perf.push(' ');
        perf.push_str(more);
    }
    let metrics = tokens(&perf)
        .into_iter()
        .filter_map(|t| metric(&t))
        .take(MAX_METRICS)
        .collect();
    Output { text, metrics }
}

/// Whitespace-separated tokens, where a single-quoted label may hold spaces
/// (`''` inside quotes is a quote).
fn tokens(perf: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = perf.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' if quoted && chars.peek() == Some(&'\'') => {
                chars.next();
                current.push('\'');
            }
            '\'' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn metric(token: &str) -> Option<Metric> {
    let (label, data) = token.rsplit_once('=')?;
    let mut fields = data.split(';');
    let value_uom = fields.next()?;
    let split = value_uom
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E')))
        .unwrap_or(value_uom.len());
    let (value, uom) = if value_uom.starts_with('U') {
        ("U", "")
    } else {
        value_uom.split_at(split)
    };
    if label.is_empty() || value.is_empty() {
        return None;
    }
    let field = |f: Option<&str>| {
        f.map(str::trim)
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
    };
    let warn = field(fields.next());
    let crit = field(fields.next());
    Some(Metric {
        label: label.to_owned(),
        value: value.to_owned(),
        uom: uom.to_owned(),
        warn,
        crit,
    })
}

/// Whether `value` raises an alert under a Nagios range; `None` when the range
/// cannot be read.
pub fn alerts(range: &str, value: f64) -> Option<bool> {
    let (inside, range) = match range.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, range),
    };
    let bound = |text: &str, empty: f64| -> Option<f64> {
        match text {
            "" => Some(empty),
            "~" => Some(f64::NEG_INFINITY),
            n => n.parse().ok(),
        }
    };
    let (start, end) = match range.split_once(':') {
        Some((start, end)) => (bound(start, 0.0)?, bound(end, f64::INFINITY)?),
        None => (0.0, bound(range, f64::INFINITY)?),
    };
    let outside = value < start || value > end;
    Some(if inside { !outside } else { outside })
}

impl Metric {
    /// `time=0.000109s`.
    pub fn short(&self) -> String {
        format!("{}={}{}", self.label, self.value, self.uom)
    }

    /// The metric as a check: it fails past its critical range and warns past
    /// its warning range. Informational: the plugin's exit code decides the verdict.
    pub fn check(&self) -> Check {
        let value: Option<f64> = self.value.parse().ok();
        let judge = |range: &Option<String>| {
            range
                .as_deref()
                .zip(value)
                .and_then(|(r, v)| alerts(r, v))
                .unwrap_or(false)
        };
        let verdict = if judge(&self.crit) {
            Verdict::Fail
        } else if judge(&self.warn) {
            Verdict::Warn
        } else {
            Verdict::Pass
        };
        let mut expected = self.label.clone();
        let limits: Vec<String> = [("warn", &self.warn), ("crit", &self.crit)]
            .into_iter()
            .filter_map(|(name, r)| r.as_ref().map(|r| format!("{name} {r}")))
            .collect();
        if !limits.is_empty() {
            expected.push_str(&format!(" within ({})", limits.join(", ")));
        }
        Check {
            expected,
            observed: format!("{}{}", self.value, self.uom),
            verdict,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_text_and_performance_data() {
        let out = parse(
            "HTTP OK: HTTP/1.1 200 OK - 98 bytes in 0.001 second response time |time=0.000812s;1.0;2.0;0.000000;10.000000 size=98B;;;0;\nlong text | 'disk free'=12%;20:;10:\n",
        );
        assert_eq!(
            out.text,
            "HTTP OK: HTTP/1.1 200 OK - 98 bytes in 0.001 second response time"
        );
        let shorts: Vec<String> = out.metrics.iter().map(Metric::short).collect();
        assert_eq!(shorts, ["time=0.000812s", "size=98B", "disk free=12%"]);
        assert_eq!(out.metrics[0].warn.as_deref(), Some("1.0"));
        assert_eq!(out.metrics[2].check().verdict, Verdict::Warn);
        assert_eq!(
            out.metrics[2].check().expected,
            "disk free within (warn 20:, crit 10:)"
        );
    }

    #[test]
    fn ranges_follow_the_plugin_guidelines() {
        assert_eq!(alerts("10", 11.0), Some(true));
        assert_eq!(alerts("10", -1.0), Some(true));
        assert_eq!(alerts("10", 5.0), Some(false));
        assert_eq!(alerts("10:", 5.0), Some(true));
        assert_eq!(alerts("~:10", -50.0), Some(false));
        assert_eq!(alerts("10:20", 15.0), Some(false));
        assert_eq!(alerts("@10:20", 15.0), Some(true));
        assert_eq!(alerts("x", 1.0), None);
    }

    #[test]
    fn statuses() {
        assert_eq!(status(0), Some((Verdict::Pass, "OK")));
        assert_eq!(status(3).map(|s| s.0), Some(Verdict::Error));
        assert_eq!(status(127), None);
    }
}
