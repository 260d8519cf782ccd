//! Resolvers, one per nameserver and run, built on first use; lookups that
//! turn hickory's answers and errors into plain values and sentences.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};

/// How long one query waits for an answer before it is sent again.
const QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// The resolvers of one run, by nameserver (`None`: the system's).
#[derive(Default)]
pub struct Resolvers {
    built: Mutex<HashMap<Option<SocketAddr>, Arc<TokioResolver>>>,
}

impl Resolvers {
    /// The resolver for `nameserver`, built on first use.
    pub fn get(&self, nameserver: Option<SocketAddr>) -> Result<Arc<TokioResolver>, String> {
        let mut built = self
            .built
            .lock()
            .map_err(|_| "the resolver cache is unusable".to_owned())?;
        if let Some(resolver) = built.get(&nameserver) {
            return Ok(Arc::clone(resolver));
        }
        let resolver = Arc::new(build(nameserver)?);
        built.insert(nameserver, Arc::clone(&resolver));
        Ok(resolver)
    }
}

fn build(nameserver: Option<SocketAddr>) -> Result<TokioResolver, String> {
    let mut builder = match nameserver {
        Some(addr) => {
            let mut server = NameServerConfig::udp_and_tcp(addr.ip());
            for connection in &mut server.connections {
                connection.port = addr.port();
            }
            let config = ResolverConfig::from_name_servers(vec![server]);
            let mut builder =
                TokioResolver::builder_with_config(config, TokioRuntimeProvider::default());
            builder.options_mut().use_hosts_file = ResolveHosts::Never;
            builder
        }
        None => TokioResolver::builder_tokio()
            .map_err(|e| format!("could not read the system's DNS configuration: {e}"))?,
    };
    let options: &mut ResolverOpts = builder.options_mut();
    options.timeout = QUERY_TIMEOUT;
    options.attempts = 2;
    builder
        .build()
        .map_err(|e| format!("could not create a DNS resolver: {e}"))
}

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answer {
    /// The records of the type asked for, as text.
    pub values: Vec<String>,
    /// The name does not exist (NXDOMAIN).
    pub nxdomain: bool,
}

/// Looks up `name` (a fully qualified name) for `kind`.
pub async fn lookup(
    resolver: &TokioResolver,
    name: &str,
    kind: RecordType,
    server: &str,
) -> Result<Answer, String> {
    crate::probe::stage(format!("waiting for {server} to answer {kind} {name}"));
    match resolver.lookup(name, kind).await {
        Ok(found) => Ok(Answer {
            values: found
                .answers()
                .iter()
                .filter(|r| r.record_type() == kind)
                .map(|r| render(&r.data))
                .collect(),
            nxdomain: false,
        }),
        Err(e) if e.is_no_records_found() => Ok(Answer {
            values: Vec::new(),
            nxdomain: e.is_nx_domain(),
        }),
        Err(e) => Err(describe(&e, kind, name, server)),
    }
}

/// A record's data as people write it.
fn render(data: &RData) -> String {
    match data {
        RData::A(a) => a.0.to_string(),
        RData::AAAA(aaaa) => aaaa.0.to_string(),
        RData::CNAME(n) => name_text(&n.0.to_string()),
        RData::NS(n) => name_text(&n.0.to_string()),
        RData::MX(mx) => format!("{} {}", mx.preference, name_text(&mx.exchange.to_string())),
        RData::SRV(srv) => format!(
            "{} {} {} {}",
            srv.priority,
            srv.weight,
            srv.port,
            name_text(&srv.target.to_string())
        ),
        RData::TXT(txt) => txt
            .txt_data
            .iter()
            .map(|part| String::from_utf8_lossy(part).into_owned())
            .collect(),
        RData::CAA(caa) => {
            let value = String::from_utf8_lossy(&caa.value);
            if caa.flags() == 0 {
                format!("{} \"{value}\"", caa.tag)
            } else {
                format!("{} {} \"{value}\"", caa.flags(), caa.tag)
            }
        }
        other => other.to_string(),
    }
}

/// A domain name without its trailing dot, lowercase.
pub fn name_text(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn describe(error: &NetError, kind: RecordType, name: &str, server: &str) -> String {
    let asked = format!("{kind} {}", name_text(name));
    match error {
        NetError::Timeout => format!("no answer from {server} for {asked} (timed out)"),
        NetError::Dns(DnsError::ResponseCode(code)) => match *code {
            ResponseCode::ServFail => format!("{server} answered SERVFAIL for {asked}"),
            ResponseCode::Refused => format!("{server} refused to answer {asked} (REFUSED)"),
            other => format!("{server} answered {other} for {asked}"),
        },
        other => format!("looking up {asked} at {server}: {other}"),
    }
}
