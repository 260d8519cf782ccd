//! `openapi`: fetches an OpenAPI (3.x) or Swagger (2.0) document, JSON or
//! YAML, and measures how completely it documents the API: the share of
//! operations with a summary or description, and optionally whether every
//! operation documents its responses.
//!
//! ```yaml
//! probe:
//!   openapi:
//!     url: https://api.example.com/openapi.json
//!     min_documented: 95%
//!     responses: true
//! ```

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::checklist::text::Text;
use crate::probe::expect::{Finding, check, excerpt, soft_check};
use crate::probe::web::TlsBlock;
use crate::probe::web::exchange::{describe_size, format_bytes};
use crate::probe::web::fields::{ByteSize, request_secrets, validate_request};
use crate::probe::web::{Limits, Percent, Request, RequestHeaders, fetch, redact_url};
use crate::probe::{Context, Probe};

/// The largest document read by default.
pub const DEFAULT_MAX_SIZE: usize = 8 << 20;

/// The largest `max_size` a checklist may set.
pub const MAX_SIZE_CAP: usize = 64 << 20;

/// How many undocumented operations evidence names before "… and N more".
const NAMED: usize = 5;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Configuration of an `openapi` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenapiProbe {
    /// Where the OpenAPI document is served, JSON or YAML (required).
    pub url: Text,
    /// Request headers. Values that use the environment are secret.
    #[serde(default)]
    pub headers: RequestHeaders,
    /// The share of operations that must have a summary or a description (default `100%`).
    #[serde(default)]
    pub min_documented: Option<Percent>,
    /// Every operation must also list its responses, each with a description (default `false`).
    #[serde(default)]
    pub responses: bool,
    /// The largest document read; a larger one fails (default `8MiB`, at most `64MiB`).
    #[serde(default)]
    pub max_size: Option<ByteSize>,
    /// TLS settings: `ca_file`, `client_cert`/`client_key`, `insecure` (the
    /// same block on every web probe; default: the system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
}

/// What the document says about its operations.
#[derive(Debug, Default, PartialEq)]
struct Coverage {
    /// `OpenAPI 3.0.3 "Pets" 1.0.0`.
    title: String,
    operations: usize,
    undocumented: Vec<String>,
    /// Operations without responses, or with a response lacking a description.
    responses_missing: Vec<String>,
    /// Path items that are a `$ref` to another file: not read, not counted.
    external: Vec<String>,
}

/// A `$ref` within the document followed (a few hops at most); `Err` with the
/// reference when it points into another file or nowhere.
fn follow<'a>(document: &'a Value, mut value: &'a Value) -> Result<&'a Value, String> {
    for _ in 0..8 {
        let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
            return Ok(value);
        };
        value = reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer))
            .ok_or_else(|| reference.to_owned())?;
    }
    Err("a chain of $ref too long".to_owned())
}

/// Reads a document as JSON, or else as YAML (with the YAML parser's budget on
/// aliases and nesting).
fn parse(bytes: &[u8]) -> Result<Value, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))?;
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"));
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let message = e.to_string();
        format!(
            "neither JSON nor valid YAML ({})",
            excerpt(message.lines().next().unwrap_or(""), 120)
        )
    })
}

fn has_text(value: Option<&Value>) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty())
}

/// Counts operations and what each documents.
fn coverage(document: &Value) -> Result<Coverage, String> {
    let version = document
        .get("openapi")
        .map(|v| format!("OpenAPI {}", v.as_str().unwrap_or("3")))
        .or_else(|| {
            document
                .get("swagger")
                .map(|v| format!("Swagger {}", v.as_str().unwrap_or("2")))
        })
        .ok_or_else(|| {
            let kind = match document {
                Value::Object(_) => "a mapping without `openapi` or `swagger`",
                Value::Array(_) => "a list, not a mapping",
                _ => "plain text, not a mapping",
            };
            kind.to_owned()
        })?;
    let info = document.get("info");
    let name = info
        .and_then(|i| i.get("title"))
        .and_then(Value::as_str)
        .unwrap_or("untitled");
    let api_version = info
        .and_then(|i| i.get("version"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut out = Coverage {
        title: format!("{version} \"{name}\" {api_version}")
            .trim_end()
            .to_owned(),
        ..Coverage::default()
    };
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Ok(out);
    };
    for (path, item) in paths {
        let item = match follow(document, item) {
            Ok(item) => item,
            Err(reference) => {
                out.external.push(format!("{path} ({reference})"));
                continue;
            }
        };
        for method in METHODS {
            let Some(operation) = item.get(method) else {
                continue;
            };
            out.operations += 1;
            let name = format!("{} {path}", method.to_ascii_uppercase());
            if !has_text(operation.get("summary")) && !has_text(operation.get("description")) {
                out.undocumented.push(name.clone());
            }
            match operation.get("responses").and_then(Value::as_object) {
                Some(responses) if !responses.is_empty() => {
                    let bare: Vec<&String> = responses
                        .iter()
                        .filter(|(_, r)| r.get("$ref").is_none() && !has_text(r.get("description")))
                        .map(|(code, _)| code)
                        .collect();
                    if !bare.is_empty() {
                        let codes: Vec<&str> = bare.iter().map(|c| c.as_str()).collect();
                        out.responses_missing.push(format!(
                            "{name} (response {} without description)",
                            codes.join(", ")
                        ));
                    }
                }
                _ => out.responses_missing.push(format!("{name} (no responses)")),
            }
        }
    }
    Ok(out)
}

/// `GET /a, POST /b, … and 3 more`.
fn named(list: &[String]) -> String {
    let mut text = list
        .iter()
        .take(NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if list.len() > NAMED {
        text.push_str(&format!(", … and {} more", list.len() - NAMED));
    }
    text
}

impl OpenapiProbe {
    fn max_size(&self) -> usize {
        self.max_size.map_or(DEFAULT_MAX_SIZE, |s| s.0)
    }

    fn compare(&self, found: &Coverage) -> Finding {
        if found.operations == 0 {
            return Finding::from_checks(
                vec![check(
                    false,
                    "operations under paths",
                    format!("none in {}", found.title),
                )],
                "",
                "",
            );
        }
        let total = found.operations;
        let documented = total - found.undocumented.len();
        let share = documented as f64 * 100.0 / total as f64;
        let min = self.min_documented.unwrap_or(Percent(100.0));
        let mut observed = format!(
            "{documented} of {total} operations documented ({}%)",
            share.floor()
        );
        if !found.undocumented.is_empty() {
            observed.push_str(&format!("; undocumented: {}", named(&found.undocumented)));
        }
        let mut checks = vec![check(
            share + 1e-9 >= min.0,
            format!("at least {min} of operations documented"),
            observed.clone(),
        )];
        let mut summary = format!("{observed} in {}", found.title);
        if self.responses {
            let with = total - found.responses_missing.len();
            let text = if found.responses_missing.is_empty() {
                format!("all {total} document their responses")
            } else {
                format!(
                    "{} of {total} without documented responses: {}",
                    found.responses_missing.len(),
                    named(&found.responses_missing)
                )
            };
            checks.push(check(
                with == total,
                "every operation to document its responses",
                text.clone(),
            ));
            summary.push_str("; ");
            summary.push_str(&text);
        }
        if !found.external.is_empty() {
            let text = format!(
                "{} path items in other files, not counted: {}",
                found.external.len(),
                named(&found.external)
            );
            checks.push(soft_check(
                false,
                "every path item in the document",
                text.clone(),
            ));
            summary.push_str("; ");
            summary.push_str(&text);
        }
        Finding::from_checks(checks, &summary, &format!("in {}", found.title))
    }
}

impl Probe for OpenapiProbe {
    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn target(&self) -> String {
        format!("GET {}", redact_url(&self.url))
    }

    fn secrets(&self) -> Vec<String> {
        request_secrets(&self.headers, None, &self.url)
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("openapi", &self.url, &self.headers);
        problems.extend(self.tls.problems());
        if let Some(size) = self.max_size
            && (size.0 == 0 || size.0 > MAX_SIZE_CAP)
        {
            problems.push(format!(
                "max_size is {size}: choose from 1 byte to {}",
                format_bytes(MAX_SIZE_CAP)
            ));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl OpenapiProbe {
    /// One attempt, before `tls.insecure` has its say.
    async fn attempt(&self, ctx: &Context) -> Finding {
        let mut request = match Request::build(reqwest::Method::GET, &self.url, &self.headers, None)
        {
            Ok(request) => request,
            Err(e) => return Finding::error(e),
        };
        if !request.headers.contains_key(reqwest::header::ACCEPT) {
            request.headers.insert(
                reqwest::header::ACCEPT,
                reqwest::header::HeaderValue::from_static(
                    "application/json, application/yaml;q=0.9, */*;q=0.5",
                ),
            );
        }
        let limits = Limits {
            redirects: Some(10),
            body: self.max_size(),
            keep_body: true,
        };
        let exchange = match fetch(ctx, &self.tls, request, limits).await {
            Ok(exchange) => exchange,
            Err(finding) => return finding,
        };
        let size = describe_size(&exchange.body, self.max_size());
        let mut checks = vec![check(
            exchange.status.is_success(),
            "status 2xx",
            exchange.status_line(),
        )];
        if exchange.body.truncated {
            checks.push(check(
                false,
                format!("a document of at most {}", format_bytes(self.max_size())),
                format!("{size} (stopped reading there)"),
            ));
        }
        if checks
            .iter()
            .any(|c| c.verdict != crate::outcome::Verdict::Pass)
        {
            return Finding::from_checks(checks, "", "");
        }
        let parsed = parse(&exchange.body.bytes).and_then(|document| coverage(&document));
        match parsed {
            Ok(found) => self.compare(&found),
            Err(why) => Finding::from_checks(
                vec![check(
                    false,
                    "an OpenAPI document (JSON or YAML)",
                    format!("{size} that is {why}"),
                )],
                "",
                "",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn probe(yaml: &str) -> OpenapiProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    const SPEC: &str = r"
openapi: 3.0.3
info: { title: Pets, version: 1.0.0 }
paths:
  /pets:
    get: { summary: List pets, responses: { 200: { description: ok } } }
    post: { description: Add a pet, responses: { 201: {} } }
  /pets/{id}:
    parameters: []
    get: { responses: { 200: { $ref: '#/components/responses/Pet' } } }
    delete: { summary: '  ' }
";

    #[test]
    fn path_items_by_reference_are_followed_within_the_document() {
        let spec = r"
openapi: 3.1.0
info: { title: Refs, version: '1' }
paths:
  /pets: { $ref: '#/components/pathItems/Pets' }
  /owners/{id}: { $ref: '#/components/pathItems/Owner' }
  /remote: { $ref: 'other.yaml#/paths/~1remote' }
components:
  pathItems:
    Pets:
      get: { summary: List pets, responses: { 200: { description: ok } } }
      post: { responses: { 201: { description: made } } }
    Owner: { $ref: '#/components/pathItems/Pets' }
";
        let found = coverage(&parse(spec.as_bytes()).unwrap()).unwrap();
        assert_eq!(found.operations, 4, "two path items, two operations each");
        assert_eq!(found.undocumented, ["POST /pets", "POST /owners/{id}"]);
        assert_eq!(found.external, ["/remote (other.yaml#/paths/~1remote)"]);
        let f = probe("{ url: 'http://h.test/', min_documented: 50% }").compare(&found);
        assert_eq!(f.verdict, Verdict::Warn, "{}", f.evidence);
        assert!(
            f.evidence.contains(
                "1 path items in other files, not counted: /remote (other.yaml#/paths/~1remote)"
            ),
            "{}",
            f.evidence
        );
    }

    #[test]
    fn yaml_and_json_documents_are_counted() {
        let found = coverage(&parse(SPEC.as_bytes()).unwrap()).unwrap();
        assert_eq!(found.title, "OpenAPI 3.0.3 \"Pets\" 1.0.0");
        assert_eq!(found.operations, 4);
        assert_eq!(found.undocumented, ["GET /pets/{id}", "DELETE /pets/{id}"]);
        assert_eq!(
            found.responses_missing,
            [
                "POST /pets (response 201 without description)",
                "DELETE /pets/{id} (no responses)"
            ]
        );
        let json = br#"{"swagger":"2.0","info":{"title":"T","version":"2"},"paths":{"/a":{"get":{"summary":"x"}}}}"#;
        let found = coverage(&parse(json).unwrap()).unwrap();
        assert_eq!((found.operations, found.undocumented.len()), (1, 0));
        assert_eq!(
            coverage(&serde_json::json!({"a": 1})).unwrap_err(),
            "a mapping without `openapi` or `swagger`"
        );
    }

    #[test]
    fn evidence_names_the_share_and_the_gaps() {
        let found = coverage(&parse(SPEC.as_bytes()).unwrap()).unwrap();
        let f = probe("{ url: 'http://h.test/openapi.yaml', min_documented: 50% }").compare(&found);
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "2 of 4 operations documented (50%); undocumented: GET /pets/{id}, DELETE /pets/{id} in OpenAPI 3.0.3 \"Pets\" 1.0.0"
        );
        let f =
            probe("{ url: 'http://h.test/openapi.yaml', min_documented: 95%, responses: true }")
                .compare(&found);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected at least 95% of operations documented, got 2 of 4 operations documented (50%); undocumented: GET /pets/{id}, DELETE /pets/{id}; expected every operation to document its responses, got 2 of 4 without documented responses: POST /pets (response 201 without description), DELETE /pets/{id} (no responses) in OpenAPI 3.0.3 \"Pets\" 1.0.0"
        );
    }

    #[test]
    fn hostile_yaml_is_refused_not_expanded() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            bomb.push_str(&format!("l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(bomb.as_bytes()).is_err());
    }
}
