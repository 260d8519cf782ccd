//! `http`: sends one request and compares the response with expectations —
//! status, latency, body text, and JSON values at a path.
//!
//! ```yaml
//! probe:
//!   http:
//!     url: "${api}/health"
//!     headers: { Authorization: "Bearer ${API_TOKEN}" }
//!     expect:
//!       status: 200
//!       max_latency: 500ms
//!       json:
//!         - { path: "$.status", equals: ok }
//! ```
//!
//! The response body is read up to [`MAX_BODY`]; anything past it is ignored and
//! said so in the evidence. Header values and bodies that use the environment
//! are secrets and never appear in output.

use std::fmt;
use std::time::{Duration, Instant};

use base64::Engine as _;
use indexmap::IndexMap;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::scalar::{Dur, Pattern, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check, excerpt, soft_check};
use crate::probe::{Context, Probe};

/// The most of a response body that is read, in bytes.
pub const MAX_BODY: usize = 1 << 20;

/// How many redirects are followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

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
    pub headers: IndexMap<String, Text>,
    /// A request body. A body that uses the environment is secret.
    #[serde(default)]
    pub body: Option<Text>,
    /// Follow redirects, up to 10 (default `true`).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
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
    /// Slower than this fails the probe (request sent to body read).
    #[serde(default)]
    pub max_latency: Option<Dur>,
    /// Slower than this makes the probe warn.
    #[serde(default)]
    pub warn_latency: Option<Dur>,
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
}

impl HttpExpect {
    /// Whether any expectation looks at the body.
    fn needs_body(&self) -> bool {
        !self.body_contains.0.is_empty()
            || !self.body_not_contains.0.is_empty()
            || self.body_matches.is_some()
            || !self.json.is_empty()
    }
}

/// An assertion on the values a JSONPath (RFC 9535) selects in the body.
/// Give `equals`, `matches`, or `exists`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonExpect {
    /// A JSONPath query such as `$.status` or `$.checks[*].ok`.
    pub path: JsonPathExpr,
    /// Every selected value equals this.
    #[serde(default)]
    pub equals: Option<serde_json::Value>,
    /// Every selected value (as text) matches this regular expression.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// Whether the path selects anything (default `true`).
    #[serde(default)]
    pub exists: Option<bool>,
}

/// A compiled JSONPath query.
#[derive(Clone)]
pub struct JsonPathExpr {
    source: String,
    path: serde_json_path::JsonPath,
}

impl fmt::Debug for JsonPathExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for JsonPathExpr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        let path = serde_json_path::JsonPath::parse(&source).map_err(|e| {
            de::Error::custom(format!(
                "invalid JSONPath `{source}`: {e}; paths start with `$`, e.g. `$.status`"
            ))
        })?;
        Ok(JsonPathExpr { source, path })
    }
}

/// An HTTP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method(pub reqwest::Method);

impl Default for Method {
    fn default() -> Self {
        Method(reqwest::Method::GET)
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const KNOWN: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let text = String::deserialize(deserializer)?;
        let upper = text.to_ascii_uppercase();
        if KNOWN.contains(&upper.as_str()) {
            return Ok(Method(upper.parse().map_err(de::Error::custom)?));
        }
        Err(de::Error::custom(format!(
            "unknown HTTP method `{text}`: use one of {}",
            KNOWN.join(", ")
        )))
    }
}

/// A set of acceptable statuses: exact codes and classes such as `2xx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(pub Vec<StatusPattern>);

/// One acceptable status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    /// Exactly this code.
    Code(u16),
    /// Any code of this class: `2` for `2xx`.
    Class(u16),
}

impl StatusSet {
    fn default_set() -> Self {
        StatusSet(vec![StatusPattern::Class(2)])
    }

    /// Whether `code` is acceptable.
    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|p| match *p {
            StatusPattern::Code(c) => c == code,
            StatusPattern::Class(k) => code / 100 == k,
        })
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| match p {
                StatusPattern::Code(c) => c.to_string(),
                StatusPattern::Class(k) => format!("{k}xx"),
            })
            .collect();
        f.write_str(&parts.join(" or "))
    }
}

fn parse_status(text: &str) -> Result<StatusPattern, String> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        return match class.parse::<u16>() {
            Ok(k @ 1..=5) => Ok(StatusPattern::Class(k)),
            _ => Err(format!("`{text}` is not a status class: use 1xx to 5xx")),
        };
    }
    match lower.parse::<u16>() {
        Ok(code @ 100..=599) => Ok(StatusPattern::Code(code)),
        _ => Err(format!(
            "`{text}` is not an HTTP status: use a code from 100 to 599 or a class like 2xx"
        )),
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = StatusSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status (200), a class (2xx), or a list of them")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusSet, E> {
                parse_status(&v.to_string())
                    .map(|p| StatusSet(vec![p]))
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSet, E> {
                parse_status(&v.to_string())
                    .map(|p| StatusSet(vec![p]))
                    .map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSet, E> {
                parse_status(v)
                    .map(|p| StatusSet(vec![p]))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<StatusSet>()? {
                    all.extend(one.0);
                }
                if all.is_empty() {
                    return Err(de::Error::custom("an empty status list accepts nothing"));
                }
                Ok(StatusSet(all))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

/// One string or a list of strings, each interpolated.
#[derive(Debug, Clone, Default)]
pub struct Strings(pub Vec<Text>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringsVisitor;
        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Strings, E> {
                Text::resolve(v.to_owned())
                    .map(|t| Strings(vec![t]))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut all = Vec::new();
                while let Some(text) = seq.next_element::<Text>()? {
                    all.push(text);
                }
                Ok(Strings(all))
            }
        }
        deserializer.deserialize_any(StringsVisitor)
    }
}

/// Builds the shared client: rustls, the system's roots, connection reuse.
pub(crate) fn build_client(
    follow_redirects: bool,
    resolver: crate::probe::resolve::ResolverHandle,
) -> Result<reqwest::Client, String> {
    let policy = if follow_redirects {
        reqwest::redirect::Policy::limited(MAX_REDIRECTS)
    } else {
        reqwest::redirect::Policy::none()
    };
    reqwest::Client::builder()
        .user_agent(concat!("candlefish/", env!("CARGO_PKG_VERSION")))
        .redirect(policy)
        .pool_idle_timeout(Duration::from_secs(30))
        .dns_resolver(std::sync::Arc::new(resolver))
        .build()
        .map_err(|e| format!("could not create the HTTP client: {}", root_cause(&e)))
}

/// `url` with any password in it replaced, for display.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

impl Probe for HttpProbe {
    fn target(&self) -> String {
        format!("{} {}", self.method.0, redact_url(&self.url))
    }

    fn host(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.url).ok()?;
        Some(format!(
            "{}:{}",
            url.host_str()?,
            url.port_or_known_default()?
        ))
    }

    fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for value in self.headers.values().chain(self.body.iter()) {
            if value.from_env() {
                out.push(value.as_str().to_owned());
                out.extend(value.env_parts().iter().cloned());
            }
        }
        if let Ok(url) = reqwest::Url::parse(&self.url)
            && let Some(password) = url.password()
        {
            out.push(password.to_owned());
            // The client sends URL credentials as Basic auth: mask the encoded form too.
            let pair = format!("{}:{password}", url.username());
            out.push(base64::engine::general_purpose::STANDARD.encode(pair));
        }
        out
    }

    fn validate(&self, timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        match reqwest::Url::parse(&self.url) {
            Ok(url) if !matches!(url.scheme(), "http" | "https") => problems.push(format!(
                "url `{}` has scheme `{}`: the http probe speaks http and https",
                redact_url(&self.url),
                url.scheme()
            )),
            Ok(_) => {}
            Err(e) => problems.push(format!(
                "url `{}` is not a valid URL: {e}",
                redact_url(&self.url)
            )),
        }
        for name in self.headers.keys() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                problems.push(format!("`{name}` is not a valid header name"));
            }
        }
        let expect = &self.expect;
        for (label, limit) in [
            ("max_latency", expect.max_latency),
            ("warn_latency", expect.warn_latency),
        ] {
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
        for json in &expect.json {
            let asserts = usize::from(json.equals.is_some()) + usize::from(json.matches.is_some());
            if json.exists == Some(false) && asserts > 0 {
                problems.push(format!(
                    "json `{}`: `exists: false` cannot be combined with equals or matches",
                    json.path.source
                ));
            }
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
        let client = match ctx.http_client(self.follow_redirects) {
            Ok(client) => client,
            Err(e) => return Finding::error(e),
        };
        let mut request = client.request(self.method.0.clone(), self.url.as_str());
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        if let Some(body) = &self.body {
            request = request.body(body.as_str().to_owned());
        }
        let started = Instant::now();
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => return Finding::error(describe_error(&e, &self.url)),
        };
        let status = response.status();
        let keep = self.expect.needs_body();
        let body = match read_bounded(response, MAX_BODY, keep).await {
            Ok(body) => body,
            Err(e) => {
                return Finding::error(format!(
                    "reading the body: {}",
                    describe_error(&e, &self.url)
                ));
            }
        };
        let observed = Observed {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or(""),
            latency: started.elapsed(),
            body,
        };
        compare(&self.expect, &observed)
    }
}

/// What an HTTP exchange showed.
struct Observed {
    status: u16,
    reason: &'static str,
    latency: Duration,
    body: Body,
}

struct Body {
    bytes: Vec<u8>,
    seen: usize,
    truncated: bool,
}

/// Reads at most `limit` bytes of the body. With `keep` false the bytes are
/// counted and dropped (nothing needs them), so memory stays flat however many
/// probes run at once.
async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
    keep: bool,
) -> Result<Body, reqwest::Error> {
    let mut bytes = Vec::new();
    let mut seen = 0usize;
    let mut truncated = false;
    while let Some(chunk) = response.chunk().await? {
        let room = limit - seen;
        let take = chunk.len().min(room);
        if keep {
            bytes.extend_from_slice(&chunk[..take]);
        }
        seen += take;
        if chunk.len() > room {
            truncated = true;
            break;
        }
    }
    Ok(Body {
        bytes,
        seen,
        truncated,
    })
}

/// Compares one observed exchange with the expectations.
fn compare(expect: &HttpExpect, seen: &Observed) -> Finding {
    let mut checks: Vec<Check> = Vec::new();
    let status_line = format!("{} {}", seen.status, seen.reason)
        .trim_end()
        .to_owned();
    let statuses = expect.status.clone().unwrap_or_else(StatusSet::default_set);
    checks.push(check(
        statuses.contains(seen.status),
        format!("status {statuses}"),
        status_line.clone(),
    ));
    let latency = format_duration(seen.latency);
    if let Some(max) = expect.max_latency {
        checks.push(check(
            seen.latency <= max.0,
            format!("latency <= {max}"),
            latency.clone(),
        ));
    }
    if let Some(warn) = expect.warn_latency {
        checks.push(soft_check(
            seen.latency <= warn.0,
            format!("latency <= {warn}"),
            latency.clone(),
        ));
    }
    let text = String::from_utf8_lossy(&seen.body.bytes);
    let body_size = if seen.body.truncated {
        format!("the first {} KiB of the body", MAX_BODY / 1024)
    } else {
        format!("a {}-byte body", seen.body.seen)
    };
    for needle in &expect.body_contains.0 {
        let found = text.contains(needle.as_str());
        checks.push(check(
            found,
            format!("body to contain {:?}", needle.as_str()),
            if found {
                "found".to_owned()
            } else {
                format!("{body_size} without it")
            },
        ));
    }
    for needle in &expect.body_not_contains.0 {
        let found = text.contains(needle.as_str());
        checks.push(check(
            !found,
            format!("body not to contain {:?}", needle.as_str()),
            if found {
                "it in the body".to_owned()
            } else {
                "absent".to_owned()
            },
        ));
    }
    if let Some(pattern) = &expect.body_matches {
        let found = pattern.0.is_match(&text);
        checks.push(check(
            found,
            format!("body to match /{}/", pattern.as_str()),
            if found {
                "a match".to_owned()
            } else {
                format!("no match in {body_size}")
            },
        ));
    }
    if !expect.json.is_empty() {
        match serde_json::from_slice::<serde_json::Value>(&seen.body.bytes) {
            Ok(document) => {
                for assertion in &expect.json {
                    checks.push(json_check(assertion, &document));
                }
            }
            Err(e) => checks.push(check(
                false,
                "a JSON body".to_owned(),
                format!("{body_size} that is not JSON ({e}): {}", excerpt(&text, 60)),
            )),
        }
    }
    let summary = format!("{status_line} in {latency}");
    // When the latency itself is the complaint, it is already in the evidence.
    let latency_failed = checks
        .iter()
        .any(|c| c.verdict != crate::outcome::Verdict::Pass && c.expected.starts_with("latency"));
    let context = if latency_failed {
        String::new()
    } else {
        format!("in {latency}")
    };
    Finding::from_checks(checks, &summary, &context)
}

fn json_check(assertion: &JsonExpect, document: &serde_json::Value) -> Check {
    let path = &assertion.path.source;
    let nodes: Vec<&serde_json::Value> = assertion.path.path.query(document).all();
    let shown = |v: &serde_json::Value| excerpt(&v.to_string(), 80);
    if assertion.exists == Some(false) {
        return check(
            nodes.is_empty(),
            format!("nothing at {path}"),
            nodes
                .first()
                .map_or_else(|| "nothing".to_owned(), |v| shown(v)),
        );
    }
    if nodes.is_empty() {
        return check(
            false,
            format!("a value at {path}"),
            "nothing there".to_owned(),
        );
    }
    if let Some(expected) = &assertion.equals {
        let bad = nodes.iter().find(|v| !json_equal(v, expected));
        return check(
            bad.is_none(),
            format!("{path} = {}", shown(expected)),
            bad.map_or_else(|| shown(nodes[0]), |v| shown(v)),
        );
    }
    if let Some(pattern) = &assertion.matches {
        let as_text = |v: &serde_json::Value| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let bad = nodes.iter().find(|v| !pattern.0.is_match(&as_text(v)));
        return check(
            bad.is_none(),
            format!("{path} to match /{}/", pattern.as_str()),
            bad.map_or_else(|| shown(nodes[0]), |v| shown(v)),
        );
    }
    check(true, format!("a value at {path}"), shown(nodes[0]))
}

/// JSON equality where `200` and `200.0` are the same number.
fn json_equal(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() < f64::EPSILON,
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

/// A person's account of why a request failed, without the URL's secrets.
fn describe_error(error: &reqwest::Error, url: &str) -> String {
    let place = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_default();
    if error.is_redirect() {
        return format!("too many redirects (more than {MAX_REDIRECTS})");
    }
    if error.is_timeout() {
        return format!("timed out talking to {place}");
    }
    let cause = root_cause(error);
    let lower = cause.to_ascii_lowercase();
    if lower.contains("connection refused") {
        format!("connection refused ({place})")
    } else if lower.contains("failed to lookup address") || lower.contains("dns error") {
        format!("could not resolve host ({place}): {cause}")
    } else if error.is_connect() {
        format!("could not connect to {place}: {cause}")
    } else {
        format!("{cause} ({place})")
    }
}

/// The innermost error message, which is usually the informative one.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    // reqwest's outer messages repeat the URL, which may hold secrets.
    if text.contains("://") {
        "request failed".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(status: u16, ms: u64, body: &str) -> Observed {
        Observed {
            status,
            reason: reqwest::StatusCode::from_u16(status)
                .ok()
                .and_then(|s| s.canonical_reason())
                .unwrap_or(""),
            latency: Duration::from_millis(ms),
            body: Body {
                bytes: body.as_bytes().to_vec(),
                seen: body.len(),
                truncated: false,
            },
        }
    }

    #[test]
    fn status_classes_and_codes() {
        assert_eq!(parse_status("2xx"), Ok(StatusPattern::Class(2)));
        assert_eq!(parse_status("204"), Ok(StatusPattern::Code(204)));
        assert!(parse_status("6xx").is_err());
        assert!(parse_status("99").is_err());
        let set = StatusSet(vec![StatusPattern::Class(2), StatusPattern::Code(304)]);
        assert!(set.contains(204) && set.contains(304) && !set.contains(301));
        assert_eq!(set.to_string(), "2xx or 304");
    }

    #[test]
    fn evidence_reads_expected_and_got() {
        let expect = HttpExpect {
            status: Some(StatusSet(vec![StatusPattern::Code(200)])),
            ..HttpExpect::default()
        };
        let f = compare(&expect, &seen(503, 41, ""));
        assert_eq!(f.verdict, crate::outcome::Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected status 200, got 503 Service Unavailable in 41ms"
        );
        let f = compare(&expect, &seen(200, 7, "{}"));
        assert_eq!(f.evidence, "200 OK in 7ms");
    }

    #[test]
    fn json_paths_compare_values() {
        let doc: serde_json::Value =
            serde_json::json!({"status": "ok", "n": 3, "checks": [{"ok": true}, {"ok": false}]});
        let path = |p: &str| JsonPathExpr {
            source: p.to_owned(),
            path: serde_json_path::JsonPath::parse(p).unwrap(),
        };
        let eq = |p: &str, v: serde_json::Value| JsonExpect {
            path: path(p),
            equals: Some(v),
            matches: None,
            exists: None,
        };
        assert_eq!(
            json_check(&eq("$.status", "ok".into()), &doc).verdict,
            crate::outcome::Verdict::Pass
        );
        assert_eq!(
            json_check(&eq("$.n", serde_json::json!(3.0)), &doc).verdict,
            crate::outcome::Verdict::Pass
        );
        let bad = json_check(&eq("$.checks[*].ok", true.into()), &doc);
        assert_eq!(bad.verdict, crate::outcome::Verdict::Fail);
        assert_eq!(bad.observed, "false");
        let missing = json_check(&eq("$.nope", true.into()), &doc);
        assert_eq!(missing.observed, "nothing there");
    }

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redact_url("https://u:hunter2@h.test/x"),
            "https://u:***@h.test/x"
        );
        assert_eq!(redact_url("https://h.test/x"), "https://h.test/x");
    }
}
