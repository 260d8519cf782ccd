//! The launch record tells the postmortem what happened: the hint at the end
//! of a run names its journal; every decision of a phase is kept; a step is
//! credited to the person who confirmed it, at their time; a confirmation is
//! said once; the HTML shows ids as code, not backticks; a decision's gate
//! line names the red items it let through.

use crate::support::{Ran, Workspace, refused_port};

const T0: &str = "2026-12-01T15:00:00Z";
const JOURNAL: &str = "launch/day.jsonl";

fn checklist(refused: u16) -> String {
    format!(
        r#"version: 1
name: Record
sections:
  - id: ops
    title: Ops
    items:
      - id: backups
        title: Database backups verified
        manual: {{ evidence_required: true, expires: 1d }}
      - id: legacy
        title: Legacy billing answers
        probe: {{ http: {{ url: "http://127.0.0.1:{refused}/health" }}, timeout: 2s }}
runbook:
  phases:
    - id: pre-launch
      title: Pre-launch
      at: T-1h
      steps:
        - {{ id: flags, title: Feature flags enabled, manual: {{ evidence_required: true }} }}
        - {{ id: backups, run: [backups] }}
        - {{ id: legacy, run: [legacy] }}
"#
    )
}

/// `candlefish runbook` on the simulated clock at `now`, on the launch's journal.
fn runbook(ws: &Workspace, args: &[&str], now: &str) -> Ran {
    let mut all = vec!["runbook", "--t0", T0, "--journal", JOURNAL];
    all.extend_from_slice(args);
    ws.command(&all, Some(now))
        .env("CANDLEFISH_CLOCK", "simulated")
        .run()
}

fn ci(ws: &Workspace, now: &str, resume: bool) -> Ran {
    let mut args = vec!["--by", "CI", "--non-interactive", "--allow-waivers"];
    if resume {
        args.push("--resume");
    }
    runbook(ws, &args, now)
}

#[test]
fn the_launch_record_tells_the_whole_story_once() {
    let refused = refused_port();
    let ws = Workspace::new(&checklist(refused));
    // Bob confirms the flags five hours before the phase.
    runbook(
        &ws,
        &[
            "--by",
            "Bob",
            "--confirm",
            "flags",
            "--evidence",
            "LaunchDarkly audit #4411",
        ],
        "2026-12-01T10:00:00Z",
    )
    .code(0);
    // The legacy service is down and waived.
    ws.run(
        &[
            "sign",
            "legacy",
            "--waive",
            "--by",
            "Ada",
            "--reason",
            "retired next week",
            "--expires",
            "7d",
        ],
        Some("2026-12-01T09:00:00Z"),
    )
    .code(0);
    // Two NO-GOs while the backups wait for a sign-off, then a GO.
    let first = ci(&ws, "2026-12-01T14:00:00Z", true);
    first.code(1);
    assert!(
        first.stdout.contains(&format!(
            "The launch record: candlefish runbook candlefish.yaml --t0 {T0} --report md --journal {JOURNAL}"
        )),
        "the hint names this launch's journal:\n{}",
        first.stdout
    );
    ci(&ws, "2026-12-01T14:05:00Z", true).code(1);
    ws.run(
        &[
            "sign",
            "backups",
            "--by",
            "Ada",
            "--evidence",
            "snapshot restored",
        ],
        Some("2026-12-01T14:10:00Z"),
    )
    .code(0);
    let go = ci(&ws, "2026-12-01T14:15:00Z", true);
    go.code(0);

    let md = runbook(&ws, &["--report", "md"], "2026-12-01T16:00:00Z");
    md.code(0);
    let md = md.stdout;
    // (b) every decision, in order.
    let every = md
        .split("Every decision on this phase:")
        .nth(1)
        .unwrap_or_else(|| panic!("no decision history:\n{md}"));
    assert!(
        every.contains("1. 🔴 NO-GO at 14:00 UTC (T-1h) by CI — blocked by `backups`"),
        "{md}"
    );
    assert!(
        every.contains("2. 🔴 NO-GO at 14:05 UTC (T-55m) by CI"),
        "{md}"
    );
    assert!(
        every.contains("3. 🟢 GO at 14:15 UTC (T-45m) by CI"),
        "{md}"
    );
    // (c) the flags are Bob's, at his time; the backups Ada's.
    assert!(
        md.contains("*manual* step, done, green at 10:00 UTC (T-5h) by Bob."),
        "{md}"
    );
    assert!(
        md.contains("*run* step, done, green at 14:10 UTC (T-50m) by Ada."),
        "{md}"
    );
    // (d) Bob's confirmation is said once.
    assert_eq!(md.matches("by Bob at 10:00 UTC").count(), 1, "{md}");
    // (f) the gate line keeps the rule and the result apart and names the waived red item.
    assert!(
        md.contains(
            "Gate: fails when a required item is red; waived items are let through. \
             Result: 3 required items judged, none red; let through by a waiver: `legacy`."
        ),
        "{md}"
    );

    // (e) the HTML shows ids as code, never literal backticks.
    let html = runbook(&ws, &["--report", "html"], "2026-12-01T16:00:00Z");
    html.code(0);
    assert!(!html.stdout.contains('`'), "{}", html.stdout);
    assert!(
        html.stdout.contains("<code>legacy</code>"),
        "{}",
        html.stdout
    );

    // JSON: the history and the result, valid against the schema.
    let json = runbook(&ws, &["--report", "json"], "2026-12-01T16:00:00Z");
    json.code(0);
    let json = json.json();
    crate::schema::assert_record_valid(&json);
    assert_eq!(
        json["phases"][0]["decisions"].as_array().map(Vec::len),
        Some(3)
    );
    assert_eq!(json["phases"][0]["steps"][0]["by"], "Bob");
}

#[test]
fn a_phase_whose_gate_judges_nothing_is_no_go_unless_accepted() {
    let ws = Workspace::new(
        "version: 1\nname: Nothing critical\nsections:\n  - { id: a, title: A, status: done }\n\
         runbook:\n  phases:\n    - id: launch\n      title: Launch\n      at: T-0\n      steps:\n\
         \x20       - { id: a, run: [a] }\n",
    );
    let ran = runbook(
        &ws,
        &["--by", "CI", "--non-interactive", "--gate", "critical"],
        "2026-12-01T15:00:00Z",
    );
    ran.code(1);
    assert!(
        ran.stdout
            .contains("T-0 NO-GO — no item to judge: nothing is critical"),
        "{}",
        ran.stdout
    );
    let accepted = runbook(
        &ws,
        &[
            "--by",
            "CI",
            "--non-interactive",
            "--gate",
            "critical",
            "--allow-empty-gate",
            "--redo",
            "a",
        ],
        "2026-12-01T15:05:00Z",
    );
    accepted.code(0);
    assert!(
        accepted.stdout.contains("T-0 GO — no item to judge"),
        "{}",
        accepted.stdout
    );
}
