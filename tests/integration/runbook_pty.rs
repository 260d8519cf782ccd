//! A whole launch day on a pseudo-terminal, on the simulated clock: prompts
//! answered by "people", Ctrl-C in the middle of T-0, a resume by another
//! operator, and a launch record that says exactly what happened. Then the
//! other interactive paths: retrying a failed step, going on after a no-go.

use crate::pty::Pty;
use crate::support::{Server, Workspace};

const T0: &str = "2026-12-01T15:00:00Z";

fn checklist(server: &Server) -> String {
    format!(
        r#"version: 1
name: Launch day rehearsal
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
      - id: rollback
        title: Rollback plan reviewed
        manual: {{ signoffs: 2, expires: 1d }}
runbook:
  phases:
    - id: pre-launch
      title: Pre-launch
      at: T-4h
      steps:
        - id: health
          run: [api-health]
        - id: backups
          run: [backups]
        - id: rollback
          run: [rollback]
    - id: launch
      title: Launch
      at: T-0
      steps:
        - id: cutover
          title: DNS cutover
          probe: {{ http: {{ url: "${{api}}/flaky/cutover/0" }} }}
        - id: flags
          title: Feature flags enabled
          manual: true
        - id: error-rate
          title: Error rate after cutover
          watch: {{ probe: {{ http: {{ url: "${{api}}/flaky/watch/0" }} }}, every: 5m, for: 30m }}
        - id: user-flows
          title: Verify user flows
          manual: {{ evidence_required: true }}
    - id: post-launch
      title: Post-launch
      at: T+4h
      steps:
        - id: status-page
          title: Update status page
          manual: true
        - id: debrief
          title: Team debrief scheduled
          manual: {{ evidence_required: true }}
"#,
        api = server.url("")
    )
}

const PROMPT: &str = r"\[c\]onfirm / \[f\]ail / \[s\]kip \(reason\) / \[q\]uit > ";

#[test]
fn a_whole_launch_day_with_an_interruption_and_a_resume() {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let dir = ws.dir.path();
    // Ada starts at 10:45, before T-4h; the countdowns pass at once.
    let first = Pty::new(&["runbook", "--t0", T0, "--by", "Ada"])
        .env("CANDLEFISH_CLOCK", "simulated")
        .env("CANDLEFISH_NOW", "2026-12-01T10:45:00Z")
        .expect(r"T-4h\s+11:00 UTC\s+Pre-launch\s+— in 15m, 0 of 3 steps done")
        .expect(r"next: T-4h Pre-launch at 11:00 UTC \(in 15m\)")
        .expect(r"\[1/3\] health")
        .expect("green")
        .answer(PROMPT, "c")
        .answer("evidence", "https://wiki.example/backups-2026-12-01")
        .expect("`backups` signed off by Ada")
        .answer(PROMPT, "c")
        .expect("1 of 2 sign-offs")
        .answer(PROMPT, "c")
        .answer("who else is confirming", "Bob")
        .expect("T-4h GO")
        .expect(r"next: T-0 Launch at 15:00 UTC \(in 4h\)")
        .expect(r"\[1/4\] cutover")
        .answer(PROMPT, "c")
        .expect(r"sample 7/7 at 15:30 UTC: pass")
        .expect(r"green: 7 samples over 30m: none failed")
        .expect(r"\[4/4\] user-flows")
        .expect(PROMPT)
        .ctrl_c()
        .expect("stopped; the journal has everything so far")
        .run(dir);
    assert_eq!(first.code, Some(130), "{}", first.transcript);
    assert_eq!(server.hits("/flaky/cutover/0"), 1);
    assert_eq!(server.hits("/flaky/watch/0"), 7);

    // Carol resumes at 15:50: nothing done is repeated.
    let second = Pty::new(&["runbook", "--t0", T0, "--by", "Carol", "--resume"])
        .env("CANDLEFISH_CLOCK", "simulated")
        .env("CANDLEFISH_NOW", "2026-12-01T15:50:00Z")
        .expect(r"T-4h\s+11:00 UTC\s+Pre-launch\s+— done: GO, 3 of 3 steps done")
        .expect(r"T-0\s+15:00 UTC\s+Launch\s+— due now, 3 of 4 steps done")
        .expect(r"decided GO at 11:00 UTC by Ada \(in the journal\)")
        .expect(r"\[1/4\] cutover[^\n]*\n\s*🟢 done at 15:00 UTC by Ada \(in the journal")
        .answer(PROMPT, "c https://tests.example/e2e/run/42")
        .expect("T-0 GO")
        .answer(
            PROMPT,
            "s the vendor's status page is down; posted on social instead",
        )
        .answer(PROMPT, "confirm https://calendar.example/debrief")
        .expect("T\\+4h GO")
        .run(dir);
    assert_eq!(second.code, Some(0), "{}", second.transcript);
    assert_eq!(server.hits("/flaky/health/0"), 1, "nothing repeated");
    assert_eq!(server.hits("/flaky/cutover/0"), 1, "nothing repeated");
    assert_eq!(server.hits("/flaky/watch/0"), 7, "nothing repeated");

    // The launch record says what happened.
    let record = ws.run(&["runbook", "--t0", T0, "--report", "md"], None);
    record.code(0);
    let md = record.stdout;
    for wanted in [
        "# Launch record: Launch day rehearsal",
        "**People**: Ada, Bob, Carol",
        "**Rehearsal**",
        "| T-4h Pre-launch | 11:00 UTC | 🟢 GO at 11:00 UTC by Ada |",
        "| T-0 Launch | 15:00 UTC | 🟢 GO at 15:50 UTC by Carol |",
        "| T+4h Post-launch | 19:00 UTC | 🟢 GO at 19:00 UTC by Carol |",
        "- confirmed by Ada at 11:00 UTC: https://wiki.example/backups-2026-12-01",
        "- confirmed by Bob at 11:00 UTC",
        "7 samples over 30m: none failed",
        "- sample at 15:30 UTC: pass",
        "- confirmed by Carol at 15:50 UTC: https://tests.example/e2e/run/42",
        "- skipped by Carol at 19:00 UTC: the vendor's status page is down; posted on social instead",
        "- skipped by a person: `status-page`",
        "| 10:45 UTC | T-4h15m | Ada | opened the runbook (interactive, simulated clock) |",
        "| 15:30 UTC | T+30m | Ada | stopped (interrupted) at `user-flows` |",
        "| 15:50 UTC | T+50m | Carol | opened the runbook (interactive, simulated clock) |",
        "| 19:00 UTC | T+4h | Carol | T+4h Post-launch: GO |",
    ] {
        assert!(md.contains(wanted), "the record lacks {wanted:?}:\n{md}");
    }
    // Every step has exactly one result; the interrupted one was finished by Carol.
    let journal = std::fs::read_to_string(dir.join(".candlefish/runbook-20261201T150000Z.jsonl"))
        .expect("journal");
    let finishes: Vec<serde_json::Value> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a whole record"))
        .filter(|r| r["op"] == "finish")
        .collect();
    let steps: Vec<&str> = finishes
        .iter()
        .map(|f| f["step"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        steps,
        [
            "health",
            "backups",
            "rollback",
            "cutover",
            "flags",
            "error-rate",
            "user-flows",
            "status-page",
            "debrief"
        ]
    );
    assert_eq!(finishes[6]["by"], "Carol");
    // The sign-offs made at the prompt are in the store, marked as made in a
    // rehearsal: a rehearsal's board shows them, the real day's does not.
    let rehearsal = ws
        .command(&["check", "--format", "json"], Some("2026-12-01T12:00:00Z"))
        .env("CANDLEFISH_CLOCK", "simulated")
        .run();
    rehearsal.code(0);
    assert_eq!(rehearsal.json()["status"], "green");
    let real = ws.run(&["check", "--format", "json"], Some("2026-12-01T12:00:00Z"));
    real.code(1);
    let statuses = crate::support::statuses(&real.json());
    assert_eq!(statuses["backups"], "red", "awaiting sign-off");
    assert_eq!(statuses["rollback"], "red", "awaiting sign-off");
    let history = ws.run(&["history"], Some("2026-12-01T12:00:00Z"));
    assert!(
        history
            .stdout
            .contains("[rehearsal: counts only in rehearsals]"),
        "{}",
        history.stdout
    );
    // Nor does the real day carry on in the rehearsal's journal.
    let day = ws
        .command(
            &["runbook", "--t0", T0, "--non-interactive"],
            Some("2026-12-01T11:00:00Z"),
        )
        .run();
    day.code(2);
    assert!(
        day.stderr.contains("never share a journal"),
        "{}",
        day.stderr
    );
}

#[test]
fn a_failing_step_is_retried_and_a_no_go_needs_a_reason_to_go_on() {
    let server = Server::start();
    let checklist = format!(
        r#"version: 1
name: Retry rehearsal
sections:
  - id: s
    title: S
    items:
      - id: x
        title: X
        status: done
runbook:
  phases:
    - id: pre
      title: Pre-launch
      at: T-1h
      steps:
        - id: warm
          title: Service warmed up
          probe: {{ http: {{ url: "{warm}" }} }}
        - id: comms
          title: Announcement ready
          manual: true
    - id: launch
      title: Launch
      at: T-0
      steps:
        - id: go
          title: Go live
          manual: true
"#,
        warm = server.url("/flaky/warm/1")
    );
    let ws = Workspace::new(&checklist);
    let session = Pty::new(&["runbook", "--t0", T0, "--by", "Ada"])
        .env("CANDLEFISH_CLOCK", "simulated")
        .env("CANDLEFISH_NOW", "2026-12-01T14:00:00Z")
        .expect("expected status 2xx, got 503")
        .answer(r"\[r\]etry / \[c\]ontinue / \[q\]uit > ", "r")
        .expect(r"🟢 green")
        .answer(PROMPT, "f")
        .answer("reason > ", "legal has not approved the text")
        .expect("T-1h NO-GO — 1 step blocks it:")
        .expect("comms: failed by Ada at 14:00 UTC: legal has not approved the text")
        .answer(r"\[p\]roceed anyway \(reason\) / \[q\]uit > ", "p")
        .answer("why go on", "the announcement can follow the launch")
        .answer(PROMPT, "c")
        .expect("T-0 GO")
        .run(ws.dir.path());
    assert_eq!(
        session.code,
        Some(1),
        "a no-go happened: {}",
        session.transcript
    );
    assert_eq!(server.hits("/flaky/warm/1"), 2);
    let record = ws.run(&["runbook", "--t0", T0, "--report", "md"], None);
    record.code(0);
    for wanted in [
        "| T-1h Pre-launch | 14:00 UTC | 🔴 NO-GO at 14:00 UTC by Ada |",
        "- earlier attempt (redone): red at 14:00 UTC by Ada: expected status 2xx, got 503",
        "**Went on after the NO-GO**: Ada went on at 14:00 UTC (T-1h): the announcement can follow the launch",
        "| Ada | asked to redo `warm`: retry |",
    ] {
        assert!(
            record.stdout.contains(wanted),
            "the record lacks {wanted:?}:\n{}",
            record.stdout
        );
    }
}

#[test]
fn ctrl_c_stops_a_countdown_and_a_running_probe_and_both_are_journaled() {
    let server = Server::start();
    let checklist = format!(
        r#"version: 1
name: Interruptions
sections:
  - {{ id: x, title: X, status: done }}
runbook:
  phases:
    - id: launch
      title: Launch
      at: T-0
      steps:
        - id: slow
          title: A slow check
          probe: {{ http: {{ url: "{slow}" }}, timeout: 30s }}
"#,
        slow = server.url("/slow/20000")
    );
    let ws = Workspace::new(&checklist);
    // Real time, an hour before T-0: the countdown waits until Ctrl-C.
    let waiting = Pty::new(&["runbook", "--t0", T0, "--by", "Ada"])
        .env("CANDLEFISH_NOW", "2026-12-01T14:00:00Z")
        .expect(r"next: T-0 Launch at 15:00 UTC \(in 1h\); waiting")
        .expect("⏳ T-0 in")
        .ctrl_c()
        .expect("stopped; the journal has everything so far")
        .run(ws.dir.path());
    assert_eq!(waiting.code, Some(130), "{}", waiting.transcript);
    // At T-0 the probe starts; Ctrl-C drops it.
    let running = Pty::new(&["runbook", "--t0", T0, "--by", "Ada", "--resume"])
        .env("CANDLEFISH_NOW", T0)
        .expect(r"\[1/1\] slow")
        .ctrl_c()
        .expect("stopped; the journal has everything so far")
        .run(ws.dir.path());
    assert_eq!(running.code, Some(130), "{}", running.transcript);
    let journal = std::fs::read_to_string(ws.path(".candlefish/runbook-20261201T150000Z.jsonl"))
        .expect("journal");
    let ops: Vec<(String, String)> = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a whole record"))
        .map(|r| {
            (
                r["op"].as_str().unwrap_or("").to_owned(),
                r["step"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected: Vec<(String, String)> = [
        ("open", ""),
        ("stop", ""),
        ("open", ""),
        ("start", "slow"),
        ("stop", "slow"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(ops, expected);
}
