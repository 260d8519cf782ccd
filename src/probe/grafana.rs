//! `grafana`: asks Grafana's HTTP API — `/api/health` reports its database
//! ok, dashboards exist (by uid or by exact title), and named data sources
//! pass Grafana's own health check. Through the shared web client; the
//! token is always a secret.
//!
//! ```yaml
//! probe:
//!   grafana:
//!     url: https://grafana.example.com
//!     token: ${GRAFANA_TOKEN}
//!     dashboards: { uids: [api-overview], titles: [Launch day] }
//!     datasources: [Prometheus]
//! ```

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check, excerpt};
use crate::probe::web::fields::{request_secrets, validate_request};
use crate::probe::web::{
    Exchange, Limits, Method, RequestHeaders, TlsBlock, prepare, redact_url, send,
};
use crate::probe::{Context, Probe};

/// The most of one API answer read.
pub const MAX_ANSWER: usize = 4 << 20;

/// The most dashboards and data sources one probe asks about.
pub const MAX_NAMES: usize = 50;

/// Configuration of a `grafana` probe. With only `url`, `/api/health` must say the database is ok.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrafanaProbe {
    /// Grafana's base URL (required).
    pub url: Text,
    /// A service account token, sent as `Authorization: Bearer …`; always secret.
    #[serde(default)]
    pub token: Option<Text>,
    /// Other request headers; values from the environment are secret.
    #[serde(default)]
    pub headers: RequestHeaders,
    /// `{ ca_file, client_cert, client_key, insecure }`: the TLS block every web probe takes.
    #[serde(default)]
    pub tls: TlsBlock,
    /// Dashboards that must exist.
    #[serde(default)]
    pub dashboards: Dashboards,
    /// Data sources (by name) whose health check must pass.
    #[serde(default)]
    pub datasources: Vec<String>,
}

/// Dashboards by uid and by exact title.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboards {
    /// Dashboard uids (`/api/dashboards/uid/…`).
    #[serde(default)]
    pub uids: Vec<String>,
    /// Exact dashboard titles (`/api/search`).
    #[serde(default)]
    pub titles: Vec<String>,
}

/// An answer, or why there was none worth reading.
enum Answer {
    Json(u16, Value),
    Failed(Finding),
}

impl GrafanaProbe {
    fn headers(&self) -> RequestHeaders {
        let mut headers = self.headers.clone();
        if let Some(token) = &self.token {
            // The token is declared secret in `secrets`, and `Authorization`
            // never crosses to another origin on a redirect.
            headers.insert(
                "Authorization".into(),
                Text::literal(format!("Bearer {}", token.as_str())),
            );
        }
        headers
    }

    async fn get(&self, ctx: &Context, path: &str) -> Answer {
        let url = format!("{}{path}", self.url.trim_end_matches('/'));
        let (client, request) = match prepare(
            ctx,
            &self.tls,
            &Method::default(),
            &url,
            &self.headers(),
            None,
        ) {
            Ok(pair) => pair,
            Err(f) => return Answer::Failed(f),
        };
        crate::probe::stage(format!(
            "asking Grafana {}",
            path.split('?').next().unwrap_or("")
        ));
        match send(
            &client,
            request,
            Limits {
                redirects: Some(5),
                body: MAX_ANSWER,
                keep_body: true,
            },
        )
        .await
        {
            Ok(exchange) => read(&exchange, path),
            Err(failure) => Answer::Failed(failure.finding()),
        }
    }
}

fn read(exchange: &Exchange, path: &str) -> Answer {
    let status = exchange.status.as_u16();
    if status == 401 || status == 403 {
        return Answer::Failed(Finding::error(format!(
            "{} from {}: the token is missing, wrong or lacks permission",
            exchange.status_line(),
            path.split('?').next().unwrap_or("")
        )));
    }
    if exchange.body.truncated {
        return Answer::Failed(Finding::error(format!(
            "{path}: the answer is larger than 4MiB"
        )));
    }
    match serde_json::from_slice(&exchange.body.bytes) {
        Ok(value) => Answer::Json(status, value),
        Err(_) => Answer::Failed(Finding::error(format!(
            "{} from {}: not JSON: {}",
            exchange.status_line(),
            path.split('?').next().unwrap_or(""),
            excerpt(&String::from_utf8_lossy(&exchange.body.bytes), 80)
        ))),
    }
}

/// Percent-encodes a path segment or query value.
fn encode(value: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/").expect("static URL");
    url.query_pairs_mut().append_pair("q", value);
    url.query()
        .unwrap_or("q=")
        .trim_start_matches("q=")
        .replace('+', "%20")
}

impl Probe for GrafanaProbe {
    fn target(&self) -> String {
        format!("grafana {}", redact_url(&self.url))
    }

    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = request_secrets(&self.headers, None, &self.url);
        if let Some(token) = &self.token
            && !token.is_empty()
        {
            out.push(token.as_str().to_owned());
            out.extend(token.env_parts().iter().cloned());
        }
        out
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("grafana", &self.url, &self.headers);
        if self.token.is_some()
            && self
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("authorization"))
        {
            problems.push("token sets the Authorization header: leave it out of headers".into());
        }
        let count =
            self.dashboards.uids.len() + self.dashboards.titles.len() + self.datasources.len();
        if count > MAX_NAMES {
            problems.push(format!(
                "at most {MAX_NAMES} dashboards and data sources in one probe, not {count}"
            ));
        }
        problems.extend(self.tls.problems());
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl GrafanaProbe {
    /// One attempt, before `tls.insecure` has its say.
    async fn attempt(&self, ctx: &Context) -> Finding {
        let mut checks: Vec<Check> = Vec::new();
        let mut summary: Vec<String> = Vec::new();
        let health = match self.get(ctx, "/api/health").await {
            Answer::Json(_, v) => v,
            Answer::Failed(f) => return f,
        };
        let database = health["database"].as_str().unwrap_or("missing");
        checks.push(check(
            database == "ok",
            "/api/health database ok",
            format!("database {database}"),
        ));
        summary.push(format!(
            "Grafana {} healthy",
            health["version"].as_str().unwrap_or("?")
        ));
        let mut missing: Vec<String> = Vec::new();
        for uid in &self.dashboards.uids {
            match self
                .get(ctx, &format!("/api/dashboards/uid/{}", encode(uid)))
                .await
            {
                Answer::Json(200, v) if v["dashboard"].is_object() => {}
                Answer::Json(404, _) => missing.push(format!("uid {uid}")),
                Answer::Json(status, v) => {
                    return Finding::error(format!(
                        "/api/dashboards/uid/{uid}: {status} {}",
                        excerpt(&v.to_string(), 80)
                    ));
                }
                Answer::Failed(f) => return f,
            }
        }
        for title in &self.dashboards.titles {
            match self
                .get(
                    ctx,
                    &format!("/api/search?type=dash-db&query={}", encode(title)),
                )
                .await
            {
                Answer::Json(200, Value::Array(found)) => {
                    if !found.iter().any(|d| d["title"] == title.as_str()) {
                        missing.push(format!("title \"{title}\""));
                    }
                }
                Answer::Json(status, v) => {
                    return Finding::error(format!(
                        "/api/search: {status} {}",
                        excerpt(&v.to_string(), 80)
                    ));
                }
                Answer::Failed(f) => return f,
            }
        }
        let wanted = self.dashboards.uids.len() + self.dashboards.titles.len();
        if wanted > 0 {
            checks.push(check(
                missing.is_empty(),
                format!("{wanted} dashboard(s) to exist"),
                if missing.is_empty() {
                    "all found".to_owned()
                } else {
                    format!("missing: {}", missing.join(", "))
                },
            ));
            summary.push(format!("{} dashboard(s) found", wanted - missing.len()));
        }
        for name in &self.datasources {
            let uid = match self
                .get(ctx, &format!("/api/datasources/name/{}", encode(name)))
                .await
            {
                Answer::Json(200, v) => v["uid"].as_str().unwrap_or_default().to_owned(),
                Answer::Json(404, _) => {
                    checks.push(check(
                        false,
                        format!("data source {name} healthy"),
                        "no such data source",
                    ));
                    continue;
                }
                Answer::Json(status, v) => {
                    return Finding::error(format!(
                        "/api/datasources/name/{name}: {status} {}",
                        excerpt(&v.to_string(), 80)
                    ));
                }
                Answer::Failed(f) => return f,
            };
            match self
                .get(
                    ctx,
                    &format!("/api/datasources/uid/{}/health", encode(&uid)),
                )
                .await
            {
                Answer::Json(_, v) => {
                    let status = v["status"].as_str().unwrap_or("?");
                    let message = excerpt(v["message"].as_str().unwrap_or(""), 120);
                    checks.push(check(
                        status == "OK",
                        format!("data source {name} healthy"),
                        format!("{status}: {message}"),
                    ));
                }
                Answer::Failed(f) => return f,
            }
        }
        if !self.datasources.is_empty() {
            summary.push(format!(
                "data source(s) {} checked",
                self.datasources.join(", ")
            ));
        }
        Finding::from_checks(checks, &summary.join("; "), "")
    }
}
