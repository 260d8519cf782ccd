//! The engine against slow, flaky and failing servers: retries, `wait_until`,
//! dependency order and blocking, per-host limits, interrupts, watch, saved runs.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::{Run, Server, item, statuses};

fn one_probe(server: &Server, path: &str, extra: &str) -> String {
    format!(
        "version: 1\nname: One\nsections:\n  - id: svc\n    title: Service\n    probe:\n      http: {{ url: \"{}\" }}\n{extra}",
        server.url(path)
    )
}

/// Runs the one-probe checklist, checks the exit code, returns the probe's outcome.
fn run_one(server: &Server, path: &str, extra: &str, code: i32) -> serde_json::Value {
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&one_probe(server, path, extra))
        .run();
    ran.code(code);
    item(&ran.json(), "svc")["probes"][0].clone()
}

#[test]
fn a_probe_that_passes_after_retries_is_green_and_marked_flaky() {
    let server = Server::start();
    let probe = &run_one(
        &server,
        "/flaky/a/2",
        "      retries: 3\n      retry_delay: 20ms\n",
        0,
    );
    assert_eq!(probe["verdict"], "pass");
    assert_eq!(probe["attempts"], 3);
    assert_eq!(probe["flaky"], true);
    let evidence = probe["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.contains("flaky: passed on attempt 3 of 4, attempt 1 said: expected status 2xx, got 503 Service Unavailable"),
        "{evidence}"
    );
    assert_eq!(server.hits("/flaky/a/2"), 3);

    let board = Run::new(&["check", "--color", "never"]).with_checklist(&one_probe(
        &server,
        "/flaky/b/1",
        "      retries: 1\n      retry_delay: 20ms\n",
    ));
    let ran = board.run();
    ran.code(0);
    assert!(
        ran.stdout.contains("↳ 200 OK in"),
        "a flaky pass shows its evidence:\n{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("flaky: passed on attempt 2 of 2"),
        "{}",
        ran.stdout
    );
}

#[test]
fn retries_that_never_pass_stay_red_and_count_every_attempt() {
    let server = Server::start();
    let probe = &run_one(
        &server,
        "/status/503",
        "      retries: 2\n      retry_delay: 10ms\n",
        1,
    );
    assert_eq!(probe["attempts"], 3);
    assert!(
        probe["evidence"]
            .as_str()
            .unwrap_or_default()
            .ends_with("(all 3 attempts failed)")
    );
    assert_eq!(server.hits("/status/503"), 3);
}

#[test]
fn wait_until_keeps_probing_until_the_deploy_is_healthy() {
    let server = Server::start();
    let probe = &run_one(
        &server,
        "/after/deploy/400",
        "      wait_until: 10s\n      interval: 50ms\n",
        0,
    );
    assert_eq!(probe["verdict"], "pass");
    assert!(probe["attempts"].as_u64().unwrap_or(0) >= 2, "{probe}");
    assert!(
        probe["evidence"]
            .as_str()
            .unwrap_or_default()
            .contains("passed after"),
        "{probe}"
    );
    assert_eq!(probe.get("flaky"), None, "waiting is not flakiness");
}

#[test]
fn wait_until_gives_up_at_its_deadline() {
    let server = Server::start();
    let probe = &run_one(
        &server,
        "/status/503",
        "      wait_until: 300ms\n      interval: 50ms\n",
        1,
    );
    assert!(
        probe["evidence"]
            .as_str()
            .unwrap_or_default()
            .contains("still not passing after"),
        "{probe}"
    );
    let hits = server.hits("/status/503");
    assert!(
        (2..=8).contains(&hits),
        "about one attempt per interval, got {hits}"
    );
}

fn chain(server: &Server, db: &str) -> String {
    format!(
        r#"version: 1
name: Chain
sections:
  - id: db
    title: Database
    probe:
      http: {{ url: "{db}" }}
  - id: api
    title: API
    depends_on: [db]
    probe:
      http: {{ url: "{api}" }}
  - id: web
    title: Web
    depends_on: [api]
    items:
      - id: web-home
        title: Home page
        probe:
          http: {{ url: "{web}" }}
"#,
        db = server.url(db),
        api = server.url("/status/200"),
        web = server.url("/json"),
    )
}

#[test]
fn dependencies_run_first_and_a_red_dependency_blocks_its_dependents() {
    let server = Server::start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&chain(&server, "/status/500"))
        .run();
    ran.code(1);
    let report = ran.json();
    assert_eq!(
        server.hits("/status/200"),
        0,
        "a blocked item's probes are not run"
    );
    assert_eq!(server.hits("/json"), 0, "nor those of a group's children");
    let api = item(&report, "api");
    assert_eq!(api["status"], "red");
    assert_eq!(api["probes"][0]["verdict"], "skipped");
    assert_eq!(
        api["probes"][0]["evidence"],
        "not run: blocked by `db` (red)"
    );
    let web = item(&report, "web");
    let reason = web["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with("blocked by `api` (red: blocked by `db` (red: expected status 2xx, got 500 Internal Server Error"),
        "the cause chain is shown: {reason}"
    );
    assert_eq!(report["summary"]["probes_skipped"], 2);
}

#[test]
fn run_blocked_runs_them_anyway_and_they_stay_red() {
    let server = Server::start();
    let ran = Run::new(&["check", "--run-blocked", "--format", "json"])
        .with_checklist(&chain(&server, "/status/500"))
        .run();
    ran.code(1);
    assert_eq!(server.hits("/status/200"), 1);
    assert_eq!(server.hits("/json"), 1);
    assert_eq!(statuses(&ran.json())["api"], "red");
}

#[test]
fn a_dependency_finishes_before_its_dependents_start() {
    let server = Server::start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&chain(&server, "/slow/300"))
        .run();
    ran.code(0);
    let log = server.log();
    let position = |line: &str| {
        log.iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line} missing: {log:?}"))
    };
    assert!(
        position("end /slow/300") < position("start /status/200"),
        "{log:?}"
    );
    assert!(
        position("end /status/200") < position("start /json"),
        "{log:?}"
    );
}

#[test]
fn the_per_host_limit_holds_whatever_the_global_limit() {
    let server = Server::start();
    let mut checklist = String::from(
        "version: 1\nname: Many\nsections:\n  - id: many\n    title: Many\n    items:\n",
    );
    for i in 0..10 {
        checklist.push_str(&format!(
            "      - id: p{i}\n        title: Probe {i}\n        probe:\n          http: {{ url: \"{}\" }}\n",
            server.url("/gauge/120")
        ));
    }
    let ran = Run::new(&["check", "-j", "10", "--per-host", "2", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    assert_eq!(server.max_in_flight(), 2);
}

fn interrupt(child: &std::process::Child) {
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `run` until `ready`, then presses Ctrl-C; the output, after exit 130.
fn interrupted_when(mut run: Run, what: &str, ready: impl Fn() -> bool) -> std::process::Output {
    let child = run
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for(what, ready);
    interrupt(&child);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
    output
}

#[test]
fn ctrl_c_prints_the_partial_board_marked_interrupted_and_exits_130() {
    let server = Server::start();
    let checklist = format!(
        "version: 1\nname: Partial\nsections:\n  - id: quick\n    title: Quick\n    probe:\n      http: {{ url: \"{}\" }}\n  - id: stuck\n    title: Stuck\n    depends_on: [quick]\n    probe:\n      http: {{ url: \"{}\" }}\n      timeout: 60s\n",
        server.url("/status/200"),
        server.url("/gauge/60000")
    );
    // `stuck` starts only once `quick` is decided, so the slow request in
    // flight means the quick item's 🟢 is recorded when the interrupt lands
    // (counting the server's hit on /status/200 alone raced its response).
    let mut run = Run::new(&["check", "--color", "never", "--report", "json=partial.json"])
        .with_checklist(&checklist);
    let child = run
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for("the slow request", || server.hits("/gauge/60000") == 1);
    let sent = Instant::now();
    interrupt(&child);
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
    assert!(
        sent.elapsed() < Duration::from_secs(30),
        "the stuck probe was cancelled, not awaited"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("interrupted: the board shows what finished before the stop"),
        "{stdout}"
    );
    assert!(stdout.contains("🟢   Quick"), "{stdout}");
    assert!(stdout.contains("↳ not run: interrupted"), "{stdout}");
    assert!(
        stdout.contains("gate failed: the run was interrupted"),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("press Ctrl-C again to quit at once"),
        "{stderr}"
    );
    // The reports asked for are written too, marked interrupted.
    let written = std::fs::read_to_string(run.path().expect("temp dir").join("partial.json"))
        .expect("the report is written");
    let saved: serde_json::Value = serde_json::from_str(&written).expect("JSON");
    assert_eq!(saved["interrupted"], true);
    assert_eq!(item(&saved, "quick")["status"], "green");
}

#[test]
fn ctrl_c_twice_quits_at_once() {
    let server = Server::start();
    let checklist = one_probe(&server, "/gauge/60000", "      timeout: 60s\n");
    let mut run = Run::new(&["check"]).with_checklist(&checklist);
    // After the first Ctrl-C the run still writes its GitHub job summary; a FIFO
    // nobody reads makes that wait forever, so only the second Ctrl-C can end it.
    let fifo = run.path().expect("temp dir").join("summary.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo (coreutils)");
    assert!(made.success());
    let mut child = run
        .command()
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for("the slow request", || server.max_in_flight() == 1);
    interrupt(&child);
    // The first stops the run, which then blocks on the summary. A signal
    // within a second of the first is the same interrupt delivered twice, so
    // the second press comes later.
    std::thread::sleep(Duration::from_millis(1300));
    assert!(
        child.try_wait().expect("try_wait").is_none(),
        "still writing the summary after the first Ctrl-C"
    );
    interrupt(&child);
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the second Ctrl-C did not end the run");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130));
}

#[test]
fn watch_redraws_each_round_and_marks_what_changed() {
    let server = Server::start();
    let checklist = one_probe(&server, "/toggle/w", "");
    let run = Run::new(&["check", "--watch", "1s", "--color", "never"]).with_checklist(&checklist);
    let output = interrupted_when(run, "three rounds", || server.hits("/toggle/w") >= 3);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("round 1 at "), "{stdout}");
    assert!(stdout.contains("round 2 at "), "{stdout}");
    assert!(
        stdout.contains("Service ◀ was 🟢"),
        "round 2 marks the change:\n{stdout}"
    );
    assert!(
        stdout.contains("Service ◀ was 🔴"),
        "round 3 marks the change back:\n{stdout}"
    );
}

#[test]
fn watch_with_a_machine_format_keeps_stdout_parseable() {
    let server = Server::start();
    let checklist = one_probe(&server, "/toggle/j", "");
    let run = Run::new(&["check", "--watch", "1s", "--format", "json"]).with_checklist(&checklist);
    let output = interrupted_when(run, "two rounds", || server.hits("/toggle/j") >= 2);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let reports: Vec<serde_json::Value> = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<serde_json::Value>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is a stream of JSON reports: {e}\n{stdout}"));
    assert!(reports.len() >= 2, "{stdout}");
    assert!(reports.iter().all(|r| r["schema_version"] == 1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("round 1 at "), "{stderr}");
    assert!(
        stderr.contains("stopped during round") || stderr.contains("round 2 at "),
        "{stderr}"
    );
}

#[test]
fn watch_refuses_intervals_under_a_second() {
    let ran = Run::new(&["check", "--watch", "100ms"])
        .with_checklist("version: 1\nname: T\nsections: [{ id: a, title: A, status: done }]\n")
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("rounds are at least 1s apart"),
        "{}",
        ran.stderr
    );
}

#[test]
fn save_keeps_each_run_and_prunes_the_oldest() {
    let server = Server::start();
    let first = Run::new(&["check", "--save", "--keep", "2", "--format", "json"])
        .with_checklist(&one_probe(&server, "/status/200", ""))
        .run();
    first.code(0);
    let dir = first.dir.as_ref().expect("temp dir").path().to_path_buf();
    // Files it did not name are never counted or removed.
    let runs_dir = dir.join(".candlefish/runs");
    std::fs::write(runs_dir.join("aaa-important.json"), "{}").expect("write");
    std::fs::create_dir(runs_dir.join("x.json")).expect("mkdir");
    for _ in 0..2 {
        let mut again = Run::new(&["check", "--save", "--keep", "2", "--format", "json"]);
        again.command().current_dir(&dir);
        again.run().code(0);
    }
    assert!(runs_dir.join("aaa-important.json").exists());
    assert!(runs_dir.join("x.json").is_dir());
    let runs: Vec<_> = std::fs::read_dir(&runs_dir)
        .expect("runs dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("20"))
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    for entry in runs {
        let text = std::fs::read_to_string(entry.path()).expect("read run");
        let report: serde_json::Value =
            serde_json::from_str(&text).expect("a saved run is a JSON report");
        assert_eq!(report["schema_version"], 1);
    }
}

#[test]
fn graph_prints_the_startup_order_as_a_list_mermaid_and_dot() {
    let server = Server::start();
    let checklist = chain(&server, "/status/200");
    let ran = Run::new(&["graph"]).with_checklist(&checklist).run();
    ran.code(0);
    assert_eq!(
        ran.stdout,
        "Startup order of Chain (dependencies first):\n  1. db   Database\n  2. api  API  (after db)\n  3. web  Web  (after api)\n"
    );
    let ran = Run::new(&["graph", "--format", "mermaid"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    assert_eq!(
        ran.stdout,
        "flowchart LR\n  n1[\"Database<br/>db\"]\n  n2[\"API<br/>api\"]\n  n3[\"Web<br/>web\"]\n  n1 --> n2\n  n2 --> n3\n"
    );
    let ran = Run::new(&["graph", "--format", "dot"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    assert!(ran.stdout.contains("\"db\" -> \"api\";"), "{}", ran.stdout);
}

#[test]
fn graph_of_the_production_checklist_has_a_startup_order() {
    let ran = Run::new(&["graph", "checklists/production.yaml"]).run();
    ran.code(0);
    assert!(
        ran.stdout
            .starts_with("Startup order of Candlefish AI Production Deployment Checklist"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.contains("  1. "), "{}", ran.stdout);
    assert!(ran.stdout.contains("  2. "), "{}", ran.stdout);
}

#[test]
fn retry_settings_are_validated() {
    let server = Server::start();
    for (extra, message) in [
        (
            "      retries: 2\n      wait_until: 1m\n",
            "`retries` and `wait_until` cannot be combined",
        ),
        ("      retries: 50\n", "retries is 50; at most 10"),
        ("      interval: 1s\n", "`interval` needs `wait_until`"),
        (
            "      wait_until: 1s\n      interval: 2s\n",
            "interval (2s) is not below wait_until (1s)",
        ),
    ] {
        let ran = Run::new(&["validate", "candlefish.yaml"])
            .with_checklist(&one_probe(&server, "/", extra))
            .run();
        ran.code(2);
        assert!(ran.stderr.contains(message), "{message}:\n{}", ran.stderr);
    }
}

#[test]
fn a_low_open_file_limit_narrows_concurrency_and_says_so() {
    let server = Server::start();
    let mut checklist = String::from("version: 1\nname: Many\nsections:\n");
    for i in 0..40 {
        checklist.push_str(&format!(
            "  - id: p{i}\n    title: P{i}\n    probe: {{ http: {{ url: \"{}\" }} }}\n",
            server.url("/status/200")
        ));
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("candlefish.yaml"), &checklist).expect("write");
    let binary = crate::support::binary();
    let mut shell = std::process::Command::new("sh");
    shell
        .arg("-c")
        .arg(format!(
            "ulimit -n 80 && exec '{}' check -q -j 32",
            binary.display()
        ))
        .current_dir(dir.path());
    let out = shell.output().expect("sh");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("warning: at most 16 probes at once, not 32: the open-file limit is 80"),
        "{stderr}"
    );
}
