//! `graphql`: a GraphQL endpoint answers a query with data and no errors;
//! introspection is off in production (or on, or not checked); and a query
//! deeper than the server should accept is refused. The deep query is
//! generated from a field that nests (`friends { friends { … } }`) after a
//! shallow control query proves the field exists, or written by hand.
//!
//! ```yaml
//! probe:
//!   graphql:
//!     url: https://api.example.com/graphql
//!     query: "{ __typename }"
//!     introspection: disabled
//!     complexity: { field: friends, depth: 20, root: "user(id: 1)" }
//! ```

use std::fmt;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check, excerpt};
use crate::probe::web::TlsBlock;
use crate::probe::web::exchange::describe_size;
use crate::probe::web::fields::{request_secrets, validate_request};
use crate::probe::web::{Exchange, Limits, Request, RequestHeaders, fetch, redact_url};
use crate::probe::{Context, Probe};

/// The most of a GraphQL response read.
pub const MAX_RESPONSE: usize = 1 << 20;

/// The deepest generated query.
pub const MAX_DEPTH: u32 = 200;

/// The introspection query: small, and only answered when introspection is on.
const INTROSPECTION: &str = "{ __schema { queryType { name } } }";

/// Configuration of a `graphql` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlProbe {
    /// The GraphQL endpoint; queries are POSTed as JSON (required).
    pub url: Text,
    /// Request headers. Values that use the environment are secret.
    #[serde(default)]
    pub headers: RequestHeaders,
    /// A query that must return data without errors (default `{ __typename }`).
    #[serde(default)]
    pub query: Option<Text>,
    /// Variables for `query`, as a mapping (default none). `${VAR}` works in
    /// its strings; strings that use the environment are secret.
    #[serde(default)]
    pub variables: Option<Variables>,
    /// `disabled`: introspection must be refused (the default); `enabled`: it
    /// must answer; `any`: not checked.
    #[serde(default)]
    pub introspection: Introspection,
    /// A query the server must refuse for its depth or cost (default: not checked).
    #[serde(default)]
    pub complexity: Option<Complexity>,
    /// TLS settings: `ca_file`, `client_cert`/`client_key`, `insecure` (the
    /// same block on every web probe; default: the system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
}

/// GraphQL variables as written: any YAML mapping, with `${VAR}` resolved in
/// its strings.
#[derive(Clone, Default)]
pub struct Variables {
    /// The variables, resolved.
    pub value: Value,
    secrets: Vec<String>,
}

impl fmt::Debug for Variables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.secrets.is_empty() {
            write!(f, "Variables({})", self.value)
        } else {
            f.write_str("Variables(<from environment>)")
        }
    }
}

impl<'de> Deserialize<'de> for Variables {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        fn resolve(value: &mut Value, secrets: &mut Vec<String>) -> Result<(), String> {
            match value {
                Value::String(text) => {
                    let resolved = Text::resolve(std::mem::take(text))?;
                    if resolved.from_env() {
                        secrets.push(resolved.as_str().to_owned());
                        secrets.extend(resolved.env_parts().iter().cloned());
                    }
                    resolved.as_str().clone_into(text);
                }
                Value::Array(items) => {
                    for item in items {
                        resolve(item, secrets)?;
                    }
                }
                Value::Object(map) => {
                    for item in map.values_mut() {
                        resolve(item, secrets)?;
                    }
                }
                _ => {}
            }
            Ok(())
        }
        let mut value = Value::deserialize(deserializer)?;
        let mut secrets = Vec::new();
        resolve(&mut value, &mut secrets).map_err(serde::de::Error::custom)?;
        Ok(Variables { value, secrets })
    }
}

/// What introspection must do.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Introspection {
    /// Refused.
    #[default]
    Disabled,
    /// Answered.
    Enabled,
    /// Not checked.
    Any,
}

/// A query too deep or too costly to be answered: generated from `field`, or `query`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Complexity {
    /// A field that nests, such as `friends` or `parent` (arguments allowed:
    /// `friends(first: 5)`); the query repeats it `depth` times.
    #[serde(default)]
    pub field: Option<String>,
    /// How many times `field` nests (default 20, at most 200).
    #[serde(default)]
    pub depth: Option<u32>,
    /// A selection the nesting starts under, such as `user(id: 1)` (default: the root).
    #[serde(default)]
    pub root: Option<String>,
    /// Or the whole deep query, written by hand.
    #[serde(default)]
    pub query: Option<Text>,
}

impl Complexity {
    fn depth(&self) -> u32 {
        self.depth.unwrap_or(20)
    }

    /// `{ root { field { field { __typename } } } }` with `depth` fields.
    fn generated(&self, depth: u32) -> Option<String> {
        let field = self.field.as_deref()?;
        let mut query = String::from("{ ");
        if let Some(root) = &self.root {
            query.push_str(root);
            query.push_str(" { ");
        }
        for _ in 0..depth {
            query.push_str(field);
            query.push_str(" { ");
        }
        query.push_str("__typename");
        for _ in 0..depth {
            query.push_str(" }");
        }
        if self.root.is_some() {
            query.push_str(" }");
        }
        query.push_str(" }");
        Some(query)
    }
}

/// How a GraphQL request was answered.
#[derive(Debug, Clone, PartialEq)]
enum Answer {
    /// Data and no errors.
    Data(Value),
    /// Refused: errors, or a 4xx status. The first message.
    Refused(String),
    /// Something else: a 5xx, a body that is not GraphQL, a body too large.
    Broken(String),
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Answer::Data(data) => write!(f, "data {}", excerpt(&data.to_string(), 80)),
            Answer::Refused(message) => write!(f, "refused: {message}"),
            Answer::Broken(what) => f.write_str(what),
        }
    }
}

/// Reads a GraphQL response.
fn answer(exchange: &Exchange) -> Answer {
    let status = exchange.status.as_u16();
    let size = describe_size(&exchange.body, MAX_RESPONSE);
    if exchange.body.truncated {
        return Answer::Broken(format!("{} with {size}", exchange.status_line()));
    }
    let document: Option<Value> = serde_json::from_slice(&exchange.body.bytes).ok();
    let first_error = document
        .as_ref()
        .and_then(|d| d.get("errors"))
        .and_then(Value::as_array)
        .and_then(|errors| errors.first())
        .map(|e| {
            e.get("message")
                .and_then(Value::as_str)
                .map_or_else(|| excerpt(&e.to_string(), 100), |m| excerpt(m, 100))
        });
    if status >= 500 {
        return Answer::Broken(match first_error {
            Some(message) => format!("{}: {message}", exchange.status_line()),
            None => exchange.status_line(),
        });
    }
    if let Some(message) = first_error {
        return Answer::Refused(message);
    }
    if status >= 400 {
        let text = String::from_utf8_lossy(&exchange.body.bytes);
        return Answer::Refused(
            format!("{} {}", exchange.status_line(), excerpt(&text, 80))
                .trim_end()
                .to_owned(),
        );
    }
    match document.as_ref().and_then(|d| d.get("data")) {
        Some(data) if !data.is_null() => Answer::Data(data.clone()),
        _ => {
            let text = excerpt(&String::from_utf8_lossy(&exchange.body.bytes), 80);
            let mut what = format!("{} without GraphQL data", exchange.status_line());
            if !text.is_empty() {
                what.push_str(": ");
                what.push_str(&text);
            }
            Answer::Broken(what)
        }
    }
}

/// What the probe saw, request by request.
#[derive(Debug, Clone, Default)]
struct Seen {
    query: Option<Answer>,
    latency: Duration,
    introspection: Option<Answer>,
    control: Option<Answer>,
    deep: Option<Answer>,
}

impl GraphqlProbe {
    fn query(&self) -> &str {
        self.query.as_ref().map_or("{ __typename }", |q| q.as_str())
    }

    async fn ask(
        &self,
        ctx: &Context,
        query: &str,
        variables: Option<&Value>,
    ) -> Result<Exchange, Finding> {
        let mut request = Request::build(reqwest::Method::POST, &self.url, &self.headers, None)
            .map_err(Finding::error)?;
        request.headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        request.headers.insert(
            reqwest::header::ACCEPT,
            reqwest::header::HeaderValue::from_static(
                "application/graphql-response+json, application/json",
            ),
        );
        let mut payload = serde_json::json!({ "query": query });
        if let Some(variables) = variables {
            payload["variables"] = variables.clone();
        }
        request.body = Some(bytes::Bytes::from(payload.to_string()));
        let limits = Limits {
            redirects: None,
            body: MAX_RESPONSE,
            keep_body: true,
        };
        fetch(ctx, &self.tls, request, limits).await
    }

    fn compare(&self, seen: &Seen) -> Finding {
        let mut checks: Vec<Check> = Vec::new();
        let mut summary: Vec<String> = Vec::new();
        if let Some(answer) = &seen.query {
            let ok = matches!(answer, Answer::Data(_));
            checks.push(check(
                ok,
                "the query to return data without errors",
                answer.to_string(),
            ));
            summary.push(format!(
                "query answered with data in {}",
                crate::checklist::scalar::format_duration(seen.latency)
            ));
        }
        if let Some(answer) = &seen.introspection {
            let enabled = matches!(answer, Answer::Data(_));
            let (ok, expected) = match self.introspection {
                Introspection::Disabled => (!enabled, "introspection disabled"),
                Introspection::Enabled => (enabled, "introspection enabled"),
                Introspection::Any => (true, "introspection either way"),
            };
            let observed = match answer {
                Answer::Data(data) => {
                    let name = data
                        .pointer("/__schema/queryType/name")
                        .and_then(Value::as_str)
                        .unwrap_or("?");
                    format!("the schema (query type {name})")
                }
                other => other.to_string(),
            };
            checks.push(check(ok, expected, observed.clone()));
            summary.push(if enabled {
                "introspection enabled".to_owned()
            } else {
                format!("introspection disabled ({observed})")
            });
        }
        if let Some(complexity) = &self.complexity {
            if let Some(control) = &seen.control {
                let field = complexity.field.as_deref().unwrap_or("");
                checks.push(check(
                    matches!(control, Answer::Data(_)),
                    format!("the control query (`{field}` once) to answer, so the field is right"),
                    control.to_string(),
                ));
            }
            if let Some(deep) = &seen.deep {
                let what = if complexity.query.is_some() {
                    "the deep query".to_owned()
                } else {
                    format!("a {}-deep query", complexity.depth())
                };
                checks.push(check(
                    matches!(deep, Answer::Refused(_)),
                    format!("{what} refused"),
                    deep.to_string(),
                ));
                if let Answer::Refused(message) = deep {
                    summary.push(format!("{what} refused: {message}"));
                }
            }
        }
        Finding::from_checks(checks, &summary.join("; "), "")
    }
}

impl Probe for GraphqlProbe {
    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn target(&self) -> String {
        format!("POST {}", redact_url(&self.url))
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = request_secrets(&self.headers, None, &self.url);
        if let Some(variables) = &self.variables {
            out.extend(variables.secrets.iter().cloned());
        }
        out
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("graphql", &self.url, &self.headers);
        problems.extend(self.tls.problems());
        if let Some(variables) = &self.variables
            && !variables.value.is_object()
        {
            problems.push("variables must be a mapping of names to values".to_owned());
        }
        if let Some(c) = &self.complexity {
            match (&c.field, &c.query) {
                (Some(_), Some(_)) => problems.push("complexity: give field or query, not both".to_owned()),
                (None, None) => problems.push("complexity: give a field to nest (e.g. field: friends) or a query".to_owned()),
                (None, Some(_)) if c.depth.is_some() || c.root.is_some() => problems.push(
                    "complexity: depth and root shape a generated query; with query, leave them out".to_owned(),
                ),
                _ => {}
            }
            if c.field.is_some() && !(2..=MAX_DEPTH).contains(&c.depth()) {
                problems.push(format!(
                    "complexity.depth is {}: nest from 2 to {MAX_DEPTH} times",
                    c.depth()
                ));
            }
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl GraphqlProbe {
    /// One attempt, before `tls.insecure` has its say.
    async fn attempt(&self, ctx: &Context) -> Finding {
        let mut seen = Seen::default();
        let variables = self.variables.as_ref().map(|v| &v.value);
        let exchange = match self.ask(ctx, self.query(), variables).await {
            Ok(exchange) => exchange,
            Err(finding) => return finding,
        };
        seen.latency = exchange.latency;
        seen.query = Some(answer(&exchange));
        if self.introspection != Introspection::Any {
            match self.ask(ctx, INTROSPECTION, None).await {
                Ok(exchange) => seen.introspection = Some(answer(&exchange)),
                Err(finding) => return finding,
            }
        }
        if let Some(complexity) = &self.complexity {
            let deep_query = match (&complexity.query, complexity.generated(complexity.depth())) {
                (Some(query), _) => query.as_str().to_owned(),
                (None, Some(query)) => {
                    let control = complexity.generated(1).unwrap_or_default();
                    match self.ask(ctx, &control, None).await {
                        Ok(exchange) => seen.control = Some(answer(&exchange)),
                        Err(finding) => return finding,
                    }
                    query
                }
                (None, None) => String::new(),
            };
            if seen
                .control
                .as_ref()
                .is_none_or(|c| matches!(c, Answer::Data(_)))
                && !deep_query.is_empty()
            {
                match self.ask(ctx, &deep_query, None).await {
                    Ok(exchange) => seen.deep = Some(answer(&exchange)),
                    Err(finding) => return finding,
                }
            }
        }
        self.compare(&seen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn probe(yaml: &str) -> GraphqlProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn generated_queries_nest_the_field() {
        let c: Complexity =
            serde_saphyr::from_str("{ field: friends, depth: 3, root: 'user(id: 1)' }").unwrap();
        assert_eq!(
            c.generated(3).unwrap(),
            "{ user(id: 1) { friends { friends { friends { __typename } } } } }"
        );
        let plain: Complexity = serde_saphyr::from_str("{ field: parent }").unwrap();
        assert_eq!(plain.generated(1).unwrap(), "{ parent { __typename } }");
    }

    #[test]
    fn variables_resolve_and_keep_their_secrets() {
        let scope = crate::checklist::text::Scope {
            env: [("PW".to_owned(), "hunter22".to_owned())].into(),
            ..Default::default()
        };
        let (parsed, _) = crate::checklist::text::with_scope(scope, || {
            serde_saphyr::from_str::<GraphqlProbe>(
                "{ url: 'http://h.test/graphql', variables: { login: { user: me, password: '${PW}' }, n: 3 } }",
            )
        });
        let p = parsed.unwrap();
        let variables = p.variables.as_ref().unwrap();
        assert_eq!(variables.value["login"]["password"], "hunter22");
        assert_eq!(variables.value["n"], 3);
        assert!(p.secrets().contains(&"hunter22".to_owned()));
        assert_eq!(format!("{variables:?}"), "Variables(<from environment>)");
    }

    #[test]
    fn a_locked_down_gateway_passes() {
        let p =
            probe("{ url: 'http://h.test/graphql', complexity: { field: friends, depth: 20 } }");
        let seen = Seen {
            query: Some(Answer::Data(serde_json::json!({"__typename": "Query"}))),
            latency: Duration::from_millis(12),
            introspection: Some(Answer::Refused("introspection is disabled".to_owned())),
            control: Some(Answer::Data(serde_json::json!({"friends": []}))),
            deep: Some(Answer::Refused("query depth 20 exceeds 10".to_owned())),
        };
        let f = p.compare(&seen);
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
        assert_eq!(
            f.evidence,
            "query answered with data in 12ms; introspection disabled (refused: introspection is disabled); a 20-deep query refused: query depth 20 exceeds 10"
        );
    }

    #[test]
    fn open_introspection_and_unlimited_depth_fail() {
        let p = probe("{ url: 'http://h.test/graphql', complexity: { field: friends } }");
        let seen = Seen {
            query: Some(Answer::Data(serde_json::json!({"__typename": "Query"}))),
            latency: Duration::from_millis(5),
            introspection: Some(Answer::Data(
                serde_json::json!({"__schema": {"queryType": {"name": "Query"}}}),
            )),
            control: Some(Answer::Data(serde_json::json!({"friends": []}))),
            deep: Some(Answer::Data(serde_json::json!({"friends": []}))),
        };
        assert_eq!(
            p.compare(&seen).evidence,
            "expected introspection disabled, got the schema (query type Query); expected a 20-deep query refused, got data {\"friends\":[]}"
        );
    }

    #[test]
    fn responses_are_read_as_graphql() {
        let ex = |status: u16, body: &str| Exchange::fake(status, &[], body);
        assert_eq!(
            answer(&ex(200, r#"{"data":{"a":1}}"#)),
            Answer::Data(serde_json::json!({"a": 1}))
        );
        assert_eq!(
            answer(&ex(
                200,
                r#"{"errors":[{"message":"too deep"}],"data":null}"#
            )),
            Answer::Refused("too deep".to_owned())
        );
        assert_eq!(
            answer(&ex(400, "bad request")),
            Answer::Refused("400 Bad Request bad request".to_owned())
        );
        assert_eq!(
            answer(&ex(500, "")),
            Answer::Broken("500 Internal Server Error".to_owned())
        );
        assert!(matches!(answer(&ex(200, "<html>")), Answer::Broken(_)));
    }
}
