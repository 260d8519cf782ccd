//! Captures: values a flow step takes from its response for later steps — a
//! JSONPath in the JSON body, a response header, a cookie in the flow's jar,
//! or a regular expression's group in the body.
//!
//! ```yaml
//! capture:
//!   token: { json: "$.access_token" }
//!   csrf: { cookie: csrftoken }
//!   request_id: { header: X-Request-Id, secret: false }
//!   doc: { regex: 'id="(\d+)"' }
//! ```
//!
//! Captured values are secrets unless `secret: false`.

use serde::Deserialize;

use crate::checklist::scalar::Pattern;
use crate::outcome::Check;
use crate::probe::expect::check;
use crate::probe::http::JsonPathExpr;
use crate::probe::web::Exchange;

/// Where one captured value comes from. Exactly one of `json`, `header`,
/// `cookie`, `regex`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// A JSONPath into the JSON body; the first value it selects (a string as
    /// it is, anything else as JSON text).
    #[serde(default)]
    pub json: Option<JsonPathExpr>,
    /// A response header, by name (any case).
    #[serde(default)]
    pub header: Option<String>,
    /// A cookie in the flow's jar, by name, as it would be sent to this step's URL.
    #[serde(default)]
    pub cookie: Option<String>,
    /// A regular expression over the body: its first group, or the whole match
    /// when it has no group.
    #[serde(default)]
    pub regex: Option<Pattern>,
    /// Mask the value in every output (default `true`).
    #[serde(default = "yes")]
    pub secret: bool,
}

fn yes() -> bool {
    true
}

impl Capture {
    /// Problems no type can express.
    pub fn problems(&self, name: &str) -> Vec<String> {
        let given = [
            self.json.is_some(),
            self.header.is_some(),
            self.cookie.is_some(),
            self.regex.is_some(),
        ]
        .iter()
        .filter(|g| **g)
        .count();
        if given == 1 {
            Vec::new()
        } else {
            vec![format!(
                "capture `{name}` takes its value from exactly one of json, header, cookie, regex ({given} given)"
            )]
        }
    }

    /// What this capture reads, for evidence: `$.token`, `header X-Id`.
    pub fn source(&self) -> String {
        if let Some(path) = &self.json {
            path.source.clone()
        } else if let Some(name) = &self.header {
            format!("header {name}")
        } else if let Some(name) = &self.cookie {
            format!("cookie {name}")
        } else if let Some(pattern) = &self.regex {
            format!("/{}/", pattern.as_str())
        } else {
            "nothing".to_owned()
        }
    }

    /// The value from `exchange` (and `cookies`, the `Cookie` header the jar
    /// would send now), or a failed check saying what was missing.
    pub fn take(
        &self,
        name: &str,
        exchange: &Exchange,
        cookies: Option<&str>,
    ) -> Result<String, Check> {
        let body = String::from_utf8_lossy(&exchange.body.bytes);
        let found: Option<String> = if let Some(path) = &self.json {
            serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|doc| path.first(&doc))
                .map(|value| match value {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
        } else if let Some(header) = &self.header {
            exchange
                .headers
                .get(header.as_str())
                .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        } else if let Some(cookie) = &self.cookie {
            cookies.and_then(|line| {
                line.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    (k == cookie).then(|| v.to_owned())
                })
            })
        } else if let Some(pattern) = &self.regex {
            pattern
                .0
                .captures(&body)
                .and_then(|c| c.get(1).or_else(|| c.get(0)).map(|m| m.as_str().to_owned()))
        } else {
            None
        };
        match found {
            Some(value) if !value.is_empty() => Ok(value),
            Some(_) => Err(self.missing(name, "an empty value")),
            None => Err(self.missing(name, "nothing")),
        }
    }

    fn missing(&self, name: &str, seen: &str) -> Check {
        check(
            false,
            format!("to capture `{name}` from {}", self.source()),
            seen.to_owned(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture(yaml: &str) -> Capture {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn captures_from_json_headers_cookies_and_regexes() {
        let ex = Exchange::fake(
            200,
            &[("X-Id", "abc")],
            r#"{"token":"t-1","n":7,"html":"<input name=csrf value=\"c9\">"}"#,
        );
        assert_eq!(
            capture("{ json: $.token }").take("t", &ex, None),
            Ok("t-1".into())
        );
        assert_eq!(
            capture("{ json: $.n }").take("n", &ex, None),
            Ok("7".into())
        );
        assert_eq!(
            capture("{ header: x-id }").take("h", &ex, None),
            Ok("abc".into())
        );
        assert_eq!(
            capture("{ cookie: csrf }").take("c", &ex, Some("a=1; csrf=zz")),
            Ok("zz".into())
        );
        assert_eq!(
            capture(r#"{ regex: 'value=\\"(\w+)' }"#).take("r", &ex, None),
            Ok("c9".into())
        );
        let missing = capture("{ json: $.nope }")
            .take("t", &ex, None)
            .unwrap_err();
        assert_eq!(missing.expected, "to capture `t` from $.nope");
        assert_eq!(missing.observed, "nothing");
    }

    #[test]
    fn exactly_one_source() {
        assert!(capture("{ json: $.a, header: b }").problems("x")[0].contains("2 given"));
        assert!(capture("{ secret: false }").problems("x")[0].contains("0 given"));
        assert!(capture("{ header: b }").problems("x").is_empty());
    }
}
