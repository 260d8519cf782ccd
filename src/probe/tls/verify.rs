//! Certificate verification that records instead of aborting: the handshake
//! goes on whatever the chain looks like, and the probe judges afterwards what
//! the verifier saw. Also the trust stores (system roots, a `ca_file`) and the
//! rustls client configuration every web probe uses.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_cert_signed_by_trust_anchor, verify_server_name};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

/// The largest `ca_file` read, in bytes.
pub const MAX_CA_FILE: u64 = 1 << 20;

/// The one crypto provider: aws-lc-rs, as reqwest uses.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The operating system's trust store.
pub fn system_roots() -> Result<Arc<RootCertStore>, String> {
    let found = rustls_native_certs::load_native_certs();
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = found
            .errors
            .first()
            .map(|e| format!(": {e}"))
            .unwrap_or_default();
        return Err(format!(
            "no trusted root certificates found on this machine{why} (install ca-certificates, or give ca_file)"
        ));
    }
    Ok(Arc::new(roots))
}

/// The certificates of a PEM file, as a trust store.
pub fn file_roots(path: &str) -> Result<Arc<RootCertStore>, String> {
    let bytes =
        crate::bounded::read_at_most(std::path::Path::new(path), MAX_CA_FILE, "a CA bundle")
            .map_err(|e| match e {
                crate::bounded::ReadError::Io { error, .. } => format!("ca_file `{path}`: {error}"),
                crate::bounded::ReadError::TooLarge { problem, .. } => {
                    format!("ca_file `{path}` {problem}")
                }
            })?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| format!("ca_file `{path}` is not valid PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("ca_file `{path}` holds an unusable certificate: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!(
            "ca_file `{path}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        ));
    }
    Ok(Arc::new(roots))
}

/// What the verifier saw during one handshake.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// The presented chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// Whether the chain leads to a trusted root (expiry aside, see [`Recorder`]).
    pub trust: Option<Result<(), rustls::Error>>,
    /// Whether the leaf covers the server name.
    pub name: Option<Result<(), rustls::Error>>,
}

/// A verifier that records the chain and what verification said, and lets the
/// handshake go on. Handshake signatures are still checked for real.
#[derive(Debug)]
pub struct Recorder {
    roots: Result<Arc<RootCertStore>, String>,
    algorithms: WebPkiSupportedAlgorithms,
    seen: Mutex<Seen>,
}

impl Recorder {
    /// A recorder judging chains against `roots` (or explaining why there are none).
    pub fn new(roots: Result<Arc<RootCertStore>, String>, provider: &CryptoProvider) -> Self {
        Recorder {
            roots,
            algorithms: provider.signature_verification_algorithms,
            seen: Mutex::new(Seen::default()),
        }
    }

    /// What was recorded.
    pub fn seen(&self) -> Seen {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn trust(
        &self,
        leaf: &ParsedCertificate<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
        not_after: Option<u64>,
    ) -> Result<(), rustls::Error> {
        let roots = match &self.roots {
            Ok(roots) => roots,
            Err(e) => return Err(rustls::Error::General(e.clone())),
        };
        let at = |time| {
            verify_server_cert_signed_by_trust_anchor(
                leaf,
                roots,
                intermediates,
                time,
                self.algorithms.all,
            )
        };
        match at(now) {
            // Expiry is judged on its own (days left): ask whether the chain
            // would be trusted while the leaf was still valid.
            Err(rustls::Error::InvalidCertificate(
                CertificateError::Expired | CertificateError::ExpiredContext { .. },
            )) if not_after.is_some() => {
                let inside = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                    not_after.unwrap_or_default().saturating_sub(1),
                ));
                at(inside)
            }
            other => other,
        }
    }
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let mut seen = Seen {
            chain: std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect(),
            ..Seen::default()
        };
        match ParsedCertificate::try_from(end_entity) {
            Ok(leaf) => {
                let not_after = super::cert::not_after(end_entity);
                seen.trust = Some(self.trust(&leaf, intermediates, now, not_after));
                seen.name = Some(verify_server_name(&leaf, server_name));
            }
            Err(e) => seen.trust = Some(Err(e)),
        }
        if let Ok(mut slot) = self.seen.lock() {
            *slot = seen;
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// A client configuration (TLS 1.2 and 1.3) that records through `recorder`.
pub fn recording_config(
    provider: Arc<CryptoProvider>,
    recorder: Arc<Recorder>,
) -> Result<rustls::ClientConfig, String> {
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(recorder)
        .with_no_client_auth())
}
