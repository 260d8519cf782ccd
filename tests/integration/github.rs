//! GitHub Actions: annotations for red (error) and yellow (warning) items and a
//! job summary appended to `$GITHUB_STEP_SUMMARY`, when GitHub's variables are
//! set or `--format github` asks.

use crate::support::{Run, Server};

fn setup() -> (Server, tempfile::TempDir) {
    let server = Server::start();
    let dir = crate::reports::project(&server);
    (server, dir)
}

fn annotations(stdout: &str) -> Vec<&str> {
    stdout.lines().filter(|l| l.starts_with("::")).collect()
}

#[test]
fn in_github_actions_annotations_follow_the_board_and_the_summary_is_appended() {
    let (_server, dir) = setup();
    let summary = dir.path().join("step-summary.md");
    std::fs::write(&summary, "## An earlier step\n").expect("write");
    let ran = Run::new(&["check", "--no-progress"])
        .in_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8 path"))
        .run();
    ran.code(1);
    assert!(
        ran.stdout.starts_with("Report formats — NOT READY"),
        "{}",
        ran.stdout
    );
    let lines = annotations(&ran.stdout);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    // Critical red items first; titles escape `:` and `,`, messages `%` and newlines.
    assert!(
        lines[0].starts_with(
            "::error title=🔴 Readiness endpoint <takes> \"traffic\" & more [api-ready] ★ critical::expected status 200, got 503"
        ),
        "{}",
        lines[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error title=🔴 Reports endpoint [api-down]::"))
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("::error title=🔴 Team training [training]::awaiting sign-off"))
    );
    assert!(lines.iter().any(|l| {
        l.starts_with("::warning title=🟡 Search within budget [api-slow]::expected latency")
    }));
    assert!(lines.iter().any(|l| {
        l.starts_with("::warning title=🟡 Runbooks written [runbooks]::declared in progress")
    }));

    let text = std::fs::read_to_string(&summary).expect("summary");
    assert!(
        text.starts_with("## An earlier step\n"),
        "appended, not replaced"
    );
    assert!(
        text.contains("## Candlefish: Report formats — ⛔ NOT READY"),
        "{text}"
    );
    assert!(text.contains("### Blocking the release"));
    assert!(
        text.contains("| 🔴 | Readiness endpoint \\<takes> \"traffic\" & more ★ | `api-ready` |"),
        "{text}"
    );
    assert!(text.contains("<details><summary>The whole board</summary>"));
}

#[test]
fn without_github_nothing_github_appears() {
    let (_server, dir) = setup();
    let ran = Run::new(&["check", "--no-progress"])
        .in_dir(dir.path())
        .run();
    ran.code(1);
    assert!(annotations(&ran.stdout).is_empty(), "{}", ran.stdout);
}

#[test]
fn format_github_prints_only_annotations_and_machine_formats_stay_clean() {
    let (_server, dir) = setup();
    let ran = Run::new(&["check", "--format", "github"])
        .in_dir(dir.path())
        .run();
    ran.code(1);
    assert_eq!(
        annotations(&ran.stdout).len(),
        ran.stdout.lines().count(),
        "{}",
        ran.stdout
    );

    let summary = dir.path().join("summary.md");
    let json = Run::new(&["check", "--format", "json"])
        .in_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", summary.to_str().expect("utf-8 path"))
        .run();
    json.code(1);
    assert_eq!(
        json.json()["checklist"]["name"],
        "Report formats",
        "stdout is only JSON"
    );
    assert!(
        std::fs::read_to_string(&summary)
            .expect("summary")
            .contains("NOT READY")
    );
}

#[test]
fn workflow_commands_are_escaped() {
    use candlefish::report::github::{escape_data, escape_property};
    assert_eq!(escape_data("50% of\nlines"), "50%25 of%0Alines");
    assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
}

/// examples/github-workflow.yml is YAML, and its `candlefish check` command
/// line is one this Candlefish accepts.
#[test]
fn the_example_workflow_runs() {
    let text = std::fs::read_to_string(crate::support::root().join("examples/github-workflow.yml"))
        .expect("examples/github-workflow.yml");
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).expect("the workflow is YAML");
    let steps = workflow["jobs"]["readiness"]["steps"]
        .as_array()
        .expect("steps");
    let script = steps
        .iter()
        .filter_map(|s| s["run"].as_str())
        .find(|r| r.contains("candlefish check"))
        .expect("a step runs candlefish check");
    let command = script[script.find("candlefish check").expect("command")..].replace("\\\n", " ");
    let args: Vec<&str> = command
        .split_whitespace()
        .skip(1)
        .filter(|a| !a.starts_with('"'))
        .collect();
    // A fresh checkout: no `reports/` yet; Candlefish creates it.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        "version: 1\nname: Example\nsections:\n  - id: a\n    title: A\n    critical: true\n    status: done\n",
    )
    .expect("write");
    let ran = Run::new(&args)
        .in_dir(dir.path())
        .env("GITHUB_ACTIONS", "true")
        .run();
    ran.code(0);
    for report in ["junit.xml", "board.html", "STATUS.md", "report.json"] {
        assert!(dir.path().join("reports").join(report).exists(), "{report}");
    }
}
