//! `resource`: the generic check, for any kind the API server serves (custom
//! resources included — a cert-manager `Certificate` Ready, an Argo
//! `Rollout` healthy): group/version/kind found through discovery, objects by
//! name or label selector, a JSONPath condition on each.

use kube::api::DynamicObject;
use kube::core::GroupVersionKind;
use serde::Deserialize;

use super::fields::{Condition, Test};
use super::{Part, Reads};
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::check;

/// Settings of the `resource` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceCheck {
    /// `group/version` (`cert-manager.io/v1`), or `v1` for the core group (required).
    pub api_version: Text,
    /// The kind, as in the object's `kind` (`Certificate`) (required).
    pub kind: Text,
    /// One object by name; else every object of `selector` (or of the probe's).
    #[serde(default)]
    pub name: Option<Text>,
    /// A label selector.
    #[serde(default)]
    pub selector: Option<Text>,
    /// `PATH == VALUE`, `PATH != VALUE`, or `PATH` (something is there), e.g.
    /// `status.conditions[?(@.type=="Ready")].status == "True"` (required).
    pub condition: Condition,
}

impl ResourceCheck {
    fn gvk(&self) -> GroupVersionKind {
        let api_version = self.api_version.trim();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        GroupVersionKind::gvk(group, version, self.kind.trim())
    }

    pub(super) fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        let gvk = self.gvk();
        if gvk.version.is_empty() || gvk.version.contains(char::is_whitespace) {
            problems.push(format!(
                "`{}` is not an apiVersion: write group/version, e.g. cert-manager.io/v1",
                self.api_version.as_str()
            ));
        }
        if gvk.kind.is_empty() || !gvk.kind.chars().all(char::is_alphanumeric) {
            problems.push(format!(
                "`{}` is not a kind: write it as in the object, e.g. Certificate",
                self.kind.as_str()
            ));
        }
        if let Some(name) = &self.name {
            problems.extend(super::fields::object_name(name.trim()).err());
            if self.selector.is_some() {
                problems.push("resource takes a name or a selector, not both".to_owned());
            }
        }
        problems
    }
}

pub(super) async fn check_resource(
    reads: &Reads<'_>,
    settings: &ResourceCheck,
) -> Result<Part, String> {
    let gvk = settings.gvk();
    let (resource, scope) = reads.lists.discover(reads.cluster, &gvk).await?;
    let name = settings.name.as_ref().map(|n| n.trim());
    let labels = match name {
        Some(_) => None,
        None => settings
            .selector
            .as_ref()
            .map(|s| s.trim())
            .or(reads.selector.as_deref()),
    };
    let objects = reads
        .lists
        .dynamic(reads.cluster, &resource, &scope, reads.query(labels))
        .await?;
    let kind = gvk.kind.to_ascii_lowercase();
    let chosen: Vec<&DynamicObject> = objects
        .iter()
        .filter(|o| name.is_none_or(|n| o.metadata.name.as_deref() == Some(n)))
        .collect();
    let mut checks: Vec<Check> = chosen
        .iter()
        .map(|o| judge(&kind, o, &settings.condition))
        .collect();
    if chosen.is_empty() {
        let observed = match name {
            Some(n) => format!(
                "{kind}/{n}: not found{}",
                if scope == kube::discovery::Scope::Cluster {
                    String::new()
                } else {
                    format!(" in namespace {}", reads.namespace)
                }
            ),
            None => format!("no {kind} ({})", reads.scope(labels)),
        };
        checks.push(check(
            false,
            format!("{kind} with {}", describe(&settings.condition)),
            observed,
        ));
    }
    let summary = checks
        .iter()
        .map(|c| c.observed.clone())
        .collect::<Vec<_>>()
        .join("; ");
    Ok(Part { checks, summary })
}

/// One object against the condition.
pub fn judge(kind: &str, object: &DynamicObject, condition: &Condition) -> Check {
    let who = format!("{kind}/{}", object.metadata.name.as_deref().unwrap_or("?"));
    let value = serde_json::to_value(object).unwrap_or_default();
    let found: Vec<&serde_json::Value> = condition.path.query(&value).all();
    let shown = match found.as_slice() {
        [] => "nothing".to_owned(),
        [one] => one.to_string(),
        many => format!(
            "[{}]",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let ok = match &condition.test {
        Test::Exists => !found.is_empty(),
        Test::Equals(want) => !found.is_empty() && found.iter().all(|v| *v == want),
        Test::NotEquals(want) => found.iter().all(|v| *v != want),
    };
    let expected = format!("{who} with {}", describe(condition));
    let observed = if ok {
        format!(
            "{who}: {} is {}",
            condition.text,
            crate::probe::expect::excerpt(&shown, 120)
        )
    } else {
        format!(
            "{who}: {} is {}, expected {}",
            condition.text,
            crate::probe::expect::excerpt(&shown, 120),
            wanted(&condition.test)
        )
    };
    check(ok, expected, observed)
}

fn describe(condition: &Condition) -> String {
    format!("{} {}", condition.text, wanted(&condition.test))
}

fn wanted(test: &Test) -> String {
    match test {
        Test::Exists => "present".to_owned(),
        Test::Equals(v) => format!("== {v}"),
        Test::NotEquals(v) => format!("!= {v}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn certificate(ready: &str) -> DynamicObject {
        serde_json::from_value(serde_json::json!({
            "apiVersion": "cert-manager.io/v1",
            "kind": "Certificate",
            "metadata": {"name": "api-tls", "namespace": "prod"},
            "status": {"conditions": [{"type": "Issuing", "status": "False"}, {"type": "Ready", "status": ready}]}
        }))
        .unwrap()
    }

    #[test]
    fn a_condition_on_a_custom_resource() {
        let ready =
            Condition::parse(r#"status.conditions[?(@.type=="Ready")].status == "True""#).unwrap();
        let ok = judge("certificate", &certificate("True"), &ready);
        assert_eq!(ok.verdict, Verdict::Pass);
        assert_eq!(
            ok.observed,
            r#"certificate/api-tls: status.conditions[?(@.type=="Ready")].status is "True""#
        );
        let bad = judge("certificate", &certificate("False"), &ready);
        assert_eq!(bad.verdict, Verdict::Fail);
        assert_eq!(
            bad.observed,
            r#"certificate/api-tls: status.conditions[?(@.type=="Ready")].status is "False", expected == "True""#
        );
        let missing = Condition::parse("status.notAfter").unwrap();
        assert_eq!(
            judge("certificate", &certificate("True"), &missing).observed,
            "certificate/api-tls: status.notAfter is nothing, expected present"
        );
        let not = Condition::parse(r#"status.conditions[*].status != "Unknown""#).unwrap();
        assert_eq!(
            judge("certificate", &certificate("True"), &not).verdict,
            Verdict::Pass
        );
    }
}
