//! One probe, attempted as its persistence says: once, with retries and
//! doubling waits, or again and again until it passes or a deadline passes.
//! Each attempt runs under the probe's own deadline.
//!
//! A probe that passed only after failing is *flaky*: that is information, so
//! the outcome says so and its evidence keeps the first failure.

use std::time::{Duration, Instant};

use crate::checklist::scalar::format_duration;
use crate::engine::plan::{MAX_RETRY_DELAY, Persistence, PlanProbe};
use crate::outcome::{ProbeOutcome, Verdict};
use crate::probe::{Context, Finding};

/// The wait before retry number `retry` (1-based): `delay`, doubled each time, capped.
pub fn backoff(delay: Duration, retry: u32) -> Duration {
    let factor = 2u32.saturating_pow(retry.saturating_sub(1));
    delay.saturating_mul(factor).min(MAX_RETRY_DELAY)
}

async fn once(probe: &PlanProbe, ctx: &Context) -> Finding {
    let stage = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    // Boxed: probe futures are large, and this one is held across retries.
    let run = Box::pin(crate::probe::staged(
        std::sync::Arc::clone(&stage),
        probe.kind.run(ctx),
    ));
    if let Ok(finding) = tokio::time::timeout(probe.timeout, run).await {
        return finding;
    }
    let stage = stage.lock().map(|s| s.clone()).unwrap_or_default();
    let within = format_duration(probe.timeout);
    Finding::error(if stage.is_empty() {
        format!("no answer within {within} (timeout)")
    } else {
        format!("no answer within {within} (timeout) {stage}")
    })
}

fn passed(verdict: Verdict) -> bool {
    matches!(verdict, Verdict::Pass | Verdict::Warn)
}

/// Runs `probe` to its final outcome, with the secrets its attempts learnt
/// while running (a flow's captured tokens) for the engine to mask.
pub async fn attempt(probe: &PlanProbe, ctx: &Context) -> (ProbeOutcome, Vec<String>) {
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let mut attempts = 0u32;
    let mut first_failure: Option<String> = None;
    let mut learnt: Vec<String> = Vec::new();
    let finding = loop {
        attempts += 1;
        let mut finding = once(probe, ctx).await;
        learnt.append(&mut finding.secrets);
        if passed(finding.verdict) {
            break finding;
        }
        first_failure.get_or_insert_with(|| finding.evidence.clone());
        match probe.persistence {
            Persistence::Once => break finding,
            Persistence::Retry { retries, delay } => {
                if attempts > retries {
                    break finding;
                }
                tokio::time::sleep(backoff(delay, attempts)).await;
            }
            Persistence::WaitUntil { deadline, interval } => {
                if clock.elapsed() + interval >= deadline {
                    break finding;
                }
                tokio::time::sleep(interval).await;
            }
        }
    };
    let ok = passed(finding.verdict);
    let elapsed = format_duration(clock.elapsed());
    let mut evidence = finding.evidence;
    let mut flaky = false;
    match probe.persistence {
        Persistence::Retry { retries, .. } if attempts > 1 => {
            if ok {
                flaky = true;
                let first = first_failure.unwrap_or_default();
                evidence = format!(
                    "{evidence}; flaky: passed on attempt {attempts} of {}, attempt 1 said: {first}",
                    retries + 1
                );
            } else {
                evidence = format!("{evidence} (all {attempts} attempts failed)");
            }
        }
        Persistence::WaitUntil { .. } => {
            evidence = if ok {
                format!("{evidence}; passed after {elapsed} ({attempts} attempts)")
            } else {
                format!("{evidence}; still not passing after {elapsed} ({attempts} attempts)")
            };
        }
        _ => {}
    }
    let outcome = ProbeOutcome {
        kind: probe.kind.name().to_owned(),
        name: probe.name.clone(),
        target: probe.kind.target(),
        verdict: finding.verdict,
        evidence,
        checks: finding.checks,
        started_at: Some(started_at.to_string()),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        attempts,
        flaky,
        steps: finding.steps,
    };
    (outcome, learnt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let d = Duration::from_secs(1);
        assert_eq!(backoff(d, 1), Duration::from_secs(1));
        assert_eq!(backoff(d, 2), Duration::from_secs(2));
        assert_eq!(backoff(d, 3), Duration::from_secs(4));
        assert_eq!(backoff(d, 10), MAX_RETRY_DELAY);
        assert_eq!(backoff(d, 40), MAX_RETRY_DELAY);
    }
}
