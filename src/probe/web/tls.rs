//! The one TLS block every web probe takes (`tls: { ca_file, client_cert,
//! client_key, insecure }`), and the rustls client configuration built from
//! it: the system's roots (or only `ca_file`'s), a client certificate, or no
//! verification at all; ALPN for HTTP/2 and 1.1; and a session store that
//! tells the probe's stage when a handshake begins.
//!
//! ```yaml
//! probe:
//!   cors:
//!     url: https://api.internal.example/graphql
//!     allow: [https://app.internal.example]
//!     tls: { ca_file: /etc/ssl/internal-ca.pem }
//! ```
//!
//! The system's roots are read by the platform verifier, which on Linux reads
//! the OpenSSL locations through rustls-native-certs: `SSL_CERT_FILE` (a PEM
//! bundle) and `SSL_CERT_DIR` (directories of PEM files), when set, replace
//! the system's store for every probe of the run.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{
    ClientSessionMemoryCache, ClientSessionStore, Resumption, Tls12ClientSessionValue,
    Tls13ClientSessionValue, WebPkiServerVerifier,
};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, NamedGroup, RootCertStore, SignatureScheme};
use serde::Deserialize;

use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::soft_check;

/// TLS settings of a web probe, written as `tls:` beside `url`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsBlock {
    /// A PEM file of certificate authorities to trust **instead of** the
    /// system's (for a private CA) (default: the system's roots).
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// A PEM client certificate (chain) for mutual TLS; needs `client_key` (default none).
    #[serde(default)]
    pub client_cert: Option<Text>,
    /// The PEM private key of `client_cert` (default none).
    #[serde(default)]
    pub client_key: Option<Text>,
    /// Accept any server certificate (default `false`); the probe then warns at best.
    #[serde(default)]
    pub insecure: bool,
}

/// The settings that make a client different, as plain paths.
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

impl TlsBlock {
    /// The options a client is built (and shared) for.
    pub fn options(&self) -> TlsOptions {
        let path = |t: &Option<Text>| t.as_ref().map(|t| PathBuf::from(t.as_str()));
        TlsOptions {
            ca_file: path(&self.ca_file),
            client_cert: path(&self.client_cert),
            client_key: path(&self.client_key),
            insecure: self.insecure,
        }
    }

    /// The options, with relative paths resolved against the checklist's
    /// directory (as every path a probe reads is).
    pub fn options_in(&self, ctx: &crate::probe::Context) -> TlsOptions {
        let mut options = self.options();
        for path in [
            &mut options.ca_file,
            &mut options.client_cert,
            &mut options.client_key,
        ]
        .into_iter()
        .flatten()
        {
            *path = ctx.resolve(path);
        }
        options
    }

    /// Settings that cannot work together, for `Probe::validate`.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        match (&self.client_cert, &self.client_key) {
            (Some(_), None) => problems.push("tls: client_cert needs client_key".to_owned()),
            (None, Some(_)) => problems.push("tls: client_key needs client_cert".to_owned()),
            _ => {}
        }
        if self.insecure && self.ca_file.is_some() {
            problems.push(
                "tls: insecure: true checks no certificate, so ca_file would be ignored: choose one"
                    .to_owned(),
            );
        }
        problems
    }

    /// With `insecure: true`, the check that keeps the probe from passing:
    /// nothing verified without certificates is green.
    pub fn insecure_check(&self) -> Option<Check> {
        self.insecure.then(|| {
            soft_check(
                false,
                "TLS certificates verified",
                "insecure: true (certificate checks are off)",
            )
        })
    }

    /// `finding` with the insecure check added: a pass becomes a warning, its
    /// summary kept after the warning.
    pub fn judge(&self, finding: crate::probe::Finding) -> crate::probe::Finding {
        match self.insecure_check() {
            Some(warning) if finding.verdict == crate::outcome::Verdict::Pass => {
                let mut checks = finding.checks;
                checks.push(warning);
                let context = format!("({})", finding.evidence);
                crate::probe::Finding::from_checks(checks, &finding.evidence, &context)
            }
            _ => finding,
        }
    }
}

/// The rustls configuration for `options`: TLS 1.2 and 1.3 through aws-lc-rs.
pub fn client_config(options: &TlsOptions) -> Result<rustls::ClientConfig, String> {
    let provider = crate::probe::tls::verify::provider();
    let verifier: Arc<dyn ServerCertVerifier> = if options.insecure {
        Arc::new(AcceptAny(Arc::clone(&provider)))
    } else if let Some(path) = &options.ca_file {
        let roots = file_roots(path)?;
        WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
            .build()
            .map_err(|e| format!("ca_file {}: {e}", path.display()))?
    } else {
        Arc::new(SystemRoots::new(Arc::clone(&provider)))
    };
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match (&options.client_cert, &options.client_key) {
        (Some(cert), Some(key)) => {
            let certs = CertificateDer::pem_slice_iter(&read_pem(cert, "client_cert")?)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("client_cert {}: {e}", cert.display()))?;
            if certs.is_empty() {
                return Err(format!(
                    "client_cert {}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)",
                    cert.display()
                ));
            }
            let private = PrivateKeyDer::from_pem_slice(&read_pem(key, "client_key")?)
                .map_err(|e| format!("client_key {}: {e}", key.display()))?;
            builder.with_client_auth_cert(certs, private).map_err(|e| {
                format!(
                    "client_cert {} with client_key {}: {e}",
                    cert.display(),
                    key.display()
                )
            })?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => return Err("tls: client_cert and client_key go together".to_owned()),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.resumption =
        Resumption::store(Arc::new(StagedSessions(ClientSessionMemoryCache::new(256))));
    Ok(config)
}

/// The certificates of `ca_file`, as the only trust store.
fn file_roots(path: &Path) -> Result<Arc<RootCertStore>, String> {
    let pem = read_pem(path, "ca_file")?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("ca_file {}: {e}", path.display()))?;
        roots.add(cert).map_err(|e| {
            format!(
                "ca_file {} holds an unusable certificate: {e}",
                path.display()
            )
        })?;
    }
    if roots.is_empty() {
        return Err(format!(
            "ca_file {}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Ok(Arc::new(roots))
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

/// `insecure: true`: any certificate is accepted; handshake signatures are
/// still checked, so the peer holds the key of what it presented.
/// Also the postgres probe's `sslmode=require` without a CA.
#[derive(Debug)]
pub(crate) struct AcceptAny(pub(crate) Arc<CryptoProvider>);

/// The system's trust store, read at the first certificate it is asked to
/// verify: a run that makes no TLS handshake (plain `http://` probes) never
/// reads it, which matters where `SSL_CERT_DIR` holds hundreds of files.
/// A store that cannot be read fails each handshake with the reason.
#[derive(Debug)]
struct SystemRoots {
    provider: Arc<CryptoProvider>,
    built: OnceLock<Result<rustls_platform_verifier::Verifier, String>>,
}

impl SystemRoots {
    fn new(provider: Arc<CryptoProvider>) -> Self {
        SystemRoots {
            provider,
            built: OnceLock::new(),
        }
    }

    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.built
            .get_or_init(|| {
                rustls_platform_verifier::Verifier::new(Arc::clone(&self.provider))
                    .map_err(|e| format!("the system's trust store: {e}"))
            })
            .as_ref()
            .map_err(|why| rustls::Error::General(why.clone()))
    }
}

impl ServerCertVerifier for SystemRoots {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.verifier()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        // What the platform verifier answers too: the provider's algorithms.
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ServerCertVerifier for AcceptAny {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

/// rustls's session cache, which rustls asks for a key-share hint as it
/// writes the ClientHello: the moment the TCP connection is up and the TLS
/// handshake begins, which the probe's stage then says.
#[derive(Debug)]
struct StagedSessions(ClientSessionMemoryCache);

impl ClientSessionStore for StagedSessions {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        self.0.set_kx_hint(server_name, group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        super::stages::handshake_started(&server_name.to_str());
        self.0.kx_hint(server_name)
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        self.0.set_tls12_session(server_name, value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        self.0.tls12_session(server_name)
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        self.0.remove_tls12_session(server_name);
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        self.0.insert_tls13_ticket(server_name, value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        self.0.take_tls13_ticket(server_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(yaml: &str) -> TlsBlock {
        serde_saphyr::from_str(yaml).unwrap()
    }

    #[test]
    fn the_block_is_checked_as_a_whole() {
        assert_eq!(
            block("{ client_cert: c.pem, insecure: true, ca_file: ca.pem }").problems(),
            [
                "tls: client_cert needs client_key",
                "tls: insecure: true checks no certificate, so ca_file would be ignored: choose one",
            ]
        );
        assert!(block("{ ca_file: ca.pem }").problems().is_empty());
        assert!(serde_saphyr::from_str::<TlsBlock>("{ cafile: x }").is_err());
    }

    #[test]
    fn insecure_turns_a_pass_into_a_warning_that_keeps_the_summary() {
        let pass = crate::probe::Finding::from_checks(
            vec![crate::probe::expect::check(true, "a", "a")],
            "200 OK",
            "",
        );
        let judged = block("{ insecure: true }").judge(pass.clone());
        assert_eq!(judged.verdict, crate::outcome::Verdict::Warn);
        assert_eq!(
            judged.evidence,
            "expected TLS certificates verified, got insecure: true (certificate checks are off) (200 OK)"
        );
        assert_eq!(block("{}").judge(pass.clone()), pass);
    }

    #[test]
    fn a_missing_file_is_named() {
        let options = block("{ ca_file: /nonexistent/candlefish-ca.pem }").options();
        let err = client_config(&options).unwrap_err();
        assert!(
            err.starts_with("ca_file /nonexistent/candlefish-ca.pem: "),
            "{err}"
        );
    }
}
