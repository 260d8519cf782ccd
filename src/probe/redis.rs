//! `redis`: asks a Redis server itself — it answers PING (with the URL's
//! password or ACL user), its role and replicas, cluster mode and
//! `cluster_state`, persistence (AOF, RDB, the last save's age and outcome),
//! `maxmemory` and its policy, memory use, and subscribers on named pub/sub
//! channels. A password refused (`WRONGPASS`) or missing (`NOAUTH`) is told
//! apart from a server that cannot be reached.
//!
//! ```yaml
//! probe:
//!   redis:
//!     url: ${REDIS_URL}               # rediss://user:password@host:6380/0
//!     ca_file: certs/redis-ca.pem
//!     role: master
//!     min_replicas: 1
//!     persistence: { aof: true, max_save_age: 1h }
//!     maxmemory_policy: allkeys-lru
//!     max_memory_used: 80%
//!     channels: { orders: 1 }
//! ```

pub mod judge;

use std::time::Duration;

use indexmap::IndexMap;
use serde::Deserialize;

use crate::checklist::scalar::Dur;
use crate::checklist::text::Text;
use crate::probe::web::fields::{Percent, url_secrets};
use crate::probe::{Context, Finding, Probe};

/// How long connecting, and each reply, may take.
const WAIT: Duration = Duration::from_secs(5);

/// The most channels one probe asks about.
pub const MAX_CHANNELS: usize = 100;

/// Configuration of a `redis` probe. With only `url`, the server must answer PING.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisProbe {
    /// `redis://[USER:]PASSWORD@HOST:PORT/DB`, or `rediss://` for TLS
    /// (required). The password is never shown.
    pub url: Text,
    /// PEM file of the CAs to trust for `rediss://` instead of the system's.
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// `master` or `replica` (default: either).
    #[serde(default)]
    pub role: Option<Role>,
    /// On a master: at least this many connected replicas.
    #[serde(default)]
    pub min_replicas: Option<u32>,
    /// Cluster mode must be on (`true`, and `cluster_state:ok`) or off (`false`).
    #[serde(default)]
    pub cluster: Option<bool>,
    /// Persistence as expected.
    #[serde(default)]
    pub persistence: Option<Persistence>,
    /// `maxmemory` must be set (not 0).
    #[serde(default)]
    pub maxmemory: Option<bool>,
    /// The eviction policy: `allkeys-lru`, `noeviction`, ….
    #[serde(default)]
    pub maxmemory_policy: Option<String>,
    /// Memory in use as a share of `maxmemory` (which must then be set).
    #[serde(default)]
    pub max_memory_used: Option<Percent>,
    /// Pub/sub channels and the fewest subscribers each must have.
    #[serde(default)]
    pub channels: IndexMap<String, u64>,
}

/// A Redis server's replication role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Accepts writes (`role:master`).
    Master,
    /// Replicates a master (`role:slave`).
    Replica,
}

/// `persistence:` — what must be on, and how recent the last save.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Persistence {
    /// The append-only file on (`true`) or off (`false`); when on, its last
    /// write and rewrite must have succeeded.
    #[serde(default)]
    pub aof: Option<bool>,
    /// RDB snapshots configured (`save` not empty) or not.
    #[serde(default)]
    pub rdb: Option<bool>,
    /// The last successful RDB save no older than this; the last background
    /// save must have succeeded.
    #[serde(default)]
    pub max_save_age: Option<Dur>,
}

/// What the server said.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// `INFO` as key → value.
    pub info: std::collections::HashMap<String, String>,
    /// `CLUSTER INFO` as key → value, when cluster mode is on.
    pub cluster: std::collections::HashMap<String, String>,
    /// `CONFIG GET save`: `Ok(points)`, or why it could not be read.
    pub save: Option<Result<String, String>>,
    /// The server's clock (`TIME`), in Unix seconds.
    pub now: i64,
    /// `PUBSUB NUMSUB` per channel.
    pub subscribers: Vec<(String, u64)>,
    /// Whether TLS was used.
    pub tls: bool,
}

/// Reads `key:value` lines (INFO, CLUSTER INFO).
pub fn parse_info(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

impl RedisProbe {
    fn parsed(&self) -> Result<reqwest::Url, String> {
        let url = reqwest::Url::parse(&self.url).map_err(|e| {
            format!("url is not a valid URL ({e}): write redis://:PASSWORD@HOST:6379/0")
        })?;
        match url.scheme() {
            "redis" | "rediss" => {}
            other => {
                return Err(format!(
                    "url has scheme `{other}`: the redis probe takes redis:// or rediss:// (TLS)"
                ));
            }
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err("url names no host: write redis://:PASSWORD@HOST:6379/0".into());
        }
        Ok(url)
    }

    async fn gather(&self, ctx: &Context) -> Result<Seen, String> {
        let url = self.parsed()?;
        let place = format!(
            "{}:{}",
            url.host_str().unwrap_or_default(),
            url.port().unwrap_or(6379)
        );
        let tls = url.scheme() == "rediss";
        let client = if tls {
            // The redis crate builds its rustls configuration with the
            // process's provider: make it aws-lc-rs, as everywhere.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
            let root_cert = match &self.ca_file {
                Some(path) => {
                    let path = ctx.resolve(std::path::Path::new(path.as_str()));
                    Some(
                        crate::bounded::read_at_most(&path, 1 << 20, "a CA bundle")
                            .map_err(|e| format!("ca_file: {e}"))?,
                    )
                }
                None => None,
            };
            redis::Client::build_with_tls(
                self.url.as_str(),
                redis::TlsCertificates {
                    client_tls: None,
                    root_cert,
                },
            )
        } else {
            redis::Client::open(self.url.as_str())
        }
        .map_err(|e| format!("url: {}", describe(&e, &place)))?;
        crate::probe::stage(format!("connecting to Redis at {place}"));
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(Some(WAIT))
            .set_response_timeout(Some(WAIT));
        let mut con = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| describe(&e, &place))?;
        let ask = |e: redis::RedisError| describe(&e, &place);
        crate::probe::stage(format!("waiting for PING and INFO from {place}"));
        let _: String = redis::cmd("PING")
            .query_async(&mut con)
            .await
            .map_err(ask)?;
        let info: String = redis::cmd("INFO")
            .arg("everything")
            .query_async(&mut con)
            .await
            .map_err(ask)?;
        let mut seen = Seen {
            info: parse_info(&info),
            tls,
            ..Seen::default()
        };
        let (secs, _): (i64, i64) = redis::cmd("TIME")
            .query_async(&mut con)
            .await
            .map_err(ask)?;
        seen.now = secs;
        if seen.info.get("cluster_enabled").is_some_and(|v| v == "1") {
            let text: String = redis::cmd("CLUSTER")
                .arg("INFO")
                .query_async(&mut con)
                .await
                .map_err(ask)?;
            seen.cluster = parse_info(&text);
        }
        if self.persistence.as_ref().is_some_and(|p| p.rdb.is_some()) {
            let got: Result<Vec<String>, _> = redis::cmd("CONFIG")
                .arg("GET")
                .arg("save")
                .query_async(&mut con)
                .await;
            seen.save = Some(match got {
                Ok(pair) => Ok(pair.get(1).cloned().unwrap_or_default()),
                Err(e) => Err(describe(&e, &place)),
            });
        }
        if !self.channels.is_empty() {
            let mut cmd = redis::cmd("PUBSUB");
            cmd.arg("NUMSUB");
            for name in self.channels.keys() {
                cmd.arg(name);
            }
            seen.subscribers = cmd.query_async(&mut con).await.map_err(ask)?;
        }
        Ok(seen)
    }
}

/// A driver error told to a person: authentication apart from reachability.
pub fn describe(error: &redis::RedisError, place: &str) -> String {
    let text = error.to_string();
    let code = error.code().unwrap_or_default();
    if code == "NOAUTH" || text.contains("NOAUTH") {
        format!(
            "{place} requires authentication (NOAUTH): give the password in the URL, redis://:PASSWORD@host"
        )
    } else if code == "WRONGPASS"
        || text.contains("WRONGPASS")
        || error.kind() == redis::ErrorKind::AuthenticationFailed
    {
        format!(
            "{place} refused the credentials (WRONGPASS: {})",
            error
                .detail()
                .unwrap_or("invalid username-password pair or user is disabled")
        )
    } else if error.is_connection_refusal() {
        format!("connection refused ({place})")
    } else if error.is_timeout() {
        format!("timed out talking to {place}")
    } else if text.contains("invalid peer certificate") {
        let cause = text
            .split("invalid peer certificate: ")
            .nth(1)
            .unwrap_or(&text);
        format!(
            "the TLS certificate of {place} is not trusted ({cause}): for a private CA, set ca_file"
        )
    } else {
        format!("{text} ({place})")
    }
}

impl Probe for RedisProbe {
    fn target(&self) -> String {
        format!("redis {}", crate::probe::web::redact_url(&self.url))
    }

    fn host(&self) -> Option<String> {
        let url = self.parsed().ok()?;
        Some(format!(
            "{}:{}",
            url.host_str()?,
            url.port().unwrap_or(6379)
        ))
    }

    fn secrets(&self) -> Vec<String> {
        url_secrets(&self.url)
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        match self.parsed() {
            Ok(url) if url.scheme() == "redis" && self.ca_file.is_some() => problems.push(
                "ca_file is for TLS, and the url is redis://: use rediss:// or leave ca_file out"
                    .into(),
            ),
            Ok(_) => {}
            Err(e) => problems.push(e),
        }
        if self.min_replicas.is_some() && self.role == Some(Role::Replica) {
            problems.push("min_replicas counts a master's replicas; a replica has none".into());
        }
        if self.maxmemory == Some(false) && self.max_memory_used.is_some() {
            problems.push(
                "max_memory_used is a share of maxmemory, which maxmemory: false says is unset"
                    .into(),
            );
        }
        if self.channels.len() > MAX_CHANNELS {
            problems.push(format!(
                "at most {MAX_CHANNELS} channels, not {}",
                self.channels.len()
            ));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        match self.gather(ctx).await {
            Ok(seen) => judge::judge(self, &seen),
            Err(e) => Finding::error(e),
        }
    }
}
