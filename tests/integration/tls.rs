//! The `tls` probe against TLS servers on 127.0.0.1 with certificates made in
//! the test: valid, expiring, expired, wrong host, self-signed, untrusted; a
//! server that never finishes the handshake; and TLS 1.0 detection against
//! `openssl s_server` (the binary; Candlefish links no OpenSSL).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::{Run, Server, item, refused_port};
use crate::tls_support::{Cert, SilentServer, TestCa, TlsServer, Validity, wait_for_port};

/// Runs a checklist with one item carrying `probe` (YAML, indented as a probe
/// mapping) and returns that probe's outcome.
pub fn outcome(probe: &str) -> serde_json::Value {
    let checklist = format!(
        "version: 1\nname: t\nsections:\n  - id: t\n    title: t\n    probe:\n{}\n",
        probe
            .lines()
            .map(|l| format!("      {l}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    assert!(
        ran.code == Some(0) || ran.code == Some(1),
        "check ran:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    item(&ran.json(), "t")["probes"][0].clone()
}

fn verdict(outcome: &serde_json::Value) -> &str {
    outcome["verdict"].as_str().unwrap_or_default()
}

fn evidence(outcome: &serde_json::Value) -> &str {
    outcome["evidence"].as_str().unwrap_or_default()
}

const CA_NAME: &str = "Candlefish Test CA";

/// A CA, its PEM file in a temp dir, and a server for a leaf it signed.
struct Fixture {
    dir: tempfile::TempDir,
    ca_file: String,
    server: TlsServer,
}

fn fixture(names: &[&str], validity: Validity) -> Fixture {
    let ca = TestCa::new(CA_NAME);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = ca.write(dir.path(), "ca.pem").display().to_string();
    let server = TlsServer::start(&ca.leaf(names, validity));
    Fixture {
        dir,
        ca_file,
        server,
    }
}

fn probe(addr: SocketAddr, extra: &str) -> String {
    format!(
        "tls: {{ host: 127.0.0.1, port: {}, sni: localhost{extra} }}",
        addr.port()
    )
}

#[test]
fn a_valid_chain_from_the_given_ca_is_green_with_its_details() {
    let f = fixture(&["localhost", "127.0.0.1"], Validity::current());
    let out = outcome(&probe(
        f.server.addr,
        &format!(", ca_file: '{}'", f.ca_file),
    ));
    assert_eq!(verdict(&out), "pass", "{out}");
    let e = evidence(&out);
    assert!(e.starts_with("TLS 1.3 in "), "{e}");
    assert!(
        e.contains(
            "certificate for localhost, 127.0.0.1 issued by CN=Candlefish Test CA, expires "
        ),
        "{e}"
    );
    let checks = out["checks"].to_string();
    assert!(checks.contains("TLS 1.0 and 1.1 refused"), "{checks}");
    assert!(checks.contains("ECDSA P-256"), "{checks}");
    drop(f.dir);
}

#[test]
fn expiry_warns_under_30_days_and_fails_under_14() {
    let soon = fixture(&["localhost"], Validity::expiring_in(5));
    let out = outcome(&probe(
        soon.server.addr,
        &format!(", ca_file: '{}'", soon.ca_file),
    ));
    assert_eq!(verdict(&out), "fail", "{out}");
    let e = evidence(&out);
    assert!(
        e.starts_with("expected more than 14 days before expiry, got expires "),
        "{e}"
    );
    assert!(
        e.contains("(certificate for localhost issued by CN=Candlefish Test CA)"),
        "{e}"
    );

    let later = fixture(&["localhost"], Validity::expiring_in(20));
    let out = outcome(&probe(
        later.server.addr,
        &format!(", ca_file: '{}'", later.ca_file),
    ));
    assert_eq!(verdict(&out), "warn", "{out}");
    assert!(
        evidence(&out).starts_with("expected more than 30 days before expiry, got expires "),
        "{out}"
    );
}

#[test]
fn an_expired_certificate_is_red_and_says_when() {
    let f = fixture(&["localhost"], Validity::expired(3));
    let out = outcome(&probe(
        f.server.addr,
        &format!(", ca_file: '{}'", f.ca_file),
    ));
    assert_eq!(verdict(&out), "fail", "{out}");
    let e = evidence(&out);
    assert!(e.contains("got expired "), "{e}");
    assert!(e.contains("days ago)"), "{e}");
    // Apart from its age the chain is trusted: only the expiry is blamed.
    assert!(!e.contains("trusted"), "{e}");
}

#[test]
fn a_certificate_for_another_host_is_red() {
    let f = fixture(&["other.test"], Validity::current());
    let out = outcome(&probe(
        f.server.addr,
        &format!(", ca_file: '{}'", f.ca_file),
    ));
    assert_eq!(verdict(&out), "fail", "{out}");
    assert!(
        evidence(&out).starts_with("expected a certificate for localhost, got one for other.test"),
        "{out}"
    );
}

#[test]
fn a_self_signed_certificate_is_red() {
    let server = TlsServer::start(&Cert::self_signed(&["localhost"], Validity::current()));
    let out = outcome(&probe(server.addr, ""));
    assert_eq!(verdict(&out), "fail", "{out}");
    assert!(
        evidence(&out).starts_with(
            "expected a chain trusted by the system roots, got a self-signed certificate (CN=localhost)"
        ),
        "{out}"
    );
}

#[test]
fn a_chain_to_a_ca_nobody_trusts_is_red() {
    let f = fixture(&["localhost"], Validity::current());
    let out = outcome(&probe(f.server.addr, ""));
    assert_eq!(verdict(&out), "fail", "{out}");
    assert!(
        evidence(&out).starts_with(
            "expected a chain trusted by the system roots, got an unknown issuer (CN=Candlefish Test CA)"
        ),
        "{out}"
    );
}

#[test]
fn an_old_protocol_and_the_wrong_key_type_are_red() {
    let ca = TestCa::new(CA_NAME);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = ca.write(dir.path(), "ca.pem").display().to_string();
    let server = TlsServer::with_versions(
        &ca.leaf(&["localhost"], Validity::current()),
        &[&rustls::version::TLS12],
    );
    let out = outcome(&probe(
        server.addr,
        &format!(", ca_file: '{ca_file}', min_version: 1.3, key_type: rsa"),
    ));
    assert_eq!(verdict(&out), "fail", "{out}");
    assert!(
        evidence(&out).starts_with(
            "expected TLS 1.3 or newer, got TLS 1.2; expected an RSA key, got ECDSA P-256"
        ),
        "{out}"
    );
}

#[test]
fn a_handshake_that_never_completes_is_red_in_bounded_time() {
    let silent = SilentServer::start();
    let out = outcome(&format!(
        "tls: {{ host: 127.0.0.1, port: {} }}\ntimeout: 1s",
        silent.addr.port()
    ));
    assert_eq!(verdict(&out), "error", "{out}");
    assert!(
        evidence(&out)
            .starts_with("no answer within 1s (timeout) in the TLS handshake with 127.0.0.1:"),
        "{}",
        evidence(&out)
    );
}

#[test]
fn a_port_without_tls_or_without_anyone_is_explained() {
    let http = Server::start();
    let out = outcome(&format!(
        "tls: {{ host: 127.0.0.1, port: {} }}",
        http.addr.port()
    ));
    assert_eq!(verdict(&out), "fail", "{out}");
    assert!(
        evidence(&out).starts_with("expected a TLS handshake, got "),
        "{out}"
    );
    let port = refused_port();
    let out = outcome(&format!("tls: {{ host: 127.0.0.1, port: {port} }}"));
    assert_eq!(verdict(&out), "error", "{out}");
    assert_eq!(
        evidence(&out),
        format!("connection refused (127.0.0.1:{port})")
    );
}

/// `openssl s_server` on 127.0.0.1, killed when dropped.
struct OpensslServer {
    child: Child,
    addr: SocketAddr,
    _dir: tempfile::TempDir,
}

impl OpensslServer {
    fn start(cert: &Cert, protocol_args: &[&str]) -> OpensslServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let (cert_path, key_path) = cert.write(dir.path());
        let port = refused_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let child = Command::new("openssl")
            .arg("s_server")
            .args(["-accept", &addr.to_string()])
            .arg("-cert")
            .arg(&cert_path)
            .arg("-key")
            .arg(&key_path)
            .args(protocol_args)
            // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level.
            .args(["-cipher", "DEFAULT:@SECLEVEL=0", "-quiet"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("the TLS 1.0 tests need the openssl binary (apt-get install openssl; scripts/test installs it): {e}")
            });
        wait_for_port(addr, Duration::from_secs(10));
        OpensslServer {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_server_that_still_accepts_tls_1_0_is_flagged() {
    let ca = TestCa::new(CA_NAME);
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = ca.write(dir.path(), "ca.pem").display().to_string();
    let server = OpensslServer::start(
        &ca.leaf(&["localhost"], Validity::current()),
        &["-min_protocol", "TLSv1"],
    );
    let out = outcome(&probe(server.addr, &format!(", ca_file: '{ca_file}'")));
    assert_eq!(verdict(&out), "fail", "{out}");
    let e = evidence(&out);
    assert!(
        e.starts_with("expected TLS 1.0 and 1.1 refused, got TLS 1.1 accepted"),
        "{e}"
    );
    assert!(e.contains("issued by CN=Candlefish Test CA"), "{e}");
}

#[test]
fn a_server_that_only_speaks_tls_1_0_fails_the_handshake_and_the_legacy_check() {
    let server = OpensslServer::start(
        &Cert::self_signed(&["localhost"], Validity::current()),
        &["-tls1"],
    );
    let out = outcome(&probe(server.addr, ""));
    assert_eq!(verdict(&out), "fail", "{out}");
    let e = evidence(&out);
    assert!(
        e.starts_with("expected TLS 1.2 or newer, got TLS 1.0 at most (the server accepts TLS 1.0 and refused TLS 1.2 and 1.3 (alert "),
        "{e}"
    );
    assert!(
        e.contains("; Candlefish speaks TLS 1.2 and 1.3 only); expected TLS 1.0 and 1.1 refused, got TLS 1.0 accepted"),
        "{e}"
    );
}

#[test]
fn min_version_1_0_against_a_tls_1_0_only_server_says_why_nothing_was_inspected() {
    let server = OpensslServer::start(
        &Cert::self_signed(&["localhost"], Validity::current()),
        &["-tls1"],
    );
    let out = outcome(&probe(server.addr, ", min_version: 1.0"));
    assert_eq!(verdict(&out), "error", "{out}");
    let e = evidence(&out);
    assert!(
        e.starts_with("the server accepts TLS 1.0 and refused TLS 1.2 and 1.3 (alert "),
        "{e}"
    );
    assert!(
        e.ends_with(
            "; Candlefish speaks TLS 1.2 and 1.3 only, so it cannot inspect the certificate"
        ),
        "{e}"
    );
}

#[test]
fn a_modern_server_is_not_flagged_for_legacy_versions() {
    let server = OpensslServer::start(
        &Cert::self_signed(&["localhost"], Validity::current()),
        &["-min_protocol", "TLSv1.2"],
    );
    let out = outcome(&probe(server.addr, ""));
    let legacy = out["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["expected"] == "TLS 1.0 and 1.1 refused")
        .cloned()
        .unwrap_or_else(|| panic!("no legacy check in {out}"));
    assert_eq!(legacy["verdict"], "pass", "{legacy}");
    assert!(
        legacy["observed"]
            .as_str()
            .unwrap_or_default()
            .starts_with("refused ("),
        "{legacy}"
    );
}
