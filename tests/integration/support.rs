//! Test support: the real binary through a small fluent helper, and an HTTP
//! server on 127.0.0.1 that the tests start themselves.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;

/// How long one run of the binary may take in a test before it counts as a hang.
pub const RUN_LIMIT: Duration = Duration::from_secs(120);

/// The path of the built binary.
pub fn binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_candlefish"))
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The seed checklist: `shared/` lies beside the clone (as CI lays it out), or
/// where `CANDLEFISH_SHARED` says (e.g. from a git worktree elsewhere).
pub fn seed_path() -> PathBuf {
    let shared = std::env::var_os("CANDLEFISH_SHARED")
        .map_or_else(|| root().join("../shared"), PathBuf::from);
    shared.join("seed/production-deployment-checklist.md")
}

/// A run of the binary, built up fluently.
pub struct Run {
    command: Command,
    dir: Option<tempfile::TempDir>,
}

/// What a run produced.
#[derive(Debug)]
pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The temporary directory of `with_checklist`, kept alive with the result.
    pub dir: Option<tempfile::TempDir>,
}

impl Ran {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(expected),
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

impl Run {
    pub fn new(args: &[&str]) -> Self {
        let mut command = Command::new(binary());
        command
            .args(args)
            .current_dir(root())
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env("COLUMNS", "80")
            .stdin(Stdio::null());
        Run { command, dir: None }
    }

    /// Runs the binary through `wrapper` (a program and its arguments, the
    /// binary's path and `args` appended), e.g. `unshare` to give it a mount
    /// namespace of its own.
    pub fn via(wrapper: &[&str], args: &[&str]) -> Self {
        let mut run = Run::new(args);
        let mut command = Command::new(wrapper[0]);
        command.args(&wrapper[1..]).arg(binary()).args(args);
        for (key, value) in run.command.get_envs() {
            match value {
                Some(value) => command.env(key, value),
                None => command.env_remove(key),
            };
        }
        command.current_dir(root()).stdin(Stdio::null());
        run.command = command;
        run
    }

    /// Writes `checklist` to a temporary `candlefish.yaml` and runs in that directory.
    pub fn with_checklist(mut self, checklist: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("candlefish.yaml"), checklist).expect("write checklist");
        self.command.current_dir(dir.path());
        self.dir = Some(dir);
        self
    }

    /// Runs in `dir` (which the caller keeps, to read what the run wrote).
    pub fn in_dir(mut self, dir: &std::path::Path) -> Self {
        self.command.current_dir(dir);
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.command.env(key, value);
        self
    }

    /// The temporary directory of `with_checklist`.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    pub fn command(&mut self) -> &mut Command {
        &mut self.command
    }

    /// Runs to the end. Every command Candlefish runs is bounded, whatever the
    /// other side does: one still running after [`RUN_LIMIT`] is killed and the
    /// test fails, so a hang is a failure, not a stalled suite.
    pub fn run(mut self) -> Ran {
        use std::io::Read as _;
        let mut child = self
            .command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run candlefish");
        let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
            std::thread::spawn(move || {
                let mut bytes = Vec::new();
                if let Some(mut pipe) = pipe {
                    let _ = pipe.read_to_end(&mut bytes);
                }
                bytes
            })
        };
        let out = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let err = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        );
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait for candlefish") {
                break status;
            }
            if started.elapsed() > RUN_LIMIT {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "candlefish {:?} was still running after {RUN_LIMIT:?}: a hang",
                    self.command.get_args().collect::<Vec<_>>()
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let Output {
            status,
            stdout,
            stderr,
        } = Output {
            status,
            stdout: out.join().unwrap_or_default(),
            stderr: err.join().unwrap_or_default(),
        };
        Ran {
            code: status.code(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
            dir: self.dir,
        }
    }
}

/// A directory holding a `candlefish.yaml` and, once something is signed, its
/// sign-off store. Runs see no git identity and `USER=tester`, so `--by`
/// defaults are predictable.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(checklist: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("candlefish.yaml"), checklist).expect("write checklist");
        Workspace { dir }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The default store's text ("" when it does not exist yet).
    pub fn store(&self) -> String {
        std::fs::read_to_string(self.path(".candlefish/state.jsonl")).unwrap_or_default()
    }

    /// The store's text without the hash chain's `"prev"` fields, to compare
    /// records with what they should say.
    pub fn store_unchained(&self) -> String {
        let mut text = self.store();
        while let Some(at) = text.find(",\"prev\":\"") {
            let end = text[at + 9..]
                .find('"')
                .map_or(text.len(), |e| at + 9 + e + 1);
            text.replace_range(at..end, "");
        }
        text
    }

    /// A run in the workspace; `now` sets CANDLEFISH_NOW.
    pub fn run(&self, args: &[&str], now: Option<&str>) -> Ran {
        self.command(args, now).run()
    }

    pub fn command(&self, args: &[&str], now: Option<&str>) -> Run {
        let mut run = Run::new(args)
            .in_dir(self.dir.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("USER", "tester");
        match now {
            Some(now) => run = run.env("CANDLEFISH_NOW", now),
            None => {
                run.command().env_remove("CANDLEFISH_NOW");
            }
        }
        run
    }
}

/// A loopback HTTP server with fixed routes:
///
/// - `/status/CODE`: that status, body `{"status":"ok"}`
/// - `/slow/MS`: waits MS milliseconds, then 200
/// - `/json`: a health document
/// - `/echo`: 200 with the request's Authorization header as plain text
/// - `/gauge/MS`: counts requests in flight (see [`Server::max_in_flight`]), waits MS, then 200
/// - `/flaky/KEY/N`: 503 for the first N requests with this KEY, then 200
/// - `/after/KEY/MS`: 503 until MS milliseconds after the first request with this KEY, then 200
/// - `/toggle/KEY`: 200 and 503 in turn
///
/// Every request is counted by path ([`Server::hits`]) and logged as `start PATH` /
/// `end PATH` ([`Server::log`]).
pub struct Server {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    _runtime: tokio::runtime::Runtime,
}

#[derive(Default)]
struct Shared {
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    hits: Mutex<HashMap<String, usize>>,
    first_seen: Mutex<HashMap<String, Instant>>,
    log: Mutex<Vec<String>>,
}

impl Server {
    pub fn start() -> Server {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let shared = Arc::new(Shared::default());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::clone(&shared);
        runtime.spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let state = Arc::clone(&state);
                tokio::spawn(async move {
                    let service = service_fn(move |req| route(req, Arc::clone(&state)));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server {
            addr,
            shared,
            _runtime: runtime,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    /// How many requests asked for `path`.
    pub fn hits(&self, path: &str) -> usize {
        self.shared
            .hits
            .lock()
            .expect("hits")
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// `start PATH` and `end PATH` lines in the order they happened.
    pub fn log(&self) -> Vec<String> {
        self.shared.log.lock().expect("log").clone()
    }
}

async fn route(
    request: Request<Incoming>,
    state: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let count = {
        let mut hits = state.hits.lock().expect("hits");
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    state.log.lock().expect("log").push(format!("start {path}"));
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (status, body): (u16, String) = match parts.as_slice() {
        ["status", code] => (code.parse().unwrap_or(500), r#"{"status":"ok"}"#.to_owned()),
        ["slow", ms] => {
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
            (200, "slow but fine".to_owned())
        }
        ["json"] => (
            200,
            r#"{"status":"ok","version":"2.0.1","checks":{"db":"ok","cache":"degraded"}}"#
                .to_owned(),
        ),
        ["echo"] => {
            let auth = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            (200, format!("you sent {auth}"))
        }
        ["gauge", ms] => {
            let current = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            state.max_in_flight.fetch_max(current, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(ms.parse().unwrap_or(0))).await;
            state.in_flight.fetch_sub(1, Ordering::SeqCst);
            (200, "counted".to_owned())
        }
        ["flaky", _, n] => {
            let failures: usize = n.parse().unwrap_or(0);
            if count <= failures {
                (503, "not yet".to_owned())
            } else {
                (200, "ok now".to_owned())
            }
        }
        ["after", _, ms] => {
            let first = *state
                .first_seen
                .lock()
                .expect("first")
                .entry(path.clone())
                .or_insert_with(Instant::now);
            if first.elapsed() >= Duration::from_millis(ms.parse().unwrap_or(0)) {
                (200, "ready".to_owned())
            } else {
                (503, "warming up".to_owned())
            }
        }
        ["toggle", _] => {
            if count % 2 == 1 {
                (200, "up".to_owned())
            } else {
                (503, "down".to_owned())
            }
        }
        _ => (404, "not found".to_owned()),
    };
    state.log.lock().expect("log").push(format!("end {path}"));
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Ok(response)
}

/// A loopback port where nothing listens.
pub fn refused_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Statuses of every item in a JSON report, by id.
pub fn statuses(report: &serde_json::Value) -> HashMap<String, String> {
    fn walk(items: &serde_json::Value, out: &mut HashMap<String, String>) {
        for item in items.as_array().into_iter().flatten() {
            out.insert(
                item["id"].as_str().unwrap_or_default().to_owned(),
                item["status"].as_str().unwrap_or_default().to_owned(),
            );
            walk(&item["items"], out);
        }
    }
    let mut out = HashMap::new();
    walk(&report["items"], &mut out);
    out
}

/// The JSON of one item in a report.
pub fn item<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    fn find<'a>(items: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
        for item in items.as_array()? {
            if item["id"] == id {
                return Some(item);
            }
            if let Some(found) = find(&item["items"], id) {
                return Some(found);
            }
        }
        None
    }
    find(&report["items"], id).unwrap_or_else(|| panic!("no item {id} in the report"))
}

/// A checklist with one item per `(id, probe)`, each probe a YAML flow mapping
/// such as `cors: { url: "http://…" }` (options like `timeout: 2s` may follow
/// on the same mapping).
pub fn checklist_of(items: &[(&str, &str)]) -> String {
    let mut text = String::from(
        "version: 1\nname: Probes\nsections:\n  - id: all\n    title: All\n    items:\n",
    );
    for (id, probe) in items {
        text.push_str(&format!(
            "      - id: {id}\n        title: {id}\n        probe: {{ {probe} }}\n"
        ));
    }
    text
}

/// `(verdict, evidence)` of the first probe of item `id`.
pub fn probe_result(report: &serde_json::Value, id: &str) -> (String, String) {
    let probe = &item(report, id)["probes"][0];
    (
        probe["verdict"].as_str().unwrap_or_default().to_owned(),
        probe["evidence"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Cargo's target directory (the binary is `<target>/<profile>/candlefish`).
pub fn target_dir() -> PathBuf {
    let binary = binary();
    binary
        .parent()
        .and_then(std::path::Path::parent)
        .map_or_else(|| root().join("target"), std::path::Path::to_path_buf)
}

/// A Python that can import `module`: `$CANDLEFISH_TEST_PYTHON`, else the venv
/// scripts/test makes at `<target>/py`. Fails with the install hint otherwise.
pub fn python_with(module: &str) -> PathBuf {
    let candidates: Vec<PathBuf> = std::env::var_os("CANDLEFISH_TEST_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([target_dir().join("py/bin/python")])
        .collect();
    for python in &candidates {
        let ok = Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return python.clone();
        }
    }
    panic!(
        "no Python with `{module}` (tried {candidates:?}). Run scripts/test, which installs it, or:\n  \
         python3 -m venv {venv} && {venv}/bin/pip install {module}",
        venv = target_dir().join("py").display()
    );
}

/// Debian's chromium, for the HTML report tests. Fails with the install hint.
pub fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser"] {
        let found = Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if found {
            return PathBuf::from(name);
        }
    }
    panic!("chromium is not installed: run scripts/test, or `apt-get install chromium`");
}

/// Runs headless Chromium with no network use of its own; `args` come last.
pub fn headless_chromium(profile: &std::path::Path, args: &[&str]) -> Ran {
    let output = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--disable-default-apps",
            "--no-first-run",
            "--no-default-browser-check",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run chromium");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        dir: None,
    }
}
