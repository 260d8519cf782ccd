//! `tls`: connects to any TLS service, records the certificate chain it
//! presents, and judges it — days until expiry, trust, hostname, protocol
//! version, key — and whether the server still accepts TLS 1.0 or 1.1.
//!
//! ```yaml
//! probe:
//!   tls: { host: api.example.com }
//! ```
//!
//! The chain is inspected even when verification fails: a [`verify::Recorder`]
//! records it and what verification said, and lets the handshake finish, so an
//! expired, self-signed or wrong-host certificate is reported with its details.

pub(crate) mod cert;
pub(crate) mod legacy;
pub(crate) mod verify;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::ServerName;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};
use tokio::net::TcpStream;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::probe::http::Strings;
use crate::probe::{Context, Finding, Probe};

mod judge;

/// Configuration of a `tls` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsProbe {
    /// The host name or IP address to connect to (required).
    pub host: Text,
    /// The TCP port (default 443).
    #[serde(default = "https_port")]
    pub port: u16,
    /// The name sent as SNI and checked against the certificate (default: `host`;
    /// with an IP address and no `sni`, the certificate must cover the IP).
    #[serde(default)]
    pub sni: Option<Text>,
    /// A PEM file of CA certificates to trust instead of the system's roots.
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// Warn when the certificate expires within this (default `30d`, or twice
    /// `expiry_fail` when that is longer).
    #[serde(default)]
    pub expiry_warn: Option<Dur>,
    /// Fail when the certificate expires within this (default `14d`, or half
    /// `expiry_warn` when that is shorter).
    #[serde(default)]
    pub expiry_fail: Option<Dur>,
    /// The oldest acceptable protocol version: `1.0` to `1.3` (default `1.2`).
    #[serde(default)]
    pub min_version: TlsVersion,
    /// The expected key type: `rsa`, `ecdsa` or `ed25519` (default: any).
    #[serde(default)]
    pub key_type: Option<KeyType>,
    /// The smallest acceptable RSA key, in bits (default 2048).
    #[serde(default = "rsa_bits")]
    pub min_rsa_bits: usize,
    /// The smallest acceptable ECDSA curve, in bits (default 256).
    #[serde(default = "ec_bits")]
    pub min_ec_bits: usize,
    /// More names (or IPs) the certificate must cover: one or a list.
    #[serde(default)]
    pub sans: Strings,
    /// Offer TLS 1.0/1.1 on a second connection to see whether the server still
    /// accepts them (default `true`; skipped when `min_version` is 1.0, unless
    /// the TLS 1.2/1.3 handshake fails, to tell a 1.0/1.1-only server apart).
    #[serde(default = "yes")]
    pub check_legacy: bool,
}

fn https_port() -> u16 {
    443
}
fn thirty_days() -> Dur {
    Dur(Duration::from_secs(30 * 86_400))
}

fn fourteen_days() -> Dur {
    Dur(Duration::from_secs(14 * 86_400))
}

impl TlsProbe {
    /// The warning window: as written, else 30 days — or twice `expiry_fail`
    /// when only that is written and it is 15 days or more, so setting one
    /// never makes the other's default wrong.
    pub fn expiry_warn(&self) -> Dur {
        match (self.expiry_warn, self.expiry_fail) {
            (Some(warn), _) => warn,
            (None, Some(fail)) => thirty_days().max(Dur(fail.0.saturating_mul(2))),
            (None, None) => thirty_days(),
        }
    }

    /// The failure window: as written, else 14 days — or half `expiry_warn`
    /// when only that is written and shorter than 28 days.
    pub fn expiry_fail(&self) -> Dur {
        match (self.expiry_fail, self.expiry_warn) {
            (Some(fail), _) => fail,
            (None, Some(warn)) => fourteen_days().min(Dur(warn.0 / 2)),
            (None, None) => fourteen_days(),
        }
    }
}
fn rsa_bits() -> usize {
    2048
}
fn ec_bits() -> usize {
    256
}
fn yes() -> bool {
    true
}

/// A TLS protocol version, as its wire number (`0x0303` is TLS 1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TlsVersion(pub u16);

impl Default for TlsVersion {
    fn default() -> Self {
        TlsVersion(0x0303)
    }
}

impl TlsVersion {
    fn parse(text: &str) -> Result<TlsVersion, String> {
        let trimmed = text.trim().to_ascii_lowercase();
        let number = trimmed
            .trim_start_matches("tlsv")
            .trim_start_matches("tls")
            .trim();
        match number {
            "1.0" | "1" => Ok(TlsVersion(0x0301)),
            "1.1" => Ok(TlsVersion(0x0302)),
            "1.2" => Ok(TlsVersion(0x0303)),
            "1.3" => Ok(TlsVersion(0x0304)),
            _ => Err(format!(
                "`{text}` is not a TLS version: use 1.0, 1.1, 1.2 or 1.3"
            )),
        }
    }
}

impl<'de> Deserialize<'de> for TlsVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;
        impl Visitor<'_> for VersionVisitor {
            type Value = TlsVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a TLS version: 1.2 or 1.3")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TlsVersion, E> {
                TlsVersion::parse(v).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TlsVersion, E> {
                TlsVersion::parse(&format!("{v:.1}")).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TlsVersion, E> {
                TlsVersion::parse(&v.to_string()).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(VersionVisitor)
    }
}

/// A kind of certificate key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyType {
    /// RSA.
    Rsa,
    /// ECDSA (P-256, P-384, P-521).
    Ecdsa,
    /// Ed25519.
    Ed25519,
}

impl TlsProbe {
    /// The name checked against the certificate and sent as SNI.
    fn name(&self) -> &str {
        self.sni.as_deref().unwrap_or(&self.host)
    }
}

impl Probe for TlsProbe {
    fn target(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host.as_str())
        } else {
            self.host.as_str().to_owned()
        };
        match &self.sni {
            Some(sni) => format!("{host}:{} (SNI {})", self.port, sni.as_str()),
            None => format!("{host}:{}", self.port),
        }
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if self.host.trim().is_empty() {
            problems.push("host is empty".to_owned());
        }
        if self.port == 0 {
            problems.push("port 0 cannot be connected to".to_owned());
        }
        if ServerName::try_from(self.name().to_owned()).is_err() {
            problems.push(format!(
                "`{}` is neither a host name nor an IP address",
                self.name()
            ));
        }
        // Only both written can contradict each other: a default follows the other.
        if let (Some(warn), Some(fail)) = (self.expiry_warn, self.expiry_fail)
            && warn <= fail
        {
            problems.push(format!(
                "expiry_warn ({}) must be longer than expiry_fail ({}), or it can never warn",
                judge::days(warn),
                judge::days(fail)
            ));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        let Ok(server_name) = ServerName::try_from(self.name().to_owned()) else {
            return Finding::error(format!("`{}` is not a valid server name", self.name()));
        };
        let (roots, trusted_by) = match &self.ca_file {
            Some(path) => match verify::file_roots(path) {
                Ok(roots) => (Ok(roots), format!("ca_file {}", path.as_str())),
                Err(e) => return Finding::error(e),
            },
            None => (ctx.tls_roots(), "the system roots".to_owned()),
        };
        let provider = verify::provider();
        let recorder = Arc::new(verify::Recorder::new(roots, &provider));
        let config = match verify::recording_config(provider, Arc::clone(&recorder)) {
            Ok(config) => config,
            Err(e) => return Finding::error(e),
        };
        let sni = match &server_name {
            ServerName::DnsName(name) => Some(name.as_ref().to_owned()),
            _ => None,
        };
        let legacy_wanted = self.check_legacy && self.min_version.0 > 0x0301;
        let legacy = async {
            if legacy_wanted {
                Some(legacy::check(&self.host, self.port, sni.as_deref()).await)
            } else {
                None
            }
        };
        let (handshake, legacy) = tokio::join!(
            handshake(&self.host, self.port, server_name, config),
            legacy
        );
        let handshake = match handshake {
            Ok(done) => Ok(done),
            Err(Failure::Connect(e)) => return Finding::error(e),
            Err(Failure::Tls(e)) => Err(e),
        };
        // A refused TLS 1.2/1.3 handshake may be a server that speaks only
        // 1.0/1.1, which rustls cannot: ask, so the evidence can say so.
        let legacy = match legacy {
            None if handshake.is_err() && self.check_legacy => {
                Some(legacy::check(&self.host, self.port, sni.as_deref()).await)
            }
            other => other,
        };
        let seen = recorder.seen();
        let observed = judge::Observed {
            name: self.name().to_owned(),
            handshake,
            leaf: seen.chain.first().map(cert::facts),
            chain: seen
                .chain
                .iter()
                .skip(1)
                .filter_map(|c| cert::facts(c).ok())
                .collect(),
            trust: seen.trust,
            name_match: seen.name,
            trusted_by,
            legacy,
            now: jiff::Timestamp::now().as_second(),
        };
        judge::compare(self, &observed)
    }
}

/// A completed handshake.
#[derive(Debug, Clone)]
pub(crate) struct Handshake {
    version: u16,
    suite: String,
    elapsed: Duration,
}

enum Failure {
    /// No TCP connection: the probe could not run.
    Connect(String),
    /// Connected, but the TLS handshake failed: the server answered wrong.
    Tls(String),
}

async fn handshake(
    host: &str,
    port: u16,
    name: ServerName<'static>,
    config: rustls::ClientConfig,
) -> Result<Handshake, Failure> {
    crate::probe::stage(format!("connecting to {host}:{port}"));
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|e| Failure::Connect(connect_error(host, port, &e)))?;
    crate::probe::stage(format!("in the TLS handshake with {host}:{port}"));
    let started = Instant::now();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(|e| Failure::Tls(tls_error(&e)))?;
    let (_, conn) = stream.get_ref();
    let version = conn.protocol_version().map_or(0, u16::from);
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| format!("{:?}", s.suite()))
        .unwrap_or_default();
    Ok(Handshake {
        version,
        suite,
        elapsed: started.elapsed(),
    })
}

/// A person's account of a failed TCP connection.
pub(crate) fn connect_error(host: &str, port: u16, e: &std::io::Error) -> String {
    let place = if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    match e.kind() {
        std::io::ErrorKind::ConnectionRefused => format!("connection refused ({place})"),
        _ if e.to_string().contains("failed to lookup address") => {
            crate::probe::web::error::unresolved(host, &e.to_string())
        }
        _ => format!("could not connect to {place}: {e}"),
    }
}

/// A person's account of a failed TLS handshake.
pub(crate) fn tls_error(e: &std::io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(inner) => rustls_error(inner),
        None if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            "the server closed the connection during the handshake".to_owned()
        }
        None => e.to_string(),
    }
}

/// Whether an I/O error is a TLS failure rather than a connection failure.
pub(crate) fn is_tls_error(e: &std::io::Error) -> bool {
    e.get_ref()
        .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some())
}

fn rustls_error(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::AlertReceived(alert) => {
            format!("the server refused the handshake (alert {alert:?})")
        }
        rustls::Error::InvalidMessage(_) => {
            "an answer that is not TLS (is this a TLS port?)".to_owned()
        }
        rustls::Error::InvalidCertificate(C::UnknownIssuer) => {
            "the certificate's issuer is not trusted".to_owned()
        }
        rustls::Error::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => {
            "the certificate has expired".to_owned()
        }
        rustls::Error::InvalidCertificate(
            C::NotValidForName | C::NotValidForNameContext { .. },
        ) => "the certificate is for another host".to_owned(),
        other => other.to_string(),
    }
}

/// How a duration reads in evidence: `41ms`.
fn took(d: Duration) -> String {
    format_duration(d)
}
