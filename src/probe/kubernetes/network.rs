//! `endpoints`: services have ready endpoints (counted in their
//! EndpointSlices); `ingress`: an ingress has an address and TLS for the
//! hosts named.

use k8s_openapi::api::core::v1::Service;
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::Ingress;
use serde::Deserialize;

use super::fields::List;
use super::{Part, Reads};
use crate::checklist::text::Text;
use crate::probe::expect::check;

/// The label that ties an EndpointSlice to its service.
const SERVICE_LABEL: &str = "kubernetes.io/service-name";

/// Settings of the `ingress` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngressCheck {
    /// The ingress's name (required).
    pub name: Text,
    /// Hosts that must have a rule and TLS (default: every host in its rules).
    #[serde(default)]
    pub hosts: Option<List<Text>>,
}

impl IngressCheck {
    pub(super) fn validate(&self) -> Vec<String> {
        super::fields::object_name(self.name.trim())
            .err()
            .into_iter()
            .collect()
    }
}

pub(super) async fn endpoints(reads: &Reads<'_>, names: &[Text]) -> Result<Part, String> {
    let services = reads
        .lists
        .typed::<Service>(reads.cluster, reads.query(None))
        .await?;
    let slices = reads
        .lists
        .typed::<EndpointSlice>(reads.cluster, reads.query(None))
        .await?;
    let mut part = Part {
        checks: Vec::new(),
        summary: String::new(),
    };
    let mut summaries = Vec::new();
    for name in names {
        let name = name.trim();
        let service = services
            .iter()
            .find(|s| s.metadata.name.as_deref() == Some(name));
        let (ok, observed) = judge_endpoints(name, service, &slices, &reads.namespace);
        summaries.push(observed.clone());
        part.checks.push(check(
            ok,
            format!("service/{name} has ready endpoints"),
            observed,
        ));
    }
    part.summary = summaries.join("; ");
    Ok(part)
}

/// Whether service `name` has ready endpoints, and what was seen.
pub fn judge_endpoints(
    name: &str,
    service: Option<&Service>,
    slices: &[EndpointSlice],
    namespace: &str,
) -> (bool, String) {
    let object = format!("service/{name}");
    let Some(service) = service else {
        return (
            false,
            format!("{object}: not found in namespace {namespace}"),
        );
    };
    let spec = service.spec.clone().unwrap_or_default();
    if spec.type_.as_deref() == Some("ExternalName") {
        return (
            true,
            format!(
                "{object}: ExternalName {}",
                spec.external_name.unwrap_or_default()
            ),
        );
    }
    let (mut ready, mut not_ready) = (0usize, 0usize);
    for slice in slices {
        let owner = slice
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SERVICE_LABEL));
        if owner.map(String::as_str) != Some(name) {
            continue;
        }
        for endpoint in &slice.endpoints {
            let is_ready = endpoint
                .conditions
                .as_ref()
                .and_then(|c| c.ready)
                .unwrap_or(true);
            if is_ready {
                ready += endpoint.addresses.len().max(1);
            } else {
                not_ready += endpoint.addresses.len().max(1);
            }
        }
    }
    if ready > 0 {
        return (
            true,
            format!(
                "{object}: {ready} ready endpoint{}",
                if ready == 1 { "" } else { "s" }
            ),
        );
    }
    let why = if not_ready > 0 {
        format!("no ready endpoints ({not_ready} not ready)")
    } else {
        match spec.selector.filter(|s| !s.is_empty()) {
            Some(selector) => {
                let text: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!(
                    "no endpoints (does its selector {} match a ready pod?)",
                    text.join(",")
                )
            }
            None => "no endpoints (it has no selector)".to_owned(),
        }
    };
    (false, format!("{object}: {why}"))
}

pub(super) async fn ingress(reads: &Reads<'_>, settings: &IngressCheck) -> Result<Part, String> {
    let ingresses = reads
        .lists
        .typed::<Ingress>(reads.cluster, reads.query(None))
        .await?;
    let name = settings.name.trim();
    let found = ingresses
        .iter()
        .find(|i| i.metadata.name.as_deref() == Some(name));
    let hosts: Option<Vec<String>> = settings
        .hosts
        .as_ref()
        .map(|h| h.0.iter().map(|t| t.trim().to_ascii_lowercase()).collect());
    Ok(judge_ingress(
        name,
        found,
        hosts.as_deref(),
        &reads.namespace,
    ))
}

/// An ingress's address and TLS coverage of `hosts` (default: its rules' hosts).
pub fn judge_ingress(
    name: &str,
    ingress: Option<&Ingress>,
    hosts: Option<&[String]>,
    namespace: &str,
) -> Part {
    let object = format!("ingress/{name}");
    let expected = format!("{object} has an address and TLS for its hosts");
    let Some(ingress) = ingress else {
        let observed = format!("{object}: not found in namespace {namespace}");
        return Part::one(check(false, expected, observed.clone()), observed);
    };
    let spec = ingress.spec.clone().unwrap_or_default();
    let rule_hosts: Vec<String> = spec
        .rules
        .iter()
        .flatten()
        .filter_map(|r| r.host.clone())
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let tls_hosts: Vec<String> = spec
        .tls
        .iter()
        .flatten()
        .flat_map(|t| t.hosts.clone().unwrap_or_default())
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let wanted: Vec<String> = hosts.map_or_else(|| rule_hosts.clone(), <[String]>::to_vec);
    let addresses: Vec<String> = ingress
        .status
        .as_ref()
        .and_then(|s| s.load_balancer.as_ref())
        .and_then(|lb| lb.ingress.clone())
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| i.ip.or(i.hostname))
        .collect();
    let mut problems = Vec::new();
    if addresses.is_empty() {
        problems.push("no address".to_owned());
    }
    if wanted.is_empty() {
        problems.push("no hosts in its rules".to_owned());
    }
    for host in &wanted {
        if !rule_hosts.iter().any(|r| covers(r, host)) {
            problems.push(format!("no rule for {host}"));
        } else if !tls_hosts.iter().any(|t| covers(t, host)) {
            problems.push(format!("no TLS for {host}"));
        }
    }
    if problems.is_empty() {
        let observed = format!(
            "{object}: address {}, TLS for {}",
            addresses.join(", "),
            wanted.join(", ")
        );
        Part::one(check(true, expected, observed.clone()), observed)
    } else {
        let observed = format!("{object}: {}", problems.join(", "));
        Part::one(check(false, expected, observed.clone()), observed)
    }
}

/// Whether `pattern` (a host or `*.example.com`) covers `host`.
fn covers(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host.split_once('.').is_some_and(|(_, rest)| rest == suffix),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ServiceSpec;
    use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions};
    use k8s_openapi::api::networking::v1::{
        IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
        IngressStatus, IngressTLS,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn service(name: &str) -> Service {
        Service {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            spec: Some(ServiceSpec {
                selector: Some([("app".to_owned(), name.to_owned())].into()),
                ..ServiceSpec::default()
            }),
            status: None,
        }
    }

    fn slice(service: &str, ready: &[bool]) -> EndpointSlice {
        EndpointSlice {
            metadata: ObjectMeta {
                name: Some(format!("{service}-abc")),
                labels: Some([(SERVICE_LABEL.to_owned(), service.to_owned())].into()),
                ..ObjectMeta::default()
            },
            address_type: "IPv4".into(),
            endpoints: ready
                .iter()
                .map(|r| Endpoint {
                    addresses: vec!["10.0.0.1".into()],
                    conditions: Some(EndpointConditions {
                        ready: Some(*r),
                        ..EndpointConditions::default()
                    }),
                    ..Endpoint::default()
                })
                .collect(),
            ports: None,
        }
    }

    #[test]
    fn endpoints_count_ready_addresses_of_the_service_only() {
        let slices = [slice("api", &[true, false]), slice("web", &[true])];
        assert_eq!(
            judge_endpoints("api", Some(&service("api")), &slices, "prod"),
            (true, "service/api: 1 ready endpoint".into())
        );
        assert_eq!(
            judge_endpoints("db", Some(&service("db")), &slices, "prod"),
            (
                false,
                "service/db: no endpoints (does its selector app=db match a ready pod?)".into()
            )
        );
        assert_eq!(
            judge_endpoints(
                "api",
                Some(&service("api")),
                &[slice("api", &[false])],
                "prod"
            ),
            (
                false,
                "service/api: no ready endpoints (1 not ready)".into()
            )
        );
        assert_eq!(
            judge_endpoints("x", None, &slices, "prod"),
            (false, "service/x: not found in namespace prod".into())
        );
    }

    fn ingress(address: bool, tls: &[&str]) -> Ingress {
        Ingress {
            metadata: ObjectMeta {
                name: Some("web".into()),
                ..ObjectMeta::default()
            },
            spec: Some(IngressSpec {
                rules: Some(vec![
                    IngressRule {
                        host: Some("api.candlefish.ai".into()),
                        http: None,
                    },
                    IngressRule {
                        host: Some("app.candlefish.ai".into()),
                        http: None,
                    },
                ]),
                tls: Some(vec![IngressTLS {
                    hosts: Some(tls.iter().map(|h| (*h).to_owned()).collect()),
                    secret_name: Some("tls".into()),
                }]),
                ..IngressSpec::default()
            }),
            status: Some(IngressStatus {
                load_balancer: Some(IngressLoadBalancerStatus {
                    ingress: address.then(|| {
                        vec![IngressLoadBalancerIngress {
                            ip: Some("203.0.113.7".into()),
                            ..IngressLoadBalancerIngress::default()
                        }]
                    }),
                }),
            }),
        }
    }

    #[test]
    fn an_ingress_needs_an_address_and_tls_for_each_host() {
        let ok = judge_ingress(
            "web",
            Some(&ingress(true, &["*.candlefish.ai"])),
            None,
            "prod",
        );
        assert_eq!(
            ok.summary,
            "ingress/web: address 203.0.113.7, TLS for api.candlefish.ai, app.candlefish.ai"
        );
        let bad = judge_ingress(
            "web",
            Some(&ingress(false, &["api.candlefish.ai"])),
            None,
            "prod",
        );
        assert_eq!(
            bad.checks[0].observed,
            "ingress/web: no address, no TLS for app.candlefish.ai"
        );
        let named = judge_ingress(
            "web",
            Some(&ingress(true, &["api.candlefish.ai"])),
            Some(&["api.candlefish.ai".into(), "docs.candlefish.ai".into()]),
            "prod",
        );
        assert_eq!(
            named.checks[0].observed,
            "ingress/web: no rule for docs.candlefish.ai"
        );
        assert!(covers("*.candlefish.ai", "api.candlefish.ai"));
        assert!(!covers("*.candlefish.ai", "a.b.candlefish.ai"));
    }
}
