//! `headers` against a real nginx over HTTPS (a private CA, trusted through
//! the probe's `tls` block): a hardened location, one with nothing, one whose
//! CSP lets scripts run inline, one that names its version; HSTS sent over
//! plain HTTP, which browsers ignore; a probe for version disclosure alone.

use crate::certs::{Pki, pki};
use crate::nginx::Nginx;
use crate::support::{Run, checklist_of, probe_result, statuses};

const HARDENED: &str = r#"
    add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;
    add_header Content-Security-Policy "default-src 'self'; frame-ancestors 'none'" always;
    add_header X-Content-Type-Options nosniff always;
    add_header X-Frame-Options DENY always;
    add_header Referrer-Policy strict-origin-when-cross-origin always;
"#;

fn locations() -> String {
    let mut out = String::new();
    out.push_str(&format!(
        "location /hardened {{ server_tokens off; {HARDENED} return 200 'ok'; }}\n"
    ));
    out.push_str("location /bare { server_tokens off; return 200 'ok'; }\n");
    out.push_str(&format!(
        "location /inline {{ server_tokens off; {} return 200 'ok'; }}\n",
        HARDENED.replace(
            "default-src 'self'",
            "default-src 'self'; script-src 'self' 'unsafe-inline'"
        )
    ));
    out.push_str(&format!(
        "location /versioned {{ server_tokens on; {HARDENED} return 200 'ok'; }}\n"
    ));
    out.push_str("location /old { return 301 /hardened; }\n");
    out
}

/// The same locations over HTTP and over HTTPS.
fn nginx(pki: &Pki) -> Nginx {
    Nginx::builder()
        .server(&locations())
        .ssl(&pki.server_cert, &pki.server_key, &locations())
        .start()
}

#[test]
fn missing_weak_and_leaky_headers_are_each_reported() {
    let pki = pki();
    let nginx = nginx(&pki);
    let probe = |path: &str| {
        format!(
            r#"headers: {{ url: "{}", hsts_min_age: 180d, hsts_subdomains: true, tls: {{ ca_file: "{}" }} }}"#,
            nginx.https_url(path),
            pki.ca.display()
        )
    };
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("hardened", &probe("/hardened")),
            ("bare", &probe("/bare")),
            ("inline", &probe("/inline")),
            ("versioned", &probe("/versioned")),
            ("redirected", &probe("/old")),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let url = nginx.https_url("/hardened");
    assert_eq!(
        s["hardened"],
        "green",
        "{:?}",
        probe_result(&report, "hardened")
    );
    assert_eq!(
        probe_result(&report, "hardened").1,
        format!(
            "5 of 5 security headers in place: HSTS 365d with subdomains, CSP, nosniff, frame-ancestors 'none', Referrer-Policy strict-origin-when-cross-origin (200 OK from {url})"
        )
    );
    assert_eq!(
        s["redirected"], "green",
        "redirects are followed to the page"
    );

    let (verdict, evidence) = probe_result(&report, "bare");
    assert_eq!(verdict, "fail");
    assert_eq!(
        evidence,
        format!(
            "expected Strict-Transport-Security, got none; expected Content-Security-Policy, got none; expected X-Content-Type-Options: nosniff, got none; expected frame protection (X-Frame-Options DENY or SAMEORIGIN, or CSP frame-ancestors), got neither X-Frame-Options nor CSP frame-ancestors; expected Referrer-Policy, got none (200 OK from {})",
            nginx.https_url("/bare")
        )
    );

    assert_eq!(s["inline"], "yellow");
    assert!(
        probe_result(&report, "inline").1.starts_with("expected a CSP whose scripts exclude 'unsafe-inline' and 'unsafe-eval', got scripts allow 'unsafe-inline'"),
        "{:?}",
        probe_result(&report, "inline")
    );

    assert_eq!(s["versioned"], "yellow");
    assert!(
        probe_result(&report, "versioned")
            .1
            .starts_with("expected no version in Server, got Server: nginx/"),
        "{:?}",
        probe_result(&report, "versioned")
    );
}

#[test]
fn the_required_set_is_configurable() {
    let nginx = Nginx::builder()
        .server("location / { server_tokens off; add_header X-Content-Type-Options nosniff; add_header X-Frame-Options SAMEORIGIN; return 200 'ok'; }")
        .start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "some",
            &format!(
                r#"headers: {{ url: "{}", require: [nosniff, frame] }}"#,
                nginx.url("/")
            ),
        )]))
        .run();
    ran.code(0);
    assert!(
        probe_result(&ran.json(), "some")
            .1
            .starts_with("2 of 2 security headers in place: nosniff, X-Frame-Options: SAMEORIGIN"),
        "{:?}",
        probe_result(&ran.json(), "some")
    );
}

#[test]
fn hsts_over_plain_http_is_ignored_as_browsers_ignore_it() {
    let pki = pki();
    let nginx = nginx(&pki);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            (
                "plain",
                &format!(
                    r#"headers: {{ url: "{}", require: [hsts] }}"#,
                    nginx.url("/hardened")
                ),
            ),
            (
                "secure",
                &format!(
                    r#"headers: {{ url: "{}", require: [hsts], tls: {{ ca_file: "{}" }} }}"#,
                    nginx.https_url("/hardened"),
                    pki.ca.display()
                ),
            ),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let (verdict, evidence) = probe_result(&report, "plain");
    assert_eq!(verdict, "fail", "{evidence}");
    assert_eq!(
        evidence,
        format!(
            "expected Strict-Transport-Security on an HTTPS response, got \"max-age=31536000; includeSubDomains\" over plain HTTP, which browsers ignore (RFC 6797 §8.1) (200 OK from {})",
            nginx.url("/hardened")
        )
    );
    assert_eq!(statuses(&report)["secure"], "green", "{report}");
}

#[test]
fn an_empty_require_checks_only_for_versions() {
    let pki = pki();
    let nginx = nginx(&pki);
    let probe = |path: &str| format!(r#"headers: {{ url: "{}", require: [] }}"#, nginx.url(path));
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("quiet", &probe("/bare")),
            ("talkative", &probe("/versioned")),
        ]))
        .run();
    ran.code(0);
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(s["quiet"], "green", "{:?}", probe_result(&report, "quiet"));
    assert_eq!(
        probe_result(&report, "quiet").1,
        format!(
            "no version in Server, X-Powered-By or X-AspNet-Version (200 OK from {})",
            nginx.url("/bare")
        )
    );
    assert_eq!(s["talkative"], "yellow");
    assert!(
        probe_result(&report, "talkative")
            .1
            .starts_with("expected no version in Server, got Server: nginx/"),
        "{:?}",
        probe_result(&report, "talkative")
    );
}
