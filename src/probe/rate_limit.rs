//! `rate_limit`: sends a bounded burst of requests at a steady rate and
//! expects the server to start refusing (429, or the configured status) within
//! it. The burst stops at the first refusal. Whatever the checklist says, a
//! burst is at most [`MAX_REQUESTS`] requests at most [`MAX_PER_SECOND`] a
//! second; `validate` rejects more.
//!
//! ```yaml
//! probe:
//!   rate_limit:
//!     url: https://api.example.com/search?q=x
//!     requests: 200
//!     per_second: 50
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt as _;
use futures::stream::FuturesUnordered;
use serde::Deserialize;
use tokio::time::Instant;

use crate::checklist::scalar::format_duration;
use crate::checklist::text::Text;
use crate::probe::expect::{Finding, check};
use crate::probe::web::TlsBlock;
use crate::probe::web::exchange::{header_text, status_line};
use crate::probe::web::fields::{request_secrets, validate_request};
use crate::probe::web::{
    Exchange, Limits, Method, Request, RequestHeaders, StatusSet, prepare, redact_url, send,
};
use crate::probe::{Context, Probe};

/// The most requests one burst sends, whatever the checklist says.
pub const MAX_REQUESTS: u32 = 500;

/// The highest rate a burst goes at, in requests per second.
pub const MAX_PER_SECOND: u32 = 100;

/// Requests in flight at once during a burst.
const MAX_IN_FLIGHT: usize = 32;

/// Body bytes read per response (enough to keep the connection for reuse).
const BODY_READ: usize = 16 << 10;

/// At most this many rate-limit headers are reported.
const MAX_LIMIT_HEADERS: usize = 8;

/// Configuration of a `rate_limit` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitProbe {
    /// The URL to send the burst to (required).
    pub url: Text,
    /// The request method (default `GET`).
    #[serde(default)]
    pub method: Method,
    /// Request headers. Values that use the environment are secret.
    #[serde(default)]
    pub headers: RequestHeaders,
    /// A request body. A body that uses the environment is secret.
    #[serde(default)]
    pub body: Option<Text>,
    /// The most requests to send; the limit must show within them (default 100, at most 500).
    #[serde(default)]
    pub requests: Option<u32>,
    /// Requests per second (default 20, at most 100).
    #[serde(default)]
    pub per_second: Option<u32>,
    /// The status that says "slow down" (default `429`).
    #[serde(default)]
    pub status: Option<StatusSet>,
    /// TLS settings: `ca_file`, `client_cert`/`client_key`, `insecure` (the
    /// same block on every web probe; default: the system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
}

/// What a burst showed.
#[derive(Debug, Default)]
struct Burst {
    /// Requests sent.
    sent: u32,
    /// How many answers had each status.
    statuses: BTreeMap<u16, u32>,
    /// Requests that got no answer, and the first reason.
    failed: u32,
    first_error: Option<String>,
    /// The 1-based number of the first limited request, and its answer.
    limited: Option<(u32, Exchange)>,
    /// The first answer, for its rate-limit headers.
    first: Option<Exchange>,
    /// From the first request sent to the last answer.
    elapsed: Duration,
}

/// The headers that describe a rate limit — `RateLimit*` (the IETF draft),
/// `X-RateLimit-*` and `Retry-After` — in name order, for evidence.
fn limit_headers(exchange: &Exchange) -> Vec<String> {
    let mut names: Vec<&str> = exchange
        .headers
        .keys()
        .map(reqwest::header::HeaderName::as_str)
        .filter(|n| {
            n.starts_with("ratelimit") || n.starts_with("x-ratelimit") || *n == "retry-after"
        })
        .collect();
    names.sort_unstable_by_key(|n| (*n == "retry-after", *n));
    names.dedup();
    names
        .into_iter()
        .take(MAX_LIMIT_HEADERS)
        .filter_map(|name| {
            header_text(&exchange.headers, name).map(|v| format!("{}: {v}", display(name)))
        })
        .collect()
}

fn display(name: &str) -> String {
    name.split('-')
        .map(|part| match part {
            "ratelimit" => "RateLimit".to_owned(),
            "x" => "X".to_owned(),
            other => {
                let mut chars = other.chars();
                chars.next().map_or_else(String::new, |c| {
                    c.to_ascii_uppercase().to_string() + chars.as_str()
                })
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl RateLimitProbe {
    fn requests(&self) -> u32 {
        self.requests.unwrap_or(100).min(MAX_REQUESTS)
    }

    fn per_second(&self) -> u32 {
        self.per_second.unwrap_or(20).clamp(1, MAX_PER_SECOND)
    }

    fn limited_status(&self) -> StatusSet {
        self.status.clone().unwrap_or_else(|| StatusSet::code(429))
    }

    fn compare(&self, burst: &Burst) -> Finding {
        let rate = format!("{}/s", self.per_second());
        let wanted = self.limited_status();
        let answered: u32 = burst.statuses.values().sum();
        if answered == 0 {
            return Finding::error(
                burst
                    .first_error
                    .clone()
                    .unwrap_or_else(|| "no request was sent".to_owned()),
            );
        }
        let mut observed: Vec<String> = burst
            .statuses
            .iter()
            .map(|(code, n)| {
                let status = reqwest::StatusCode::from_u16(*code)
                    .map_or_else(|_| code.to_string(), status_line);
                format!("{n} × {status}")
            })
            .collect();
        if burst.failed > 0 {
            observed.push(format!(
                "{} without an answer ({})",
                burst.failed,
                burst.first_error.as_deref().unwrap_or("unknown")
            ));
        }
        let observed = observed.join(", ");
        let expected = format!("{wanted} within {} requests at {rate}", self.requests());
        if let Some((number, exchange)) = &burst.limited {
            let mut summary = format!(
                "{} at request {number} of at most {} ({rate})",
                exchange.status_line(),
                self.requests()
            );
            let headers = limit_headers(exchange);
            if !headers.is_empty() {
                summary.push_str("; ");
                summary.push_str(&headers.join("; "));
            }
            return Finding::from_checks(
                vec![check(true, expected, summary.clone())],
                &summary,
                "",
            );
        }
        // Say what the burst showed, no more: a limit above this many
        // requests (or slower to start) would not have shown in it.
        let mut context = format!(
            "in {} requests over {}",
            burst.sent,
            format_duration(burst.elapsed)
        );
        if let Some(first) = &burst.first {
            let headers = limit_headers(first);
            if !headers.is_empty() {
                context.push_str("; ");
                context.push_str(&headers.join("; "));
            }
        }
        Finding::from_checks(
            vec![check(false, expected, format!("{observed}, none limited"))],
            "",
            &context,
        )
    }
}

/// Sends a burst of `total` requests, one every `1 / per_second` at the
/// soonest (a burst held back by [`MAX_IN_FLIGHT`] never catches up faster),
/// none after the first `limited` answer.
/// (A free function: `tokio::select!` expands to `unsafe` code, which must not
/// sit in a method of a type that derives `Deserialize`.)
async fn burst(
    client: &reqwest::Client,
    request: &Request,
    total: u32,
    per_second: u32,
    limited: &StatusSet,
) -> Burst {
    let gap = Duration::from_secs(1) / per_second;
    let limits = Limits {
        redirects: None,
        body: BODY_READ,
        keep_body: false,
    };
    let started = Instant::now();
    let mut next_at = started;
    let mut burst = Burst::default();
    let mut in_flight = FuturesUnordered::new();
    loop {
        let may_send =
            burst.limited.is_none() && burst.sent < total && in_flight.len() < MAX_IN_FLIGHT;
        let done = if may_send {
            tokio::select! {
                () = tokio::time::sleep_until(next_at) => {
                    next_at = Instant::now() + gap;
                    burst.sent += 1;
                    let number = burst.sent;
                    let request = request.clone();
                    in_flight.push(async move { (number, send(client, request, limits).await) });
                    continue;
                }
                Some(done) = in_flight.next(), if !in_flight.is_empty() => done,
            }
        } else {
            match in_flight.next().await {
                Some(done) => done,
                None => break,
            }
        };
        let (number, result) = done;
        match result {
            Ok(exchange) => {
                let code = exchange.status.as_u16();
                *burst.statuses.entry(code).or_default() += 1;
                if limited.contains(code) && burst.limited.as_ref().is_none_or(|(n, _)| number < *n)
                {
                    burst.limited = Some((number, exchange));
                } else if burst.first.is_none() {
                    burst.first = Some(exchange);
                }
            }
            Err(failure) => {
                burst.failed += 1;
                if burst.first_error.is_none() {
                    burst.first_error = Some(failure.finding().evidence);
                }
            }
        }
        if burst.limited.is_some() {
            // Answers still in flight are not needed: drop them.
            break;
        }
    }
    burst.elapsed = started.elapsed();
    burst
}

impl Probe for RateLimitProbe {
    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn target(&self) -> String {
        format!(
            "{} {} ×{} at {}/s",
            self.method.0,
            redact_url(&self.url),
            self.requests(),
            self.per_second()
        )
    }

    fn secrets(&self) -> Vec<String> {
        request_secrets(&self.headers, self.body.as_ref(), &self.url)
    }

    fn validate(&self, timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("rate_limit", &self.url, &self.headers);
        problems.extend(self.tls.problems());
        let requests = self.requests.unwrap_or(100);
        let per_second = self.per_second.unwrap_or(20);
        if requests == 0 || requests > MAX_REQUESTS {
            problems.push(format!(
                "requests is {requests}: a burst is 1 to {MAX_REQUESTS} requests (Candlefish never sends more)"
            ));
        }
        if per_second == 0 || per_second > MAX_PER_SECOND {
            problems.push(format!(
                "per_second is {per_second}: a burst goes at 1 to {MAX_PER_SECOND} requests a second (Candlefish never goes faster)"
            ));
        }
        if problems.is_empty() {
            let takes = Duration::from_secs_f64(f64::from(requests) / f64::from(per_second));
            if takes >= timeout {
                problems.push(format!(
                    "{requests} requests at {per_second}/s take {}, not less than the probe's timeout ({}): lower requests, raise per_second, or raise timeout",
                    format_duration(takes),
                    format_duration(timeout)
                ));
            }
        }
        if let Some(status) = &self.status
            && status.contains(200)
        {
            problems.push(format!(
                "status {status} includes 200: every answer would count as limited"
            ));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl RateLimitProbe {
    /// One attempt, before `tls.insecure` has its say.
    async fn attempt(&self, ctx: &Context) -> Finding {
        let prepared = prepare(
            ctx,
            &self.tls,
            &self.method,
            &self.url,
            &self.headers,
            self.body.as_ref(),
        );
        let (client, request) = match prepared {
            Ok(prepared) => prepared,
            Err(finding) => return finding,
        };
        let burst = burst(
            &client,
            &request,
            self.requests(),
            self.per_second(),
            &self.limited_status(),
        )
        .await;
        self.compare(&burst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn probe(yaml: &str) -> RateLimitProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn answer(status: u16, headers: &[(&str, &str)]) -> Exchange {
        Exchange::fake(status, headers, "")
    }

    #[test]
    fn a_limit_within_the_burst_passes_with_its_headers() {
        let p = probe("{ url: 'http://h.test/', requests: 50, per_second: 25 }");
        let burst = Burst {
            sent: 12,
            statuses: BTreeMap::from([(200, 10), (429, 1)]),
            limited: Some((
                11,
                answer(429, &[("Retry-After", "1"), ("RateLimit-Policy", "10;w=1")]),
            )),
            ..Burst::default()
        };
        let f = p.compare(&burst);
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "429 Too Many Requests at request 11 of at most 50 (25/s); RateLimit-Policy: 10;w=1; Retry-After: 1"
        );
    }

    #[test]
    fn no_limit_fails_with_what_was_seen() {
        let p = probe("{ url: 'http://h.test/', requests: 40, per_second: 20 }");
        let burst = Burst {
            sent: 40,
            statuses: BTreeMap::from([(200, 39)]),
            failed: 1,
            first_error: Some("connection reset".to_owned()),
            first: Some(answer(
                200,
                &[("X-RateLimit-Reset", "60"), ("X-RateLimit-Limit", "1000")],
            )),
            elapsed: Duration::from_millis(2010),
            ..Burst::default()
        };
        let f = p.compare(&burst);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected 429 within 40 requests at 20/s, got 39 × 200 OK, 1 without an answer (connection reset), none limited in 40 requests over 2s; X-RateLimit-Limit: 1000; X-RateLimit-Reset: 60"
        );
    }

    #[test]
    fn the_caps_hold_whatever_the_checklist_says() {
        let p = probe("{ url: 'http://h.test/', requests: 5000, per_second: 1000 }");
        assert_eq!(
            (p.requests(), p.per_second()),
            (MAX_REQUESTS, MAX_PER_SECOND)
        );
        assert_eq!(
            p.validate(Duration::from_secs(10)),
            [
                "requests is 5000: a burst is 1 to 500 requests (Candlefish never sends more)",
                "per_second is 1000: a burst goes at 1 to 100 requests a second (Candlefish never goes faster)",
            ]
        );
        let slow = probe("{ url: 'http://h.test/', requests: 300, per_second: 10 }");
        assert_eq!(
            slow.validate(Duration::from_secs(10)),
            [
                "300 requests at 10/s take 30s, not less than the probe's timeout (10s): lower requests, raise per_second, or raise timeout"
            ]
        );
    }
}
