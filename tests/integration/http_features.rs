//! The `http` probe's richer expectations: response headers, JSON comparisons,
//! redirect policy, latency percentiles over samples, proxies from the
//! environment, and TLS with a custom CA, client certificates and `insecure`.

use crate::apps::{App, Asked, Reply};
use crate::certs::pki;
use crate::nginx::Nginx;
use crate::support::{Run, checklist_of, probe_result, statuses};

fn api(asked: &Asked) -> Reply {
    let path = asked.path.as_str();
    if let Some(n) = path.strip_prefix("/r/") {
        let n: u32 = n.parse().unwrap_or(0);
        return if n == 0 {
            Reply::new(200, "final")
        } else {
            Reply::new(302, "").header("Location", &format!("/r/{}", n - 1))
        };
    }
    match path {
        "/status" => Reply::json(
            200,
            r#"{"status":"ok","latency_ms":42,"replicas":["a","b","c"],"features":["search","export"]}"#,
        )
        .header("X-Request-Id", "req-7"),
        // Prometheus's query API: every sample value is a JSON string.
        "/api/v1/query" => Reply::json(
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"job":"api"},"value":[1764666000.123,"90.49"]}]}}"#,
        ),
        "/loop/a" => Reply::new(302, "").header("Location", "/loop/b"),
        "/loop/b" => Reply::new(302, "").header("Location", "/loop/a"),
        "/moved" => Reply::new(301, "").header("Location", "/status"),
        "/slow" => Reply::new(200, "slow").delay(150),
        _ => Reply::new(404, "not found"),
    }
}

#[test]
fn headers_json_and_redirects_are_judged_with_evidence() {
    let app = App::start(api);
    let url = |p: &str| app.url(p);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("headers-ok", &format!(r#"http: {{ url: "{}", expect: {{ headers: {{ content-type: {{ contains: json }}, X-Request-Id: {{ exists: true }}, X-Powered-By: {{ exists: false }} }} }} }}"#, url("/status"))),
            ("headers-bad", &format!(r#"http: {{ url: "{}", expect: {{ headers: {{ Content-Type: text/html }} }} }}"#, url("/status"))),
            ("json-ok", &format!(r#"http: {{ url: "{}", expect: {{ json: [{{ path: "$.latency_ms", less_than: 100 }}, {{ path: "$.replicas", length: 3 }}, {{ path: "$.features", contains: search }}] }} }}"#, url("/status"))),
            ("json-bad", &format!(r#"http: {{ url: "{}", expect: {{ json: [{{ path: "$.latency_ms", greater_than: 100 }}] }} }}"#, url("/status"))),
            ("redirects-ok", &format!(r#"http: {{ url: "{}", expect: {{ location: {{ contains: /r/0 }} }} }}"#, url("/r/3"))),
            ("redirects-many", &format!(r#"http: {{ url: "{}", max_redirects: 2 }}"#, url("/r/3"))),
            ("no-follow", &format!(r#"http: {{ url: "{}", follow_redirects: false, expect: {{ status: 301, location: "{}" }} }}"#, url("/moved"), url("/status"))),
            ("loop", &format!(r#"http: {{ url: "{}" }}"#, url("/loop/a"))),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    for id in ["headers-ok", "json-ok", "redirects-ok", "no-follow"] {
        assert_eq!(s[id], "green", "{id}: {:?}", probe_result(&report, id));
    }
    let evidence = |id: &str| probe_result(&report, id).1;
    assert!(
        evidence("headers-bad").starts_with(
            "expected header Content-Type \"text/html\", got \"application/json\" in "
        ),
        "{}",
        evidence("headers-bad")
    );
    assert!(
        evidence("json-bad").starts_with("expected $.latency_ms > 100, got 42 in "),
        "{}",
        evidence("json-bad")
    );
    assert!(
        evidence("redirects-ok").ends_with(" after 3 redirects"),
        "{}",
        evidence("redirects-ok")
    );
    assert_eq!(
        evidence("redirects-many"),
        format!(
            "expected at most 2 redirects, got more: {} → /r/2 → /r/1 → /r/0",
            url("/r/3")
        )
    );
    assert_eq!(
        evidence("loop"),
        format!(
            "expected no redirect loop, got a loop: {} → /loop/b → /loop/a",
            url("/loop/a")
        )
    );
}

#[test]
fn numbers_sent_as_strings_compare_as_numbers() {
    let app = App::start(api);
    let url = app.url("/api/v1/query");
    let rule = |id: &str, json: &str| {
        (
            id.to_owned(),
            format!(r#"http: {{ url: "{url}", expect: {{ json: [{json}] }} }}"#),
        )
    };
    let items = [
        rule(
            "above",
            r#"{ path: "$.data.result[0].value[1]", greater_than: 90 }"#,
        ),
        rule(
            "below",
            r#"{ path: "$.data.result[0].value[1]", less_than: 50 }"#,
        ),
        rule("word", r#"{ path: "$.status", less_than: 5 }"#),
    ];
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&items))
        .run();
    ran.code(1);
    let report = ran.json();
    let (verdict, evidence) = probe_result(&report, "above");
    assert_eq!(verdict, "pass", "{evidence}");
    let (verdict, evidence) = probe_result(&report, "below");
    assert_eq!(verdict, "fail", "{evidence}");
    assert!(
        evidence.starts_with(
            r#"expected $.data.result[0].value[1] < 50, got "90.49" (a string, read as the number 90.49) in "#
        ),
        "{evidence}"
    );
    let (verdict, evidence) = probe_result(&report, "word");
    assert_eq!(verdict, "fail", "{evidence}");
    assert!(
        evidence.starts_with(r#"expected $.status < 5, got "success" (not a number) in "#),
        "{evidence}"
    );
}

#[test]
fn samples_give_latency_percentiles() {
    let app = App::start(api);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            (
                "sampled",
                &format!(
                    r#"http: {{ url: "{}", samples: 10, expect: {{ p95: 5s }} }}"#,
                    app.url("/status")
                ),
            ),
            (
                "slow",
                &format!(
                    r#"http: {{ url: "{}", samples: 3, expect: {{ p50: 50ms, p99: 5s }} }}"#,
                    app.url("/slow")
                ),
            ),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let (verdict, evidence) = probe_result(&report, "sampled");
    assert_eq!(verdict, "pass", "{evidence}");
    assert!(
        evidence.starts_with("200 OK; p50 ")
            && evidence.contains(", p90 ")
            && evidence.contains(", p95 ")
            && evidence.ends_with(" over 10 samples"),
        "{evidence}"
    );
    let sampled = app.asked().iter().filter(|a| a.path == "/status").count();
    assert_eq!(sampled, 10);
    let (verdict, evidence) = probe_result(&report, "slow");
    assert_eq!(verdict, "fail");
    assert!(
        evidence.starts_with("expected p50 <= 50ms, got "),
        "{evidence}"
    );
    assert!(evidence.contains(" over 3 samples (p50 "), "{evidence}");
}

#[test]
fn proxies_come_from_the_environment() {
    let proxy = App::start(|asked| Reply::new(200, format!("via proxy for {}", asked.uri)));
    let direct = App::start(|_| Reply::new(200, "direct"));
    let checklist = checklist_of(&[
        (
            "through-proxy",
            r#"http: { url: "http://candlefish-proxy-test.invalid/health", expect: { body_contains: "via proxy for http://candlefish-proxy-test.invalid/health" } }"#,
        ),
        (
            "bypass",
            &format!(
                r#"http: {{ url: "{}", expect: {{ body_contains: direct }} }}"#,
                direct.url("/")
            ),
        ),
    ]);
    let mut run = Run::new(&["check", "--format", "json"]).with_checklist(&checklist);
    for name in [
        "ALL_PROXY",
        "all_proxy",
        "http_proxy",
        "no_proxy",
        "REQUEST_METHOD",
    ] {
        run.command().env_remove(name);
    }
    let ran = run
        .env("HTTP_PROXY", &proxy.url(""))
        .env("NO_PROXY", "127.0.0.1")
        .run();
    ran.code(0);
    let asked = proxy.asked();
    assert_eq!(
        asked.len(),
        1,
        "only the proxied request goes to the proxy: {asked:?}"
    );
    assert_eq!(asked[0].uri, "http://candlefish-proxy-test.invalid/health");
    assert_eq!(direct.hits(), 1);
}

#[test]
fn tls_with_a_custom_ca_client_certificates_and_insecure() {
    let pki = pki();
    let nginx = Nginx::builder()
        .ssl(
            &pki.server_cert,
            &pki.server_key,
            &format!(
                "ssl_client_certificate {};\n ssl_verify_client optional;\n location /mtls {{ if ($ssl_client_verify != SUCCESS) {{ return 403; }} return 200 'hello $ssl_client_s_dn'; }}\n location / {{ return 200 'secure'; }}",
                pki.ca.display()
            ),
        )
        .start();
    let https = |path: &str| nginx.https_url(path);
    let ca = pki.ca.display().to_string();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("ca", &format!(r#"http: {{ url: "{}", tls: {{ ca_file: "{ca}" }}, expect: {{ body_contains: secure }} }}"#, https("/"))),
            ("system-roots", &format!(r#"http: {{ url: "{}" }}"#, https("/"))),
            ("wrong-ca", &format!(r#"http: {{ url: "{}", tls: {{ ca_file: "{}" }} }}"#, https("/"), pki.stranger_ca.display())),
            ("insecure", &format!(r#"http: {{ url: "{}", tls: {{ insecure: true }} }}"#, https("/"))),
            ("mtls", &format!(r#"http: {{ url: "{}", tls: {{ ca_file: "{ca}", client_cert: "{}", client_key: "{}" }}, expect: {{ body_contains: "CN=candlefish-client" }} }}"#, https("/mtls"), pki.client_cert.display(), pki.client_key.display())),
            ("no-client-cert", &format!(r#"http: {{ url: "{}", tls: {{ ca_file: "{ca}" }} }}"#, https("/mtls"))),
            ("missing-key-file", &format!(r#"http: {{ url: "{}", tls: {{ client_cert: "{}", client_key: /nonexistent/client.key }} }}"#, https("/mtls"), pki.client_cert.display())),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let result = |id: &str| probe_result(&report, id);
    assert_eq!(s["ca"], "green", "{:?}\n{}", result("ca"), nginx.logs());
    assert_eq!(s["mtls"], "green", "{:?}", result("mtls"));
    for id in ["system-roots", "wrong-ca"] {
        let (verdict, evidence) = result(id);
        assert_eq!(verdict, "error", "{id}: {evidence}");
        assert_eq!(
            evidence,
            format!(
                "the TLS certificate of 127.0.0.1:{} is not trusted (UnknownIssuer): for a private CA, set tls: {{ ca_file: … }}",
                nginx.ssl_port.unwrap_or_default()
            ),
            "{id}"
        );
    }
    assert_eq!(s["insecure"], "yellow");
    assert!(
        result("insecure").1.starts_with(
            "expected TLS certificates verified, got insecure: true (certificate checks are off)"
        ),
        "{:?}",
        result("insecure")
    );
    assert!(
        result("no-client-cert")
            .1
            .starts_with("expected status 2xx, got 403 Forbidden"),
        "{:?}",
        result("no-client-cert")
    );
    assert_eq!(
        result("missing-key-file"),
        (
            "error".to_owned(),
            "client_key /nonexistent/client.key: No such file or directory (os error 2)".to_owned()
        )
    );
}

#[test]
fn a_stalled_tls_handshake_is_named_as_such() {
    // Accepts the connection, never answers the TLS hello.
    let silent = crate::tls_support::SilentServer::start();
    let port = silent.addr.port();
    let checklist = format!(
        "version: 1\nname: t\nsections:\n  - id: stalled\n    title: t\n    probe:\n      http: {{ url: \"https://127.0.0.1:{port}/health\" }}\n      timeout: 600ms\n  - id: headers\n    title: t\n    probe:\n      http: {{ url: \"http://127.0.0.1:{port}/health\" }}\n      timeout: 600ms\n"
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(1);
    let report = ran.json();
    assert_eq!(
        probe_result(&report, "stalled"),
        (
            "error".to_owned(),
            format!(
                "no answer within 600ms (timeout) in the TLS handshake with 127.0.0.1:{port} (connected; no answer to the TLS hello yet)"
            )
        )
    );
    // Over plain HTTP the same silence is a wait for the response headers.
    assert_eq!(
        probe_result(&report, "headers").1,
        format!(
            "no answer within 600ms (timeout) waiting for the response headers from 127.0.0.1:{port}"
        )
    );
}
