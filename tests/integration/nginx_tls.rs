//! The `tls` probe against a real nginx, as users deploy it: a modern server is
//! green; one that still speaks TLS 1.0/1.1 with a certificate about to expire
//! is red, with both problems in the evidence.

use crate::nginx::Nginx;
use crate::support::{Run, item};
use crate::tls_support::{TestCa, Validity};

fn tls_outcome(port: u16, ca_file: &str) -> serde_json::Value {
    let checklist = format!(
        "version: 1\nname: nginx tls\nsections:\n  - id: site\n    title: Site certificate\n    probe:\n      tls: {{ host: 127.0.0.1, port: {port}, sni: localhost, ca_file: '{ca_file}' }}\n"
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    assert!(
        matches!(ran.code, Some(0 | 1)),
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
    item(&ran.json(), "site")["probes"][0].clone()
}

#[test]
fn a_modern_nginx_is_green() {
    let ca = TestCa::new("Candlefish nginx CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = ca
        .leaf(&["localhost"], Validity::current())
        .write(dir.path());
    let ca_file = ca.write(dir.path(), "ca.pem").display().to_string();
    let nginx = Nginx::builder()
        .ssl(
            &cert,
            &key,
            "ssl_protocols TLSv1.2 TLSv1.3;\n location / { return 200 'ok'; }",
        )
        .start();
    let out = tls_outcome(nginx.ssl_port.unwrap_or_default(), &ca_file);
    assert_eq!(out["verdict"], "pass", "{out}\n{}", nginx.logs());
    let checks = out["checks"].to_string();
    assert!(checks.contains("TLS 1.0 and 1.1 refused"), "{checks}");
}

#[test]
fn a_legacy_nginx_with_an_expiring_certificate_is_red_with_both_reasons() {
    let ca = TestCa::new("Candlefish nginx CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let (cert, key) = ca
        .leaf(&["localhost"], Validity::expiring_in(5))
        .write(dir.path());
    let ca_file = ca.write(dir.path(), "ca.pem").display().to_string();
    // OpenSSL 3 refuses TLS 1.0 at its default security level; old deployments lower it.
    let nginx = Nginx::builder()
        .ssl(
            &cert,
            &key,
            "ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n ssl_ciphers 'DEFAULT:@SECLEVEL=0';\n location / { return 200 'ok'; }",
        )
        .start();
    let out = tls_outcome(nginx.ssl_port.unwrap_or_default(), &ca_file);
    assert_eq!(out["verdict"], "fail", "{out}\n{}", nginx.logs());
    let failed: Vec<String> = out["checks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["verdict"] == "fail")
        .map(|c| format!("{} / {}", c["expected"], c["observed"]))
        .collect();
    let joined = failed.join("\n");
    assert!(
        joined.contains("more than 14 days before expiry"),
        "{joined}"
    );
    assert!(joined.contains("TLS 1.0 and 1.1 refused"), "{joined}");
}
