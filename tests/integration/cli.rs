//! The command line itself: help, version, completions, colour, the demo.

use crate::support::{Run, statuses};

#[test]
fn help_shows_examples_and_exit_codes() {
    let ran = Run::new(&["--help"]).run();
    ran.code(0);
    for needle in [
        "candlefish demo",
        "Exit codes:",
        "130  interrupted",
        "check",
        "validate",
        "list",
        "completions",
    ] {
        assert!(
            ran.stdout.contains(needle),
            "--help lacks {needle:?}:\n{}",
            ran.stdout
        );
    }
    let ran = Run::new(&["check", "--help"]).run();
    ran.code(0);
    assert!(
        ran.stdout.contains("--only <ID|tag:NAME>"),
        "{}",
        ran.stdout
    );
}

#[test]
fn version_prints_the_crate_version() {
    let ran = Run::new(&["--version"]).run();
    ran.code(0);
    assert_eq!(
        ran.stdout,
        format!("candlefish {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_2() {
    Run::new(&["check", "--bogus"]).run().code(2);
    Run::new(&["check", "-j", "0"]).run().code(2);
    Run::new(&["check", "--timeout", "5"]).run().code(2);
    let ran = Run::new(&["check", "--var", "oops"])
        .with_checklist("version: 1\nname: x\nsections: []\n")
        .run();
    ran.code(2);
    assert_eq!(
        ran.stderr,
        "error: --var `oops` needs the form NAME=VALUE\n"
    );
}

#[test]
fn completions_for_every_common_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let ran = Run::new(&["completions", shell]).run();
        ran.code(0);
        assert!(ran.stdout.contains("candlefish"), "{shell}: {}", ran.stdout);
    }
}

#[test]
fn the_demo_shows_all_four_colours() {
    let ran = Run::new(&["demo", "--format", "json"]).run();
    ran.code(0);
    let s = statuses(&ran.json());
    for colour in ["green", "yellow", "red", "white"] {
        assert!(
            s.values().any(|v| v == colour),
            "no {colour} item in the demo: {s:?}"
        );
    }
    let ran = Run::new(&["demo", "--color", "never"]).run();
    ran.code(0);
    for glyph in ["🟢", "🟡", "🔴", "⚪"] {
        assert!(
            ran.stdout.contains(glyph),
            "board lacks {glyph}:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn no_color_and_piped_output_have_no_escape_codes_and_no_progress() {
    let ran = Run::new(&["demo"]).env("NO_COLOR", "1").run();
    assert!(!ran.stdout.contains('\x1b'));
    assert!(
        ran.stderr.is_empty(),
        "nothing on stderr when it is not a terminal: {:?}",
        ran.stderr
    );
    let ran = Run::new(&["demo", "--color", "always"]).run();
    assert!(ran.stdout.contains('\x1b'));
}

#[test]
fn ascii_mode_has_no_emoji() {
    let ran = Run::new(&["demo", "--ascii", "--color", "never"]).run();
    ran.code(0);
    assert!(ran.stdout.is_ascii(), "{}", ran.stdout);
    assert!(ran.stdout.contains("[+]") && ran.stdout.contains("[x]"));
}

#[test]
fn list_shows_the_tree_with_marks() {
    let ran = Run::new(&["list", "examples/demo.yaml", "--color", "never"]).run();
    ran.code(0);
    assert!(
        ran.stdout.contains(
            "├─ api-health  Health endpoint reports every dependency ok  [critical, http]"
        ),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("team-training  Team training completed  [manual]"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("mobile  Mobile applications  [optional]"),
        "{}",
        ran.stdout
    );
}

#[test]
fn validate_reports_each_file() {
    let ran = Run::new(&[
        "validate",
        "examples/demo.yaml",
        "tests/fixtures/invalid/duplicate-id.yaml",
    ])
    .run();
    ran.code(2);
    assert!(
        ran.stdout.starts_with("ok: examples/demo.yaml ("),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains("duplicate id `health`"),
        "{}",
        ran.stderr
    );
}

#[test]
fn list_shows_the_runbook_after_the_items() {
    let ran = Run::new(&["list", "checklists/production.yaml", "--color", "never"]).run();
    ran.code(0);
    assert!(
        ran.stdout.contains("\nRunbook  (3 phases, 16 steps)\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("T-4h  pre-launch  Pre-Launch (T-4 hours)"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains(
            "error-rates  Monitor error rates for 30 minutes after cutover  [watch http, critical]"
        ),
        "{}",
        ran.stdout
    );
}
