//! Due dates on a fixed clock (`CANDLEFISH_NOW`): an item due yesterday, today
//! and in three days, a deferred item past due, a group with a due date, an
//! optional item past due; on the board, in JSON (and its schema), the gate,
//! `list --due`, and the Markdown and HTML reports (which still import back).

use crate::support::{Run, Server, Workspace, item, statuses};

const NOW: &str = "2026-12-01T10:00:00Z";

fn checklist(server: &Server) -> String {
    format!(
        r#"version: 1
name: Deadlines
sections:
  - id: launch
    title: Launch
    owner: platform
    items:
      - id: late
        title: Load test report written
        owner: ada
        status: in_progress
        due: 2026-11-30
      - id: today
        title: Status page ready
        status: in_progress
        due: 2026-12-01
      - id: soon
        title: Runbook reviewed
        owner: bob
        status: in_progress
        due: 2026-12-04T17:00+01:00
      - id: done-late
        title: Pen test booked
        status: done
        due: 2026-11-20
      - id: probed-late
        title: Health answers
        due: 2026-11-20
        probe: {{ http: {{ url: "{health}" }} }}
      - id: mobile
        title: Mobile apps
        status: deferred
        due: 2026-11-15
      - id: nice-to-have
        title: Dark mode
        optional: true
        status: not_started
        due: 2026-11-25
  - id: security
    title: Security review
    owner: carol
    due: 2026-11-28
    items:
      - id: sec-scan
        title: Dependency scan clean
        status: in_progress
      - id: sec-keys
        title: Keys rotated
        status: done
      - id: sec-later
        title: Bug bounty opened
        owner: dave
        status: in_progress
        due: 2026-12-20
"#,
        health = server.url("/status/200")
    )
}

#[test]
fn past_due_items_turn_red_whatever_their_status_and_fail_the_gate() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let ran = ws.run(&["check", "--format", "json"], Some(NOW));
    ran.code(1);
    let report = ran.json();
    crate::schema::assert_valid(&report);
    let s = statuses(&report);
    assert_eq!(s["late"], "red");
    assert_eq!(s["today"], "yellow", "due today is not overdue yet");
    assert_eq!(s["soon"], "yellow");
    assert_eq!(s["done-late"], "green", "green by its date: not overdue");
    assert_eq!(s["probed-late"], "green", "its probe passes");
    assert_eq!(s["mobile"], "red", "deferred, but past due");
    assert_eq!(s["nice-to-have"], "red", "optional, but past due");
    assert_eq!(s["security"], "red");
    assert_eq!(s["sec-scan"], "red", "the group's date holds for it");
    assert_eq!(s["sec-keys"], "green");
    assert_eq!(s["sec-later"], "red", "the group's earlier date wins");

    let late = item(&report, "late");
    assert_eq!(late["due"], "2026-11-30");
    assert_eq!(late["overdue"], true);
    assert_eq!(late["due_in_days"], -1);
    assert_eq!(late["basis"], "overdue");
    assert_eq!(
        late["reason"],
        "overdue since 2026-11-30, owner ada; declared in progress"
    );
    assert_eq!(
        item(&report, "mobile")["reason"],
        "overdue since 2026-11-15, owner platform; deferred"
    );
    assert_eq!(
        item(&report, "sec-later")["reason"],
        "overdue since 2026-11-28, owner dave; declared in progress"
    );
    let soon = item(&report, "soon");
    assert_eq!(soon["due_in_days"], 3);
    assert!(soon.get("overdue").is_none(), "left out when false");
    assert_eq!(item(&report, "today")["due_in_days"], 0);

    let failing: Vec<&str> = report["gate"]["failing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        failing,
        ["late", "mobile", "nice-to-have", "sec-scan", "sec-later"]
    );

    // An item's own later date cannot matter: validation says so.
    let validated = ws.run(&["validate", "candlefish.yaml"], Some(NOW));
    validated.code(0);
    assert!(
        validated
            .stderr
            .contains("warning: `sec-later` is due 2026-12-20, after its group's 2026-11-28: the group's date holds"),
        "{}",
        validated.stderr
    );

    // A month earlier nothing is overdue: the clock decides.
    let ran = ws.run(&["check", "--format", "json"], Some("2026-11-01T10:00:00Z"));
    ran.code(0);
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(s["late"], "yellow");
    assert_eq!(s["mobile"], "white");
    assert_eq!(item(&report, "soon")["due_in_days"], 33);
}

#[test]
fn the_board_says_when_things_fall_due() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let ran = ws.run(&["check", "--no-progress", "--width", "120"], Some(NOW));
    ran.code(1);
    let board = &ran.stdout;
    assert!(
        board.contains("Runbook reviewed · due in 3 days"),
        "{board}"
    );
    assert!(board.contains("Status page ready · due today"), "{board}");
    assert!(
        board.contains("↳ overdue since 2026-11-30, owner ada; declared in progress"),
        "{board}"
    );
    assert!(
        !board.contains("Pen test booked ·"),
        "done items carry no date"
    );
    let ascii = ws.run(
        &["check", "--no-progress", "--ascii", "--width", "120"],
        Some(NOW),
    );
    assert!(
        ascii.stdout.contains("Runbook reviewed | due in 3 days"),
        "{}",
        ascii.stdout
    );
}

#[test]
fn list_due_groups_what_falls_due_by_owner() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let ran = ws.run(&["list", "--due", "14d"], Some(NOW));
    ran.code(0);
    let text = &ran.stdout;
    let owners: Vec<&str> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(' ') && !l.starts_with("Deadlines"))
        .collect();
    assert_eq!(
        owners,
        ["ada", "bob", "carol", "dave", "platform"],
        "{text}"
    );
    let late = text
        .lines()
        .find(|l| l.contains(" late "))
        .expect("late is listed");
    let words: Vec<&str> = late.split_whitespace().collect();
    assert_eq!(
        words,
        [
            "2026-11-30",
            "past",
            "due",
            "late",
            "Load",
            "test",
            "report",
            "written"
        ]
    );
    assert!(text.contains("due in 3 days"), "{text}");
    assert!(
        !text.contains("done-late"),
        "declared done: nothing to chase"
    );
    // The plain tree shows a date where it is set, not on every item under it.
    let tree = ws.run(&["list"], Some(NOW)).stdout;
    let line = |id: &str| {
        tree.lines()
            .find(|l| l.split_whitespace().any(|w| w == id))
            .unwrap_or_else(|| panic!("{id} in {tree}"))
            .to_owned()
    };
    assert!(line("security").ends_with("due 2026-11-28]"), "{tree}");
    assert!(!line("sec-scan").contains("due"), "{tree}");
    assert!(
        !line("sec-later").contains("due"),
        "its own later date is overridden by the group's: {tree}"
    );
    assert!(line("late").ends_with("due 2026-11-30]"), "{tree}");
    // Three days ahead only: what is due within them, and what is past.
    let ran = ws.run(&["list", "--due", "1d", "--format", "json"], Some(NOW));
    let json = ran.json();
    let ids: Vec<&str> = json["owners"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|o| o["items"].as_array().unwrap())
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "late",
            "sec-scan",
            "sec-later",
            "mobile",
            "probed-late",
            "nice-to-have",
            "today"
        ]
    );
}

#[test]
fn markdown_and_html_reports_open_with_what_is_due_and_still_import_back() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let ran = ws.run(
        &[
            "check",
            "-q",
            "--report",
            "md=STATUS.md",
            "--report",
            "html=board.html",
        ],
        Some(NOW),
    );
    ran.code(1);
    let md = std::fs::read_to_string(ws.path("STATUS.md")).unwrap();
    assert!(md.contains("> **Candlefish: due soon / overdue**"), "{md}");
    assert!(
        md.contains("> - 🔴 `late` Load test report written — overdue since 2026-11-30, owner ada"),
        "{md}"
    );
    assert!(
        md.contains("> - 🟡 `soon` Runbook reviewed — due in 3 days, owner bob"),
        "{md}"
    );
    let html = std::fs::read_to_string(ws.path("board.html")).unwrap();
    assert!(html.contains("<section id=\"due\">"));
    assert!(html.contains("overdue since 2026-11-15, owner platform"));
    assert!(html.contains("due in 3 days"));
    // The Markdown imports back to the same titles and declared statuses.
    let again = Run::new(&["import", "STATUS.md", "-o", "again.yaml"])
        .in_dir(ws.dir.path())
        .run();
    again.code(0);
    // (The probed item has no declared status; its green reads back as done.)
    let titles = |path: &std::path::Path| -> Vec<(String, String)> {
        crate::import::listed(path)
            .into_iter()
            .filter(|i| i.2 != "-" && i.1 != "Health answers")
            .map(|i| (i.1, i.2))
            .collect()
    };
    let before = titles(&ws.path("candlefish.yaml"));
    assert_eq!(before.len(), 9);
    assert_eq!(titles(&ws.path("again.yaml")), before);
}
