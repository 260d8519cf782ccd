//! Gate policies and their exit codes: `--gate all|critical` × `--fail-on
//! red|yellow`, on checklists whose statuses are declared (nothing to probe).

use crate::support::Run;

/// A checklist with a critical group holding `critical`, a plain item
/// `plain`, and an optional item that is not started.
fn checklist(critical: &str, plain: &str) -> String {
    format!(
        r"
version: 1
name: Gate policies
sections:
  - id: launch
    title: Launch
    items:
      - id: core
        title: Core services
        critical: true
        items:
          - id: core-api
            title: API deployed
            status: {critical}
      - id: docs
        title: Docs written
        status: {plain}
      - id: mobile
        title: Mobile apps
        optional: true
        status: not_started
"
    )
}

fn code(checklist: &str, args: &[&str]) -> Option<i32> {
    let mut all = vec!["check", "--no-progress"];
    all.extend_from_slice(args);
    Run::new(&all).with_checklist(checklist).run().code
}

#[test]
fn every_policy_has_the_exit_code_it_documents() {
    // (critical item, plain item, args, expected exit code)
    let table: &[(&str, &str, &[&str], i32)] = &[
        // Critical done, plain not started: only --gate critical lets it through.
        ("done", "not_started", &[], 1),
        ("done", "not_started", &["--gate", "all"], 1),
        ("done", "not_started", &["--fail-on", "yellow"], 1),
        ("done", "not_started", &["--gate", "critical"], 0),
        (
            "done",
            "not_started",
            &["--gate", "critical", "--fail-on", "yellow"],
            0,
        ),
        // Critical in progress, plain done: yellow passes unless --fail-on yellow.
        ("in_progress", "done", &[], 0),
        ("in_progress", "done", &["--gate", "critical"], 0),
        ("in_progress", "done", &["--fail-on", "yellow"], 1),
        (
            "in_progress",
            "done",
            &["--gate", "critical", "--fail-on", "yellow"],
            1,
        ),
        // Critical blocked: every policy fails.
        ("blocked", "done", &[], 1),
        ("blocked", "done", &["--gate", "critical"], 1),
        (
            "blocked",
            "done",
            &["--gate", "critical", "--fail-on", "yellow"],
            1,
        ),
        // Everything required is done; the optional item never counts.
        ("done", "done", &[], 0),
        ("done", "done", &["--fail-on", "yellow"], 0),
        (
            "done",
            "done",
            &["--gate", "critical", "--fail-on", "yellow"],
            0,
        ),
        // Deferred items are white and never fail the gate either.
        ("done", "deferred", &["--fail-on", "yellow"], 0),
    ];
    let mut wrong = Vec::new();
    for (critical, plain, args, expected) in table {
        let got = code(&checklist(critical, plain), args);
        if got != Some(*expected) {
            wrong.push(format!(
                "critical={critical} plain={plain} {args:?}: expected {expected}, got {got:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn usage_errors_exit_2_and_run_nothing() {
    let ran = Run::new(&["check", "--gate", "most"])
        .with_checklist(&checklist("done", "done"))
        .run();
    ran.code(2);
    assert!(ran.stderr.contains("--gate"), "{}", ran.stderr);
    assert!(ran.stdout.is_empty());
}

#[test]
fn the_report_names_the_policy_and_the_quiet_line_the_failures() {
    let ran = Run::new(&["check", "--gate", "critical", "--format", "json"])
        .with_checklist(&checklist("blocked", "not_started"))
        .run();
    ran.code(1);
    let gate = &ran.json()["gate"];
    assert_eq!(gate["policy"], "no critical item is red");
    assert_eq!(gate["scope"], "critical");
    assert_eq!(gate["failing"], serde_json::json!(["core-api"]));

    let quiet = Run::new(&["check", "-q"])
        .with_checklist(&checklist("blocked", "not_started"))
        .run();
    quiet.code(1);
    assert_eq!(
        quiet.stdout,
        "candlefish: NOT READY — 2 required items red (core-api, docs)\n"
    );
    let passing = Run::new(&["check", "-q", "--gate", "critical"])
        .with_checklist(&checklist("done", "not_started"))
        .run();
    passing.code(0);
    assert_eq!(
        passing.stdout,
        "candlefish: READY — no critical item is red; 1 green, 0 yellow, 1 red, 1 white\n"
    );
}

#[test]
fn the_board_says_which_items_the_gate_judged() {
    let ran = Run::new(&[
        "check",
        "--no-progress",
        "--gate",
        "critical",
        "--fail-on",
        "yellow",
    ])
    .with_checklist(&checklist("in_progress", "done"))
    .run();
    ran.code(1);
    assert!(
        ran.stdout
            .contains("gate failed: 1 critical item is yellow or red: core-api"),
        "{}",
        ran.stdout
    );
}

/// Nothing critical: `--gate critical` has nothing to judge.
fn nothing_critical() -> String {
    r"
version: 1
name: Nothing critical
sections:
  - id: launch
    title: Launch
    items:
      - id: docs
        title: Docs written
        status: not_started
      - id: api
        title: API deployed
        status: done
"
    .to_owned()
}

#[test]
fn a_gate_that_judged_nothing_says_so_everywhere_and_exits_5() {
    let dir = tempfile::tempdir().expect("temp dir");
    let report = |name: &str| dir.path().join(name).display().to_string();
    let reports: Vec<String> = ["json", "junit", "md", "html", "github"]
        .iter()
        .map(|f| format!("{f}={}", report(&format!("r.{f}"))))
        .collect();
    let mut args = vec!["check", "--no-progress", "--gate", "critical"];
    for r in &reports {
        args.extend(["--report", r.as_str()]);
    }
    let ran = Run::new(&args).with_checklist(&nothing_critical()).run();
    ran.code(5);
    assert!(
        ran.stdout
            .starts_with("Nothing critical — NOTHING JUDGED · no critical item to judge\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("gate judged nothing: no item to judge: nothing is critical"),
        "{}",
        ran.stdout
    );
    let read = |name: &str| std::fs::read_to_string(report(name)).expect(name);
    let json: serde_json::Value = serde_json::from_str(&read("r.json")).expect("json");
    crate::schema::assert_valid(&json);
    assert_eq!(json["gate"]["verdict"], "nothing_judged");
    assert_eq!(json["gate"]["judged"], 0);
    assert_eq!(json["gate"]["passed"], false);
    let junit = read("r.junit");
    assert!(
        junit.contains(r#"<failure message="no item to judge: nothing is critical"#)
            && junit.contains(r#"type="nothing_judged""#),
        "{junit}"
    );
    assert!(read("r.md").contains("**Candlefish: NOTHING JUDGED**"));
    assert!(read("r.html").contains("<strong id=\"verdict\">NOTHING JUDGED</strong>"));
    assert!(read("r.github").contains("NOTHING JUDGED"));

    let quiet = Run::new(&["check", "-q", "--gate", "critical"])
        .with_checklist(&nothing_critical())
        .run();
    quiet.code(5);
    assert!(
        quiet
            .stdout
            .starts_with("candlefish: NOTHING JUDGED — no item to judge: nothing is critical"),
        "{}",
        quiet.stdout
    );

    // Accepted explicitly: exit 0, and still not called READY.
    let accepted = Run::new(&["check", "-q", "--gate", "critical", "--allow-empty-gate"])
        .with_checklist(&nothing_critical())
        .run();
    accepted.code(0);
    assert!(
        accepted
            .stdout
            .starts_with("candlefish: NOTHING JUDGED (accepted) — "),
        "{}",
        accepted.stdout
    );
    assert!(accepted.stdout.contains("accepted by --allow-empty-gate"));

    // The default gate judges these items: an ordinary verdict.
    Run::new(&["check", "-q"])
        .with_checklist(&nothing_critical())
        .run()
        .code(1);
}

#[test]
fn the_headline_leads_with_the_verdict_and_html_keeps_rule_and_result_apart() {
    let ran = Run::new(&["check", "--no-progress", "--report", "html=board.html"])
        .with_checklist(&checklist("blocked", "not_started"))
        .run();
    ran.code(1);
    // Not "overall 🟡" over red items: the verdict and what decided it.
    assert!(
        ran.stdout
            .starts_with("Gate policies — NOT READY · 2 required items red\n"),
        "{}",
        ran.stdout
    );
    let dir = ran.dir.as_ref().expect("temp dir").path();
    let html = std::fs::read_to_string(dir.join("board.html")).expect("html");
    assert!(
        html.contains(
            "<p class=\"gate\"><span class=\"rule\">Gate: fails when a required item is red.</span> \
             <span class=\"result\">Result: 2 required items are red: \
             <a href=\"#b-core-api\"><code>core-api</code></a>, <a href=\"#b-docs\"><code>docs</code></a>.</span></p>"
        ),
        "{html}"
    );
}
