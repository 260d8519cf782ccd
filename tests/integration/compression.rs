//! Compressed bodies against a real nginx: `gzip on` and Debian's brotli
//! filter (`libnginx-mod-http-brotli-filter`) compress JSON that the probes
//! must read as JSON, naming the coding; a precompressed gzip bomb
//! (`gzip_static`) stays bounded, by the body limit on decoded bytes or by
//! the ratio cap; the response headers stay as the server sent them. zstd
//! bodies are files compressed by Debian's zstd command and served by nginx.

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

/// `data` compressed by Debian's zstd command with `args`.
fn zstd(data: &[u8], args: &[&str]) -> Vec<u8> {
    use std::process::{Command, Stdio};
    let mut child = Command::new("zstd")
        .args(args)
        .args(["-q", "-c", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the zstd tests need Debian's zstd command: apt-get install zstd (scripts/test installs it)");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data));
    let out = child.wait_with_output().expect("zstd");
    writer.join().expect("writer").expect("write to zstd");
    assert!(out.status.success(), "zstd {args:?} failed");
    out.stdout
}

/// nginx serving files compressed ahead of time by the zstd command, as a
/// site serves precompressed assets: `Content-Encoding: zstd` on each.
fn nginx_zstd(files: &[(&str, Vec<u8>)]) -> Nginx {
    let nginx = Nginx::builder()
        .server(
            "location /zst/ { default_type application/json; add_header Content-Encoding zstd; }",
        )
        .start();
    let dir = nginx.prefix().join("html/zst");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).expect("write a zstd file");
    }
    nginx
}

#[test]
fn zstd_bodies_are_decoded_bounded_and_refused_when_their_window_is_too_large() {
    let nginx = nginx_zstd(&[
        ("status.json", zstd(STATUS.as_bytes(), &["-3", "--check"])),
        // Two frames, as a server flushing mid-body sends them.
        (
            "two-frames.json",
            [
                zstd(&STATUS.as_bytes()[..20], &[]),
                zstd(&STATUS.as_bytes()[20..], &[]),
            ]
            .concat(),
        ),
        ("bomb.json", zstd(&vec![0u8; 64 << 20], &["-19"])),
        // A 128 MiB window: more than the 8 MiB HTTP allows a decoder to need.
        (
            "wide.json",
            zstd(STATUS.repeat(2000).as_bytes(), &["--long=27"]),
        ),
    ]);
    let json = |path: &str, extra: &str| {
        format!(
            r#"http: {{ url: "{}"{extra}, expect: {{ json: [{{ path: "$.status", equals: ok }}], headers: {{ Content-Encoding: zstd }} }} }}"#,
            nginx.url(path),
        )
    };
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("zstd", &json("/zst/status.json", "")),
            ("frames", &json("/zst/two-frames.json", "")),
            ("bomb", &json("/zst/bomb.json", "")),
            ("bomb-room", &json("/zst/bomb.json", ", max_body: 64MiB")),
            ("wide", &json("/zst/wide.json", "")),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    for id in ["zstd", "frames"] {
        let (verdict, evidence) = probe_result(&report, id);
        assert_eq!(verdict, "pass", "{id}: {evidence}\n{}", nginx.logs());
        assert!(
            evidence.contains("; zstd body, ")
                && evidence.ends_with(&format!("bytes decoded to {}", STATUS.len())),
            "{id}: {evidence}"
        );
    }
    let (verdict, evidence) = probe_result(&report, "bomb");
    assert_eq!(verdict, "fail", "{evidence}");
    assert!(
        evidence
            .starts_with("expected a body of at most 1 MiB, got more than 1 MiB of body (zstd, "),
        "{evidence}"
    );
    let (verdict, evidence) = probe_result(&report, "bomb-room");
    assert_eq!(verdict, "error", "{evidence}");
    assert!(
        evidence.starts_with("the zstd body grows more than 200 times its size when decoded ("),
        "{evidence}"
    );
    let (verdict, evidence) = probe_result(&report, "wide");
    assert_eq!(verdict, "error", "{evidence}");
    assert!(
        evidence.contains("a frame asks for a 128 MiB window, more than the 8 MiB HTTP allows"),
        "{evidence}"
    );
}

#[test]
fn a_coding_candlefish_does_not_decode_is_named_when_the_body_matters() {
    let app = crate::apps::App::start(|_| {
        crate::apps::Reply::new(200, "(compress bytes)").header("Content-Encoding", "compress")
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
            "the body from {} is compress-encoded, which Candlefish does not decode (it asks for gzip, deflate, br, zstd)",
            app.addr
        )
    );
    assert_eq!(statuses(&report)["status"], "green", "{report}");
}
