//! One step of a flow: an HTTP request judged exactly as an `http` probe
//! judges one (the same request fields, exchange and expectations), or a
//! WebSocket opened as a `websocket` probe opens one — with `{{captures}}`
//! filled in, the flow's cookies sent, and values captured for later steps.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Verdict;
use crate::probe::expect::Finding;
use crate::probe::flow::capture::Capture;
use crate::probe::flow::template::{self, Captured, Json};
use crate::probe::http::{HttpExpect, HttpProbe};
use crate::probe::web::fields::ByteSize;
use crate::probe::web::{Method, RequestHeaders};
use crate::probe::websocket::WebsocketProbe;
use crate::probe::{Context, Probe};

/// The most times one step is sent while it `retry`s.
pub const MAX_STEP_ATTEMPTS: u32 = 50;

/// One step: an HTTP request (`url`, …) or a WebSocket (`websocket:`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    /// What the step does, for people: `log in` (required).
    pub name: String,
    /// The request method (default `GET`).
    #[serde(default)]
    pub method: Method,
    /// The URL to request; may use `{{captures}}`.
    #[serde(default)]
    pub url: Option<Text>,
    /// Request headers; values may use `{{captures}}` (and are then secret).
    #[serde(default)]
    pub headers: RequestHeaders,
    /// Query parameters added to the URL (encoded).
    #[serde(default)]
    pub query: IndexMap<String, Text>,
    /// A body sent as it is.
    #[serde(default)]
    pub body: Option<Text>,
    /// A JSON body, written in YAML (sent with `Content-Type: application/json`).
    #[serde(default)]
    pub json: Option<Json>,
    /// A form body (sent as `application/x-www-form-urlencoded`).
    #[serde(default)]
    pub form: IndexMap<String, Text>,
    /// Follow redirects (default `true`); the flow's cookies go along.
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// The most body read; a longer body fails the step (default `1MiB`).
    #[serde(default)]
    pub max_body: Option<ByteSize>,
    /// What the response must look like: everything `http`'s `expect` takes.
    #[serde(default)]
    pub expect: HttpExpect,
    /// Values to take from the response for later steps, by name.
    #[serde(default)]
    pub capture: IndexMap<String, Capture>,
    /// This step's own deadline (default: none; the probe's `timeout` covers the flow).
    #[serde(default)]
    pub timeout: Option<Dur>,
    /// Send the step again until its expectations hold (a job becoming `done`).
    #[serde(default)]
    pub retry: Option<Retry>,
    /// Open a WebSocket instead of an HTTP request: every `websocket` probe field.
    #[serde(default)]
    pub websocket: Option<WebsocketProbe>,
}

fn yes() -> bool {
    true
}

/// How a step tries again.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Retry {
    /// The most times the step is sent (2 to 50).
    pub attempts: u32,
    /// The wait between them (default `1s`, at most `30s`).
    #[serde(default)]
    pub interval: Option<Dur>,
}

/// The TLS settings every step of a flow shares.
#[derive(Debug, Clone, Default)]
pub struct Tls {
    /// A PEM file of CAs to trust instead of the system's.
    pub ca_file: Option<Text>,
    /// A client certificate for mutual TLS.
    pub client_cert: Option<Text>,
    /// Its key.
    pub client_key: Option<Text>,
    /// Accept any certificate (a flow then warns at best).
    pub insecure: bool,
}

/// How one step went.
pub struct Ran {
    /// Its finding (evidence without the step's name).
    pub finding: Finding,
    /// How many times it was sent.
    pub attempts: u32,
    /// Secret values it captured.
    pub learnt: Vec<String>,
}

impl FlowStep {
    /// The strings of this step that may hold `{{captures}}`, in the order
    /// they are written.
    pub fn templates(&self) -> Vec<&Text> {
        let mut out: Vec<&Text> = Vec::new();
        out.extend(self.url.iter());
        out.extend(self.headers.values());
        out.extend(self.query.values());
        out.extend(self.body.iter());
        out.extend(self.json.iter().flat_map(Json::texts));
        out.extend(self.form.values());
        if let Some(ws) = &self.websocket {
            out.push(&ws.url);
            out.extend(ws.headers.values());
            out.extend(ws.send.iter());
        }
        out
    }

    /// What must never be shown: values from the environment in the request.
    pub fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(ws) = &self.websocket {
            out.extend(ws.secrets());
        }
        if let Some(url) = &self.url {
            out.extend(crate::probe::web::fields::request_secrets(
                &self.headers,
                self.body.as_ref(),
                url,
            ));
        }
        let values = self
            .query
            .values()
            .chain(self.form.values())
            .chain(self.json.iter().flat_map(Json::texts));
        for value in values.filter(|v| v.from_env()) {
            out.push(value.as_str().to_owned());
            out.extend(value.env_parts().iter().cloned());
        }
        out
    }

    /// Problems no type can express, with the flow's `timeout`.
    pub fn problems(&self, tls: &Tls, timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        let bodies = usize::from(self.body.is_some())
            + usize::from(self.json.is_some())
            + usize::from(!self.form.is_empty());
        if bodies > 1 {
            problems.push("give one of body, json and form".to_owned());
        }
        match (&self.url, &self.websocket) {
            (Some(_), Some(_)) => {
                problems
                    .push("a step is an HTTP request (url) or a websocket, not both".to_owned());
            }
            (None, None) => problems.push("a step needs a url (or a websocket)".to_owned()),
            (None, Some(ws)) => {
                let mut sampled = ws.clone();
                sampled.url = template::sample(&ws.url);
                problems.extend(sampled.validate(timeout));
            }
            (Some(_), None) => match self.http(tls, &Captured::new(), true) {
                Ok(http) => problems.extend(http.problems(timeout)),
                Err(e) => problems.push(e),
            },
        }
        for (name, capture) in &self.capture {
            problems.extend(capture.problems(name));
        }
        if let Some(limit) = self.timeout
            && (limit.0.is_zero() || limit.0 >= timeout)
        {
            problems.push(format!(
                "its timeout ({limit}) must be above 0 and below the probe's ({})",
                format_duration(timeout)
            ));
        }
        if let Some(retry) = self.retry {
            if !(2..=MAX_STEP_ATTEMPTS).contains(&retry.attempts) {
                problems.push(format!(
                    "retry.attempts is {}: send it from 2 to {MAX_STEP_ATTEMPTS} times",
                    retry.attempts
                ));
            }
            if retry
                .interval
                .is_some_and(|i| i.0 > Duration::from_secs(30))
            {
                problems.push("retry.interval is at most 30s".to_owned());
            }
        }
        problems
    }

    /// The `http` probe this step sends, with captures filled in (or, with
    /// `sample`, replaced by `x`, to check the shape before anything runs).
    fn http(&self, tls: &Tls, captured: &Captured, sample: bool) -> Result<HttpProbe, String> {
        let fill = |t: &Text| {
            if sample {
                template::sample(t)
            } else {
                template::render(t, captured)
            }
        };
        let url = self.url.as_ref().map(fill).unwrap_or_default();
        let url = if self.query.is_empty() {
            url
        } else {
            let mut parsed = reqwest::Url::parse(&url).map_err(|e| {
                format!(
                    "url `{}` is not a valid URL: {e}",
                    crate::probe::web::redact_url(&url)
                )
            })?;
            let mut secret = url.env_parts().to_vec();
            for (name, value) in &self.query {
                let value = fill(value);
                secret.extend(value.env_parts().iter().cloned());
                parsed.query_pairs_mut().append_pair(name, &value);
            }
            Text::with_secret_parts(parsed.to_string(), secret)
        };
        let mut headers: RequestHeaders = self
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), fill(v)))
            .collect();
        let has_type = headers
            .keys()
            .any(|k| k.eq_ignore_ascii_case("content-type"));
        let mut content_type = |value: &str| {
            if !has_type {
                headers.insert("Content-Type".to_owned(), Text::literal(value));
            }
        };
        let body = if let Some(json) = &self.json {
            content_type("application/json");
            let (value, secrets) = if sample {
                (serde_json::Value::Null, Vec::new())
            } else {
                json.render(captured)
            };
            Some(Text::with_secret_parts(value.to_string(), secrets))
        } else if self.form.is_empty() {
            self.body.as_ref().map(fill)
        } else {
            content_type("application/x-www-form-urlencoded");
            let mut encoded = reqwest::Url::parse("http://form.invalid/").expect("a fixed URL");
            let mut secrets = Vec::new();
            for (name, value) in &self.form {
                let value = fill(value);
                if value.from_env() {
                    secrets.push(value.as_str().to_owned());
                    secrets.extend(value.env_parts().iter().cloned());
                }
                encoded.query_pairs_mut().append_pair(name, &value);
            }
            Some(Text::with_secret_parts(
                encoded.query().unwrap_or_default(),
                secrets,
            ))
        };
        Ok(HttpProbe {
            url,
            method: self.method.clone(),
            headers,
            body,
            follow_redirects: self.follow_redirects,
            max_redirects: None,
            ca_file: tls.ca_file.clone(),
            client_cert: tls.client_cert.clone(),
            client_key: tls.client_key.clone(),
            insecure: tls.insecure,
            samples: None,
            max_body: self.max_body,
            expect: self.expect.clone(),
        })
    }

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
            let stage = crate::probe::current_stage();
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
            return (Self::socket(ws, jar, captured).run(ctx).await, None);
        }
        match self.http(tls, captured, false) {
            Ok(http) => {
                http.exchange_once(ctx, Some(jar), !self.capture.is_empty())
                    .await
            }
            Err(e) => (Finding::error(e), None),
        }
    }

    /// The WebSocket to open: captures filled in, the flow's cookies for its
    /// origin sent with the upgrade.
    fn socket(
        ws: &WebsocketProbe,
        jar: &reqwest::cookie::Jar,
        captured: &Captured,
    ) -> WebsocketProbe {
        use reqwest::cookie::CookieStore as _;
        let mut socket = ws.clone();
        socket.url = template::render(&ws.url, captured);
        socket.send = ws.send.as_ref().map(|s| template::render(s, captured));
        socket.headers = ws
            .headers
            .iter()
            .map(|(k, v)| (k.clone(), template::render(v, captured)))
            .collect();
        let http_url = socket
            .url
            .replacen("wss://", "https://", 1)
            .replacen("ws://", "http://", 1);
        if let Ok(url) = reqwest::Url::parse(&http_url)
            && let Some(cookies) = jar.cookies(&url)
            && !socket
                .headers
                .keys()
                .any(|k| k.eq_ignore_ascii_case("cookie"))
        {
            let value = String::from_utf8_lossy(cookies.as_bytes()).into_owned();
            socket.headers.insert(
                "Cookie".to_owned(),
                Text::with_secret_parts(value.clone(), vec![value]),
            );
        }
        socket
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
