//! `flow`: a critical user journey as one probe — steps run in order, each an
//! HTTP request judged as `http` judges one (or a WebSocket opened as
//! `websocket` opens one), values captured from one response and used in
//! later requests as `{{name}}`, with one cookie jar for the whole run.
//!
//! ```yaml
//! probe:
//!   timeout: 20s                  # the whole flow
//!   flow:
//!     steps:
//!       - name: log in
//!         method: POST
//!         url: "${api}/login"
//!         json: { user: "${E2E_USER}", password: "${E2E_PASSWORD}" }
//!         expect: { status: 200 }
//!         capture: { token: { json: $.token } }
//!       - name: open the dashboard
//!         url: "${api}/me"
//!         headers: { Authorization: "Bearer {{token}}" }
//!         expect: { json: [{ path: $.name, exists: true }] }
//! ```
//!
//! Steps may instead live in their own file (`flow: { file: flows/login.yaml }`,
//! relative to the checklist file that names it; the loader reads it). The
//! first step that fails ends the flow; the evidence names it and the steps
//! before it. Captured values are secrets unless a capture says `secret: false`.

pub mod capture;
mod request;
mod run;
pub mod step;
pub mod template;

use std::time::Instant;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::checklist::scalar::format_duration;
use crate::checklist::text::Text;
use crate::outcome::{StepOutcome, Verdict};
use crate::probe::expect::{Finding, excerpt};
use crate::probe::{Context, Probe};
pub use step::FlowStep;

/// The most steps one flow may have.
pub const MAX_STEPS: usize = 50;

/// Configuration of a `flow` probe: `steps`, or a `file` holding them.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowProbe {
    /// The steps, in order.
    #[serde(default)]
    pub steps: Vec<Spanned<FlowStep>>,
    /// A YAML file whose `steps:` are this flow's, relative to the checklist
    /// file that names it.
    #[serde(default)]
    pub file: Option<Spanned<String>>,
    /// TLS for every step: `{ ca_file, client_cert, client_key, insecure }`,
    /// as every web probe takes it.
    #[serde(default)]
    pub tls: crate::probe::web::TlsBlock,
    /// Which of the checklist's files the steps were written in (set by the loader).
    #[serde(skip)]
    pub steps_file: Option<u32>,
}

/// The steps of a flow kept in a file of their own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowFile {
    /// The steps, in order.
    pub steps: Vec<Spanned<FlowStep>>,
}

impl FlowProbe {
    fn tls(&self) -> step::Tls {
        self.tls.clone()
    }

    fn first_url(&self) -> Option<&Text> {
        let first = &self.steps.first()?.value;
        first
            .url
            .as_ref()
            .or(first.websocket.as_ref().map(|w| &w.url))
    }
}

impl Probe for FlowProbe {
    fn target(&self) -> String {
        let names: Vec<&str> = self.steps.iter().map(|s| s.value.name.as_str()).collect();
        let plural = if names.len() == 1 { "" } else { "s" };
        excerpt(
            &format!("{} step{plural}: {}", names.len(), names.join(" → ")),
            160,
        )
    }

    fn host(&self) -> Option<String> {
        let url = self.first_url()?;
        let sampled = template::sample(url);
        crate::probe::web::fields::host_of(
            &sampled
                .replacen("wss://", "https://", 1)
                .replacen("ws://", "http://", 1),
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.steps.iter().flat_map(|s| s.value.secrets()).collect()
    }

    fn validate(&self, timeout: std::time::Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if self.steps.is_empty() {
            problems.push("a flow needs steps (or a file holding them)".to_owned());
        }
        if self.steps.len() > MAX_STEPS {
            problems.push(format!(
                "a flow has at most {MAX_STEPS} steps, this one {}",
                self.steps.len()
            ));
        }
        let tls = self.tls();
        for (i, step) in self.steps.iter().enumerate() {
            for problem in step.value.problems(&tls, timeout) {
                problems.push(format!("step {} \"{}\": {problem}", i + 1, step.value.name));
            }
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        let jar = reqwest::cookie::Jar::default();
        let mut captured = template::Captured::new();
        let tls = self.tls();
        let started = Instant::now();
        let mut steps: Vec<StepOutcome> = Vec::new();
        let mut checks = Vec::new();
        let mut learnt = Vec::new();
        let mut worst = Verdict::Pass;
        for (i, spanned) in self.steps.iter().enumerate() {
            let step = &spanned.value;
            let clock = Instant::now();
            // Boxed: a step's future holds a whole HTTP or WebSocket exchange.
            let mut ran = Box::pin(crate::probe::in_part(
                stage_prefix(i, &step.name, &steps),
                step.run(&tls, ctx, &jar, &mut captured),
            ))
            .await;
            learnt.append(&mut ran.learnt);
            let verdict = ran.finding.verdict;
            checks.extend(ran.finding.checks.into_iter().map(|mut c| {
                c.expected = format!("step {}: {}", i + 1, c.expected);
                c
            }));
            steps.push(StepOutcome {
                name: step.name.clone(),
                verdict,
                evidence: ran.finding.evidence,
                duration_ms: u64::try_from(clock.elapsed().as_millis()).unwrap_or(u64::MAX),
                attempts: ran.attempts,
            });
            if verdict == Verdict::Warn {
                worst = Verdict::Warn;
            }
            if matches!(verdict, Verdict::Fail | Verdict::Error) {
                worst = verdict;
                break;
            }
        }
        let evidence = evidence(&steps, worst, started.elapsed(), self.steps.len());
        Finding {
            verdict: worst,
            evidence,
            checks,
            steps,
            secrets: learnt,
        }
    }
}

/// What a deadline reached during step `index` says before the stage:
/// `step 2 "profile" (after step 1 "log in": pass in 41ms): `. Only verdicts
/// and times of earlier steps: evidence there could hold a captured secret,
/// and a probe stopped by its deadline hands none back for masking.
fn stage_prefix(index: usize, name: &str, before: &[StepOutcome]) -> String {
    let mut prefix = format!("step {} \"{name}\"", index + 1);
    if !before.is_empty() {
        let earlier: Vec<String> = before
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "step {} \"{}\": {} in {}",
                    i + 1,
                    s.name,
                    s.verdict.word(),
                    format_duration(std::time::Duration::from_millis(s.duration_ms))
                )
            })
            .collect();
        prefix.push_str(&format!(" (after {})", earlier.join(", ")));
    }
    prefix.push_str(": ");
    prefix
}

/// `step 3 "open document": expected status 200, got 403 Forbidden in 3ms;
/// before it: 1 "log in" 200 OK in 12ms, …`, or on success the steps with
/// their times.
fn evidence(
    steps: &[StepOutcome],
    verdict: Verdict,
    elapsed: std::time::Duration,
    total: usize,
) -> String {
    let ms = |s: &StepOutcome| format_duration(std::time::Duration::from_millis(s.duration_ms));
    if matches!(verdict, Verdict::Fail | Verdict::Error)
        && let Some((last, before)) = steps.split_last()
    {
        let n = steps.len();
        let mut line = format!("step {n} \"{}\": {}", last.name, last.evidence);
        if !before.is_empty() {
            let earlier: Vec<String> = before
                .iter()
                .enumerate()
                .map(|(i, s)| format!("{} \"{}\" {}", i + 1, s.name, s.evidence))
                .collect();
            line.push_str(&format!("; before it: {}", earlier.join(", ")));
        }
        return line;
    }
    let times: Vec<String> = steps
        .iter()
        .map(|s| format!("{} {}", s.name, ms(s)))
        .collect();
    let warned: Vec<String> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.verdict == Verdict::Warn)
        .map(|(i, s)| format!("step {} \"{}\": {}", i + 1, s.name, s.evidence))
        .collect();
    let plural = if total == 1 { "" } else { "s" };
    let mut line = format!(
        "{total} step{plural} passed in {} ({})",
        format_duration(elapsed),
        times.join(", ")
    );
    if !warned.is_empty() {
        line = format!("{}; {line}", warned.join("; "));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(name: &str, verdict: Verdict, evidence: &str, ms: u64) -> StepOutcome {
        StepOutcome {
            name: name.into(),
            verdict,
            evidence: evidence.into(),
            duration_ms: ms,
            attempts: 1,
        }
    }

    #[test]
    fn evidence_names_the_failing_step_and_those_before_it() {
        let steps = [
            step("log in", Verdict::Pass, "200 OK in 12ms", 12),
            step("create", Verdict::Pass, "201 Created in 8ms", 8),
            step(
                "open document",
                Verdict::Fail,
                "expected status 200, got 403 Forbidden in 3ms",
                3,
            ),
        ];
        assert_eq!(
            evidence(
                &steps,
                Verdict::Fail,
                std::time::Duration::from_millis(23),
                4
            ),
            "step 3 \"open document\": expected status 200, got 403 Forbidden in 3ms; before it: 1 \"log in\" 200 OK in 12ms, 2 \"create\" 201 Created in 8ms"
        );
        assert_eq!(
            evidence(
                &steps[..2],
                Verdict::Pass,
                std::time::Duration::from_millis(20),
                2
            ),
            "2 steps passed in 20ms (log in 12ms, create 8ms)"
        );
    }

    #[test]
    fn validation_reports_each_step() {
        let flow: FlowProbe = serde_saphyr::from_str(
            "steps:\n  - { name: a, url: 'http://h.test/{{x}}', json: {}, body: b }\n  - { name: b }\n  - { name: c, url: 'http://h.test/', retry: { attempts: 1 }, capture: { t: { json: $.t, header: h } } }\n",
        )
        .unwrap();
        assert_eq!(
            flow.validate(std::time::Duration::from_secs(10)),
            [
                "step 1 \"a\": give one of body, json and form",
                "step 2 \"b\": a step needs a url (or a websocket)",
                "step 3 \"c\": capture `t` takes its value from exactly one of json, header, cookie, regex (2 given)",
                "step 3 \"c\": retry.attempts is 1: send it from 2 to 50 times",
            ]
        );
    }
}
