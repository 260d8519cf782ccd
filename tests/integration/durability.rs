//! The sign-off store under crashes and concurrency, through the real binary:
//! `sign` exits 0 only once its record is on disk, so every acknowledged
//! sign-off must be there afterwards, whatever else happened.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::support::Workspace;

const PEOPLE: u32 = 12;

fn checklist() -> String {
    format!(
        "version: 1\nname: Durability\nsections:\n  - id: go-no-go\n    title: Go/no-go\n    manual: {{ signoffs: {PEOPLE} }}\n"
    )
}

fn spawn_sign(ws: &Workspace, by: &str, evidence: &str) -> Child {
    // A long note widens the window in which a kill lands mid-write.
    let note = "n".repeat(16 << 10);
    let mut run = ws.command(
        &[
            "sign",
            "go-no-go",
            "--by",
            by,
            "--evidence",
            evidence,
            "--note",
            &note,
        ],
        None,
    );
    run.command()
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn candlefish sign")
}

/// Evidence of every record the store holds, and its unreadable lines.
fn recorded(ws: &Workspace) -> (Vec<String>, Vec<String>) {
    let history = ws.run(&["history", "--format", "json"], None);
    history.code(0);
    let json = history.json();
    let evidence = json["records"]
        .as_array()
        .expect("records")
        .iter()
        .map(|r| r["evidence"].as_str().unwrap_or_default().to_owned())
        .collect();
    let problems = json["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(ToString::to_string)
        .collect();
    (evidence, problems)
}

#[test]
fn concurrent_signers_are_all_recorded() {
    let ws = Workspace::new(&checklist());
    let children: Vec<Child> = (0..PEOPLE)
        .map(|i| spawn_sign(&ws, &format!("person-{i}"), &format!("ticket-{i}")))
        .collect();
    for mut child in children {
        let status = child.wait().expect("wait");
        assert!(status.success(), "a concurrent sign failed: {status}");
    }
    let store = ws.store();
    assert_eq!(
        store.lines().count(),
        PEOPLE as usize,
        "one line per sign-off"
    );
    for line in store.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every line is a whole record");
    }
    let (evidence, problems) = recorded(&ws);
    assert!(problems.is_empty(), "{problems:?}");
    for i in 0..PEOPLE {
        assert!(
            evidence.contains(&format!("ticket-{i}")),
            "ticket-{i} is missing"
        );
    }
    // Twelve distinct people: the go/no-go is green; the writers' lock kept
    // the hash chain whole.
    let report = ws.run(&["check", "--format", "json"], None);
    report.code(0);
    assert!(!report.stderr.contains("chain"), "{}", report.stderr);
    assert_eq!(report.json()["status"], "green");
}

#[test]
fn a_writer_killed_mid_write_never_loses_an_acknowledged_signoff() {
    let ws = Workspace::new(&checklist());
    // How long one sign takes on this machine (the quickest of a few), to
    // spread the kills over its whole life.
    let mut acknowledged = Vec::new();
    let mut lifetime = Duration::MAX;
    for i in 0..3 {
        let evidence = format!("warm-up-{i}");
        let started = Instant::now();
        let status = spawn_sign(&ws, &evidence, &evidence).wait().expect("wait");
        assert!(status.success());
        lifetime = lifetime.min(started.elapsed());
        acknowledged.push(evidence);
    }
    let rounds: u32 = 40;
    for round in 0..rounds {
        let evidence = format!("kill-{round}");
        let mut child = spawn_sign(&ws, &format!("writer-{round}"), &evidence);
        std::thread::sleep(lifetime * round / rounds);
        let _ = child.kill(); // SIGKILL; it may have finished already.
        let status = child.wait().expect("wait");
        if status.success() {
            acknowledged.push(evidence);
        }
    }
    let (evidence, problems) = recorded(&ws);
    for wanted in &acknowledged {
        assert!(
            evidence.contains(wanted),
            "acknowledged sign-off {wanted} is missing"
        );
    }
    // A killed writer may leave at most a torn line, reported, never a corrupt file.
    for problem in &problems {
        assert!(problem.contains("incomplete record"), "{problem}");
    }
    // The store still takes writes, and reads them back.
    let status = spawn_sign(&ws, "after", "after-the-crashes")
        .wait()
        .expect("wait");
    assert!(status.success());
    let (evidence, _) = recorded(&ws);
    assert!(evidence.contains(&"after-the-crashes".to_owned()));
    eprintln!(
        "{} of {rounds} killed writers had been acknowledged; {} torn lines; one sign takes {:?}",
        acknowledged.len() - 3,
        problems.len(),
        lifetime
    );
}
