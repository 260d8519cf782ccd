//! HTTP clients: one per distinct TLS configuration (custom CA, client
//! certificate, verification off) and redirect policy, built on first use and
//! shared by every probe of a run, so probes to one host reuse connections.
//!
//! Proxies come from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, upper or lower case), as curl reads them; reqwest does this when
//! no proxy is configured in code, and nothing here configures one.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::probe::web::error::root_cause;

/// The most redirects reqwest's own policy follows, for callers that ask for it.
pub const MAX_CLIENT_REDIRECTS: usize = 10;

/// TLS settings that need a client of their own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct TlsOptions {
    /// PEM file of the certificate authorities to trust instead of the system's.
    pub ca_file: Option<PathBuf>,
    /// PEM file of the client certificate (chain) for mutual TLS.
    pub client_cert: Option<PathBuf>,
    /// PEM file of the client certificate's private key.
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate.
    pub insecure: bool,
}

/// Everything that makes two clients different.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct ClientOptions {
    /// TLS settings.
    pub tls: TlsOptions,
    /// Whether reqwest itself follows redirects (up to [`MAX_CLIENT_REDIRECTS`]).
    /// The web probes do not: they follow redirects themselves (see
    /// [`super::exchange`]) to report the chain and catch loops.
    pub follow_redirects: bool,
}

/// A DNS resolver for the clients (the run's shared cache, say).
pub type Resolver = Arc<dyn reqwest::dns::Resolve>;

/// The clients of one run, by options.
#[derive(Default)]
pub struct Clients {
    built: Mutex<HashMap<ClientOptions, Result<reqwest::Client, String>>>,
}

impl Clients {
    /// The client for `options`, built on first use (resolving names with
    /// `resolver`, else the system's). A client that could not be built stays
    /// an error for the rest of the run (the same files would fail again).
    pub fn get(
        &self,
        options: &ClientOptions,
        resolver: Option<&Resolver>,
    ) -> Result<reqwest::Client, String> {
        let mut built = self.built.lock().unwrap_or_else(PoisonError::into_inner);
        built
            .entry(options.clone())
            .or_insert_with(|| build(options, resolver))
            .clone()
    }
}

/// Builds a client: rustls, the system's roots (or `ca_file`), connection reuse,
/// proxies from the environment.
pub fn build(
    options: &ClientOptions,
    resolver: Option<&Resolver>,
) -> Result<reqwest::Client, String> {
    let policy = if options.follow_redirects {
        reqwest::redirect::Policy::limited(MAX_CLIENT_REDIRECTS)
    } else {
        reqwest::redirect::Policy::none()
    };
    let mut builder = reqwest::Client::builder()
        .user_agent(concat!("candlefish/", env!("CARGO_PKG_VERSION")))
        .redirect(policy)
        .pool_idle_timeout(Duration::from_secs(30));
    if let Some(resolver) = resolver {
        builder = builder.dns_resolver(Arc::clone(resolver));
    }
    let tls = &options.tls;
    if let Some(path) = &tls.ca_file {
        let pem = read_pem(path, "ca_file")?;
        let roots = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("ca_file {}: {}", path.display(), root_cause(&e)))?;
        if roots.is_empty() {
            return Err(format!(
                "ca_file {}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)",
                path.display()
            ));
        }
        builder = builder.tls_certs_only(roots);
    }
    match (&tls.client_cert, &tls.client_key) {
        (Some(cert), Some(key)) => {
            let mut pem = read_pem(cert, "client_cert")?;
            pem.push(b'\n');
            pem.extend(read_pem(key, "client_key")?);
            let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
                format!(
                    "client_cert {} with client_key {}: {}",
                    cert.display(),
                    key.display(),
                    root_cause(&e)
                )
            })?;
            builder = builder.identity(identity);
        }
        (None, None) => {}
        _ => return Err("client_cert and client_key go together".to_owned()),
    }
    if tls.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    builder
        .build()
        .map_err(|e| format!("could not create the HTTP client: {}", root_cause(&e)))
}

/// Reads a PEM file, at most 1 MiB; errors name the field and the path, never the content.
fn read_pem(path: &Path, field: &str) -> Result<Vec<u8>, String> {
    const MAX_PEM: u64 = 1 << 20;
    crate::bounded::read_at_most(path, MAX_PEM, "a PEM file").map_err(|e| match e {
        crate::bounded::ReadError::Io { path, error } => format!("{field} {path}: {error}"),
        crate::bounded::ReadError::TooLarge { path, problem } => {
            format!("{field} {path}: {problem}")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_shared_per_options() {
        let clients = Clients::default();
        let plain = ClientOptions::default();
        assert!(clients.get(&plain, None).is_ok());
        assert!(clients.get(&plain, None).is_ok());
        let missing = ClientOptions {
            tls: TlsOptions {
                ca_file: Some(PathBuf::from("/nonexistent/candlefish-ca.pem")),
                ..TlsOptions::default()
            },
            follow_redirects: false,
        };
        let err = clients.get(&missing, None).unwrap_err();
        assert!(
            err.starts_with("ca_file /nonexistent/candlefish-ca.pem: "),
            "{err}"
        );
        assert_eq!(clients.built.lock().unwrap().len(), 2);
    }

    #[test]
    fn a_file_without_certificates_is_refused() {
        let dir = std::env::temp_dir().join(format!("candlefish-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("empty.pem");
        std::fs::write(&path, "not a certificate\n").unwrap();
        let options = ClientOptions {
            tls: TlsOptions {
                ca_file: Some(path.clone()),
                ..TlsOptions::default()
            },
            follow_redirects: false,
        };
        let err = build(&options, None).unwrap_err();
        assert!(err.contains("no PEM certificate"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
