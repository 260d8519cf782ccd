//! A checklist split across files with `include:`: the parts run, share the
//! checklist's variables, depend on each other's items and take sign-offs.
//! (The errors of includes are fixtures in `tests/fixtures/invalid/include-*`.)

use crate::support::{Server, Workspace, statuses};

fn write(ws: &Workspace, name: &str, text: &str) {
    let path = ws.path(name);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("create dir");
    std::fs::write(path, text).expect("write part");
}

/// The checklist in `candlefish.yaml`, parts in `parts/` (a glob, read in name
/// order) and one part included by a part from the directory above.
fn split_checklist(server: &Server) -> Workspace {
    let ws = Workspace::new(&format!(
        r#"
version: 1
name: Split checklist
vars:
  base: "{base}"
include:
  - parts/*.yaml
  # Matches this file and one a part includes: each is read once.
  - "*.yaml"
sections:
  - id: core
    title: Core
    items:
      - id: api-health
        title: API health answers
        critical: true
        probe:
          http: {{ url: "${{base}}/status/200" }}
"#,
        base = server.url("")
    ));
    write(
        &ws,
        "parts/20-data.yaml",
        r"
sections:
  - id: data
    title: Data
    items:
      - id: backups
        title: Backups run
        depends_on: [web-health]
        probe:
          http: { url: '${base}/status/503', expect: { status: 200 } }
include:
  - ../people.yaml
",
    );
    write(
        &ws,
        "parts/10-web.yaml",
        r#"
sections:
  - id: web
    title: Web
    items:
      - id: web-health
        title: Web health answers
        depends_on: [api-health]
        probe:
          http: { url: "${base}/json" }
      - id: runbook-written
        title: The runbook is written
        probe:
          file: { path: RUNBOOK.md, expect: { contains: ["Rollback"] } }
"#,
    );
    write(
        &ws,
        "people.yaml",
        r"
sections:
  - id: people
    title: People
    items:
      - id: team-training
        title: Team training completed
        manual: true
",
    );
    write(&ws, "RUNBOOK.md", "# Runbook\n\n## Rollback\n\nRedeploy.\n");
    ws
}

#[test]
fn included_parts_run_in_order_with_the_checklists_variables() {
    let server = Server::start();
    let ws = split_checklist(&server);
    let ran = ws.run(&["check", "--format", "json"], None);
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(s["api-health"], "green");
    assert_eq!(
        s["web-health"], "green",
        "a part's item depends on the checklist's"
    );
    assert_eq!(
        s["runbook-written"], "green",
        "a part's relative paths resolve against the checklist's directory"
    );
    assert_eq!(s["backups"], "red");
    assert_eq!(s["team-training"], "red", "unsigned");
    let sections: Vec<&str> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["id"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        sections,
        ["core", "web", "data", "people"],
        "the checklist's own sections, then each part's, depth first, globs in name order"
    );
    assert_eq!(server.hits("/status/503"), 1);

    let listed = ws.run(&["list"], None);
    listed.code(0);
    assert!(
        listed
            .stdout
            .contains("candlefish.yaml and 3 included files: 5 items in 4 groups"),
        "{}",
        listed.stdout
    );
}

#[test]
fn items_of_included_files_are_signed_off_and_selected_like_any_other() {
    let server = Server::start();
    let ws = split_checklist(&server);
    ws.run(
        &[
            "sign",
            "team-training",
            "--by",
            "Ada",
            "--evidence",
            "LMS export",
        ],
        None,
    )
    .code(0);
    let ran = ws.run(
        &["check", "--format", "json", "--only", "team-training"],
        None,
    );
    ran.code(0);
    assert_eq!(statuses(&ran.json())["team-training"], "green");
}

#[test]
fn an_error_in_a_part_names_that_file_and_nothing_runs() {
    let server = Server::start();
    let ws = split_checklist(&server);
    write(
        &ws,
        "parts/10-web.yaml",
        "sections:\n  - id: web\n    title: Web\n    status: done\n    depends_on: [api-helth]\n",
    );
    let ran = ws.run(&["check"], None);
    ran.code(2);
    assert!(
        ran.stderr.contains("--> parts/10-web.yaml:5:18"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("did you mean `api-health`?"),
        "{}",
        ran.stderr
    );
    assert_eq!(server.hits("/status/200"), 0, "nothing runs");
}
