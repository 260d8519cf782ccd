//! The JSON report matches its documented schema (docs/report.schema.json).

use crate::support::{Run, root};

pub fn validator() -> jsonschema::Validator {
    let text =
        std::fs::read_to_string(root().join("docs/report.schema.json")).expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Panics with every violation when `report` does not match the schema.
pub fn assert_valid(report: &serde_json::Value) {
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn demo_json_matches_the_documented_schema() {
    let ran = Run::new(&["demo", "--format", "json"]).run();
    ran.code(0);
    let report = ran.json();
    let validator = validator();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(report["schema_version"], 1);
}

#[test]
fn the_schema_rejects_what_it_should() {
    let validator = validator();
    let mut report = crate::board::fixed_report();
    report.schema_version = 1;
    // Optional fields are valid when present too.
    let probe = &mut report.items[0].items[0].probes[0];
    probe.flaky = true;
    probe.attempts = 2;
    probe.name = Some("health".into());
    let mut value = serde_json::to_value(&report).expect("serialize");
    assert!(validator.is_valid(&value), "the fixed report is valid");
    value["items"][0]["status"] = serde_json::json!("purple");
    assert!(!validator.is_valid(&value), "an unknown status is rejected");
}

/// The launch record's validator (docs/launch-record.schema.json).
fn record_validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("docs/launch-record.schema.json"))
        .expect("schema file");
    let schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Panics with every violation when `record` does not match the launch record's schema.
pub fn assert_record_valid(record: &serde_json::Value) {
    let errors: Vec<String> = record_validator()
        .iter_errors(record)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn the_launch_record_matches_its_documented_schema() {
    use crate::runbook::{T0, checklist, runbook};
    let server = crate::support::Server::start();
    let ws = crate::support::Workspace::new(&checklist(&server));
    ws.run(
        &[
            "sign",
            "backups",
            "--by",
            "Ada",
            "--evidence",
            "restore drill",
        ],
        Some("2026-12-01T13:00:00Z"),
    )
    .code(0);
    // A whole day in CI: a GO, then a NO-GO with a failing watch.
    runbook(&ws, &["--non-interactive"], "2026-12-01T13:55:00Z");
    let ran = ws.run(&["runbook", "--t0", T0, "--report", "json"], None);
    ran.code(0);
    let record = ran.json();
    assert_eq!(record["schema_version"], 1);
    assert_eq!(record["phases"][0]["verdict"], "GO", "{record}");
    assert_eq!(record["phases"][1]["verdict"], "NO-GO", "{record}");
    assert!(
        record["phases"][1]["decision"]["blocking"]
            .as_array()
            .is_some_and(|b| !b.is_empty()),
        "{record}"
    );
    let validator = record_validator();
    let errors: Vec<String> = validator
        .iter_errors(&record)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let mut broken = record.clone();
    broken["phases"][0]["verdict"] = serde_json::json!("MAYBE");
    assert!(
        !validator.is_valid(&broken),
        "an unknown verdict is rejected"
    );
    let mut broken = record;
    broken["events"][0]["offset"] = serde_json::json!("an hour before");
    assert!(
        !validator.is_valid(&broken),
        "a malformed offset is rejected"
    );
}
