//! Latency over a sample of requests: percentiles by nearest rank (p95 of 20
//! samples is the 19th fastest), and the `p50`/`p90`/`p95`/`p99` expectations.

use std::time::Duration;

use crate::checklist::scalar::{Dur, format_duration};
use crate::outcome::Check;
use crate::probe::expect::check;

/// The percentiles reported, by name.
pub const REPORTED: [(&str, u32); 4] = [("p50", 50), ("p90", 90), ("p95", 95), ("p99", 99)];

/// The `p`th percentile of `sorted` (ascending, not empty) by nearest rank.
pub fn percentile(sorted: &[Duration], p: u32) -> Duration {
    let n = sorted.len();
    let rank = (u64::from(p) * n as u64).div_ceil(100).max(1) as usize;
    sorted[rank.min(n) - 1]
}

/// `p50 12ms, p90 20ms, p95 25ms, p99 40ms over 20 samples`.
pub fn summary(sorted: &[Duration]) -> String {
    if sorted.is_empty() {
        return "no samples".to_owned();
    }
    let parts: Vec<String> = REPORTED
        .iter()
        .map(|(name, p)| format!("{name} {}", format_duration(percentile(sorted, *p))))
        .collect();
    format!("{} over {} samples", parts.join(", "), sorted.len())
}

/// Checks the given percentile limits (`(name, p, limit)`) against `sorted`.
pub fn checks(sorted: &[Duration], limits: &[(&str, u32, Option<Dur>)]) -> Vec<Check> {
    let mut out = Vec::new();
    if sorted.is_empty() {
        return out;
    }
    for (name, p, limit) in limits {
        if let Some(limit) = limit {
            let seen = percentile(sorted, *p);
            out.push(check(
                seen <= limit.0,
                format!("{name} <= {limit}"),
                format!("{} over {} samples", format_duration(seen), sorted.len()),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        let mut v: Vec<Duration> = values.iter().map(|m| Duration::from_millis(*m)).collect();
        v.sort();
        v
    }

    #[test]
    fn nearest_rank_percentiles() {
        let twenty = ms(&(1..=20).collect::<Vec<u64>>());
        assert_eq!(percentile(&twenty, 50), Duration::from_millis(10));
        assert_eq!(percentile(&twenty, 95), Duration::from_millis(19));
        assert_eq!(percentile(&twenty, 99), Duration::from_millis(20));
        assert_eq!(percentile(&ms(&[7]), 99), Duration::from_millis(7));
        assert_eq!(
            summary(&twenty),
            "p50 10ms, p90 18ms, p95 19ms, p99 20ms over 20 samples"
        );
    }

    #[test]
    fn limits_compare_the_percentile() {
        let sample = ms(&[10, 10, 10, 10, 900]);
        let c = checks(
            &sample,
            &[
                ("p50", 50, Some(Dur(Duration::from_millis(100)))),
                ("p99", 99, Some(Dur(Duration::from_millis(500)))),
            ],
        );
        assert_eq!(c[0].verdict, crate::outcome::Verdict::Pass);
        assert_eq!(c[1].verdict, crate::outcome::Verdict::Fail);
        assert_eq!(c[1].observed, "900ms over 5 samples");
    }
}
