//! Running a step: sent (again while it `retry`s, each attempt under the
//! step's own deadline when it has one), judged, then its captures taken.

use std::time::Duration;

use crate::checklist::scalar::format_duration;
use crate::outcome::Verdict;
use crate::probe::expect::Finding;
use crate::probe::flow::step::{FlowStep, MAX_STEP_ATTEMPTS, Ran, Tls};
use crate::probe::flow::template::{self, Captured};
use crate::probe::{Context, Probe};

impl FlowStep {
    /// Runs the step (again while it `retry`s), then takes its captures.
    pub async fn run(
        &self,
        tls: &Tls,
        ctx: &Context,
        jar: &reqwest::cookie::Jar,
        captured: &mut Captured,
    ) -> Ran {
        let (attempts, interval) = match self.retry {
            Some(r) => (
                r.attempts.clamp(1, MAX_STEP_ATTEMPTS),
                r.interval.map_or(Duration::from_secs(1), |i| i.0),
            ),
            None => (1, Duration::ZERO),
        };
        let mut tried = 0;
        loop {
            tried += 1;
            let (finding, exchange) = self.bounded(tls, ctx, jar, captured).await;
            let passed = matches!(finding.verdict, Verdict::Pass | Verdict::Warn);
            if passed || tried >= attempts {
                let mut ran = Ran {
                    finding,
                    attempts: tried,
                    learnt: Vec::new(),
                };
                if passed && let Some(exchange) = exchange {
                    self.capture(&exchange, jar, captured, &mut ran);
                }
                if tried > 1 {
                    ran.finding.evidence =
                        format!("{} (attempt {tried} of {attempts})", ran.finding.evidence);
                }
                return ran;
            }
            tokio::time::sleep(interval.min(Duration::from_secs(30))).await;
        }
    }

    /// One attempt, under the step's own deadline when it has one.
    async fn bounded(
        &self,
        tls: &Tls,
        ctx: &Context,
        jar: &reqwest::cookie::Jar,
        captured: &Captured,
    ) -> (Finding, Option<crate::probe::web::Exchange>) {
        let once = self.once(tls, ctx, jar, captured);
        let Some(limit) = self.timeout else {
            return once.await;
        };
        if let Ok(done) = tokio::time::timeout(limit.0, once).await {
            done
        } else {
            let stage = crate::probe::current_stage().unwrap_or_default();
            (
                Finding::error(format!("no answer within {limit} (step timeout) {stage}")),
                None,
            )
        }
    }

    async fn once(
        &self,
        tls: &Tls,
        ctx: &Context,
        jar: &reqwest::cookie::Jar,
        captured: &Captured,
    ) -> (Finding, Option<crate::probe::web::Exchange>) {
        if let Some(ws) = &self.websocket {
            return (Self::socket(ws, tls, jar, captured).run(ctx).await, None);
        }
        match self.http(tls, captured, false) {
            Ok(http) => {
                http.exchange_once(ctx, Some(jar), !self.capture.is_empty())
                    .await
            }
            Err(e) => (Finding::error(e), None),
        }
    }

    fn capture(
        &self,
        exchange: &crate::probe::web::Exchange,
        jar: &reqwest::cookie::Jar,
        captured: &mut Captured,
        ran: &mut Ran,
    ) {
        use reqwest::cookie::CookieStore as _;
        let cookies = jar
            .cookies(&exchange.url)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let mut missing = Vec::new();
        for (name, rule) in &self.capture {
            match rule.take(name, exchange, cookies.as_deref()) {
                Ok(text) => {
                    if rule.secret {
                        ran.learnt.push(text.clone());
                    }
                    captured.insert(
                        name.clone(),
                        template::Value {
                            text,
                            secret: rule.secret,
                        },
                    );
                }
                Err(check) => missing.push(check),
            }
        }
        if !missing.is_empty() {
            let context = format!("in {}", format_duration(exchange.latency));
            let mut checks = std::mem::take(&mut ran.finding.checks);
            checks.extend(missing);
            let learnt = std::mem::take(&mut ran.learnt);
            ran.finding = Finding::from_checks(checks, "", &context);
            ran.learnt = learnt;
        }
    }
}
