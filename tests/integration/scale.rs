//! Checklists at fleet scale: a generated checklist of 50,000 items loads and
//! validates (serde-saphyr's default cap on plain nodes would refuse it), while
//! a YAML bomb is still refused, at its alias, by the alias budget. How fast
//! and how small is measured in `scripts/bench`, never asserted here.

use std::fmt::Write as _;

use crate::support::Run;

/// `n` items with an `http` probe each, as `scripts/bench` generates them.
fn fleet(n: usize) -> String {
    let mut yaml = String::from(
        "version: 1\nname: Fleet\nsections:\n  - id: all\n    title: All hosts\n    items:\n",
    );
    for i in 0..n {
        writeln!(
            yaml,
            "      - id: host-{i}\n        title: Host {i}\n        probe:\n          http: {{ url: \"http://10.0.{}.{}:8080/health\" }}",
            i / 250,
            i % 250
        )
        .expect("write to a string");
    }
    yaml
}

#[test]
fn a_generated_checklist_of_50000_items_validates() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("fleet.yaml"), fleet(50_000)).expect("write");
    let ran = Run::new(&["validate", "fleet.yaml"])
        .in_dir(dir.path())
        .run();
    ran.code(0);
    assert!(
        ran.stdout.contains("50000 items") && ran.stdout.contains("50000 probes"),
        "every item and probe: {}",
        ran.stdout
    );
}

#[test]
fn one_anchor_shared_by_every_item_is_not_a_bomb() {
    let mut yaml = String::from(
        "version: 1\nname: Fleet\nsections:\n  - id: all\n    title: All hosts\n    items:\n",
    );
    for i in 0..5_000 {
        let (anchor, settings) = if i == 0 {
            (
                "&probe ",
                "{ http: { url: \"http://10.0.0.1/health\" }, timeout: 2s, retries: 1 }",
            )
        } else {
            ("", "*probe")
        };
        writeln!(
            yaml,
            "      - id: host-{i}\n        title: Host {i}\n        probe: {anchor}{settings}"
        )
        .expect("write to a string");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("fleet.yaml"), yaml).expect("write");
    let ran = Run::new(&["validate", "fleet.yaml"])
        .in_dir(dir.path())
        .run();
    ran.code(0);
    assert!(ran.stdout.contains("5000 probes"), "{}", ran.stdout);
}

#[test]
fn a_billion_laughs_is_refused_at_the_alias() {
    // Nine levels of ten aliases each, in a JSON expectation (which takes any
    // value): 10^9 strings if expanded.
    let mut levels = vec!["&l0 lol".to_owned()];
    for level in 1..=9 {
        let prev = format!("*l{}", level - 1);
        levels.push(format!("&l{level} [{}]", vec![prev; 10].join(", ")));
    }
    levels.push("*l9".to_owned());
    let yaml = format!(
        "version: 1\nname: Laughs\nsections:\n  - id: s\n    title: S\n    probe:\n      http:\n        \
         url: http://127.0.0.1:9/\n        expect:\n          json:\n            - path: $.x\n              \
         equals: [{}]\n",
        levels.join(", ")
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("laughs.yaml"), yaml).expect("write");
    let ran = Run::new(&["validate", "laughs.yaml"])
        .in_dir(dir.path())
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains(
            "aliases expand to more than 1,000,000 nodes: the checklist's budget for YAML aliases"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("laughs.yaml:12:"),
        "points at the line: {}",
        ran.stderr
    );
}
