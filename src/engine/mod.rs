//! The engine: runs a [`Plan`]'s probes concurrently under a concurrency limit
//! and a deadline per probe, then rolls the outcomes up into a [`Report`].
//!
//! Workers never print. Progress goes out as [`Event`]s to whoever owns the
//! terminal; the result is plain data.

pub mod attest;
pub mod gate;
pub mod plan;
pub mod redact;
pub mod rollup;
pub mod select;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use futures::FutureExt as _;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;

use crate::checklist::scalar::format_duration;
use crate::engine::plan::{Declared, Plan, PlanProbe};
use crate::engine::redact::Redactor;
use crate::outcome::{ProbeOutcome, Report, SCHEMA_VERSION, Verdict};
use crate::probe::{Context, Finding};

/// The default number of probes in flight at once.
pub const DEFAULT_CONCURRENCY: usize = 32;

/// How to run a plan.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Probes in flight at once (at least 1).
    pub concurrency: usize,
    /// Sign-offs and waivers, evaluated by the caller at one instant.
    pub attested: attest::Attestations,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            concurrency: DEFAULT_CONCURRENCY,
            attested: attest::Attestations::new(),
        }
    }
}

/// Progress, for the coordinator that owns the terminal.
#[derive(Debug, Clone)]
pub enum Event {
    /// The run starts with this many probes.
    Planned {
        /// Probes that will run.
        probes: usize,
    },
    /// A probe finished.
    Finished {
        /// The item the probe belongs to.
        item: String,
        /// Its verdict.
        verdict: Verdict,
    },
}

struct Task {
    item_index: usize,
    item_id: String,
    probe: PlanProbe,
}

/// Runs every probe of `plan` and returns the report (without a gate verdict).
pub async fn run(
    plan: &Plan,
    options: &RunOptions,
    events: Option<mpsc::UnboundedSender<Event>>,
) -> Report {
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let redactor = Arc::new(Redactor::from_plan(plan));
    let mut tasks = Vec::new();
    for (item_index, item) in plan.walk().into_iter().enumerate() {
        if item.declared == Some(Declared::Deferred) {
            continue;
        }
        for probe in &item.probes {
            tasks.push(Task {
                item_index,
                item_id: item.id.clone(),
                probe: probe.clone(),
            });
        }
    }
    if let Some(tx) = &events {
        let _ = tx.send(Event::Planned {
            probes: tasks.len(),
        });
    }
    let ctx = Arc::new(Context::new(plan.base_dir.clone()));
    let limit = Arc::new(Semaphore::new(options.concurrency.max(1)));
    let mut running = JoinSet::new();
    let mut slots: Vec<(usize, String, Option<ProbeOutcome>)> = Vec::with_capacity(tasks.len());
    for (slot, task) in tasks.into_iter().enumerate() {
        slots.push((task.item_index, task.probe.kind.name().to_owned(), None));
        let Ok(permit) = Arc::clone(&limit).acquire_owned().await else {
            break;
        };
        let ctx = Arc::clone(&ctx);
        let redactor = Arc::clone(&redactor);
        let events = events.clone();
        running.spawn(async move {
            let _permit = permit;
            let attempt = std::panic::AssertUnwindSafe(run_probe(&task.probe, &ctx));
            let mut outcome = attempt.catch_unwind().await.unwrap_or_else(|_| {
                ProbeOutcome::bare(
                    task.probe.kind.name(),
                    task.probe.kind.target(),
                    Verdict::Error,
                    "the probe crashed: this is a bug in Candlefish, please report it".to_owned(),
                )
            });
            redactor.outcome(&mut outcome);
            if let Some(tx) = events {
                let _ = tx.send(Event::Finished {
                    item: task.item_id,
                    verdict: outcome.verdict,
                });
            }
            (slot, outcome)
        });
    }
    while let Some(joined) = running.join_next().await {
        if let Ok((slot, outcome)) = joined {
            slots[slot].2 = Some(outcome);
        }
    }
    let mut by_item: HashMap<usize, Vec<ProbeOutcome>> = HashMap::new();
    for (item_index, kind, outcome) in slots {
        let outcome = outcome.unwrap_or_else(|| {
            ProbeOutcome::bare(&kind, String::new(), Verdict::Skipped, "not run".to_owned())
        });
        by_item.entry(item_index).or_default().push(outcome);
    }
    let items = rollup::build(plan, by_item, &options.attested);
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
        interrupted: false,
        warnings: Vec::new(),
        items,
    }
}

/// Runs one probe attempt under its deadline.
async fn run_probe(probe: &PlanProbe, ctx: &Context) -> ProbeOutcome {
    let started_at = jiff::Timestamp::now();
    let clock = Instant::now();
    let finding = match tokio::time::timeout(probe.timeout, probe.kind.run(ctx)).await {
        Ok(finding) => finding,
        Err(_) => Finding::error(format!(
            "no answer within {} (timeout)",
            format_duration(probe.timeout)
        )),
    };
    ProbeOutcome {
        kind: probe.kind.name().to_owned(),
        target: probe.kind.target(),
        verdict: finding.verdict,
        evidence: finding.evidence,
        checks: finding.checks,
        started_at: Some(started_at.to_string()),
        duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
        attempts: 1,
    }
}
