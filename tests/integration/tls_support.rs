//! TLS test helpers, for any test that needs certificates or a TLS server:
//! certificates generated with rcgen (a test CA, leaves it signs, self-signed
//! ones, any validity window), PEM files for servers such as nginx or
//! `openssl s_server`, and an in-process rustls server on 127.0.0.1.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::AsyncWriteExt;

/// When a certificate is valid, in whole days relative to today (UTC).
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    pub from_days: i64,
    pub to_days: i64,
}

impl Validity {
    /// Valid since yesterday, for 90 more days.
    pub fn current() -> Self {
        Validity {
            from_days: -1,
            to_days: 90,
        }
    }

    /// Valid since a month ago, expiring in `days` days.
    pub fn expiring_in(days: i64) -> Self {
        Validity {
            from_days: -30,
            to_days: days,
        }
    }

    /// Expired `days` days ago.
    pub fn expired(days: i64) -> Self {
        Validity {
            from_days: -90,
            to_days: -days,
        }
    }
}

fn params(names: &[&str], common_name: &str, validity: Validity) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("certificate parameters");
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    let date = |offset: i64| {
        let d = jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .checked_add(jiff::Span::new().days(offset))
            .expect("date in range");
        rcgen::date_time_ymd(i32::from(d.year()), d.month() as u8, d.day() as u8)
    };
    params.not_before = date(validity.from_days);
    params.not_after = date(validity.to_days);
    params
}

/// A certificate with its private key.
pub struct Cert {
    /// The certificate chain, leaf first (the leaf alone unless built by a CA).
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key, PKCS#8 DER.
    pub key: Vec<u8>,
    /// The chain as PEM, leaf first.
    pub chain_pem: String,
    /// The private key as PEM.
    pub key_pem: String,
}

impl Cert {
    /// A self-signed certificate for `names` (DNS names or IP addresses).
    pub fn self_signed(names: &[&str], validity: Validity) -> Cert {
        let key = KeyPair::generate().expect("key");
        let cert = params(
            names,
            names.first().copied().unwrap_or("self-signed"),
            validity,
        )
        .self_signed(&key)
        .expect("self-signed certificate");
        Cert {
            chain: vec![cert.der().clone()],
            chain_pem: cert.pem(),
            key: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes `cert.pem` (the chain) and `key.pem` into `dir`.
    pub fn write(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &self.chain_pem).expect("write cert.pem");
        std::fs::write(&key, &self.key_pem).expect("write key.pem");
        (cert, key)
    }
}

/// A certificate authority for tests.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate as PEM.
    pub pem: String,
    /// The CA certificate as DER.
    pub der: CertificateDer<'static>,
}

impl TestCa {
    /// A new CA whose subject is `CN=<name>`.
    pub fn new(name: &str) -> TestCa {
        let key = KeyPair::generate().expect("CA key");
        let mut ca = params(
            &[],
            name,
            Validity {
                from_days: -365,
                to_days: 3650,
            },
        );
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let cert = ca.self_signed(&key).expect("CA certificate");
        TestCa {
            pem: cert.pem(),
            der: cert.der().clone(),
            issuer: Issuer::new(ca, key),
        }
    }

    /// A leaf for `names` signed by this CA; the chain holds the leaf alone,
    /// as servers send it when the CA is a root.
    pub fn leaf(&self, names: &[&str], validity: Validity) -> Cert {
        let key = KeyPair::generate().expect("leaf key");
        let cert = params(names, names.first().copied().unwrap_or("leaf"), validity)
            .signed_by(&key, &self.issuer)
            .expect("leaf certificate");
        Cert {
            chain: vec![cert.der().clone()],
            chain_pem: cert.pem(),
            key: key.serialize_der(),
            key_pem: key.serialize_pem(),
        }
    }

    /// Writes the CA certificate to `dir/<file>` and returns the path.
    pub fn write(&self, dir: &Path, file: &str) -> PathBuf {
        let path = dir.join(file);
        std::fs::write(&path, &self.pem).expect("write CA pem");
        path
    }
}

/// A rustls server configuration serving `cert` with the given protocol versions.
pub fn server_config(
    cert: &Cert,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            cert.chain.clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone())),
        )
        .expect("server certificate")
}

/// A TLS server on 127.0.0.1: completes handshakes, writes a line, closes.
pub struct TlsServer {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl TlsServer {
    /// Serves `cert` with TLS 1.2 and 1.3.
    pub fn start(cert: &Cert) -> TlsServer {
        TlsServer::with_versions(cert, rustls::ALL_VERSIONS)
    }

    /// Serves `cert` with only `versions`.
    pub fn with_versions(
        cert: &Cert,
        versions: &[&'static rustls::SupportedProtocolVersion],
    ) -> TlsServer {
        let runtime = runtime();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server_config(cert, versions)));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    if let Ok(mut tls) = acceptor.accept(tcp).await {
                        let _ = tls.write_all(b"hello\n").await;
                        let _ = tls.shutdown().await;
                    }
                });
            }
        });
        TlsServer {
            addr,
            _runtime: runtime,
        }
    }
}

/// A TCP server that accepts connections and never says anything: a TLS
/// handshake with it never completes.
pub struct SilentServer {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl SilentServer {
    pub fn start() -> SilentServer {
        let runtime = runtime();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        runtime.spawn(async move {
            let mut held = Vec::new();
            while let Ok((tcp, _)) = listener.accept().await {
                held.push(tcp);
            }
        });
        SilentServer {
            addr,
            _runtime: runtime,
        }
    }
}

/// A small multi-threaded runtime for a test server.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// Waits until something accepts connections on `addr` (a server started as a process).
pub fn wait_for_port(addr: SocketAddr, within: Duration) {
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            started.elapsed() < within,
            "nothing listens on {addr} after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A TCP server on 127.0.0.1 that runs `handler` for every connection: for
/// scripted peers (banners, trickles, floods).
pub struct TcpServer {
    pub addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

impl TcpServer {
    pub fn start<F, Fut>(handler: F) -> TcpServer
    where
        F: Fn(tokio::net::TcpStream) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let runtime = runtime();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let handler = Arc::new(handler);
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(handler(tcp));
            }
        });
        TcpServer {
            addr,
            _runtime: runtime,
        }
    }
}
