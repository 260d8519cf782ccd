//! `--report FORMAT=PATH`: several at once beside the board, written whole
//! (temp file + rename) even when the gate fails, and errors that say why.

use crate::support::{Run, Server, refused_port};

/// A checklist with a passing, a failing and an erroring probe, a declared
/// item, a manual one and a code note.
pub fn checklist(server: &Server) -> String {
    format!(
        r#"
version: 1
name: Report formats
owner: platform-team
last_reviewed: 2026-11-20
description: Everything the report renderers show.
notes:
  risks: [Traffic doubles at launch]
sections:
  - id: api
    title: Public API
    items:
      - id: api-health
        title: Health endpoint answers
        critical: true
        probe:
          http: {{ url: "{base}/status/200" }}
      - id: api-ready
        title: Readiness endpoint <takes> "traffic" & more
        critical: true
        probe:
          http: {{ url: "{base}/status/503", expect: {{ status: 200 }} }}
      - id: api-slow
        title: Search within budget
        probe:
          http: {{ url: "{base}/slow/120", expect: {{ warn_latency: 20ms, max_latency: 5s }} }}
      - id: api-down
        title: Reports endpoint
        probe:
          http: {{ url: "http://127.0.0.1:{refused}/reports" }}
  - id: people
    title: People
    items:
      - id: runbooks
        title: Runbooks written
        status: in_progress
        notes: |
          ```bash
          make runbooks
          ```
      - id: training
        title: Team training
        manual: true
      - id: mobile
        title: Mobile apps
        optional: true
        status: not_started
"#,
        base = server.url(""),
        refused = refused_port()
    )
}

/// A temporary directory holding [`checklist`] as `candlefish.yaml`.
pub fn project(server: &Server) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("candlefish.yaml"), checklist(server)).expect("write");
    dir
}

#[test]
fn several_reports_at_once_while_the_board_prints() {
    let server = Server::start();
    let dir = project(&server);
    // `blocker` is a file, so nothing can be written under it.
    std::fs::write(dir.path().join("blocker"), "").expect("write");
    let ran = Run::new(&[
        "check",
        "--no-progress",
        "--report",
        "junit=blocker/junit.xml",
        "--report",
        "html=board.html",
        "--report",
        "md=STATUS.md",
        "--report",
        "json=report.json",
        "--report",
        "board=board.txt",
        "--report",
        "github=summary.md",
    ])
    .in_dir(dir.path())
    .run();
    // That report fails; the rest are written.
    ran.code(2);
    assert!(
        ran.stderr
            .contains("cannot write the junit report to blocker/junit.xml"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.contains("Report formats — NOT READY"),
        "{}",
        ran.stdout
    );
    for file in [
        "board.html",
        "STATUS.md",
        "report.json",
        "board.txt",
        "summary.md",
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap_or_default();
        assert!(!text.is_empty(), "{file} was written");
    }
    let leftovers: Vec<String> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temp files left: {leftovers:?}");

    let again = Run::new(&["check", "-q", "--report", "junit=out/junit.xml"])
        .in_dir(dir.path())
        .run();
    again.code(1);
    assert!(
        again.stdout.starts_with("candlefish: NOT READY — "),
        "{}",
        again.stdout
    );
    assert!(dir.path().join("out/junit.xml").exists());
    let board = std::fs::read_to_string(dir.path().join("board.txt")).expect("board");
    assert!(
        !board.contains('\x1b'),
        "a board written to a file has no colour"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("report.json")).expect("json"),
    )
    .expect("the JSON report parses");
    assert_eq!(json["gate"]["passed"], false);
}

#[test]
fn a_report_replaces_the_old_file_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let target = dir.path().join("STATUS.md");
    std::fs::write(&target, "x".repeat(100_000)).expect("old file");
    let checklist =
        "version: 1\nname: Tiny\nsections:\n  - id: a\n    title: A\n    status: done\n";
    std::fs::write(dir.path().join("candlefish.yaml"), checklist).expect("write");
    Run::new(&["check", "-q", "--report", "md=STATUS.md"])
        .in_dir(dir.path())
        .run()
        .code(0);
    let text = std::fs::read_to_string(&target).expect("read");
    assert!(text.starts_with("# Tiny\n"), "{text}");
    assert!(!text.contains("xxxx"));
}

#[test]
fn reports_never_overwrite_the_checklist_or_the_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let checklist = "version: 1\nname: T\nsections:\n  - id: a\n    title: A\n    manual: true\n";
    std::fs::write(dir.path().join("candlefish.yaml"), checklist).expect("write");
    Run::new(&["sign", "a", "--by", "Ada"])
        .in_dir(dir.path())
        .run()
        .code(0);
    let store = std::fs::read_to_string(dir.path().join(".candlefish/state.jsonl")).expect("store");
    for (spec, says) in [
        ("json=.candlefish/state.jsonl", "is the sign-off store"),
        ("md=candlefish.yaml", "is part of the checklist"),
        ("md=./candlefish.yaml", "is part of the checklist"),
        // Through a directory that does not exist yet.
        ("json=newdir/../candlefish.yaml", "is part of the checklist"),
        (
            "json=a/b/../../.candlefish/state.jsonl",
            "is the sign-off store",
        ),
    ] {
        let ran = Run::new(&["check", "--report", spec])
            .in_dir(dir.path())
            .run();
        ran.code(2);
        assert!(ran.stderr.contains(says), "{spec}: {}", ran.stderr);
    }
    for (a, b) in [
        ("json=out.json", "md=./out.json"),
        ("json=missing/r.json", "md=missing/r.json"),
    ] {
        let twice = Run::new(&["check", "--report", a, "--report", b])
            .in_dir(dir.path())
            .run();
        twice.code(2);
        assert!(
            twice.stderr.contains("are the same file"),
            "{}",
            twice.stderr
        );
    }
    assert!(!dir.path().join("newdir").exists() && !dir.path().join("missing").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(".candlefish/state.jsonl")).expect("store"),
        store
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("candlefish.yaml")).expect("checklist"),
        checklist
    );
    assert!(!dir.path().join("out.json").exists(), "nothing ran");
    // The store is protected before it exists too.
    let fresh = tempfile::tempdir().expect("temp dir");
    std::fs::write(fresh.path().join("candlefish.yaml"), checklist).expect("write");
    let ran = Run::new(&["check", "--report", "json=.candlefish/state.jsonl"])
        .in_dir(fresh.path())
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("is the sign-off store"),
        "{}",
        ran.stderr
    );
    // Missing directories are created.
    Run::new(&["check", "-q", "--report", "junit=build/reports/junit.xml"])
        .in_dir(dir.path())
        .run()
        .code(0);
    assert!(dir.path().join("build/reports/junit.xml").exists());
}

#[test]
fn bad_report_specs_are_usage_errors() {
    for (spec, says) in [
        ("pdf=out.pdf", "unknown report format `pdf`"),
        ("junit", "is not FORMAT=PATH"),
        ("html=", "names no file"),
    ] {
        let ran = Run::new(&["check", "--report", spec])
            .with_checklist("version: 1\nname: T\nsections: []\n")
            .run();
        ran.code(2);
        assert!(ran.stderr.contains(says), "{spec}: {}", ran.stderr);
    }
}

#[test]
fn state_journal_and_summary_paths_never_land_on_the_checklist() {
    let dir = tempfile::tempdir().expect("temp dir");
    let checklist = "version: 1\nname: Z\nsections: [{ id: a, title: A, manual: true }]\nrunbook:\n  phases:\n    - { id: p, title: P, at: T-0, steps: [{ id: s, run: [a] }] }\n";
    std::fs::write(dir.path().join("candlefish.yaml"), checklist).expect("write");
    for (args, says) in [
        (
            &["sign", "a", "--by", "Ada", "--state", "candlefish.yaml"][..],
            "--state: candlefish.yaml is part of the checklist",
        ),
        (
            &["history", "--state", "./candlefish.yaml"],
            "--state: ./candlefish.yaml is part of the checklist",
        ),
        (
            &[
                "runbook",
                "--t0",
                "2026-12-01T15:00Z",
                "--journal",
                "candlefish.yaml",
                "--non-interactive",
            ],
            "--journal: candlefish.yaml is part of the checklist",
        ),
        (
            &[
                "runbook",
                "--t0",
                "2026-12-01T15:00Z",
                "--journal",
                ".candlefish/state.jsonl",
                "--non-interactive",
            ],
            "--journal: .candlefish/state.jsonl is the sign-off store",
        ),
    ] {
        let ran = Run::new(args).in_dir(dir.path()).run();
        ran.code(2);
        assert!(ran.stderr.contains(says), "{args:?}: {}", ran.stderr);
    }
    let summary = Run::new(&["check", "-q"])
        .in_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", "candlefish.yaml")
        .run();
    summary.code(2);
    assert!(
        summary.stderr.contains("is part of the checklist"),
        "{}",
        summary.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("candlefish.yaml")).expect("checklist"),
        checklist
    );
}

#[test]
fn reports_follow_links_and_write_devices_in_place() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        "version: 1\nname: Z\nsections: [{ id: a, title: A, status: done }]\n",
    )
    .expect("write");
    std::fs::create_dir(dir.path().join("real")).expect("mkdir");
    std::os::unix::fs::symlink("real/board.md", dir.path().join("board.md")).expect("link");
    std::os::unix::fs::symlink("/dev/null", dir.path().join("discard.json")).expect("link");
    Run::new(&[
        "check",
        "-q",
        "--report",
        "md=board.md",
        "--report",
        "json=discard.json",
    ])
    .in_dir(dir.path())
    .run()
    .code(0);
    let link = std::fs::symlink_metadata(dir.path().join("board.md")).expect("link");
    assert!(link.file_type().is_symlink(), "the link is still a link");
    let written = std::fs::read_to_string(dir.path().join("real/board.md")).expect("target");
    assert!(written.contains('Z'), "{written}");
    let discard = std::fs::symlink_metadata(dir.path().join("discard.json")).expect("link");
    assert!(discard.file_type().is_symlink());
    let null = std::fs::metadata("/dev/null").expect("/dev/null");
    assert!(!null.is_file(), "/dev/null is still a device");
}

#[test]
fn a_report_to_dev_stdout_goes_through_the_stream_it_has() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        "version: 1\nname: Z\nsections: [{ id: a, title: A, status: done }]\n",
    )
    .expect("write");
    // stdout is a log file opened for appending, as `>> build.log` does.
    std::fs::write(dir.path().join("build.log"), "previous log line\n").expect("write");
    let log = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("build.log"))
        .expect("open");
    let status = std::process::Command::new(crate::support::binary())
        .args(["check", "-q", "--report", "json=/dev/stdout"])
        .current_dir(dir.path())
        .stdout(log)
        .status()
        .expect("run");
    assert_eq!(status.code(), Some(0));
    let text = std::fs::read_to_string(dir.path().join("build.log")).expect("log");
    assert!(text.starts_with("previous log line\n{"), "{text}");
    assert!(text.contains("candlefish: READY"), "{text}");
    // And through a pipe.
    let piped = Run::new(&["check", "--report", "json=/dev/stdout", "-q"])
        .in_dir(dir.path())
        .run();
    piped.code(0);
    assert!(
        piped.stdout.contains("\"schema_version\": 1"),
        "{}",
        piped.stdout
    );
}
