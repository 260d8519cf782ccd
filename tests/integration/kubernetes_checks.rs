//! The `kubernetes` probe's other checks — statefulsets and daemonsets,
//! ingress, hpa, jobs, secrets and config maps, nodes, events, and the
//! generic `resource` check on a custom resource — each passing and failing,
//! against the served-shapes API of `kube_api.rs`.

use k8s_openapi::ByteString;
use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetStatus, StatefulSet, StatefulSetSpec, StatefulSetStatus,
};
use k8s_openapi::api::autoscaling::v2::{
    HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, HorizontalPodAutoscalerStatus,
};
use k8s_openapi::api::batch::v1::{Job, JobCondition, JobSpec, JobStatus};
use k8s_openapi::api::core::v1::{
    ConfigMap, Event, Node, NodeCondition, NodeSpec, NodeStatus, ObjectReference, Secret,
};
use k8s_openapi::api::networking::v1::{
    Ingress, IngressLoadBalancerIngress, IngressLoadBalancerStatus, IngressRule, IngressSpec,
    IngressStatus, IngressTLS,
};
use serde_json::json;

use crate::kube_api::KubeApi;
use crate::kube_objects::{ago, meta};
use crate::kubernetes::{TOKEN, kubeconfig};
use crate::support::{Run, probe_result};
use crate::tls_support::TestCa;

const NS: &str = "candlefish-prod";

fn statefulset(name: &str, ready: i32) -> StatefulSet {
    StatefulSet {
        metadata: meta(NS, name, Some(name)),
        spec: Some(StatefulSetSpec {
            replicas: Some(3),
            service_name: Some(name.into()),
            ..StatefulSetSpec::default()
        }),
        status: Some(StatefulSetStatus {
            observed_generation: Some(4),
            replicas: 3,
            ready_replicas: Some(ready),
            updated_replicas: Some(3),
            available_replicas: Some(ready),
            current_revision: Some(format!("{name}-6f7c")),
            update_revision: Some(format!("{name}-6f7c")),
            ..StatefulSetStatus::default()
        }),
    }
}

fn daemonset(name: &str, ready: i32) -> DaemonSet {
    DaemonSet {
        metadata: meta(NS, name, Some(name)),
        spec: None,
        status: Some(DaemonSetStatus {
            observed_generation: Some(4),
            desired_number_scheduled: 4,
            current_number_scheduled: 4,
            updated_number_scheduled: Some(4),
            number_ready: ready,
            number_available: Some(ready),
            number_misscheduled: 0,
            ..DaemonSetStatus::default()
        }),
    }
}

fn ingress(name: &str, host: &str, tls: bool, address: bool) -> Ingress {
    Ingress {
        metadata: meta(NS, name, None),
        spec: Some(IngressSpec {
            ingress_class_name: Some("nginx".into()),
            rules: Some(vec![IngressRule {
                host: Some(host.into()),
                http: None,
            }]),
            tls: tls.then(|| {
                vec![IngressTLS {
                    hosts: Some(vec![host.into()]),
                    secret_name: Some(format!("{name}-tls")),
                }]
            }),
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

fn hpa(name: &str, min: i32) -> HorizontalPodAutoscaler {
    HorizontalPodAutoscaler {
        metadata: meta(NS, name, None),
        spec: Some(HorizontalPodAutoscalerSpec {
            min_replicas: Some(min),
            max_replicas: 10,
            ..HorizontalPodAutoscalerSpec::default()
        }),
        status: Some(HorizontalPodAutoscalerStatus {
            current_replicas: Some(min),
            desired_replicas: min,
            ..HorizontalPodAutoscalerStatus::default()
        }),
    }
}

fn job(name: &str, outcome: &str) -> Job {
    let (succeeded, failed) = if outcome == "Complete" {
        (1, 0)
    } else {
        (0, 6)
    };
    Job {
        metadata: meta(NS, name, None),
        spec: Some(JobSpec {
            completions: Some(1),
            backoff_limit: Some(6),
            ..JobSpec::default()
        }),
        status: Some(JobStatus {
            succeeded: Some(succeeded),
            failed: Some(failed),
            conditions: Some(vec![JobCondition {
                type_: outcome.into(),
                status: "True".into(),
                reason: (outcome == "Failed").then(|| "BackoffLimitExceeded".into()),
                message: (outcome == "Failed")
                    .then(|| "Job has reached the specified backoff limit".into()),
                ..JobCondition::default()
            }]),
            ..JobStatus::default()
        }),
    }
}

fn node(name: &str, pool: &str, pressure: Option<&str>) -> Node {
    let mut metadata = meta("", name, None);
    metadata.namespace = None;
    metadata.labels = Some([("pool".to_owned(), pool.to_owned())].into());
    let mut conditions = vec![NodeCondition {
        type_: "Ready".into(),
        status: "True".into(),
        reason: Some("KubeletReady".into()),
        ..NodeCondition::default()
    }];
    for kind in ["MemoryPressure", "DiskPressure", "PIDPressure"] {
        let on = pressure == Some(kind);
        conditions.push(NodeCondition {
            type_: kind.into(),
            status: if on { "True" } else { "False" }.into(),
            ..NodeCondition::default()
        });
    }
    Node {
        metadata,
        spec: Some(NodeSpec::default()),
        status: Some(NodeStatus {
            conditions: Some(conditions),
            ..NodeStatus::default()
        }),
    }
}

fn warning(ns: &str, seconds_ago: i64) -> Event {
    Event {
        metadata: meta(ns, &format!("graphql-api-7d9f8.{seconds_ago}"), None),
        involved_object: ObjectReference {
            kind: Some("Pod".into()),
            name: Some("graphql-api-7d9f8-fghij".into()),
            namespace: Some(ns.into()),
            ..ObjectReference::default()
        },
        type_: Some("Warning".into()),
        reason: Some("BackOff".into()),
        message: Some(
            "Back-off restarting failed container api in pod graphql-api-7d9f8-fghij".into(),
        ),
        count: Some(12),
        first_timestamp: Some(ago(seconds_ago + 600)),
        last_timestamp: Some(ago(seconds_ago)),
        ..Event::default()
    }
}

fn certificate(name: &str, ready: &str) -> serde_json::Value {
    json!({
        "apiVersion": "cert-manager.io/v1",
        "kind": "Certificate",
        "metadata": {"name": name, "namespace": NS, "resourceVersion": "48100", "generation": 1},
        "spec": {"secretName": format!("{name}-tls"), "dnsNames": ["api.candlefish.ai"], "issuerRef": {"name": "letsencrypt", "kind": "ClusterIssuer"}},
        "status": {"conditions": [{"type": "Ready", "status": ready, "reason": if ready == "True" { "Ready" } else { "DoesNotExist" }, "lastTransitionTime": "2026-11-30T10:00:00Z"}]}
    })
}

fn cluster(ca: &TestCa) -> KubeApi {
    let api = KubeApi::start(ca, TOKEN);
    api.add(&statefulset("redis", 3));
    api.add(&statefulset("postgres", 2));
    api.add(&daemonset("log-agent", 4));
    api.add(&daemonset("node-exporter", 3));
    api.add(&ingress("api", "api.candlefish.ai", true, true));
    api.add(&ingress("docs", "docs.candlefish.ai", false, false));
    api.add(&hpa("graphql-api", 3));
    api.add(&hpa("worker", 1));
    api.add(&job("migrate-0042", "Complete"));
    api.add(&job("migrate-0043", "Failed"));
    api.add(&Secret {
        metadata: meta(NS, "api-keys", None),
        data: Some(
            [(
                "STRIPE_KEY".to_owned(),
                ByteString(b"sk_live_never_shown_51x".to_vec()),
            )]
            .into(),
        ),
        type_: Some("Opaque".into()),
        ..Secret::default()
    });
    api.add(&ConfigMap {
        metadata: meta(NS, "app-config", None),
        data: Some([("LOG_LEVEL".to_owned(), "info".to_owned())].into()),
        ..ConfigMap::default()
    });
    api.add(&node("api-node-1", "api", None));
    api.add(&node("api-node-2", "api", None));
    api.add(&node("batch-node-1", "batch", Some("DiskPressure")));
    api.add(&warning(NS, 120));
    api.add(&warning("quiet", 7200));
    api.add_kind("cert-manager.io/v1", "certificates", "Certificate", true);
    api.add_custom("certificates", certificate("api-tls", "True"));
    api.add_custom("certificates", certificate("docs-tls", "False"));
    api
}

const CHECKS: &str = "version: 1
name: Checks
sections:
  - id: k8s
    title: Kubernetes
    items:
      - { id: sts-ok, title: t, probe: { kubernetes: { rollout: statefulset/redis } } }
      - { id: sts-bad, title: t, probe: { kubernetes: { rollout: statefulset/postgres } } }
      - { id: ds-ok, title: t, probe: { kubernetes: { rollout: daemonset/log-agent } } }
      - { id: ds-bad, title: t, probe: { kubernetes: { rollout: daemonset/node-exporter } } }
      - { id: missing, title: t, probe: { kubernetes: { rollout: deployment/ghost } } }
      - { id: ingress-ok, title: t, probe: { kubernetes: { ingress: { name: api, hosts: api.candlefish.ai } } } }
      - { id: ingress-bad, title: t, probe: { kubernetes: { ingress: { name: docs } } } }
      - { id: hpa-ok, title: t, probe: { kubernetes: { hpa: { name: graphql-api, min_replicas: 2 } } } }
      - { id: hpa-bad, title: t, probe: { kubernetes: { hpa: { name: worker, min_replicas: 2 } } } }
      - { id: job-ok, title: t, probe: { kubernetes: { job: migrate-0042 } } }
      - { id: job-bad, title: t, probe: { kubernetes: { job: migrate-0043 } } }
      - { id: exists-ok, title: t, probe: { kubernetes: { exists: [secret/api-keys, configmap/app-config] } } }
      - { id: exists-bad, title: t, probe: { kubernetes: { exists: [secret/api-keys, secret/sentry-dsn] } } }
      - { id: nodes-ok, title: t, probe: { kubernetes: { nodes: { selector: pool=api, min_ready: 2 } } } }
      - { id: nodes-bad, title: t, probe: { kubernetes: { nodes: true } } }
      - { id: events-quiet, title: t, probe: { kubernetes: { namespace: quiet, events: { within: 30m } } } }
      - { id: events-noisy, title: t, probe: { kubernetes: { events: { within: 30m } } } }
      - id: cert-ok
        title: t
        probe: { kubernetes: { resource: { api_version: cert-manager.io/v1, kind: Certificate, name: api-tls, condition: 'status.conditions[?(@.type==\"Ready\")].status == \"True\"' } } }
      - id: cert-bad
        title: t
        probe: { kubernetes: { resource: { api_version: cert-manager.io/v1, kind: Certificate, name: docs-tls, condition: 'status.conditions[?(@.type==\"Ready\")].status == \"True\"' } } }
      - id: crd-missing
        title: t
        probe: { kubernetes: { resource: { api_version: argoproj.io/v1alpha1, kind: Rollout, name: api, condition: 'status.phase == Healthy' } } }
";

#[test]
fn kubernetes_every_other_check_passes_and_fails() {
    let ca = TestCa::new("Kube Test CA");
    let api = cluster(&ca);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &ca, &api);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(CHECKS)
        .env("KUBECONFIG", config.to_str().unwrap())
        .env("HOME", "/nonexistent")
        .run();
    ran.code(1);
    let report = ran.json();
    let expect = [
        ("sts-ok", "pass", "statefulset/redis: 3/3 ready"),
        ("sts-bad", "fail", "statefulset/postgres: 2/3 ready"),
        ("ds-ok", "pass", "daemonset/log-agent: 4/4 ready"),
        ("ds-bad", "fail", "daemonset/node-exporter: 3/4 ready"),
        (
            "missing",
            "fail",
            "deployment/ghost: not found in namespace candlefish-prod",
        ),
        (
            "ingress-ok",
            "pass",
            "ingress/api: address 203.0.113.7, TLS for api.candlefish.ai",
        ),
        (
            "ingress-bad",
            "fail",
            "ingress/docs: no address, no TLS for docs.candlefish.ai",
        ),
        (
            "hpa-ok",
            "pass",
            "hpa/graphql-api: minReplicas 3, maxReplicas 10, 3 running",
        ),
        (
            "hpa-bad",
            "fail",
            "hpa/worker: minReplicas 1, maxReplicas 10, 1 running",
        ),
        (
            "job-ok",
            "pass",
            "job/migrate-0042: completed (1/1 succeeded)",
        ),
        (
            "job-bad",
            "fail",
            "job/migrate-0043: failed (BackoffLimitExceeded: Job has reached the specified backoff limit)",
        ),
        (
            "exists-ok",
            "pass",
            "present: secret/api-keys, configmap/app-config",
        ),
        (
            "exists-bad",
            "fail",
            "secret/sentry-dsn: not found in namespace candlefish-prod",
        ),
        ("nodes-ok", "pass", "2/2 nodes Ready"),
        ("nodes-bad", "fail", "node/batch-node-1: DiskPressure"),
        (
            "events-quiet",
            "pass",
            "0 Warning events in quiet within 30m",
        ),
        (
            "events-noisy",
            "warn",
            "event BackOff on pod/graphql-api-7d9f8-fghij (×12): Back-off restarting failed container api in pod graphql-api-7d9f8-fghij",
        ),
        (
            "cert-ok",
            "pass",
            "certificate/api-tls: status.conditions[?(@.type==\"Ready\")].status is \"True\"",
        ),
        (
            "cert-bad",
            "fail",
            "certificate/docs-tls: status.conditions[?(@.type==\"Ready\")].status is \"False\", expected == \"True\"",
        ),
        (
            "crd-missing",
            "error",
            "the API server does not serve argoproj.io/v1alpha1 Rollout (is its CRD installed?)",
        ),
    ];
    for (id, verdict, evidence) in expect {
        assert_eq!(
            probe_result(&report, id),
            (verdict.to_owned(), evidence.to_owned()),
            "{id}"
        );
    }
    // Secrets are listed as metadata only: their values never leave the server.
    let seen = api.seen();
    let secrets: Vec<_> = seen
        .iter()
        .filter(|s| s.path.ends_with("/secrets"))
        .collect();
    assert_eq!(secrets.len(), 1);
    assert!(
        secrets[0].accept.contains("as=PartialObjectMetadataList"),
        "{}",
        secrets[0].accept
    );
    assert!(!ran.stdout.contains("sk_live_never_shown_51x"));
    // Events are asked for by type, once; nodes cluster-wide with the selector.
    assert!(
        seen.iter()
            .any(|s| s.path.ends_with("/namespaces/candlefish-prod/events")
                && s.query.get("fieldSelector").map(String::as_str) == Some("type=Warning"))
    );
    assert!(seen.iter().any(|s| s.path == "/api/v1/nodes"
        && s.query.get("labelSelector").map(String::as_str) == Some("pool=api")));
    assert!(seen.iter().all(|s| s.method == "GET"));
}

#[test]
fn kubernetes_checklist_mistakes_are_caught_before_anything_runs() {
    let cases = [
        (
            "kubernetes: { namespace: prod }",
            "the kubernetes probe checks nothing",
        ),
        (
            "kubernetes: { rollout: pod/x }",
            "`pod/x` is not a workload",
        ),
        (
            "kubernetes: { exists: [secret] }",
            "`secret` is not secret/NAME or configmap/NAME",
        ),
        (
            "kubernetes: { hpa: { name: api, min_replicas: 0 } }",
            "min_replicas is 0",
        ),
        (
            "kubernetes: { pods: { max_restart: 3 } }",
            "unknown key `max_restart`",
        ),
        (
            "kubernetes: { resource: { api_version: v1, kind: ConfigMap, condition: 'data.[[' } }",
            "is not a JSONPath",
        ),
        (
            "kubernetes: { namespace: Prod_NS, pods: true }",
            "is not a Kubernetes object name",
        ),
    ];
    for (probe, message) in cases {
        let ran = Run::new(&["validate", "candlefish.yaml"])
            .with_checklist(&crate::support::checklist_of(&[("k", probe)]))
            .run();
        assert_eq!(ran.code, Some(2), "{probe}\n{}", ran.stderr);
        assert!(ran.stderr.contains(message), "{probe}: {}", ran.stderr);
    }
}
