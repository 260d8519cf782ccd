//! `candlefish serve`: the real binary on loopback, scraped by `promtool
//! check metrics` and a real Prometheus (Debian's `prometheus`), its board
//! watched in headless Chromium while a round changes it, readiness following
//! the gate, sign-offs and checklist edits picked up between rounds, and
//! SIGTERM ending it cleanly.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::serve_support::{Browser, Serving, metric, request};
use crate::support::{Run, Server, Workspace};

const WAIT: Duration = Duration::from_secs(30);

/// A critical file check (green once `flag.txt` exists) and a manual item.
const CHECKLIST: &str = r"version: 1
name: Serve test
sections:
  - id: files
    title: Files
    critical: true
    items:
      - id: flag
        title: Flag file present
        probe:
          file: { path: flag.txt }
  - id: people
    title: People
    items:
      - id: training
        title: Team training
        manual: {}
";

/// Only the file check: the gate passes exactly when `flag.txt` exists.
const FLAG_ONLY: &str = r"version: 1
name: Flag only
sections:
  - id: files
    title: Files
    items:
      - id: flag
        title: Flag file present
        probe:
          file: { path: flag.txt }
";

fn series(item: &str, section: &str, critical: bool, status: &str) -> String {
    format!(
        "candlefish_item_status{{checklist=\"Serve test\",section=\"{section}\",item=\"{item}\",critical=\"{critical}\",status=\"{status}\"}}"
    )
}

/// A Debian tool the test needs; fails with the install hint.
pub fn debian_tool(name: &str, package: &str) -> PathBuf {
    for dir in ["/usr/bin", "/usr/sbin", "/usr/local/bin"] {
        let path = Path::new(dir).join(name);
        if path.exists() {
            return path;
        }
    }
    panic!("{name} is not installed: run scripts/test, or `apt-get install {package}`");
}

fn promtool_check_metrics(exposition: &str) -> (bool, String) {
    let mut child = Command::new(debian_tool("promtool", "prometheus"))
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(exposition.as_bytes()).expect("write");
    }
    let out = child.wait_with_output().expect("promtool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success() && text.trim().is_empty(), text)
}

#[test]
fn the_metrics_pass_promtool_and_carry_every_item() {
    let ws = Workspace::new(CHECKLIST);
    let serving = Serving::start(ws.dir.path(), &["--interval", "1s"]);
    let (_, body) = serving.wait_for("/metrics", WAIT, |_, b| {
        b.contains("candlefish_item_status{")
    });
    let (clean, lint) = promtool_check_metrics(&body);
    assert!(
        clean,
        "promtool check metrics found problems:\n{lint}\n{body}"
    );
    for (item, section, critical) in [
        ("files", "files", true),
        ("flag", "files", true),
        ("people", "people", false),
        ("training", "people", false),
    ] {
        assert_eq!(
            metric(&body, &series(item, section, critical, "red")),
            Some(1.0),
            "{item}:\n{body}"
        );
        assert_eq!(
            metric(&body, &series(item, section, critical, "green")),
            Some(0.0),
            "{item}"
        );
    }
    assert_eq!(
        metric(&body, "candlefish_gate_passed{checklist=\"Serve test\"}"),
        Some(0.0)
    );
    assert_eq!(
        metric(
            &body,
            "candlefish_checklist_valid{checklist=\"Serve test\"}"
        ),
        Some(1.0)
    );
    assert!(body.contains("candlefish_probe_duration_seconds_bucket{checklist=\"Serve test\",kind=\"file\",le=\"+Inf\"}"));

    // promtool does judge: a counter without `_total` and a bad unit are reported.
    let (clean, lint) = promtool_check_metrics(
        "# HELP candlefish_runs Rounds.\n# TYPE candlefish_runs counter\ncandlefish_runs 3\n\
         # HELP candlefish_age_milliseconds Age.\n# TYPE candlefish_age_milliseconds gauge\ncandlefish_age_milliseconds 3\n",
    );
    assert!(
        !clean && lint.contains("_total") && lint.contains("base unit"),
        "{lint}"
    );
}

#[test]
fn readyz_follows_the_gate_and_healthz_the_process() {
    let ws = Workspace::new(FLAG_ONLY);
    let serving = Serving::start(ws.dir.path(), &["--interval", "200ms"]);
    assert_eq!(serving.get("/healthz"), (200, "ok\n".to_owned()));
    let (_, why) = serving.wait_for("/readyz", WAIT, |code, _| code == 503);
    assert!(why.contains("not ready"), "{why}");
    let (_, why) = serving.wait_for("/readyz", WAIT, |_, b| b.contains("the gate failed"));
    assert!(
        why.contains("Flag only: the gate failed (no required item is red): flag"),
        "{why}"
    );
    std::fs::write(ws.path("flag.txt"), "up").expect("write");
    serving.wait_for("/readyz", WAIT, |code, body| {
        code == 200 && body == "ready\n"
    });
    std::fs::remove_file(ws.path("flag.txt")).expect("remove");
    serving.wait_for("/readyz", WAIT, |code, _| code == 503);
}

#[test]
fn sign_offs_are_read_again_every_round() {
    let ws = Workspace::new(CHECKLIST);
    let serving = Serving::start(ws.dir.path(), &["--interval", "200ms"]);
    let red = series("training", "people", false, "red");
    let green = series("training", "people", false, "green");
    serving.wait_for("/metrics", WAIT, |_, b| metric(b, &red) == Some(1.0));
    ws.run(
        &[
            "sign",
            "training",
            "--by",
            "Ada",
            "--evidence",
            "https://wiki.example/t",
        ],
        None,
    )
    .code(0);
    serving.wait_for("/metrics", WAIT, |_, b| metric(b, &green) == Some(1.0));
    let (_, metrics) = serving.get("/metrics");
    assert!(
        metrics
            .contains("candlefish_signoff_age_seconds{checklist=\"Serve test\",item=\"training\"}")
    );
    assert!(
        !metrics.contains("wiki.example") && !metrics.contains("Ada"),
        "sign-off text is no label"
    );
}

#[test]
fn a_broken_edit_keeps_the_last_valid_checklist_running_and_says_so() {
    let ws = Workspace::new(FLAG_ONLY);
    let serving = Serving::start(ws.dir.path(), &["--interval", "200ms"]);
    let valid = "candlefish_checklist_valid{checklist=\"Flag only\"}";
    let rounds = "candlefish_runs_total{checklist=\"Flag only\",result=\"failed\"}";
    serving.wait_for("/metrics", WAIT, |_, b| metric(b, valid) == Some(1.0));
    std::fs::write(
        ws.path("candlefish.yaml"),
        FLAG_ONLY.replace("probe:", "probez:"),
    )
    .expect("edit");
    let (_, body) = serving.wait_for("/metrics", WAIT, |_, b| metric(b, valid) == Some(0.0));
    let before = metric(&body, rounds).expect("rounds");
    // Rounds go on with the last valid version: the flag still turns it green.
    std::fs::write(ws.path("flag.txt"), "up").expect("write");
    serving.wait_for("/readyz", WAIT, |code, _| code == 200);
    assert!(serving.metric(rounds).expect("rounds") >= before);
    let (_, board) = serving.get("/");
    assert!(board.contains("id=\"live-banner\""), "the board says so");
    assert!(
        board.contains("candlefish.yaml no longer validates"),
        "{board}"
    );
    assert!(board.contains("probez"), "the banner quotes the problem");
    let (_, report) = serving.get("/api/v1/report");
    let report: serde_json::Value = serde_json::from_str(&report).expect("json");
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("no longer validates"), "{warnings}");
    assert!(
        serving.log().contains("no longer validates"),
        "{}",
        serving.log()
    );
    // Fixed again: valid, and the banner is gone.
    std::fs::write(ws.path("candlefish.yaml"), FLAG_ONLY).expect("fix");
    serving.wait_for("/metrics", WAIT, |_, b| metric(b, valid) == Some(1.0));
    serving.wait_for("/", WAIT, |_, b| !b.contains("id=\"live-banner\""));
}

#[test]
fn sigterm_cancels_the_round_in_flight_and_exits_0() {
    let ws = Workspace::new(
        r"version: 1
name: Slow
sections:
  - id: slow
    title: Takes a minute
    probe:
      exec: { command: [sleep, '60'] }
      timeout: 2m
",
    );
    let mut serving = Serving::start(ws.dir.path(), &["--interval", "1s"]);
    assert_eq!(serving.get("/healthz").0, 200);
    std::thread::sleep(Duration::from_millis(500));
    let started = std::time::Instant::now();
    assert_eq!(
        serving.terminate(Duration::from_secs(15)),
        Some(0),
        "{}",
        serving.log()
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        started.elapsed()
    );
    assert!(
        serving.log().contains("SIGTERM: stopping"),
        "{}",
        serving.log()
    );
    assert!(
        std::net::TcpStream::connect(serving.addr).is_err(),
        "the port is closed"
    );
}

#[test]
fn the_report_api_is_the_json_report_and_requests_stay_bounded() {
    let ws = Workspace::new(CHECKLIST);
    std::fs::write(ws.path("flag.txt"), "up").expect("write");
    let serving = Serving::start(ws.dir.path(), &["--interval", "200ms", "--history", "3"]);
    let (_, served) = serving.wait_for("/api/v1/report", WAIT, |code, _| code == 200);
    let served: serde_json::Value = serde_json::from_str(&served).expect("json");
    let checked = ws.run(&["check", "--format", "json"], None);
    let checked = checked.json();
    assert_eq!(served["schema_version"], checked["schema_version"]);
    assert_eq!(
        crate::support::statuses(&served),
        crate::support::statuses(&checked)
    );
    assert_eq!(served["gate"], checked["gate"]);

    let (_, history) = serving.wait_for("/api/v1/history", WAIT, |_, b| {
        b.matches("\"round\"").count() == 3
    });
    let history: serde_json::Value = serde_json::from_str(&history).expect("json");
    assert_eq!(history["capacity"], 3);
    let rounds: Vec<u64> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["round"].as_u64().unwrap())
        .collect();
    assert!(
        rounds.windows(2).all(|w| w[1] == w[0] + 1) && rounds[0] > 0,
        "{rounds:?}"
    );
    let (_, one) = serving.get("/api/v1/history?limit=1");
    assert_eq!(one.matches("\"round\"").count(), 1);
    assert_eq!(serving.get("/api/v1/report?checklist=Nope").0, 404);
    assert_eq!(serving.get("/nowhere").0, 404);
    let (code, _) = request(
        serving.addr,
        "POST /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
    );
    assert_eq!(code, 405);
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\nConnection: close\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let (code, _) = request(serving.addr, &huge);
    assert!(
        code == 431 || code == 0,
        "an oversized head is refused, got {code}"
    );
    assert_eq!(serving.get("/healthz").0, 200, "and the server goes on");
}

#[test]
fn secrets_reach_no_metric_report_or_board() {
    let server = Server::start();
    let secret = "s3cret-token-0123456789";
    let ws = Workspace::new(&format!(
        r"version: 1
name: Secrets
sections:
  - id: api
    title: API
    probe:
      http:
        url: {}?key=${{API_KEY}}
        headers:
          Authorization: Bearer ${{API_KEY}}
        expect: {{ status: 599 }}
",
        server.url("/health")
    ));
    let serving = Serving::start_with(
        ws.dir.path(),
        &["--interval", "200ms"],
        &[("API_KEY", secret)],
    );
    serving.wait_for("/api/v1/report", WAIT, |code, _| code == 200);
    for path in [
        "/metrics",
        "/api/v1/report",
        "/api/v1/history",
        "/",
        "/readyz",
    ] {
        let (_, body) = serving.get(path);
        assert!(!body.contains(secret), "{path} shows the secret:\n{body}");
    }
    let (_, report) = serving.get("/api/v1/report");
    assert!(
        report.contains("expected status 599"),
        "the probe ran: {report}"
    );
    assert!(!serving.log().contains(secret));
}

#[test]
fn several_checklists_get_an_index_and_names_must_differ() {
    let ws = Workspace::new(CHECKLIST);
    std::fs::write(ws.path("flag.yaml"), FLAG_ONLY).expect("write");
    let serving = Serving::start(
        ws.dir.path(),
        &["candlefish.yaml", "flag.yaml", "--interval", "200ms"],
    );
    let (_, index) = serving.wait_for("/", WAIT, |_, b| b.matches("NOT READY").count() == 2);
    assert!(
        index.contains("href=\"/?checklist=Serve+test\"")
            && index.contains("href=\"/?checklist=Flag+only\"")
    );
    assert_eq!(serving.get("/api/v1/report").0, 404, "which one? is asked");
    let (_, flag) = serving.get("/api/v1/report?checklist=Flag+only");
    assert!(flag.contains("\"name\": \"Flag only\""), "{flag}");
    let (_, board) = serving.get("/?checklist=Serve%20test");
    assert!(board.contains("id=\"b-training\""));
    drop(serving);

    std::fs::write(ws.path("twin.yaml"), FLAG_ONLY).expect("write");
    let ran = Run::new(&["serve", "flag.yaml", "twin.yaml", "--listen", "127.0.0.1:0"])
        .in_dir(ws.dir.path())
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("are both called `Flag only`"),
        "{}",
        ran.stderr
    );
    std::fs::write(ws.path("bad.yaml"), "version: 1\nname: x\nsectionz: []\n").expect("write");
    let ran = Run::new(&["serve", "bad.yaml", "--listen", "127.0.0.1:0"])
        .in_dir(ws.dir.path())
        .run();
    ran.code(2);
    assert!(ran.stderr.contains("bad.yaml:3:1"), "{}", ran.stderr);
}

#[test]
fn a_real_prometheus_scrapes_the_item_statuses() {
    let prometheus = debian_tool("prometheus", "prometheus");
    let ws = Workspace::new(CHECKLIST);
    let serving = Serving::start(ws.dir.path(), &["--interval", "1s"]);
    serving.wait_for("/metrics", WAIT, |_, b| {
        b.contains("candlefish_item_status{")
    });
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        probe.local_addr().expect("addr").port()
    };
    let config = ws.path("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: candlefish\n    static_configs:\n      - targets: ['{}']\n",
            serving.addr
        ),
    )
    .expect("config");
    let child = Command::new(prometheus)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", ws.path("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start prometheus");
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _prometheus = Kill(child);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let query = |q: &str| -> serde_json::Value {
        let encoded: String = q
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let (_, body) = request(
            addr,
            &format!(
                "GET /api/v1/query?query={encoded} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
            ),
        );
        serde_json::from_str(&body).unwrap_or_default()
    };
    let items = |v: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = v["data"]["result"]
            .as_array()
            .map(|r| {
                r.iter()
                    .filter_map(|s| s["metric"]["item"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        ids.sort();
        ids
    };
    let start = std::time::Instant::now();
    let red = "candlefish_item_status{job=\"candlefish\",status=\"red\"} == 1";
    while items(&query(red)).len() < 4 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "Prometheus never had the statuses: {}",
            query(red)
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(items(&query(red)), ["files", "flag", "people", "training"]);
    assert_eq!(
        items(&query("candlefish_item_status{status=\"green\"} == 1")),
        Vec::<String>::new()
    );
    // The flag turns green; Prometheus sees it in a later scrape.
    std::fs::write(ws.path("flag.txt"), "up").expect("write");
    let green = "candlefish_item_status{item=\"flag\",status=\"green\"} == 1";
    while items(&query(green)).is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "flag never turned green in Prometheus"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
    let gate = query("candlefish_gate_passed");
    assert_eq!(
        gate["data"]["result"][0]["value"][1], "0",
        "training is still red: {gate}"
    );
}

#[test]
fn the_live_board_updates_after_a_round_without_a_reload() {
    let ws = Workspace::new(CHECKLIST);
    let serving = Serving::start(ws.dir.path(), &["--interval", "500ms"]);
    serving.wait_for("/", WAIT, |_, b| b.contains("id=\"b-flag\""));
    let mut browser = Browser::open(&serving.url("/#status=all"));
    let flag = "document.getElementById('b-flag')";
    browser.wait_until(
        &format!("!!{flag} && {flag}.classList.contains('s-red')"),
        WAIT,
    );
    browser.wait_until(
        "document.documentElement.getAttribute('data-live') === 'open'",
        WAIT,
    );
    // A mark only this page load carries: a reload would lose it.
    browser.eval("window.candlefishTestMark = 42; true");
    std::fs::write(ws.path("flag.txt"), "up").expect("write");
    browser.wait_until(&format!("{flag}.classList.contains('s-green')"), WAIT);
    assert_eq!(
        browser.eval("window.candlefishTestMark"),
        serde_json::json!(42),
        "no reload"
    );
    let swaps = browser.eval("Number(document.documentElement.getAttribute('data-swaps'))");
    assert!(swaps.as_u64().is_some_and(|n| n >= 1), "{swaps}");
    // The board's own script ran on the new body: filters and the count work.
    browser.wait_until(
        "document.getElementById('shown').textContent === '2 of 2 items shown'",
        WAIT,
    );
    browser.eval("location.hash = 'status=red'; true");
    browser.wait_until(&format!("{flag}.hidden === true"), WAIT);
}
