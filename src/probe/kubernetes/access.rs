//! Access to clusters as kubectl has it: the kubeconfig (a `kubeconfig:` file,
//! else the files `KUBECONFIG` lists, merged, else `~/.kube/config`), a
//! context (its current one by default), else the pod's service account when
//! running in a cluster. One client per (kubeconfig, context) per run, built
//! on first use; errors told to people once, shared by every probe that needs
//! the client.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig, KubeconfigError};
use tokio::sync::OnceCell;

/// How long a connection to the API server may take before it counts as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Which cluster, and as whom: the kubeconfig file (`None`: `KUBECONFIG`,
/// `~/.kube/config`, or in-cluster) and the context (`None`: the current one).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterKey {
    /// An explicit kubeconfig file, already resolved against the checklist.
    pub kubeconfig: Option<PathBuf>,
    /// A context named in the kubeconfig.
    pub context: Option<String>,
    /// Starting processes is disabled by policy (`check --no-exec`): a
    /// kubeconfig with an exec credential plugin is refused.
    pub no_exec: bool,
}

/// A client and what probes need to know about its configuration.
#[derive(Clone)]
pub struct Cluster {
    /// The key it was built for (lists are shared per key).
    pub key: ClusterKey,
    /// The client.
    pub client: kube::Client,
    /// The namespace of the context (`default` when it names none).
    pub default_namespace: String,
    /// The API server's URL, for messages.
    pub server: String,
}

/// A client being built, or built, or the reason it could not be.
type Built = OnceCell<Result<Cluster, String>>;

/// The clients of one run.
#[derive(Default)]
pub struct Clusters {
    built: Mutex<HashMap<ClusterKey, Arc<Built>>>,
}

impl Clusters {
    /// The client for `key`, built once; concurrent callers wait on the same build.
    pub async fn get(&self, key: &ClusterKey) -> Result<Cluster, String> {
        let cell = {
            let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(built.entry(key.clone()).or_default())
        };
        cell.get_or_init(|| build(key.clone())).await.clone()
    }
}

async fn build(key: ClusterKey) -> Result<Cluster, String> {
    crate::probe::stage("reading the kubeconfig");
    let options = KubeConfigOptions {
        context: key.context.clone(),
        ..KubeConfigOptions::default()
    };
    let kubeconfig = match &key.kubeconfig {
        Some(path) => Some((
            Kubeconfig::read_from(path).map_err(|e| describe_kubeconfig(&e))?,
            path.display().to_string(),
        )),
        None => match Kubeconfig::from_env().map_err(|e| describe_kubeconfig(&e))? {
            Some(merged) => Some((merged, "KUBECONFIG".to_owned())),
            None => match default_path().filter(|p| p.exists()) {
                Some(path) => Some((
                    Kubeconfig::read_from(&path).map_err(|e| describe_kubeconfig(&e))?,
                    path.display().to_string(),
                )),
                None => None,
            },
        },
    };
    let mut config = match kubeconfig {
        Some((kubeconfig, source)) => {
            if key.no_exec
                && let Some(user) = kubeconfig
                    .auth_infos
                    .iter()
                    .find(|u| u.auth_info.as_ref().is_some_and(|a| a.exec.is_some()))
            {
                return Err(format!(
                    "the kubeconfig ({source}) runs an exec credential plugin for user `{}`, and exec is disabled by policy (--no-exec)",
                    user.name
                ));
            }
            if let Some(context) = &key.context
                && !kubeconfig.contexts.iter().any(|c| &c.name == context)
            {
                let known: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
                return Err(format!(
                    "the kubeconfig ({source}) has no context `{context}` (it has: {})",
                    if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                ));
            }
            kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| format!("the kubeconfig ({source}): {}", describe_kubeconfig(&e)))?
        }
        None if key.context.is_some() => {
            return Err(format!(
                "no kubeconfig to find context `{}` in: KUBECONFIG is not set and ~/.kube/config does not exist",
                key.context.as_deref().unwrap_or_default()
            ));
        }
        None => kube::Config::incluster().map_err(|e| {
            format!(
                "no kubeconfig (KUBECONFIG is not set, ~/.kube/config does not exist) and not running in a pod ({})",
                crate::probe::web::error::root_cause(&e)
            )
        })?,
    };
    config.default_retry = false;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_owned();
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config)
        .map_err(|e| format!("could not create a client for {server}: {}", describe(&e)))?;
    Ok(Cluster {
        key,
        client,
        default_namespace,
        server,
    })
}

fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".kube").join("config"))
}

fn describe_kubeconfig(error: &KubeconfigError) -> String {
    match error {
        KubeconfigError::ReadConfig(io, path) => {
            format!("cannot read {}: {io}", path.display())
        }
        KubeconfigError::Parse(e) => format!("not a kubeconfig: {e}"),
        KubeconfigError::CurrentContextNotSet => {
            "it sets no current-context: name a context".to_owned()
        }
        other => {
            let text = other.to_string();
            match std::error::Error::source(other) {
                Some(source) => {
                    format!("{text} ({})", crate::probe::web::error::root_cause(source))
                }
                None => text,
            }
        }
    }
}

/// Why a call to the API server failed, for people: the status the server
/// answered, the credential plugin that failed, or the connection problem.
pub fn describe(error: &kube::Error) -> String {
    if let kube::Error::Api(status) = error {
        let code = status.code;
        let reason = if status.reason.is_empty() {
            String::new()
        } else {
            format!(" {}", status.reason)
        };
        let message = crate::probe::expect::excerpt(&status.message, 200);
        return match code {
            401 => format!("the API server refused the credentials (401{reason})"),
            403 => format!("forbidden (403): {message}"),
            _ => format!("the API server answered {code}{reason}: {message}"),
        };
    }
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if let Some(auth) = e.downcast_ref::<kube::client::AuthError>() {
            return describe_auth(auth);
        }
        current = e.source();
    }
    let cause = crate::probe::web::error::root_cause(error);
    let lower = cause.to_ascii_lowercase();
    if lower.contains("connection refused") {
        "connection refused".to_owned()
    } else if lower.contains("timed out") || lower.contains("elapsed") {
        "the connection timed out".to_owned()
    } else if lower.contains("certificate") || lower.contains("unknownissuer") {
        format!("the API server's TLS certificate is not trusted: {cause}")
    } else {
        cause
    }
}

fn describe_auth(error: &kube::client::AuthError) -> String {
    use kube::client::AuthError;
    match error {
        AuthError::AuthExecStart(io) => {
            format!("the exec credential plugin could not start: {io}")
        }
        AuthError::AuthExecRun { cmd, out } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            format!(
                "the exec credential plugin `{cmd}` failed ({}): {}",
                out.status,
                crate::probe::expect::excerpt(&stderr, 200)
            )
        }
        AuthError::AuthExecParse(_) => {
            "the exec credential plugin printed something that is not an ExecCredential".to_owned()
        }
        AuthError::ReadTokenFile(io, path) => {
            format!("cannot read the token file {}: {io}", path.display())
        }
        other => format!("authentication: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_context_names_the_ones_there_are() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\ncontexts:\n- name: staging\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: abc}\ncurrent-context: staging\n",
        )
        .unwrap();
        let clusters = Clusters::default();
        let key = ClusterKey {
            kubeconfig: Some(path.clone()),
            context: Some("prod".into()),
            no_exec: false,
        };
        let err = clusters.get(&key).await.err().unwrap();
        assert!(
            err.contains("has no context `prod` (it has: staging)"),
            "{err}"
        );
        let ok = clusters
            .get(&ClusterKey {
                kubeconfig: Some(path),
                context: None,
                no_exec: false,
            })
            .await
            .ok()
            .unwrap();
        assert_eq!(ok.server, "https://127.0.0.1:1");
        assert_eq!(ok.default_namespace, "default");
    }

    #[tokio::test]
    async fn an_unreadable_kubeconfig_says_so() {
        let clusters = Clusters::default();
        let key = ClusterKey {
            kubeconfig: Some(PathBuf::from("/nonexistent/kubeconfig")),
            context: None,
            no_exec: false,
        };
        let err = clusters.get(&key).await.err().unwrap();
        assert!(
            err.starts_with("cannot read /nonexistent/kubeconfig"),
            "{err}"
        );
    }
}
