//! Snapshot tests of the renderers for a fixed report. Regenerate with
//! `cargo insta review` (or `INSTA_UPDATE=always cargo test`) after an intended change.

use candlefish::outcome::{
    Basis, Check, ChecklistInfo, Gate, GateVerdict, ItemReport, ProbeOutcome, Report, Status,
    Summary, Verdict,
};
use candlefish::report::{self, BoardOptions, Format};

fn leaf(id: &str, title: &str, status: Status, basis: Basis, reason: &str) -> ItemReport {
    ItemReport {
        id: id.into(),
        title: title.into(),
        status,
        basis,
        reason: reason.into(),
        critical: false,
        optional: false,
        declared: None,
        owner: None,
        tags: Vec::new(),
        depends_on: Vec::new(),
        notes: None,
        docs: None,
        probes: Vec::new(),
        signoffs: Vec::new(),
        waiver: None,
        items: Vec::new(),
    }
}

fn probe(verdict: Verdict, evidence: &str, checks: Vec<Check>) -> ProbeOutcome {
    ProbeOutcome {
        kind: "http".into(),
        target: "GET https://api.example.com/health".into(),
        verdict,
        evidence: evidence.into(),
        checks,
        started_at: Some("2026-11-25T10:00:00Z".into()),
        duration_ms: 41,
        attempts: 1,
        flaky: false,
        name: None,
    }
}

/// A report that exercises every colour, nesting, wrapping and a long id.
pub fn fixed_report() -> Report {
    let mut health = leaf(
        "api-health",
        "Health endpoint answers",
        Status::Green,
        Basis::Probes,
        "",
    );
    health.critical = true;
    health.probes = vec![probe(
        Verdict::Pass,
        "200 OK in 41ms",
        vec![Check {
            expected: "status 200".into(),
            observed: "200 OK".into(),
            verdict: Verdict::Pass,
        }],
    )];
    let mut ready = leaf(
        "api-ready",
        "Readiness endpoint says the service takes traffic from the load balancer",
        Status::Red,
        Basis::Probes,
        "expected status 200, got 503 Service Unavailable in 41ms",
    );
    ready.critical = true;
    ready.probes = vec![probe(
        Verdict::Fail,
        "expected status 200, got 503 Service Unavailable in 41ms",
        vec![Check {
            expected: "status 200".into(),
            observed: "503 Service Unavailable".into(),
            verdict: Verdict::Fail,
        }],
    )];
    let mut slow = leaf(
        "api-search-latency-p95-under-budget",
        "Search latency",
        Status::Yellow,
        Basis::Probes,
        "expected latency <= 100ms, got 254ms",
    );
    slow.probes = vec![probe(
        Verdict::Warn,
        "expected latency <= 100ms, got 254ms",
        Vec::new(),
    )];
    let mut api = leaf(
        "api",
        "Public API",
        Status::Yellow,
        Basis::Children,
        "1 red, 1 yellow, 1 green of 3",
    );
    api.items = vec![health, ready, slow];
    let mut blocked = leaf(
        "billing",
        "Billing cutover",
        Status::Red,
        Basis::Dependency,
        "blocked by `api-ready` (red)",
    );
    blocked.depends_on = vec!["api-ready".into()];
    let mut mobile = leaf(
        "mobile",
        "Mobile applications",
        Status::White,
        Basis::Optional,
        "deferred",
    );
    mobile.optional = true;
    let training = leaf(
        "team-training",
        "Team training completed",
        Status::Red,
        Basis::Manual,
        "awaiting sign-off",
    );
    let mut people = leaf(
        "people",
        "People and process",
        Status::Red,
        Basis::Children,
        "2 red of 2",
    );
    people.items = vec![blocked, training];
    Report {
        schema_version: 1,
        tool: "candlefish 0.1.0".into(),
        checklist: ChecklistInfo {
            name: "Example launch".into(),
            file: Some("launch.yaml".into()),
            owner: Some("platform-team".into()),
            last_reviewed: Some("2026-11-20".into()),
            next_review: None,
            ..ChecklistInfo::default()
        },
        started_at: "2026-11-25T10:00:00Z".into(),
        duration_ms: 1234,
        status: Status::Yellow,
        summary: Summary {
            green: 1,
            yellow: 1,
            red: 3,
            white: 1,
            probes_pass: 1,
            probes_warn: 1,
            probes_fail: 1,
            probes_error: 0,
            probes_skipped: 0,
            waived: 0,
        },
        gate: Some(Gate {
            policy: "no required item is red".into(),
            scope: "all".into(),
            blocking: "red".into(),
            passed: false,
            failing: vec!["api-ready".into(), "billing".into(), "team-training".into()],
            waivers_count: false,
            waived: Vec::new(),
            verdict: GateVerdict::NotReady,
            judged: 7,
            allow_empty: false,
        }),
        interrupted: false,
        warnings: Vec::new(),
        items: vec![api, people, mobile],
        shard: None,
    }
}

#[test]
fn board_snapshot() {
    let board = report::render(&fixed_report(), Format::Board, &BoardOptions::default());
    insta::assert_snapshot!("board", board);
}

#[test]
fn board_ascii_snapshot() {
    let options = BoardOptions {
        ascii: true,
        ..BoardOptions::default()
    };
    let board = report::render(&fixed_report(), Format::Board, &options);
    assert!(board.is_ascii(), "--ascii output is plain ASCII:\n{board}");
    insta::assert_snapshot!("board_ascii", board);
}

#[test]
fn board_fits_80_columns_and_never_truncates_ids() {
    let board = report::render(&fixed_report(), Format::Board, &BoardOptions::default());
    for line in board
        .lines()
        .filter(|l| !l.starts_with(|c: char| c.is_ascii_digit()) && !l.starts_with("gate"))
    {
        assert!(
            unicode_width::UnicodeWidthStr::width(line) <= 80,
            "wider than 80: {line:?}"
        );
    }
    assert!(
        board.contains("api-search-latency-p95-under-budget"),
        "{board}"
    );
}

#[test]
fn board_colours_only_when_asked() {
    let plain = report::render(&fixed_report(), Format::Board, &BoardOptions::default());
    assert!(!plain.contains('\x1b'));
    let coloured = report::render(
        &fixed_report(),
        Format::Board,
        &BoardOptions {
            color: true,
            ..BoardOptions::default()
        },
    );
    assert!(coloured.contains("\x1b[31m"), "red evidence is red");
}

#[test]
fn json_snapshot() {
    let json = report::render(&fixed_report(), Format::Json, &BoardOptions::default());
    insta::assert_snapshot!("json", json);
}
