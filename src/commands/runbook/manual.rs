//! What people answer: a manual checklist item put to the person at the
//! terminal (a confirmation is a sign-off in the state store, as `candlefish
//! sign` records it), and a step confirmed at the prompt (confirmations in the
//! journal). Every answer is journaled with who and when.

use super::driver::{Driver, Stopped};
use super::prompt::Answer;
use super::steps::{Done, nothing};
use crate::checklist::model::Manual;
use crate::commands::Exit;
use crate::commands::say;
use crate::engine::attest::manual_status;
use crate::engine::plan::PlanItem;
use crate::outcome::{Basis, ItemReport, Signoff, Status};
use crate::report::printable;
use crate::runbook::journal::{self, Record, Reply};
use crate::runbook::plan::{Phase, Step};
use crate::runbook::record::clock;
use crate::runbook::replay::Attempt;
use crate::state::chain;
use crate::state::log::Log;
use crate::state::record::{Record as StoreRecord, Signed};
use crate::state::trust::{Judgement, Policy};

/// A person's answer about one checklist item, replayed from the journal.
pub(super) enum Override {
    Fail(String),
    Skip(String),
}

impl Driver {
    /// Puts a manual checklist item to the person at the terminal. A
    /// confirmation is signed off in the store (then the caller looks again);
    /// fail and skip come back as overrides.
    pub(super) async fn ask_item(
        &mut self,
        phase: &Phase,
        step: &Step,
        item: &PlanItem,
        now: &ItemReport,
    ) -> Result<Option<Override>, Stopped> {
        let Some(rule) = item.manual.clone() else {
            return Ok(None);
        };
        say!(
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
            rehearsal: self.cx.clock.is_simulated(),
            sig: None,
        });
        let fail = |e: String| {
            eprintln!("error: nothing was recorded: {e}");
            Exit::Usage
        };
        let policy = Policy::of(&self.cx.plan).map_err(fail)?;
        // The operator's key signs only what the operator answers.
        let key = self.cx.key.as_ref().filter(|_| by == self.cx.by);
        let record = crate::commands::sign::seal(record, key, &policy).map_err(fail)?;
        Log::new(&self.cx.store)
            .append_chained(&record, &chain::genesis(&policy.checklist))
            .map_err(|e| fail(e.to_string()))?;
        let signed = key
            .map(|k| format!(", signed with {}", k.fingerprint()))
            .unwrap_or_default();
        say!(
            "      recorded in {}: `{}` signed off by {}{signed}",
            self.cx.store.display(),
            item.id,
            printable(by)
        );
        if let Judgement::Rejected(reason) = policy.judge(&record) {
            say!("      ⚠ it does not count: {}", printable(&reason));
        }
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
        let mut answer = journal::Answer {
            at: self.now(),
            by: by.to_owned(),
            session: self.session.clone(),
            phase: phase.id.clone(),
            step: step.id.clone(),
            item: item.map(str::to_owned),
            reply,
            evidence,
            reason,
            sig: None,
        };
        // Only the operator's own answers carry their signature.
        let key = self.cx.key.as_ref().filter(|_| by == self.cx.by);
        super::sign_answer(&mut answer, &self.cx.name, key).map_err(|e| {
            eprintln!("error: nothing was recorded: {e}");
            Exit::Usage
        })?;
        self.append(&Record::Answer(answer))
    }

    /// A step a person confirms at the prompt; every answer is journaled, and
    /// the result is what the journal's answers say.
    pub(super) async fn manual(
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
                say!("      {}", printable(instructions.trim()));
            }
            say!("      ✋ {}", printable(&result.reason));
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
                key: None,
                principals: Vec::new(),
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
    let (status, basis, reason) = manual_status(rule, None, &result.signoffs, &[]);
    result.status = status;
    result.basis = basis;
    result.reason = reason;
    (result, status == Status::Green)
}
