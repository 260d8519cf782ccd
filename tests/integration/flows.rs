//! The `flow` probe against an application with a real login
//! (`flow_app.rs`): a flow that passes every step, flows that fail at each
//! step, a token the server echoes back masked in every output, a server that
//! stalls mid-flow, steps kept in their own file, captures checked at load
//! time, and a step retried until a job is done.

use std::time::{Duration, Instant};

use crate::apps::{App, Reply};
use crate::flow_app::{Break, FlowApp, PASSWORD};
use crate::support::{Run, Workspace, item};

/// The whole journey: log in, see the profile, open the form (CSRF cookie),
/// create a document with it, read it back, join its collaboration socket.
pub const STEPS: &str = r#"
              - name: log in
                method: POST
                url: "${api}/login"
                json: { user: ada, password: "${E2E_PASSWORD}" }
                expect: { status: 200 }
                capture: { token: { json: $.token } }
              - name: who am i
                url: "${api}/me"
                headers: { Authorization: "Bearer {{token}}" }
                expect: { status: 200, json: [{ path: $.name, equals: Ada }] }
              - name: open the form
                url: "${api}/form"
                capture: { csrf: { cookie: csrftoken } }
              - name: create a document
                method: POST
                url: "${api}/documents"
                headers: { Authorization: "Bearer {{token}}" }
                form: { title: Launch plan, csrf: "{{csrf}}" }
                expect: { status: 201 }
                capture: { doc: { json: $.id, secret: false } }
              - name: read it back
                url: "${api}/documents/{{doc}}"
                headers: { Authorization: "Bearer {{token}}" }
                expect: { json: [{ path: $.title, equals: Launch plan }] }
              - name: collaborate
                websocket:
                  url: "${ws}/collab"
                  headers: { Authorization: "Bearer {{token}}" }
                  send: "join {{doc}}"
                  expect: { matches: '^joined doc-\d+$' }
"#;

pub fn checklist(app: &FlowApp, timeout: &str, steps: &str) -> String {
    format!(
        r#"version: 1
name: Flows
vars:
  api: "{api}"
  ws: "{ws}"
sections:
  - id: user
    title: User flows
    items:
      - id: journey
        title: A user logs in, writes a document and collaborates
        probe:
          timeout: {timeout}
          flow:
            steps:{steps}"#,
        api = app.url(),
        ws = app.ws_url(),
    )
}

fn check(app: &FlowApp, timeout: &str, steps: &str, password: &str) -> crate::support::Ran {
    Run::new(&["check", "--format", "json", "--no-progress"])
        .with_checklist(&checklist(app, timeout, steps))
        .env("E2E_PASSWORD", password)
        .run()
}

#[test]
fn a_login_flow_passes_every_step_and_reports_each_ones_time() {
    let app = FlowApp::start(Break::Nothing);
    let ran = check(&app, "10s", STEPS, PASSWORD);
    ran.code(0);
    let report = ran.json();
    let probe = &item(&report, "journey")["probes"][0];
    assert_eq!(probe["kind"], "flow");
    assert_eq!(probe["verdict"], "pass", "{probe:#}");
    let evidence = probe["evidence"].as_str().unwrap();
    assert!(evidence.starts_with("6 steps passed in "), "{evidence}");
    let steps = probe["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "log in",
            "who am i",
            "open the form",
            "create a document",
            "read it back",
            "collaborate"
        ]
    );
    for step in steps {
        assert_eq!(step["verdict"], "pass");
        assert!(step["duration_ms"].is_u64());
    }
    assert_eq!(
        steps[3]["evidence"].as_str().unwrap().split(' ').next(),
        Some("201")
    );
    // The form post carried the cookie the form page set, and the token.
    let post = app
        .http
        .asked()
        .into_iter()
        .find(|a| a.method == "POST" && a.path == "/documents")
        .expect("the document was created");
    assert!(post.headers["cookie"].contains("csrftoken=csrf-"));
    assert!(post.body.starts_with("title=Launch+plan&csrf=csrf-"));
    assert!(!ran.stdout.contains(&app.token), "the token never shows");
    assert!(!ran.stdout.contains(PASSWORD), "the password never shows");
}

#[test]
fn a_flow_fails_at_each_step_naming_it_and_the_steps_before() {
    let cases: [(Break, &str, usize, &str); 6] = [
        (
            Break::Nothing,
            "wrong",
            1,
            "expected status 200, got 401 Unauthorized",
        ),
        (
            Break::Profile,
            PASSWORD,
            2,
            "expected status 200, got 403 Forbidden",
        ),
        (
            Break::Form,
            PASSWORD,
            3,
            "expected to capture `csrf` from cookie csrftoken, got nothing",
        ),
        (
            Break::Csrf,
            PASSWORD,
            4,
            "expected status 201, got 403 Forbidden",
        ),
        (
            Break::Read,
            PASSWORD,
            5,
            "expected status 2xx, got 404 Not Found",
        ),
        (
            Break::Socket,
            PASSWORD,
            6,
            "expected an upgrade to WebSocket (101), got 401 Unauthorized",
        ),
    ];
    let names = [
        "log in",
        "who am i",
        "open the form",
        "create a document",
        "read it back",
        "collaborate",
    ];
    for (broken, password, at, why) in cases {
        let app = FlowApp::start(broken);
        let ran = check(&app, "10s", STEPS, password);
        ran.code(1);
        let report = ran.json();
        let probe = &item(&report, "journey")["probes"][0];
        assert_eq!(probe["verdict"], "fail", "{broken:?}: {probe:#}");
        let evidence = probe["evidence"].as_str().unwrap();
        let head = format!("step {at} \"{}\": {why}", names[at - 1]);
        assert!(evidence.starts_with(&head), "{broken:?}: {evidence}");
        if at > 1 {
            assert!(
                evidence.contains("; before it: 1 \"log in\" 200 OK in "),
                "{evidence}"
            );
        }
        let steps = probe["steps"].as_array().unwrap();
        assert_eq!(steps.len(), at, "no step after the failing one runs");
        assert_eq!(item(&report, "journey")["status"], "red");
        assert!(!ran.stdout.contains(&app.token));
    }
}

#[test]
fn a_server_that_stalls_at_step_2_ends_the_flow_within_its_timeout_naming_step_2() {
    let app = FlowApp::start(Break::StallProfile);
    let started = Instant::now();
    let ran = check(&app, "2s", STEPS, PASSWORD);
    assert!(started.elapsed() < Duration::from_secs(15));
    ran.code(1);
    let report = ran.json();
    let probe = &item(&report, "journey")["probes"][0];
    assert_eq!(probe["verdict"], "error");
    let evidence = probe["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with(
            "no answer within 2s (timeout) step 2 \"who am i\" (after step 1 \"log in\": pass in "
        ),
        "{evidence}"
    );
    assert!(
        evidence.contains("ms): waiting for the response headers from 127.0.0.1:"),
        "{evidence}"
    );
}

#[test]
fn a_step_timeout_ends_the_step_and_names_it() {
    let app = FlowApp::start(Break::StallProfile);
    let steps = STEPS.replacen(
        "url: \"${api}/me\"",
        "url: \"${api}/me\"\n                timeout: 500ms",
        1,
    );
    let ran = check(&app, "10s", &steps, PASSWORD);
    ran.code(1);
    let report = ran.json();
    let evidence = item(&report, "journey")["probes"][0]["evidence"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        evidence.starts_with("step 2 \"who am i\": no answer within 500ms (step timeout) waiting for the response headers from 127.0.0.1:"),
        "{evidence}"
    );
}

/// A flow whose second step fails on a body that echoes the captured token.
fn echoing_steps() -> String {
    STEPS.replacen(
        "json: [{ path: $.name, equals: Ada }]",
        "json: [{ path: $.session, equals: not-the-token }]",
        1,
    )
}

#[test]
fn a_token_the_server_echoes_back_is_masked_in_every_output() {
    let app = FlowApp::start(Break::Nothing);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        checklist(&app, "10s", &echoing_steps()),
    )
    .unwrap();
    let formats = ["json", "junit", "md", "html", "github", "board"];
    let mut args = vec!["check", "--no-progress"];
    let reports: Vec<String> = formats
        .iter()
        .map(|f| format!("{f}=out/report.{f}"))
        .collect();
    for r in &reports {
        args.push("--report");
        args.push(r);
    }
    let ran = Run::new(&args)
        .in_dir(dir.path())
        .env("E2E_PASSWORD", PASSWORD)
        .run();
    ran.code(1);
    assert!(ran.stdout.contains("step 2 \"who am i\""), "{}", ran.stdout);
    for (name, text) in formats
        .iter()
        .map(|f| {
            let path = dir.path().join(format!("out/report.{f}"));
            (f.to_string(), std::fs::read_to_string(path).unwrap())
        })
        .chain([
            ("stdout".to_owned(), ran.stdout.clone()),
            ("stderr".to_owned(), ran.stderr.clone()),
        ])
    {
        assert!(
            !text.contains(&app.token),
            "{name} shows the token:\n{text}"
        );
        assert!(!text.contains(PASSWORD), "{name} shows the password");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out/report.json")).unwrap())
            .unwrap();
    let probe = &item(&json, "journey")["probes"][0];
    let html = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(
        html.contains("<ol class=\"steps\"><li class=\"v-pass\">✓ log in <span class=\"time\">"),
        "the HTML lists the steps"
    );
    let evidence = probe["evidence"].as_str().unwrap();
    assert!(
        evidence.starts_with(
            "step 2 \"who am i\": expected $.session = \"not-the-token\", got \"••••\""
        ),
        "{evidence}"
    );
    // The runbook journal too.
    let runbook = format!(
        "{}\nrunbook:\n  phases:\n    - id: launch\n      title: Launch\n      at: T-0\n      steps:\n        - id: journey\n          run: [journey]\n",
        checklist(&app, "10s", &echoing_steps())
    );
    let ws = Workspace::new(&runbook);
    let ran = ws
        .command(
            &[
                "runbook",
                "--t0",
                "2026-12-01T15:00:00Z",
                "--non-interactive",
                "--by",
                "CI",
            ],
            Some("2026-12-01T15:00:00Z"),
        )
        .env("CANDLEFISH_CLOCK", "simulated")
        .env("E2E_PASSWORD", PASSWORD)
        .run();
    ran.code(1);
    let journals: Vec<String> = std::fs::read_dir(ws.path(".candlefish"))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("runbook-"))
        })
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert_eq!(journals.len(), 1);
    assert!(journals[0].contains("who am i"), "{}", journals[0]);
    assert!(journals[0].contains("••••"), "{}", journals[0]);
    assert!(
        !journals[0].contains(&app.token),
        "the journal shows the token"
    );
    assert!(!ran.stdout.contains(&app.token) && !ran.stderr.contains(&app.token));
}

#[test]
fn a_capture_marked_not_secret_shows_and_a_secret_one_is_masked_in_other_probes_too() {
    let app = FlowApp::start(Break::Nothing);
    // `doc` is not secret: a failing read shows it. A second probe on another
    // item gets the token echoed back by a server: masked there as well.
    let steps = STEPS.replacen(
        "expect: { json: [{ path: $.title, equals: Launch plan }] }",
        "expect: { json: [{ path: $.id, equals: nothing }] }",
        1,
    );
    let echo = App::start({
        let token = app.token.clone();
        move |_| Reply::json(200, format!(r#"{{"who":"{token}"}}"#))
    });
    let mut text = checklist(&app, "10s", &steps);
    text.push_str(&format!(
        "      - id: echo\n        title: Another probe that sees the token\n        depends_on: [journey]\n        probe: {{ http: {{ url: \"{}\", expect: {{ json: [{{ path: $.who, equals: x }}] }} }} }}\n",
        echo.url("/")
    ));
    let ran = Run::new(&["check", "--format", "json", "--run-blocked"])
        .with_checklist(&text)
        .env("E2E_PASSWORD", PASSWORD)
        .run();
    let report = ran.json();
    let evidence = item(&report, "journey")["probes"][0]["evidence"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        evidence.starts_with("step 5 \"read it back\": expected $.id = \"nothing\", got \"doc-1\""),
        "{evidence}"
    );
    let echoed = item(&report, "echo")["probes"][0]["evidence"]
        .as_str()
        .unwrap();
    assert!(
        echoed.starts_with("expected $.who = \"x\", got \"••••\""),
        "{echoed}"
    );
    assert!(!ran.stdout.contains(&app.token));
}

#[test]
fn a_step_retries_until_a_job_is_done() {
    let polls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&polls);
    let app = App::start(move |asked| match asked.path.as_str() {
        "/jobs" => Reply::json(202, r#"{"id":"j1"}"#),
        "/jobs/j1" => {
            let n = counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let state = if n < 2 { "running" } else { "done" };
            Reply::json(200, format!(r#"{{"state":"{state}"}}"#))
        }
        _ => Reply::new(404, ""),
    });
    let flow = |attempts: u32| {
        format!(
            r#"version: 1
name: Jobs
sections:
  - id: jobs
    title: Jobs
    items:
      - id: export
        title: An export finishes
        probe:
          flow:
            steps:
              - name: start the export
                method: POST
                url: "{start}"
                expect: {{ status: 202 }}
                capture: {{ job: {{ json: $.id, secret: false }} }}
              - name: wait for it
                url: "{base}/jobs/{{{{job}}}}"
                retry: {{ attempts: {attempts}, interval: 50ms }}
                expect: {{ json: [{{ path: $.state, equals: done }}] }}
"#,
            start = app.url("/jobs"),
            base = app.url(""),
        )
    };
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&flow(5))
        .run();
    ran.code(0);
    let report = ran.json();
    let step = &item(&report, "export")["probes"][0]["steps"][1];
    assert_eq!(step["attempts"], 3, "{step:#}");
    assert!(
        step["evidence"]
            .as_str()
            .unwrap()
            .ends_with("(attempt 3 of 5)")
    );
    // Too few attempts: it fails, saying how many were made.
    polls.store(0, std::sync::atomic::Ordering::SeqCst);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&flow(2))
        .run();
    ran.code(1);
    let evidence = item(&ran.json(), "export")["probes"][0]["evidence"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        evidence
            .starts_with("step 2 \"wait for it\": expected $.state = \"done\", got \"running\"")
            && evidence.contains("(attempt 2 of 2)"),
        "{evidence}"
    );
}

#[test]
fn steps_in_their_own_file_serve_several_items_relative_to_the_file_naming_them() {
    let app = FlowApp::start(Break::Nothing);
    let ws = Workspace::new(&format!(
        r#"version: 1
name: Shared flows
vars:
  api: "{api}"
  ws: "{ws}"
include: [parts/more.yaml]
sections:
  - id: web
    title: Web
    items:
      - id: web-journey
        title: The journey, from the web team
        probe: {{ flow: {{ file: flows/journey.yaml }}, timeout: 10s }}
      - id: mobile-journey
        title: The same journey, from the mobile team
        probe: {{ flow: {{ file: flows/journey.yaml }}, timeout: 10s }}
"#,
        api = app.url(),
        ws = app.ws_url()
    ));
    let write = |name: &str, text: &str| {
        let path = ws.path(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let steps: String = STEPS
        .lines()
        .map(|l| l.strip_prefix("            ").unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    write("flows/journey.yaml", &format!("steps:{steps}\n"));
    write(
        "parts/more.yaml",
        "sections:\n  - id: partner\n    title: Partner\n    items:\n      - id: partner-journey\n        title: From an included file\n        probe: { flow: { file: ../flows/journey.yaml }, timeout: 10s }\n",
    );
    let ran = ws
        .command(&["check", "--format", "json"], None)
        .env("E2E_PASSWORD", PASSWORD)
        .run();
    ran.code(0);
    let report = ran.json();
    for id in ["web-journey", "mobile-journey", "partner-journey"] {
        assert_eq!(item(&report, id)["status"], "green", "{id}");
        assert_eq!(
            item(&report, id)["probes"][0]["steps"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
    }
    let logins = app
        .http
        .asked()
        .iter()
        .filter(|a| a.path == "/login")
        .count();
    assert_eq!(
        logins, 3,
        "each item runs its own flow, with its own cookies"
    );
    // A report may not overwrite a flow file, as it may not overwrite the checklist.
    let ran = ws
        .command(&["check", "--report", "md=flows/journey.yaml"], None)
        .env("E2E_PASSWORD", PASSWORD)
        .run();
    ran.code(2);
    assert!(
        std::fs::read_to_string(ws.path("flows/journey.yaml"))
            .unwrap()
            .starts_with("steps:")
    );
}

#[test]
fn cookies_follow_a_login_that_redirects_and_never_go_to_another_site() {
    // Another site: another host name (cookies, as browsers keep them, are
    // per host, not per port).
    let other = App::start(|_| Reply::new(200, "elsewhere"));
    let landing = format!("http://localhost:{}/landing", other.addr.port());
    let app = App::start(move |asked| {
        let has_session = asked
            .headers
            .get("cookie")
            .is_some_and(|c| c.contains("sid=s3ss10n-cookie-value"));
        match asked.path.as_str() {
            "/session" => Reply::new(303, "")
                .header("Location", "/home")
                .header("Set-Cookie", "sid=s3ss10n-cookie-value; Path=/; HttpOnly"),
            "/home" if has_session => Reply::new(200, "welcome back"),
            "/home" => Reply::new(401, "who are you"),
            "/away" => Reply::new(302, "").header("Location", &landing),
            _ => Reply::new(404, ""),
        }
    });
    let text = format!(
        r#"version: 1
name: Sessions
sections:
  - id: web
    title: Web
    items:
      - id: session
        title: A session cookie carries the user through
        probe:
          flow:
            steps:
              - name: sign in
                method: POST
                url: "{base}/session"
                form: {{ user: ada }}
                expect: {{ body_contains: welcome back }}
                capture: {{ sid: {{ cookie: sid }} }}
              - name: leave for another site
                url: "{base}/away"
                expect: {{ body_contains: elsewhere }}
"#,
        base = app.url("")
    );
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&text)
        .run();
    ran.code(0);
    let report = ran.json();
    crate::schema::assert_valid(&report);
    let home = app
        .asked()
        .into_iter()
        .find(|a| a.path == "/home")
        .expect("redirected home");
    assert_eq!(home.method, "GET", "a 303 after a POST is a GET");
    let elsewhere = other.asked();
    assert_eq!(elsewhere.len(), 1);
    assert!(
        !elsewhere[0].headers.contains_key("cookie"),
        "the session cookie stays with its site: {:?}",
        elsewhere[0].headers
    );
    assert!(
        !ran.stdout.contains("s3ss10n-cookie-value"),
        "a captured cookie is a secret"
    );
}
