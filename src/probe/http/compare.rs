//! How an `http` probe judges what it saw: the expectations on one response
//! (status, body, JSON, headers, location), then latency over the samples,
//! into one finding.

use std::time::Duration;

use crate::checklist::scalar::format_duration;
use crate::outcome::{Check, Verdict};
use crate::probe::expect::{Finding, check, excerpt, soft_check};
use crate::probe::http::{HttpProbe, latency};
use crate::probe::web::exchange::{describe_size, format_bytes};
use crate::probe::web::{Exchange, StatusSet, redact_url};

impl HttpProbe {
    /// The expectations on one response, except latency.
    pub(super) fn content_checks(&self, exchange: &Exchange) -> Vec<Check> {
        let expect = &self.expect;
        let mut checks: Vec<Check> = Vec::new();
        let statuses = expect.status.clone().unwrap_or_else(StatusSet::success);
        checks.push(check(
            statuses.contains(exchange.status.as_u16()),
            format!("status {statuses}"),
            exchange.status_line(),
        ));
        let body = &exchange.body;
        let size = describe_size(body, self.max_body());
        if body.truncated {
            checks.push(check(
                false,
                format!("a body of at most {}", format_bytes(self.max_body())),
                format!("{size} (stopped reading there)"),
            ));
        }
        let text = String::from_utf8_lossy(&body.bytes);
        for needle in &expect.body_contains.0 {
            let found = text.contains(needle.as_str());
            let seen = if found {
                "found".to_owned()
            } else {
                format!("{size} without it")
            };
            checks.push(check(
                found,
                format!("body to contain {:?}", needle.as_str()),
                seen,
            ));
        }
        for needle in &expect.body_not_contains.0 {
            let found = text.contains(needle.as_str());
            let seen = if found { "it in the body" } else { "absent" };
            checks.push(check(
                !found,
                format!("body not to contain {:?}", needle.as_str()),
                seen,
            ));
        }
        if let Some(pattern) = &expect.body_matches {
            let found = pattern.0.is_match(&text);
            let seen = if found {
                "a match".to_owned()
            } else {
                format!("no match in {size}")
            };
            checks.push(check(
                found,
                format!("body to match /{}/", pattern.as_str()),
                seen,
            ));
        }
        if !expect.json.is_empty() {
            match serde_json::from_slice::<serde_json::Value>(&body.bytes) {
                Ok(document) => {
                    for assertion in &expect.json {
                        checks.extend(assertion.checks(&document));
                    }
                }
                Err(e) => checks.push(check(
                    false,
                    "a JSON body".to_owned(),
                    format!("{size} that is not JSON ({e}): {}", excerpt(&text, 60)),
                )),
            }
        }
        for (name, rule) in &expect.headers {
            let seen = full_header(exchange, name);
            checks.extend(rule.0.checks(&format!("header {name}"), seen.as_deref()));
        }
        if let Some(rule) = &expect.location {
            let (what, seen) = if self.follow_redirects {
                ("final URL", Some(redact_url(exchange.url.as_str())))
            } else {
                let location = full_header(exchange, "location")
                    .map(|l| exchange.url.join(&l).map_or(l, |u| redact_url(u.as_str())));
                ("Location", location)
            };
            checks.extend(rule.0.checks(what, seen.as_deref()));
        }
        checks
    }

    /// The finding for the judged exchange (sample `index` of `samples`) and
    /// every latency measured so far.
    pub(super) fn judge(
        &self,
        exchange: &Exchange,
        mut checks: Vec<Check>,
        index: u32,
        latencies: &[Duration],
    ) -> Finding {
        let expect = &self.expect;
        let samples = self.samples.unwrap_or(1);
        let mut sorted = latencies.to_vec();
        sorted.sort();
        let slowest = sorted.last().copied().unwrap_or(exchange.latency);
        let slowest_text = if sorted.len() > 1 {
            format!("{} (slowest of {})", format_duration(slowest), sorted.len())
        } else {
            format_duration(slowest)
        };
        if let Some(max) = expect.max_latency {
            checks.push(check(
                slowest <= max.0,
                // Named, so a red (max) and a yellow (warn) read apart.
                format!("latency <= {max} (max_latency)"),
                slowest_text.clone(),
            ));
        }
        if let Some(warn) = expect.warn_latency {
            checks.push(soft_check(
                slowest <= warn.0,
                format!("latency <= {warn} (warn_latency)"),
                slowest_text,
            ));
        }
        let complete = index == samples;
        if complete {
            checks.extend(latency::checks(&sorted, &expect.percentiles()));
        }
        checks.extend(self.tls.insecure_check());
        let status = exchange.status_line();
        let redirects = match exchange.redirects.len() {
            0 => String::new(),
            1 => " after 1 redirect".to_owned(),
            n => format!(" after {n} redirects"),
        };
        let latency_text = if samples > 1 {
            latency::summary(&sorted)
        } else {
            format!("in {}", format_duration(exchange.latency))
        };
        let mut summary = if samples > 1 {
            format!("{status}{redirects}; {latency_text}")
        } else {
            format!("{status} {latency_text}{redirects}")
        };
        if let Some((coding, wire)) = exchange.body.encoding
            && !exchange.body.truncated
        {
            summary.push_str(&format!(
                "; {coding} body, {wire} bytes decoded to {}",
                exchange.body.seen
            ));
        }
        let worst = checks.iter().map(|c| c.verdict).max();
        // When a latency is itself the complaint, it is already in the evidence.
        let latency_failed = checks.iter().any(|c| {
            c.verdict == worst.unwrap_or(Verdict::Pass)
                && c.verdict != Verdict::Pass
                && c.expected.starts_with("latency")
        });
        let mut context = if !complete {
            format!("in sample {index} of {samples}")
        } else if samples > 1 {
            format!("({latency_text})")
        } else if latency_failed {
            String::new()
        } else {
            latency_text
        };
        if self.tls.insecure && worst == Some(Verdict::Fail) {
            context.push_str(" — TLS certificate checks are off (insecure: true)");
        }
        Finding::from_checks(checks, &summary, context.trim_start())
    }
}

/// Every value of a response header, unshortened, for comparison.
fn full_header(exchange: &Exchange, name: &str) -> Option<String> {
    let values: Vec<String> = exchange
        .headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}
