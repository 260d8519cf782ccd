//! HTTP clients: one per distinct TLS configuration (custom CA, client
//! certificate, verification off) and redirect policy, built on first use and
//! shared by every probe of a run, so probes to one host reuse connections.
//!
//! Proxies come from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
//! `NO_PROXY`, upper or lower case), as curl reads them; reqwest does this when
//! no proxy is configured in code, and nothing here configures one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::probe::web::error::root_cause;

/// The most redirects reqwest's own policy follows, for callers that ask for it.
pub const MAX_CLIENT_REDIRECTS: usize = 10;

pub use super::tls::TlsOptions;

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

/// Builds a client: rustls configured by [`super::tls`] (the system's roots or
/// `ca_file`, a client certificate, or `insecure`), the connecting stage named
/// ([`super::stages`]), connection reuse, proxies from the environment.
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
    let tls = super::tls::client_config(&options.tls)?;
    builder = builder
        .tls_backend_preconfigured(tls)
        .connector_layer(super::stages::ConnectStages);
    builder
        .build()
        .map_err(|e| format!("could not create the HTTP client: {}", root_cause(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_are_shared_per_options() {
        use std::path::PathBuf;
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
