//! AWS in tests: moto's server (PyPI `moto[server]`, installed by scripts/test
//! into the venv at `<target>/py`) on a free 127.0.0.1 port, and a counting
//! proxy in front of it that tells which operations reached the emulator —
//! from the request itself (`Action=` in a query-protocol body, the JSON
//! protocols' `X-Amz-Target`, S3's method and sub-resource, CloudFront's and
//! EKS's paths), never from moto's internals. The proxy can also answer an
//! operation with throttling.
//!
//! Nothing here can reach AWS: every client and every checklist points at
//! loopback, and the binary runs with an emptied environment.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::support::{Run, python_with};

/// A moto server, killed on drop.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it answers.
    pub fn start() -> Moto {
        let python = python_with("moto.server");
        let port = crate::support::refused_port();
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing")
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start moto with {}: {e}; run scripts/test, which installs moto[server]",
                    python.display()
                )
            });
        let moto = Moto { child, port };
        let started = Instant::now();
        loop {
            let ready = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
            if ready {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto did not start on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How the proxy answers an operation instead of forwarding it.
#[derive(Debug, Clone, Copy)]
pub enum Throttle {
    /// The next `n` requests get a throttling error, then requests pass.
    Times(usize),
    /// Every request gets a throttling error.
    Always,
}

#[derive(Default)]
struct Seen {
    counts: HashMap<String, usize>,
    throttles: HashMap<String, Throttle>,
}

/// A counting proxy on loopback in front of moto.
pub struct Counter {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
    _runtime: tokio::runtime::Runtime,
}

impl Counter {
    pub fn start(upstream: &str) -> Counter {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Seen::default()));
        let client = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let upstream = upstream.to_owned();
        let state = Arc::clone(&seen);
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let (state, client, upstream) =
                    (Arc::clone(&state), client.clone(), upstream.clone());
                tokio::spawn(async move {
                    let service = service_fn(move |req| {
                        forward(req, Arc::clone(&state), client.clone(), upstream.clone())
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Counter {
            addr,
            seen,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Requests per operation so far.
    pub fn counts(&self) -> HashMap<String, usize> {
        self.seen.lock().expect("lock").counts.clone()
    }

    /// Requests for `operation` so far.
    pub fn count(&self, operation: &str) -> usize {
        self.counts().get(operation).copied().unwrap_or(0)
    }

    pub fn reset(&self) {
        self.seen.lock().expect("lock").counts.clear();
    }

    pub fn throttle(&self, operation: &str, how: Throttle) {
        self.seen
            .lock()
            .expect("lock")
            .throttles
            .insert(operation.to_owned(), how);
    }
}

/// The operation a request asks for, read from the request alone.
fn operation(
    method: &str,
    path: &str,
    query: &str,
    headers: &hyper::HeaderMap,
    body: &[u8],
) -> String {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.rsplit('.').next().unwrap_or(target).to_owned();
    }
    let text = String::from_utf8_lossy(body);
    if let Some(action) = text.split('&').find_map(|kv| kv.strip_prefix("Action=")) {
        return action.to_owned();
    }
    if let Some(id) = query.split('&').find_map(|kv| kv.strip_prefix("x-id=")) {
        return id.to_owned();
    }
    // CloudFront's and EKS's REST operations by method and path.
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", [version, "distribution"]) if version.starts_with("20") => {
            return "ListDistributions".to_owned();
        }
        ("GET", ["clusters"]) => return "ListClusters".to_owned(),
        ("GET", ["clusters", _]) => return "DescribeCluster".to_owned(),
        _ => {}
    }
    // S3's REST operations by method and sub-resource.
    let sub = query
        .split('&')
        .map(|kv| kv.split('=').next().unwrap_or(""))
        .find(|k| !k.is_empty())
        .unwrap_or("");
    match (method, path.trim_matches('/').is_empty(), sub) {
        ("GET", true, _) => "ListBuckets".to_owned(),
        ("GET", false, "publicAccessBlock") => "GetPublicAccessBlock".to_owned(),
        ("GET", false, "encryption") => "GetBucketEncryption".to_owned(),
        ("GET", false, "versioning") => "GetBucketVersioning".to_owned(),
        (m, _, s) => format!("{m} ?{s}"),
    }
}

fn throttled(operation: &str, body_hint: &[u8]) -> Response<Full<Bytes>> {
    let text = String::from_utf8_lossy(body_hint);
    // EC2 speaks its own error shape; the other query services the awsQuery one.
    let ec2 = text.contains("Version=2016-11-15");
    let body = if ec2 {
        "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors><RequestID>t</RequestID></Response>".to_owned()
    } else {
        format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded for {operation}</Message></Error><RequestId>t</RequestId></ErrorResponse>"
        )
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = if ec2 {
        hyper::StatusCode::SERVICE_UNAVAILABLE
    } else {
        hyper::StatusCode::BAD_REQUEST
    };
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/xml"),
    );
    response
}

async fn forward(
    request: Request<hyper::body::Incoming>,
    state: Arc<Mutex<Seen>>,
    client: reqwest::Client,
    upstream: String,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let query = parts.uri.query().unwrap_or("");
    let op = operation(
        parts.method.as_str(),
        parts.uri.path(),
        query,
        &parts.headers,
        &body,
    );
    let throttle = {
        let mut seen = state.lock().expect("lock");
        *seen.counts.entry(op.clone()).or_default() += 1;
        match seen.throttles.get(&op).copied() {
            Some(Throttle::Always) => true,
            Some(Throttle::Times(n)) if n > 0 => {
                seen.throttles.insert(op.clone(), Throttle::Times(n - 1));
                true
            }
            _ => false,
        }
    };
    if throttle {
        return Ok(throttled(&op, &body));
    }
    let target = format!(
        "{upstream}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes())
        .unwrap_or(reqwest::Method::GET);
    let mut outgoing = client.request(method, target).body(body.to_vec());
    for (name, value) in &parts.headers {
        if name != "host" && name != "content-length" {
            outgoing = outgoing.header(name.as_str(), value.as_bytes());
        }
    }
    let reply = match outgoing.send().await {
        Ok(reply) => reply,
        Err(e) => {
            let mut r = Response::new(Full::new(Bytes::from(format!("proxy: {e}"))));
            *r.status_mut() = hyper::StatusCode::BAD_GATEWAY;
            return Ok(r);
        }
    };
    let status = reply.status().as_u16();
    let headers = reply.headers().clone();
    let bytes = reply.bytes().await.unwrap_or_default();
    let mut response = Response::new(Full::new(bytes));
    *response.status_mut() =
        hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::BAD_GATEWAY);
    for (name, value) in &headers {
        if name != "content-length"
            && name != "transfer-encoding"
            && name != "connection"
            && let (Ok(n), Ok(v)) = (
                hyper::header::HeaderName::from_bytes(name.as_str().as_bytes()),
                hyper::header::HeaderValue::from_bytes(value.as_bytes()),
            )
        {
            response.headers_mut().append(n, v);
        }
    }
    Ok(response)
}

/// The SDK configuration a test seeds moto with (never via the proxy).
pub async fn seed_config(endpoint: &str) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .endpoint_url(endpoint)
        .credentials_provider(aws_credential_types::Credentials::new(
            "testing", "testing", None, None, "tests",
        ))
        .load()
        .await
}

/// A run of the binary that can only reach loopback AWS: the environment
/// emptied, HOME in a temporary directory, dummy credentials, no metadata service.
pub fn aws_run(checklist: &str, home: &Path) -> Run {
    let mut run =
        Run::new(&["check", "--format", "json", "--no-progress"]).with_checklist(checklist);
    run.command()
        .env_clear()
        .env("HOME", home)
        .env("COLUMNS", "80")
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    run
}

/// A checklist whose AWS probes all go to `endpoint` in us-east-1: items as
/// `(id, probe)` with the probe a YAML flow mapping's inside.
pub fn aws_checklist(endpoint: &str, items: &[(&str, &str)]) -> String {
    let mut text = format!(
        "version: 1\nname: AWS\ndefaults:\n  aws: {{ region: us-east-1, endpoint_url: \"{endpoint}\" }}\nsections:\n  - id: all\n    title: All\n    items:\n"
    );
    for (id, probe) in items {
        text.push_str(&format!(
            "      - id: {id}\n        title: {id}\n        probe: {{ {probe} }}\n"
        ));
    }
    text
}
