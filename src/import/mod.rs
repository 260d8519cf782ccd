//! `candlefish import`: a Markdown checklist → checklist YAML.
//!
//! ```text
//! bytes ─encoding::decode─▶ text ─blocks::parse─▶ Blocks ─outline::outline─▶ Outline ─convert─▶ YAML
//!        (UTF-8 or 1252,         (pulldown-cmark)        (headings, items,            (ids, statuses,
//!         mojibake repaired)                              legend, notes, footer)       metadata)
//! ```
//!
//! Nothing here prints: [`import`] returns the YAML and the messages that say
//! what was repaired, recognised or left out; `commands/import.rs` shows them.

pub mod annotations;
pub mod blocks;
pub mod convert;
pub mod encoding;
pub mod legend;
pub mod outline;

pub use legend::Legend;
pub use outline::{Node, Outline};

/// The result of an import.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The checklist YAML.
    pub yaml: String,
    /// What was repaired, recognised or left out, one line each.
    pub messages: Vec<String>,
    /// How many items were written.
    pub items: usize,
}

/// Reads a Markdown checklist (decoding and repairing it) into its outline and
/// the legend to read its markers with.
pub fn read(bytes: &[u8]) -> (Outline, Legend, encoding::Decoded) {
    let decoded = encoding::decode(bytes);
    let outline = outline::outline(&blocks::parse(&decoded.text));
    let (legend, _) = Legend::with(&outline.legend);
    (outline, legend, decoded)
}

/// Imports a Markdown checklist. `source` names it in the YAML's header and
/// stands in for the name when there is no `#` title. Fails when the document
/// holds no checklist items.
pub fn import(bytes: &[u8], source: &str) -> Result<Imported, String> {
    let (outline, _, decoded) = read(bytes);
    let (legend, understood) = Legend::with(&outline.legend);
    let stem = std::path::Path::new(source)
        .file_stem()
        .map_or_else(|| source.to_owned(), |s| s.to_string_lossy().into_owned());
    let (checklist, tally, meta) = convert::convert(&outline, &stem, &legend);
    if tally.items == 0 {
        return Err(format!(
            "{source}: no checklist items found (expected headings and list items such as `- [ ] task`)"
        ));
    }
    let mut messages = Vec::new();
    if decoded.read_as_windows_1252 {
        messages.push("the file is not UTF-8: read it as Windows-1252".to_owned());
    }
    if decoded.repaired > 0 {
        let examples: Vec<String> = decoded
            .examples
            .iter()
            .map(|(from, to)| format!("{from} → {to}"))
            .collect();
        messages.push(format!(
            "repaired {} double-encoded characters (UTF-8 that had been read as Windows-1252), e.g. {}",
            decoded.repaired,
            examples.join(", ")
        ));
    }
    if !understood.is_empty() {
        messages.push(format!("legend recognised: {}", understood.join(", ")));
    }
    messages.push(format!(
        "{} items, {} with a declared status from their marker",
        tally.items, tally.with_status
    ));
    if tally.critical > 0 {
        messages.push(format!("{} items marked critical", tally.critical));
    }
    if tally.code_blocks > 0 {
        messages.push(format!(
            "{} code blocks kept as item notes",
            tally.code_blocks
        ));
    }
    if !tally.reference.is_empty() {
        messages.push(format!(
            "{} headings hold no checklist items ({}): imported as deferred (⚪) reference items",
            tally.reference.len(),
            list(&tally.reference)
        ));
    }
    if !tally.unmarked.is_empty() {
        messages.push(format!(
            "{} items had no status marker ({}): imported as not_started",
            tally.unmarked.len(),
            list(&tally.unmarked)
        ));
    }
    let guessed = [
        (
            &tally.trailing,
            "statuses read from a glyph at the end of the line",
        ),
        (
            &tally.over_checkbox,
            "checkboxes overridden by a more specific marker in the text",
        ),
        (
            &tally.struck,
            "items struck through: deferred unless ticked",
        ),
        (&tally.tagged, "tags read as critical, optional or deferred"),
        (
            &outline.quoted_tasks,
            "tasks inside block quotes imported as items",
        ),
    ];
    for (names, what) in guessed {
        if !names.is_empty() {
            messages.push(format!("{what} ({}): {}", names.len(), list(names)));
        }
    }
    if !tally.unknown_markers.is_empty() {
        messages.push(format!(
            "unknown status markers, imported without a status: {}",
            list(&tally.unknown_markers)
        ));
    }
    if tally.renamed > 0 {
        let (ids, were) = if tally.renamed == 1 {
            ("id", "was")
        } else {
            ("ids", "were")
        };
        messages.push(format!(
            "{} {ids} {were} made unique with their parent's id or a number",
            tally.renamed
        ));
    }
    for skipped in &meta.skipped {
        messages.push(format!("footer: {skipped}; left out"));
    }
    if outline.empty_items > 0 {
        let (n, items) = match outline.empty_items {
            1 => ("1".to_owned(), "list item"),
            n => (n.to_string(), "list items"),
        };
        messages.push(format!(
            "{n} {items} without any text (e.g. a bare `- [x]`) left out"
        ));
    }
    let evidence: usize = outline
        .sections
        .iter()
        .flat_map(Node::walk)
        .map(|n| n.evidence)
        .sum();
    if evidence + outline.board_lines > 0 {
        messages.push(format!(
            "dropped {} lines a Candlefish board wrote (evidence, verdict)",
            evidence + outline.board_lines
        ));
    }
    let body = serde_saphyr::to_string(&checklist)
        .map_err(|e| format!("could not write the checklist YAML: {e}"))?;
    let header = format!(
        "# Imported from {source} by `candlefish import` ({}).\n\
         # Statuses are as declared in the Markdown; add probes to verify them.\n",
        env!("CARGO_PKG_VERSION")
    );
    Ok(Imported {
        yaml: format!("{header}{body}"),
        messages,
        items: tally.items,
    })
}

fn list(names: &[String]) -> String {
    let shown: Vec<&str> = names.iter().take(4).map(String::as_str).collect();
    if names.len() > shown.len() {
        format!("{}, …", shown.join(", "))
    } else {
        shown.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::{LoadOptions, Source, load_source};

    #[test]
    fn imported_yaml_loads_and_validates() {
        let md = "# Launch: the plan\n\n## Infra\n- [ðŸŸ¡] Terraform: \"core\" #1\n  - [x] VPC\n  - [ ] RDS\n```bash\nterraform init\n```\n\n## Critical Path Items\n1. [ðŸ”´] **Auth deployed**\n\n---\n\n**Last Updated**: 2025-08-10\n**Owner**: platform\n";
        let imported = import(md.as_bytes(), "launch.md").expect("imports");
        assert!(
            imported.messages[0].starts_with("repaired 2 double-encoded"),
            "{:?}",
            imported.messages
        );
        let loaded = load_source(
            Source {
                name: "launch.yaml".into(),
                text: imported.yaml.clone(),
            },
            &LoadOptions::default(),
        )
        .unwrap_or_else(|e| panic!("{}\n{}", e.render(false), imported.yaml));
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        let plan = loaded.plan;
        assert_eq!(plan.info.name, "Launch: the plan");
        assert_eq!(plan.info.owner.as_deref(), Some("platform"));
        assert_eq!(plan.info.last_reviewed.as_deref(), Some("2025-08-10"));
        let items = plan.walk();
        let terraform = items
            .iter()
            .find(|i| i.title == "Terraform: \"core\" #1")
            .expect("item");
        assert_eq!(
            terraform.declared.map(crate::engine::plan::Declared::word),
            Some("in_progress")
        );
        let rds = items.iter().find(|i| i.title == "RDS").expect("rds");
        assert_eq!(rds.notes.as_deref(), Some("```bash\nterraform init\n```"));
        let auth = items
            .iter()
            .find(|i| i.title == "Auth deployed")
            .expect("auth");
        assert!(auth.critical);
    }

    #[test]
    fn hostile_nesting_still_gives_a_loadable_checklist() {
        let mut md = String::from("# Deep\n## A\n### B\n#### C\n##### D\n###### E\n");
        md.push_str(&"- [ ] ".repeat(10_000));
        md.push_str("bottom\n");
        let imported = import(md.as_bytes(), "deep.md").expect("imports");
        let loaded = load_source(
            Source {
                name: "deep.yaml".into(),
                text: imported.yaml,
            },
            &LoadOptions::default(),
        );
        assert!(
            loaded.is_ok(),
            "the YAML stays within the loader's nesting budget"
        );
    }

    #[test]
    fn a_document_without_items_is_an_error() {
        let err = import(b"# Just a title\n\nSome prose.\n", "x.md").unwrap_err();
        assert!(err.contains("no checklist items"), "{err}");
    }
}
