//! `candlefish import` on the seed checklist (shared/seed/, beside the clone):
//! every item and status imported, the mojibake repaired and said so, and the
//! round trip — import, check, export Markdown — loses nothing the seed said.

use std::path::Path;

use candlefish::import::{Legend, Node, Outline, read};

use crate::support::{Run, seed_path};

fn seed_bytes() -> Vec<u8> {
    std::fs::read(seed_path()).unwrap_or_else(|e| {
        panic!(
            "the seed is part of the repository's surroundings ({}): {e}",
            seed_path().display()
        )
    })
}

/// Imports the seed into `dir/seed.yaml`; returns stderr.
fn import_seed(dir: &Path) -> String {
    let ran = Run::new(&[
        "import",
        seed_path().to_str().expect("utf-8 path"),
        "-o",
        dir.join("seed.yaml").to_str().expect("utf-8 path"),
    ])
    .run();
    ran.code(0);
    assert!(ran.stdout.is_empty(), "-o writes the file, not stdout");
    ran.stderr
}

/// (title, declared word) of every item `candlefish list` shows.
pub(crate) fn listed(file: &Path) -> Vec<(String, String, String, bool)> {
    let ran = Run::new(&["list", file.to_str().expect("utf-8"), "--format", "json"]).run();
    ran.code(0);
    fn walk(items: &serde_json::Value, out: &mut Vec<(String, String, String, bool)>) {
        for item in items.as_array().into_iter().flatten() {
            out.push((
                item["id"].as_str().unwrap_or_default().to_owned(),
                item["title"].as_str().unwrap_or_default().to_owned(),
                item["declared"].as_str().unwrap_or("-").to_owned(),
                item["critical"].as_bool().unwrap_or_default(),
            ));
            walk(&item["items"], out);
        }
    }
    let mut out = Vec::new();
    walk(&ran.json(), &mut out);
    out
}

/// Status lines of the seed read line by line (independent of the importer's
/// parser): `- [M] text`, `N. **text** [M]`, `N. [M] **text**`, `#### text [M]`.
fn seed_lines() -> Vec<(String, String)> {
    let text = candlefish::import::encoding::decode(&seed_bytes()).text;
    let word = |marker: &str| match marker.trim() {
        "" | "🔴" => "not_started",
        "🟢" | "x" => "done",
        "🟡" => "in_progress",
        "⚪" => "deferred",
        other => panic!("unexpected marker {other:?}"),
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let digits = t.chars().take_while(char::is_ascii_digit).count();
        let body = if let Some(rest) = t.strip_prefix("- [") {
            format!("[{rest}")
        } else if digits > 0 && t[digits..].starts_with(". ") {
            t[digits + 2..].to_owned()
        } else if t.starts_with('#') && t.ends_with(']') {
            t.trim_start_matches('#').trim().to_owned()
        } else {
            continue;
        };
        let body = body.replace("**", "");
        let (marker, title) = if let Some(rest) = body.strip_prefix('[') {
            let (m, title) = rest.split_once(']').expect("closing bracket");
            (m.to_owned(), title.trim().to_owned())
        } else {
            let open = body.rfind(" [").expect("trailing marker");
            (
                body[open + 2..body.len() - 1].to_owned(),
                body[..open].trim().to_owned(),
            )
        };
        out.push((title, word(&marker).to_owned()));
    }
    out
}

#[test]
fn the_seed_imports_with_every_item_and_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let stderr = import_seed(dir.path());
    assert!(
        stderr.contains("import: repaired 44 double-encoded characters (UTF-8 that had been read as Windows-1252), e.g. ðŸŸ¢ → 🟢"),
        "the repair is announced:\n{stderr}"
    );
    assert!(
        stderr.contains("legend recognised: 🟢 done, 🟡 in_progress, 🔴 not_started, ⚪ deferred")
    );
    assert!(stderr.contains("10 items marked critical"), "{stderr}");
    let yaml = std::fs::read_to_string(dir.path().join("seed.yaml")).expect("written");
    assert!(
        !yaml.contains('ð') && !yaml.contains("â"),
        "no mojibake left"
    );

    let validated = Run::new(&["validate", "seed.yaml"])
        .in_dir(dir.path())
        .run();
    validated.code(0);
    assert!(
        validated.stderr.is_empty(),
        "no warnings:\n{}",
        validated.stderr
    );

    let mut items = listed(&dir.path().join("seed.yaml"));
    let ids: std::collections::HashSet<&str> = items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(ids.len(), items.len(), "ids are unique");
    let seed = seed_lines();
    assert_eq!(seed.len(), 193, "the seed's status lines");
    let mut missing = Vec::new();
    for (title, declared) in &seed {
        match items.iter().position(|i| &i.1 == title && &i.2 == declared) {
            Some(at) => {
                items.remove(at);
            }
            None => missing.push(format!("{title} ({declared})")),
        }
    }
    assert!(missing.is_empty(), "not imported:\n{}", missing.join("\n"));
    let critical = listed(&dir.path().join("seed.yaml"))
        .iter()
        .filter(|i| i.3)
        .count();
    assert_eq!(critical, 10, "the critical path list");
}

#[test]
fn import_is_stable_and_writes_to_stdout() {
    let path = seed_path();
    let first = Run::new(&["import", path.to_str().expect("utf-8")]).run();
    first.code(0);
    let second = Run::new(&["import", path.to_str().expect("utf-8")]).run();
    assert_eq!(
        first.stdout, second.stdout,
        "the same input gives the same ids"
    );
    assert!(
        first
            .stdout
            .starts_with("# Imported from production-deployment-checklist.md")
    );
}

/// Every (title, status) of an outline that carries a marker, in order.
fn marked(outline: &Outline, legend: &Legend) -> Vec<(String, &'static str, bool)> {
    outline
        .sections
        .iter()
        .flat_map(Node::walk)
        .filter_map(|n| {
            let word = legend.status(n.status_marker()?)?;
            let class = match word {
                "done" => "green",
                "in_progress" => "yellow",
                "deferred" => "white",
                _ => "red",
            };
            Some((n.title.clone(), class, n.critical))
        })
        .collect()
}

fn code_blocks(outline: &Outline) -> Vec<String> {
    let mut out: Vec<String> = outline
        .sections
        .iter()
        .flat_map(Node::walk)
        .flat_map(|n| n.notes.iter())
        .filter(|n| n.starts_with("```"))
        .cloned()
        .collect();
    out.sort();
    out
}

#[test]
fn the_round_trip_loses_nothing_the_seed_said() {
    let dir = tempfile::tempdir().expect("temp dir");
    import_seed(dir.path());
    // Statuses are declared: checking needs no network.
    let ran = Run::new(&["check", "seed.yaml", "-q", "--report", "md=STATUS.md"])
        .in_dir(dir.path())
        .run();
    ran.code(1);
    let exported = std::fs::read(dir.path().join("STATUS.md")).expect("exported");

    let (seed, seed_legend, _) = read(&seed_bytes());
    let (back, back_legend, decoded) = read(&exported);
    assert_eq!(decoded.repaired, 0, "the export is clean UTF-8");

    // Every item the seed gave a status keeps its text and status, in order.
    let before = marked(&seed, &seed_legend);
    let after = marked(&back, &back_legend);
    let mut at = 0;
    let mut lost = Vec::new();
    for (title, status, _) in &before {
        match after[at..].iter().position(|(t, _, _)| t == title) {
            Some(offset) => {
                at += offset;
                if after[at].1 != *status {
                    lost.push(format!("{title}: {status} became {}", after[at].1));
                }
                at += 1;
            }
            None => lost.push(format!("{title}: missing or out of order")),
        }
    }
    assert!(lost.is_empty(), "{}", lost.join("\n"));
    assert_eq!(before.len(), 193);

    // The critical path is still critical, its note still there.
    let critical: Vec<&String> = after.iter().filter(|a| a.2).map(|a| &a.0).collect();
    assert_eq!(critical.len(), 10, "{critical:?}");
    let markdown = String::from_utf8(exported.clone()).expect("utf-8");
    assert!(markdown.contains("These MUST be completed before launch:"));

    // Code blocks, verbatim.
    assert_eq!(code_blocks(&back), code_blocks(&seed));
    assert_eq!(code_blocks(&seed).len(), 6);

    // Metadata: title, legend, notes section, footer.
    assert_eq!(back.title, seed.title);
    assert_eq!(back.legend, seed.legend);
    let headings = |o: &Outline| {
        o.notes
            .iter()
            .map(|(h, e)| (h.clone(), e.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(headings(&back), headings(&seed));
    assert_eq!(back.footer, seed.footer, "Last Updated, Next Review, Owner");

    // And the exported board imports back to the same checklist.
    std::fs::write(dir.path().join("STATUS.md"), &exported).expect("write");
    let again = Run::new(&["import", "STATUS.md", "-o", "again.yaml"])
        .in_dir(dir.path())
        .run();
    again.code(0);
    assert_eq!(
        listed(&dir.path().join("again.yaml")),
        listed(&dir.path().join("seed.yaml")),
        "ids, titles, declared statuses and critical flags survive a second import"
    );
}

#[test]
fn unreadable_or_empty_files_are_usage_errors() {
    let missing = Run::new(&["import", "no-such-file.md"]).run();
    missing.code(2);
    assert!(
        missing.stderr.contains("cannot read no-such-file.md"),
        "{}",
        missing.stderr
    );
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("prose.md"), "# Notes\n\nJust prose.\n").expect("write");
    let empty = Run::new(&["import", "prose.md"]).in_dir(dir.path()).run();
    empty.code(2);
    assert!(
        empty.stderr.contains("no checklist items found"),
        "{}",
        empty.stderr
    );
}

#[test]
fn the_output_never_silently_replaces_a_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let markdown = "# Launch\n\n## API\n\n- [x] Health endpoint\n";
    std::fs::write(dir.path().join("launch.md"), markdown).expect("write");
    for target in ["./launch.md", "nd/../launch.md"] {
        let onto_source = Run::new(&["import", "launch.md", "-o", target, "--force"])
            .in_dir(dir.path())
            .run();
        onto_source.code(2);
        assert!(
            onto_source
                .stderr
                .contains("is the Markdown being imported"),
            "{}",
            onto_source.stderr
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("launch.md")).expect("md"),
        markdown
    );
    std::fs::write(dir.path().join("candlefish.yaml"), "# edited by hand\n").expect("write");
    let exists = Run::new(&["import", "launch.md", "-o", "candlefish.yaml"])
        .in_dir(dir.path())
        .run();
    exists.code(2);
    assert!(exists.stderr.contains("pass --force"), "{}", exists.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("candlefish.yaml")).expect("yaml"),
        "# edited by hand\n"
    );
    Run::new(&["import", "launch.md", "-o", "candlefish.yaml", "--force"])
        .in_dir(dir.path())
        .run()
        .code(0);
    Run::new(&["validate", "candlefish.yaml"])
        .in_dir(dir.path())
        .run()
        .code(0);
}

#[test]
fn leading_status_glyphs_are_markers_and_empty_items_are_reported() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("team.md"),
        "# Team launch\n\n## Legend\n\n- ✅ Done\n- 🚧 Being built\n\n## Work\n\n\
         - ✅ Billing wired\n- 🚧 Search tuned\n- 🟢 Docs written\n- 🚀 Launch party\n- [x]\n",
    )
    .expect("write");
    let ran = Run::new(&["import", "team.md", "-o", "team.yaml"])
        .in_dir(dir.path())
        .run();
    ran.code(0);
    assert!(
        ran.stderr
            .contains("1 list item without any text (e.g. a bare `- [x]`) left out"),
        "{}",
        ran.stderr
    );
    let items = listed(&dir.path().join("team.yaml"));
    let find = |title: &str| {
        items
            .iter()
            .find(|(_, t, ..)| t == title)
            .unwrap_or_else(|| panic!("{title} in {items:?}"))
            .clone()
    };
    assert_eq!(find("Billing wired").2, "done");
    assert_eq!(find("Search tuned").2, "in_progress");
    assert_eq!(find("Docs written").2, "done");
    // A glyph no legend knows stays in the title.
    assert_eq!(find("🚀 Launch party").2, "not_started");
}
