//! A Prometheus histogram with fixed buckets: cumulative counts, a sum and a
//! count, in seconds. Its size never changes, however many rounds it sees.

/// Upper bounds of the buckets, in seconds (`+Inf` is implied).
pub const BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Counts of observations at or below each bound, their sum and count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Observations at or below `BUCKETS[i]` (not cumulative; see [`Histogram::cumulative`]).
    counts: [u64; BUCKETS.len()],
    /// The sum of every observation.
    pub sum: f64,
    /// How many observations.
    pub count: u64,
}

impl Histogram {
    /// Records one observation in seconds.
    pub fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            self.counts[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }

    /// `(upper bound, observations at or below it)` for every bucket, `+Inf` last.
    pub fn cumulative(&self) -> Vec<(f64, u64)> {
        let mut total = 0;
        let mut out: Vec<(f64, u64)> = BUCKETS
            .iter()
            .zip(self.counts)
            .map(|(bound, n)| {
                total += n;
                (*bound, total)
            })
            .collect();
        out.push((f64::INFINITY, self.count));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_inf_counts_all() {
        let mut h = Histogram::default();
        for s in [0.001, 0.02, 0.02, 7.0, 1000.0] {
            h.observe(s);
        }
        let c = h.cumulative();
        assert_eq!(c[0], (0.005, 1));
        assert_eq!(c[2], (0.025, 3));
        assert_eq!(c[9], (5.0, 3));
        assert_eq!(c[10], (10.0, 4));
        assert_eq!(c.last(), Some(&(f64::INFINITY, 5)));
        assert!((h.sum - 1007.041).abs() < 1e-9);
    }
}
