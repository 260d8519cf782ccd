//! What keeps a workload up through load and maintenance: an autoscaler with
//! enough replicas (`hpa`), a PodDisruptionBudget covering each deployment
//! (`pdb`), and containers that declare requests, limits, probes and a pinned
//! image (`containers`).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::core::v1::{Container, PodTemplateSpec};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use serde::Deserialize;

use super::fields::List;
use super::{Part, Reads};
use crate::checklist::text::Text;
use crate::probe::expect::check;

/// Settings of the `hpa` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HpaCheck {
    /// The HorizontalPodAutoscaler's name (required).
    pub name: Text,
    /// Its `minReplicas` must be at least this (default 2).
    #[serde(default = "two")]
    pub min_replicas: i32,
}

fn two() -> i32 {
    2
}

impl HpaCheck {
    pub(super) fn validate(&self) -> Vec<String> {
        let mut problems: Vec<String> = super::fields::object_name(self.name.trim())
            .err()
            .into_iter()
            .collect();
        if self.min_replicas < 1 {
            problems.push(format!(
                "hpa min_replicas is {}: it must be at least 1",
                self.min_replicas
            ));
        }
        problems
    }
}

/// Settings of the `pdb` check.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PdbCheck {
    /// The deployments that must be covered (default: every deployment of the
    /// probe's selector in the namespace).
    #[serde(default)]
    pub deployments: Option<List<Text>>,
}

/// Settings of the `containers` check: each is on unless set to `false`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainersCheck {
    /// CPU and memory requests.
    #[serde(default = "yes")]
    pub requests: bool,
    /// A memory limit (and a CPU limit when `cpu_limit` is set).
    #[serde(default = "yes")]
    pub limits: bool,
    /// Require a CPU limit too (default `false`: CPU limits throttle more than they protect).
    #[serde(default)]
    pub cpu_limit: bool,
    /// A readiness probe.
    #[serde(default = "yes")]
    pub readiness: bool,
    /// A liveness probe.
    #[serde(default = "yes")]
    pub liveness: bool,
    /// Images with a tag other than `latest`, or a digest.
    #[serde(default = "yes")]
    pub pinned_images: bool,
}

impl Default for ContainersCheck {
    fn default() -> Self {
        ContainersCheck {
            requests: true,
            limits: true,
            cpu_limit: false,
            readiness: true,
            liveness: true,
            pinned_images: true,
        }
    }
}

fn yes() -> bool {
    true
}

pub(super) async fn hpa(reads: &Reads<'_>, settings: &HpaCheck) -> Result<Part, String> {
    let all = reads
        .lists
        .typed::<HorizontalPodAutoscaler>(reads.cluster, reads.query(None))
        .await?;
    let name = settings.name.trim();
    let object = format!("hpa/{name}");
    let expected = format!("{object} with minReplicas >= {}", settings.min_replicas);
    let observed = match all
        .iter()
        .find(|h| h.metadata.name.as_deref() == Some(name))
    {
        None => format!("{object}: not found in namespace {}", reads.namespace),
        Some(h) => {
            let spec = h.spec.clone().unwrap_or_default();
            let min = spec.min_replicas.unwrap_or(1);
            let current = h
                .status
                .as_ref()
                .and_then(|s| s.current_replicas)
                .unwrap_or(0);
            let text = format!(
                "{object}: minReplicas {min}, maxReplicas {}, {current} running",
                spec.max_replicas
            );
            return Ok(Part::one(
                check(min >= settings.min_replicas, expected, text.clone()),
                text,
            ));
        }
    };
    Ok(Part::one(
        check(false, expected, observed.clone()),
        observed,
    ))
}

pub(super) async fn pdb(reads: &Reads<'_>, settings: &PdbCheck) -> Result<Part, String> {
    let labels = if settings.deployments.is_some() {
        None
    } else {
        reads.selector.as_deref()
    };
    let deployments = reads
        .lists
        .typed::<Deployment>(reads.cluster, reads.query(labels))
        .await?;
    let budgets = reads
        .lists
        .typed::<PodDisruptionBudget>(reads.cluster, reads.query(None))
        .await?;
    let mut checks = Vec::new();
    let mut covered = Vec::new();
    let wanted: Vec<&str> = match &settings.deployments {
        Some(names) => names.0.iter().map(|n| n.trim()).collect(),
        None => deployments
            .iter()
            .filter_map(|d| d.metadata.name.as_deref())
            .collect(),
    };
    if wanted.is_empty() {
        let observed = format!("no deployments ({})", reads.scope(labels));
        checks.push(check(
            false,
            "deployments covered by a PodDisruptionBudget",
            observed,
        ));
    }
    for name in wanted {
        let object = format!("deployment/{name}");
        let expected = format!("{object} covered by a PodDisruptionBudget");
        let Some(deployment) = deployments
            .iter()
            .find(|d| d.metadata.name.as_deref() == Some(name))
        else {
            checks.push(check(
                false,
                expected,
                format!("{object}: not found in namespace {}", reads.namespace),
            ));
            continue;
        };
        let pod_labels =
            template(deployment.spec.as_ref().map(|s| &s.template)).unwrap_or_default();
        match budgets.iter().find(|b| {
            b.spec
                .as_ref()
                .and_then(|s| s.selector.as_ref())
                .is_some_and(|s| matches(s, &pod_labels))
        }) {
            Some(b) => {
                let pdb = b.metadata.name.clone().unwrap_or_default();
                covered.push(format!("{object} by pdb/{pdb}"));
                checks.push(check(true, expected, format!("{object}: pdb/{pdb}")));
            }
            None => checks.push(check(
                false,
                expected,
                format!("{object}: no PodDisruptionBudget covers its pods"),
            )),
        }
    }
    Ok(Part {
        checks,
        summary: format!("covered: {}", covered.join(", ")),
    })
}

fn template(t: Option<&PodTemplateSpec>) -> Option<BTreeMap<String, String>> {
    t.and_then(|t| t.metadata.as_ref())
        .and_then(|m| m.labels.clone())
}

/// Whether `selector` selects pods labelled `labels` (an empty selector selects every pod).
pub fn matches(selector: &LabelSelector, labels: &BTreeMap<String, String>) -> bool {
    let exact = selector
        .match_labels
        .iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions = selector.match_expressions.iter().flatten().all(|e| {
        let values = e.values.clone().unwrap_or_default();
        let value = labels.get(&e.key);
        match e.operator.as_str() {
            "In" => value.is_some_and(|v| values.contains(v)),
            "NotIn" => value.is_none_or(|v| !values.contains(v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            _ => false,
        }
    });
    exact && expressions
}

pub(super) async fn containers(
    reads: &Reads<'_>,
    settings: &ContainersCheck,
) -> Result<Part, String> {
    let labels = reads.selector.as_deref();
    let query = reads.query(labels);
    let (deployments, statefulsets, daemonsets) = futures::try_join!(
        reads.lists.typed::<Deployment>(reads.cluster, query),
        reads.lists.typed::<StatefulSet>(reads.cluster, query),
        reads.lists.typed::<DaemonSet>(reads.cluster, query),
    )?;
    let mut templates: Vec<(String, Option<&PodTemplateSpec>)> = Vec::new();
    templates.extend(deployments.iter().map(|d| {
        (
            format!("deployment/{}", d.metadata.name.as_deref().unwrap_or("?")),
            d.spec.as_ref().map(|s| &s.template),
        )
    }));
    templates.extend(statefulsets.iter().map(|d| {
        (
            format!("statefulset/{}", d.metadata.name.as_deref().unwrap_or("?")),
            d.spec.as_ref().map(|s| &s.template),
        )
    }));
    templates.extend(daemonsets.iter().map(|d| {
        (
            format!("daemonset/{}", d.metadata.name.as_deref().unwrap_or("?")),
            d.spec.as_ref().map(|s| &s.template),
        )
    }));
    let mut checks = Vec::new();
    let mut count = 0;
    for (object, template) in &templates {
        let spec = template.and_then(|t| t.spec.as_ref());
        for container in spec.map(|s| s.containers.as_slice()).unwrap_or_default() {
            count += 1;
            checks.push(judge_container(object, container, settings, false));
        }
        for container in spec
            .and_then(|s| s.init_containers.as_deref())
            .unwrap_or_default()
        {
            count += 1;
            checks.push(judge_container(object, container, settings, true));
        }
    }
    if templates.is_empty() {
        let observed = format!("no workloads ({})", reads.scope(labels));
        checks.push(check(false, "containers to check", observed));
    }
    Ok(Part {
        checks,
        summary: format!(
            "{count} containers in {} workloads declare resources, probes and pinned images",
            templates.len()
        ),
    })
}

/// One container's declarations; init containers need no probes.
pub fn judge_container(
    object: &str,
    c: &Container,
    settings: &ContainersCheck,
    init: bool,
) -> crate::outcome::Check {
    let mut problems = Vec::new();
    let resources = c.resources.clone().unwrap_or_default();
    let has = |map: &Option<
        BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>,
    >,
               key: &str| map.as_ref().is_some_and(|m| m.contains_key(key));
    if settings.pinned_images {
        let image = c.image.as_deref().unwrap_or_default();
        match image_tag(image) {
            ImageTag::Digest => {}
            ImageTag::Tag(tag) if tag != "latest" => {}
            ImageTag::Tag(_) => problems.push(format!("image {image}")),
            ImageTag::None => problems.push(format!("untagged image {image}")),
        }
    }
    if settings.requests {
        for key in ["cpu", "memory"] {
            if !has(&resources.requests, key) {
                problems.push(format!("no {key} request"));
            }
        }
    }
    if settings.limits {
        if !has(&resources.limits, "memory") {
            problems.push("no memory limit".to_owned());
        }
        if settings.cpu_limit && !has(&resources.limits, "cpu") {
            problems.push("no cpu limit".to_owned());
        }
    }
    if !init && settings.readiness && c.readiness_probe.is_none() {
        problems.push("no readiness probe".to_owned());
    }
    if !init && settings.liveness && c.liveness_probe.is_none() {
        problems.push("no liveness probe".to_owned());
    }
    let kind = if init { "init container" } else { "container" };
    let who = format!("{object} {kind} {}", c.name);
    let expected = format!("{who} declares resources, probes and a pinned image");
    if problems.is_empty() {
        check(true, expected, format!("{who}: ok"))
    } else {
        check(false, expected, format!("{who}: {}", problems.join(", ")))
    }
}

/// How an image reference is pinned.
#[derive(Debug, PartialEq, Eq)]
pub enum ImageTag<'a> {
    /// `name@sha256:…`.
    Digest,
    /// `name:tag`.
    Tag(&'a str),
    /// No tag at all (which means `latest`).
    None,
}

/// The tag of an image reference; a registry's port is not a tag.
pub fn image_tag(image: &str) -> ImageTag<'_> {
    if image.contains('@') {
        return ImageTag::Digest;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.split_once(':') {
        Some((_, tag)) if !tag.is_empty() => ImageTag::Tag(tag),
        _ => ImageTag::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use k8s_openapi::api::core::v1::{Probe, ResourceRequirements};
    use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelectorRequirement;

    #[test]
    fn image_tags() {
        assert_eq!(
            image_tag("registry:5000/team/api:1.4.2"),
            ImageTag::Tag("1.4.2")
        );
        assert_eq!(image_tag("registry:5000/team/api"), ImageTag::None);
        assert_eq!(image_tag("nginx:latest"), ImageTag::Tag("latest"));
        assert_eq!(image_tag("nginx@sha256:abc"), ImageTag::Digest);
    }

    fn container(image: &str, complete: bool) -> Container {
        let q = |v: &str| Quantity(v.into());
        Container {
            name: "api".into(),
            image: Some(image.into()),
            resources: complete.then(|| ResourceRequirements {
                requests: Some(
                    [
                        ("cpu".to_owned(), q("100m")),
                        ("memory".to_owned(), q("128Mi")),
                    ]
                    .into(),
                ),
                limits: Some([("memory".to_owned(), q("256Mi"))].into()),
                ..ResourceRequirements::default()
            }),
            readiness_probe: complete.then(Probe::default),
            liveness_probe: complete.then(Probe::default),
            ..Container::default()
        }
    }

    #[test]
    fn a_complete_container_passes_and_a_bare_one_lists_everything() {
        let settings = ContainersCheck::default();
        let ok = judge_container(
            "deployment/api",
            &container("ghcr.io/candlefish/api:1.4.2", true),
            &settings,
            false,
        );
        assert_eq!(ok.verdict, Verdict::Pass);
        let bad = judge_container(
            "deployment/api",
            &container("nginx:latest", false),
            &settings,
            false,
        );
        assert_eq!(
            bad.observed,
            "deployment/api container api: image nginx:latest, no cpu request, no memory request, no memory limit, no readiness probe, no liveness probe"
        );
        let lenient = ContainersCheck {
            requests: false,
            limits: false,
            readiness: false,
            liveness: false,
            ..settings
        };
        assert_eq!(
            judge_container("d", &container("nginx", false), &lenient, false).observed,
            "d container api: untagged image nginx"
        );
    }

    #[test]
    fn selectors_match_as_the_api_server_does() {
        let labels: BTreeMap<String, String> = [
            ("app".to_owned(), "api".to_owned()),
            ("tier".to_owned(), "web".to_owned()),
        ]
        .into();
        let by_label = LabelSelector {
            match_labels: Some([("app".to_owned(), "api".to_owned())].into()),
            match_expressions: None,
        };
        assert!(matches(&by_label, &labels));
        let other = LabelSelector {
            match_labels: Some([("app".to_owned(), "db".to_owned())].into()),
            match_expressions: None,
        };
        assert!(!matches(&other, &labels));
        let expr = |op: &str, values: &[&str]| LabelSelector {
            match_labels: None,
            match_expressions: Some(vec![LabelSelectorRequirement {
                key: "tier".into(),
                operator: op.into(),
                values: Some(values.iter().map(|v| (*v).to_owned()).collect()),
            }]),
        };
        assert!(matches(&expr("In", &["web", "api"]), &labels));
        assert!(!matches(&expr("NotIn", &["web"]), &labels));
        assert!(matches(&expr("Exists", &[]), &labels));
        assert!(!matches(&expr("DoesNotExist", &[]), &labels));
        assert!(matches(&LabelSelector::default(), &labels));
    }
}
