//! `candlefish check` against servers on 127.0.0.1: verdicts, evidence, exit
//! codes, concurrency, deadlines, selection and secrets.

use crate::support::{Run, Server, item, refused_port, statuses};

fn checklist(server: &Server, refused: u16) -> String {
    format!(
        r#"
version: 1
name: Local services
vars:
  base: "{base}"
sections:
  - id: services
    title: Services
    items:
      - id: healthy
        title: Healthy endpoint
        critical: true
        tags: [smoke]
        probe:
          http: {{ url: "${{base}}/status/200", expect: {{ status: 200, json: [{{ path: "$.status", equals: ok }}] }} }}
      - id: failing
        title: Failing endpoint
        probe:
          http: {{ url: "${{base}}/status/503", expect: {{ status: 200 }} }}
      - id: too-slow
        title: Slow endpoint
        probe:
          http: {{ url: "${{base}}/slow/1500" }}
          timeout: 1s
      - id: over-budget
        title: Endpoint over its latency budget
        probe:
          http: {{ url: "${{base}}/slow/200", expect: {{ max_latency: 50ms }} }}
      - id: refusing
        title: Nothing listens here
        probe:
          http: {{ url: "http://127.0.0.1:{refused}/health" }}
"#,
        base = server.url("")
    )
}

#[test]
fn green_red_red_red_with_distinct_readable_evidence() {
    let server = Server::start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist(&server, refused_port()))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(s["healthy"], "green");
    assert_eq!(s["failing"], "red");
    assert_eq!(s["too-slow"], "red");
    assert_eq!(s["over-budget"], "red");
    assert_eq!(s["refusing"], "red");
    assert_eq!(s["services"], "yellow");

    let evidence = |id: &str| {
        item(&report, id)["probes"][0]["evidence"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let verdict = |id: &str| {
        item(&report, id)["probes"][0]["verdict"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert!(
        evidence("healthy").starts_with("200 OK in "),
        "{}",
        evidence("healthy")
    );
    assert!(
        evidence("failing").starts_with("expected status 200, got 503 Service Unavailable in "),
        "{}",
        evidence("failing")
    );
    assert_eq!(verdict("failing"), "fail");
    assert!(
        evidence("too-slow").starts_with(
            "no answer within 1s (timeout) waiting for the response headers from 127.0.0.1:"
        ),
        "the stage that stalled is named: {}",
        evidence("too-slow")
    );
    assert_eq!(verdict("too-slow"), "error");
    assert!(
        evidence("over-budget").starts_with("expected latency <= 50ms (max_latency), got "),
        "{}",
        evidence("over-budget")
    );
    assert_eq!(verdict("over-budget"), "fail");
    assert!(
        evidence("refusing").starts_with("connection refused (127.0.0.1:"),
        "{}",
        evidence("refusing")
    );
    assert_eq!(verdict("refusing"), "error");

    let gate = &report["gate"];
    assert_eq!(gate["passed"], false);
    assert_eq!(
        gate["failing"],
        serde_json::json!(["failing", "too-slow", "over-budget", "refusing"])
    );
    assert_eq!(report["summary"]["probes_fail"], 2);
    assert_eq!(report["summary"]["probes_error"], 2);
}

#[test]
fn the_board_shows_every_verdict_with_its_evidence() {
    let server = Server::start();
    let ran = Run::new(&["check", "--color", "never"])
        .with_checklist(&checklist(&server, refused_port()))
        .run();
    ran.code(1);
    let board = &ran.stdout;
    assert!(
        board.starts_with("Local services — NOT READY · 4 required items red\n"),
        "{board}"
    );
    assert!(board.contains("🟢   ├─ Healthy endpoint\u{a0}★"), "{board}");
    assert!(
        board.contains("↳ expected status 200, got 503 Service"),
        "{board}"
    );
    assert!(board.contains("↳ no answer within 1s (timeout)"), "{board}");
    assert!(
        board.contains("↳ connection refused (127.0.0.1:"),
        "{board}"
    );
    assert!(
        board.contains("1 🟢  0 🟡  4 🔴  0 ⚪  · 5 items\n5 probes in "),
        "{board}"
    );
    assert!(
        board.contains(": 1 passed, 2 failed, 2 could not run\n"),
        "{board}"
    );
    assert!(
        board.contains(
            "gate failed: 4 required items are red: failing, too-slow, over-budget, refusing"
        ),
        "{board}"
    );
    assert!(!board.contains('\x1b'), "no colour when asked for none");
    for line in board.lines() {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 80,
            "wider than 80 columns: {line:?}"
        );
    }
}

#[test]
fn a_passing_checklist_exits_zero() {
    let server = Server::start();
    let ran = Run::new(&["check"])
        .with_checklist(&format!(
            "version: 1\nname: Fine\nsections:\n  - id: ok\n    title: OK\n    probe:\n      http: {{ url: \"{}\" }}\n",
            server.url("/status/204")
        ))
        .run();
    ran.code(0);
    assert!(
        ran.stdout.contains("gate passed: no required item is red"),
        "{}",
        ran.stdout
    );
}

#[test]
fn warnings_pass_by_default_and_fail_with_fail_on_yellow() {
    let server = Server::start();
    let checklist = format!(
        "version: 1\nname: Slowish\nsections:\n  - id: search\n    title: Search\n    probe:\n      http: {{ url: \"{}\", expect: {{ warn_latency: 20ms, max_latency: 5s }} }}\n",
        server.url("/slow/150")
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    assert_eq!(statuses(&ran.json())["search"], "yellow");
    let ran = Run::new(&["check", "--fail-on", "yellow", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(1);
    assert_eq!(ran.json()["gate"]["failing"], serde_json::json!(["search"]));
}

#[test]
fn optional_and_deferred_items_never_fail_the_gate() {
    let server = Server::start();
    let checklist = format!(
        "version: 1\nname: Optional\nsections:\n  - id: main\n    title: Main\n    status: done\n  - id: extra\n    title: Extra\n    optional: true\n    probe:\n      http: {{ url: \"{}\" }}\n  - id: later\n    title: Later\n    status: deferred\n    probe:\n      http: {{ url: \"{}\" }}\n",
        server.url("/status/500"),
        server.url("/status/500")
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(
        (s["main"].as_str(), s["extra"].as_str(), s["later"].as_str()),
        ("green", "white", "white")
    );
    assert!(
        item(&report, "later")["probes"].is_null(),
        "deferred probes are not run"
    );
}

#[test]
fn concurrency_is_bounded_by_the_flag() {
    let server = Server::start();
    let mut checklist = String::from(
        "version: 1\nname: Many\nsections:\n  - id: many\n    title: Many\n    items:\n",
    );
    for i in 0..12 {
        checklist.push_str(&format!(
            "      - id: p{i}\n        title: Probe {i}\n        probe:\n          http: {{ url: \"{}\" }}\n",
            server.url("/gauge/150")
        ));
    }
    let ran = Run::new(&["check", "-j", "3", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    assert_eq!(
        server.max_in_flight(),
        3,
        "with -j 3 exactly three requests are in flight at the peak"
    );
}

#[test]
fn only_runs_the_selected_items_and_their_dependencies() {
    let server = Server::start();
    let checklist = format!(
        r#"version: 1
name: Selection
sections:
  - id: db
    title: Database
    tags: [data]
    probe:
      http: {{ url: "{ok}" }}
  - id: api
    title: API
    depends_on: [db]
    probe:
      http: {{ url: "{ok}" }}
  - id: web
    title: Web
    probe:
      http: {{ url: "{ok}" }}
"#,
        ok = server.url("/status/200")
    );
    let ran = Run::new(&["check", "--only", "api", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    let ids: Vec<String> = statuses(&ran.json()).into_keys().collect();
    let mut ids = ids;
    ids.sort();
    assert_eq!(ids, ["api", "db"]);
    let ran = Run::new(&["check", "--only", "tag:data", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(0);
    assert_eq!(statuses(&ran.json()).len(), 1);
    let ran = Run::new(&["check", "--only", "ap"])
        .with_checklist(&checklist)
        .run();
    ran.code(2);
    assert_eq!(
        ran.stderr,
        "error: --only ap: no item has this id; did you mean `api`?\n"
    );
}

#[test]
fn a_dependency_that_is_not_green_blocks_its_dependents() {
    let server = Server::start();
    let checklist = format!(
        "version: 1\nname: Deps\nsections:\n  - id: db\n    title: Database\n    probe:\n      http: {{ url: \"{}\" }}\n  - id: api\n    title: API\n    depends_on: [db]\n    probe:\n      http: {{ url: \"{}\" }}\n",
        server.url("/status/500"),
        server.url("/status/200")
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(1);
    let report = ran.json();
    assert_eq!(item(&report, "api")["status"], "red");
    assert_eq!(item(&report, "api")["basis"], "dependency");
    let reason = item(&report, "api")["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        reason.starts_with(
            "blocked by `db` (red: expected status 2xx, got 500 Internal Server Error in "
        ),
        "{reason}"
    );
}

#[test]
fn secrets_from_the_environment_never_appear_in_output() {
    let server = Server::start();
    let addr = server.addr;
    // The server echoes the Authorization header into a body that is not JSON,
    // so the evidence would carry the secret if nothing masked it.
    let checklist = format!(
        r#"version: 1
name: Secrets
sections:
  - id: token
    title: Token in a header
    probe:
      http:
        url: "http://{addr}/echo"
        headers: {{ Authorization: "Bearer ${{CANDLEFISH_TEST_TOKEN}}" }}
        expect: {{ json: [{{ path: "$.x", equals: 1 }}] }}
  - id: password
    title: Password in the URL
    probe:
      http:
        url: "http://admin:${{CANDLEFISH_TEST_PASSWORD}}@{addr}/echo"
        expect: {{ json: [{{ path: "$.x", equals: 1 }}] }}
"#
    );
    for format in ["json", "board"] {
        let ran = Run::new(&["check", "--format", format, "--width", "200"])
            .with_checklist(&checklist)
            .env("CANDLEFISH_TEST_TOKEN", "tok-12345-secret")
            .env("CANDLEFISH_TEST_PASSWORD", "pa55word-xyz")
            .run();
        ran.code(1);
        // "admin:pa55word-xyz" as sent in a Basic authorization header.
        let basic = "YWRtaW46cGE1NXdvcmQteHl6";
        for output in [&ran.stdout, &ran.stderr] {
            for secret in ["tok-12345-secret", "pa55word-xyz", basic] {
                assert!(
                    !output.contains(secret),
                    "{secret} leaked in {format}:\n{output}"
                );
            }
        }
        assert!(
            ran.stdout.contains("you sent ••••"),
            "the evidence still reads:\n{}",
            ran.stdout
        );
        assert!(
            ran.stdout.contains("you sent Basic ••••"),
            "the evidence still reads:\n{}",
            ran.stdout
        );
        if format == "json" {
            assert!(
                ran.stdout.contains("http://admin:***@127.0.0.1"),
                "{}",
                ran.stdout
            );
        }
    }
}

#[test]
fn an_interrupted_run_exits_130() {
    let server = Server::start();
    let mut run = Run::new(&["check"]).with_checklist(&format!(
        "version: 1\nname: Slow\nsections:\n  - id: slow\n    title: Slow\n    probe:\n      http: {{ url: \"{}\" }}\n      timeout: 30s\n",
        server.url("/gauge/20000")
    ));
    let child = run
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    // Wait until the request is in flight, then interrupt.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while server.max_in_flight() == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
}

#[test]
fn a_var_may_default_from_its_own_environment_variable_and_var_overrides_skip_it() {
    let checklist = "version: 1\nname: V\nvars:\n  API_URL: \"${API_URL:-http://127.0.0.1:9}\"\n  tok: \"${TOKEN}\"\n  path: \"${base}/x\"\n  base: /v1\nsections:\n  - id: s\n    title: S\n    probe: { http: { url: \"${API_URL}${path}?t=${tok}\" } }\n";
    let target = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["list", "--format", "json"];
        args.extend_from_slice(extra);
        let mut run = Run::new(&args).with_checklist(checklist);
        run.command().env_remove("API_URL").env_remove("TOKEN");
        for (k, v) in env {
            run = run.env(k, v);
        }
        let ran = run.run();
        ran.code(0);
        ran.json()[0]["probes"][0]["target"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    // `tok` uses an unset TOKEN, but --var replaces its definition outright.
    assert_eq!(
        target(&[], &["--var", "tok=1"]),
        "GET http://127.0.0.1:9/v1/x?t=1"
    );
    assert_eq!(
        target(&[("API_URL", "http://127.0.0.2:8")], &["--var", "tok=2"]),
        "GET http://127.0.0.2:8/v1/x?t=2"
    );
}
