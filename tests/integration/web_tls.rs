//! The one `tls:` block every web probe takes, against a real nginx serving
//! HTTPS with a certificate from a private CA (and, for `prometheus` and
//! `grafana`, the documented shapes of their APIs as static answers): each of
//! `http`, `cors`, `headers`, `rate_limit`, `graphql`, `openapi`,
//! `prometheus` and `grafana` is trusted with
//! `tls: { ca_file }`, refused without it (the error says how to fix it),
//! presents a client certificate, warns with `insecure`; and `SSL_CERT_FILE`
//! replaces the system's trust store for all of them.

use crate::certs::{Pki, pki};
use crate::nginx::Nginx;
use crate::support::{Run, checklist_of, probe_result, statuses};

const OPENAPI: &str = r#"{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/health":{"get":{"summary":"Health","responses":{"200":{"description":"ok"}}}}}}"#;

fn nginx(pki: &Pki) -> Nginx {
    Nginx::builder()
        .http("limit_req_zone $binary_remote_addr zone=tls_api:1m rate=2r/s;")
        .file("html/openapi.json", OPENAPI)
        .file("html/page.txt", "a page")
        .ssl(
            &pki.server_cert,
            &pki.server_key,
            &format!(
                r#"ssl_client_certificate {ca};
ssl_verify_client optional;
location /health {{ return 200 'ok'; }}
location /mtls {{ if ($ssl_client_verify != SUCCESS) {{ return 403; }} return 200 'hello'; }}
location /api {{
    if ($request_method = OPTIONS) {{
        add_header Access-Control-Allow-Origin https://app.example.com always;
        add_header Access-Control-Allow-Methods "GET" always;
        add_header Vary Origin always;
        return 204;
    }}
    add_header Access-Control-Allow-Origin https://app.example.com always;
    add_header Vary Origin always;
    return 200 'api';
}}
location /page {{
    server_tokens off;
    add_header Strict-Transport-Security "max-age=31536000" always;
    add_header X-Content-Type-Options nosniff always;
    return 200 'page';
}}
location /limited {{ limit_req zone=tls_api burst=2 nodelay; limit_req_status 429; try_files /page.txt =404; }}
location /graphql {{ default_type application/json; return 200 '{{"data":{{"__typename":"Query"}}}}'; }}
location = /openapi.json {{ default_type application/json; }}
location = /api/v1/query {{ default_type application/json; return 200 '{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"job":"api"}},"value":[1764666000,"1"]}}]}}}}'; }}
location = /api/health {{ default_type application/json; return 200 '{{"database":"ok","version":"10.4.0"}}'; }}
"#,
                ca = pki.ca.display()
            ),
        )
        .start()
}

/// One probe of each web kind, with `tls` (YAML, or empty for none) added.
fn every_kind(nginx: &Nginx, tls: &str) -> Vec<(String, String)> {
    let url = |p: &str| nginx.https_url(p);
    vec![
        (
            "http".into(),
            format!(r#"http: {{ url: "{}"{tls} }}"#, url("/health")),
        ),
        (
            "cors".into(),
            format!(
                r#"cors: {{ url: "{}", allow: [https://app.example.com]{tls} }}"#,
                url("/api")
            ),
        ),
        (
            "headers".into(),
            format!(
                r#"headers: {{ url: "{}", require: [hsts, nosniff]{tls} }}"#,
                url("/page")
            ),
        ),
        (
            "rate_limit".into(),
            format!(
                r#"rate_limit: {{ url: "{}", requests: 20, per_second: 50{tls} }}"#,
                url("/limited")
            ),
        ),
        (
            "graphql".into(),
            format!(
                r#"graphql: {{ url: "{}", introspection: any{tls} }}"#,
                url("/graphql")
            ),
        ),
        (
            "openapi".into(),
            format!(r#"openapi: {{ url: "{}"{tls} }}"#, url("/openapi.json")),
        ),
        (
            "prometheus".into(),
            format!(
                r#"prometheus: {{ url: "{}", query: up, above: 0{tls} }}"#,
                url("")
            ),
        ),
        (
            "grafana".into(),
            format!(r#"grafana: {{ url: "{}"{tls} }}"#, url("")),
        ),
    ]
}

fn run(items: &[(String, String)], env: &[(&str, &str)]) -> serde_json::Value {
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let mut run = Run::new(&["check", "--format", "json"]).with_checklist(&checklist_of(&items));
    for (key, value) in env {
        run = run.env(key, value);
    }
    let ran = run.run();
    assert!(
        ran.code == Some(0) || ran.code == Some(1),
        "{}\n{}",
        ran.stdout,
        ran.stderr
    );
    ran.json()
}

const KINDS: [&str; 6] = [
    "http",
    "cors",
    "headers",
    "rate_limit",
    "graphql",
    "openapi",
];

#[test]
fn every_web_probe_trusts_a_private_ca_through_its_tls_block() {
    let pki = pki();
    let nginx = nginx(&pki);
    let trusted = run(
        &every_kind(
            &nginx,
            &format!(", tls: {{ ca_file: '{}' }}", pki.ca.display()),
        ),
        &[],
    );
    let s = statuses(&trusted);
    for kind in KINDS {
        assert_eq!(
            s[kind],
            "green",
            "{kind}: {:?}\n{}",
            probe_result(&trusted, kind),
            nginx.logs()
        );
    }
    let untrusted = run(&every_kind(&nginx, ""), &[]);
    for kind in KINDS {
        let (verdict, evidence) = probe_result(&untrusted, kind);
        assert_eq!(verdict, "error", "{kind}: {evidence}");
        assert!(
            evidence.contains(
                "is not trusted (UnknownIssuer): for a private CA, set tls: { ca_file: … }"
            ),
            "{kind}: {evidence}"
        );
    }
    let insecure = run(&every_kind(&nginx, ", tls: { insecure: true }"), &[]);
    for kind in KINDS {
        let (verdict, evidence) = probe_result(&insecure, kind);
        assert_eq!(verdict, "warn", "{kind}: {evidence}");
        assert!(
            evidence.contains("expected TLS certificates verified, got insecure: true (certificate checks are off)"),
            "{kind}: {evidence}"
        );
    }
}

#[test]
fn ssl_cert_file_replaces_the_system_trust_store() {
    let pki = pki();
    let nginx = nginx(&pki);
    let ca = pki.ca.display().to_string();
    let with_env = run(&every_kind(&nginx, ""), &[("SSL_CERT_FILE", &ca)]);
    let s = statuses(&with_env);
    for kind in KINDS {
        assert_eq!(
            s[kind],
            "green",
            "{kind}: {:?}",
            probe_result(&with_env, kind)
        );
    }
    // The `tls` probe reads the same store.
    let port = nginx.ssl_port.unwrap_or_default();
    let tls_probe = vec![(
        "tls".to_owned(),
        format!("tls: {{ host: 127.0.0.1, port: {port}, sni: localhost, check_legacy: false }}"),
    )];
    let trusted = run(&tls_probe, &[("SSL_CERT_FILE", &ca)]);
    assert_eq!(statuses(&trusted)["tls"], "green", "{trusted}");
    let untrusted = run(&tls_probe, &[]);
    assert!(
        probe_result(&untrusted, "tls")
            .1
            .contains("an unknown issuer"),
        "{untrusted}"
    );
    // A directory of PEM files works the same way.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::copy(&pki.ca, dir.path().join("candlefish-test-ca.pem")).expect("copy");
    let with_dir = run(
        &every_kind(&nginx, "")[..1],
        &[("SSL_CERT_DIR", &dir.path().display().to_string())],
    );
    assert_eq!(statuses(&with_dir)["http"], "green", "{with_dir}");
}

#[test]
fn client_certificates_and_bad_settings_go_through_the_same_block() {
    let pki = pki();
    let nginx = nginx(&pki);
    let block = format!(
        ", tls: {{ ca_file: '{}', client_cert: '{}', client_key: '{}' }}",
        pki.ca.display(),
        pki.client_cert.display(),
        pki.client_key.display()
    );
    let url = nginx.https_url("/mtls");
    let items = vec![
        (
            "with-cert".to_owned(),
            format!(
                r#"rate_limit: {{ url: "{url}", requests: 3, per_second: 10, status: 403{block} }}"#
            ),
        ),
        (
            "without-cert".to_owned(),
            format!(
                r#"rate_limit: {{ url: "{url}", requests: 3, per_second: 10, status: 403, tls: {{ ca_file: '{}' }} }}"#,
                pki.ca.display()
            ),
        ),
    ];
    let report = run(&items, &[]);
    // With the certificate nginx answers 200, so no 403 shows; without, the first answer is 403.
    assert_eq!(probe_result(&report, "with-cert").0, "fail");
    assert_eq!(probe_result(&report, "without-cert").0, "pass");

    let ran = Run::new(&["check"])
        .with_checklist(&checklist_of(&[(
            "half",
            &format!(
                r#"cors: {{ url: "{}", allow: [https://app.example.com], tls: {{ client_cert: c.pem }} }}"#,
                nginx.https_url("/api")
            ),
        )]))
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("tls: client_cert needs client_key"),
        "{}",
        ran.stderr
    );
    // The old spelling, beside `url`, is pointed at the block.
    let ran = Run::new(&["check"])
        .with_checklist(&checklist_of(&[(
            "flat",
            &format!(
                r#"http: {{ url: "{}", ca_file: ca.pem }}"#,
                nginx.https_url("/health")
            ),
        )]))
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("unknown key `ca_file`")
            && ran
                .stderr
                .contains("TLS settings go in the probe's `tls:` block: `tls: { ca_file: ... }`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn the_system_trust_store_is_read_only_by_a_handshake() {
    // An empty store (SSL_CERT_FILE and SSL_CERT_DIR both set, neither holding
    // a certificate) cannot verify anything: the HTTPS probe says why, while a
    // plain-HTTP probe of the same run never needs the store and passes.
    let pki = pki();
    let nginx = nginx(&pki);
    let plain = crate::support::Server::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let empty_file = dir.path().join("empty.pem");
    std::fs::write(&empty_file, "").expect("write");
    let empty_dir = dir.path().join("certs");
    std::fs::create_dir(&empty_dir).expect("mkdir");
    let items = vec![
        (
            "plain".to_owned(),
            format!("http: {{ url: \"{}\" }}", plain.url("/status/200")),
        ),
        (
            "secure".to_owned(),
            format!("http: {{ url: \"{}\" }}", nginx.https_url("/health")),
        ),
    ];
    let ran = run(
        &items,
        &[
            ("SSL_CERT_FILE", &empty_file.display().to_string()),
            ("SSL_CERT_DIR", &empty_dir.display().to_string()),
        ],
    );
    let s = statuses(&ran);
    assert_eq!(s["plain"], "green", "{ran}");
    assert_eq!(s["secure"], "red", "{ran}");
    assert!(
        probe_result(&ran, "secure").1.contains("trust store"),
        "{ran}"
    );
}
