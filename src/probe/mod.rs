//! Probes: the closed registry of probe kinds, the [`Probe`] trait each kind
//! implements, and the per-run [`Context`] they share.
//!
//! Adding a kind is one file, one line in [`probe_kinds!`], and whatever the
//! compiler then asks for. A probe gathers observations and compares them with
//! its expectations through [`expect`]; it never prints and never panics on what
//! the other side sends.

pub mod aws;
pub mod cors;
pub mod dns;
pub mod exec;
pub mod expect;
pub mod file;
pub mod flow;
pub mod fly;
pub mod grafana;
pub mod graphql;
pub mod headers;
pub mod http;
pub mod kubernetes;
pub mod nagios;
pub mod openapi;
pub mod postgres;
pub mod prometheus;
pub mod rate_limit;
pub mod redis;
pub mod reply;
pub mod resolve;
pub mod tcp;
pub mod tls;
pub mod web;
pub mod websocket;

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::scalar::Dur;
pub use expect::Finding;

/// What every probe kind provides.
pub trait Probe {
    /// What is probed, for people, without secrets: `GET https://api.example.com/health`.
    fn target(&self) -> String;

    /// The `host:port` this probe talks to, for the per-host concurrency limit;
    /// `None` for probes that talk to no host.
    fn host(&self) -> Option<String> {
        None
    }

    /// Strings that must never appear in any output (tokens from the environment, …).
    fn secrets(&self) -> Vec<String> {
        Vec::new()
    }

    /// Problems no type can express: thresholds that can never hold, and the like.
    /// `timeout` is the probe's resolved deadline.
    fn validate(&self, _timeout: Duration) -> Vec<String> {
        Vec::new()
    }

    /// Runs one attempt. The engine enforces the deadline; the probe keeps what
    /// it reads bounded.
    fn run(&self, ctx: &Context) -> impl Future<Output = Finding> + Send;
}

/// Declares the probe kinds: the enum, its names, and dispatch to each kind.
macro_rules! probe_kinds {
    ($($name:literal => $variant:ident($ty:ty)),+ $(,)?) => {
        /// A probe kind with its configuration. One variant per kind.
        #[derive(Debug, Clone)]
        pub enum ProbeKind {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant($ty),
            )+
        }

        /// The name of every probe kind, as written in checklists.
        pub const KIND_NAMES: &[&str] = &[$($name),+];

        /// Every key a probe mapping accepts.
        const PROBE_KEYS: &[&str] = &["name", "timeout", "retries", "retry_delay", "wait_until", "interval", $($name),+];

        impl ProbeKind {
            /// The kind's name as written in checklists.
            pub fn name(&self) -> &'static str {
                match self {
                    $(ProbeKind::$variant(_) => $name,)+
                }
            }

            fn deserialize_named<'de, A: MapAccess<'de>>(
                key: &str,
                map: &mut A,
            ) -> Result<Option<Self>, A::Error> {
                match key {
                    $($name => Ok(Some(ProbeKind::$variant(map.next_value()?))),)+
                    _ => Ok(None),
                }
            }

            /// See [`Probe::target`].
            pub fn target(&self) -> String {
                match self {
                    $(ProbeKind::$variant(p) => p.target(),)+
                }
            }

            /// See [`Probe::host`].
            pub fn host(&self) -> Option<String> {
                match self {
                    $(ProbeKind::$variant(p) => p.host(),)+
                }
            }

            /// See [`Probe::secrets`].
            pub fn secrets(&self) -> Vec<String> {
                match self {
                    $(ProbeKind::$variant(p) => p.secrets(),)+
                }
            }

            /// See [`Probe::validate`].
            pub fn validate(&self, timeout: Duration) -> Vec<String> {
                match self {
                    $(ProbeKind::$variant(p) => p.validate(timeout),)+
                }
            }

            /// See [`Probe::run`].
            pub async fn run(&self, ctx: &Context) -> Finding {
                match self {
                    $(ProbeKind::$variant(p) => p.run(ctx).await,)+
                }
            }
        }
    };
}

probe_kinds! {
    "http" => Http(Box<http::HttpProbe>),
    "tls" => Tls(tls::TlsProbe),
    "tcp" => Tcp(tcp::TcpProbe),
    "dns" => Dns(dns::DnsProbe),
    "websocket" => Websocket(websocket::WebsocketProbe),
    "exec" => Exec(exec::ExecProbe),
    "file" => File(file::FileProbe),
    "cors" => Cors(cors::CorsProbe),
    "headers" => Headers(headers::HeadersProbe),
    "rate_limit" => RateLimit(rate_limit::RateLimitProbe),
    "graphql" => Graphql(graphql::GraphqlProbe),
    "openapi" => Openapi(openapi::OpenapiProbe),
    "kubernetes" => Kubernetes(Box<kubernetes::KubernetesProbe>),
    "fly" => Fly(Box<fly::FlyProbe>),
    "flow" => Flow(Box<flow::FlowProbe>),
    "postgres" => Postgres(Box<postgres::PostgresProbe>),
    "redis" => Redis(Box<redis::RedisProbe>),
    "prometheus" => Prometheus(Box<prometheus::PrometheusProbe>),
    "grafana" => Grafana(Box<grafana::GrafanaProbe>),
    "aws_ec2" => AwsEc2(Box<aws::ec2::Ec2Probe>),
    "aws_rds" => AwsRds(Box<aws::rds::RdsProbe>),
    "aws_s3" => AwsS3(Box<aws::s3::S3Probe>),
    "aws_iam" => AwsIam(Box<aws::iam::IamProbe>),
    "aws_cloudtrail" => AwsCloudtrail(Box<aws::cloudtrail::CloudtrailProbe>),
    "aws_secretsmanager" => AwsSecretsmanager(Box<aws::secretsmanager::SecretsProbe>),
    "aws_elasticache" => AwsElasticache(Box<aws::elasticache::ElasticacheProbe>),
    "aws_ecr" => AwsEcr(Box<aws::ecr::EcrProbe>),
    "aws_acm" => AwsAcm(Box<aws::acm::AcmProbe>),
    "aws_budgets" => AwsBudgets(Box<aws::budgets::BudgetsProbe>),
    "aws_cloudfront" => AwsCloudfront(Box<aws::cloudfront::CloudfrontProbe>),
    "aws_wafv2" => AwsWafv2(Box<aws::wafv2::Wafv2Probe>),
    "aws_eks" => AwsEks(Box<aws::eks::EksProbe>),
}

impl ProbeKind {
    /// Fills an AWS probe's unset `region`, `profile` and `endpoint_url` from
    /// the checklist's `defaults.aws`; other kinds are left alone.
    pub fn inherit_aws(&mut self, defaults: &aws::AwsSettings) {
        match self {
            ProbeKind::AwsEc2(p) => p.inherit(defaults),
            ProbeKind::AwsRds(p) => p.inherit(defaults),
            ProbeKind::AwsS3(p) => p.inherit(defaults),
            ProbeKind::AwsIam(p) => p.inherit(defaults),
            ProbeKind::AwsCloudtrail(p) => p.inherit(defaults),
            ProbeKind::AwsSecretsmanager(p) => p.inherit(defaults),
            ProbeKind::AwsElasticache(p) => p.inherit(defaults),
            ProbeKind::AwsEcr(p) => p.inherit(defaults),
            ProbeKind::AwsAcm(p) => p.inherit(defaults),
            ProbeKind::AwsBudgets(p) => p.inherit(defaults),
            ProbeKind::AwsCloudfront(p) => p.inherit(defaults),
            ProbeKind::AwsWafv2(p) => p.inherit(defaults),
            ProbeKind::AwsEks(p) => p.inherit(defaults),
            _ => {}
        }
    }
}

/// One probe as written in a checklist: its kind, plus options every kind shares.
///
/// ```yaml
/// probe:
///   http: { url: "${api}/health" }
///   timeout: 5s
///   retries: 2          # or: wait_until: 5m, interval: 10s
/// ```
#[derive(Debug, Clone)]
pub struct ProbeSpec {
    /// The kind and its configuration.
    pub kind: ProbeKind,
    /// Options every kind shares.
    pub options: ProbeOptions,
}

/// The options every probe takes beside its kind.
#[derive(Debug, Clone, Default)]
pub struct ProbeOptions {
    /// A name for reports; defaults to the kind's target.
    pub name: Option<String>,
    /// The deadline of one attempt; defaults to `defaults.timeout`, then 10s.
    pub timeout: Option<Dur>,
    /// Extra attempts after a failure or error (default 0, at most 10).
    pub retries: Option<u32>,
    /// The wait before the first retry, doubling each time up to 30s (default 1s).
    pub retry_delay: Option<Dur>,
    /// Keep probing until it passes or this much time has passed.
    pub wait_until: Option<Dur>,
    /// The pause between attempts while waiting (default 5s).
    pub interval: Option<Dur>,
}

impl<'de> Deserialize<'de> for ProbeSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SpecVisitor;
        impl<'de> Visitor<'de> for SpecVisitor {
            type Value = ProbeSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(
                    f,
                    "a probe: a mapping with one of {}",
                    KIND_NAMES.join(", ")
                )
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<ProbeSpec, A::Error> {
                let mut kind: Option<ProbeKind> = None;
                let mut options = ProbeOptions::default();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "name" => options.name = Some(map.next_value()?),
                        "timeout" => options.timeout = Some(map.next_value()?),
                        "retries" => options.retries = Some(map.next_value()?),
                        "retry_delay" => options.retry_delay = Some(map.next_value()?),
                        "wait_until" => options.wait_until = Some(map.next_value()?),
                        "interval" => options.interval = Some(map.next_value()?),
                        other => match ProbeKind::deserialize_named(other, &mut map)? {
                            Some(found) => {
                                if let Some(first) = &kind {
                                    return Err(de::Error::custom(format!(
                                        "a probe has one kind, this one has `{}` and `{other}`: list them under `probes:` instead",
                                        first.name()
                                    )));
                                }
                                kind = Some(found);
                            }
                            None => return Err(de::Error::unknown_field(other, PROBE_KEYS)),
                        },
                    }
                }
                let kind = kind.ok_or_else(|| {
                    de::Error::custom(format!(
                        "this probe has no kind: add one of {}",
                        KIND_NAMES.join(", ")
                    ))
                })?;
                Ok(ProbeSpec { kind, options })
            }
        }
        deserializer.deserialize_map(SpecVisitor)
    }
}

tokio::task_local! {
    static STAGE: std::sync::Arc<std::sync::Mutex<String>>;
}

tokio::task_local! {
    static STAGE_PREFIX: String;
}

/// Says what the probe is doing now (`waiting for the response headers from
/// api.example.com:443`), so that a deadline reached mid-way names the stage
/// that stalled. Outside a probe attempt it does nothing.
pub fn stage(what: impl Into<String>) {
    let _ = STAGE.try_with(|current| {
        let mut current = current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let what = what.into();
        *current = match STAGE_PREFIX.try_with(Clone::clone) {
            Ok(prefix) => format!("{prefix}{what}"),
            Err(_) => what,
        };
    });
}

/// The stage said last in this probe attempt; `None` outside one. Within a
/// part of a probe ([`in_part`]) the part's prefix is left out: this is what
/// the exchange itself said.
pub fn current_stage() -> Option<String> {
    let stage = STAGE
        .try_with(|current| {
            current
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone()
        })
        .ok()?;
    Some(match STAGE_PREFIX.try_with(Clone::clone) {
        Ok(prefix) => stage
            .strip_prefix(prefix.as_str())
            .map_or(stage.clone(), str::to_owned),
        Err(_) => stage,
    })
}

/// Runs `future` with every [`stage`] it reports prefixed (`step 2 "read it
/// back": `), so that a deadline in one part of a multi-part probe names the part.
pub(crate) async fn in_part<F: Future>(prefix: String, future: F) -> F::Output {
    STAGE_PREFIX.scope(prefix, future).await
}

/// Runs `future` with a fresh stage record; `stage` is where it can be read afterwards.
pub(crate) async fn staged<F: Future>(
    stage: std::sync::Arc<std::sync::Mutex<String>>,
    future: F,
) -> F::Output {
    STAGE.scope(stage, future).await
}

/// The default deadline of one probe attempt.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// What probes share during one run: the checklist's directory, and connection
/// pools and clients created on first use so a checklist that needs no HTTP
/// creates no HTTP client.
#[derive(Default)]
pub struct Context {
    base_dir: PathBuf,
    web: web::Clients,
    resolver: resolve::ResolverHandle,
    tls_roots: OnceLock<Result<std::sync::Arc<rustls::RootCertStore>, String>>,
    dns: dns::Resolvers,
    kubernetes: kubernetes::Shared,
    fly: fly::Shared,
    aws: aws::Shared,
    no_exec: bool,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Context")
    }
}

impl Context {
    /// The run's shared DNS cache.
    pub fn resolver(&self) -> &resolve::SharedResolver {
        &self.resolver.0
    }

    /// A context for a checklist in `base_dir`.
    pub fn new(base_dir: PathBuf) -> Self {
        Context {
            base_dir,
            ..Context::default()
        }
    }

    /// Refuses to start processes (`check --no-exec`, `CANDLEFISH_NO_EXEC=1`):
    /// `exec` probes fail at once, and so do kubeconfigs that would run an exec
    /// credential plugin.
    #[must_use]
    pub fn with_no_exec(mut self, no_exec: bool) -> Self {
        self.no_exec = no_exec;
        self
    }

    /// Starting processes is disabled by policy.
    pub fn no_exec(&self) -> bool {
        self.no_exec
    }

    /// `path` resolved against the checklist's directory (absolute paths as they are).
    pub fn resolve(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }

    /// The shared HTTP client with default TLS settings that follows redirects
    /// (up to 10) or not.
    pub fn http_client(&self, follow_redirects: bool) -> Result<reqwest::Client, String> {
        self.web_client(&web::ClientOptions {
            follow_redirects,
            ..web::ClientOptions::default()
        })
    }

    /// The shared HTTP client for these TLS settings and redirect policy: one
    /// per distinct configuration, built on first use.
    pub fn web_client(&self, options: &web::ClientOptions) -> Result<reqwest::Client, String> {
        let resolver: web::client::Resolver = std::sync::Arc::new(self.resolver.clone());
        self.web.get(options, Some(&resolver))
    }
}

impl Context {
    /// What the run's AWS probes share: configurations and API answers.
    pub fn aws(&self) -> &aws::Shared {
        &self.aws
    }
}

impl Context {
    /// The system's trust store, read once per run.
    pub fn tls_roots(&self) -> Result<std::sync::Arc<rustls::RootCertStore>, String> {
        self.tls_roots
            .get_or_init(tls::verify::system_roots)
            .clone()
    }

    /// The resolver for `nameserver` (the system's when `None`), built on first use.
    pub fn dns_resolver(
        &self,
        nameserver: Option<std::net::SocketAddr>,
    ) -> Result<std::sync::Arc<hickory_resolver::TokioResolver>, String> {
        self.dns.get(nameserver)
    }
}
