//! `{{name}}` in a flow step: a value captured by an earlier step. The braces
//! cannot be mistaken for `${VAR}` (resolved when the checklist loads); these
//! are filled in while the flow runs.
//!
//! Only what the checklist itself writes is a template: a `{{…}}` inside a
//! value that came from the environment (a password holding braces) is sent
//! as it is.

use std::fmt;
use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::text::Text;

/// What the steps so far captured, by name.
pub type Captured = IndexMap<String, Value>;

/// One captured value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    /// The text captured.
    pub text: String,
    /// Masked in every output (the default).
    pub secret: bool,
}

fn pattern() -> &'static regex::Regex {
    static PATTERN: OnceLock<regex::Regex> = OnceLock::new();
    PATTERN.get_or_init(|| {
        regex::Regex::new(r"\{\{\s*([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}").expect("template pattern")
    })
}

/// A use of a capture in a text: its name, and the text as written (`{{ token }}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Use {
    /// The capture's name.
    pub name: String,
    /// The placeholder as written.
    pub written: String,
}

/// The byte ranges of `text` that came from the environment.
fn env_ranges(text: &Text) -> Vec<std::ops::Range<usize>> {
    let value = text.as_str();
    text.env_parts()
        .iter()
        .filter(|p| !p.is_empty())
        .flat_map(|part| {
            value
                .match_indices(part.as_str())
                .map(|(at, p)| at..at + p.len())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The placeholders in `text`, in order, outside parts from the environment.
pub fn uses(text: &Text) -> Vec<Use> {
    let env = env_ranges(text);
    pattern()
        .captures_iter(text.as_str())
        .filter_map(|c| {
            let whole = c.get(0)?;
            let inside_env = env
                .iter()
                .any(|r| r.start <= whole.start() && whole.end() <= r.end);
            (!inside_env).then(|| Use {
                name: c[1].to_owned(),
                written: whole.as_str().to_owned(),
            })
        })
        .collect()
}

/// `text` with its placeholders filled in. The result is secret where `text`
/// was (its environment parts) and where a secret capture went in. A name
/// not captured (validation prevents it) stays as written.
pub fn render(text: &Text, captured: &Captured) -> Text {
    let env = env_ranges(text);
    let source = text.as_str();
    let mut out = String::with_capacity(source.len());
    let mut secrets: Vec<String> = text.env_parts().to_vec();
    let mut last = 0;
    for c in pattern().captures_iter(source) {
        let Some(whole) = c.get(0) else { continue };
        let inside_env = env
            .iter()
            .any(|r| r.start <= whole.start() && whole.end() <= r.end);
        let Some(value) = captured.get(&c[1]).filter(|_| !inside_env) else {
            continue;
        };
        out.push_str(&source[last..whole.start()]);
        out.push_str(&value.text);
        if value.secret {
            secrets.push(value.text.clone());
        }
        last = whole.end();
    }
    out.push_str(&source[last..]);
    Text::with_secret_parts(out, secrets)
}

/// `text` with every placeholder replaced by `x`, to check that what surrounds
/// them (a URL, a header value) is well formed before anything runs.
pub fn sample(text: &Text) -> Text {
    let filled = pattern().replace_all(text.as_str(), "x").into_owned();
    Text::with_secret_parts(filled, text.env_parts().to_vec())
}

/// A JSON request body as written in YAML: strings may use `${VAR}` and
/// `{{capture}}`.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(serde_json::Number),
    /// A string (a template).
    String(Text),
    /// A list.
    Array(Vec<Json>),
    /// A mapping; keys are written as they are.
    Object(IndexMap<String, Json>),
}

impl Json {
    /// The strings in it, depth first.
    pub fn texts(&self) -> Vec<&Text> {
        match self {
            Json::String(t) => vec![t],
            Json::Array(items) => items.iter().flat_map(Json::texts).collect(),
            Json::Object(map) => map.values().flat_map(Json::texts).collect(),
            _ => Vec::new(),
        }
    }

    /// The body with captures filled in, and the secret parts of it.
    pub fn render(&self, captured: &Captured) -> (serde_json::Value, Vec<String>) {
        let mut secrets = Vec::new();
        let value = self.render_into(captured, &mut secrets);
        (value, secrets)
    }

    fn render_into(&self, captured: &Captured, secrets: &mut Vec<String>) -> serde_json::Value {
        use serde_json::Value as V;
        match self {
            Json::Null => V::Null,
            Json::Bool(b) => V::Bool(*b),
            Json::Number(n) => V::Number(n.clone()),
            Json::String(t) => {
                let filled = render(t, captured);
                if filled.from_env() {
                    secrets.push(filled.as_str().to_owned());
                    secrets.extend(filled.env_parts().iter().cloned());
                }
                V::String(filled.as_str().to_owned())
            }
            Json::Array(items) => V::Array(
                items
                    .iter()
                    .map(|i| i.render_into(captured, secrets))
                    .collect(),
            ),
            Json::Object(map) => V::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), v.render_into(captured, secrets)))
                    .collect(),
            ),
        }
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct JsonVisitor;
        impl<'de> Visitor<'de> for JsonVisitor {
            type Value = Json;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value written in YAML")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Json, D::Error> {
                Json::deserialize(d)
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
                serde_json::Number::from_f64(v)
                    .map(Json::Number)
                    .ok_or_else(|| E::custom(format!("{v} is not a number JSON can hold")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
                Text::resolve(v.to_owned())
                    .map(Json::String)
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Json>()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut out = IndexMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = map.next_value::<Json>()?;
                    out.insert(key, value);
                }
                Ok(Json::Object(out))
            }
        }
        deserializer.deserialize_any(JsonVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured() -> Captured {
        let mut c = Captured::new();
        c.insert(
            "token".into(),
            Value {
                text: "tok-123456".into(),
                secret: true,
            },
        );
        c.insert(
            "id".into(),
            Value {
                text: "42".into(),
                secret: false,
            },
        );
        c
    }

    #[test]
    fn placeholders_are_found_and_filled() {
        let t = Text::literal("/docs/{{id}}?auth={{ token }}&x={{");
        let names: Vec<String> = uses(&t).into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["id", "token"]);
        let filled = render(&t, &captured());
        assert_eq!(filled.as_str(), "/docs/42?auth=tok-123456&x={{");
        assert_eq!(filled.env_parts(), ["tok-123456"]);
        assert_eq!(sample(&t).as_str(), "/docs/x?auth=x&x={{");
    }

    #[test]
    fn braces_from_the_environment_are_not_templates() {
        let t = Text::with_secret_parts("pw{{id}}!", vec!["pw{{id}}!".into()]);
        assert!(uses(&t).is_empty());
        assert_eq!(render(&t, &captured()).as_str(), "pw{{id}}!");
    }

    #[test]
    fn json_bodies_fill_strings_and_keep_types() {
        let body: Json = serde_saphyr::from_str(
            "{ title: 'Doc {{id}}', n: 3, ok: true, tags: [a, '{{token}}'], none: null }",
        )
        .unwrap();
        let (value, secrets) = body.render(&captured());
        assert_eq!(
            value.to_string(),
            r#"{"title":"Doc 42","n":3,"ok":true,"tags":["a","tok-123456"],"none":null}"#
        );
        assert!(secrets.contains(&"tok-123456".to_owned()));
    }
}
