//! Test support for `candlefish serve`: the real binary on a free loopback
//! port (`--listen 127.0.0.1:0`, the address read from its first stderr
//! line), plain HTTP/1.1 requests over a socket, and headless Chromium driven
//! through its DevTools protocol (so a test can watch a page change while it
//! stays open).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::binary;

/// A running `candlefish serve`, killed when dropped.
pub struct Serving {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything it wrote to stderr so far.
    pub log: Arc<Mutex<String>>,
}

impl Serving {
    /// Starts `candlefish serve ARGS --listen 127.0.0.1:0` in `dir`.
    pub fn start(dir: &Path, args: &[&str]) -> Serving {
        Self::start_with(dir, args, &[])
    }

    pub fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Serving {
        let mut child = Command::new(binary())
            .arg("serve")
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .current_dir(dir)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start candlefish serve");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("on http://")
                    && let Some(tx) = tx.take()
                {
                    let rest = &line[at + "on http://".len()..];
                    let addr = rest.split('/').next().unwrap_or_default().to_owned();
                    let _ = tx.send(addr);
                }
                let mut log = sink.lock().expect("log");
                log.push_str(&line);
                log.push('\n');
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("serve did not start:\n{}", log.lock().expect("log"))
            })
            .parse()
            .expect("an address");
        Serving { child, addr, log }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        request(
            self.addr,
            &format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
        )
    }

    /// Polls `path` until `done` holds for its answer, for at most `within`.
    #[track_caller]
    pub fn wait_for(
        &self,
        path: &str,
        within: Duration,
        done: impl Fn(u16, &str) -> bool,
    ) -> (u16, String) {
        let start = Instant::now();
        loop {
            let (code, body) = self.get(path);
            if done(code, &body) {
                return (code, body);
            }
            assert!(
                start.elapsed() < within,
                "{path} did not get there within {within:?}; last answer {code}:\n{body}\nlog:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The metric value of the sample `series` (name and labels as written).
    pub fn metric(&self, series: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics");
        metric(&body, series)
    }

    pub fn log(&self) -> String {
        self.log.lock().expect("log").clone()
    }

    /// Sends SIGTERM and waits (at most `within`) for the exit code.
    pub fn terminate(&mut self, within: Duration) -> Option<i32> {
        let pid = self.child.id().to_string();
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            if start.elapsed() > within {
                let _ = self.child.kill();
                panic!(
                    "serve was still running {within:?} after SIGTERM:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of `series` in an exposition.
pub fn metric(exposition: &str, series: &str) -> Option<f64> {
    exposition.lines().find_map(|line| {
        let value = line.strip_prefix(series)?.strip_prefix(' ')?;
        value.trim().parse().ok()
    })
}

/// Sends `raw` and returns the status code and body (chunked bodies decoded).
pub fn request(addr: SocketAddr, raw: &str) -> (u16, String) {
    // Nothing listening (yet) reads as status 0.
    let Ok(mut stream) = TcpStream::connect(addr) else {
        return (0, String::new());
    };
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream.write_all(raw.as_bytes()).expect("send");
    let mut bytes = Vec::new();
    let _ = stream.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (code, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        body = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// Headless Chromium with its DevTools protocol on a pipe-free port: one
/// page, JavaScript evaluated in it on demand.
pub struct Browser {
    child: Child,
    runtime: tokio::runtime::Runtime,
    page: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    next_id: u64,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium on `url`.
    pub fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().expect("profile");
        let mut child = Command::new(crate::support::chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--no-first-run",
                "--no-default-browser-check",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run chromium");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(at) = line.find("ws://")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(line[at..].trim().to_owned());
                }
            }
        });
        let browser_ws = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| {
                let _ = child.kill();
                panic!("chromium printed no DevTools address")
            });
        // The page's own endpoint, from the browser's target list.
        let port: u16 = browser_ws
            .trim_start_matches("ws://127.0.0.1:")
            .split('/')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a DevTools port");
        let list_addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let start = Instant::now();
        let page_ws = loop {
            let (_, body) = request(
                list_addr,
                &format!(
                    "GET /json/list HTTP/1.1\r\nHost: {list_addr}\r\nConnection: close\r\n\r\n"
                ),
            );
            let targets: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
            let found = targets.as_array().and_then(|list| {
                list.iter()
                    .find(|t| t["type"] == "page")
                    .and_then(|t| t["webSocketDebuggerUrl"].as_str().map(str::to_owned))
            });
            if let Some(found) = found {
                break found;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no page target: {body}"
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        let runtime = crate::tls_support::runtime();
        let page_ws = page_ws.replace("ws://localhost:", "ws://127.0.0.1:");
        let (page, _) = runtime
            .block_on(tokio_tungstenite::connect_async(page_ws.as_str()))
            .unwrap_or_else(|e| panic!("connect to the page at {page_ws}: {e}"));
        Browser {
            child,
            runtime,
            page,
            next_id: 0,
            _profile: profile,
        }
    }

    /// Evaluates `expression` in the page and returns its value as JSON.
    pub fn eval(&mut self, expression: &str) -> serde_json::Value {
        use futures::{SinkExt as _, StreamExt as _};
        use tokio_tungstenite::tungstenite::Message;
        self.next_id += 1;
        let id = self.next_id;
        let message = serde_json::json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": { "expression": expression, "returnByValue": true },
        });
        let page = &mut self.page;
        self.runtime.block_on(async {
            page.send(Message::text(message.to_string()))
                .await
                .expect("send");
            loop {
                let next = tokio::time::timeout(Duration::from_secs(20), page.next())
                    .await
                    .expect("an answer from the page")
                    .expect("the page is connected")
                    .expect("a message");
                let Message::Text(text) = next else { continue };
                let value: serde_json::Value = serde_json::from_str(&text).expect("json");
                if value["id"] == id {
                    return value["result"]["result"]["value"].clone();
                }
            }
        })
    }

    /// Evaluates `expression` until it is true, for at most `within`.
    #[track_caller]
    pub fn wait_until(&mut self, expression: &str, within: Duration) {
        let start = Instant::now();
        while self.eval(expression) != serde_json::Value::Bool(true) {
            assert!(
                start.elapsed() < within,
                "`{expression}` did not become true within {within:?}; the page:\n{}",
                self.eval("document.documentElement.outerHTML")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The metric names (from `# TYPE` lines) a served checklist with a file
/// probe exposes: started, scraped once after its first round, stopped.
pub fn exported_metric_names() -> Vec<String> {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        "version: 1\nname: Names\nsections:\n  - id: f\n    title: F\n    probe:\n      file: { path: x }\n",
    )
    .expect("write");
    let serving = Serving::start(dir.path(), &["--interval", "1s"]);
    let (_, body) = serving.wait_for("/metrics", Duration::from_secs(30), |_, b| {
        b.contains("candlefish_item_status{")
    });
    body.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}
