//! Running one step: checklist items through the engine (the manual ones put
//! to a person, see `manual.rs`), a step's own probes, a person's
//! confirmation (`manual.rs`) or a watch (`watch.rs`). Each returns the step's
//! result as an item; the driver journals it.

use std::collections::HashMap;
use std::sync::Arc;

use super::driver::{Driver, Stopped};
use super::manual::Override;
use crate::commands::Exit;
use crate::commands::store::attestations;
use crate::engine::attest::Attestations;
use crate::engine::plan::{Plan, PlanItem, PlanProbe};
use crate::engine::rollup::{self, roll_up};
use crate::engine::select::{Selector, select};
use crate::engine::{RunOptions, run as run_engine};
use crate::outcome::{Basis, ItemReport, ProbeOutcome, Report, Status};
use crate::runbook::journal::{self, Finish, Record, Reply};
use crate::runbook::plan::{Action, Phase, Step};
use crate::runbook::record::clock;
use crate::runbook::replay::Attempt;
use crate::runbook::timeline::blank_result;
use crate::runbook::watch::Summary;

/// A step's result, before it is journaled.
pub struct Done {
    /// The step as an item.
    pub result: ItemReport,
    /// False while a person's sign-off is missing in a non-interactive run.
    pub settled: bool,
    /// A watch's summary.
    pub watch: Option<Summary>,
}

impl Driver {
    /// Runs `step`, continuing `attempt` (answers and samples already journaled).
    pub(super) async fn step(
        &mut self,
        phase: &Phase,
        step: &Step,
        attempt: &Attempt,
    ) -> Result<Done, Stopped> {
        match &step.action {
            Action::Run(ids) => self.run_items(phase, step, ids, attempt).await,
            Action::Probes(probes) => {
                let plan = self.own_plan(step, probes.clone());
                let report = self.engine(&plan, Attestations::new()).await?;
                let result = report
                    .items
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| nothing(step));
                Ok(Done {
                    result,
                    settled: true,
                    watch: None,
                })
            }
            Action::Manual(rule) => self.manual(phase, step, rule, attempt).await,
            Action::Watch(w) => self.watch(phase, step, w, attempt).await,
        }
    }

    /// Journals a step's result.
    pub(super) fn finish(&self, phase: &Phase, step: &Step, done: Done) -> Result<(), Stopped> {
        self.append(&Record::Finish(Box::new(Finish {
            at: self.now(),
            by: self.cx.by.clone(),
            session: self.session.clone(),
            phase: phase.id.clone(),
            step: step.id.clone(),
            result: done.result,
            settled: done.settled,
            watch: done.watch,
        })))
    }

    /// A plan of one item holding the step's own probes.
    pub(super) fn own_plan(&self, step: &Step, probes: Vec<Arc<PlanProbe>>) -> Plan {
        Plan {
            info: self.cx.plan.info.clone(),
            base_dir: self.cx.plan.base_dir.clone(),
            signoffs: self.cx.plan.signoffs.clone(),
            items: vec![PlanItem {
                id: step.id.clone(),
                title: step.title.clone(),
                owner: step.owner.clone(),
                tags: Vec::new(),
                critical: step.critical,
                optional: false,
                deferred: false,
                depends_on: Vec::new(),
                due: None,
                declared: None,
                manual: None,
                notes: step.notes.clone(),
                docs: None,
                probes,
                items: Vec::new(),
            }],
        }
    }

    /// Runs a plan to its report; Ctrl-C stops it (journaled).
    pub(super) async fn engine(
        &self,
        plan: &Plan,
        attested: Attestations,
    ) -> Result<Report, Stopped> {
        let options = RunOptions {
            cancel: Some(self.cx.cancel.clone()),
            attested,
            started_at: Some(self.cx.clock.now()),
            ..RunOptions::default()
        };
        let report = run_engine(plan, &options, None).await;
        if report.interrupted || self.cx.cancel.is_cancelled() {
            return Err(self.stop("interrupted", Exit::Interrupted));
        }
        Ok(report)
    }

    fn attested(&self, plan: &Plan) -> Result<Attestations, Stopped> {
        attestations(
            &self.cx.store,
            plan,
            self.now(),
            self.cx.clock.is_simulated(),
        )
        .map(|(a, _)| a)
        .map_err(|e| {
            eprintln!("error: cannot read the sign-off store: {e}");
            Exit::Usage
        })
    }

    /// A step that runs checklist items: the engine runs them (with what they
    /// depend on); then each manual item that is not green is put to a person,
    /// whose sign-off goes to the sign-off store like `candlefish sign`.
    async fn run_items(
        &mut self,
        phase: &Phase,
        step: &Step,
        ids: &[String],
        attempt: &Attempt,
    ) -> Result<Done, Stopped> {
        let selectors: Vec<Selector> = ids.iter().map(|id| Selector::Id(id.clone())).collect();
        let plan = select(&self.cx.plan, &selectors).map_err(|e| {
            eprintln!("error: {e}");
            Exit::Usage
        })?;
        let report = self.engine(&plan, self.attested(&plan)?).await?;
        let mut outcomes: HashMap<usize, Vec<ProbeOutcome>> = HashMap::new();
        let reported = report.all_items();
        for (index, item) in plan.walk().iter().enumerate() {
            if let Some(found) = reported.iter().find(|r| r.id == item.id) {
                outcomes.insert(index, found.probes.clone());
            }
        }
        let mut overrides: HashMap<String, Override> = HashMap::new();
        for answer in &attempt.answers {
            let Some(item) = &answer.item else { continue };
            let reason = format!(
                "{} by {} at {}: {}",
                answer.reply.done(),
                answer.by,
                clock(self.cx.t0, answer.at),
                answer.reason.as_deref().unwrap_or("")
            );
            match answer.reply {
                Reply::Fail => overrides.insert(item.clone(), Override::Fail(reason)),
                Reply::Skip => overrides.insert(item.clone(), Override::Skip(reason)),
                Reply::Confirm => None,
            };
        }
        let manual: Vec<&PlanItem> = plan
            .walk()
            .into_iter()
            .filter(|i| i.manual.is_some() && i.items.is_empty() && !i.deferred)
            .collect();
        let mut settled = true;
        for item in manual {
            loop {
                if overrides.contains_key(&item.id) {
                    break;
                }
                let items =
                    rollup::build_at(&plan, outcomes.clone(), &self.attested(&plan)?, self.now());
                let Some(now) = items
                    .iter()
                    .flat_map(ItemReport::walk)
                    .find(|i| i.id == item.id)
                else {
                    break;
                };
                if matches!(now.status, Status::Green | Status::White) {
                    break;
                }
                if self.cx.mode == journal::Mode::NonInteractive {
                    settled = false;
                    break;
                }
                let now = now.clone();
                if let Some(o) = self.ask_item(phase, step, item, &now).await? {
                    overrides.insert(item.id.clone(), o);
                }
            }
        }
        let mut items = rollup::build_at(&plan, outcomes, &self.attested(&plan)?, self.now());
        for (id, o) in &overrides {
            let (status, reason) = match o {
                Override::Fail(r) => (Status::Red, r),
                Override::Skip(r) => (Status::White, r),
            };
            for item in &mut items {
                patch(item, id, status, reason);
            }
        }
        let children: Vec<ItemReport> = ids
            .iter()
            .filter_map(|id| {
                items
                    .iter()
                    .flat_map(ItemReport::walk)
                    .find(|i| i.id == *id)
                    .cloned()
            })
            .collect();
        let statuses: Vec<Status> = children.iter().map(|c| c.status).collect();
        let status = if children.is_empty() {
            Status::Red
        } else {
            roll_up(&statuses)
        };
        let reason = children
            .iter()
            .flat_map(ItemReport::walk)
            .find(|i| i.items.is_empty() && matches!(i.status, Status::Red | Status::Yellow))
            .map(|i| format!("`{}`: {}", i.id, i.reason))
            .unwrap_or_default();
        let mut result = nothing(step);
        result.status = status;
        result.basis = Basis::Children;
        result.reason = reason;
        result.items = children;
        Ok(Done {
            result,
            settled,
            watch: None,
        })
    }
}

/// A step's result before anything is known.
pub(super) fn nothing(step: &Step) -> ItemReport {
    blank_result(step, "nothing ran")
}

/// Gives the item `id` in `item`'s subtree a person's status and reason, and
/// rolls its ancestors up again. True when it was found.
fn patch(item: &mut ItemReport, id: &str, status: Status, reason: &str) -> bool {
    if item.id == id {
        item.status = status;
        item.basis = Basis::Manual;
        reason.clone_into(&mut item.reason);
        return true;
    }
    let mut found = false;
    for child in &mut item.items {
        found |= patch(child, id, status, reason);
    }
    if found {
        let mut statuses: Vec<Status> = item.items.iter().map(|c| c.status).collect();
        if !item.probes.is_empty() {
            statuses.push(rollup::probe_status(&item.probes).0);
        }
        item.status = roll_up(&statuses);
    }
    found
}
