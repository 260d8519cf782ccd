//! Snapshot tests of the report renderers for the fixed report of board.rs.
//! Regenerate with `cargo insta review` (or `INSTA_UPDATE=always cargo test`).

use candlefish::outcome::ChecklistNotes;
use candlefish::report::{self, BoardOptions, Format, github};

use crate::board::fixed_report;

fn with_notes() -> candlefish::outcome::Report {
    let mut report = fixed_report();
    report.checklist.description = Some("Everything that must hold before launch.".into());
    report.checklist.notes = ChecklistNotes {
        blockers: vec!["Payments sandbox access".into()],
        risks: vec!["Traffic doubles at launch".into()],
        ..ChecklistNotes::default()
    };
    report.items[1].items[1].notes = Some("```bash\nmake training\n```".into());
    report.items[1].items[0].declared = Some("done".into());
    report.items[1].notes = Some("Who signs:\n- the lead\n- the CTO".into());
    report
}

#[test]
fn markdown_snapshot() {
    let md = report::render(&with_notes(), Format::Markdown, &BoardOptions::default());
    insta::assert_snapshot!("markdown", md);
}

#[test]
fn junit_snapshot() {
    let xml = report::render(&fixed_report(), Format::Junit, &BoardOptions::default());
    insta::assert_snapshot!("junit", xml);
}

#[test]
fn github_snapshots() {
    insta::assert_snapshot!("github_annotations", github::annotations(&fixed_report()));
    insta::assert_snapshot!("github_summary", github::summary(&fixed_report()));
}

#[test]
fn quiet_line() {
    assert_eq!(
        report::text::verdict_line(&fixed_report(), false),
        "candlefish: NOT READY — 3 required items red (api-ready, billing, team-training)"
    );
    assert_eq!(
        report::text::verdict_line(&fixed_report(), true),
        "candlefish: NOT READY - 3 required items red (api-ready, billing, team-training)"
    );
}

#[test]
fn markdown_reads_back_as_the_same_outline() {
    let report = with_notes();
    let md = report::render(&report, Format::Markdown, &BoardOptions::default());
    let (outline, legend, _) = candlefish::import::read(md.as_bytes());
    let nodes: Vec<(String, Option<&str>, bool)> = outline
        .sections
        .iter()
        .flat_map(candlefish::import::Node::walk)
        .map(|n| {
            (
                n.title.clone(),
                n.status_marker().and_then(|m| legend.status(m)),
                n.critical,
            )
        })
        .collect();
    assert_eq!(
        nodes,
        [
            ("Public API".to_owned(), None, false),
            ("Health endpoint answers".to_owned(), Some("done"), true),
            (
                "Readiness endpoint says the service takes traffic from the load balancer"
                    .to_owned(),
                Some("not_started"),
                true
            ),
            ("Search latency".to_owned(), Some("in_progress"), false),
            ("People and process".to_owned(), None, false),
            ("Billing cutover".to_owned(), Some("done"), false),
            (
                "Team training completed".to_owned(),
                Some("not_started"),
                false
            ),
            ("Mobile applications".to_owned(), Some("deferred"), false),
        ],
        "{md}"
    );
    let people = &outline.sections[1];
    assert_eq!(
        people.notes,
        ["Who signs:\n- the lead\n- the CTO"],
        "quoted notes come back whole"
    );
    assert_eq!(people.children[1].notes, ["```bash\nmake training\n```"]);
    assert_eq!(
        outline.notes[0],
        (
            "Blockers".to_owned(),
            vec!["Payments sandbox access".to_owned()]
        )
    );
    assert_eq!(
        outline.description,
        ["Everything that must hold before launch."]
    );
}
