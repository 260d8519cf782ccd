//! Connecting to PostgreSQL: the URL read without showing its password, the
//! `sslmode` as libpq means it (over rustls with aws-lc-rs), a session whose
//! statements are read-only and time out, and errors told without secrets.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use serde::Deserialize;
use tokio_postgres::config::SslMode as DriverSslMode;

use crate::probe::tls::verify::{file_roots, provider};

/// How the connection is protected, as libpq's `sslmode` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SslMode {
    /// Plain TCP.
    Disable,
    /// TLS, the certificate not checked (checked against `ca_file` when one
    /// is given, as libpq does); the probe then warns.
    Require,
    /// TLS with a certificate signed by a trusted CA, any host name.
    VerifyCa,
    /// TLS with a trusted certificate for the host connected to.
    VerifyFull,
}

impl SslMode {
    /// The name as written.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }

    fn parse(text: &str) -> Result<SslMode, String> {
        match text {
            "disable" => Ok(SslMode::Disable),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            "allow" | "prefer" => Err(format!(
                "sslmode `{text}` may fall back to plain text: choose disable, require, verify-ca or verify-full"
            )),
            other => Err(format!(
                "sslmode `{other}` is not one of disable, require, verify-ca, verify-full"
            )),
        }
    }
}

/// A connection URL taken apart: the driver's configuration without the TLS
/// parameters, which the probe handles itself.
#[derive(Debug, Clone)]
pub struct Target {
    /// The driver's configuration.
    pub config: tokio_postgres::Config,
    /// `sslmode` from the URL.
    pub sslmode: Option<SslMode>,
    /// `sslrootcert` from the URL.
    pub sslrootcert: Option<String>,
    /// `user@host:port/db`, for people.
    pub shown: String,
    /// `host:port`.
    pub host_port: String,
}

/// Reads a `postgres://` or `postgresql://` URL. Errors never quote it.
pub fn parse_url(url: &str) -> Result<Target, String> {
    let mut parsed = reqwest::Url::parse(url).map_err(|e| {
        format!("url is not a valid URL ({e}): write postgres://USER:PASSWORD@HOST:PORT/DATABASE")
    })?;
    if !matches!(parsed.scheme(), "postgres" | "postgresql") {
        return Err(format!(
            "url has scheme `{}`: the postgres probe takes postgres:// or postgresql://",
            parsed.scheme()
        ));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err("url names no host: write postgres://USER:PASSWORD@HOST:PORT/DATABASE".into());
    }
    let mut sslmode = None;
    let mut sslrootcert = None;
    let mut kept: Vec<(String, String)> = Vec::new();
    for (name, value) in parsed.query_pairs() {
        match name.as_ref() {
            "sslmode" => sslmode = Some(SslMode::parse(&value)?),
            "sslrootcert" => sslrootcert = Some(value.into_owned()),
            "sslnegotiation"
            | "channel_binding"
            | "application_name"
            | "target_session_attrs"
            | "keepalives"
            | "keepalives_idle"
            | "load_balance_hosts"
            | "user"
            | "dbname"
            | "port"
            | "host"
            | "hostaddr" => {
                kept.push((name.into_owned(), value.into_owned()));
            }
            "password" => {
                return Err(
                    "url carries password= as a parameter: put it in the user info (postgres://USER:PASSWORD@HOST/DB)"
                        .into(),
                );
            }
            other => return Err(format!("url parameter `{other}` is not supported here")),
        }
    }
    parsed.set_query(None);
    if !kept.is_empty() {
        parsed.query_pairs_mut().extend_pairs(kept);
    }
    let config = tokio_postgres::Config::from_str(parsed.as_str())
        .map_err(|e| format!("url is not a PostgreSQL connection URL: {}", cause(&e)))?;
    let host = parsed.host_str().unwrap_or_default().to_owned();
    let port = parsed.port().unwrap_or(5432);
    let user = config.get_user().unwrap_or("");
    let db = config.get_dbname().unwrap_or(user);
    let at = if user.is_empty() {
        String::new()
    } else {
        format!("{user}@")
    };
    Ok(Target {
        shown: format!("{at}{host}:{port}/{db}"),
        host_port: format!("{host}:{port}"),
        config,
        sslmode,
        sslrootcert,
    })
}

/// A session: the client, and the task driving its connection (aborted
/// when the session is dropped, so a deadline leaves nothing running).
pub struct Session {
    /// The client.
    pub client: tokio_postgres::Client,
    driver: tokio::task::JoinHandle<()>,
    /// What TLS gave: `None` for plain TCP, else whether the certificate was verified.
    pub tls: Option<bool>,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

/// Everything needed to open a session.
pub struct Connect<'a> {
    /// The parsed URL.
    pub target: &'a Target,
    /// The effective sslmode.
    pub sslmode: SslMode,
    /// The CA file (resolved), if any.
    pub ca_file: Option<String>,
    /// The statement timeout.
    pub statement_timeout: Duration,
    /// The connect timeout.
    pub connect_timeout: Duration,
}

/// Opens a session whose transactions are read-only unless a statement says
/// otherwise, and whose statements stop after `statement_timeout`.
pub async fn open(
    how: Connect<'_>,
    system_roots: impl FnOnce() -> RootsResult,
) -> Result<Session, String> {
    let mut config = how.target.config.clone();
    let ms = how.statement_timeout.as_millis().max(1);
    config
        .options(format!(
            "-c statement_timeout={ms} -c lock_timeout={ms} -c default_transaction_read_only=on -c idle_in_transaction_session_timeout={}",
            ms.saturating_mul(4)
        ))
        .application_name("candlefish")
        .connect_timeout(how.connect_timeout);
    crate::probe::stage(format!(
        "connecting to PostgreSQL at {}",
        how.target.host_port
    ));
    let (client, driver, tls) = if how.sslmode == SslMode::Disable {
        config.ssl_mode(DriverSslMode::Disable);
        let (client, connection) = config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|e| describe(&e, &how.target.host_port))?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        (client, driver, None)
    } else {
        config.ssl_mode(DriverSslMode::Require);
        let verified = !matches!((how.sslmode, &how.ca_file), (SslMode::Require, None));
        let verifier = verifier(how.sslmode, how.ca_file.as_deref(), system_roots)?;
        let tls = rustls::ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS configuration: {e}"))?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let (client, connection) = config
            .connect(tokio_postgres_rustls::MakeRustlsConnect::new(tls))
            .await
            .map_err(|e| describe(&e, &how.target.host_port))?;
        let driver = tokio::spawn(async move {
            let _ = connection.await;
        });
        (client, driver, Some(verified))
    };
    Ok(Session {
        client,
        driver,
        tls,
    })
}

/// The system's trust store, or why there is none.
pub type RootsResult = Result<Arc<rustls::RootCertStore>, String>;

fn verifier(
    mode: SslMode,
    ca_file: Option<&str>,
    system_roots: impl FnOnce() -> RootsResult,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    if mode == SslMode::Require && ca_file.is_none() {
        // Any certificate; handshake signatures are still checked.
        return Ok(Arc::new(crate::probe::web::tls::AcceptAny(provider())));
    }
    let roots = match ca_file {
        Some(path) => file_roots(path)?,
        None => system_roots()?,
    };
    let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider())
        .build()
        .map_err(|e| format!("TLS configuration: {e}"))?;
    Ok(Arc::new(Checked {
        webpki,
        check_name: mode == SslMode::VerifyFull,
    }))
}

/// Verifies the chain, and the host name when `check_name` (verify-full).
#[derive(Debug)]
struct Checked {
    webpki: Arc<WebPkiServerVerifier>,
    check_name: bool,
}

impl ServerCertVerifier for Checked {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The innermost message of an error.
fn cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// A driver error told to a person: the server's own message for database
/// errors (`FATAL: password authentication failed for user "app"`), the
/// innermost cause otherwise. Never the URL.
pub fn describe(error: &tokio_postgres::Error, place: &str) -> String {
    if let Some(db) = error.as_db_error() {
        let mut text = format!(
            "{}: {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        );
        if let Some(hint) = db.hint() {
            text.push_str(&format!("; hint: {hint}"));
        }
        return text;
    }
    let inner = cause(error);
    let outer = error.to_string();
    let lower = inner.to_ascii_lowercase();
    if lower.contains("connection refused") {
        format!("connection refused ({place})")
    } else if lower.contains("timed out") || outer.contains("timeout") {
        format!("timed out connecting to {place}")
    } else if lower.contains("not valid for name") {
        let host = place.rsplit_once(':').map_or(place, |(h, _)| h);
        format!(
            "the TLS certificate of {place} does not name {host} ({}): connect by a name it holds, or use sslmode: verify-ca",
            inner.trim_start_matches("invalid peer certificate: ")
        )
    } else if lower.contains("invalid peer certificate") {
        format!(
            "the TLS certificate of {place} is not trusted ({}): for a private CA, set ca_file",
            inner.trim_start_matches("invalid peer certificate: ")
        )
    } else if lower.contains("server does not support tls") {
        format!("{place} does not offer TLS: use sslmode: disable only on a trusted network")
    } else if lower.contains("failed to lookup") || lower.contains("name or service not known") {
        crate::probe::web::error::unresolved(place, &inner)
    } else if outer == inner {
        format!("{inner} ({place})")
    } else {
        format!("{outer}: {inner} ({place})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_read_without_their_tls_parameters() {
        let t = parse_url("postgres://app:s3cr%40t@db.example.com:6543/shop?sslmode=verify-ca&sslrootcert=/ca.pem&application_name=x").unwrap();
        assert_eq!(t.shown, "app@db.example.com:6543/shop");
        assert_eq!(t.sslmode, Some(SslMode::VerifyCa));
        assert_eq!(t.sslrootcert.as_deref(), Some("/ca.pem"));
        assert_eq!(t.config.get_password(), Some(&b"s3cr@t"[..]));
        let plain = parse_url("postgresql://u@h/").unwrap();
        assert_eq!(plain.shown, "u@h:5432/u");
    }

    #[test]
    fn bad_urls_never_quote_the_password() {
        for url in [
            "mysql://app:hunter22@h/db",
            "postgres://app:hunter22@h/db?sslmode=prefer",
            "postgres://app:hunter22@h/db?password=hunter22",
            "postgres://app:hunter22@h/db?frobnicate=1",
            "postgres://app:hunter22@h:99999/db",
        ] {
            let err = parse_url(url).unwrap_err();
            assert!(!err.contains("hunter22"), "{err}");
        }
    }
}
