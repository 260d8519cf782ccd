//! The shapes a `kubernetes` probe is written in: checks that take `true` or
//! a mapping, object references (`deployment/graphql-api`), and the generic
//! check's condition (`status.conditions[?(@.type=="Ready")].status == "True"`).

use std::fmt;

use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json_path::JsonPath;

use crate::checklist::text::Text;

/// A check written `true` (every default), `false` (off) or as a mapping.
#[derive(Debug, Clone)]
pub struct Enabled<T>(pub Option<T>);

impl<T> Default for Enabled<T> {
    fn default() -> Self {
        Enabled(None)
    }
}

impl<'de, T: DeserializeOwned + Default> Deserialize<'de> for Enabled<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EnabledVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: DeserializeOwned + Default> Visitor<'de> for EnabledVisitor<T> {
            type Value = Enabled<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("true, false, or a mapping of settings")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Enabled<T>, E> {
                Ok(Enabled(v.then(T::default)))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Enabled<T>, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map)).map(|t| Enabled(Some(t)))
            }
        }
        deserializer.deserialize_any(EnabledVisitor(std::marker::PhantomData))
    }
}

/// One value or a list of them.
#[derive(Debug, Clone, Default)]
pub struct List<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for List<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ListVisitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for ListVisitor<T> {
            type Value = List<T>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a name or a list of names")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<List<T>, E> {
                T::deserialize(de::value::StrDeserializer::<E>::new(v)).map(|t| List(vec![t]))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<List<T>, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<T>()? {
                    all.push(one);
                }
                if all.is_empty() {
                    return Err(de::Error::custom("the list is empty"));
                }
                Ok(List(all))
            }
        }
        deserializer.deserialize_any(ListVisitor(std::marker::PhantomData))
    }
}

/// The workload kinds whose rollout is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WorkloadKind {
    /// `apps/v1` Deployment.
    Deployment,
    /// `apps/v1` StatefulSet.
    StatefulSet,
    /// `apps/v1` DaemonSet.
    DaemonSet,
}

impl WorkloadKind {
    /// The word kubectl uses: `deployment`.
    pub fn word(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "deployment",
            WorkloadKind::StatefulSet => "statefulset",
            WorkloadKind::DaemonSet => "daemonset",
        }
    }

    fn parse(word: &str) -> Option<(Self, bool)> {
        let lower = word.to_ascii_lowercase();
        let (singular, plural) = match lower.strip_suffix('s') {
            Some(stem) if !stem.is_empty() => (stem.to_owned(), true),
            _ => (lower.clone(), false),
        };
        let kind = match singular.as_str() {
            "deployment" | "deploy" => WorkloadKind::Deployment,
            "statefulset" | "st" => WorkloadKind::StatefulSet,
            "daemonset" | "d" => WorkloadKind::DaemonSet,
            _ => return None,
        };
        Some((kind, plural))
    }
}

/// One rollout target: `deployment/graphql-api`, or `deployments` for every
/// deployment in the namespace (matching the probe's `selector`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// The kind.
    pub kind: WorkloadKind,
    /// The name; `None` for all of the kind.
    pub name: Option<String>,
}

impl Workload {
    /// Parses `kind/name` or a plural kind.
    pub fn parse(text: &str) -> Result<Workload, String> {
        let text = text.trim();
        let hint = "write deployment/NAME, statefulset/NAME, daemonset/NAME, or deployments, statefulsets, daemonsets for all of them";
        match text.split_once('/') {
            Some((kind, name)) => {
                let Some((kind, _)) = WorkloadKind::parse(kind) else {
                    return Err(format!("`{text}` is not a workload: {hint}"));
                };
                object_name(name)?;
                Ok(Workload {
                    kind,
                    name: Some(name.to_owned()),
                })
            }
            None => match WorkloadKind::parse(text) {
                Some((kind, true)) => Ok(Workload { kind, name: None }),
                _ => Err(format!("`{text}` is not a workload: {hint}")),
            },
        }
    }
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{}/{name}", self.kind.word()),
            None => write!(f, "{}s", self.kind.word()),
        }
    }
}

impl<'de> Deserialize<'de> for Workload {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        Workload::parse(&text).map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Named {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        Named::parse(&text).map_err(de::Error::custom)
    }
}

/// Checks that `name` could be a Kubernetes object name (DNS subdomain).
pub fn object_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{name}` is not a Kubernetes object name: lowercase letters, digits, `-` and `.`"
        ))
    }
}

/// A reference to an object that must exist: `secret/api-keys`, `configmap/app-config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named {
    /// `secret` or `configmap`.
    pub kind: NamedKind,
    /// The object's name.
    pub name: String,
}

/// The kinds `exists` looks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NamedKind {
    /// A Secret (only its metadata is read).
    Secret,
    /// A ConfigMap (only its metadata is read).
    ConfigMap,
}

impl NamedKind {
    /// The word kubectl uses.
    pub fn word(self) -> &'static str {
        match self {
            NamedKind::Secret => "secret",
            NamedKind::ConfigMap => "configmap",
        }
    }
}

impl Named {
    /// Parses `secret/NAME` or `configmap/NAME`.
    pub fn parse(text: &str) -> Result<Named, String> {
        let text = text.trim();
        let problem = || format!("`{text}` is not secret/NAME or configmap/NAME");
        let (kind, name) = text.split_once('/').ok_or_else(problem)?;
        let kind = match kind.to_ascii_lowercase().as_str() {
            "secret" | "secrets" => NamedKind::Secret,
            "configmap" | "configmaps" | "cm" => NamedKind::ConfigMap,
            _ => return Err(problem()),
        };
        object_name(name)?;
        Ok(Named {
            kind,
            name: name.to_owned(),
        })
    }
}

/// The generic check's condition: a JSONPath into the object, and what the
/// values it selects must be.
#[derive(Debug, Clone)]
pub struct Condition {
    /// The path as written (without a leading `$.`), for evidence.
    pub text: String,
    /// The compiled path.
    pub path: JsonPath,
    /// What the selected values must be.
    pub test: Test,
}

/// What a condition compares.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// At least one value is selected.
    Exists,
    /// Every selected value equals this (and there is one).
    Equals(serde_json::Value),
    /// No selected value equals this.
    NotEquals(serde_json::Value),
}

impl Condition {
    /// Parses `PATH`, `PATH == VALUE` or `PATH != VALUE`; VALUE is JSON
    /// (`"True"`, `3`, `true`) or a bare word taken as a string.
    pub fn parse(text: &str) -> Result<Condition, String> {
        let text = text.trim();
        let (path, test) = if let Some((path, value)) = split_operator(text, "==") {
            (path, Test::Equals(literal(value)))
        } else if let Some((path, value)) = split_operator(text, "!=") {
            (path, Test::NotEquals(literal(value)))
        } else {
            (text, Test::Exists)
        };
        let path = path.trim();
        if path.is_empty() {
            return Err("the condition has no path: write e.g. status.phase == \"Active\"".into());
        }
        let full = if path.starts_with('$') {
            path.to_owned()
        } else if path.starts_with('[') {
            format!("${path}")
        } else {
            format!("$.{path}")
        };
        let compiled =
            JsonPath::parse(&full).map_err(|e| format!("`{path}` is not a JSONPath: {e}"))?;
        Ok(Condition {
            text: path.trim_start_matches("$.").to_owned(),
            path: compiled,
            test,
        })
    }
}

/// Splits at the last `op` outside quotes and brackets.
fn split_operator<'a>(text: &'a str, op: &str) -> Option<(&'a str, &'a str)> {
    let (mut depth, mut quote) = (0i32, None::<char>);
    let mut found = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '(') => depth += 1,
            (None, ']' | ')') => depth -= 1,
            (None, _) if depth == 0 && text[i..].starts_with(op) => found = Some(i),
            _ => {}
        }
    }
    found.map(|i| (&text[..i], &text[i + op.len()..]))
}

fn literal(value: &str) -> serde_json::Value {
    let value = value.trim();
    if let Some(inner) = value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
        return serde_json::Value::String(inner.to_owned());
    }
    serde_json::from_str(value).unwrap_or_else(|_| serde_json::Value::String(value.to_owned()))
}

impl<'de> Deserialize<'de> for Condition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        Condition::parse(&text).map_err(de::Error::custom)
    }
}

/// A label selector as kubectl takes it (`app=api,tier!=cache`), passed to the
/// API server as written.
pub fn selector(text: &str) -> Result<(), String> {
    if text.trim().is_empty() {
        return Err("the selector is empty".into());
    }
    if text.contains(char::is_control) {
        return Err("the selector has a control character".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workloads_read_as_kubectl_writes_them() {
        assert_eq!(
            Workload::parse("deployment/graphql-api")
                .unwrap()
                .to_string(),
            "deployment/graphql-api"
        );
        assert_eq!(
            Workload::parse("deploy/api").unwrap().kind,
            WorkloadKind::Deployment
        );
        assert_eq!(Workload::parse("statefulsets").unwrap().name, None);
        assert!(Workload::parse("deployment").is_err());
        assert!(
            Workload::parse("pod/x")
                .unwrap_err()
                .contains("not a workload")
        );
        assert!(Workload::parse("deployment/Bad_Name").is_err());
    }

    #[test]
    fn named_objects() {
        assert_eq!(
            Named::parse("secret/api-keys").unwrap(),
            Named {
                kind: NamedKind::Secret,
                name: "api-keys".into()
            }
        );
        assert_eq!(Named::parse("cm/app").unwrap().kind, NamedKind::ConfigMap);
        assert!(Named::parse("pod/x").is_err());
        assert!(Named::parse("secret").is_err());
    }

    #[test]
    fn conditions_split_outside_quotes_and_filters() {
        let c =
            Condition::parse(r#"status.conditions[?(@.type=="Ready")].status == "True""#).unwrap();
        assert_eq!(c.text, r#"status.conditions[?(@.type=="Ready")].status"#);
        assert_eq!(c.test, Test::Equals(serde_json::json!("True")));
        let c = Condition::parse("status.replicas != 0").unwrap();
        assert_eq!(c.test, Test::NotEquals(serde_json::json!(0)));
        let c = Condition::parse("spec.paused == true").unwrap();
        assert_eq!(c.test, Test::Equals(serde_json::json!(true)));
        let c = Condition::parse("status.phase == Active").unwrap();
        assert_eq!(c.test, Test::Equals(serde_json::json!("Active")));
        assert_eq!(
            Condition::parse("status.loadBalancer").unwrap().test,
            Test::Exists
        );
        assert!(
            Condition::parse("status.[[")
                .unwrap_err()
                .contains("not a JSONPath")
        );
        assert!(Condition::parse(" == 3").is_err());
    }
}
