//! The runbook ready to run: phases at offsets from T-0, each with ordered
//! steps, every reference resolved and every probe planned. Built by
//! `checklist::runbook` from the checklist's `runbook:` section; nothing here
//! knows YAML.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::model::Manual;
use crate::engine::plan::PlanProbe;

/// The launch-day runbook: phases in time order.
#[derive(Debug, Clone)]
pub struct Runbook {
    /// The phases, in time order (offsets strictly increasing).
    pub phases: Vec<Phase>,
}

impl Runbook {
    /// The phase named by its id or its offset as written (`T-4h`, `t+4h`).
    pub fn phase(&self, name: &str) -> Option<&Phase> {
        self.phases.iter().find(|p| p.id == name).or_else(|| {
            let offset = Offset::parse(name).ok()?;
            self.phases.iter().find(|p| p.at == offset)
        })
    }

    /// The phase holding the step `id`, and the step.
    pub fn step(&self, id: &str) -> Option<(&Phase, &Step)> {
        self.phases
            .iter()
            .find_map(|p| p.steps.iter().find(|s| s.id == id).map(|s| (p, s)))
    }

    /// Every step id, in order.
    pub fn step_ids(&self) -> impl Iterator<Item = &str> {
        self.phases
            .iter()
            .flat_map(|p| p.steps.iter().map(|s| s.id.as_str()))
    }

    /// The number of steps.
    pub fn step_count(&self) -> usize {
        self.phases.iter().map(|p| p.steps.len()).sum()
    }
}

/// One phase of launch day, e.g. pre-launch at T-4h.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Stable id.
    pub id: String,
    /// What people read.
    pub title: String,
    /// When it starts, relative to T-0.
    pub at: Offset,
    /// Free-form notes.
    pub notes: Option<String>,
    /// Its steps, in order.
    pub steps: Vec<Step>,
}

/// One step of a phase.
#[derive(Debug, Clone)]
pub struct Step {
    /// Stable id, unique in the runbook.
    pub id: String,
    /// What people read.
    pub title: String,
    /// On the critical path: counts for `--gate critical` (with everything it runs).
    pub critical: bool,
    /// Who does it.
    pub owner: Option<String>,
    /// Free-form notes, e.g. what a person should look at.
    pub notes: Option<String>,
    /// What the step does.
    pub action: Action,
}

/// What a step does.
#[derive(Debug, Clone)]
pub enum Action {
    /// Runs checklist items (or groups) by id, with their dependencies, as `check --only` does.
    Run(Vec<String>),
    /// Runs its own probes; every one must pass.
    Probes(Vec<Arc<PlanProbe>>),
    /// A person confirms it at the prompt.
    Manual(Manual),
    /// Samples a probe every interval for a while.
    Watch(Watch),
}

impl Action {
    /// A word for the kind of step.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Run(_) => "run",
            Action::Probes(_) => "probes",
            Action::Manual(_) => "manual",
            Action::Watch(_) => "watch",
        }
    }
}

/// Which direction of a watched value is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Better {
    /// Lower values are better (latency, error rate): the worst is the highest.
    #[default]
    Lower,
    /// Higher values are better (throughput, free space): the worst is the lowest.
    Higher,
}

/// A watch: one probe sampled every `every` for `window`.
#[derive(Debug, Clone)]
pub struct Watch {
    /// The probe sampled.
    pub probe: Arc<PlanProbe>,
    /// The time between samples.
    pub every: Duration,
    /// How long to watch.
    pub window: Duration,
    /// The check whose observed number is tracked (its `expected` starts with
    /// this); the probe's duration when absent.
    pub metric: Option<String>,
    /// Which direction is better.
    pub better: Better,
    /// The share of samples (0–100) that may fail before the watch is red.
    pub max_failed: f64,
}

impl Watch {
    /// Samples in a whole window: one at the start, then one every `every`.
    pub fn expected_samples(&self) -> usize {
        samples_in(self.every, self.window)
    }
}

/// Samples in a window of `window` taken every `every`, the first at its start.
pub fn samples_in(every: Duration, window: Duration) -> usize {
    let every = every.as_millis().max(1);
    usize::try_from(window.as_millis() / every)
        .unwrap_or(usize::MAX)
        .saturating_add(1)
}

/// A moment relative to T-0, to the second: `T-4h`, `T-0`, `T+4h`, `T+1h30m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Offset(pub i64);

impl Offset {
    /// Parses `T-4h`, `T-0`, `T0`, `T+90m`, `T+1h 30m` (a leading `t` too).
    pub fn parse(text: &str) -> Result<Offset, String> {
        let bad =
            || format!("`{text}` is not an offset from T-0: write T-4h, T-0, T+30m or T+1h30m");
        let trimmed = text.trim();
        let rest = trimmed
            .strip_prefix('T')
            .or_else(|| trimmed.strip_prefix('t'))
            .ok_or_else(bad)?
            .trim_start();
        if matches!(rest, "0" | "-0" | "+0") {
            return Ok(Offset(0));
        }
        let (sign, amount) = if let Some(a) = rest.strip_prefix('-') {
            (-1, a)
        } else if let Some(a) = rest.strip_prefix('+') {
            (1, a)
        } else {
            return Err(bad());
        };
        let amount = amount.trim();
        if amount.is_empty() || amount.starts_with(['-', '+']) {
            return Err(bad());
        }
        let duration = crate::checklist::scalar::Dur::parse(amount)
            .map_err(|e| format!("`{text}`: {e}"))?
            .0;
        let seconds = i64::try_from(duration.as_secs()).map_err(|_| bad())?;
        if seconds > 366 * 86_400 {
            return Err(format!("`{text}` is more than a year from T-0"));
        }
        Ok(Offset(sign * seconds))
    }

    /// The offset as a signed duration.
    pub fn signed(self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(self.0)
    }

    /// The offset of `at` from `t0`, rounded down to the second.
    pub fn between(t0: jiff::Timestamp, at: jiff::Timestamp) -> Offset {
        Offset(at.as_second() - t0.as_second())
    }
}

impl fmt::Display for Offset {
    /// `T-4h`, `T-0`, `T+1h30m`, `T+45s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("T-0");
        }
        let sign = if self.0 < 0 { '-' } else { '+' };
        write!(f, "T{sign}{}", compact(self.0.unsigned_abs()))
    }
}

/// `4h`, `1h30m`, `2d3h`, `45s`: whole units, largest first, zeros left out.
pub fn compact(seconds: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut rest = seconds;
    let mut out = String::new();
    for (size, name) in units {
        if rest >= size {
            out.push_str(&format!("{}{name}", rest / size));
            rest %= size;
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

impl<'de> Deserialize<'de> for Offset {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OffsetVisitor;
        impl Visitor<'_> for OffsetVisitor {
            type Value = Offset;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an offset from T-0 such as T-4h, T-0 or T+4h")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Offset, E> {
                Offset::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(OffsetVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_and_print() {
        for (text, seconds, shown) in [
            ("T-4h", -4 * 3600, "T-4h"),
            ("T-0", 0, "T-0"),
            ("T0", 0, "T-0"),
            ("T+0", 0, "T-0"),
            ("T+4h", 4 * 3600, "T+4h"),
            ("t+90m", 5400, "T+1h30m"),
            ("T+1h 30m", 5400, "T+1h30m"),
            ("T-45s", -45, "T-45s"),
            ("T+2d", 2 * 86_400, "T+2d"),
        ] {
            let offset = Offset::parse(text).unwrap();
            assert_eq!(offset.0, seconds, "{text}");
            assert_eq!(offset.to_string(), shown, "{text}");
        }
        for bad in ["4h", "T", "T-", "T4h", "T--4h", "T-4", "T-soon", "T+400d"] {
            assert!(Offset::parse(bad).is_err(), "{bad}");
        }
        assert!(Offset::parse("T-4").unwrap_err().contains("no unit"));
    }

    #[test]
    fn watches_count_their_samples() {
        let minute = Duration::from_secs(60);
        assert_eq!(samples_in(minute, 30 * minute), 31);
        assert_eq!(samples_in(10 * minute, 25 * minute), 3);
    }
}
