//! `deploy/`: every Kubernetes manifest parses into the `k8s-openapi` types
//! (Kubernetes 1.33) and back with no field lost — those types ignore unknown
//! fields when reading, so a misspelled field shows up as one lost in the round
//! trip. The ServiceMonitor (a Prometheus Operator CRD, not in k8s-openapi) is
//! read into our own model of `monitoring.coreos.com/v1` that refuses unknown
//! fields. The pieces are checked against each other (selectors, ports, the
//! service account, the ConfigMap, least privilege), the example overlay is
//! rendered with `kubectl kustomize` from Debian's kubernetes-client 1.20
//! (offline), and the Dockerfile is read for its stages and its user.
//! Nothing here builds the image or applies to a cluster: no Docker daemon or
//! API server runs in the tests.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, PodSpec, Service, ServiceAccount};
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::support::{Run, root, target_dir};

/// The Prometheus Operator's ServiceMonitor, the fields Candlefish uses, as
/// documented for `monitoring.coreos.com/v1`; anything else is refused.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitor {
    api_version: String,
    kind: String,
    metadata: ObjectMeta,
    spec: ServiceMonitorSpec,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ServiceMonitorSpec {
    selector: LabelSelector,
    endpoints: Vec<ScrapeEndpoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    job_label: Option<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct ScrapeEndpoint {
    port: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    interval: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scrape_timeout: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scheme: Option<String>,
}

/// Reads YAML into JSON values, one per document.
fn documents(text: &str) -> Vec<Value> {
    text.split("\n---")
        .filter(|doc| {
            doc.lines()
                .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        })
        .map(|doc| {
            serde_saphyr::from_str::<Value>(doc).unwrap_or_else(|e| panic!("YAML: {e}\n{doc}"))
        })
        .collect()
}

/// Paths of `original` that `again` lost or changed.
fn lost(original: &Value, again: &Value, path: &str, out: &mut Vec<String>) {
    match (original, again) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let here = format!("{path}.{key}");
                match b.get(key) {
                    Some(other) => lost(value, other, &here, out),
                    None => out.push(here),
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                lost(x, y, &format!("{path}[{i}]"), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(format!("{path}: {a} became {b}")),
    }
}

fn round_trip<T: serde::de::DeserializeOwned + Serialize>(doc: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// Parses `doc` into the type its `kind` names and back: the fields lost, or why it did not parse.
fn check_manifest(doc: &Value) -> Result<(), String> {
    let kind = doc["kind"].as_str().unwrap_or_default();
    let again = match kind {
        "Deployment" => round_trip::<Deployment>(doc),
        "Service" => round_trip::<Service>(doc),
        "ServiceAccount" => round_trip::<ServiceAccount>(doc),
        "ClusterRole" => round_trip::<ClusterRole>(doc),
        "ClusterRoleBinding" => round_trip::<ClusterRoleBinding>(doc),
        "CronJob" => round_trip::<CronJob>(doc),
        "ConfigMap" => round_trip::<ConfigMap>(doc),
        "ServiceMonitor" => round_trip::<ServiceMonitor>(doc).and_then(|v| {
            let monitor: ServiceMonitor =
                serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
            if monitor.api_version != "monitoring.coreos.com/v1" {
                return Err(format!("apiVersion {}", monitor.api_version));
            }
            Ok(v)
        }),
        other => return Err(format!("no type for kind `{other}`")),
    }?;
    let mut out = Vec::new();
    lost(doc, &again, kind, &mut out);
    if out.is_empty() {
        Ok(())
    } else {
        Err(format!("lost in the round trip: {out:?}"))
    }
}

fn manifests(dir: &Path) -> Vec<(PathBuf, Value)> {
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let yaml = path.extension().is_some_and(|e| e == "yaml");
        if yaml && name != "kustomization.yaml" && name != "candlefish.yaml" {
            let text = std::fs::read_to_string(&path).expect("read");
            out.extend(documents(&text).into_iter().map(|d| (path.clone(), d)));
        }
    }
    out
}

#[test]
fn every_manifest_round_trips_through_the_kubernetes_types() {
    let base = manifests(&root().join("deploy/kubernetes/base"));
    let kinds: Vec<&str> = base
        .iter()
        .map(|(_, d)| d["kind"].as_str().unwrap_or_default())
        .collect();
    for kind in [
        "Deployment",
        "Service",
        "ServiceMonitor",
        "CronJob",
        "ClusterRole",
        "ClusterRoleBinding",
        "ServiceAccount",
    ] {
        assert!(kinds.contains(&kind), "base has a {kind}: {kinds:?}");
    }
    let overlay = manifests(&root().join("deploy/kubernetes/overlays/example"));
    assert!(!overlay.is_empty(), "the overlay's patch");
    for (path, doc) in base.iter().chain(&overlay) {
        if let Err(problem) = check_manifest(doc) {
            panic!("{}: {problem}", path.display());
        }
    }
}

#[test]
fn a_misspelled_field_is_caught() {
    let base = root().join("deploy/kubernetes/base");
    let read =
        |name: &str| documents(&std::fs::read_to_string(base.join(name)).expect("read")).remove(0);
    let mut deployment = read("deployment.yaml");
    deployment["spec"]["replicaz"] = deployment["spec"]["replicas"].clone();
    let problem = check_manifest(&deployment).unwrap_err();
    assert!(problem.contains("Deployment.spec.replicaz"), "{problem}");
    let mut deployment = read("deployment.yaml");
    let probe =
        &mut deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"];
    probe["paht"] = probe["path"].take();
    let problem = check_manifest(&deployment).unwrap_err();
    assert!(problem.contains("readinessProbe.httpGet.paht"), "{problem}");
    let mut monitor = read("servicemonitor.yaml");
    let endpoints = monitor["spec"]
        .as_object_mut()
        .and_then(|m| m.remove("endpoints"));
    monitor["spec"]["endpoint"] = endpoints.expect("endpoints");
    let problem = check_manifest(&monitor).unwrap_err();
    assert!(problem.contains("unknown field `endpoint`"), "{problem}");
    let mut monitor = read("servicemonitor.yaml");
    monitor["metadata"]["lables"] = monitor["metadata"]["labels"].clone();
    assert!(
        check_manifest(&monitor)
            .unwrap_err()
            .contains("metadata.lables")
    );
}

/// Debian's kubectl 1.20 (package kubernetes-client), which scripts/test
/// unpacks into the target directory; or `$CANDLEFISH_KUBECTL`.
fn debian_kubectl() -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("CANDLEFISH_KUBECTL")
        .map(PathBuf::from)
        .into_iter()
        .chain([
            target_dir().join("kubernetes-client/usr/bin/kubectl"),
            PathBuf::from("/usr/bin/kubectl"),
        ])
        .collect();
    for kubectl in &candidates {
        let version = Command::new(kubectl).args(["version", "--client"]).output();
        if version.is_ok_and(|v| String::from_utf8_lossy(&v.stdout).contains("GitVersion:\"v1.20"))
        {
            return kubectl.clone();
        }
    }
    panic!(
        "Debian's kubectl 1.20 was not found (tried {candidates:?}). Run scripts/test, which unpacks it, or:\n  \
         apt-get download kubernetes-client && dpkg-deb -x kubernetes-client_*.deb {}",
        target_dir().join("kubernetes-client").display()
    );
}

fn kustomize(dir: &Path) -> (bool, String, String) {
    let out = Command::new(debian_kubectl())
        .arg("kustomize")
        .arg(dir)
        .env("HOME", dir)
        .env_remove("KUBECONFIG")
        .output()
        .expect("run kubectl");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn by_kind(docs: &[Value]) -> BTreeMap<String, Value> {
    docs.iter()
        .map(|d| (d["kind"].as_str().unwrap_or_default().to_owned(), d.clone()))
        .collect()
}

fn pod(workload: &Value, path: &[&str]) -> PodSpec {
    let mut v = workload;
    for key in path {
        v = &v[*key];
    }
    serde_json::from_value(v.clone()).expect("a pod spec")
}

#[test]
fn the_overlay_renders_offline_and_its_pieces_fit_together() {
    let (ok, out, err) = kustomize(&root().join("deploy/kubernetes/overlays/example"));
    assert!(ok, "kubectl kustomize failed:\n{err}");
    let docs = documents(&out);
    for doc in &docs {
        check_manifest(doc).unwrap_or_else(|p| panic!("rendered {}: {p}", doc["kind"]));
    }
    let kinds = by_kind(&docs);
    let deployment: Deployment =
        serde_json::from_value(kinds["Deployment"].clone()).expect("deployment");
    let service: Service = serde_json::from_value(kinds["Service"].clone()).expect("service");
    let config: ConfigMap = serde_json::from_value(kinds["ConfigMap"].clone()).expect("configmap");
    let role: ClusterRole = serde_json::from_value(kinds["ClusterRole"].clone()).expect("role");
    let binding: ClusterRoleBinding =
        serde_json::from_value(kinds["ClusterRoleBinding"].clone()).expect("binding");
    let monitor: ServiceMonitor =
        serde_json::from_value(kinds["ServiceMonitor"].clone()).expect("monitor");

    // The overlay's namespace, image and arguments.
    for (kind, doc) in &kinds {
        if !kind.starts_with("Cluster") {
            assert_eq!(doc["metadata"]["namespace"], "payments", "{kind}");
        }
    }
    let serve_pod = pod(&kinds["Deployment"], &["spec", "template", "spec"]);
    let check_pod = pod(
        &kinds["CronJob"],
        &["spec", "jobTemplate", "spec", "template", "spec"],
    );
    let container = &serve_pod.containers[0];
    assert_eq!(
        container.image.as_deref(),
        Some("registry.example.com/platform/candlefish:0.1.0")
    );
    let args = container.args.clone().unwrap_or_default();
    assert!(
        args.windows(2).any(|w| w == ["--interval", "5m"]),
        "{args:?}"
    );
    assert_eq!(check_pod.containers[0].image, container.image);

    // The checklist ConfigMap (name hashed) is what both workloads mount, and it validates.
    let config_name = config.metadata.name.clone().expect("name");
    assert!(
        config_name.starts_with("candlefish-checklist-"),
        "{config_name}"
    );
    for spec in [&serve_pod, &check_pod] {
        let volumes = spec.volumes.clone().unwrap_or_default();
        assert_eq!(
            volumes[0].config_map.as_ref().map(|c| c.name.clone()),
            Some(config_name.clone())
        );
    }
    let checklist = config.data.clone().unwrap_or_default()["candlefish.yaml"].clone();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("c.yaml"), checklist).expect("write");
    Run::new(&["validate", "c.yaml"])
        .in_dir(dir.path())
        .run()
        .code(0);

    // Service → pods, ServiceMonitor → Service, by labels and port names.
    let pod_labels = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.metadata.as_ref())
        .and_then(|m| m.labels.clone())
        .unwrap_or_default();
    let service_spec = service.spec.clone().expect("spec");
    for (k, v) in service_spec.selector.clone().unwrap_or_default() {
        assert_eq!(pod_labels.get(&k), Some(&v), "the Service selects the pods");
    }
    let port = &service_spec.ports.clone().unwrap_or_default()[0];
    let container_ports = container.ports.clone().unwrap_or_default();
    assert_eq!(
        port.target_port.as_ref().map(|p| format!("{p:?}")),
        Some(format!(
            "{:?}",
            k8s_openapi::apimachinery::pkg::util::intstr::IntOrString::String(
                container_ports[0].name.clone().unwrap_or_default()
            )
        ))
    );
    let service_labels = service.metadata.labels.clone().unwrap_or_default();
    for (k, v) in monitor
        .spec
        .selector
        .match_labels
        .clone()
        .unwrap_or_default()
    {
        assert_eq!(
            service_labels.get(&k),
            Some(&v),
            "the ServiceMonitor selects the Service"
        );
    }
    assert_eq!(
        Some(monitor.spec.endpoints[0].port.clone()),
        port.name.clone()
    );
    assert_eq!(monitor.spec.endpoints[0].path.as_deref(), Some("/metrics"));

    // The pod's probes hit /healthz; it runs as non-root with a read-only root.
    for probe in [&container.readiness_probe, &container.liveness_probe] {
        let get = probe
            .as_ref()
            .and_then(|p| p.http_get.as_ref())
            .expect("an HTTP probe");
        assert_eq!(get.path.as_deref(), Some("/healthz"));
    }
    for spec in [&serve_pod, &check_pod] {
        assert_eq!(
            spec.security_context
                .as_ref()
                .and_then(|s| s.run_as_non_root),
            Some(true)
        );
        let sc = spec.containers[0]
            .security_context
            .clone()
            .expect("container security context");
        assert_eq!(sc.read_only_root_filesystem, Some(true));
        assert_eq!(sc.allow_privilege_escalation, Some(false));
        assert_eq!(spec.service_account_name.as_deref(), Some("candlefish"));
        let secret = spec.containers[0].env_from.clone().unwrap_or_default();
        assert_eq!(
            secret[0].secret_ref.as_ref().map(|s| s.name.clone()),
            Some("candlefish-credentials".into())
        );
    }

    // Least privilege: read verbs only, no Secrets, and bound to this service account.
    least_privilege(&role).expect("the ClusterRole is read-only");
    let subject = &binding.subjects.clone().unwrap_or_default()[0];
    assert_eq!(
        (subject.name.as_str(), subject.namespace.as_deref()),
        ("candlefish", Some("payments"))
    );
    assert_eq!(
        Some(binding.role_ref.name.clone()),
        role.metadata.name.clone()
    );
}

fn least_privilege(role: &ClusterRole) -> Result<(), String> {
    for rule in role.rules.clone().unwrap_or_default() {
        for verb in &rule.verbs {
            if !["get", "list", "watch"].contains(&verb.as_str()) {
                return Err(format!("verb `{verb}`"));
            }
        }
        for resource in rule.resources.clone().unwrap_or_default() {
            if resource == "secrets" || resource.contains('*') {
                return Err(format!("resource `{resource}`"));
            }
        }
    }
    Ok(())
}

#[test]
fn a_broken_overlay_and_a_writing_role_are_refused() {
    // A copy of the base, and an overlay whose patch file is missing.
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().join("base");
    std::fs::create_dir(&base).expect("mkdir");
    for entry in std::fs::read_dir(root().join("deploy/kubernetes/base")).expect("base") {
        let path = entry.expect("entry").path();
        std::fs::copy(&path, base.join(path.file_name().expect("name"))).expect("copy");
    }
    let overlay = dir.path().join("overlay");
    std::fs::create_dir(&overlay).expect("mkdir");
    std::fs::write(
        overlay.join("kustomization.yaml"),
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nbases:\n  - ../base\npatchesStrategicMerge:\n  - missing.yaml\n",
    )
    .expect("write");
    let (ok, out, _) = kustomize(&base);
    assert!(
        ok && out.contains("kind: Deployment"),
        "the copied base renders"
    );
    let (ok, _, err) = kustomize(&overlay);
    assert!(!ok && err.contains("missing.yaml"), "{err}");

    let text = std::fs::read_to_string(root().join("deploy/kubernetes/base/clusterrole.yaml"))
        .expect("read");
    let role: ClusterRole = serde_json::from_value(documents(&text).remove(0)).expect("role");
    least_privilege(&role).expect("as shipped");
    let writing: ClusterRole = serde_json::from_value(
        documents(&text.replacen("verbs: [get, list, watch]", "verbs: [get, list, create]", 1))
            .remove(0),
    )
    .expect("role");
    assert_eq!(least_privilege(&writing), Err("verb `create`".into()));
    let secrets: ClusterRole = serde_json::from_value(
        documents(&text.replacen(
            "resources: [namespaces,",
            "resources: [secrets, namespaces,",
            1,
        ))
        .remove(0),
    )
    .expect("role");
    assert_eq!(least_privilege(&secrets), Err("resource `secrets`".into()));
}

/// What the Dockerfile's stages say: (image, alias) per FROM, and the last
/// stage's USER, COPY and ENTRYPOINT lines.
fn dockerfile_problems(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    let stages: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("FROM "))
        .map(|(i, _)| i)
        .collect();
    let mut problems = Vec::new();
    if stages.len() < 2 {
        problems.push("not multi-stage".to_owned());
        return problems;
    }
    let build_alias = lines[stages[0]]
        .split_whitespace()
        .nth(3)
        .unwrap_or_default()
        .to_owned();
    if !lines[stages[0]..stages[1]]
        .iter()
        .any(|l| l.contains("cargo build --release --locked"))
    {
        problems.push("the build stage does not build a locked release".into());
    }
    let last = &lines[*stages.last().unwrap_or(&0)..];
    let image = last[0].split_whitespace().nth(1).unwrap_or_default();
    if !(image.starts_with("gcr.io/distroless/") || image == "scratch") {
        problems.push(format!(
            "the runtime image is {image}, not distroless or scratch"
        ));
    }
    match last.iter().rev().find_map(|l| l.strip_prefix("USER ")) {
        Some(user) if !["root", "0", "0:0", "root:root"].contains(&user.trim()) => {}
        other => problems.push(format!("the runtime user is {other:?}")),
    }
    let copied = last
        .iter()
        .find(|l| l.starts_with(&format!("COPY --from={build_alias} ")))
        .and_then(|l| l.split_whitespace().last());
    let entry = last.iter().find_map(|l| l.strip_prefix("ENTRYPOINT "));
    match (copied, entry) {
        (Some(path), Some(entry)) if entry.contains(&format!("[\"{path}\"")) => {}
        _ => problems.push(format!(
            "the entrypoint {entry:?} is not the binary copied from {build_alias} ({copied:?})"
        )),
    }
    problems
}

#[test]
fn the_dockerfile_builds_in_one_stage_and_runs_distroless_as_non_root() {
    let text = std::fs::read_to_string(root().join("deploy/Dockerfile")).expect("read");
    assert_eq!(dockerfile_problems(&text), Vec::<String>::new());
    let root_user = text.replace("USER 65532:65532", "USER root");
    assert_eq!(
        dockerfile_problems(&root_user),
        ["the runtime user is Some(\"root\")"]
    );
    let fat = text.replace(
        "FROM gcr.io/distroless/cc-debian12:nonroot",
        "FROM debian:12",
    );
    assert_eq!(
        dockerfile_problems(&fat),
        ["the runtime image is debian:12, not distroless or scratch"]
    );
    let ignore = std::fs::read_to_string(root().join(".dockerignore")).expect(".dockerignore");
    assert!(
        ignore.lines().any(|l| l.trim_end_matches('/') == "target"),
        "the build context leaves target/ out"
    );
}
