//! checklists/production.yaml: valid, and holding every item of the seed.

use crate::support::{Run, seed_path};

#[test]
fn production_checklist_is_valid() {
    let ran = Run::new(&["validate", "checklists/production.yaml"]).run();
    ran.code(0);
    assert!(ran.stderr.is_empty(), "no warnings either:\n{}", ran.stderr);
}

/// Every list item of the seed appears as an item title.
#[test]
fn production_checklist_holds_every_seed_item() {
    let seed_path = seed_path();
    let seed = std::fs::read_to_string(&seed_path).unwrap_or_else(|e| {
        panic!(
            "the seed is part of the repository's surroundings ({}): {e}",
            seed_path.display()
        )
    });
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    ran.code(0);
    let listed: serde_json::Value = ran.json();
    let mut titles = Vec::new();
    fn walk(items: &serde_json::Value, out: &mut Vec<String>) {
        for item in items.as_array().into_iter().flatten() {
            out.push(normalize(item["title"].as_str().unwrap_or_default()));
            walk(&item["items"], out);
        }
    }
    walk(&listed, &mut titles);
    let mut missing = Vec::new();
    for line in seed.lines() {
        let Some(text) = seed_item_text(line) else {
            continue;
        };
        let wanted = normalize(&text);
        if !titles.iter().any(|t| t.contains(&wanted)) {
            missing.push(text);
        }
    }
    assert!(
        missing.is_empty(),
        "seed items missing from production.yaml:\n{}",
        missing.join("\n")
    );
}

/// The text of a checklist line of the seed (`- [ ] x`, `- [🟡] x`, `1. **x** [🔴]`).
fn seed_item_text(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let rest = if let Some(rest) = trimmed.strip_prefix("- [") {
        rest.split_once(']').map(|(_, text)| text)?
    } else if trimmed.chars().next().is_some_and(|c| c.is_ascii_digit()) && trimmed.contains(". **")
    {
        trimmed.split_once(". ").map(|(_, text)| text)?
    } else {
        return None;
    };
    let text = rest.split(" [").next().unwrap_or(rest).replace("**", "");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn normalize(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What only a person can verify is a manual item, and signing one works.
#[test]
fn production_checklist_marks_what_people_verify_as_manual() {
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    let listed = ran.json();
    let manual = |id: &str| {
        fn find<'a>(items: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
            items.as_array()?.iter().find_map(|i| {
                if i["id"] == id {
                    Some(i)
                } else {
                    find(&i["items"], id)
                }
            })
        }
        find(&listed, id).unwrap_or_else(|| panic!("no item {id}"))["manual"] == true
    };
    for id in [
        "team-training",
        "pentest-scheduled",
        "tos-privacy-policy",
        "gdpr-compliance",
        "fv-backup-restore",
        "t4h-rollback-reviewed",
    ] {
        assert!(manual(id), "{id} is not manual");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.jsonl");
    let state = state.to_str().expect("utf-8");
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "team-training",
            "-c",
            "checklists/production.yaml",
            "--state",
            state,
            "--by",
            "Ada",
        ];
        args.extend_from_slice(extra);
        Run::new(&args).run()
    };
    let refused = sign(&[]);
    refused.code(2);
    assert!(
        refused.stderr.contains("requires evidence"),
        "{}",
        refused.stderr
    );
    sign(&["--evidence", "https://wiki.example.com/training"]).code(0);
    let ran = Run::new(&[
        "check",
        "checklists/production.yaml",
        "--state",
        state,
        "--only",
        "team-training",
        "--format",
        "json",
    ])
    .run();
    ran.code(0);
    assert_eq!(
        crate::support::item(&ran.json(), "team-training")["status"],
        "green"
    );
}

/// The seed's PostgreSQL, Redis and monitoring items ask the servers themselves.
#[test]
fn production_checklist_probes_databases_and_monitoring() {
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    ran.code(0);
    let listed = ran.json();
    fn kinds(items: &serde_json::Value, id: &str) -> Option<Vec<String>> {
        items.as_array()?.iter().find_map(|i| {
            if i["id"] == id {
                Some(
                    i["probes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| p["kind"].as_str().unwrap_or_default().to_owned())
                        .collect(),
                )
            } else {
                kinds(&i["items"], id)
            }
        })
    }
    for (id, kind) in [
        ("pg-schema-migrations", "postgres"),
        ("pg-multi-tenant-schema", "postgres"),
        ("pg-row-level-security", "postgres"),
        ("pg-pitr-tested", "postgres"),
        ("pg-read-replicas", "postgres"),
        ("redis-cluster-mode", "redis"),
        ("redis-persistence", "redis"),
        ("redis-eviction", "redis"),
        ("redis-pubsub-channels", "redis"),
        ("redis-backup-schedule", "redis"),
        ("prometheus", "prometheus"),
        ("grafana-dashboards", "grafana"),
        ("alert-rules", "prometheus"),
        ("qc-database", "postgres"),
    ] {
        let found = kinds(&listed, id).unwrap_or_else(|| panic!("no item {id}"));
        assert!(
            found.iter().any(|k| k == kind),
            "{id} has no {kind} probe: {found:?}"
        );
    }
}
