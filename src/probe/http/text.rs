//! [`TextExpect`]: an expectation on a piece of text the response carries — a
//! header value, or the location an exchange ends at. A plain string means
//! `equals`; a mapping gives `equals`, `contains`, `matches` or `exists`.
//!
//! ```yaml
//! headers:
//!   Content-Type: { contains: json }
//!   X-Request-Id: { exists: true }
//!   Cache-Control: no-store
//! ```

use std::fmt;

use serde::de::{self, MapAccess, Visitor, value::MapAccessDeserializer};
use serde::{Deserialize, Deserializer};

use crate::checklist::scalar::Pattern;
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{check, excerpt};

/// What a piece of text must look like. Every given field must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TextExpect {
    /// The text equals this exactly.
    #[serde(default)]
    pub equals: Option<Text>,
    /// The text contains this (case-sensitive).
    #[serde(default)]
    pub contains: Option<Text>,
    /// The text matches this regular expression.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// `true`: the text is there (the default when nothing else is given);
    /// `false`: it is absent.
    #[serde(default)]
    pub exists: Option<bool>,
}

/// A [`TextExpect`] as written: a string (meaning `equals`) or the mapping form.
#[derive(Debug, Clone, Default)]
pub struct TextRule(pub TextExpect);

impl<'de> Deserialize<'de> for TextRule {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> Visitor<'de> for TextVisitor {
            type Value = TextRule;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string, or a mapping with equals, contains, matches or exists")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TextRule, E> {
                Ok(TextRule(TextExpect {
                    equals: Some(Text::resolve(v.to_owned()).map_err(E::custom)?),
                    ..TextExpect::default()
                }))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TextRule, A::Error> {
                TextExpect::deserialize(MapAccessDeserializer::new(map)).map(TextRule)
            }
        }
        deserializer.deserialize_any(TextVisitor)
    }
}

impl TextExpect {
    /// Problems no type can express, for `Probe::validate`.
    pub fn problems(&self, what: &str) -> Vec<String> {
        let asserts = usize::from(self.equals.is_some())
            + usize::from(self.contains.is_some())
            + usize::from(self.matches.is_some());
        if self.exists == Some(false) && asserts > 0 {
            vec![format!(
                "{what}: `exists: false` cannot be combined with equals, contains or matches"
            )]
        } else {
            Vec::new()
        }
    }

    /// Compares `seen` (absent: `None`) with this expectation; `what` names the
    /// text in evidence, e.g. `header Content-Type`.
    pub fn checks(&self, what: &str, seen: Option<&str>) -> Vec<Check> {
        let shown = |v: &str| format!("{:?}", excerpt(v, 120));
        if self.exists == Some(false) {
            return vec![check(
                seen.is_none(),
                format!("no {what}"),
                seen.map_or_else(|| "none".to_owned(), |v| format!("{what} {}", shown(v))),
            )];
        }
        let Some(value) = seen else {
            return vec![check(false, what.to_owned(), "none".to_owned())];
        };
        let mut out = Vec::new();
        if let Some(equals) = &self.equals {
            out.push(check(
                value == equals.as_str(),
                format!("{what} {}", shown(equals)),
                shown(value),
            ));
        }
        if let Some(needle) = &self.contains {
            out.push(check(
                value.contains(needle.as_str()),
                format!("{what} containing {}", shown(needle)),
                shown(value),
            ));
        }
        if let Some(pattern) = &self.matches {
            out.push(check(
                pattern.0.is_match(value),
                format!("{what} matching /{}/", pattern.as_str()),
                shown(value),
            ));
        }
        if out.is_empty() {
            out.push(check(true, what.to_owned(), shown(value)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn rule(yaml: &str) -> TextExpect {
        serde_saphyr::from_str::<TextRule>(yaml).unwrap().0
    }

    #[test]
    fn strings_mean_equals_and_mappings_say_more() {
        let plain = rule("no-store");
        assert_eq!(plain.equals.as_deref(), Some("no-store"));
        let mapped = rule("{ contains: json }");
        assert_eq!(mapped.contains.as_deref(), Some("json"));
        assert!(serde_saphyr::from_str::<TextRule>("{ contain: json }").is_err());
    }

    #[test]
    fn checks_read_as_expected_and_got() {
        let c = rule("{ contains: json }").checks("header Content-Type", Some("text/html"));
        assert_eq!(c[0].verdict, Verdict::Fail);
        assert_eq!(c[0].expected, "header Content-Type containing \"json\"");
        assert_eq!(c[0].observed, "\"text/html\"");
        let missing = rule("{ exists: true }").checks("header X-Request-Id", None);
        assert_eq!(missing[0].observed, "none");
        let absent = rule("{ exists: false }").checks("header X-Powered-By", Some("PHP/8"));
        assert_eq!(absent[0].observed, "header X-Powered-By \"PHP/8\"");
        assert!(rule("{ exists: false, equals: x }").problems("h").len() == 1);
    }
}
