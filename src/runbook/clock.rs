//! The runbook's one clock: real time, or a simulated clock for tests and
//! rehearsals.
//!
//! - **Real** (the default): now is the system's wall clock. With
//!   `CANDLEFISH_NOW` set, now starts there and advances in real time, so a
//!   rehearsal can pretend it is launch day. Waits look at the wall clock every
//!   second, so after a laptop slept through a countdown, it ends on time.
//! - **Simulated** (`CANDLEFISH_CLOCK=simulated`): now starts at
//!   `CANDLEFISH_NOW` (else the system time) and advances only when the runbook
//!   waits — and then at once. A countdown to the next phase or a 30-minute
//!   watch window passes instantly; every record is stamped with the simulated
//!   time. Probes still talk to real systems in real time.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;

/// The variable that selects the clock: `real` (default) or `simulated`.
pub const CLOCK_VAR: &str = "CANDLEFISH_CLOCK";

/// Where "now" comes from.
#[derive(Debug, Clone)]
pub struct Clock {
    inner: Arc<Inner>,
}

#[derive(Debug)]
enum Inner {
    /// The system's wall clock, shifted by `offset` (`CANDLEFISH_NOW`). Wall
    /// time, not a monotonic clock: after a laptop sleeps, now is now.
    Real {
        offset: jiff::SignedDuration,
    },
    Simulated {
        now: Mutex<Timestamp>,
    },
}

/// The longest real wait between two looks at the wall clock, so a wait ends
/// on time even when the machine slept in the middle of it.
const TICK: Duration = Duration::from_secs(1);

impl Clock {
    /// Real time, starting at `start` (the system time, or `CANDLEFISH_NOW`).
    pub fn real(start: Timestamp) -> Clock {
        Clock {
            inner: Arc::new(Inner::Real {
                offset: start.duration_since(Timestamp::now()),
            }),
        }
    }

    /// Simulated time, starting at `start`: waiting advances it at once.
    pub fn simulated(start: Timestamp) -> Clock {
        Clock {
            inner: Arc::new(Inner::Simulated {
                now: Mutex::new(start),
            }),
        }
    }

    /// The system's clock, as it is.
    pub fn system() -> Clock {
        Clock {
            inner: Arc::new(Inner::Real {
                offset: jiff::SignedDuration::ZERO,
            }),
        }
    }

    /// The clock `CANDLEFISH_CLOCK` asks for, starting at `start`
    /// (`CANDLEFISH_NOW`) or at the system's time.
    pub fn from_env(start: Option<Timestamp>) -> Result<Clock, String> {
        match std::env::var(CLOCK_VAR).as_deref() {
            Err(_) | Ok("" | "real") => Ok(start.map_or_else(Clock::system, Clock::real)),
            Ok("simulated") => Ok(Clock::simulated(start.unwrap_or_else(Timestamp::now))),
            Ok(other) => Err(format!(
                "{CLOCK_VAR}=`{other}`: the clock is `real` (the default) or `simulated` (for tests and rehearsals)"
            )),
        }
    }

    /// True for the simulated clock.
    pub fn is_simulated(&self) -> bool {
        matches!(*self.inner, Inner::Simulated { .. })
    }

    /// Now, to the second.
    pub fn now(&self) -> Timestamp {
        let now = self.precise();
        Timestamp::from_second(now.as_second()).unwrap_or(now)
    }

    /// Waits `duration`: really, or by advancing the simulated clock.
    pub async fn sleep(&self, duration: Duration) {
        let step = jiff::SignedDuration::try_from(duration).unwrap_or_default();
        let now = self.precise();
        self.sleep_until(now.checked_add(step).unwrap_or(now)).await;
    }

    /// Waits until `at` (at once when it has passed). Real waits look at the
    /// wall clock every second, so they end on time after the machine slept.
    pub async fn sleep_until(&self, at: Timestamp) {
        match &*self.inner {
            Inner::Real { .. } => loop {
                let left = at.duration_since(self.precise());
                if !left.is_positive() {
                    return;
                }
                tokio::time::sleep(left.unsigned_abs().min(TICK)).await;
            },
            Inner::Simulated { now } => {
                {
                    let mut now = now
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    *now = (*now).max(at);
                }
                // Let other tasks (Ctrl-C) run, as a real wait would.
                tokio::task::yield_now().await;
            }
        }
    }

    /// Now, to the nanosecond.
    fn precise(&self) -> Timestamp {
        match &*self.inner {
            Inner::Real { offset } => {
                let wall = Timestamp::now();
                wall.checked_add(*offset).unwrap_or(wall)
            }
            Inner::Simulated { now } => *now
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[tokio::test]
    async fn simulated_time_moves_only_when_waiting() {
        let clock = Clock::simulated(at("2026-12-01T11:00:00Z"));
        assert_eq!(clock.now(), at("2026-12-01T11:00:00Z"));
        clock.sleep(Duration::from_secs(1800)).await;
        assert_eq!(clock.now(), at("2026-12-01T11:30:00Z"));
        clock.sleep_until(at("2026-12-01T15:00:00Z")).await;
        assert_eq!(clock.now(), at("2026-12-01T15:00:00Z"));
        // A moment in the past does not move it back.
        clock.sleep_until(at("2026-12-01T12:00:00Z")).await;
        assert_eq!(clock.now(), at("2026-12-01T15:00:00Z"));
    }

    #[test]
    fn real_time_starts_where_it_is_told() {
        let clock = Clock::real(at("2026-12-01T11:00:00Z"));
        let now = clock.now();
        assert!(now >= at("2026-12-01T11:00:00Z") && now < at("2026-12-01T11:01:00Z"));
        assert!(!clock.is_simulated());
    }
}
