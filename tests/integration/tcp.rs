//! The `tcp` probe against scripted peers on 127.0.0.1: banners, a request and
//! its reply, and hostile peers (a trickled banner, an endless stream).

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::refused_port;
use crate::tls::outcome;
use crate::tls_support::TcpServer;

fn greeter(banner: &'static [u8]) -> TcpServer {
    TcpServer::start(move |mut tcp| async move {
        let _ = tcp.write_all(banner).await;
        let _ = tcp.shutdown().await;
    })
}

#[test]
fn a_matching_banner_is_green_and_quoted() {
    let server = greeter(b"SSH-2.0-Candlefish_Test\r\n");
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {}, banner: {{ matches: '^SSH-2\\.0-' }} }}",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    let e = out["evidence"].as_str().unwrap_or_default();
    assert!(e.starts_with("connected in "), "{e}");
    assert!(e.ends_with(", banner \"SSH-2.0-Candlefish_Test\""), "{e}");
}

#[test]
fn a_wrong_banner_is_red_with_what_was_said() {
    let server = greeter(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {}, banner: {{ matches: '^SSH-' }} }}",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        "expected banner to match /^SSH-/, got \"HTTP/1.1 400 Bad Request\" (then the connection closed)"
    );
}

#[test]
fn send_then_expect_checks_the_reply() {
    let server = TcpServer::start(|mut tcp| async move {
        let mut buf = [0u8; 64];
        if let Ok(n) = tcp.read(&mut buf).await
            && buf[..n].starts_with(b"PING")
        {
            let _ = tcp.write_all(b"+PONG\r\n").await;
        }
    });
    let port = server.addr.port();
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {port}, send: \"PING\\r\\n\", expect: {{ equals: \"+PONG\" }} }}"
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .ends_with(", reply \"+PONG\""),
        "{out}"
    );
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {port}, send: \"HELLO\\r\\n\", expect: {{ contains: PONG }}, read_timeout: 300ms }}"
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        "expected reply to contain \"PONG\", got nothing (then the connection closed)"
    );
}

#[test]
fn a_trickled_banner_is_judged_on_what_arrived_in_time() {
    let server = TcpServer::start(|mut tcp| async move {
        for _ in 0..10_000 {
            if tcp.write_all(b"x").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    });
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {}, banner: {{ contains: READY }}, read_timeout: 400ms }}",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    let e = out["evidence"].as_str().unwrap_or_default();
    assert!(
        e.starts_with("expected banner to contain \"READY\", got \"x"),
        "{e}"
    );
    assert!(e.ends_with(" bytes within 400ms)"), "{e}");
}

#[test]
fn an_endless_stream_is_read_only_up_to_read_bytes() {
    let server = TcpServer::start(|mut tcp| async move {
        let chunk = vec![b'a'; 64 * 1024];
        while tcp.write_all(&chunk).await.is_ok() {}
    });
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {}, banner: {{ contains: READY }}, read_bytes: 1000 }}",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .ends_with("…\" (the first 1000 bytes)"),
        "{out}"
    );
}

#[test]
fn a_silent_port_with_no_expectations_is_green_and_refused_is_an_error() {
    let server = TcpServer::start(|_tcp| async move {});
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {} }}",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    let port = refused_port();
    let out = outcome(&format!("tcp: {{ host: 127.0.0.1, port: {port} }}"));
    assert_eq!(out["verdict"], "error", "{out}");
    assert_eq!(
        out["evidence"],
        format!("connection refused (127.0.0.1:{port})")
    );
}

#[test]
fn what_is_sent_from_the_environment_never_appears() {
    let echo = TcpServer::start(|mut tcp| async move {
        let mut buf = [0u8; 256];
        if let Ok(n) = tcp.read(&mut buf).await {
            let _ = tcp.write_all(&buf[..n]).await;
        }
    });
    let checklist = format!(
        "version: 1\nname: t\nsections:\n  - id: t\n    title: t\n    probe:\n      tcp: {{ host: 127.0.0.1, port: {}, send: \"AUTH ${{TCP_SECRET}}\", expect: {{ contains: OK }}, read_timeout: 300ms }}\n",
        echo.addr.port()
    );
    let ran = crate::support::Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .env("TCP_SECRET", "hunter2-tcp-secret")
        .run();
    ran.code(1);
    assert!(!ran.stdout.contains("hunter2-tcp-secret"), "{}", ran.stdout);
    assert!(ran.stdout.contains("••••"), "{}", ran.stdout);
}

#[test]
fn a_deadline_while_waiting_for_the_banner_says_so() {
    // Accepts, then says nothing for longer than the probe's timeout.
    let server = TcpServer::start(|tcp| async move {
        let _open = tcp;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {}, banner: {{ contains: READY }} }}\ntimeout: 400ms",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "error", "{out}");
    let e = out["evidence"].as_str().unwrap_or_default();
    assert!(
        e.starts_with("no answer within 400ms (timeout) waiting for the banner from 127.0.0.1:"),
        "{e}"
    );
}

#[test]
fn a_deadline_in_the_middle_of_a_banner_says_what_had_come() {
    let server = TcpServer::start(|mut tcp| async move {
        let _ = tcp.write_all(b"HEL").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    });
    let out = outcome(&format!(
        "tcp: {{ host: 127.0.0.1, port: {}, banner: {{ contains: HELLO }} }}\ntimeout: 400ms",
        server.addr.port()
    ));
    assert_eq!(out["verdict"], "error", "{out}");
    assert_eq!(
        out["evidence"],
        "no answer within 400ms (timeout) still reading after 3 bytes: \"HEL\""
    );
}
