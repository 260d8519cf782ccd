//! The demo's services: a small HTTP server on 127.0.0.1 with a healthy
//! endpoint, a failing one, a slow one and more, so `candlefish demo` shows a
//! real board offline. Also handy as a target while writing a checklist.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The demo checklist, shipped inside the binary.
pub const CHECKLIST: &str = include_str!("../examples/demo.yaml");

/// A running demo server. Dropping it stops accepting connections.
#[derive(Debug)]
pub struct DemoServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// A loopback address where nothing listens.
    pub refused: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the demo server on an ephemeral loopback port.
pub async fn start() -> std::io::Result<DemoServer> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // Bind and drop to find a port where nothing listens.
    let refused = TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(route))
                    .await;
            });
        }
    });
    Ok(DemoServer {
        addr,
        refused,
        task,
    })
}

async fn route(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match request.uri().path() {
        "/health" => (
            StatusCode::OK,
            "application/json",
            r#"{"status":"ok","version":"1.4.2","checks":{"db":"ok","cache":"ok"}}"#,
        ),
        "/ready" => (
            StatusCode::SERVICE_UNAVAILABLE,
            "application/json",
            r#"{"status":"starting","pending":["migrations"]}"#,
        ),
        "/search" => {
            tokio::time::sleep(Duration::from_millis(250)).await;
            (StatusCode::OK, "application/json", r#"{"results":[]}"#)
        }
        "/reports" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            (StatusCode::OK, "application/json", r#"{"reports":[]}"#)
        }
        "/version" => (
            StatusCode::OK,
            "application/json",
            r#"{"version":"1.4.2","commit":"9f2c1ab","env":"staging"}"#,
        ),
        "/docs" => (
            StatusCode::OK,
            "text/html",
            "<html><title>API reference</title><h1>Endpoints</h1></html>",
        ),
        _ => (StatusCode::NOT_FOUND, "text/plain", "not found"),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *response.status_mut() = status;
    if let Ok(value) = hyper::header::HeaderValue::from_str(content_type) {
        response
            .headers_mut()
            .insert(hyper::header::CONTENT_TYPE, value);
    }
    Ok(response)
}
