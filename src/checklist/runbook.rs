//! The checklist's `runbook:` section as written — launch-day phases at offsets
//! from T-0, each with ordered steps — and its semantic pass, which reports
//! every problem at once and builds the [`Runbook`] the driver runs.
//!
//! ```yaml
//! runbook:
//!   phases:
//!     - id: pre-launch
//!       title: Pre-launch
//!       at: T-4h
//!       steps:
//!         - id: health
//!           run: [api-health]            # checklist items or groups
//!         - id: backups
//!           title: Database backups verified
//!           manual: { evidence_required: true }
//!     - id: launch
//!       title: Launch
//!       at: T-0
//!       steps:
//!         - id: error-rate
//!           title: Error rate stays low after cutover
//!           watch: { probe: { http: { url: "${api}/health" } }, every: 1m, for: 30m }
//! ```

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::checklist::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::checklist::model::{Item, Manual};
use crate::checklist::scalar::Dur;
use crate::checklist::validate::{ProbeRules, check_probe, plan_probe, valid_id};
use crate::probe::ProbeSpec;
use crate::probe::web::fields::Percent;
use crate::runbook::plan::{Action, Better, Offset, Phase, Runbook, Step, Watch, samples_in};

/// The most samples one watch may take (its journal lines stay reviewable).
pub const MAX_WATCH_SAMPLES: usize = 10_000;

/// `runbook:`: the launch-day phases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunbookSpec {
    /// The phases, in time order.
    pub phases: Vec<PhaseSpec>,
}

/// One phase: `{ id, title, at: T-4h, steps: [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSpec {
    /// Stable id, unique in the runbook.
    pub id: Spanned<String>,
    /// What people read.
    pub title: String,
    /// When it starts: `T-4h`, `T-0`, `T+4h`, any offset from T-0.
    pub at: Spanned<Offset>,
    /// Free-form notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// The steps, in order.
    pub steps: Vec<StepSpec>,
}

/// One step. It does exactly one of `run`, `probe`/`probes`, `manual`, `watch`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Stable id, unique in the runbook.
    pub id: Spanned<String>,
    /// What people read; a step that runs one item may leave it out (the item's title).
    #[serde(default)]
    pub title: Option<String>,
    /// On the critical path (counts for `--gate critical`).
    #[serde(default)]
    pub critical: bool,
    /// Who does it.
    #[serde(default)]
    pub owner: Option<String>,
    /// Free-form notes.
    #[serde(default)]
    pub notes: Option<String>,
    /// Checklist items or groups to run, by id.
    #[serde(default)]
    pub run: Vec<Spanned<String>>,
    /// One probe of its own.
    #[serde(default)]
    pub probe: Option<Spanned<ProbeSpec>>,
    /// Several probes of its own; every one must pass.
    #[serde(default)]
    pub probes: Vec<Spanned<ProbeSpec>>,
    /// A person confirms it: `true` or `{ evidence_required, signoffs, instructions }`.
    #[serde(default)]
    pub manual: Option<Spanned<Manual>>,
    /// Sample a probe every interval for a while.
    #[serde(default)]
    pub watch: Option<Spanned<WatchSpec>>,
}

/// `watch:`: re-run a probe every `every` for `for`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchSpec {
    /// The probe to sample (required).
    pub probe: Spanned<ProbeSpec>,
    /// The time between samples, e.g. `1m` (required).
    pub every: Dur,
    /// How long to watch, e.g. `30m` (required; longer than `every`).
    #[serde(rename = "for")]
    pub window: Dur,
    /// The check whose observed number is tracked: the first check whose expectation
    /// starts with this text (`latency`, `$.error_rate`, a Nagios label). Default:
    /// the probe's duration.
    #[serde(default)]
    pub metric: Option<String>,
    /// `lower` (default) or `higher`: which values are better.
    #[serde(default)]
    pub better: Better,
    /// The share of samples that may fail before the watch is red (default 0%).
    #[serde(default)]
    pub max_failed: Option<Percent>,
}

fn span_of<T>(spanned: &Spanned<T>) -> Option<Span> {
    Span::from_location(&spanned.referenced)
}

/// Validates `spec` against the checklist's `items`, pushing every problem;
/// the runbook when there were none.
pub(crate) fn validate(
    spec: &RunbookSpec,
    items: &[&Item],
    rules: ProbeRules,
    problems: &mut Vec<Diagnostic>,
) -> Option<Runbook> {
    let before = problems.len();
    if spec.phases.is_empty() {
        problems.push(
            Diagnostic::error("the runbook has no phases", None).with_help(
                "add a phase such as `{ id: launch, title: Launch, at: T-0, steps: [...] }`",
            ),
        );
    }
    let by_id: HashMap<&str, &Item> = items.iter().map(|i| (i.id.value.as_str(), *i)).collect();
    let mut ids: HashMap<String, Option<Span>> = HashMap::new();
    let mut phases = Vec::new();
    let mut previous: Option<(&str, Offset)> = None;
    for phase in &spec.phases {
        let id = phase.id.value.as_str();
        unique(&mut ids, &phase.id, "phase", problems);
        let at = phase.at.value;
        if let Some((before_id, before_at)) = previous
            && at <= before_at
        {
            problems.push(
                Diagnostic::error(
                    format!("phase `{id}` is at {at}, not after `{before_id}` ({before_at})"),
                    span_of(&phase.at),
                )
                .with_help("list the phases in time order, each later than the one before"),
            );
        }
        previous = Some((id, at));
        if phase.steps.is_empty() {
            problems.push(Diagnostic::error(
                format!("phase `{id}` has no steps"),
                span_of(&phase.id),
            ));
        }
        let mut steps = Vec::new();
        for step in &phase.steps {
            unique(&mut ids, &step.id, "step", problems);
            if let Some(action) = action(step, &by_id, rules, problems) {
                let title = step.title.clone().or_else(|| match &action {
                    Action::Run(run) if run.len() == 1 => {
                        by_id.get(run[0].as_str()).map(|i| i.title.clone())
                    }
                    _ => None,
                });
                let Some(title) = title else {
                    problems.push(
                        Diagnostic::error(
                            format!("step `{}` has no title", step.id.value),
                            span_of(&step.id),
                        )
                        .with_help("only a step that runs one item takes that item's title"),
                    );
                    continue;
                };
                steps.push(Step {
                    id: step.id.value.clone(),
                    title,
                    critical: step.critical,
                    owner: step.owner.clone(),
                    notes: step.notes.clone(),
                    action,
                });
            }
        }
        phases.push(Phase {
            id: id.to_owned(),
            title: phase.title.clone(),
            at,
            notes: phase.notes.clone(),
            steps,
        });
    }
    (problems.len() == before).then_some(Runbook { phases })
}

/// Reports an invalid or duplicate phase or step id.
fn unique(
    ids: &mut HashMap<String, Option<Span>>,
    id: &Spanned<String>,
    what: &str,
    problems: &mut Vec<Diagnostic>,
) {
    let name = id.value.as_str();
    if !valid_id(name) {
        problems.push(
            Diagnostic::error(format!("`{name}` is not a valid {what} id"), span_of(id)).with_help(
                "ids are letters, digits, `-`, `_` and `.`, starting with a letter or digit",
            ),
        );
    }
    if let Some(first) = ids.get(name) {
        let mut d = Diagnostic::error(format!("duplicate runbook id `{name}`"), span_of(id))
            .with_help("phase and step ids must be unique in the runbook: rename one of them");
        if let Some(first) = first {
            d = d.with_note(format!("`{name}` is first defined at line {}", first.line));
        }
        problems.push(d);
    } else {
        ids.insert(name.to_owned(), span_of(id));
    }
}

/// What a step does, or `None` after pushing why it cannot be done.
fn action(
    step: &StepSpec,
    items: &HashMap<&str, &Item>,
    rules: ProbeRules,
    problems: &mut Vec<Diagnostic>,
) -> Option<Action> {
    let id = step.id.value.as_str();
    let given: Vec<&str> = [
        (!step.run.is_empty(), "run"),
        (step.probe.is_some(), "probe"),
        (!step.probes.is_empty(), "probes"),
        (step.manual.is_some(), "manual"),
        (step.watch.is_some(), "watch"),
    ]
    .into_iter()
    .filter_map(|(present, key)| present.then_some(key))
    .collect();
    match given.as_slice() {
        [] => {
            problems.push(
                Diagnostic::error(format!("step `{id}` has nothing to do"), span_of(&step.id))
                    .with_help("give it one of `run: [item ids]`, `probe:`, `probes:`, `manual:` or `watch:`"),
            );
            return None;
        }
        [_] => {}
        many => {
            problems.push(
                Diagnostic::error(
                    format!(
                        "step `{id}` has {}: a step does one thing",
                        many.join(" and ")
                    ),
                    span_of(&step.id),
                )
                .with_help("split it into several steps"),
            );
            return None;
        }
    }
    let before = problems.len();
    let action = if !step.run.is_empty() {
        for target in &step.run {
            if !items.contains_key(target.value.as_str()) {
                let mut d = Diagnostic::error(
                    format!("step `{id}` runs unknown item `{}`", target.value),
                    span_of(target),
                );
                if let Some(best) = did_you_mean(&target.value, items.keys().copied()) {
                    d = d.with_help(format!("did you mean `{best}`?"));
                }
                problems.push(d);
            }
        }
        Action::Run(step.run.iter().map(|t| t.value.clone()).collect())
    } else if let Some(manual) = &step.manual {
        if manual.value.signoffs == 0 {
            problems.push(Diagnostic::error(
                format!("step `{id}`: manual.signoffs is 0; at least one person must confirm"),
                span_of(manual),
            ));
        }
        if manual.value.expires.is_some() {
            problems.push(
                Diagnostic::error(
                    format!("step `{id}`: a confirmation at the runbook prompt does not expire"),
                    span_of(manual),
                )
                .with_help("`expires` belongs to checklist items: run a manual item with `run: [id]` instead"),
            );
        }
        Action::Manual(manual.value.clone())
    } else if let Some(watch) = &step.watch {
        Action::Watch(self::watch(id, watch, rules, problems)?)
    } else {
        let probes: Vec<&Spanned<ProbeSpec>> = step.probe.iter().chain(&step.probes).collect();
        for spec in &probes {
            check_probe(id, spec, 0, rules, problems);
        }
        Action::Probes(
            probes
                .iter()
                .map(|spec| Arc::new(plan_probe(&spec.value, rules.timeout)))
                .collect(),
        )
    };
    (problems.len() == before).then_some(action)
}

fn watch(
    id: &str,
    watch: &Spanned<WatchSpec>,
    rules: ProbeRules,
    problems: &mut Vec<Diagnostic>,
) -> Option<Watch> {
    let spec = &watch.value;
    let span = span_of(watch);
    let before = problems.len();
    check_probe(id, &spec.probe, 0, rules, problems);
    if spec.probe.value.options.wait_until.is_some() {
        problems.push(
            Diagnostic::error(
                format!("step `{id}`: a watched probe cannot use `wait_until`"),
                span_of(&spec.probe),
            )
            .with_help("a watch samples on its own schedule (`every`); `retries` is fine"),
        );
    }
    let (every, window) = (spec.every.0, spec.window.0);
    if every.is_zero() {
        problems.push(Diagnostic::error(
            format!("step `{id}`: watch.every is 0"),
            span,
        ));
    } else if every >= window {
        problems.push(
            Diagnostic::error(
                format!(
                    "step `{id}`: watch.every ({}) is not below watch.for ({}): there would be one sample",
                    spec.every, spec.window
                ),
                span,
            )
            .with_help("sample more often than the window is long, e.g. `every: 1m, for: 30m`"),
        );
    } else if samples_in(every, window) > MAX_WATCH_SAMPLES {
        problems.push(Diagnostic::error(
            format!(
                "step `{id}`: a watch every {} for {} takes {} samples; at most {MAX_WATCH_SAMPLES}",
                spec.every,
                spec.window,
                samples_in(every, window)
            ),
            span,
        ));
    }
    if matches!(&spec.metric, Some(m) if m.trim().is_empty()) {
        problems.push(Diagnostic::error(
            format!(
                "step `{id}`: watch.metric is empty; leave it out to track the probe's duration"
            ),
            span,
        ));
    }
    if problems.len() > before {
        return None;
    }
    Some(Watch {
        probe: Arc::new(plan_probe(&spec.probe.value, rules.timeout)),
        every,
        window,
        metric: spec.metric.as_ref().map(|m| m.trim().to_owned()),
        better: spec.better,
        max_failed: spec.max_failed.map_or(0.0, |p| p.0),
    })
}
