//! `http`: sends a request (or a small sample of them) and compares the
//! response with expectations — status, latency and its percentiles, body
//! text, JSON values, response headers, where redirects end — over TLS with an
//! optional custom CA or client certificate (the `tls:` block every web probe
//! takes), through the environment's proxy.
//!
//! ```yaml
//! probe:
//!   http:
//!     url: "${api}/health"
//!     headers: { Authorization: "Bearer ${API_TOKEN}" }
//!     samples: 20
//!     expect:
//!       status: 200
//!       p95: 500ms
//!       headers: { Content-Type: { contains: json } }
//!       json:
//!         - { path: "$.status", equals: ok }
//! ```
//!
//! The body is read up to `max_body` (1 MiB); a longer one fails the probe,
//! so an endless body ends in a verdict, not a hang. Header values and bodies
//! that use the environment are secrets and never appear in output.

mod compare;
pub mod json;
pub mod latency;
pub mod text;

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::checklist::scalar::{Dur, Pattern, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Verdict;
use crate::probe::expect::Finding;
use crate::probe::web::exchange::format_bytes;
use crate::probe::web::fields::{ByteSize, request_secrets, validate_request};
pub use crate::probe::web::fields::{StatusPattern, redact_url};
use crate::probe::web::{Limits, RequestHeaders, TlsBlock, prepare, send};
pub use crate::probe::web::{Method, StatusSet, Strings};
use crate::probe::{Context, Probe};
pub use json::{JsonExpect, JsonPathExpr};
pub use text::{TextExpect, TextRule};

/// The most of a response body that is read by default, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// The largest `max_body` a checklist may set.
pub const MAX_BODY_CAP: usize = 64 << 20;

/// How many redirects are followed by default.
pub const MAX_REDIRECTS: usize = 10;

/// The largest `max_redirects` a checklist may set.
pub const MAX_REDIRECTS_CAP: usize = 50;

/// The largest `samples` a checklist may set.
pub const MAX_SAMPLES: u32 = 100;

/// Configuration of an `http` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpProbe {
    /// The URL to request (required).
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
    /// Follow redirects (default `true`).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// The most redirects followed before the probe fails (default 10, at most 50).
    #[serde(default)]
    pub max_redirects: Option<usize>,
    /// TLS settings: `ca_file`, `client_cert`/`client_key`, `insecure` (the
    /// same block on every web probe; default: the system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
    /// How many requests to send one after another, for latency percentiles
    /// (default 1, at most 100).
    #[serde(default)]
    pub samples: Option<u32>,
    /// The most body read; a longer body fails the probe (default `1MiB`, at most `64MiB`).
    #[serde(default)]
    pub max_body: Option<ByteSize>,
    /// What the response must look like.
    #[serde(default)]
    pub expect: HttpExpect,
}

fn yes() -> bool {
    true
}

/// Expectations on an HTTP response. With none given, the status must be 2xx.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpExpect {
    /// Acceptable statuses: `200`, `[200, 204]`, `2xx`, `[2xx, 304]` (default `2xx`).
    #[serde(default)]
    pub status: Option<StatusSet>,
    /// Slower than this fails the probe (request sent to body read; the slowest sample).
    #[serde(default)]
    pub max_latency: Option<Dur>,
    /// Slower than this makes the probe warn.
    #[serde(default)]
    pub warn_latency: Option<Dur>,
    /// The median latency over the samples must not exceed this.
    #[serde(default)]
    pub p50: Option<Dur>,
    /// The 90th percentile latency must not exceed this.
    #[serde(default)]
    pub p90: Option<Dur>,
    /// The 95th percentile latency must not exceed this.
    #[serde(default)]
    pub p95: Option<Dur>,
    /// The 99th percentile latency must not exceed this.
    #[serde(default)]
    pub p99: Option<Dur>,
    /// Text the body must contain: one string or a list.
    #[serde(default)]
    pub body_contains: Strings,
    /// Text the body must not contain: one string or a list.
    #[serde(default)]
    pub body_not_contains: Strings,
    /// A regular expression the body must match.
    #[serde(default)]
    pub body_matches: Option<Pattern>,
    /// Assertions on the JSON body.
    #[serde(default)]
    pub json: Vec<JsonExpect>,
    /// Response headers, by name (any case): a value, or `{ equals | contains | matches | exists }`.
    #[serde(default)]
    pub headers: IndexMap<String, TextRule>,
    /// Where the exchange ends: the final URL when following redirects, else the
    /// `Location` header. A URL, or `{ equals | contains | matches | exists }`.
    #[serde(default)]
    pub location: Option<TextRule>,
}

impl HttpExpect {
    /// Whether any expectation reads the body; when none does, body bytes are
    /// counted (for `max_body`) and dropped.
    fn needs_body(&self) -> bool {
        !self.body_contains.0.is_empty()
            || !self.body_not_contains.0.is_empty()
            || self.body_matches.is_some()
            || !self.json.is_empty()
    }

    fn percentiles(&self) -> [(&'static str, u32, Option<Dur>); 4] {
        [
            ("p50", 50, self.p50),
            ("p90", 90, self.p90),
            ("p95", 95, self.p95),
            ("p99", 99, self.p99),
        ]
    }
}

impl HttpProbe {
    fn max_body(&self) -> usize {
        self.max_body.map_or(MAX_BODY, |b| b.0)
    }

    fn validate_limits(&self, timeout: Duration, problems: &mut Vec<String>) {
        let expect = &self.expect;
        let mut limits = vec![
            ("max_latency", expect.max_latency),
            ("warn_latency", expect.warn_latency),
        ];
        limits.extend(expect.percentiles().iter().map(|(n, _, l)| (*n, *l)));
        for (label, limit) in limits {
            if let Some(limit) = limit {
                if limit.0.is_zero() {
                    problems.push(format!("{label} is 0: no response can be that fast"));
                } else if limit.0 >= timeout {
                    problems.push(format!(
                        "{label} ({limit}) is not below the probe's timeout ({}): the timeout always fires first",
                        format_duration(timeout)
                    ));
                }
            }
        }
        if let (Some(warn), Some(max)) = (expect.warn_latency, expect.max_latency)
            && warn >= max
        {
            problems.push(format!(
                "warn_latency ({warn}) must be below max_latency ({max}), or it can never warn"
            ));
        }
        let samples = self.samples.unwrap_or(1);
        if samples == 0 || samples > MAX_SAMPLES {
            problems.push(format!(
                "samples is {samples}: send from 1 to {MAX_SAMPLES} requests"
            ));
        }
        if samples < 2
            && let Some((name, _, _)) = expect.percentiles().iter().find(|(_, _, l)| l.is_some())
        {
            problems.push(format!(
                "{name} is a percentile over several requests: set samples (2 to {MAX_SAMPLES}), e.g. samples: 20"
            ));
        }
        if let Some(max) = self.max_redirects {
            if max > MAX_REDIRECTS_CAP {
                problems.push(format!(
                    "max_redirects is {max}: at most {MAX_REDIRECTS_CAP} are followed"
                ));
            }
            if !self.follow_redirects {
                problems
                    .push("max_redirects has no effect with follow_redirects: false".to_owned());
            }
        }
        if let Some(size) = self.max_body
            && (size.0 == 0 || size.0 > MAX_BODY_CAP)
        {
            problems.push(format!(
                "max_body is {size}: choose from 1 byte to {}",
                format_bytes(MAX_BODY_CAP)
            ));
        }
    }
}

impl Probe for HttpProbe {
    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn target(&self) -> String {
        format!("{} {}", self.method.0, redact_url(&self.url))
    }

    fn secrets(&self) -> Vec<String> {
        request_secrets(&self.headers, self.body.as_ref(), &self.url)
    }

    fn validate(&self, timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("http", &self.url, &self.headers);
        problems.extend(self.tls.problems());
        self.validate_limits(timeout, &mut problems);
        let expect = &self.expect;
        for json in &expect.json {
            problems.extend(json.problems());
        }
        for (name, rule) in &expect.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                problems.push(format!(
                    "expect.headers: `{name}` is not a valid header name"
                ));
            }
            problems.extend(rule.0.problems(&format!("expect.headers.{name}")));
        }
        if let Some(rule) = &expect.location {
            problems.extend(rule.0.problems("expect.location"));
        }
        if self.method.0 == reqwest::Method::HEAD
            && (!expect.body_contains.0.is_empty()
                || expect.body_matches.is_some()
                || !expect.json.is_empty())
        {
            problems.push(
                "a HEAD response has no body: body and json expectations can never hold".to_owned(),
            );
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
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
        let limits = Limits {
            redirects: self
                .follow_redirects
                .then(|| self.max_redirects.unwrap_or(MAX_REDIRECTS)),
            body: self.max_body(),
            keep_body: self.expect.needs_body(),
        };
        let samples = self.samples.unwrap_or(1).max(1);
        let mut latencies = Vec::new();
        let mut index = 1;
        loop {
            let exchange = match send(&client, request.clone(), limits).await {
                Ok(exchange) => exchange,
                Err(failure) => {
                    let mut finding = failure.finding();
                    if samples > 1 {
                        finding.evidence =
                            format!("sample {index} of {samples}: {}", finding.evidence);
                    }
                    return finding;
                }
            };
            latencies.push(exchange.latency);
            let checks = self.content_checks(&exchange);
            let failed = checks.iter().any(|c| c.verdict != Verdict::Pass);
            if failed || index == samples {
                return self.judge(&exchange, checks, index, &latencies);
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::web::Exchange;

    fn probe(yaml: &str) -> HttpProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn exchange(status: u16, ms: u64, body: &str, headers: &[(&str, &str)]) -> Exchange {
        let mut exchange = Exchange::fake(status, headers, body);
        exchange.latency = Duration::from_millis(ms);
        exchange
    }

    fn finding(p: &HttpProbe, ex: &Exchange) -> Finding {
        p.judge(ex, p.content_checks(ex), 1, &[ex.latency])
    }

    #[test]
    fn evidence_reads_expected_and_got() {
        let p = probe("{ url: 'http://h.test/x', expect: { status: 200 } }");
        let f = finding(&p, &exchange(503, 41, "", &[]));
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected status 200, got 503 Service Unavailable in 41ms"
        );
        let f = finding(&p, &exchange(200, 7, "{}", &[]));
        assert_eq!(f.evidence, "200 OK in 7ms");
    }

    #[test]
    fn response_headers_are_checked_by_any_case() {
        let p = probe(
            "{ url: 'http://h.test/x', expect: { headers: { content-type: { contains: json }, X-Request-Id: { exists: true } } } }",
        );
        let ok = exchange(
            200,
            3,
            "",
            &[("Content-Type", "application/json"), ("x-request-id", "7")],
        );
        assert_eq!(finding(&p, &ok).verdict, Verdict::Pass);
        let bad = exchange(200, 3, "", &[("Content-Type", "text/html")]);
        assert_eq!(
            finding(&p, &bad).evidence,
            "expected header content-type containing \"json\", got \"text/html\"; expected header X-Request-Id, got none in 3ms"
        );
    }

    #[test]
    fn a_body_past_the_limit_fails() {
        let p = probe("{ url: 'http://h.test/x', max_body: 1KiB }");
        let mut ex = exchange(200, 3, "", &[]);
        ex.body.truncated = true;
        assert_eq!(
            finding(&p, &ex).evidence,
            "expected a body of at most 1 KiB, got more than 1 KiB of body (stopped reading there) in 3ms"
        );
    }

    #[test]
    fn samples_report_percentiles() {
        let p = probe("{ url: 'http://h.test/x', samples: 4, expect: { p95: 100ms } }");
        let ex = exchange(200, 30, "", &[]);
        let latencies: Vec<Duration> = [10, 20, 30, 400].map(Duration::from_millis).to_vec();
        let f = p.judge(&ex, p.content_checks(&ex), 4, &latencies);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected p95 <= 100ms, got 400ms over 4 samples (p50 20ms, p90 400ms, p95 400ms, p99 400ms over 4 samples)"
        );
        let fine: Vec<Duration> = [10, 20, 30, 40].map(Duration::from_millis).to_vec();
        let f = p.judge(&ex, p.content_checks(&ex), 4, &fine);
        assert_eq!(
            f.evidence,
            "200 OK; p50 20ms, p90 40ms, p95 40ms, p99 40ms over 4 samples"
        );
    }

    #[test]
    fn insecure_is_never_green() {
        let p = probe("{ url: 'https://h.test/x', tls: { insecure: true } }");
        let f = finding(&p, &exchange(200, 5, "", &[]));
        assert_eq!(f.verdict, Verdict::Warn);
        assert_eq!(
            f.evidence,
            "expected TLS certificates verified, got insecure: true (certificate checks are off) in 5ms"
        );
    }

    #[test]
    fn validation_catches_impossible_settings() {
        let p = probe(
            "{ url: 'http://h.test/x', tls: { client_cert: c.pem, insecure: true, ca_file: ca.pem }, samples: 500, expect: { p95: 1s } }",
        );
        let problems = p.validate(Duration::from_secs(10));
        assert_eq!(
            problems,
            [
                "tls: client_cert needs client_key",
                "tls: insecure: true checks no certificate, so ca_file would be ignored: choose one",
                "samples is 500: send from 1 to 100 requests",
            ]
        );
        let p = probe("{ url: 'http://h.test/x', expect: { p95: 1s } }");
        assert!(p.validate(Duration::from_secs(10))[0].starts_with("p95 is a percentile"));
    }
}
