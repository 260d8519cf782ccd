//! The `websocket` probe against a tokio-tungstenite server on 127.0.0.1 (ws
//! and wss with a test CA): echo, ping/pong, a refused upgrade, and hostile
//! peers (a giant frame, a server that never answers), and URL secrets.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use crate::support::Run;
use crate::tls::outcome;
use crate::tls_support::{TestCa, Validity, runtime, server_config};

/// A WebSocket server; what it does depends on the request path.
struct WsServer {
    port: u16,
    _runtime: tokio::runtime::Runtime,
}

impl WsServer {
    fn start(tls: Option<rustls::ServerConfig>) -> WsServer {
        let runtime = runtime();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let acceptor = tls.map(|c| tokio_rustls::TlsAcceptor::from(Arc::new(c)));
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    match acceptor {
                        Some(acceptor) => {
                            if let Ok(tls) = acceptor.accept(tcp).await {
                                serve(tls).await;
                            }
                        }
                        None => serve(tcp).await,
                    }
                });
            }
        });
        WsServer {
            port,
            _runtime: runtime,
        }
    }
}

// tungstenite's handshake callback type is fixed: its error is a whole response.
#[allow(clippy::result_large_err)]
async fn serve<S: AsyncRead + AsyncWrite + Unpin>(stream: S) {
    let seen = Arc::new(Mutex::new((String::new(), String::new())));
    let record = Arc::clone(&seen);
    let callback =
        move |request: &Request, response: Response| -> Result<Response, ErrorResponse> {
            let auth = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if let Ok(mut slot) = record.lock() {
                *slot = (request.uri().path().to_owned(), auth);
            }
            if request.uri().path() == "/forbidden" {
                let mut refusal = ErrorResponse::new(Some("no".to_owned()));
                *refusal.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::FORBIDDEN;
                return Err(refusal);
            }
            Ok(response)
        };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let (path, auth) = seen.lock().map(|s| s.clone()).unwrap_or_default();
    match path.as_str() {
        "/echo" => {
            while let Some(Ok(message)) = ws.next().await {
                if let Message::Text(text) = message
                    && ws
                        .send(Message::text(format!("echo: {text}")))
                        .await
                        .is_err()
                {
                    return;
                }
            }
        }
        "/auth" => {
            let _ = ws.send(Message::text(format!("you sent {auth}"))).await;
            while let Some(Ok(_)) = ws.next().await {}
        }
        "/giant" => {
            // A binary frame announcing 1 GiB, then a trickle of its bytes.
            let mut header = vec![0x82, 127];
            header.extend((1u64 << 30).to_be_bytes());
            let raw = ws.get_mut();
            let _ = raw.write_all(&header).await;
            for _ in 0..1000 {
                if raw.write_all(&[0u8; 16]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        // "/deaf": never reads, so never answers a ping.
        _ => tokio::time::sleep(Duration::from_secs(30)).await,
    }
}

#[test]
fn an_echoing_server_answers_the_message_and_the_ping() {
    let server = WsServer::start(None);
    let out = outcome(&format!(
        "websocket: {{ url: \"ws://127.0.0.1:{}/echo\", send: hello, expect: {{ contains: \"echo: hello\" }}, max_connect_time: 5s }}",
        server.port
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    let e = out["evidence"].as_str().unwrap_or_default();
    assert!(e.starts_with("connected in "), "{e}");
    assert!(e.contains(", reply \"echo: hello\", pong in "), "{e}");
}

#[test]
fn wss_with_the_test_ca_is_green() {
    let ca = TestCa::new("Candlefish Test CA");
    let dir = tempfile::tempdir().expect("temp dir");
    let ca_file = ca.write(dir.path(), "ca.pem");
    let leaf = ca.leaf(&["localhost"], Validity::current());
    let server = WsServer::start(Some(server_config(&leaf, rustls::ALL_VERSIONS)));
    let out = outcome(&format!(
        "websocket: {{ url: \"wss://localhost:{}/echo\", ca_file: '{}' }}",
        server.port,
        ca_file.display()
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    let out = outcome(&format!(
        "websocket: {{ url: \"wss://localhost:{}/echo\" }}",
        server.port
    ));
    assert_eq!(out["verdict"], "error", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .starts_with(&format!(
                "TLS with localhost:{} failed: the certificate's issuer is not trusted",
                server.port
            )),
        "{out}"
    );
}

#[test]
fn wss_takes_the_tls_block_of_every_web_probe() {
    let ca = TestCa::new("Candlefish Test CA");
    let leaf = ca.leaf(&["localhost"], Validity::current());
    let server = WsServer::start(Some(server_config(&leaf, rustls::ALL_VERSIONS)));
    let url = format!("wss://localhost:{}/echo", server.port);
    // `ca_file` relative to the checklist, under `tls:` and in the old place.
    let dir = tempfile::tempdir().expect("temp dir");
    ca.write(dir.path(), "ca.pem");
    let checklist = format!(
        "version: 1\nname: t\nsections:
  - id: block
    title: t
    probe: {{ websocket: {{ url: \"{url}\", tls: {{ ca_file: ca.pem }} }} }}
  - id: shorthand
    title: t
    probe: {{ websocket: {{ url: \"{url}\", ca_file: ca.pem }} }}
  - id: insecure
    title: t
    probe: {{ websocket: {{ url: \"{url}\", tls: {{ insecure: true }} }} }}
"
    );
    std::fs::write(dir.path().join("candlefish.yaml"), checklist).expect("write");
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("candlefish.yaml");
    let ran = Run::new(&["check", "--format", "json", path.to_str().expect("utf-8")])
        .in_dir(elsewhere.path())
        .run();
    let report = ran.json();
    for id in ["block", "shorthand"] {
        let (verdict, evidence) = crate::support::probe_result(&report, id);
        assert_eq!(verdict, "pass", "{id}: {evidence}");
    }
    let (verdict, evidence) = crate::support::probe_result(&report, "insecure");
    assert_eq!(verdict, "warn", "{evidence}");
    assert!(
        evidence.contains("insecure: true (certificate checks are off)"),
        "{evidence}"
    );
    // The CA given twice, or beside `insecure`, is refused before anything runs.
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(&format!(
            "version: 1\nname: t\nsections:\n  - id: t\n    title: t\n    probe: {{ websocket: {{ url: \"{url}\", ca_file: a.pem, tls: {{ ca_file: b.pem }} }} }}\n"
        ))
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("give the CA once, under tls:"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_refused_upgrade_is_red_with_the_status() {
    let server = WsServer::start(None);
    let out = outcome(&format!(
        "websocket: {{ url: \"ws://127.0.0.1:{}/forbidden\" }}",
        server.port
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .starts_with("expected an upgrade to WebSocket (101), got 403 Forbidden in "),
        "{out}"
    );
}

#[test]
fn a_giant_frame_is_refused_without_reading_it() {
    let server = WsServer::start(None);
    let out = outcome(&format!(
        "websocket: {{ url: \"ws://127.0.0.1:{}/giant\", max_message_bytes: 65536 }}",
        server.port
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        "expected a pong to our ping, got a message of 1073741824 bytes, over max_message_bytes (65536)"
    );
}

#[test]
fn a_server_that_never_answers_is_red_after_read_timeout() {
    let server = WsServer::start(None);
    let out = outcome(&format!(
        "websocket: {{ url: \"ws://127.0.0.1:{}/deaf\", send: hello, expect: {{ contains: hi }}, read_timeout: 300ms, ping: false }}",
        server.port
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        "expected a message to contain \"hi\", got nothing more within 300ms"
    );
}

#[test]
fn a_deadline_names_the_stage_that_stalled() {
    let server = WsServer::start(None);
    // The timeout is not above read_timeout: the deadline fires while the
    // probe waits for its pong, long after the upgrade.
    let out = outcome(&format!(
        "websocket: {{ url: \"ws://127.0.0.1:{}/deaf\", read_timeout: 2s }}\ntimeout: 700ms",
        server.port
    ));
    assert_eq!(out["verdict"], "error", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "no answer within 700ms (timeout) waiting for the pong from 127.0.0.1:{} (upgraded, ping sent; read_timeout 2s)",
            server.port
        )
    );
    // A server that accepts the connection and never answers the TLS hello.
    let silent = crate::tls_support::SilentServer::start();
    let out = outcome(&format!(
        "websocket: {{ url: \"wss://127.0.0.1:{}/\" }}\ntimeout: 500ms",
        silent.addr.port()
    ));
    assert_eq!(
        out["evidence"],
        format!(
            "no answer within 500ms (timeout) in the TLS handshake with 127.0.0.1:{} (connected)",
            silent.addr.port()
        )
    );
    // Plain ws:// to the same silent server: the upgrade is what stalls.
    let out = outcome(&format!(
        "websocket: {{ url: \"ws://127.0.0.1:{}/\" }}\ntimeout: 500ms",
        silent.addr.port()
    ));
    assert_eq!(
        out["evidence"],
        format!(
            "no answer within 500ms (timeout) upgrading to WebSocket at 127.0.0.1:{} (connected; waiting for 101 Switching Protocols)",
            silent.addr.port()
        )
    );
}

#[test]
fn passwords_in_the_url_never_appear() {
    let server = WsServer::start(None);
    let checklist = format!(
        "version: 1\nname: t\nsections:\n  - id: t\n    title: t\n    probe:\n      websocket: {{ url: \"ws://ops:${{WS_PASSWORD}}@127.0.0.1:{}/auth\", expect: {{ contains: nope }}, read_timeout: 300ms }}\n",
        server.port
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .env("WS_PASSWORD", "s3cret-ws-pass")
        .run();
    ran.code(1);
    assert!(!ran.stdout.contains("s3cret-ws-pass"), "{}", ran.stdout);
    // The server echoed the Basic credentials: masked too.
    assert!(
        !ran.stdout.contains("b3BzOnMzY3JldC13cy1wYXNz"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("you sent Basic ••••"), "{}", ran.stdout);
    assert!(
        ran.stdout.contains("ws://ops:***@127.0.0.1"),
        "{}",
        ran.stdout
    );
}
