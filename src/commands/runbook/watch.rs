//! A watch step's sampling loop: one sample at each `every` since the
//! attempt started, on the runbook's clock, each journaled as it is taken (so
//! a resumed watch keeps them and continues its window); then
//! `runbook::watch` judges the window.

use std::sync::Arc;

use super::driver::{Driver, Stopped};
use super::steps::{Done, nothing};
use crate::commands::say;
use crate::engine::attest::Attestations;
use crate::outcome::{Basis, ProbeOutcome};
use crate::runbook::journal::{self, Record};
use crate::runbook::plan::{Phase, Step, Watch};
use crate::runbook::record::clock;
use crate::runbook::replay::Attempt;
use crate::runbook::watch;

impl Driver {
    /// A watch: one sample at each `every` since the attempt started, until the
    /// window ends; samples journaled as they come, so a resumed watch keeps them.
    pub(super) async fn watch(
        &mut self,
        phase: &Phase,
        step: &Step,
        w: &Watch,
        attempt: &Attempt,
    ) -> Result<Done, Stopped> {
        let start = attempt
            .started
            .as_ref()
            .map_or_else(|| self.now(), |s| s.at);
        let every = jiff::SignedDuration::try_from(w.every).unwrap_or_default();
        let slot_at = |k: usize| {
            let k = i32::try_from(k).unwrap_or(i32::MAX);
            start.checked_add(every * k).unwrap_or(start)
        };
        let expected = w.expected_samples();
        // The slots since the start: the first at or after `t`, and the last at or before it.
        let elapsed = |t: jiff::Timestamp| t.duration_since(start).as_millis().max(0);
        let millis = every.as_millis().max(1);
        let slot_after =
            |t| usize::try_from((elapsed(t) + millis - 1) / millis).unwrap_or(usize::MAX);
        let slot_of = |t| usize::try_from(elapsed(t) / millis).unwrap_or(usize::MAX);
        let mut samples = attempt.samples.clone();
        let mut next = samples
            .last()
            .map_or(0, |s| slot_of(s.at).saturating_add(1))
            .max(slot_after(self.now()));
        let plan = self.own_plan(step, vec![Arc::clone(&w.probe)]);
        let mut last: Option<ProbeOutcome> = None;
        while next < expected {
            self.cancellable(self.cx.clock.sleep_until(slot_at(next)))
                .await?;
            let taken = self.now();
            let report = self.engine(&plan, Attestations::new()).await?;
            let Some(outcome) = report
                .items
                .into_iter()
                .next()
                .and_then(|i| i.probes.into_iter().next())
            else {
                break;
            };
            let value = watch::value(&outcome, w.metric.as_deref());
            let sample = journal::Sample {
                at: taken,
                session: self.session.clone(),
                phase: phase.id.clone(),
                step: step.id.clone(),
                verdict: outcome.verdict,
                value: value.as_ref().map(|v| v.0),
                unit: value.map(|v| v.1).unwrap_or_default(),
                evidence: outcome.evidence.clone(),
            };
            self.append(&Record::Sample(sample.clone()))?;
            say!(
                "      {} sample {}/{expected} at {}: {}{}",
                super::show::glyph(
                    crate::engine::rollup::probe_status(std::slice::from_ref(&outcome)).0,
                    self.cx.ascii
                ),
                next + 1,
                clock(self.cx.t0, sample.at),
                sample.verdict.word(),
                sample
                    .value
                    .map(|v| format!(" {}", watch::shown(v, &sample.unit)))
                    .unwrap_or_default()
            );
            samples.push(sample);
            last = Some(outcome);
            next = (next + 1).max(slot_after(self.now()));
        }
        let summary = watch::summarize(w, &samples);
        let mut result = nothing(step);
        result.status = summary.status;
        result.basis = Basis::Probes;
        result.reason.clone_from(&summary.reason);
        result.probes = last.into_iter().collect();
        Ok(Done {
            result,
            settled: true,
            watch: Some(summary),
        })
    }
}
