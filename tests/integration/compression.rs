//! Compressed bodies against a real nginx: `gzip on` and Debian's brotli
//! filter (`libnginx-mod-http-brotli-filter`) compress JSON that the probes
//! must read as JSON, naming the coding; a precompressed gzip bomb
//! (`gzip_static`) stays bounded, by the body limit on decoded bytes or by
//! the ratio cap; the response headers stay as the server sent them.

use std::io::Write as _;

use crate::nginx::Nginx;
use crate::support::{Run, checklist_of, probe_result, statuses};

const BROTLI: &str = "/usr/lib/nginx/modules/ngx_http_brotli_filter_module.so";

const STATUS: &str = r#"{"status":"ok","latency_ms":"42.5","padding":"candlefish candlefish candlefish candlefish candlefish candlefish"}"#;

/// 64 MiB of zeros as 64 gzip members of 1 MiB each (about 1 KiB apiece):
/// one body to a browser, 64 KiB on the wire.
fn bomb() -> Vec<u8> {
    let mut member = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    member.write_all(&vec![0u8; 1 << 20]).expect("compress");
    let member = member.finish().expect("compress");
    member.repeat(64)
}

fn nginx() -> Nginx {
    assert!(
        std::path::Path::new(BROTLI).exists(),
        "the compression tests need nginx's brotli filter: apt-get install libnginx-mod-http-brotli-filter (scripts/test installs it)"
    );
    let nginx = Nginx::builder()
        .main(&format!("load_module {BROTLI};"))
        .file("html/gz/status.json", STATUS)
        .file("html/br/status.json", STATUS)
        .file("html/bomb.json", "{}")
        .server(
            "location /gz/ { default_type application/json; gzip on; gzip_min_length 0; gzip_types application/json; }
location /br/ { default_type application/json; brotli on; brotli_min_length 0; brotli_types application/json; }
location = /bomb.json { default_type application/json; gzip_static on; }",
        )
        .start();
    std::fs::write(nginx.prefix().join("html/bomb.json.gz"), bomb()).expect("write the bomb");
    nginx
}

#[test]
fn gzip_and_brotli_json_is_read_as_json_and_the_coding_named() {
    let nginx = nginx();
    let json = |path: &str| {
        format!(
            r#"http: {{ url: "{}", expect: {{ json: [{{ path: "$.status", equals: ok }}, {{ path: "$.latency_ms", less_than: 100 }}], headers: {{ Content-Encoding: {} }} }} }}"#,
            nginx.url(path),
            if path.starts_with("/gz") {
                "gzip"
            } else {
                "br"
            }
        )
    };
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("gzip", &json("/gz/status.json")),
            ("brotli", &json("/br/status.json")),
            (
                "plain",
                &format!(
                    r#"http: {{ url: "{}", headers: {{ Accept-Encoding: identity }}, expect: {{ json: [{{ path: "$.status", equals: ok }}], headers: {{ Content-Encoding: {{ exists: false }} }} }} }}"#,
                    nginx.url("/gz/status.json")
                ),
            ),
        ]))
        .run();
    ran.code(0);
    let report = ran.json();
    let s = statuses(&report);
    for (id, coding) in [("gzip", "gzip"), ("brotli", "br")] {
        assert_eq!(
            s[id],
            "green",
            "{id}: {:?}\n{}",
            probe_result(&report, id),
            nginx.logs()
        );
        let evidence = probe_result(&report, id).1;
        assert!(
            evidence.contains(&format!("; {coding} body, "))
                && evidence.ends_with(&format!("bytes decoded to {}", STATUS.len())),
            "{id}: {evidence}"
        );
    }
    assert_eq!(s["plain"], "green", "{:?}", probe_result(&report, "plain"));
    assert!(!probe_result(&report, "plain").1.contains("decoded"));
}

#[test]
fn a_compression_bomb_stays_bounded() {
    let nginx = nginx();
    let url = nginx.url("/bomb.json");
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            (
                "default-limit",
                &format!(r#"http: {{ url: "{url}", expect: {{ json: [{{ path: "$", exists: true }}] }} }}"#),
            ),
            (
                "large-limit",
                &format!(r#"http: {{ url: "{url}", max_body: 64MiB, expect: {{ json: [{{ path: "$", exists: true }}] }} }}"#),
            ),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    // 1 MiB of decoded body at most, whatever the wire carried.
    let (verdict, evidence) = probe_result(&report, "default-limit");
    assert_eq!(verdict, "fail", "{evidence}");
    assert!(
        evidence
            .starts_with("expected a body of at most 1 MiB, got more than 1 MiB of body (gzip, ")
            && evidence.contains(" bytes sent) (stopped reading there)"),
        "{evidence}"
    );
    // With room for 64 MiB, the ratio stops it long before.
    let (verdict, evidence) = probe_result(&report, "large-limit");
    assert_eq!(verdict, "error", "{evidence}");
    assert!(
        evidence.starts_with("the gzip body grows more than 200 times its size when decoded (")
            && evidence.contains("so Candlefish stopped reading it (a compression bomb?)"),
        "{evidence}"
    );
}

#[test]
fn a_coding_candlefish_does_not_decode_is_named_when_the_body_matters() {
    let app = crate::apps::App::start(|_| {
        crate::apps::Reply::new(200, "(zstd bytes)").header("Content-Encoding", "zstd")
    });
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            (
                "body",
                &format!(
                    r#"http: {{ url: "{}", expect: {{ body_contains: ok }} }}"#,
                    app.url("/")
                ),
            ),
            ("status", &format!(r#"http: {{ url: "{}" }}"#, app.url("/"))),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let (verdict, evidence) = probe_result(&report, "body");
    assert_eq!(verdict, "error", "{evidence}");
    assert_eq!(
        evidence,
        format!(
            "the body from {} is zstd-encoded, which Candlefish does not decode (it asks for gzip, deflate, br)",
            app.addr
        )
    );
    assert_eq!(statuses(&report)["status"], "green", "{report}");
}
