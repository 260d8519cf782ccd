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
