//! The run's shared reads: one list call per (cluster, kind, namespace,
//! selector) and one discovery call per (cluster, group/version), however many
//! items read it. Concurrent probes wait on the same call (an in-flight
//! `OnceCell` per key); the call runs in a task of its own, so a probe that
//! reaches its deadline does not cut it short for the others.
//!
//! Only `list` and discovery `get`s are ever sent. Secrets and ConfigMaps are
//! listed as metadata only, so their values never leave the API server.

use std::any::Any;
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared as SharedFuture};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ApiResource, DynamicObject, ListParams};
use kube::core::GroupVersionKind;
use kube::discovery::Scope;
use serde::de::DeserializeOwned;

use super::access::{Cluster, ClusterKey, describe};

/// Objects asked for in one page.
const PAGE: u32 = 500;
/// The most objects one list may hold; more is an error asking for a selector.
pub const MAX_OBJECTS: usize = 10_000;

type Shared = Arc<dyn Any + Send + Sync>;
type Call = SharedFuture<BoxFuture<'static, Result<Shared, String>>>;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    cluster: ClusterKey,
    /// `apps/v1/deployments`, `v1/secrets#metadata`, `discovery cert-manager.io/v1 Certificate`.
    resource: String,
    namespace: Option<String>,
    labels: Option<String>,
    fields: Option<String>,
}

/// What to list: the namespace (`None` for cluster-scoped kinds) and selectors.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<'a> {
    /// The namespace; `None` for cluster-scoped kinds.
    pub namespace: Option<&'a str>,
    /// A label selector (`app=api`).
    pub labels: Option<&'a str>,
    /// A field selector (`type=Warning`).
    pub fields: Option<&'a str>,
}

/// The shared reads of one run.
#[derive(Default)]
pub struct Lists {
    calls: Mutex<HashMap<Key, Call>>,
}

impl Lists {
    /// Every object of the namespaced kind `K` for `query`.
    pub async fn typed<K>(&self, cluster: &Cluster, query: Query<'_>) -> Result<Arc<Vec<K>>, String>
    where
        K: kube::Resource<DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
        K::Scope: kube::core::NamespaceScope,
    {
        let api: Api<K> = match query.namespace {
            Some(ns) => Api::all(cluster.client.clone()).constrain(ns),
            None => Api::all(cluster.client.clone()),
        };
        self.list_with(cluster, api, query).await
    }

    /// Every object of the cluster-scoped kind `K` (nodes) for `query`.
    pub async fn cluster_wide<K>(
        &self,
        cluster: &Cluster,
        query: Query<'_>,
    ) -> Result<Arc<Vec<K>>, String>
    where
        K: kube::Resource<DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
    {
        let query = Query {
            namespace: None,
            ..query
        };
        self.list_with(cluster, Api::all(cluster.client.clone()), query)
            .await
    }

    async fn list_with<K>(
        &self,
        cluster: &Cluster,
        api: Api<K>,
        query: Query<'_>,
    ) -> Result<Arc<Vec<K>>, String>
    where
        K: kube::Resource<DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
    {
        let resource = format!("{}/{}", K::api_version(&()), K::plural(&()));
        let what = format!("{}{}", K::plural(&()), place(query));
        self.shared(cluster, resource, query, what, move |params| {
            let api = api.clone();
            async move {
                api.list(&params)
                    .await
                    .map(|l| (l.items, l.metadata.continue_))
            }
        })
        .await
    }

    /// The metadata of every object of kind `K` for `query` (never its data).
    pub async fn metadata<K>(
        &self,
        cluster: &Cluster,
        query: Query<'_>,
    ) -> Result<Arc<Vec<ObjectMeta>>, String>
    where
        K: kube::Resource<DynamicType = ()>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + Sync
            + 'static,
        K::Scope: kube::core::NamespaceScope,
    {
        let api: Api<K> = match query.namespace {
            Some(ns) => Api::all(cluster.client.clone()).constrain(ns),
            None => Api::all(cluster.client.clone()),
        };
        let resource = format!("{}/{}#metadata", K::api_version(&()), K::plural(&()));
        let what = format!("{}{}", K::plural(&()), place(query));
        self.shared(cluster, resource, query, what, move |params| {
            let api = api.clone();
            async move {
                api.list_metadata(&params).await.map(|l| {
                    (
                        l.items.into_iter().map(|o| o.metadata).collect(),
                        l.metadata.continue_,
                    )
                })
            }
        })
        .await
    }

    /// Every object of a kind found through discovery.
    pub async fn dynamic(
        &self,
        cluster: &Cluster,
        resource: &ApiResource,
        scope: &Scope,
        query: Query<'_>,
    ) -> Result<Arc<Vec<DynamicObject>>, String> {
        let mut api: Api<DynamicObject> = Api::dynamic(cluster.client.clone(), resource, scope);
        if let Some(ns) = query.namespace {
            api = api.constrain(ns);
        }
        let query = Query {
            namespace: if *scope == Scope::Cluster {
                None
            } else {
                query.namespace
            },
            ..query
        };
        let id = format!("{}/{}", resource.api_version, resource.plural);
        let what = format!("{}{}", resource.plural, place(query));
        self.shared(cluster, id, query, what, move |params| {
            let api = api.clone();
            async move {
                api.list(&params)
                    .await
                    .map(|l| (l.items, l.metadata.continue_))
            }
        })
        .await
    }

    /// What the API server serves for `gvk`: its resource and scope (one
    /// discovery call per group/version and kind per run).
    pub async fn discover(
        &self,
        cluster: &Cluster,
        gvk: &GroupVersionKind,
    ) -> Result<(ApiResource, Scope), String> {
        let key = Key {
            cluster: cluster.key.clone(),
            resource: format!("discovery {}/{} {}", gvk.group, gvk.version, gvk.kind),
            namespace: None,
            labels: None,
            fields: None,
        };
        let (client, gvk) = (cluster.client.clone(), gvk.clone());
        let server = cluster.server.clone();
        crate::probe::stage(format!(
            "waiting for {server} to describe {}",
            api_version(&gvk)
        ));
        let found = self
            .call(key, move || async move {
                match kube::discovery::pinned_kind(&client, &gvk).await {
                    Ok((resource, capabilities)) => {
                        Ok(Arc::new((resource, capabilities.scope)) as Shared)
                    }
                    Err(e) => Err(discovery_error(&e, &gvk)),
                }
            })
            .await?;
        found
            .downcast_ref::<(ApiResource, Scope)>()
            .cloned()
            .ok_or_else(|| "the shared discovery cache holds another type".to_owned())
    }

    /// The call for `key`: started by the first caller (in a task of its
    /// own), awaited by every caller.
    fn call<F, Fut>(&self, key: Key, start: F) -> Call
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Shared, String>> + Send + 'static,
    {
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls
            .entry(key)
            .or_insert_with(|| spawned(start()).boxed().shared())
            .clone()
    }

    async fn shared<T, F, Fut>(
        &self,
        cluster: &Cluster,
        resource: String,
        query: Query<'_>,
        what: String,
        page: F,
    ) -> Result<Arc<Vec<T>>, String>
    where
        T: Send + Sync + 'static,
        F: Fn(ListParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(Vec<T>, Option<String>), kube::Error>> + Send + 'static,
    {
        let key = Key {
            cluster: cluster.key.clone(),
            resource,
            namespace: query.namespace.map(str::to_owned),
            labels: query.labels.map(str::to_owned),
            fields: query.fields.map(str::to_owned),
        };
        let mut params = ListParams::default().limit(PAGE);
        if let Some(labels) = query.labels {
            params = params.labels(labels);
        }
        if let Some(fields) = query.fields {
            params = params.fields(fields);
        }
        let server = cluster.server.clone();
        crate::probe::stage(format!("waiting for {server} to list {what}"));
        let shared = self
            .call(key, move || async move {
                    let mut all = Vec::new();
                    let mut params = params;
                    loop {
                        let (items, next) = page(params.clone())
                            .await
                            .map_err(|e| format!("listing {what} at {server}: {}", describe(&e)))?;
                        all.extend(items);
                        if all.len() > MAX_OBJECTS {
                            return Err(format!(
                                "listing {what}: more than {MAX_OBJECTS} objects; narrow it with a selector"
                            ));
                        }
                        match next.filter(|token| !token.is_empty()) {
                            Some(token) => params = params.continue_token(&token),
                            None => break,
                        }
                    }
                    Ok(Arc::new(all) as Shared)
            })
            .await?;
        shared
            .downcast::<Vec<T>>()
            .map_err(|_| "the shared list cache holds another type".to_owned())
    }
}

/// Runs `call` in a task of its own, so that its result is shared even when
/// the probe that started it is cancelled.
async fn spawned<F>(call: F) -> Result<Shared, String>
where
    F: Future<Output = Result<Shared, String>> + Send + 'static,
{
    tokio::spawn(call)
        .await
        .unwrap_or_else(|e| Err(format!("the call to the API server failed: {e}")))
}

fn place(query: Query<'_>) -> String {
    let mut text = match query.namespace {
        Some(ns) => format!(" in namespace {ns}"),
        None => String::new(),
    };
    for selector in [query.labels, query.fields].into_iter().flatten() {
        text.push_str(&format!(" ({selector})"));
    }
    text
}

fn api_version(gvk: &GroupVersionKind) -> String {
    if gvk.group.is_empty() {
        format!("{} {}", gvk.version, gvk.kind)
    } else {
        format!("{}/{} {}", gvk.group, gvk.version, gvk.kind)
    }
}

fn discovery_error(error: &kube::Error, gvk: &GroupVersionKind) -> String {
    let what = api_version(gvk);
    match error {
        kube::Error::Api(status) if status.code == 404 => {
            format!("the API server does not serve {what} (is its CRD installed?)")
        }
        kube::Error::Discovery(_) => {
            format!("the API server does not serve {what} (no such kind in that group/version)")
        }
        other => format!("discovering {what}: {}", describe(other)),
    }
}
