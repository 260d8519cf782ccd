//! One step of a flow as written — an HTTP request judged exactly as an
//! `http` probe judges one (the same request fields, exchange and
//! expectations), or a WebSocket opened as a `websocket` probe opens one —
//! with its secrets and the problems validation reports. Sending it is in
//! `request.rs`, running it (retries, its deadline, captures) in `run.rs`.

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::probe::Probe;
use crate::probe::expect::Finding;
use crate::probe::flow::capture::Capture;
use crate::probe::flow::template::{self, Captured, Json};
use crate::probe::http::HttpExpect;
use crate::probe::web::fields::ByteSize;
use crate::probe::web::{Method, RequestHeaders};
use crate::probe::websocket::WebsocketProbe;

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

/// The TLS settings every step of a flow shares: the `tls:` block of every web probe.
pub type Tls = crate::probe::web::TlsBlock;

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
}
