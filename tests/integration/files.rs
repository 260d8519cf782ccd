//! The `file` probe through the real binary: paths are relative to the
//! checklist's directory wherever Candlefish runs from.

use std::time::{Duration, SystemTime};

use crate::support::{Run, Workspace, item, statuses};

#[test]
fn file_probes_pass_and_fail_with_evidence() {
    let ws = Workspace::new(
        r###"
version: 1
name: Documents
sections:
  - id: docs
    title: Documents
    items:
      - id: rollback
        title: Rollback procedures documented
        probe:
          file: { path: docs/rollback.md, expect: { non_empty: true, matches: '(?m)^## Database rollback', not_contains: TODO } }
      - id: runbooks
        title: Runbooks kept up to date
        probe:
          file: { path: "docs/runbooks/*.md", expect: { min_files: 2, contains: "## Escalation", modified_within: 90d } }
      - id: dr-plan
        title: Disaster recovery plan
        probe:
          file: { path: docs/disaster-recovery.md, expect: { non_empty: true } }
      - id: no-keys
        title: No private keys committed
        probe:
          file: { path: "**/*.pem", expect: { exists: false } }
"###,
    );
    let docs = ws.path("docs/runbooks");
    std::fs::create_dir_all(&docs).expect("mkdir");
    std::fs::write(
        ws.path("docs/rollback.md"),
        "# Rollback\n## Database rollback\nrestore the snapshot\n",
    )
    .expect("write");
    std::fs::write(
        docs.join("api.md"),
        "# API\n## Escalation\npage the on-call\n",
    )
    .expect("write");
    std::fs::write(docs.join("db.md"), "# DB\n## Escalation\npage the DBA\n").expect("write");
    let old = std::fs::File::options()
        .write(true)
        .open(docs.join("db.md"))
        .expect("open");
    old.set_modified(SystemTime::now() - Duration::from_secs(120 * 86_400))
        .expect("age the file");

    let file = ws.path("candlefish.yaml");
    let ran = Run::new(&["check", file.to_str().expect("utf-8"), "--format", "json"]).run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let evidence = |id: &str| {
        item(&report, id)["probes"][0]["evidence"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(s["rollback"], "green", "{}", evidence("rollback"));
    assert_eq!(
        evidence("rollback"),
        "docs/rollback.md: 53 bytes, modified just now"
    );
    assert_eq!(s["runbooks"], "red");
    assert_eq!(
        evidence("runbooks"),
        "expected every file modified within 90d, got docs/runbooks/db.md modified 120 days ago"
    );
    assert_eq!(s["dr-plan"], "red");
    assert_eq!(
        evidence("dr-plan"),
        "expected docs/disaster-recovery.md to exist, got nothing there"
    );
    assert_eq!(s["no-keys"], "green", "{}", evidence("no-keys"));

    // Fixing the files turns the items green.
    std::fs::write(ws.path("docs/disaster-recovery.md"), "RTO 4h, RPO 15m\n").expect("write");
    std::fs::write(docs.join("db.md"), "# DB\n## Escalation\npage the DBA\n").expect("write");
    let ran = Run::new(&["check", file.to_str().expect("utf-8"), "--format", "json"]).run();
    ran.code(0);
    std::fs::write(ws.path("deploy.pem"), "-----BEGIN PRIVATE KEY-----\n").expect("write");
    let ran = Run::new(&["check", file.to_str().expect("utf-8"), "--format", "json"]).run();
    ran.code(1);
    assert_eq!(
        item(&ran.json(), "no-keys")["probes"][0]["evidence"],
        "expected nothing at **/*.pem, got deploy.pem"
    );
}
