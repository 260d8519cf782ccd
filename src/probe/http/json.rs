//! Assertions on the JSON body: a JSONPath (RFC 9535) query selects values, and
//! every selected value must satisfy every comparison given.
//!
//! ```yaml
//! json:
//!   - { path: "$.status", equals: ok }
//!   - { path: "$.latency_ms", less_than: 250 }
//!   - { path: "$.replicas", length: 3 }
//!   - { path: "$.features", contains: search }
//! ```

use std::fmt;

use serde::de;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::checklist::scalar::Pattern;
use crate::outcome::Check;
use crate::probe::expect::{above, below, check, excerpt, shown_as_number, text_equals_number};

/// An assertion on the values a JSONPath selects in the body. Every comparison
/// given must hold for every selected value; with none, the path must select something.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JsonExpect {
    /// A JSONPath query such as `$.status` or `$.checks[*].ok` (required).
    pub path: JsonPathExpr,
    /// Every selected value equals this (`200` and `200.0` are equal). A
    /// number also matches a string holding it (`equals: 1` matches `"1"`);
    /// a quoted `"1"` matches only the string.
    #[serde(default)]
    pub equals: Option<Value>,
    /// Every selected value (as text) matches this regular expression.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// Every selected value contains this: a substring of a string, an element of
    /// an array, or a key of an object.
    #[serde(default)]
    pub contains: Option<Value>,
    /// Every selected value is a number below this. A string that holds a
    /// number (`"90.49"`, as Prometheus sends samples) is read as that number.
    #[serde(default)]
    pub less_than: Option<f64>,
    /// Every selected value is a number above this (strings holding a number count).
    #[serde(default)]
    pub greater_than: Option<f64>,
    /// Every selected value (array, string or object) has exactly this many
    /// elements, characters or keys.
    #[serde(default)]
    pub length: Option<usize>,
    /// Whether the path selects anything (default `true`).
    #[serde(default)]
    pub exists: Option<bool>,
}

/// A compiled JSONPath query.
#[derive(Clone)]
pub struct JsonPathExpr {
    /// The query as written.
    pub source: String,
    path: serde_json_path::JsonPath,
}

impl JsonPathExpr {
    /// Compiles `source`.
    pub fn parse(source: &str) -> Result<Self, String> {
        serde_json_path::JsonPath::parse(source)
            .map(|path| JsonPathExpr {
                source: source.to_owned(),
                path,
            })
            .map_err(|e| {
                format!("invalid JSONPath `{source}`: {e}; paths start with `$`, e.g. `$.status`")
            })
    }
}

impl JsonPathExpr {
    /// The first value the query selects in `document`, if any.
    pub fn first(&self, document: &Value) -> Option<Value> {
        self.path
            .query(document)
            .all()
            .first()
            .map(|v| (*v).clone())
    }
}

impl fmt::Debug for JsonPathExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl<'de> Deserialize<'de> for JsonPathExpr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        JsonPathExpr::parse(&source).map_err(de::Error::custom)
    }
}

impl JsonExpect {
    /// Problems no type can express, for `Probe::validate`.
    pub fn problems(&self) -> Vec<String> {
        let path = &self.path.source;
        let mut out = Vec::new();
        let asserts = [
            self.equals.is_some(),
            self.matches.is_some(),
            self.contains.is_some(),
            self.less_than.is_some(),
            self.greater_than.is_some(),
            self.length.is_some(),
        ]
        .iter()
        .filter(|given| **given)
        .count();
        if self.exists == Some(false) && asserts > 0 {
            out.push(format!(
                "json `{path}`: `exists: false` cannot be combined with a comparison"
            ));
        }
        if let (Some(low), Some(high)) = (self.greater_than, self.less_than)
            && low >= high
        {
            out.push(format!(
                "json `{path}`: no number is above {low} and below {high}"
            ));
        }
        out
    }

    /// Compares the values the path selects in `document`.
    pub fn checks(&self, document: &Value) -> Vec<Check> {
        let path = &self.path.source;
        let nodes: Vec<&Value> = self.path.path.query(document).all();
        if self.exists == Some(false) {
            return vec![check(
                nodes.is_empty(),
                format!("nothing at {path}"),
                nodes
                    .first()
                    .map_or_else(|| "nothing".to_owned(), |v| shown(v)),
            )];
        }
        if nodes.is_empty() {
            return vec![check(
                false,
                format!("a value at {path}"),
                "nothing there".to_owned(),
            )];
        }
        let mut out = Vec::new();
        let mut compare = |expected: String, holds: &dyn Fn(&Value) -> bool, numeric: bool| {
            let bad = nodes.iter().find(|v| !holds(v));
            let observed = match bad {
                None if numeric => shown_as_number(nodes[0]),
                None => shown(nodes[0]),
                Some(v) if numeric => shown_as_number(v),
                Some(v) => shown(v),
            };
            out.push(check(bad.is_none(), expected, observed));
        };
        if let Some(expected) = &self.equals {
            // `equals: 1` holds for `"1"` too: numbers sent as text compare as
            // numbers (the evidence says so), as for less_than and greater_than.
            let holds = |v: &Value| json_equal(v, expected) || text_equals_number(v, expected);
            compare(
                format!("{path} = {}", shown(expected)),
                &holds,
                expected.is_number(),
            );
        }
        if let Some(pattern) = &self.matches {
            let holds = |v: &Value| pattern.0.is_match(&as_text(v));
            compare(
                format!("{path} to match /{}/", pattern.as_str()),
                &holds,
                false,
            );
        }
        if let Some(needle) = &self.contains {
            let holds = |v: &Value| contains(v, needle);
            compare(
                format!("{path} to contain {}", shown(needle)),
                &holds,
                false,
            );
        }
        if let Some(limit) = self.less_than {
            let holds = |v: &Value| below(v, limit);
            compare(format!("{path} < {limit}"), &holds, true);
        }
        if let Some(limit) = self.greater_than {
            let holds = |v: &Value| above(v, limit);
            compare(format!("{path} > {limit}"), &holds, true);
        }
        if let Some(length) = self.length {
            let holds = |v: &Value| length_of(v) == Some(length);
            compare(format!("{path} of length {length}"), &holds, false);
        }
        if out.is_empty() {
            out.push(check(true, format!("a value at {path}"), shown(nodes[0])));
        }
        out
    }
}

fn shown(v: &Value) -> String {
    excerpt(&v.to_string(), 80)
}

fn as_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn length_of(v: &Value) -> Option<usize> {
    match v {
        Value::Array(a) => Some(a.len()),
        Value::String(s) => Some(s.chars().count()),
        Value::Object(o) => Some(o.len()),
        _ => None,
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match haystack {
        Value::String(s) => s.contains(&as_text(needle)),
        Value::Array(items) => items.iter().any(|item| json_equal(item, needle)),
        Value::Object(map) => map.contains_key(&as_text(needle)),
        _ => false,
    }
}

/// JSON equality where `200` and `200.0` are the same number.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // Integers exactly (an id or a counter above 2^53 must not pass by
        // rounding); anything with a fraction as a float, so `200` = `200.0`.
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ if (x.is_i64() || x.is_u64()) && (y.is_i64() || y.is_u64()) => false,
                _ => match (x.as_f64(), y.as_f64()) {
                    (Some(x), Some(y)) => (x - y).abs() < f64::EPSILON,
                    _ => x == y,
                },
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use serde_json::json;

    fn rule(yaml: &str) -> JsonExpect {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn doc() -> Value {
        json!({"status": "ok", "n": 3, "ms": 240, "tags": ["a", "search"],
               "checks": [{"ok": true}, {"ok": false}], "name": "candlefish"})
    }

    #[test]
    fn equality_and_patterns() {
        let pass = |y: &str| rule(y).checks(&doc())[0].verdict == Verdict::Pass;
        assert!(pass("{ path: '$.status', equals: ok }"));
        assert!(pass("{ path: '$.n', equals: 3.0 }"));
        let big: Value = serde_json::from_str("12345678901234567890").unwrap();
        let next: Value = serde_json::from_str("12345678901234567891").unwrap();
        assert!(!json_equal(&big, &next), "integers compare exactly");
        assert!(json_equal(&big, &big.clone()));
        let neg: Value = serde_json::from_str("-5").unwrap();
        let pos: Value = serde_json::from_str("5").unwrap();
        assert!(!json_equal(&neg, &pos));
        let bad = rule("{ path: '$.checks[*].ok', equals: true }").checks(&doc());
        assert_eq!(bad[0].verdict, Verdict::Fail);
        assert_eq!(bad[0].observed, "false");
        let missing = rule("{ path: '$.nope', equals: true }").checks(&doc());
        assert_eq!(missing[0].observed, "nothing there");
    }

    #[test]
    fn a_number_equals_the_string_that_holds_it_and_says_so() {
        let doc = json!({"up": "1", "ratio": "0.5", "id": "12345678901234567891",
                         "word": "ok", "n": 1});
        let first = |y: &str| rule(y).checks(&doc).remove(0);
        let up = first("{ path: '$.up', equals: 1 }");
        assert_eq!(up.verdict, Verdict::Pass);
        assert_eq!(up.observed, r#""1" (a string, read as the number 1)"#);
        assert_eq!(
            first("{ path: '$.ratio', equals: 0.5 }").verdict,
            Verdict::Pass
        );
        assert_eq!(first("{ path: '$.up', equals: 2 }").verdict, Verdict::Fail);
        // Integers compare exactly, beyond what a float holds.
        assert_eq!(
            first("{ path: '$.id', equals: 12345678901234567890 }").verdict,
            Verdict::Fail
        );
        assert_eq!(
            first("{ path: '$.id', equals: 12345678901234567891 }").verdict,
            Verdict::Pass
        );
        let word = first("{ path: '$.word', equals: 1 }");
        assert_eq!(word.verdict, Verdict::Fail);
        assert_eq!(word.observed, r#""ok" (not a number)"#);
        // A quoted expectation is text: it matches the string only.
        assert_eq!(first("{ path: '$.n', equals: '1' }").verdict, Verdict::Fail);
        assert_eq!(
            first("{ path: '$.up', equals: '1' }").verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn comparisons_lengths_and_containment() {
        let verdict = |y: &str| rule(y).checks(&doc())[0].verdict;
        assert_eq!(verdict("{ path: '$.ms', less_than: 250 }"), Verdict::Pass);
        assert_eq!(
            verdict("{ path: '$.ms', greater_than: 250 }"),
            Verdict::Fail
        );
        assert_eq!(verdict("{ path: '$.tags', length: 2 }"), Verdict::Pass);
        assert_eq!(verdict("{ path: '$.name', length: 10 }"), Verdict::Pass);
        assert_eq!(
            verdict("{ path: '$.tags', contains: search }"),
            Verdict::Pass
        );
        assert_eq!(verdict("{ path: '$.name', contains: fish }"), Verdict::Pass);
        assert_eq!(verdict("{ path: '$', contains: status }"), Verdict::Pass);
        let text = json!({"value": "90.49"});
        let above = rule("{ path: '$.value', greater_than: 90 }").checks(&text);
        assert_eq!(above[0].verdict, Verdict::Pass);
        let under = rule("{ path: '$.value', less_than: 50 }").checks(&text);
        assert_eq!(under[0].verdict, Verdict::Fail);
        assert_eq!(
            under[0].observed,
            "\"90.49\" (a string, read as the number 90.49)"
        );
        let wrong_type = rule("{ path: '$.status', less_than: 5 }").checks(&doc());
        assert_eq!(wrong_type[0].expected, "$.status < 5");
        assert_eq!(wrong_type[0].observed, "\"ok\" (not a number)");
    }

    #[test]
    fn impossible_rules_are_problems() {
        assert_eq!(
            rule("{ path: '$.n', greater_than: 5, less_than: 5 }").problems(),
            ["json `$.n`: no number is above 5 and below 5"]
        );
        assert_eq!(
            rule("{ path: '$.n', exists: false, length: 1 }")
                .problems()
                .len(),
            1
        );
    }
}
