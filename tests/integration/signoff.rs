//! Sign-offs and waivers through the real binary: `sign`, `unsign`, `history`,
//! and what `check` makes of them at a fixed time (CANDLEFISH_NOW).

use crate::support::{Workspace, item, refused_port, statuses};

const T0: &str = "2026-11-01T10:00:00Z";
const DAY_1: &str = "2026-11-02T10:00:00Z";
const DAY_8: &str = "2026-11-09T10:00:00Z";
const DAY_31: &str = "2026-12-02T10:00:00Z";

fn checklist() -> String {
    format!(
        r#"
version: 1
name: Launch
sections:
  - id: people
    title: People and process
    items:
      - id: team-training
        title: Team training completed
        manual: {{ evidence_required: true, expires: 30d }}
      - id: go-no-go
        title: Go/no-go decision
        critical: true
        manual: {{ signoffs: 2 }}
      - id: pentest
        title: Penetration testing scheduled
        status: in_progress
        manual: true
      - id: app-store
        title: App store listing
        optional: true
        manual: true
  - id: services
    title: Services
    items:
      - id: api-ready
        title: Readiness endpoint
        probe:
          http: {{ url: "http://127.0.0.1:{port}/ready" }}
"#,
        port = refused_port()
    )
}

/// The board (no colour, wide enough not to wrap) of `check` with `extra` arguments.
fn board(ws: &Workspace, now: &str, extra: &[&str]) -> crate::support::Ran {
    let mut args = vec!["check", "--color", "never", "--width", "200"];
    args.extend_from_slice(extra);
    ws.run(&args, Some(now))
}

fn report(ws: &Workspace, now: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    ws.run(&args, Some(now)).json()
}

#[test]
fn manual_items_follow_their_signoffs_through_time() {
    let ws = Workspace::new(&checklist());
    let before = report(&ws, T0, &[]);
    let s = statuses(&before);
    assert_eq!(s["team-training"], "red");
    assert_eq!(
        item(&before, "team-training")["reason"],
        "awaiting sign-off"
    );
    assert_eq!(item(&before, "team-training")["basis"], "manual");
    assert_eq!(s["pentest"], "yellow", "declared in progress");
    assert_eq!(s["app-store"], "white", "optional");

    let refused = ws.run(&["sign", "team-training", "--by", "Ada"], Some(T0));
    refused.code(2);
    assert!(
        refused.stderr.contains("`team-training` requires evidence"),
        "{}",
        refused.stderr
    );
    assert!(
        refused.stderr.contains("nothing was recorded"),
        "{}",
        refused.stderr
    );
    assert_eq!(ws.store(), "", "nothing was written");

    let signed = ws.run(
        &[
            "sign",
            "team-training",
            "--by",
            "Ada <ada@example.com>",
            "--evidence",
            "https://wiki.example.com/training",
            "--note",
            "all twelve engineers",
        ],
        Some(T0),
    );
    signed.code(0);
    assert!(
        signed.stdout.contains("valid until 2026-12-01"),
        "{}",
        signed.stdout
    );
    assert!(ws.store().contains(",\"prev\":\""), "chained");
    assert_eq!(
        ws.store_unchained(),
        "{\"op\":\"sign\",\"at\":\"2026-11-01T10:00:00Z\",\"item\":\"team-training\",\"by\":\"Ada <ada@example.com>\",\"evidence\":\"https://wiki.example.com/training\",\"expires\":\"2026-12-01T10:00:00Z\",\"note\":\"all twelve engineers\"}\n"
    );

    let fresh = report(&ws, DAY_1, &[]);
    let training = item(&fresh, "team-training");
    assert_eq!(training["status"], "green");
    assert_eq!(training["basis"], "signoff");
    assert_eq!(
        training["signoffs"],
        serde_json::json!([{
            "by": "Ada <ada@example.com>",
            "at": "2026-11-01T10:00:00Z",
            "evidence": "https://wiki.example.com/training",
            "note": "all twelve engineers",
            "expires": "2026-12-01T10:00:00Z",
            "stale": false
        }])
    );

    let stale = report(&ws, DAY_31, &[]);
    let training = item(&stale, "team-training");
    assert_eq!(training["status"], "yellow", "an expired sign-off is stale");
    assert_eq!(training["signoffs"][0]["stale"], true);
    assert_eq!(
        training["reason"],
        "stale: the sign-off by Ada <ada@example.com> expired on 2026-12-01; sign again"
    );
    let shown = board(&ws, DAY_31, &[]).stdout;
    assert!(
        shown.contains("✓ signed off by Ada <ada@example.com> on 2026-11-01"),
        "{shown}"
    );
    assert!(shown.contains("expired 2026-12-01"), "{shown}");
    assert!(shown.contains("↳ stale: the sign-off by Ada"), "{shown}");
}

#[test]
fn two_people_must_sign_a_go_no_go_and_unsign_revokes() {
    let ws = Workspace::new(&checklist());
    let status = |now: &str| item(&report(&ws, now, &[]), "go-no-go").clone();
    ws.run(&["sign", "go-no-go", "--by", "Ada"], Some(T0))
        .code(0);
    let one = status(DAY_1);
    assert_eq!(one["status"], "yellow");
    assert_eq!(one["reason"], "1 of 2 sign-offs: Ada on 2026-11-01");
    // Signing twice does not make two people.
    ws.run(&["sign", "go-no-go", "--by", "Ada"], Some(DAY_1))
        .code(0);
    assert_eq!(status(DAY_1)["status"], "yellow");
    ws.run(&["sign", "go-no-go", "--by", "Bob"], Some(DAY_1))
        .code(0);
    let two = status(DAY_1);
    assert_eq!(two["status"], "green");
    assert_eq!(two["signoffs"].as_array().map(Vec::len), Some(2));

    let revoked = ws.run(
        &[
            "unsign",
            "go-no-go",
            "--by",
            "Carol",
            "--reason",
            "launch postponed",
        ],
        Some(DAY_8),
    );
    revoked.code(0);
    let after = status(DAY_8);
    assert_eq!(after["status"], "red");
    assert!(after.get("signoffs").is_none(), "{after}");
    let nothing = ws.run(&["unsign", "go-no-go", "--reason", "again"], Some(DAY_8));
    nothing.code(2);
    assert!(
        nothing.stderr.contains("no sign-off or waiver to revoke"),
        "{}",
        nothing.stderr
    );

    let history = ws.run(&["history", "go-no-go"], Some(DAY_8));
    history.code(0);
    let lines: Vec<&str> = history.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", history.stdout);
    assert!(
        lines[1].starts_with("1  2026-11-01T10:00:00Z  signed   go-no-go  by Ada"),
        "{}",
        lines[1]
    );
    assert_eq!(
        lines[4],
        "4  2026-11-09T10:00:00Z  revoked  go-no-go  by Carol: launch postponed"
    );
    let json = ws.run(&["history", "--format", "json"], Some(DAY_8)).json();
    assert_eq!(json["records"].as_array().map(Vec::len), Some(4));
    assert_eq!(json["records"][3]["op"], "unsign");
    assert_eq!(json["records"][3]["line"], 4);
}

#[test]
fn waivers_are_shown_everywhere_and_count_only_when_allowed() {
    let ws = Workspace::new(&checklist());
    let wrong = ws.run(&["sign", "api-ready"], Some(T0));
    wrong.code(2);
    assert!(
        wrong
            .stderr
            .contains("waive it: candlefish sign api-ready --waive"),
        "{}",
        wrong.stderr
    );
    let no_expiry = ws.run(&["sign", "api-ready", "--waive", "--reason", "x"], Some(T0));
    no_expiry.code(2);
    assert!(
        no_expiry.stderr.contains("--expires"),
        "{}",
        no_expiry.stderr
    );
    let manual = ws.run(
        &[
            "sign",
            "team-training",
            "--waive",
            "--reason",
            "x",
            "--expires",
            "1d",
        ],
        Some(T0),
    );
    manual.code(2);
    assert!(
        manual.stderr.contains("sign it off instead"),
        "{}",
        manual.stderr
    );
    waive_api_ready(&ws);

    // Shown, never green, and the gate still fails on it by default.
    let ran = ws.run(
        &["check", "--format", "json", "--only", "api-ready"],
        Some(DAY_1),
    );
    ran.code(1);
    let json = ran.json();
    let api = item(&json, "api-ready");
    assert_eq!(api["status"], "red");
    assert_eq!(api["waiver"]["by"], "tester");
    assert_eq!(api["waiver"]["reason"], "vendor fix ships Monday");
    assert_eq!(api["waiver"]["expires"], "2026-11-08T10:00:00Z");
    assert_eq!(api["waiver"]["expired"], false);
    assert_eq!(json["summary"]["waived"], 1);
    assert_eq!(json["gate"]["failing"], serde_json::json!(["api-ready"]));
    assert_eq!(json["gate"]["waived"], serde_json::json!(["api-ready"]));
    crate::schema::assert_valid(&json);

    let waived = board(&ws, DAY_1, &["--only", "api-ready"]);
    assert!(
        waived
            .stdout
            .contains("🔴   └─ Readiness endpoint ⚑ waived"),
        "{}",
        waived.stdout
    );
    assert!(
        waived
            .stdout
            .contains("⚑ waived by tester until 2026-11-08: vendor fix ships Monday"),
        "{}",
        waived.stdout
    );
    assert!(waived.stdout.contains("· 1 waived"), "{}", waived.stdout);
    assert!(
        waived
            .stdout
            .contains("waived, but waivers count only with --allow-waivers: api-ready"),
        "{}",
        waived.stdout
    );
    // Every report format shows the waiver, not only the board and the JSON.
    let files = board(
        &ws,
        DAY_1,
        &[
            "--only",
            "api-ready",
            "--report",
            "junit=out.xml",
            "--report",
            "md=out.md",
            "--report",
            "html=out.html",
            "--report",
            "github=summary.md",
        ],
    );
    files.code(1);
    for name in ["out.xml", "out.md", "out.html", "summary.md"] {
        let text = std::fs::read_to_string(ws.path(name)).expect("report written");
        assert!(
            text.contains("waived by tester until 2026-11-08: vendor fix ships Monday"),
            "{name} does not show the waiver:\n{text}"
        );
    }
    let ascii = board(&ws, DAY_1, &["--only", "api-ready", "--ascii"]);
    assert!(
        ascii.stdout.contains("Readiness endpoint (waived)"),
        "{}",
        ascii.stdout
    );
    assert!(ascii.stdout.is_ascii(), "{}", ascii.stdout);
    // The one-line verdict for CI logs names it too.
    let quiet = ws.run(&["check", "-q", "--only", "api-ready"], Some(DAY_1));
    assert_eq!(
        quiet.stdout,
        "candlefish: NOT READY — 1 required item red (api-ready); waived, not counted: api-ready\n"
    );
    let quiet = ws.run(
        &["check", "-q", "--only", "api-ready", "--allow-waivers"],
        Some(DAY_1),
    );
    quiet.code(0);
    assert!(
        quiet
            .stdout
            .ends_with("; let through by a waiver: api-ready\n"),
        "{}",
        quiet.stdout
    );

    // With --allow-waivers it is let through, and still named.
    let allowed = board(&ws, DAY_1, &["--only", "api-ready", "--allow-waivers"]);
    allowed.code(0);
    assert!(
        allowed
            .stdout
            .contains("let through by a waiver: api-ready"),
        "{}",
        allowed.stdout
    );
    let allowed = ws.run(
        &[
            "check",
            "--only",
            "api-ready",
            "--allow-waivers",
            "-f",
            "json",
        ],
        Some(DAY_1),
    );
    let json = allowed.json();
    assert_eq!(json["gate"]["waivers_count"], true);
    assert_eq!(json["gate"]["passed"], true);

    // Expired, it lets nothing through.
    let expired = board(&ws, DAY_8, &["--only", "api-ready", "--allow-waivers"]);
    expired.code(1);
    assert!(
        expired
            .stdout
            .contains("⚑ waiver by tester expired 2026-11-08: vendor fix ships Monday"),
        "{}",
        expired.stdout
    );
}

#[test]
fn unknown_ids_are_errors_with_a_suggestion() {
    let ws = Workspace::new(&checklist());
    for args in [
        &["sign", "team-trainig", "--evidence", "x"][..],
        &["unsign", "team-trainig", "--reason", "x"][..],
        &["history", "team-trainig"][..],
    ] {
        let ran = ws.run(args, Some(T0));
        ran.code(2);
        assert!(
            ran.stderr
                .contains("no item has the id `team-trainig`; did you mean `team-training`?"),
            "{args:?}: {}",
            ran.stderr
        );
    }
    let ran = ws.run(&["sign", "people", "--evidence", "x"], Some(T0));
    ran.code(2);
    assert!(
        ran.stderr.contains("`people` is not a manual item"),
        "{}",
        ran.stderr
    );
    assert_eq!(ws.store(), "");
}

#[test]
fn unreadable_lines_and_removed_items_are_reported_never_dropped() {
    let ws = Workspace::new(&checklist());
    std::fs::create_dir(ws.path(".candlefish")).expect("mkdir");
    std::fs::write(
        ws.path(".candlefish/state.jsonl"),
        concat!(
            "{\"op\":\"sign\",\"at\":\"2026-11-01T10:00:00Z\",\"item\":\"team_training\",\"by\":\"Ada\"}\n",
            "<<<<<<< HEAD\n",
            "{\"op\":\"sign\",\"at\":\"2026-11-01T10:00:00Z\",\"item\":\"go-no-go\",\"by\":\"Ada\"}\n",
            "{\"op\":\"sign\",\"at\":\"2026-11-01T10:00:00Z\",\"item\":\"go-no",
        ),
    )
    .expect("write store");
    let ran = ws.run(&["check", "--format", "json"], Some(DAY_1));
    let stderr = &ran.stderr;
    assert!(stderr.contains("warning: .candlefish/state.jsonl:1: `team_training` is signed off or waived, but the checklist has no such item (renamed to `team-training`?)"), "{stderr}");
    assert!(
        stderr.contains("warning: .candlefish/state.jsonl:2: not a valid record"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: .candlefish/state.jsonl:4: incomplete record"),
        "{stderr}"
    );
    // Written before the hash chain: readable, and reported as unchained.
    assert!(
        stderr.contains("warning: .candlefish/state.jsonl:1: 4 records are unchained"),
        "{stderr}"
    );
    let json = ran.json();
    assert_eq!(json["warnings"].as_array().map(Vec::len), Some(4), "{json}");
    assert_eq!(
        item(&json, "go-no-go")["reason"],
        "1 of 2 sign-offs: Ada on 2026-11-01"
    );

    // The next writer starts on a fresh line; the torn one stays reported.
    ws.run(&["sign", "go-no-go", "--by", "Bob"], Some(DAY_1))
        .code(0);
    assert_eq!(statuses(&report(&ws, DAY_1, &[]))["go-no-go"], "green");
    let history = ws.run(&["history"], Some(DAY_1));
    history.code(0);
    assert!(
        history
            .stdout
            .contains("\n2  UNREADABLE  not a valid record"),
        "{}",
        history.stdout
    );
    assert!(
        history
            .stdout
            .contains("\n4  UNREADABLE  incomplete record"),
        "{}",
        history.stdout
    );
    assert!(
        history
            .stdout
            .contains("\n5  2026-11-02T10:00:00Z  signed   go-no-go  by Bob"),
        "{}",
        history.stdout
    );
    assert!(
        history
            .stderr
            .contains("2 lines could not be read (lines 2, 4)"),
        "{}",
        history.stderr
    );
}

#[test]
fn the_store_can_live_elsewhere() {
    let ws = Workspace::new(&checklist());
    let elsewhere = ws.path("state/launch.jsonl");
    let path = elsewhere.to_str().expect("utf-8 path");
    ws.run(
        &["sign", "pentest", "--by", "Ada", "--state", path],
        Some(T0),
    )
    .code(0);
    assert_eq!(ws.store(), "", "the default store is untouched");
    assert!(
        std::fs::read_to_string(&elsewhere)
            .expect("store")
            .contains("\"pentest\"")
    );
    let json = report(&ws, DAY_1, &["--state", path]);
    assert_eq!(statuses(&json)["pentest"], "green");
    assert_eq!(statuses(&report(&ws, DAY_1, &[]))["pentest"], "yellow");
}

#[test]
fn the_signer_defaults_to_git_then_user() {
    let ws = Workspace::new(&checklist());
    ws.run(&["sign", "pentest"], Some(T0)).code(0);
    let config = ws.path("gitconfig");
    std::fs::write(
        &config,
        "[user]\n\tname = Grace Hopper\n\temail = grace@example.com\n",
    )
    .expect("write");
    ws.command(&["sign", "app-store"], Some(T0))
        .env("GIT_CONFIG_GLOBAL", config.to_str().expect("utf-8"))
        .run()
        .code(0);
    let json = report(&ws, DAY_1, &[]);
    assert_eq!(item(&json, "pentest")["signoffs"][0]["by"], "tester");
    assert_eq!(
        item(&json, "app-store")["signoffs"][0]["by"],
        "Grace Hopper <grace@example.com>"
    );
    assert_eq!(
        item(&json, "app-store")["status"],
        "green",
        "an optional item signed off is green"
    );
}

#[test]
fn the_checklists_expiry_binds_every_signoff() {
    let ws = Workspace::new(&checklist());
    // A longer expiry than the checklist allows is refused at the source.
    let refused = ws.run(
        &[
            "sign",
            "team-training",
            "--by",
            "Ada",
            "--evidence",
            "LMS export",
            "--expires",
            "3650d",
        ],
        Some(T0),
    );
    refused.code(2);
    assert!(
        refused.stderr.contains("last at most 30d"),
        "{}",
        refused.stderr
    );
    assert!(ws.store().is_empty(), "nothing was recorded");
    // A record written with a longer expiry (by hand, or before the checklist
    // was tightened) still goes stale when the checklist says.
    std::fs::create_dir_all(ws.path(".candlefish")).expect("mkdir");
    std::fs::write(
        ws.path(".candlefish/state.jsonl"),
        format!(
            r#"{{"op":"sign","at":"{T0}","item":"team-training","by":"Ada","evidence":"LMS export","expires":"2036-11-01T10:00:00Z"}}
"#
        ),
    )
    .expect("write store");
    assert_eq!(statuses(&report(&ws, DAY_8, &[]))["team-training"], "green");
    let later = report(&ws, DAY_31, &[]);
    assert_eq!(statuses(&later)["team-training"], "yellow");
    assert!(
        item(&later, "team-training")["reason"]
            .as_str()
            .unwrap_or_default()
            .starts_with("stale: the sign-off by Ada expired on 2026-12-01"),
        "{}",
        item(&later, "team-training")
    );
}

#[test]
fn records_dated_after_now_count_from_their_time() {
    let ws = Workspace::new(&checklist());
    ws.run(
        &["sign", "team-training", "--by", "Ada", "--evidence", "LMS"],
        Some(DAY_8),
    )
    .code(0);
    // Judged as of an earlier time, the sign-off has not happened yet.
    let ran = ws.run(&["check", "--format", "json"], Some(DAY_1));
    assert_eq!(statuses(&ran.json())["team-training"], "red");
    assert!(
        ran.stderr.contains("1 record dated after now"),
        "{}",
        ran.stderr
    );
    assert_eq!(statuses(&report(&ws, DAY_8, &[]))["team-training"], "green");
}

#[test]
fn history_into_a_closed_pipe_stops_quietly() {
    use std::io::{BufRead as _, BufReader};
    use std::process::Stdio;
    let ws = Workspace::new(&checklist());
    std::fs::create_dir_all(ws.path(".candlefish")).expect("mkdir");
    // Far more than a pipe's buffer, so the writer meets the closed pipe.
    let line = format!(
        r#"{{"op":"sign","at":"{T0}","item":"pentest","by":"Ada","evidence":"{}"}}
"#,
        "x".repeat(200)
    );
    std::fs::write(ws.path(".candlefish/state.jsonl"), line.repeat(2000)).expect("write");
    let mut run = ws.command(&["history"], Some(DAY_1));
    let mut child = run
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    assert!(first.ends_with(".candlefish/state.jsonl:\n"), "{first}");
    // The reader is gone now.
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

#[test]
fn diff_names_waivers_granted_and_ended() {
    let ws = Workspace::new(&checklist());
    let only = ["--only", "api-ready"];
    let save = |now: &str, name: &str| {
        let spec = format!("json={name}");
        let mut args = vec!["check", "-q", "--report", spec.as_str()];
        args.extend_from_slice(&only);
        ws.run(&args, Some(now));
    };
    save(T0, "before.json");
    waive_api_ready(&ws);
    save(DAY_1, "waived.json");
    save(DAY_8, "ended.json");
    let granted = ws.run(&["diff", "before.json", "waived.json"], None);
    assert!(
        granted.stdout.contains(
            "1 waiver changes:\n  ⚑ waived  api-ready  Readiness endpoint\n        ↳ by tester until 2026-11-08: vendor fix ships Monday\n"
        ),
        "{}",
        granted.stdout
    );
    let ended = ws.run(&["diff", "waived.json", "ended.json", "--ascii"], None);
    assert!(
        ended.stdout.contains(
            "(waiver ended)  api-ready  Readiness endpoint\n        > expired on 2026-11-08\n"
        ),
        "{}",
        ended.stdout
    );
    let json = ws.run(
        &["diff", "before.json", "waived.json", "--format", "json"],
        None,
    );
    assert_eq!(json.json()["waivers"][0]["waived"], true);
}

/// Waives `api-ready` for 7 days from T0.
fn waive_api_ready(ws: &Workspace) {
    ws.run(
        &[
            "sign",
            "api-ready",
            "--waive",
            "--reason",
            "vendor fix ships Monday",
            "--expires",
            "7d",
        ],
        Some(T0),
    )
    .code(0);
}

#[test]
fn commands_that_run_nothing_need_no_secrets() {
    let ws = Workspace::new(
        "version: 1\nname: S\nsections:\n  - id: api\n    title: API\n    probe: { http: { url: \"${CF_TEST_API_URL}/x\", headers: { Authorization: \"Bearer ${CF_TEST_TOKEN}\" } } }\n  - id: training\n    title: Training\n    manual: true\n",
    );
    let run = |args: &[&str]| {
        let mut run = ws.command(args, Some(T0));
        run.command()
            .env_remove("CF_TEST_API_URL")
            .env_remove("CF_TEST_TOKEN");
        run.run()
    };
    run(&["sign", "training", "--by", "Ada"]).code(0);
    run(&["history"]).code(0);
    run(&["list"]).code(0);
    run(&["graph"]).code(0);
    // What runs probes still says what is missing.
    let check = run(&["check"]);
    check.code(2);
    assert!(
        check
            .stderr
            .contains("variable `CF_TEST_API_URL` is not set"),
        "{}",
        check.stderr
    );
}
