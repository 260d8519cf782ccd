//! Kubernetes objects for the `kubernetes` probe's tests, built from
//! `k8s-openapi` types with their statuses as controllers would write them.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{Deployment, DeploymentSpec, DeploymentStatus};
use k8s_openapi::api::core::v1::{
    Container, ContainerState, ContainerStateWaiting, ContainerStatus, HTTPGetAction, Pod,
    PodCondition, PodSpec, PodStatus, PodTemplateSpec, Probe, ResourceRequirements, Service,
    ServiceSpec,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// A moment `seconds` ago.
pub fn ago(seconds: i64) -> Time {
    Time(
        k8s_openapi::jiff::Timestamp::now() - k8s_openapi::jiff::SignedDuration::from_secs(seconds),
    )
}

pub fn labels(app: &str) -> BTreeMap<String, String> {
    [("app".to_owned(), app.to_owned())].into()
}

pub fn meta(ns: &str, name: &str, app: Option<&str>) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        labels: app.map(labels),
        creation_timestamp: Some(ago(3600)),
        generation: Some(4),
        resource_version: Some("48000".into()),
        uid: Some(format!("uid-{ns}-{name}")),
        ..ObjectMeta::default()
    }
}

/// A container with requests, a memory limit, both probes, and `image`.
pub fn container(name: &str, image: &str) -> Container {
    let q = |v: &str| Quantity(v.into());
    let probe = || Probe {
        http_get: Some(HTTPGetAction {
            path: Some("/health".into()),
            port: IntOrString::Int(8080),
            ..HTTPGetAction::default()
        }),
        ..Probe::default()
    };
    Container {
        name: name.into(),
        image: Some(image.into()),
        resources: Some(ResourceRequirements {
            requests: Some(
                [
                    ("cpu".to_owned(), q("250m")),
                    ("memory".to_owned(), q("256Mi")),
                ]
                .into(),
            ),
            limits: Some([("memory".to_owned(), q("512Mi"))].into()),
            ..ResourceRequirements::default()
        }),
        readiness_probe: Some(probe()),
        liveness_probe: Some(probe()),
        ..Container::default()
    }
}

/// A deployment of `desired` replicas of which `ready` are updated, ready and available.
pub fn deployment(ns: &str, name: &str, image: &str, desired: i32, ready: i32) -> Deployment {
    Deployment {
        metadata: meta(ns, name, Some(name)),
        spec: Some(DeploymentSpec {
            replicas: Some(desired),
            selector: LabelSelector {
                match_labels: Some(labels(name)),
                match_expressions: None,
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(labels(name)),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container(name, image)],
                    ..PodSpec::default()
                }),
            },
            ..DeploymentSpec::default()
        }),
        status: Some(DeploymentStatus {
            observed_generation: Some(4),
            replicas: Some(desired),
            updated_replicas: Some(ready),
            ready_replicas: Some(ready),
            available_replicas: Some(ready),
            ..DeploymentStatus::default()
        }),
    }
}

/// A pod of `app`: Running and Ready, or waiting in `waiting` with `restarts`.
pub fn pod(
    ns: &str,
    name: &str,
    app: &str,
    image: &str,
    waiting: Option<&str>,
    restarts: i32,
) -> Pod {
    let ready = waiting.is_none();
    Pod {
        metadata: meta(ns, name, Some(app)),
        spec: Some(PodSpec {
            containers: vec![container(app, image)],
            ..PodSpec::default()
        }),
        status: Some(PodStatus {
            phase: Some("Running".into()),
            start_time: Some(ago(3600)),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: if ready { "True" } else { "False" }.into(),
                last_transition_time: Some(ago(1800)),
                ..PodCondition::default()
            }]),
            container_statuses: Some(vec![ContainerStatus {
                name: app.into(),
                image: image.into(),
                image_id: format!("{image}@sha256:0f1e"),
                ready,
                started: Some(ready),
                restart_count: restarts,
                state: Some(match waiting {
                    Some(reason) => ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some(reason.into()),
                            message: Some("back-off 5m0s restarting failed container".into()),
                        }),
                        ..ContainerState::default()
                    },
                    None => ContainerState::default(),
                }),
                ..ContainerStatus::default()
            }]),
            ..PodStatus::default()
        }),
    }
}

/// A ClusterIP service selecting `app`.
pub fn service(ns: &str, name: &str) -> Service {
    Service {
        metadata: meta(ns, name, Some(name)),
        spec: Some(ServiceSpec {
            selector: Some(labels(name)),
            cluster_ip: Some("10.96.0.12".into()),
            ..ServiceSpec::default()
        }),
        status: None,
    }
}

/// The EndpointSlice of service `name` with one endpoint per readiness given.
pub fn slice(ns: &str, name: &str, ready: &[bool]) -> EndpointSlice {
    let mut metadata = meta(ns, &format!("{name}-x7k2p"), None);
    metadata.labels = Some([("kubernetes.io/service-name".to_owned(), name.to_owned())].into());
    EndpointSlice {
        metadata,
        address_type: "IPv4".into(),
        endpoints: ready
            .iter()
            .enumerate()
            .map(|(i, r)| Endpoint {
                addresses: vec![format!("10.244.1.{}", i + 10)],
                conditions: Some(EndpointConditions {
                    ready: Some(*r),
                    serving: Some(*r),
                    terminating: Some(false),
                }),
                ..Endpoint::default()
            })
            .collect(),
        ports: None,
    }
}

/// A PodDisruptionBudget for the pods of `app`.
pub fn pdb(ns: &str, app: &str) -> PodDisruptionBudget {
    PodDisruptionBudget {
        metadata: meta(ns, &format!("{app}-pdb"), None),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(labels(app)),
                match_expressions: None,
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        status: None,
    }
}

/// A Ready node under no pressure.
pub fn node(name: &str) -> k8s_openapi::api::core::v1::Node {
    use k8s_openapi::api::core::v1::{Node, NodeCondition, NodeStatus};
    let mut metadata = meta("", name, None);
    metadata.namespace = None;
    let condition = |kind: &str, status: &str| NodeCondition {
        type_: kind.into(),
        status: status.into(),
        ..NodeCondition::default()
    };
    Node {
        metadata,
        spec: None,
        status: Some(NodeStatus {
            conditions: Some(vec![
                condition("Ready", "True"),
                condition("MemoryPressure", "False"),
                condition("DiskPressure", "False"),
            ]),
            ..NodeStatus::default()
        }),
    }
}
