//! `prometheus`: asks a Prometheus server's HTTP API — an instant query
//! compared with a threshold (for every series, or for any), the targets of a
//! scrape job all up, named alerting rules loaded and healthy, and no alert of
//! a given severity firing. Requests go through the web client the other web
//! probes share: the same TLS options, headers and secret handling.
//!
//! ```yaml
//! probe:
//!   prometheus:
//!     url: https://prometheus.example.com
//!     query: 'sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m]))'
//!     below: 0.01
//! ```
//!
//! Sample values arrive as JSON strings (`"0.0049"`, `"NaN"`, `"+Inf"`) and
//! are compared as numbers. In a runbook `watch`, `metric: value` tracks the
//! query's worst series.

pub mod judge;

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::checklist::text::Text;
use crate::probe::web::fields::{request_secrets, validate_request};
use crate::probe::web::{Limits, RequestHeaders, TlsBlock, prepare, redact_url, send};
use crate::probe::{Context, Finding, Probe};

/// The most of one API answer read.
pub const MAX_ANSWER: usize = 8 << 20;

/// Configuration of a `prometheus` probe; give at least one of `query`,
/// `targets`, `rules`, `alerts`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusProbe {
    /// The server's base URL, e.g. `http://prometheus:9090` (required).
    pub url: Text,
    /// Request headers (`Authorization: Bearer ${PROM_TOKEN}`); values from the environment are secret.
    #[serde(default)]
    pub headers: RequestHeaders,
    /// `{ ca_file, client_cert, client_key, insecure }`: the TLS block every web probe takes.
    #[serde(default)]
    pub tls: TlsBlock,
    /// A PromQL instant query.
    #[serde(default)]
    pub query: Option<Text>,
    /// Every series (or any, see `match`) must be below this.
    #[serde(default)]
    pub below: Option<f64>,
    /// … above this.
    #[serde(default)]
    pub above: Option<f64>,
    /// … equal to this.
    #[serde(default)]
    pub equals: Option<f64>,
    /// `every` (default) or `any` series must hold.
    #[serde(default, rename = "match")]
    pub matching: Matching,
    /// A query that returns no series passes (default `false`: it fails).
    #[serde(default)]
    pub allow_empty: bool,
    /// A scrape job whose targets must all be up (and at least one exist).
    #[serde(default)]
    pub targets: Option<String>,
    /// Alerting rules that must be loaded and healthy, by name.
    #[serde(default)]
    pub rules: Vec<String>,
    /// No alert may be firing (of `severity`, if given).
    #[serde(default)]
    pub alerts: Option<Alerts>,
}

/// Which series must meet the threshold.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Matching {
    /// All of them.
    #[default]
    Every,
    /// At least one.
    Any,
}

/// `alerts:` — what may not be firing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alerts {
    /// Only alerts with this `severity` label count (default: every alert).
    #[serde(default)]
    pub severity: Option<String>,
    /// Alert names that never count (e.g. `Watchdog`, which always fires).
    #[serde(default)]
    pub ignore: Vec<String>,
}

/// What the API answered, per question.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The query's series: labels and value.
    pub series: Option<Vec<(String, f64)>>,
    /// The job's targets: (instance, health, last error).
    pub targets: Option<Vec<(String, String, String)>>,
    /// Alerting rules loaded: (name, health, last error).
    pub rules: Option<Vec<(String, String, String)>>,
    /// Alerts firing: (name, labels).
    pub firing: Option<Vec<(String, String)>>,
}

impl PrometheusProbe {
    /// GETs `path` under the base URL and returns `data` of a successful answer.
    async fn api(&self, ctx: &Context, path_and_query: &str) -> Result<Value, Finding> {
        let url = format!("{}{path_and_query}", self.url.trim_end_matches('/'));
        let (client, request) = prepare(
            ctx,
            &self.tls,
            &crate::probe::web::Method::default(),
            &url,
            &self.headers,
            None,
        )?;
        crate::probe::stage(format!(
            "asking Prometheus {}",
            path_and_query.split('?').next().unwrap_or("")
        ));
        let exchange = send(
            &client,
            request,
            Limits {
                redirects: Some(5),
                body: MAX_ANSWER,
                keep_body: true,
            },
        )
        .await
        .map_err(crate::probe::web::Failure::finding)?;
        if exchange.body.truncated {
            return Err(Finding::error(format!(
                "{path_and_query}: the answer is larger than 8MiB"
            )));
        }
        let doc: Value = serde_json::from_slice(&exchange.body.bytes).map_err(|_| {
            Finding::error(format!(
                "{} from {}: not a Prometheus API answer: {}",
                exchange.status_line(),
                path_and_query.split('?').next().unwrap_or(""),
                crate::probe::expect::excerpt(&String::from_utf8_lossy(&exchange.body.bytes), 80)
            ))
        })?;
        if doc["status"] != "success" {
            let error = doc["error"].as_str().unwrap_or("no error message");
            let kind = doc["errorType"].as_str().unwrap_or("error");
            return Err(Finding::error(format!(
                "{} {kind}: {error}",
                exchange.status_line()
            )));
        }
        Ok(doc["data"].clone())
    }

    async fn gather(&self, ctx: &Context) -> Result<Seen, Finding> {
        let mut seen = Seen::default();
        if let Some(query) = &self.query {
            let q: String = form(query.as_str());
            let data = self.api(ctx, &format!("/api/v1/query?query={q}")).await?;
            seen.series = Some(judge::series(&data).map_err(Finding::error)?);
        }
        if let Some(job) = &self.targets {
            let data = self.api(ctx, "/api/v1/targets?state=active").await?;
            let targets = data["activeTargets"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            seen.targets = Some(
                targets
                    .iter()
                    .filter(|t| {
                        t["labels"]["job"] == job.as_str() || t["scrapePool"] == job.as_str()
                    })
                    .map(|t| {
                        (
                            t["labels"]["instance"].as_str().unwrap_or("?").to_owned(),
                            t["health"].as_str().unwrap_or("unknown").to_owned(),
                            t["lastError"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect(),
            );
        }
        if !self.rules.is_empty() {
            let data = self.api(ctx, "/api/v1/rules?type=alert").await?;
            let mut rules = Vec::new();
            for group in data["groups"].as_array().into_iter().flatten() {
                for rule in group["rules"].as_array().into_iter().flatten() {
                    rules.push((
                        rule["name"].as_str().unwrap_or("").to_owned(),
                        rule["health"].as_str().unwrap_or("unknown").to_owned(),
                        rule["lastError"].as_str().unwrap_or("").to_owned(),
                    ));
                }
            }
            seen.rules = Some(rules);
        }
        if let Some(alerts) = &self.alerts {
            let data = self.api(ctx, "/api/v1/alerts").await?;
            seen.firing = Some(
                data["alerts"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter(|a| a["state"] == "firing")
                    .filter(|a| {
                        alerts
                            .severity
                            .as_deref()
                            .is_none_or(|s| a["labels"]["severity"] == s)
                    })
                    .map(|a| {
                        (
                            a["labels"]["alertname"].as_str().unwrap_or("?").to_owned(),
                            judge::labels(&a["labels"]),
                        )
                    })
                    .filter(|(name, _)| !alerts.ignore.contains(name))
                    .collect(),
            );
        }
        Ok(seen)
    }
}

/// Percent-encodes a query parameter value.
fn form(value: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("static URL");
    url.query_pairs_mut().append_pair("q", value);
    url.query()
        .unwrap_or("q=")
        .trim_start_matches("q=")
        .to_owned()
}

impl Probe for PrometheusProbe {
    fn target(&self) -> String {
        format!("prometheus {}", redact_url(&self.url))
    }

    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn secrets(&self) -> Vec<String> {
        request_secrets(&self.headers, None, &self.url)
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("prometheus", &self.url, &self.headers);
        if self.query.is_none()
            && self.targets.is_none()
            && self.rules.is_empty()
            && self.alerts.is_none()
        {
            problems.push(
                "prometheus: give a query (with below, above or equals), targets, rules or alerts"
                    .into(),
            );
        }
        let thresholds = [self.below, self.above, self.equals]
            .iter()
            .flatten()
            .count();
        if self.query.is_some() && thresholds == 0 {
            problems.push("a query needs a threshold: below, above or equals".into());
        }
        if self.query.is_none()
            && (thresholds > 0 || self.allow_empty || self.matching == Matching::Any)
        {
            problems.push(
                "below, above, equals, match and allow_empty judge a query: add query".into(),
            );
        }
        if self.equals.is_some() && thresholds > 1 {
            problems.push("equals stands alone: leave out below and above".into());
        }
        if let (Some(b), Some(a)) = (self.below, self.above)
            && b <= a
        {
            problems.push(format!("no value is below {b} and above {a}"));
        }
        problems.extend(self.tls.problems());
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        match self.gather(ctx).await {
            Ok(seen) => self.tls.judge(judge::judge(self, &seen)),
            Err(finding) => finding,
        }
    }
}
