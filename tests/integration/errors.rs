//! One fixture per checklist error, each with its exact expected message.
//!
//! `tests/fixtures/invalid/NAME.yaml` must fail `candlefish validate` with exit
//! code 2 and exactly the stderr in `NAME.stderr`. To regenerate the expected
//! files after an intended change: `CANDLEFISH_BLESS=1 cargo test errors`, then
//! review the diff.

use std::path::Path;

use crate::support::{Run, root};

#[test]
fn every_invalid_fixture_has_its_exact_message() {
    let dir = root().join("tests/fixtures/invalid");
    let bless = std::env::var_os("CANDLEFISH_BLESS").is_some();
    let mut fixtures: Vec<_> = std::fs::read_dir(&dir)
        .expect("fixture dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    fixtures.sort();
    assert!(
        fixtures.len() >= 20,
        "expected the full set of fixtures, found {}",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for fixture in &fixtures {
        let relative = fixture.strip_prefix(root()).unwrap_or(fixture);
        let mut run = Run::new(&["validate", relative.to_str().unwrap_or_default()]);
        run.command().env_remove("CANDLEFISH_TEST_UNSET_TOKEN");
        let ran = run.run();
        let expected_path = fixture.with_extension("stderr");
        if bless {
            std::fs::write(&expected_path, &ran.stderr).expect("write expected stderr");
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if ran.code != Some(2) {
            failures.push(format!(
                "{}: exit code {:?}, expected 2",
                name(fixture),
                ran.code
            ));
        }
        if ran.stderr != expected {
            failures.push(format!(
                "{}: stderr differs\n--- expected\n{expected}--- actual\n{}",
                name(fixture),
                ran.stderr
            ));
        }
        if !ran.stdout.is_empty() {
            failures.push(format!(
                "{}: printed on stdout: {}",
                name(fixture),
                ran.stdout
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
fn a_misspelt_key_is_reported_at_its_line_and_column_with_a_suggestion() {
    let ran = Run::new(&["check", "tests/fixtures/invalid/unknown-key.yaml"]).run();
    ran.code(2);
    assert!(ran.stderr.contains("unknown key `metod`"), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("tests/fixtures/invalid/unknown-key.yaml:12:13"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("did you mean `method`?"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.is_empty(), "nothing runs: {}", ran.stdout);
}

#[test]
fn a_missing_file_is_a_usage_error() {
    let ran = Run::new(&["check", "does/not/exist.yaml"]).run();
    ran.code(2);
    assert_eq!(
        ran.stderr,
        "error: cannot read does/not/exist.yaml: no such file\n"
    );
}

#[test]
fn a_directory_is_not_a_checklist() {
    let ran = Run::new(&["validate", "tests"]).run();
    ran.code(2);
    assert_eq!(
        ran.stderr,
        "error: tests is a directory, not a checklist file\n"
    );
}

#[test]
fn devices_and_endless_files_are_refused_not_read_forever() {
    // /dev/zero reports a length of 0 and never ends: every reader is bounded.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("candlefish.yaml"),
        "version: 1\nname: Z\nsections: [{ id: a, title: A, manual: true }]\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("includes.yaml"),
        "version: 1\nname: Z\ninclude: [/dev/zero]\nsections: [{ id: a, title: A, status: done }]\n",
    )
    .expect("write");
    for (args, says) in [
        (
            &["validate", "/dev/zero"][..],
            "/dev/zero holds more than 16 MiB",
        ),
        (
            &["validate", "includes.yaml"],
            "cannot include: /dev/zero holds more than 16 MiB",
        ),
        (&["import", "/dev/zero"], "/dev/zero holds more than"),
        (
            &["diff", "/dev/zero", "/dev/zero"],
            "/dev/zero holds more than",
        ),
        (&["check", "--state", "/dev/zero"], "holds more than"),
    ] {
        let ran = Run::new(args).in_dir(dir.path()).run();
        ran.code(2);
        assert!(ran.stderr.contains(says), "{args:?}: {}", ran.stderr);
    }
}

#[test]
fn a_dependency_chain_longer_than_the_limit_is_refused() {
    let mut checklist = String::from("version: 1\nname: Chain\nsections:\n");
    for i in 0..300 {
        let dep = if i > 0 {
            format!(", depends_on: [c{}]", i - 1)
        } else {
            String::new()
        };
        checklist.push_str(&format!(
            "  - {{ id: c{i}, title: C{i}, status: done{dep} }}\n"
        ));
    }
    let ran = Run::new(&["check"]).with_checklist(&checklist).run();
    ran.code(2);
    assert!(
        ran.stderr.contains(
            "starts a chain of 257 items each depending on the next; at most 256 are followed"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_chain_through_groups_counts_against_the_limit_too() {
    // Each item inherits its group's dependency on the item before.
    let mut checklist =
        String::from("version: 1\nname: G\nsections:\n  - { id: i0, title: I0, status: done }\n");
    for i in 1..300 {
        checklist.push_str(&format!(
            "  - id: g{i}\n    title: G{i}\n    depends_on: [i{}]\n    items: [{{ id: i{i}, title: I{i}, status: done }}]\n",
            i - 1
        ));
    }
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(&checklist)
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("at most 256 are followed"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_directory_given_as_a_file_is_named_as_such() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().display().to_string();
    let ran = Run::new(&["import", &path]).run();
    ran.code(2);
    assert_eq!(
        ran.stderr,
        format!("error: cannot read {path}: it is a directory, not a file\n")
    );
}
