//! `kubernetes`: is this workload ready for traffic? Reads a cluster as
//! kubectl would (kubeconfig, context, namespace; in-cluster service account;
//! client certificates, bearer tokens, exec credential plugins) and judges what
//! it lists — rollouts, pods, endpoints, ingresses, autoscalers, disruption
//! budgets, container hygiene, jobs, secrets and config maps, nodes, events,
//! and any other kind through a JSONPath condition.
//!
//! ```yaml
//! probe:
//!   kubernetes:
//!     namespace: candlefish-prod
//!     rollout: deployment/graphql-api
//!     pods: { selector: app=graphql-api, max_restarts: 3 }
//!     endpoints: graphql-api
//! ```
//!
//! Read-only: only list and discovery requests are sent. Every list is shared
//! by every probe of the run ([`lists`]); a probe names several checks and all
//! must hold. `context`, `namespace` and `kubeconfig` default to
//! `defaults.kubernetes` in the checklist, then to the kubeconfig's current
//! context and that context's namespace.

pub mod access;
pub mod fields;
pub mod lists;
mod network;
mod objects;
mod pods;
mod policy;
mod resource;
mod rollout;

use std::path::Path;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::{Context, Finding, Probe};
use fields::{Enabled, List, Named, Workload};
pub use network::IngressCheck;
pub use objects::{EventsCheck, NodesCheck};
pub use pods::PodsCheck;
pub use policy::{ContainersCheck, HpaCheck, PdbCheck};
pub use resource::ResourceCheck;

/// Configuration of a `kubernetes` probe: where to look, then one or more checks.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesProbe {
    /// A kubeconfig file, relative to the checklist (default: the files in
    /// `KUBECONFIG`, merged, else `~/.kube/config`, else the pod's service account).
    #[serde(default)]
    pub kubeconfig: Option<Text>,
    /// The kubeconfig context (default: `defaults.kubernetes.context`, then its current-context).
    #[serde(default)]
    pub context: Option<Text>,
    /// The namespace (default: `defaults.kubernetes.namespace`, then the context's, then `default`).
    #[serde(default)]
    pub namespace: Option<Text>,
    /// A label selector (`app=graphql-api`) for the checks that look at many
    /// objects: `rollout: deployments`, `pods`, `containers`, `pdb`, `resource`.
    #[serde(default)]
    pub selector: Option<Text>,
    /// Workloads fully rolled out: `deployment/NAME`, `statefulset/NAME`,
    /// `daemonset/NAME`, or `deployments`, `statefulsets`, `daemonsets` for all.
    #[serde(default)]
    pub rollout: Option<List<Workload>>,
    /// Pods Ready, none crash-looping, failing to pull, OOM-killed or stuck Pending.
    #[serde(default)]
    pub pods: Enabled<PodsCheck>,
    /// Services with ready endpoints (through their EndpointSlices).
    #[serde(default)]
    pub endpoints: Option<List<Text>>,
    /// An ingress with an address and TLS for its hosts.
    #[serde(default)]
    pub ingress: Option<IngressCheck>,
    /// A HorizontalPodAutoscaler with at least `min_replicas`.
    #[serde(default)]
    pub hpa: Option<HpaCheck>,
    /// Every deployment (of the selector) covered by a PodDisruptionBudget.
    #[serde(default)]
    pub pdb: Enabled<PdbCheck>,
    /// Containers declare requests, limits, readiness and liveness probes, and pinned images.
    #[serde(default)]
    pub containers: Enabled<ContainersCheck>,
    /// Jobs (migrations) completed.
    #[serde(default)]
    pub job: Option<List<Text>>,
    /// Secrets and ConfigMaps that must exist: `secret/NAME`, `configmap/NAME`
    /// (only metadata is read; values never are).
    #[serde(default)]
    pub exists: Option<List<Named>>,
    /// Nodes Ready and under no memory, disk or PID pressure.
    #[serde(default)]
    pub nodes: Enabled<NodesCheck>,
    /// Warning events in the namespace within a window.
    #[serde(default)]
    pub events: Enabled<EventsCheck>,
    /// Any kind, custom resources included: a JSONPath condition on each object.
    #[serde(default)]
    pub resource: Option<ResourceCheck>,
}

/// `defaults.kubernetes`: where every `kubernetes` probe of the checklist looks
/// unless it says otherwise.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KubernetesDefaults {
    /// A kubeconfig file, relative to the checklist.
    #[serde(default)]
    pub kubeconfig: Option<Text>,
    /// The kubeconfig context.
    #[serde(default)]
    pub context: Option<Text>,
    /// The namespace.
    #[serde(default)]
    pub namespace: Option<Text>,
}

impl KubernetesProbe {
    /// Takes the checklist's defaults for what the probe leaves unsaid.
    pub fn inherit(&mut self, defaults: &KubernetesDefaults) {
        if self.kubeconfig.is_none() {
            self.kubeconfig.clone_from(&defaults.kubeconfig);
        }
        if self.context.is_none() {
            self.context.clone_from(&defaults.context);
        }
        if self.namespace.is_none() {
            self.namespace.clone_from(&defaults.namespace);
        }
    }

    fn checks(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        let mut add = |on: bool, name| {
            if on {
                names.push(name);
            }
        };
        add(self.rollout.is_some(), "rollout");
        add(self.pods.0.is_some(), "pods");
        add(self.endpoints.is_some(), "endpoints");
        add(self.ingress.is_some(), "ingress");
        add(self.hpa.is_some(), "hpa");
        add(self.pdb.0.is_some(), "pdb");
        add(self.containers.0.is_some(), "containers");
        add(self.job.is_some(), "job");
        add(self.exists.is_some(), "exists");
        add(self.nodes.0.is_some(), "nodes");
        add(self.events.0.is_some(), "events");
        add(self.resource.is_some(), "resource");
        names
    }
}

pub use crate::probe::expect::Part;

/// What the checks read through: the run's shared lists, the cluster, the namespace.
pub struct Reads<'a> {
    lists: &'a lists::Lists,
    cluster: &'a access::Cluster,
    namespace: String,
    selector: Option<String>,
}

impl Reads<'_> {
    fn query<'q>(&'q self, labels: Option<&'q str>) -> lists::Query<'q> {
        lists::Query {
            namespace: Some(&self.namespace),
            labels: labels.map(str::trim).filter(|l| !l.is_empty()),
            fields: None,
        }
    }

    /// `app=api in candlefish-prod`, or `namespace candlefish-prod`.
    fn scope(&self, labels: Option<&str>) -> String {
        match labels {
            Some(labels) => format!("{labels} in {}", self.namespace),
            None => format!("namespace {}", self.namespace),
        }
    }
}

/// What the run's `kubernetes` probes share: clients and lists.
#[derive(Default)]
pub struct Shared {
    clusters: access::Clusters,
    lists: lists::Lists,
}

impl Probe for KubernetesProbe {
    fn target(&self) -> String {
        let context = self.context.as_deref().unwrap_or("current context");
        match &self.namespace {
            Some(ns) => format!(
                "kubernetes {context}/{}: {}",
                ns.as_str(),
                self.checks().join(", ")
            ),
            None => format!("kubernetes {context}: {}", self.checks().join(", ")),
        }
    }

    fn validate(&self, _timeout: std::time::Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if self.checks().is_empty() {
            problems.push("the kubernetes probe checks nothing: give rollout, pods, endpoints, ingress, hpa, pdb, containers, job, exists, nodes, events or resource".to_owned());
        }
        for (field, value) in [
            ("context", &self.context),
            ("namespace", &self.namespace),
            ("kubeconfig", &self.kubeconfig),
        ] {
            if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
                problems.push(format!("{field} is empty"));
            }
        }
        if let Some(ns) = &self.namespace
            && !ns.trim().is_empty()
            && let Err(e) = fields::object_name(ns.trim())
        {
            problems.push(format!("namespace {e}"));
        }
        if let Some(selector) = &self.selector
            && let Err(e) = fields::selector(selector)
        {
            problems.push(e);
        }
        let names = self
            .endpoints
            .iter()
            .flat_map(|l| l.0.iter())
            .chain(self.job.iter().flat_map(|l| l.0.iter()));
        for name in names {
            if let Err(e) = fields::object_name(name.trim()) {
                problems.push(e);
            }
        }
        problems.extend(self.ingress.iter().flat_map(IngressCheck::validate));
        problems.extend(self.hpa.iter().flat_map(HpaCheck::validate));
        problems.extend(self.resource.iter().flat_map(ResourceCheck::validate));
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        let shared = ctx.kubernetes();
        let key = access::ClusterKey {
            kubeconfig: self
                .kubeconfig
                .as_ref()
                .map(|p| ctx.resolve(Path::new(p.trim()))),
            context: self.context.as_ref().map(|c| c.trim().to_owned()),
            no_exec: ctx.no_exec(),
        };
        let cluster = match shared.clusters.get(&key).await {
            Ok(cluster) => cluster,
            Err(e) => return Finding::error(e),
        };
        let reads = Reads {
            lists: &shared.lists,
            namespace: self.namespace.as_ref().map_or_else(
                || cluster.default_namespace.clone(),
                |n| n.trim().to_owned(),
            ),
            cluster: &cluster,
            selector: self.selector.as_ref().map(|s| s.trim().to_owned()),
        };
        let now = k8s_openapi::jiff::Timestamp::now().as_second();
        let mut tasks: Vec<BoxFuture<'_, Result<Part, String>>> = Vec::new();
        if let Some(targets) = &self.rollout {
            tasks.push(Box::pin(rollout_of(&reads, &targets.0)));
        }
        if let Some(settings) = &self.pods.0 {
            tasks.push(Box::pin(pods_of(&reads, settings, now)));
        }
        if let Some(services) = &self.endpoints {
            tasks.push(Box::pin(network::endpoints(&reads, &services.0)));
        }
        if let Some(ingress) = &self.ingress {
            tasks.push(Box::pin(network::ingress(&reads, ingress)));
        }
        if let Some(hpa) = &self.hpa {
            tasks.push(Box::pin(policy::hpa(&reads, hpa)));
        }
        if let Some(pdb) = &self.pdb.0 {
            tasks.push(Box::pin(policy::pdb(&reads, pdb)));
        }
        if let Some(containers) = &self.containers.0 {
            tasks.push(Box::pin(policy::containers(&reads, containers)));
        }
        if let Some(jobs) = &self.job {
            tasks.push(Box::pin(objects::jobs(&reads, &jobs.0)));
        }
        if let Some(named) = &self.exists {
            tasks.push(Box::pin(objects::exists(&reads, &named.0)));
        }
        if let Some(nodes) = &self.nodes.0 {
            tasks.push(Box::pin(objects::nodes(&reads, nodes)));
        }
        if let Some(events) = &self.events.0 {
            tasks.push(Box::pin(objects::events(&reads, events, now)));
        }
        if let Some(resource) = &self.resource {
            tasks.push(Box::pin(resource::check_resource(&reads, resource)));
        }
        let mut parts = Vec::new();
        for result in futures::future::join_all(tasks).await {
            match result {
                Ok(part) => parts.push(part),
                Err(e) => return Finding::error(e),
            }
        }
        Part::finish(parts)
    }
}

async fn rollout_of(reads: &Reads<'_>, targets: &[Workload]) -> Result<Part, String> {
    use fields::WorkloadKind as W;
    use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
    let mut part = Part {
        checks: Vec::new(),
        summary: String::new(),
    };
    let mut summaries = Vec::new();
    for target in targets {
        let labels = if target.name.is_none() {
            reads.selector.as_deref()
        } else {
            None
        };
        let query = reads.query(labels);
        let found: Vec<Part> = match target.kind {
            W::Deployment => pick(
                &reads
                    .lists
                    .typed::<Deployment>(reads.cluster, query)
                    .await?,
                target,
                rollout::deployment,
            ),
            W::StatefulSet => pick(
                &reads
                    .lists
                    .typed::<StatefulSet>(reads.cluster, query)
                    .await?,
                target,
                rollout::statefulset,
            ),
            W::DaemonSet => pick(
                &reads.lists.typed::<DaemonSet>(reads.cluster, query).await?,
                target,
                rollout::daemonset,
            ),
        };
        if found.is_empty() {
            let observed = match &target.name {
                Some(_) => format!("{target}: not found in namespace {}", reads.namespace),
                None => format!("no {target} ({})", reads.scope(labels)),
            };
            part.checks.push(crate::probe::expect::check(
                false,
                format!("{target} rolled out"),
                observed,
            ));
        }
        for p in found {
            summaries.push(p.summary);
            part.checks.extend(p.checks);
        }
    }
    part.summary = summaries.join("; ");
    Ok(part)
}

/// The objects `target` names (one, or all listed), judged.
fn pick<K: kube::Resource>(
    objects: &Arc<Vec<K>>,
    target: &Workload,
    judge: fn(&K) -> Part,
) -> Vec<Part> {
    objects
        .iter()
        .filter(|o| {
            target
                .name
                .as_deref()
                .is_none_or(|n| o.meta().name.as_deref() == Some(n))
        })
        .map(judge)
        .collect()
}

async fn pods_of(reads: &Reads<'_>, settings: &PodsCheck, now: i64) -> Result<Part, String> {
    let labels = settings
        .selector
        .as_ref()
        .map(|s| s.trim())
        .or(reads.selector.as_deref());
    let pods = reads
        .lists
        .typed::<k8s_openapi::api::core::v1::Pod>(reads.cluster, reads.query(labels))
        .await?;
    Ok(pods::judge(&pods, settings, now, &reads.scope(labels)))
}

impl crate::probe::Context {
    /// What the run's `kubernetes` probes share.
    pub fn kubernetes(&self) -> &Shared {
        &self.kubernetes
    }
}
