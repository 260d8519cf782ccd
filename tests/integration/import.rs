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
fn listed(file: &Path) -> Vec<(String, String, String, bool)> {
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
        // `(optional)` is a tag the importer takes off the title.
        let title = title
            .strip_suffix(" (optional)")
            .unwrap_or(&title)
            .to_owned();
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
    let yaml = std::fs::read_to_string(dir.path().join("seed.yaml")).expect("written");
    assert!(
        yaml.contains("title: Canary deployments\n")
            && stderr.contains("Canary deployments (optional)"),
        "`- [ ] Canary deployments (optional)` is an optional item, and said so:\n{stderr}"
    );
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
    // Lists with entries come back; empty ones are left out of the report
    // (no empty `- ` bullets).
    let headings = |o: &Outline| {
        o.notes
            .iter()
            .filter(|(_, e)| !e.is_empty())
            .map(|(h, e)| (h.clone(), e.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(headings(&back), headings(&seed));
    // The footer's values come back; placeholders (`[Date]`) are not written.
    let footer = |o: &Outline| {
        o.footer
            .iter()
            .filter(|(_, v)| !v.starts_with('['))
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        footer(&back),
        footer(&seed),
        "Last Updated, Next Review, Owner"
    );

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
    let optional = |file: &str| -> Vec<String> {
        list_items(&dir.path().join(file))
            .into_iter()
            .filter(|i| i.optional)
            .map(|i| i.title)
            .collect()
    };
    assert!(optional("seed.yaml").contains(&"Canary deployments".to_owned()));
    assert_eq!(
        optional("again.yaml"),
        optional("seed.yaml"),
        "and optional ones"
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

/// An imported item as `candlefish list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Listed {
    title: String,
    declared: String,
    critical: bool,
    optional: bool,
    children: usize,
}

/// Imports `markdown`; returns stderr and every item, by title.
fn import_text(markdown: &str) -> (String, Vec<Listed>) {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("team.md"), markdown).expect("write");
    let ran = Run::new(&["import", "team.md", "-o", "team.yaml"])
        .in_dir(dir.path())
        .run();
    ran.code(0);
    Run::new(&["validate", "team.yaml"])
        .in_dir(dir.path())
        .run()
        .code(0);
    (ran.stderr, list_items(&dir.path().join("team.yaml")))
}

/// Every item of a checklist file as `candlefish list` shows it.
fn list_items(file: &Path) -> Vec<Listed> {
    let list = Run::new(&["list", file.to_str().expect("utf-8"), "--format", "json"]).run();
    list.code(0);
    fn walk(items: &serde_json::Value, out: &mut Vec<Listed>) {
        for item in items.as_array().into_iter().flatten() {
            out.push(Listed {
                title: item["title"].as_str().unwrap_or_default().to_owned(),
                declared: item["declared"].as_str().unwrap_or("-").to_owned(),
                critical: item["critical"].as_bool().unwrap_or_default(),
                optional: item["optional"].as_bool().unwrap_or_default(),
                children: item["items"].as_array().map_or(0, Vec::len),
            });
            walk(&item["items"], out);
        }
    }
    let mut out = Vec::new();
    walk(&list.json(), &mut out);
    out
}

fn item<'a>(items: &'a [Listed], title: &str) -> &'a Listed {
    items
        .iter()
        .find(|i| i.title == title)
        .unwrap_or_else(|| panic!("{title:?} in {items:#?}"))
}

#[test]
fn a_status_glyph_at_the_end_of_the_line_is_the_status() {
    let (stderr, items) = import_text(
        "# Ops\n\n## Data\n\n- Backups restored — ⏳\n- Replica promoted ✅\n- Launch 🚀\n",
    );
    assert_eq!(item(&items, "Backups restored").declared, "in_progress");
    assert_eq!(item(&items, "Replica promoted").declared, "done");
    assert_eq!(item(&items, "Launch 🚀").declared, "not_started");
    assert!(
        stderr.contains(
            "import: statuses read from a glyph at the end of the line (2): Backups restored ⏳, Replica promoted ✅"
        ),
        "{stderr}"
    );
}

#[test]
fn a_heavy_minus_is_not_applicable() {
    let (_, items) =
        import_text("# Ops\n\n## Mail\n\n- [➖] Fax gateway\n- ➖ Pager relay\n- [ ] SPF\n");
    for title in ["Fax gateway", "Pager relay"] {
        let fax = item(&items, title);
        assert_eq!(
            (fax.declared.as_str(), fax.optional),
            ("deferred", true),
            "{title}"
        );
    }
    assert_eq!(item(&items, "SPF").declared, "not_started");
}

#[test]
fn a_struck_item_is_deferred_unless_ticked() {
    let (stderr, items) = import_text(
        "# Ops\n\n## Cache\n\n- [ ] ~~Warm the old cache~~ (deferred)\n- ~~Memcached tuning~~\n\
         - [x] ~~Drop Redis 6~~\n- [ ] Use ~~Redis~~ Valkey\n",
    );
    assert_eq!(item(&items, "Warm the old cache").declared, "deferred");
    assert_eq!(item(&items, "Memcached tuning").declared, "deferred");
    assert_eq!(item(&items, "Drop Redis 6").declared, "done");
    assert_eq!(item(&items, "Use ~~Redis~~ Valkey").declared, "not_started");
    assert!(
        stderr.contains("import: items struck through: deferred unless ticked (3): ~~Warm the old cache~~, ~~Memcached tuning~~, ~~Drop Redis 6~~"),
        "{stderr}"
    );
    assert!(
        stderr.contains("[ ] Warm the old cache → deferred"),
        "{stderr}"
    );
}

#[test]
fn priority_and_blocker_tags_make_items_critical() {
    let (stderr, items) = import_text(
        "# Ops\n\n## Auth\n\n- [ ] [P0] Rotate signing keys\n- [ ] SSO for admins (launch blocker)\n\
         - [ ] [P1] Audit log export\n- [x] Session timeout [Blocker]\n",
    );
    assert!(item(&items, "Rotate signing keys").critical);
    assert!(item(&items, "SSO for admins").critical);
    assert!(item(&items, "Session timeout").critical);
    let p1 = item(&items, "[P1] Audit log export");
    assert!(!p1.critical, "only P0 is critical: {p1:?}");
    assert_eq!(p1.declared, "not_started", "`[P1]` is not a status marker");
    assert!(
        stderr.contains("import: 3 items marked critical"),
        "{stderr}"
    );
    assert!(
        stderr.contains("tags read as critical, optional or deferred (3): Rotate signing keys [P0], SSO for admins (launch blocker), Session timeout [Blocker]"),
        "{stderr}"
    );
}

#[test]
fn optional_and_nice_to_have_make_items_optional() {
    let (stderr, items) = import_text(
        "# Ops\n\n## UI\n\n- [ ] Dark mode (nice to have)\n- [x] Keyboard shortcuts (optional)\n- [ ] Login page\n",
    );
    let dark = item(&items, "Dark mode");
    assert_eq!(
        (dark.declared.as_str(), dark.optional),
        ("not_started", true)
    );
    let keys = item(&items, "Keyboard shortcuts");
    assert_eq!((keys.declared.as_str(), keys.optional), ("done", true));
    assert!(!item(&items, "Login page").optional);
    assert!(stderr.contains("Dark mode (nice to have)"), "{stderr}");
}

#[test]
fn a_glyph_after_a_checkbox_says_more_than_the_box() {
    let (stderr, items) = import_text(
        "# Ops\n\n## Deploy\n\n- [ ] 🟡 Blue/green switch\n- [ ] ⛔ DNS cutover\n- [x] ✅ Canary\n- [ ] Rollback plan\n",
    );
    assert_eq!(item(&items, "Blue/green switch").declared, "in_progress");
    assert_eq!(item(&items, "DNS cutover").declared, "blocked");
    assert_eq!(item(&items, "Canary").declared, "done");
    assert_eq!(item(&items, "Rollback plan").declared, "not_started");
    assert!(
        stderr.contains("import: checkboxes overridden by a more specific marker in the text (2): [ ] Blue/green switch → in_progress, [ ] DNS cutover → blocked"),
        "{stderr}"
    );
}

#[test]
fn open_tasks_in_a_blockquote_are_items() {
    let (stderr, items) = import_text(
        "# Ops\n\n## Legal\n\n> **Before launch:**\n>\n> - [ ] Confirm the DPA with legal\n> - [x] Cookie banner reviewed\n\n\
         - [ ] Privacy policy live\n  > - [ ] Translated to German\n\n> A plain remark, not a task.\n",
    );
    assert_eq!(
        item(&items, "Confirm the DPA with legal").declared,
        "not_started"
    );
    assert_eq!(item(&items, "Cookie banner reviewed").declared, "done");
    assert_eq!(item(&items, "Privacy policy live").children, 1);
    assert_eq!(item(&items, "Translated to German").declared, "not_started");
    assert_eq!(item(&items, "Legal").children, 3);
    assert!(
        stderr.contains("import: tasks inside block quotes imported as items (3): Confirm the DPA with legal, Cookie banner reviewed, Translated to German"),
        "{stderr}"
    );
}

#[test]
fn notes_holding_task_lines_read_back_as_notes() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("c.yaml"),
        "version: 1\nname: Notes\nsections:\n  - id: s\n    title: S\n    items:\n      - id: cutover\n        title: Cutover\n        status: in_progress\n        notes: |-\n          Steps:\n          - [ ] drain\n          - [ ] switch\n",
    )
    .expect("write");
    Run::new(&["check", "c.yaml", "-q", "--report", "md=c.md"])
        .in_dir(dir.path())
        .run();
    let md = std::fs::read_to_string(dir.path().join("c.md")).expect("report written");
    assert!(md.contains("<!-- candlefish: notes -->"), "{md}");
    let (_, items) = import_text(&md);
    let cutover = item(&items, "Cutover");
    assert_eq!(cutover.children, 0, "the task lines stay notes: {items:#?}");
    let ran = Run::new(&["import", "c.md"]).in_dir(dir.path()).run();
    assert!(
        ran.stdout.contains("Steps:\n")
            && ran.stdout.contains("- [ ] switch")
            && !ran.stdout.contains("candlefish: notes"),
        "{}",
        ran.stdout
    );
}
