//! Running one step: checklist items through the engine (asking a person to
//! sign off the manual ones, recorded in the sign-off store), a step's own
//! probes, a person's confirmation, or a watch that samples a probe on the
//! runbook's clock. Each returns the step's result as an item; the driver
//! journals it.

use std::collections::HashMap;
use std::sync::Arc;

use super::driver::{Driver, Stopped};
use super::prompt::Answer;
use crate::checklist::model::Manual;
use crate::commands::Exit;
use crate::commands::store::attestations;
use crate::engine::attest::{Attestations, manual_status};
use crate::engine::plan::{Plan, PlanItem, PlanProbe};
use crate::engine::rollup::{self, roll_up};
use crate::engine::select::{Selector, select};
use crate::engine::{RunOptions, run as run_engine};
use crate::outcome::{Basis, ItemReport, ProbeOutcome, Report, Signoff, Status};
use crate::report::printable;
use crate::runbook::journal::{self, Attempt, Finish, Record, Reply};
use crate::runbook::plan::{Action, Phase, Step, Watch};
use crate::runbook::record::clock;
use crate::runbook::watch::{self, Summary};
use crate::state::log::Log;
use crate::state::record::{Record as StoreRecord, Signed};

/// A step's result, before it is journaled.
pub struct Done {
    /// The step as an item.
    pub result: ItemReport,
    /// False while a person's sign-off is missing in a non-interactive run.
    pub settled: bool,
    /// A watch's summary.
    pub watch: Option<Summary>,
}

/// A person's answer about one checklist item, replayed from the journal.
enum Override {
    Fail(String),
    Skip(String),
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
                let mut result = report
                    .items
                    .into_iter()
                    .next()
                    .unwrap_or_else(|| nothing(step));
                Self::dress(step, &mut result);
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

    fn dress(step: &Step, result: &mut ItemReport) {
        result.id.clone_from(&step.id);
        result.title.clone_from(&step.title);
        result.critical = step.critical;
        result.owner.clone_from(&step.owner);
        result.notes.clone_from(&step.notes);
    }

    /// A plan of one item holding the step's own probes.
    fn own_plan(&self, step: &Step, probes: Vec<Arc<PlanProbe>>) -> Plan {
        Plan {
            info: self.cx.plan.info.clone(),
            base_dir: self.cx.plan.base_dir.clone(),
            items: vec![PlanItem {
                id: step.id.clone(),
                title: step.title.clone(),
                owner: step.owner.clone(),
                tags: Vec::new(),
                critical: step.critical,
                optional: false,
                deferred: false,
                depends_on: Vec::new(),
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
    async fn engine(&self, plan: &Plan, attested: Attestations) -> Result<Report, Stopped> {
        let options = RunOptions {
            cancel: Some(self.cx.cancel.clone()),
            attested,
            ..RunOptions::default()
        };
        let report = run_engine(plan, &options, None).await;
        if report.interrupted || self.cx.cancel.is_cancelled() {
            return Err(self.stop("interrupted", Exit::Interrupted));
        }
        Ok(report)
    }

    fn attested(&self, plan: &Plan) -> Result<Attestations, Stopped> {
        attestations(&self.cx.store, plan, self.now())
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
                let items = rollup::build(&plan, outcomes.clone(), &self.attested(&plan)?);
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
        let mut items = rollup::build(&plan, outcomes, &self.attested(&plan)?);
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

    /// Puts a manual checklist item to the person at the terminal. A
    /// confirmation is signed off in the store (then the caller looks again);
    /// fail and skip come back as overrides.
    async fn ask_item(
        &mut self,
        phase: &Phase,
        step: &Step,
        item: &PlanItem,
        now: &ItemReport,
    ) -> Result<Option<Override>, Stopped> {
        let Some(rule) = item.manual.clone() else {
            return Ok(None);
        };
        println!(
            "      ✋ {} {} — {}",
            item.id,
            printable(&item.title),
            printable(&now.reason)
        );
        let answer = self
            .ask(
                "      [c]onfirm / [f]ail / [s]kip (reason) / [q]uit > ",
                "cfsq",
            )
            .await?;
        let signed: Vec<String> = now
            .signoffs
            .iter()
            .filter(|s| !s.stale)
            .map(|s| s.by.clone())
            .collect();
        match answer {
            Answer::Confirm(evidence) => {
                let evidence = self.evidence(evidence, rule.evidence_required).await?;
                let by = self.who(&signed).await?;
                self.sign(item, &rule, &by, evidence.clone())?;
                self.answer(
                    phase,
                    step,
                    Some(&item.id),
                    Reply::Confirm,
                    &by,
                    evidence,
                    None,
                )?;
                Ok(None)
            }
            answer @ (Answer::Fail(_) | Answer::Skip(_)) => {
                let fail = matches!(answer, Answer::Fail(_));
                let (Answer::Fail(reason) | Answer::Skip(reason)) = answer else {
                    return Ok(None);
                };
                let reason = self.text(reason, "      reason > ").await?;
                let by = self.cx.by.clone();
                let reply = if fail { Reply::Fail } else { Reply::Skip };
                self.answer(
                    phase,
                    step,
                    Some(&item.id),
                    reply,
                    &by,
                    None,
                    Some(reason.clone()),
                )?;
                let text = format!(
                    "{} by {by} at {}: {reason}",
                    reply.done(),
                    clock(self.cx.t0, self.now())
                );
                Ok(Some(if fail {
                    Override::Fail(text)
                } else {
                    Override::Skip(text)
                }))
            }
            _ => Err(self.stop("quit", Exit::Interrupted)),
        }
    }

    async fn evidence(
        &mut self,
        given: Option<String>,
        required: bool,
    ) -> Result<Option<String>, Stopped> {
        if required {
            return self
                .text(given, "      evidence (a link, or what you checked) > ")
                .await
                .map(Some);
        }
        Ok(given.filter(|e| !e.trim().is_empty()))
    }

    /// The operator, or — when they already signed — whoever else is confirming.
    async fn who(&mut self, signed: &[String]) -> Result<String, Stopped> {
        if !signed.contains(&self.cx.by) {
            return Ok(self.cx.by.clone());
        }
        loop {
            let prompt = format!(
                "      {} already confirmed; who else is confirming? > ",
                printable(&self.cx.by)
            );
            let name = self.text(None, &prompt).await?;
            if !signed.contains(&name) {
                return Ok(name);
            }
        }
    }

    /// Signs a checklist item off in the sign-off store, as `candlefish sign` does.
    fn sign(
        &self,
        item: &PlanItem,
        rule: &Manual,
        by: &str,
        evidence: Option<String>,
    ) -> Result<(), Stopped> {
        let at = self.now();
        let expires = rule
            .expires
            .and_then(|d| jiff::SignedDuration::try_from(d.0).ok())
            .and_then(|d| at.checked_add(d).ok());
        let record = StoreRecord::Sign(Signed {
            at,
            item: item.id.clone(),
            by: by.to_owned(),
            evidence,
            expires,
            note: Some(format!("launch runbook, T-0 {}", self.cx.t0)),
        });
        Log::new(&self.cx.store).append(&record).map_err(|e| {
            eprintln!("error: nothing was recorded: {e}");
            Exit::Usage
        })?;
        println!(
            "      recorded in {}: `{}` signed off by {}",
            self.cx.store.display(),
            item.id,
            printable(by)
        );
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn answer(
        &self,
        phase: &Phase,
        step: &Step,
        item: Option<&str>,
        reply: Reply,
        by: &str,
        evidence: Option<String>,
        reason: Option<String>,
    ) -> Result<(), Stopped> {
        self.append(&Record::Answer(journal::Answer {
            at: self.now(),
            by: by.to_owned(),
            session: self.session.clone(),
            phase: phase.id.clone(),
            step: step.id.clone(),
            item: item.map(str::to_owned),
            reply,
            evidence,
            reason,
        }))
    }

    /// A step a person confirms at the prompt; every answer is journaled, and
    /// the result is what the journal's answers say.
    async fn manual(
        &mut self,
        phase: &Phase,
        step: &Step,
        rule: &Manual,
        attempt: &Attempt,
    ) -> Result<Done, Stopped> {
        let mut answers = attempt.answers.clone();
        loop {
            let (result, decided) = manual_result(step, rule, &answers, self.cx.t0);
            if decided || self.cx.mode == journal::Mode::NonInteractive {
                return Ok(Done {
                    result,
                    settled: decided,
                    watch: None,
                });
            }
            if let Some(instructions) = &rule.instructions {
                println!("      {}", printable(instructions.trim()));
            }
            println!("      ✋ {}", printable(&result.reason));
            let answer = self
                .ask(
                    "      [c]onfirm / [f]ail / [s]kip (reason) / [q]uit > ",
                    "cfsq",
                )
                .await?;
            let signed: Vec<String> = result.signoffs.iter().map(|s| s.by.clone()).collect();
            let (reply, by, evidence, reason) = match answer {
                Answer::Confirm(evidence) => {
                    let evidence = self.evidence(evidence, rule.evidence_required).await?;
                    (Reply::Confirm, self.who(&signed).await?, evidence, None)
                }
                Answer::Fail(reason) => {
                    let reason = self.text(reason, "      reason > ").await?;
                    (Reply::Fail, self.cx.by.clone(), None, Some(reason))
                }
                Answer::Skip(reason) => {
                    let reason = self.text(reason, "      reason > ").await?;
                    (Reply::Skip, self.cx.by.clone(), None, Some(reason))
                }
                _ => return Err(self.stop("quit", Exit::Interrupted)),
            };
            self.answer(phase, step, None, reply, &by, evidence, reason)?;
            answers = self.replay()?.step(&step.id).answers;
        }
    }

    /// A watch: one sample at each `every` since the attempt started, until the
    /// window ends; samples journaled as they come, so a resumed watch keeps them.
    async fn watch(
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
        let slot_after = |now: jiff::Timestamp| -> usize {
            let elapsed = now.duration_since(start).as_millis().max(0);
            let every = every.as_millis().max(1);
            usize::try_from((elapsed + every - 1) / every).unwrap_or(usize::MAX)
        };
        let mut samples = attempt.samples.clone();
        let mut next = samples
            .last()
            .map_or(0, |s| slot_after(s.at) + 1)
            .max(slot_after(self.now()));
        let plan = self.own_plan(step, vec![Arc::clone(&w.probe)]);
        let mut last: Option<ProbeOutcome> = None;
        while next < expected {
            self.cancellable(self.cx.clock.sleep_until(slot_at(next)))
                .await?;
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
                at: self.now(),
                session: self.session.clone(),
                phase: phase.id.clone(),
                step: step.id.clone(),
                verdict: outcome.verdict,
                value: value.as_ref().map(|v| v.0),
                unit: value.map(|v| v.1).unwrap_or_default(),
                evidence: outcome.evidence.clone(),
            };
            self.append(&Record::Sample(sample.clone()))?;
            println!(
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

/// What a manual step's answers make it: confirmations are sign-offs (the
/// latest of each person); a failure or skip decides it at once. `true` when
/// it is decided (green, failed or skipped).
fn manual_result(
    step: &Step,
    rule: &Manual,
    answers: &[journal::Answer],
    t0: jiff::Timestamp,
) -> (ItemReport, bool) {
    let mut result = nothing(step);
    for a in answers.iter().filter(|a| a.item.is_none()) {
        if a.reply == Reply::Confirm {
            result.signoffs.retain(|s| s.by != a.by);
            result.signoffs.push(Signoff {
                by: a.by.clone(),
                at: a.at.to_string(),
                evidence: a.evidence.clone(),
                note: None,
                expires: None,
                stale: false,
            });
            continue;
        }
        result.status = if a.reply == Reply::Fail {
            Status::Red
        } else {
            Status::White
        };
        result.basis = Basis::Manual;
        result.reason = format!(
            "{} by {} at {}: {}",
            a.reply.done(),
            a.by,
            clock(t0, a.at),
            a.reason.as_deref().unwrap_or("")
        );
        return (result, true);
    }
    let (status, basis, reason) = manual_status(rule, None, &result.signoffs);
    result.status = status;
    result.basis = basis;
    result.reason = reason;
    (result, status == Status::Green)
}

/// A step's result before anything is known.
fn nothing(step: &Step) -> ItemReport {
    ItemReport {
        id: step.id.clone(),
        title: step.title.clone(),
        status: Status::Red,
        basis: Basis::Nothing,
        reason: "nothing ran".to_owned(),
        critical: step.critical,
        optional: false,
        declared: None,
        owner: step.owner.clone(),
        tags: Vec::new(),
        depends_on: Vec::new(),
        notes: step.notes.clone(),
        docs: None,
        probes: Vec::new(),
        signoffs: Vec::new(),
        waiver: None,
        items: Vec::new(),
    }
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
