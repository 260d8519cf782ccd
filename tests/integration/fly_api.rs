//! An HTTPS server on 127.0.0.1 answering the Fly.io Machines API's GETs the
//! `fly` probe makes — `/v1/apps/{app}`, `…/machines`, `…/volumes`,
//! `…/secrets` — in the documented JSON shapes (as Fly's reference pages and
//! its Go client define them), checking a bearer token and recording every
//! request. Served shapes, not Fly's API.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::tls_support::{TestCa, Validity, runtime, server_config};

/// One app as the API holds it.
#[derive(Clone, Default)]
pub struct FlyApp {
    pub machines: Vec<Value>,
    pub volumes: Vec<Value>,
    pub secrets: Vec<&'static str>,
}

#[derive(Default)]
struct State {
    apps: HashMap<String, FlyApp>,
    /// Answer every request with 429.
    rate_limited: bool,
    /// (method, path, authorization) of every request.
    seen: Vec<(String, String, String)>,
}

/// A running served-shapes Machines API.
pub struct FlyApi {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _runtime: tokio::runtime::Runtime,
}

impl FlyApi {
    pub fn start(ca: &TestCa, token: &str) -> FlyApi {
        let cert = ca.leaf(&["127.0.0.1"], Validity::current());
        let acceptor =
            tokio_rustls::TlsAcceptor::from(Arc::new(server_config(&cert, rustls::ALL_VERSIONS)));
        let runtime = runtime();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = Arc::new(Mutex::new(State::default()));
        let (shared, token) = (Arc::clone(&state), format!("Bearer {token}"));
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let (acceptor, state, token) =
                    (acceptor.clone(), Arc::clone(&shared), token.clone());
                tokio::spawn(async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                        let (state, token) = (Arc::clone(&state), token.clone());
                        async move { Ok::<_, Infallible>(answer(&req, &state, &token)) }
                    });
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        FlyApi {
            addr,
            state,
            _runtime: runtime,
        }
    }

    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn add_app(&self, name: &str, app: FlyApp) {
        self.state.lock().unwrap().apps.insert(name.to_owned(), app);
    }

    pub fn rate_limit(&self, on: bool) {
        self.state.lock().unwrap().rate_limited = on;
    }

    pub fn seen(&self) -> Vec<(String, String, String)> {
        self.state.lock().unwrap().seen.clone()
    }
}

fn answer(
    req: &Request<hyper::body::Incoming>,
    state: &Mutex<State>,
    token: &str,
) -> Response<Full<Bytes>> {
    let mut state = state.lock().unwrap();
    let auth = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let path = req.uri().path().to_owned();
    state
        .seen
        .push((req.method().to_string(), path.clone(), auth.clone()));
    if auth != token {
        return reply(401, &json!({"error": "unauthorized"}), &[]);
    }
    if state.rate_limited {
        return reply(
            429,
            &json!({"error": "rate limit exceeded"}),
            &[("retry-after", "30")],
        );
    }
    if req.method() != hyper::Method::GET {
        return reply(405, &json!({"error": "method not allowed"}), &[]);
    }
    let Some(rest) = path.strip_prefix("/v1/apps/") else {
        return reply(404, &json!({"error": "not found"}), &[]);
    };
    let (name, resource) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(app) = state.apps.get(name) else {
        return reply(404, &json!({"error": "app not found"}), &[]);
    };
    match resource {
        "" => reply(
            200,
            &json!({"id": "jlyv9r5d56v18xrg", "name": name, "status": "deployed", "organization": {"name": "Candlefish", "slug": "candlefish"}}),
            &[],
        ),
        "machines" => reply(200, &Value::Array(app.machines.clone()), &[]),
        "volumes" => reply(200, &Value::Array(app.volumes.clone()), &[]),
        "secrets" => {
            let secrets: Vec<Value> = app.secrets.iter().map(|n| json!({"name": n, "digest": format!("{:016x}", n.len() * 7919), "updated_at": "2026-11-28T09:12:44Z"})).collect();
            reply(200, &json!({"secrets": secrets}), &[])
        }
        _ => reply(404, &json!({"error": "not found"}), &[]),
    }
}

fn reply(code: u16, body: &Value, headers: &[(&str, &str)]) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = hyper::StatusCode::from_u16(code).unwrap();
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    for (name, value) in headers {
        response.headers_mut().insert(
            hyper::header::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            hyper::header::HeaderValue::from_str(value).unwrap(),
        );
    }
    response
}

/// A machine as `GET /v1/apps/{app}/machines` lists it.
pub fn machine(id: &str, region: &str, state: &str, tag: &str, check: &str) -> Value {
    json!({
        "id": id,
        "name": format!("rtpm-{region}-{id}"),
        "state": state,
        "region": region,
        "instance_id": "01JDQ3Z8W4T6K5V2N1M0B9C8X7",
        "private_ip": "fdaa:0:3ec2:a7b:5adc:6068:5b85:2",
        "config": {
            "env": {"APP_ENV": "production"},
            "init": {},
            "image": format!("registry.fly.io/rtpm-api-candlefish:{tag}"),
            "metadata": {"fly_process_group": "app", "fly_release_version": "42"},
            "mounts": [{"volume": format!("vol_{id}"), "path": "/data", "name": "rtpm_data"}],
            "services": [{"protocol": "tcp", "internal_port": 8080, "ports": [{"port": 443, "handlers": ["tls", "http"]}]}],
            "checks": {"health": {"type": "http", "port": 8080, "path": "/health", "interval": "15s", "timeout": "5s"}},
            "guest": {"cpu_kind": "shared", "cpus": 1, "memory_mb": 512}
        },
        "image_ref": {
            "registry": "registry.fly.io",
            "repository": "rtpm-api-candlefish",
            "tag": tag,
            "digest": "sha256:61face6bf030edce7ef6d7dd66fe452298d6f5f7ce032afdd01683ef02b2b841",
            "labels": {}
        },
        "checks": [{"name": "health", "status": check, "output": if check == "passing" { "200 OK" } else { "GET /health: 503 Service Unavailable" }, "updated_at": "2026-12-01T21:04:10Z"}],
        "created_at": "2026-11-28T09:15:02Z",
        "updated_at": "2026-12-01T21:00:00Z"
    })
}

/// A volume as `GET /v1/apps/{app}/volumes` lists it.
pub fn volume(id: &str, region: &str, attached: Option<&str>) -> Value {
    json!({
        "id": id,
        "name": "rtpm_data",
        "state": "created",
        "size_gb": 10,
        "region": region,
        "zone": "a1b2",
        "encrypted": true,
        "attached_machine_id": attached,
        "attached_alloc_id": null,
        "created_at": "2026-11-28T09:14:55Z",
        "host_dedication_id": "",
        "snapshot_retention": 5,
        "auto_backup_enabled": true
    })
}
