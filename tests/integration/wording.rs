//! Counts and outputs read as the board does: `validate` counts items as the
//! board counts them, in the singular for one; a graph with nothing to order
//! says so; `-q` with a machine format keeps that format on stdout.

use crate::support::Run;

const ONE_OF_EACH: &str = r"
version: 1
name: One of each
sections:
  - id: web
    title: Web
    items:
      - id: health
        title: Health answers
        probe: { file: { path: candlefish.yaml } }
runbook:
  phases:
    - id: launch
      title: Launch
      at: T-0
      steps:
        - { id: health, run: [health] }
";

#[test]
fn validate_counts_as_the_board_does_and_says_one_in_the_singular() {
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(ONE_OF_EACH)
        .run();
    ran.code(0);
    assert_eq!(
        ran.stdout,
        "ok: candlefish.yaml (1 item in 1 group, 1 probe; runbook: 1 phase, 1 step)\n"
    );
    // The board of the same checklist counts the same one item.
    let board = Run::new(&["check", "--no-progress"])
        .with_checklist(ONE_OF_EACH)
        .run();
    board.code(0);
    assert!(
        board.stdout.contains("· 1 item\n1 probe in "),
        "{}",
        board.stdout
    );
}

#[test]
fn a_graph_with_nothing_to_order_says_so() {
    for format in ["mermaid", "dot"] {
        let ran = Run::new(&["graph", "--format", format])
            .with_checklist(ONE_OF_EACH)
            .run();
        ran.code(0);
        assert!(
            ran.stdout
                .contains("No item depends on another: there is no order to respect."),
            "{format}: {}",
            ran.stdout
        );
        assert!(
            ran.stderr.contains("note: No item depends on another"),
            "{}",
            ran.stderr
        );
    }
}

#[test]
fn quiet_with_a_machine_format_keeps_the_format_on_stdout() {
    let ran = Run::new(&["check", "-q", "--format", "json"])
        .with_checklist(ONE_OF_EACH)
        .run();
    ran.code(0);
    assert_eq!(ran.json()["gate"]["verdict"], "ready");
    assert!(
        ran.stderr.starts_with("candlefish: READY — "),
        "{}",
        ran.stderr
    );
}
