//! The engine: runs a [`Plan`]'s probes under a global and a per-host
//! concurrency limit, in dependency order, each with its deadline and
//! persistence (retries, `wait_until`), then rolls the outcomes up into a
//! [`Report`].
//!
//! Workers never print. Progress goes out as [`Event`]s to whoever owns the
//! terminal; the result is plain data.

pub mod attempt;
pub mod attest;
pub mod gate;
pub mod graph;
pub mod merge;
pub mod plan;
pub mod redact;
pub mod rollup;
mod schedule;
pub mod select;
pub mod shard;

use std::collections::HashMap;
use std::time::Instant;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::engine::plan::Plan;
use crate::outcome::{ProbeOutcome, Report, SCHEMA_VERSION, Verdict};

/// The default number of probes in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// The default number of probes in flight against one `host:port`.
pub const DEFAULT_PER_HOST: usize = 8;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Probes in flight at once (at least 1).
    pub concurrency: usize,
    /// Probes in flight against one `host:port` (at least 1).
    pub per_host: usize,
    /// Run the probes of items whose dependencies are not green (they stay red).
    pub run_blocked: bool,
    /// Cancelling stops the run: nothing new starts, probes in flight are dropped.
    pub cancel: Option<CancellationToken>,
    /// Sign-offs and waivers, evaluated by the caller at one instant.
    pub attested: attest::Attestations,
    /// When the run starts on the caller's clock (`CANDLEFISH_NOW`, a
    /// runbook's simulated time); `None` is the system clock. The report's
    /// `started_at` and every probe's are stamped from it.
    pub started_at: Option<jiff::Timestamp>,
    /// Start no process (`check --no-exec`): `exec` probes fail "exec disabled
    /// by policy". `CANDLEFISH_NO_EXEC=1` has the same effect on every run.
    pub no_exec: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: DEFAULT_CONCURRENCY,
            per_host: DEFAULT_PER_HOST,
            run_blocked: false,
            cancel: None,
            attested: attest::Attestations::new(),
            started_at: None,
            no_exec: false,
        }
    }
}

/// Progress, for the coordinator that owns the terminal.
#[derive(Debug, Clone)]
pub enum Event {
    /// The run starts with this many probes.
    Planned {
        /// Probes that will run or be skipped.
        probes: usize,
    },
    /// A probe finished (or was skipped because a dependency is not green).
    Finished {
        /// The item the probe belongs to.
        item: String,
        /// Its verdict.
        verdict: Verdict,
    },
}

/// Runs every probe of `plan` and returns the report (without a gate verdict).
pub async fn run(
    plan: &Plan,
    options: &RunOptions,
    events: Option<mpsc::UnboundedSender<Event>>,
) -> Report {
    let system_start = jiff::Timestamp::now();
    let started_at = options.started_at.unwrap_or(system_start);
    // Probes stamp themselves by the system clock; moved onto the caller's.
    let shift = started_at.duration_since(system_start);
    let clock = Instant::now();
    let mut tasks = Vec::new();
    for (item_index, item) in plan.walk().into_iter().enumerate() {
        if item.deferred {
            continue;
        }
        for probe in &item.probes {
            tasks.push(schedule::Task {
                item: item_index,
                item_id: item.id.clone(),
                host: probe.kind.host(),
                probe: std::sync::Arc::clone(probe),
            });
        }
    }
    if let Some(tx) = &events {
        let _ = tx.send(Event::Planned {
            probes: tasks.len(),
        });
    }
    let items_of_tasks: Vec<usize> = tasks.iter().map(|t| t.item).collect();
    // One clock for the whole run: dependencies and the roll-up judge due dates alike.
    let mut options = options.clone();
    options.started_at = Some(started_at);
    let options = &options;
    let finished = schedule::run(plan, tasks, options, events.as_ref()).await;
    // Outcomes live until the report is written: keep them at their size
    // (most items have one probe; a vector grown by `push` holds four).
    let mut by_item: HashMap<usize, Vec<ProbeOutcome>> = HashMap::new();
    for (item, mut outcome) in items_of_tasks.into_iter().zip(finished.outcomes) {
        outcome.checks.shrink_to_fit();
        if !shift.is_zero()
            && let Some(at) = outcome.started_at.as_deref()
            && let Ok(at) = at.parse::<jiff::Timestamp>()
            && let Ok(moved) = at.checked_add(shift)
        {
            outcome.started_at = Some(moved.to_string());
        }
        by_item.entry(item).or_default().push(outcome);
    }
    for outcomes in by_item.values_mut() {
        outcomes.shrink_to_fit();
    }
    let items = rollup::build_at(plan, by_item, &options.attested, started_at);
    let summary = rollup::summarize(&items);
    let status = rollup::roll_up(&items.iter().map(|i| i.status).collect::<Vec<_>>());
    Report {
        schema_version: SCHEMA_VERSION,
        tool: concat!("candlefish ", env!("CARGO_PKG_VERSION")).to_owned(),
        checklist: plan.info.clone(),
        started_at: started_at.to_string(),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        status,
        summary,
        gate: None,
        interrupted: finished.interrupted,
        warnings: Vec::new(),
        items,
        shard: None,
    }
}
