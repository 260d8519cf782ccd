//! `candlefish diff OLD.json NEW.json` and `check --baseline`: regressions
//! first, exit 1 only when something regressed.

use crate::support::Run;

fn checklist(api: &str, docs: &str, extra: bool) -> String {
    let mut text = format!(
        r"
version: 1
name: Diffs
sections:
  - id: launch
    title: Launch
    items:
      - id: api
        title: API deployed
        status: {api}
      - id: docs
        title: Docs written
        status: {docs}
      - id: old-item
        title: Going away
        status: done
"
    );
    if extra {
        text = text.replace(
            "      - id: old-item\n        title: Going away\n        status: done\n",
            "      - id: new-item\n        title: Brand new\n        status: in_progress\n",
        );
    }
    text
}

fn json_report(dir: &std::path::Path, name: &str, checklist: &str) {
    std::fs::write(dir.join("candlefish.yaml"), checklist).expect("write");
    Run::new(&["check", "-q", "--report", &format!("json={name}")])
        .in_dir(dir)
        .run();
}

#[test]
fn regressions_first_and_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    json_report(
        dir.path(),
        "old.json",
        &checklist("done", "not_started", false),
    );
    json_report(dir.path(), "new.json", &checklist("blocked", "done", true));
    let ran = Run::new(&["diff", "old.json", "new.json"])
        .in_dir(dir.path())
        .run();
    ran.code(1);
    assert_eq!(
        ran.stdout,
        "gate: failed (as before)\n\
         1 regressions:\n  🟢 → 🔴  api  API deployed\n        ↳ declared blocked\n\
         1 improvements:\n  🔴 → 🟢  docs  Docs written\n\
         1 new items:\n     → 🟡  new-item  Brand new\n        ↳ declared in progress\n\
         1 removed items:\n  🟢 →     old-item  Going away\n\
         0 unchanged\n"
    );
    let json = Run::new(&["diff", "old.json", "new.json", "--format", "json"])
        .in_dir(dir.path())
        .run();
    json.code(1);
    assert_eq!(json.json()["regressions"][0]["id"], "api");

    let better = Run::new(&["diff", "new.json", "new.json"])
        .in_dir(dir.path())
        .run();
    better.code(0);
    assert_eq!(
        better.stdout,
        "gate: failed (as before)\nno changes (3 items)\n"
    );
}

#[test]
fn check_baseline_prints_the_diff_after_the_board() {
    let dir = tempfile::tempdir().expect("temp dir");
    json_report(dir.path(), "old.json", &checklist("done", "done", false));
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        checklist("in_progress", "done", false),
    )
    .expect("write");
    let ran = Run::new(&["check", "--no-progress", "--baseline", "old.json"])
        .in_dir(dir.path())
        .run();
    ran.code(0);
    let board_end = ran.stdout.find("gate passed").expect("the board");
    let diff = ran.stdout.find("since the baseline").expect("the diff");
    assert!(board_end < diff, "{}", ran.stdout);
    assert!(
        ran.stdout
            .contains("1 regressions:\n  🟢 → 🟡  api  API deployed"),
        "{}",
        ran.stdout
    );

    let json = Run::new(&["check", "--format", "json", "--baseline", "old.json"])
        .in_dir(dir.path())
        .run();
    json.code(0);
    assert_eq!(
        json.json()["checklist"]["name"],
        "Diffs",
        "stdout stays JSON"
    );
    assert!(
        json.stderr.contains("1 regressions"),
        "the diff goes to stderr"
    );
}

#[test]
fn unreadable_reports_are_usage_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("not.json"), "{ nope").expect("write");
    std::fs::write(dir.path().join("other.json"), "{\"schema_version\": 9}").expect("write");
    for (args, says) in [
        (
            vec!["diff", "missing.json", "not.json"],
            "cannot read missing.json",
        ),
        (vec!["diff", "not.json", "not.json"], "not.json is not JSON"),
        (vec!["diff", "other.json", "other.json"], "schema_version 9"),
        (
            vec!["check", "--baseline", "not.json"],
            "--baseline: not.json is not JSON",
        ),
    ] {
        std::fs::write(
            dir.path().join("candlefish.yaml"),
            checklist("done", "done", false),
        )
        .expect("write");
        let ran = Run::new(&args).in_dir(dir.path()).run();
        ran.code(2);
        assert!(ran.stderr.contains(says), "{args:?}: {}", ran.stderr);
    }
}
