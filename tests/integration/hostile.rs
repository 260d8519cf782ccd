//! Every web probe against servers that misbehave on purpose, written on raw
//! TCP: an endless body, headers trickled byte by byte, a redirect loop, a
//! giant header, silence, and bytes that are not HTTP. Each probe must end
//! 🔴 with a reason, within its deadline, without crashing or hanging.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use crate::support::{Run, checklist_of, probe_result, statuses};

/// How a hostile server answers every request.
#[derive(Debug, Clone, Copy)]
pub enum Hostile {
    /// 200, chunked, and the chunks never end.
    EndlessBody,
    /// A status line, then header bytes one at a time, forever.
    TrickledHeaders,
    /// 302 from /a to /b and from anything else to /a.
    RedirectLoop,
    /// One header of 1 MiB.
    GiantHeader,
    /// Reads the request and never answers.
    Silent,
    /// Answers with something that is not HTTP.
    Garbage,
    /// Headers promising 100 bytes of body, then the body a byte at a time.
    TrickledBody,
}

/// Starts a hostile server on 127.0.0.1 and returns its address. Each
/// connection gets a thread that ends when the client goes away.
pub fn start(behaviour: Hostile) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve(stream, behaviour));
        }
    });
    format!("http://{addr}")
}

/// Reads a request head (bounded) and body (by Content-Length, bounded) and
/// returns the path. Unread bytes would turn the close into a reset.
fn read_request(stream: &mut TcpStream) -> String {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while head.len() < 64 * 1024 && !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    let text = String::from_utf8_lossy(&head);
    let length = text
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<u64>().ok())?
        })
        .unwrap_or(0);
    let _ = std::io::copy(&mut stream.take(length.min(1 << 20)), &mut std::io::sink());
    text.split_whitespace().nth(1).unwrap_or("/").to_owned()
}

fn serve(mut stream: TcpStream, behaviour: Hostile) {
    let path = read_request(&mut stream);
    let _ = match behaviour {
        Hostile::EndlessBody => endless(&mut stream),
        Hostile::TrickledHeaders => trickle(&mut stream),
        Hostile::RedirectLoop => {
            let to = if path == "/a" { "/b" } else { "/a" };
            write!(
                stream,
                "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        Hostile::GiantHeader => {
            let giant = "a".repeat(1 << 20);
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nX-Giant: {giant}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            )
        }
        Hostile::Silent => {
            std::thread::sleep(Duration::from_secs(30));
            Ok(())
        }
        Hostile::Garbage => {
            stream.write_all(b"SSH-2.0-OpenSSH_9.2\r\n\x00\x01\x02 not http at all\r\n\r\n")
        }
        Hostile::TrickledBody => (|| {
            stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n",
            )?;
            for _ in 0..100 {
                stream.write_all(b"a")?;
                stream.flush()?;
                std::thread::sleep(Duration::from_millis(100));
            }
            Ok(())
        })(),
    };
}

fn endless(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")?;
    let chunk = format!("4000\r\n{}\r\n", "a".repeat(0x4000));
    loop {
        stream.write_all(chunk.as_bytes())?;
    }
}

fn trickle(stream: &mut TcpStream) -> std::io::Result<()> {
    stream.write_all(b"HTTP/1.1 200 OK\r\nX-Slow: ")?;
    loop {
        stream.write_all(b"a")?;
        stream.flush()?;
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every web probe kind, as a flow mapping aimed at `base`.
fn probes(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("http", format!(r#"http: {{ url: "{base}/x" }}"#)),
        (
            "cors",
            format!(r#"cors: {{ url: "{base}/x", allow: [https://app.example.com] }}"#),
        ),
        ("headers", format!(r#"headers: {{ url: "{base}/x" }}"#)),
        (
            "rate_limit",
            format!(r#"rate_limit: {{ url: "{base}/x", requests: 20, per_second: 50 }}"#),
        ),
        ("graphql", format!(r#"graphql: {{ url: "{base}/x" }}"#)),
        ("openapi", format!(r#"openapi: {{ url: "{base}/x" }}"#)),
    ]
}

#[test]
fn a_deadline_in_a_slow_body_says_how_far_it_got() {
    let base = start(Hostile::TrickledBody);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "slow-body",
            &format!(r#"http: {{ url: "{base}/x" }}, timeout: 1s"#),
        )]))
        .run();
    ran.code(1);
    let (verdict, evidence) = probe_result(&ran.json(), "slow-body");
    assert_eq!(verdict, "error", "{evidence}");
    let re = regex::Regex::new(
        r"^no answer within 1s \(timeout\) reading the body \(([0-9]+) of 100 bytes so far\)",
    )
    .expect("regex");
    let got = re
        .captures(&evidence)
        .and_then(|c| c[1].parse::<u32>().ok())
        .unwrap_or_else(|| panic!("{evidence}"));
    assert!(got > 0 && got < 100, "{evidence}");
}

#[test]
fn every_web_probe_ends_red_with_a_reason_whatever_the_server_does() {
    let cases = [
        ("endless", Hostile::EndlessBody),
        ("trickle", Hostile::TrickledHeaders),
        ("loop", Hostile::RedirectLoop),
        ("giant", Hostile::GiantHeader),
        ("silent", Hostile::Silent),
        ("garbage", Hostile::Garbage),
    ];
    let mut items: Vec<(String, String)> = Vec::new();
    for (case, behaviour) in cases {
        let base = start(behaviour);
        for (kind, probe) in probes(&base) {
            items.push((format!("{case}-{kind}"), format!("{probe}, timeout: 2s")));
        }
    }
    let refs: Vec<(&str, &str)> = items
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&refs))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    for (id, _) in &items {
        let (verdict, evidence) = probe_result(&report, id);
        assert_eq!(s[id.as_str()], "red", "{id}: {verdict} {evidence}");
        assert!(
            matches!(verdict.as_str(), "fail" | "error"),
            "{id}: {verdict}"
        );
        assert!(!evidence.is_empty(), "{id} has no reason");
    }
    let evidence = |id: &str| probe_result(&report, id).1;
    // The reasons people need, kind by kind.
    assert!(
        evidence("endless-http").starts_with(
            "expected a body of at most 1 MiB, got more than 1 MiB of body (stopped reading there)"
        ),
        "{}",
        evidence("endless-http")
    );
    assert!(
        evidence("endless-graphql").contains("more than 1 MiB of body"),
        "{}",
        evidence("endless-graphql")
    );
    assert!(
        evidence("endless-openapi").contains("expected a document of at most 8 MiB"),
        "{}",
        evidence("endless-openapi")
    );
    for kind in ["http", "cors", "headers", "graphql", "openapi"] {
        for case in ["trickle", "silent"] {
            let stalled = evidence(&format!("{case}-{kind}"));
            assert!(
                stalled.starts_with(
                    "no answer within 2s (timeout) waiting for the response headers from 127.0.0.1:"
                ),
                "{case}-{kind}: {stalled}"
            );
        }
        let garbage = evidence(&format!("garbage-{kind}"));
        assert!(
            garbage.starts_with("the server did not answer in HTTP (127.0.0.1:"),
            "garbage-{kind}: {garbage}"
        );
        let giant = evidence(&format!("giant-{kind}"));
        assert!(
            giant.starts_with("the response headers are too large (127.0.0.1:"),
            "giant-{kind}: {giant}"
        );
    }
    for kind in ["http", "headers", "openapi"] {
        let looped = evidence(&format!("loop-{kind}"));
        assert!(
            looped.starts_with("expected no redirect loop, got a loop: http://127.0.0.1:")
                && looped.ends_with("/x → /a → /b → /a"),
            "loop-{kind}: {looped}"
        );
    }
    assert!(
        evidence("loop-rate_limit")
            .starts_with("expected 429 within 20 requests at 50/s, got 20 × 302 Found, none limited in 20 requests over "),
        "{}",
        evidence("loop-rate_limit")
    );
}
