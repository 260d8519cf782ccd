//! `candlefish runbook` without a person at the terminal: CI and cron runs
//! (manual steps wait for sign-offs), resuming, redoing, watches on the
//! simulated clock, usage errors, several operators on one journal, a crash
//! in the middle of a watch, and the launch record's formats.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Run, Server, Workspace, seed_path};

pub(crate) const T0: &str = "2026-12-01T15:00:00Z";
const JOURNAL: &str = ".candlefish/runbook-20261201T150000Z.jsonl";

pub(crate) fn checklist(server: &Server) -> String {
    format!(
        r#"version: 1
name: CI launch
vars:
  api: {api}
sections:
  - id: launch-day
    title: Launch day
    items:
      - id: api-health
        title: API health
        probe: {{ http: {{ url: "${{api}}/flaky/health/0" }} }}
      - id: backups
        title: Database backups verified
        manual: {{ evidence_required: true, expires: 1d }}
runbook:
  phases:
    - id: pre-launch
      title: Pre-launch
      at: T-1h
      steps:
        - id: health
          run: [api-health]
        - id: backups
          run: [backups]
    - id: launch
      title: Launch
      at: T-0
      steps:
        - id: errors-budget
          title: Error budget after cutover
          watch:
            probe: {{ http: {{ url: "${{api}}/toggle/budget" }} }}
            every: 1m
            for: 5m
            max_failed: 60%
        - id: errors-strict
          title: No errors after cutover
          watch: {{ probe: {{ http: {{ url: "${{api}}/toggle/strict" }} }}, every: 1m, for: 5m }}
"#,
        api = server.url("")
    )
}

/// A run on the simulated clock starting at `now`.
pub(crate) fn runbook(ws: &Workspace, args: &[&str], now: &str) -> crate::support::Ran {
    let mut all = vec!["runbook", "--t0", T0, "--by", "CI"];
    all.extend_from_slice(args);
    rehearse(ws, &all, now)
}

/// The binary with `args` in `ws`, on the simulated clock starting at `now`.
fn rehearse(ws: &Workspace, args: &[&str], now: &str) -> crate::support::Ran {
    ws.command(args, Some(now))
        .env("CANDLEFISH_CLOCK", "simulated")
        .run()
}

fn journal(ws: &Workspace) -> Vec<Value> {
    std::fs::read_to_string(ws.path(JOURNAL))
        .expect("journal")
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is a whole record"))
        .collect()
}

#[test]
fn a_ci_run_waits_for_signoffs_and_a_resume_picks_them_up() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let first = runbook(
        &ws,
        &["--non-interactive", "--phase", "T-1h"],
        "2026-12-01T14:00:00Z",
    );
    first.code(1);
    assert!(
        first
            .stdout
            .contains("waiting for a sign-off: candlefish sign backups -c candlefish.yaml"),
        "{}",
        first.stdout
    );
    assert!(
        first.stdout.contains("T-1h NO-GO — 1 step blocks it:"),
        "{}",
        first.stdout
    );
    // The record shows the no-go taken while a step still waits, not "not decided".
    let record = runbook(&ws, &["--report", "md"], "2026-12-01T14:01:00Z");
    record.code(0);
    assert!(
        record.stdout.contains("NO-GO, steps still open at "),
        "{}",
        record.stdout
    );
    // The journal already holds this launch: continuing it is explicit.
    let again = runbook(&ws, &["--non-interactive"], "2026-12-01T14:05:00Z");
    again.code(2);
    assert!(
        again.stderr.contains("add --resume to continue it"),
        "{}",
        again.stderr
    );
    // Someone signs the backups off; the next run sees it without re-running the probe.
    ws.run(
        &[
            "sign",
            "backups",
            "--by",
            "Ada",
            "--evidence",
            "snapshot 2026-12-01 restored",
        ],
        Some("2026-12-01T14:10:00Z"),
    )
    .code(0);
    let second = runbook(
        &ws,
        &["--non-interactive", "--phase", "pre-launch", "--resume"],
        "2026-12-01T14:15:00Z",
    );
    second.code(0);
    assert!(second.stdout.contains("T-1h GO"), "{}", second.stdout);
    assert!(
        second
            .stdout
            .contains("done at 14:00 UTC by CI (in the journal"),
        "{}",
        second.stdout
    );
    assert_eq!(
        server.hits("/flaky/health/0"),
        1,
        "a settled step is not repeated"
    );
    // --redo repeats it on purpose.
    let redo = runbook(
        &ws,
        &["--non-interactive", "--phase", "T-1h", "--redo", "health"],
        "2026-12-01T14:20:00Z",
    );
    redo.code(0);
    assert_eq!(server.hits("/flaky/health/0"), 2);
    let record = ws.run(&["runbook", "--t0", T0, "--report", "md"], None);
    record.code(0);
    for wanted in [
        "earlier attempt (redone): green at 14:00 UTC by CI",
        "signed off by Ada at 14:10 UTC: snapshot 2026-12-01 restored",
        "| 14:20 UTC | T-40m | CI | asked to redo `health` |",
        "| T-1h Pre-launch | 14:00 UTC | 🟢 GO at 14:20 UTC by CI |",
        "| T-0 Launch | 15:00 UTC | not decided |",
    ] {
        assert!(
            record.stdout.contains(wanted),
            "the record lacks {wanted:?}:\n{}",
            record.stdout
        );
    }
}

#[test]
fn watches_sample_on_the_simulated_clock_and_report_worst_and_trend() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let ran = runbook(
        &ws,
        &["--non-interactive", "--phase", "T-0"],
        "2026-12-01T15:00:00Z",
    );
    ran.code(1);
    assert_eq!(server.hits("/toggle/budget"), 6);
    assert_eq!(server.hits("/toggle/strict"), 6);
    let records = journal(&ws);
    let samples: Vec<&Value> = records
        .iter()
        .filter(|r| r["op"] == "sample" && r["step"] == "errors-budget")
        .collect();
    let times: Vec<&str> = samples
        .iter()
        .map(|s| s["at"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        times,
        [
            "2026-12-01T15:00:00Z",
            "2026-12-01T15:01:00Z",
            "2026-12-01T15:02:00Z",
            "2026-12-01T15:03:00Z",
            "2026-12-01T15:04:00Z",
            "2026-12-01T15:05:00Z"
        ]
    );
    let verdicts: Vec<&str> = samples
        .iter()
        .map(|s| s["verdict"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(verdicts, ["pass", "fail", "pass", "fail", "pass", "fail"]);
    let finish = |step: &str| {
        records
            .iter()
            .find(|r| r["op"] == "finish" && r["step"] == step)
            .unwrap_or_else(|| panic!("no result for {step}"))
            .clone()
    };
    let budget = finish("errors-budget");
    assert_eq!(budget["result"]["status"], "green", "3 of 6 is within 60%");
    assert_eq!(budget["watch"]["failed"], 3);
    assert_eq!(budget["watch"]["samples"], 6);
    assert!(budget["watch"]["worst"]["value"].is_number());
    assert!(budget["watch"]["trend"].is_string());
    let strict = finish("errors-strict");
    assert_eq!(strict["result"]["status"], "red");
    let reason = strict["result"]["reason"].as_str().unwrap_or_default();
    assert!(
        reason.starts_with(
            "6 samples over 5m: 3 failed (50.0%), first at 15:06: expected status 2xx, got 503"
        ),
        "{reason}"
    );
    assert!(
        ran.stdout.contains("T-0 NO-GO — 1 step blocks it:"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("errors-strict: 6 samples over 5m: 3 failed"),
        "{}",
        ran.stdout
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_to_do() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let cases: [(&[&str], &str); 5] = [
        (&["runbook"], "say when T-0 is: --t0"),
        (
            &["runbook", "--t0", T0, "--phase", "T+9h"],
            "its phases: pre-launch (T-1h), launch (T-0)",
        ),
        (
            &["runbook", "--t0", T0, "--redo", "helth"],
            "did you mean `health`?",
        ),
        (
            &["runbook", "--t0", T0, "--report", "md"],
            "holds nothing yet",
        ),
        (
            &["runbook", "--t0", "tomorrow"],
            "is not a time with a UTC offset",
        ),
    ];
    for (args, wanted) in cases {
        let ran = ws.run(args, None);
        ran.code(2);
        assert!(ran.stderr.contains(wanted), "{args:?}: {}", ran.stderr);
    }
    let bad_clock = ws
        .command(&["runbook", "--t0", T0], None)
        .env("CANDLEFISH_CLOCK", "fast")
        .run();
    bad_clock.code(2);
    assert!(
        bad_clock
            .stderr
            .contains("`real` (the default) or `simulated`"),
        "{}",
        bad_clock.stderr
    );
    // A journal is one launch: another T-0 is refused.
    runbook(
        &ws,
        &["--non-interactive", "--phase", "T-1h"],
        "2026-12-01T14:00:00Z",
    )
    .code(1);
    let other = ws.run(
        &[
            "runbook",
            "--t0",
            "2026-12-02T15:00Z",
            "--journal",
            JOURNAL,
            "--resume",
        ],
        None,
    );
    other.code(2);
    assert!(
        other
            .stderr
            .contains("is the journal of the launch at T-0 2026-12-01T15:00:00Z"),
        "{}",
        other.stderr
    );
    // The journal alone says when T-0 is.
    ws.run(&["runbook", "--journal", JOURNAL, "--report", "json"], None)
        .code(0);
    let none =
        Workspace::new("version: 1\nname: N\nsections:\n  - { id: a, title: A, status: done }\n");
    let ran = none.run(&["runbook", "--t0", T0], None);
    ran.code(2);
    assert!(
        ran.stderr.contains("has no `runbook:` section"),
        "{}",
        ran.stderr
    );
}

#[test]
fn several_operators_append_to_one_journal_without_corrupting_it() {
    let ws = Workspace::new(
        "version: 1\nname: Shared\nsections:\n  - { id: a, title: A, probe: { file: { path: candlefish.yaml } } }\n\
         runbook:\n  phases:\n    - id: launch\n      title: Launch\n      at: T-0\n      steps:\n\
         \x20       - { id: a, run: [a] }\n\
         \x20       - { id: w, title: W, watch: { probe: { file: { path: candlefish.yaml } }, every: 1m, for: 5m } }\n\
         \x20       - { id: note, title: Note, manual: true }\n",
    );
    let operators = 8;
    let children = operators_at(&ws, operators, "operator", "2026-12-01T15:00:00Z");
    for mut child in children {
        let status = child.wait().expect("wait");
        assert_eq!(status.code(), Some(1), "the manual step waits: no-go");
    }
    let records = journal(&ws);
    let opened = records.iter().filter(|r| r["op"] == "open").count();
    assert_eq!(opened, operators, "every session is in the journal");
    // Each step ran in one session; the others waited for it and took its result.
    for step in ["a", "w"] {
        let finishes = records
            .iter()
            .filter(|r| r["op"] == "finish" && r["step"] == step)
            .count();
        assert_eq!(finishes, 1, "`{step}` ran once");
    }
    let samplers: std::collections::HashSet<&str> = records
        .iter()
        .filter(|r| r["op"] == "sample")
        .map(|r| r["session"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(samplers.len(), 1, "one session sampled the watch");
    let record = ws.run(&["runbook", "--t0", T0, "--report", "json"], None);
    record.code(0);
    let json = record.json();
    assert_eq!(json["problems"].as_array().map(Vec::len), Some(0), "{json}");
    assert_eq!(json["people"].as_array().map(Vec::len), Some(operators));
}

#[test]
fn a_crash_in_the_middle_of_a_watch_loses_no_sample() {
    let server = Server::start();
    let ws = Workspace::new(&format!(
        "version: 1\nname: Crash\nsections:\n  - {{ id: a, title: A, status: done }}\nrunbook:\n  phases:\n\
         \x20   - id: launch\n      title: Launch\n      at: T-0\n      steps:\n\
         \x20       - id: errors\n          title: Errors\n\
         \x20         watch: {{ probe: {{ http: {{ url: \"{}\" }} }}, every: 1m, for: 10m }}\n",
        server.url("/slow/200")
    ));
    let mut child = ws
        .command(
            &["runbook", "--t0", T0, "--non-interactive", "--by", "CI"],
            Some(T0),
        )
        .env("CANDLEFISH_CLOCK", "simulated")
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    // Whole sample records only: a kill may tear the line being written.
    let samples = |ws: &Workspace| {
        std::fs::read_to_string(ws.path(JOURNAL))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|r| r["op"] == "sample")
            .count()
    };
    while samples(&ws) < 2 {
        assert!(Instant::now() < deadline, "no samples came");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("wait");
    let before = samples(&ws);
    assert!(before < 11, "killed before the window ended");
    // Resumed at 15:08: the window goes on from where it started.
    let resumed = rehearse(
        &ws,
        &[
            "runbook",
            "--t0",
            T0,
            "--non-interactive",
            "--by",
            "CI",
            "--resume",
        ],
        "2026-12-01T15:08:00Z",
    );
    // At most the one line the kill tore is unreadable; every other is whole.
    let text = std::fs::read_to_string(ws.path(JOURNAL)).expect("journal");
    let records: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(text.lines().count() - records.len() <= 1, "{text}");
    let finish = records
        .iter()
        .find(|r| r["op"] == "finish")
        .expect("the watch finished");
    let taken = finish["watch"]["samples"].as_u64().unwrap_or(0) as usize;
    assert_eq!(
        taken,
        before + 3,
        "every sample kept, then 15:08, 15:09, 15:10\n{}",
        resumed.stdout
    );
    assert_eq!(
        finish["result"]["status"], "yellow",
        "samples were missed while it was down"
    );
    assert!(
        finish["result"]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains(&format!("{} of 11 missed while not running", 11 - taken)),
        "{finish}"
    );
    resumed.code(0);
}

#[test]
fn the_launch_record_is_written_as_html_and_json_files() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    ws.run(
        &[
            "sign",
            "backups",
            "--by",
            "<b>Mallory</b>",
            "--evidence",
            "<script>alert(1)</script>",
        ],
        Some("2026-12-01T13:00:00Z"),
    )
    .code(0);
    runbook(
        &ws,
        &["--non-interactive", "--phase", "T-1h"],
        "2026-12-01T14:00:00Z",
    )
    .code(0);
    let write = || {
        let args = [
            "runbook",
            "--t0",
            T0,
            "--report",
            "html=out/record.html",
            "--report",
            "json=record.json",
        ];
        ws.run(&args, None)
    };
    // `out/` does not exist yet: it is created.
    let ran = write();
    ran.code(0);
    assert!(ran.stdout.is_empty());
    let html = std::fs::read_to_string(ws.path("out/record.html")).expect("html");
    assert!(html.starts_with("<!doctype html>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<b>Mallory"));
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(ws.path("record.json")).expect("json"))
            .expect("JSON");
    assert_eq!(json["phases"][0]["verdict"], "GO");
    assert_eq!(json["phases"][0]["steps"][1]["status"], "green");
    let md = ws.run(&["runbook", "--t0", T0, "--report", "md"], None);
    assert!(md.stdout.contains("\\<b>Mallory\\</b>"), "{}", md.stdout);
    // The record never replaces the journal, the store or the checklist.
    for target in [JOURNAL, ".candlefish/state.jsonl", "candlefish.yaml"] {
        let before = std::fs::read(ws.path(target)).expect("exists");
        let spec = format!("md={target}");
        let ran = ws.run(&["runbook", "--t0", T0, "--report", &spec], None);
        ran.code(2);
        assert!(ran.stderr.contains("would overwrite it"), "{}", ran.stderr);
        assert_eq!(std::fs::read(ws.path(target)).expect("exists"), before);
    }
}

/// The seed's launch-day plan ships as the runbook of production.yaml: every
/// line of each phase of the seed is a step of the matching phase.
#[test]
fn production_yaml_ships_the_seeds_launch_day_plan_as_a_runbook() {
    let path = seed_path();
    let seed = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the seed is part of the repository's surroundings ({}): {e}",
            path.display()
        )
    });
    let mut phases: Vec<(String, Vec<String>)> = Vec::new();
    let mut in_launch_day = false;
    for line in seed.lines() {
        if line.starts_with("## ") {
            in_launch_day = line.contains("Launch Day");
        } else if in_launch_day && line.starts_with("### ") {
            phases.push((line.trim_start_matches("### ").to_owned(), Vec::new()));
        } else if in_launch_day && let Some(item) = line.strip_prefix("- [ ] ") {
            phases
                .last_mut()
                .expect("a phase")
                .1
                .push(item.trim().to_lowercase());
        }
    }
    assert_eq!(phases.len(), 3, "{phases:?}");
    // The post-launch phase only asks people: a non-interactive run is offline.
    let dir = tempfile::tempdir().expect("temp dir");
    let journal = dir.path().join("journal.jsonl");
    let state = dir.path().join("state.jsonl");
    let (journal, state) = (
        journal.to_str().expect("utf-8"),
        state.to_str().expect("utf-8"),
    );
    let run = |extra: &[&str]| {
        let mut args = vec![
            "runbook",
            "checklists/production.yaml",
            "--t0",
            T0,
            "--journal",
            journal,
            "--state",
            state,
            "--by",
            "CI",
        ];
        args.extend_from_slice(extra);
        Run::new(&args)
            .env("CANDLEFISH_NOW", "2026-12-01T19:00:00Z")
            .run()
    };
    let ran = run(&["--phase", "T+4h", "--non-interactive"]);
    ran.code(1);
    assert!(
        ran.stdout.contains("T+4h NO-GO — 5 steps block it"),
        "{}",
        ran.stdout
    );
    let record = run(&["--report", "json"]);
    record.code(0);
    let json = record.json();
    let shipped = json["phases"].as_array().expect("phases");
    assert_eq!(
        shipped
            .iter()
            .map(|p| p["offset"].as_str().unwrap_or(""))
            .collect::<Vec<_>>(),
        ["T-4h", "T-0", "T+4h"]
    );
    for ((title, items), phase) in phases.iter().zip(shipped) {
        assert_eq!(phase["title"].as_str(), Some(title.as_str()));
        let steps: Vec<String> = phase["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .map(|s| s["title"].as_str().unwrap_or("").to_lowercase())
            .collect();
        for item in items {
            assert!(
                steps.iter().any(|s| s.contains(item.as_str())),
                "{title}: no step for the seed's {item:?}: {steps:?}"
            );
        }
    }
}

#[test]
fn a_steps_own_manual_confirmation_can_be_recorded_for_a_ci_run() {
    let ws = Workspace::new(
        "version: 1\nname: Flags\nsections:\n  - { id: a, title: A, status: done }\n\
         runbook:\n  phases:\n    - id: launch\n      title: Launch\n      at: T-0\n      steps:\n\
         \x20       - { id: flags, title: Feature flags enabled, manual: { evidence_required: true } }\n\
         \x20       - { id: a, run: [a] }\n",
    );
    let ci = |now: &str| {
        rehearse(
            &ws,
            &[
                "runbook",
                "--t0",
                T0,
                "--by",
                "CI",
                "--non-interactive",
                "--resume",
            ],
            now,
        )
    };
    let waiting = ci("2026-12-01T15:00:00Z");
    waiting.code(1);
    assert!(
        waiting.stdout.contains("--confirm flags"),
        "the run says how to confirm it:\n{}",
        waiting.stdout
    );
    let confirm = |extra: &[&str]| {
        let mut args = vec!["runbook", "--t0", T0, "--by", "Ada", "--confirm", "flags"];
        args.extend_from_slice(extra);
        rehearse(&ws, &args, "2026-12-01T15:05:00Z")
    };
    // Evidence is required; a step that is not manual cannot be confirmed.
    let bare = confirm(&[]);
    bare.code(2);
    assert!(bare.stderr.contains("requires evidence"), "{}", bare.stderr);
    let wrong = rehearse(
        &ws,
        &["runbook", "--t0", T0, "--confirm", "a"],
        "2026-12-01T15:05:00Z",
    );
    wrong.code(2);
    assert!(
        wrong.stderr.contains("candlefish sign ITEM"),
        "{}",
        wrong.stderr
    );
    let done = confirm(&["--evidence", "LaunchDarkly audit log #4411"]);
    done.code(0);
    assert!(
        done.stdout.contains("`flags` confirmed by Ada"),
        "{}",
        done.stdout
    );
    let again = confirm(&["--evidence", "again"]);
    again.code(2);
    assert!(
        again.stderr.contains("Ada already confirmed it"),
        "{}",
        again.stderr
    );

    let go = ci("2026-12-01T15:10:00Z");
    go.code(0);
    let record = ws.run(&["runbook", "--t0", T0, "--report", "json"], None);
    let json = record.json();
    let flags = &json["phases"][0]["steps"][0];
    assert_eq!(flags["status"], "green", "{json}");
    assert_eq!(json["phases"][0]["verdict"], "GO", "{json}");
    let settled = rehearse(
        &ws,
        &[
            "runbook",
            "--t0",
            T0,
            "--by",
            "Bob",
            "--confirm",
            "flags",
            "--evidence",
            "x",
        ],
        "2026-12-01T15:20:00Z",
    );
    settled.code(2);
    assert!(
        settled.stderr.contains("already done"),
        "{}",
        settled.stderr
    );
}

/// `n` non-interactive sessions (`{who}-0`, …) resuming the launch at `now`
/// on the simulated clock, all at once.
fn operators_at(ws: &Workspace, n: usize, who: &str, now: &str) -> Vec<std::process::Child> {
    (0..n)
        .map(|i| {
            let by = format!("{who}-{i}");
            let args = [
                "runbook",
                "--t0",
                T0,
                "--by",
                &by,
                "--non-interactive",
                "--resume",
            ];
            let mut run = ws.command(&args, Some(now));
            run.command()
                .env("CANDLEFISH_CLOCK", "simulated")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn candlefish runbook")
        })
        .collect()
}

/// A journal in which session `s-holder` (on `host`, process `pid`) opened
/// the launch and claimed step `step`, then nothing more.
fn claimed_by(ws: &Workspace, host: &str, pid: u32, step: &str) {
    std::fs::create_dir_all(ws.path(".candlefish")).expect("mkdir");
    std::fs::write(
        ws.path(JOURNAL),
        format!(
            "{{\"op\":\"open\",\"at\":\"2026-12-01T15:00:00Z\",\"by\":\"Holder\",\"session\":\"s-holder\",\"t0\":\"{T0}\",\"checklist\":\"Claims\",\"mode\":\"non_interactive\",\"clock\":\"simulated\",\"host\":\"{host}\",\"pid\":{pid}}}\n\
             {{\"op\":\"start\",\"at\":\"2026-12-01T15:00:00Z\",\"by\":\"Holder\",\"session\":\"s-holder\",\"phase\":\"launch\",\"step\":\"{step}\"}}\n"
        ),
    )
    .expect("write journal");
}

fn claims_checklist(server: &Server) -> String {
    format!(
        "version: 1\nname: Claims\nsections:\n  - {{ id: a, title: A, status: done }}\nrunbook:\n  phases:\n\
         \x20   - id: launch\n      title: Launch\n      at: T-0\n      steps:\n\
         \x20       - id: w\n          title: W\n\
         \x20         watch: {{ probe: {{ http: {{ url: \"{}\" }} }}, every: 1m, for: 5m }}\n",
        server.url("/status/200")
    )
}

fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .expect("hostname")
        .trim()
        .to_owned()
}

#[test]
fn when_the_holder_of_a_step_is_gone_exactly_one_waiting_session_takes_it_over() {
    let server = Server::start();
    let ws = Workspace::new(&claims_checklist(&server));
    // A process that has exited: its pid names nobody now.
    let mut gone = std::process::Command::new("true").spawn().expect("true");
    let pid = gone.id();
    gone.wait().expect("wait");
    claimed_by(&ws, &this_host(), pid, "w");
    let sessions = operators_at(&ws, 4, "op", "2026-12-01T15:01:00Z");
    for mut child in sessions {
        assert_eq!(child.wait().expect("wait").code(), Some(0));
    }
    let records = journal(&ws);
    let finishes = records
        .iter()
        .filter(|r| r["op"] == "finish" && r["step"] == "w")
        .count();
    assert_eq!(finishes, 1, "one session ran the watch");
    let samplers: std::collections::HashSet<&str> = records
        .iter()
        .filter(|r| r["op"] == "sample")
        .map(|r| r["session"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(samplers.len(), 1, "{records:?}");
    assert!(
        records
            .iter()
            .any(|r| r["op"] == "start" && r["replaces"] == "s-holder"),
        "the takeover is journaled"
    );
}

#[test]
fn a_ci_run_does_not_wait_for_a_claim_held_on_another_machine() {
    let server = Server::start();
    let ws = Workspace::new(&claims_checklist(&server));
    claimed_by(&ws, "another-machine.example", 4242, "w");
    let started = Instant::now();
    let ran = rehearse(
        &ws,
        &[
            "runbook",
            "--t0",
            T0,
            "--by",
            "CI",
            "--non-interactive",
            "--resume",
        ],
        "2026-12-01T15:01:00Z",
    );
    ran.code(1);
    assert!(
        ran.stdout
            .contains("a non-interactive run does not wait for it")
            && ran.stdout.contains("`--redo w` takes it over"),
        "{}",
        ran.stdout
    );
    assert!(started.elapsed() < Duration::from_secs(60));
    // --redo takes it over.
    let redone = rehearse(
        &ws,
        &[
            "runbook",
            "--t0",
            T0,
            "--by",
            "CI",
            "--non-interactive",
            "--redo",
            "w",
        ],
        "2026-12-01T15:02:00Z",
    );
    redone.code(0);
}

#[test]
fn sigterm_stops_a_runbook_like_ctrl_c_and_journals_it() {
    let server = Server::start();
    let ws = Workspace::new(
        &claims_checklist(&server).replace("every: 1m, for: 5m", "every: 1s, for: 1h"),
    );
    let child = ws
        .command(
            &[
                "runbook",
                "--t0",
                T0,
                "--by",
                "CI",
                "--non-interactive",
                "--journal",
                "day.jsonl",
            ],
            Some(T0),
        )
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !std::fs::read_to_string(ws.path("day.jsonl"))
        .unwrap_or_default()
        .contains("\"op\":\"sample\"")
    {
        assert!(Instant::now() < deadline, "no sample came");
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid = rustix::process::Pid::from_child(&child);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let output = child.wait_with_output().expect("wait");
    assert_eq!(output.status.code(), Some(130));
    let journal = std::fs::read_to_string(ws.path("day.jsonl")).expect("journal");
    assert!(
        journal.contains(r#""op":"stop""#) && journal.contains(r#""why":"interrupted""#),
        "the stop is journaled"
    );
    // The way back names the same journal.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "candlefish runbook candlefish.yaml --t0 {T0} --resume --journal day.jsonl"
        )),
        "{stdout}"
    );
}

#[test]
fn a_runbook_whose_reader_goes_away_does_not_panic() {
    use std::io::{BufRead as _, BufReader};
    let server = Server::start();
    let ws = Workspace::new(&claims_checklist(&server));
    let mut run = ws.command(
        &["runbook", "--t0", T0, "--by", "CI", "--non-interactive"],
        Some(T0),
    );
    let mut child = run
        .command()
        .env("CANDLEFISH_CLOCK", "simulated")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read");
    // The reader is gone; the run goes on and ends normally.
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        journal(&ws).iter().any(|r| r["op"] == "decide"),
        "it finished the day"
    );
}

#[test]
fn resuming_names_the_same_journal_and_refuses_the_wrong_one() {
    let server = Server::start();
    let ws = Workspace::new(&claims_checklist(&server));
    let run = |args: &[&str], now: &str| {
        let mut all = vec!["runbook", "--t0", T0, "--by", "CI", "--non-interactive"];
        all.extend_from_slice(args);
        rehearse(&ws, &all, now)
    };
    // Nothing to resume yet (a cron job's first run): it starts, and says so.
    let empty = run(&["--resume", "--journal", "elsewhere.jsonl"], T0);
    empty.code(0);
    assert!(
        empty
            .stderr
            .contains("elsewhere.jsonl holds nothing to continue yet"),
        "{}",
        empty.stderr
    );
    // A journal of another checklist is not taken for this one.
    run(&["--journal", "mine.jsonl"], T0).code(0);
    let other = Workspace::new(
        "version: 1\nname: Other\nsections: [{ id: a, title: A, status: done }]\nrunbook:\n  phases:\n    - { id: launch, title: Launch, at: T-0, steps: [{ id: x, run: [a] }] }\n",
    );
    std::fs::copy(ws.path("mine.jsonl"), other.path("mine.jsonl")).expect("copy");
    let wrong = rehearse(
        &other,
        &[
            "runbook",
            "--t0",
            T0,
            "--journal",
            "mine.jsonl",
            "--resume",
            "--non-interactive",
        ],
        T0,
    );
    wrong.code(2);
    assert!(
        wrong.stderr.contains(
            "is the journal of checklist \"Claims\", whose steps this runbook does not have"
        ),
        "{}",
        wrong.stderr
    );
    // The same checklist renamed goes on, and says so.
    let renamed = claims_checklist(&server).replace("name: Claims", "name: Claims (payments)");
    std::fs::write(ws.path("candlefish.yaml"), renamed).expect("rename");
    let goes_on = run(&["--journal", "mine.jsonl", "--resume"], T0);
    goes_on.code(0);
    assert!(
        goes_on
            .stderr
            .contains("was recorded for checklist \"Claims\"; its steps are this runbook's"),
        "{}",
        goes_on.stderr
    );
}
