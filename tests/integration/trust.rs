//! The trust model through the real binary: sign-offs signed with SSH keys that
//! Debian's `ssh-keygen` generated (and checked with `ssh-keygen -Y verify`, and
//! made by `ssh-keygen -Y sign`), keys from ssh-agent and from git's signing
//! setup, the store's hash chain, signed runbook confirmations, and
//! `--no-exec`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::{Workspace, item, statuses};

const NOW: &str = "2026-11-20T10:00:00Z";
const LATER: &str = "2026-11-21T10:00:00Z";

/// `ssh-keygen`, or a failure with the install hint (never a skip).
fn ssh_keygen() -> Command {
    for tool in ["ssh-keygen", "ssh-agent", "ssh-add"] {
        assert!(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success()),
            "{tool} is missing: install Debian's openssh-client (apt-get install openssh-client, as scripts/test does)"
        );
    }
    Command::new("ssh-keygen")
}

fn run_ok(command: &mut Command) -> std::process::Output {
    let out = command.output().expect("run");
    assert!(
        out.status.success(),
        "{command:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A key pair made by `ssh-keygen` in `dir`: its private key's path.
fn keygen(dir: &Path, name: &str, kind: &[&str], passphrase: &str) -> PathBuf {
    let path = dir.join(name);
    run_ok(
        ssh_keygen()
            .args(["-q", "-N", passphrase, "-C", name, "-f"])
            .arg(&path)
            .args(kind),
    );
    path
}

fn ed25519(dir: &Path, name: &str) -> PathBuf {
    keygen(dir, name, &["-t", "ed25519"], "")
}

fn p256(dir: &Path, name: &str) -> PathBuf {
    keygen(dir, name, &["-t", "ecdsa", "-b", "256"], "")
}

fn public(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub"))
        .expect("public key")
        .trim()
        .to_owned()
}

/// `SHA256:…`, as `ssh-keygen -l` prints it.
fn fingerprint(key: &Path) -> String {
    let out = run_ok(ssh_keygen().arg("-lf").arg(key.with_extension("pub")));
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .expect("a fingerprint")
        .to_owned()
}

/// Ada (Ed25519, in `sre-leads`), Bob (ECDSA P-256, not), Mallory (not listed).
struct Team {
    ws: Workspace,
    ada: PathBuf,
    bob: PathBuf,
    mallory: PathBuf,
}

const CHECKLIST: &str = r"
version: 1
name: Launch
signoffs:
  allowed_signers: allowed_signers
  require_signed: true
sections:
  - id: people
    title: People
    items:
      - id: launch-go
        title: Go/no-go decision
        manual: { signers: [sre-leads] }
      - id: training
        title: Team training
        manual: { evidence_required: true }
      - id: two-person
        title: Two-person review
        manual: { signoffs: 2 }
";

fn team() -> Team {
    team_with(CHECKLIST)
}

fn team_with(checklist: &str) -> Team {
    let ws = Workspace::new(checklist);
    let keys = ws.path("keys");
    std::fs::create_dir(&keys).expect("keys dir");
    let (ada, bob, mallory) = (
        ed25519(&keys, "ada"),
        p256(&keys, "bob"),
        ed25519(&keys, "mallory"),
    );
    std::fs::write(
        ws.path("allowed_signers"),
        format!(
            "# who may sign\nada@example.com,sre-leads {}\nbob@example.com namespaces=\"candlefish\" {}\n",
            public(&ada),
            public(&bob)
        ),
    )
    .expect("allowed_signers");
    Team {
        ws,
        ada,
        bob,
        mallory,
    }
}

impl Team {
    fn sign(
        &self,
        item: &str,
        by: &str,
        key: Option<&Path>,
        extra: &[&str],
    ) -> crate::support::Ran {
        let mut args = vec!["sign", item, "--by", by];
        let key = key.map(|k| k.display().to_string());
        if let Some(key) = &key {
            args.extend(["--key", key.as_str()]);
        }
        args.extend_from_slice(extra);
        let ran = self.ws.run(&args, Some(NOW));
        ran.code(0);
        ran
    }

    fn report(&self) -> Value {
        self.ws
            .run(&["check", "--format", "json"], Some(LATER))
            .json()
    }

    fn history(&self) -> Value {
        let ran = self.ws.run(&["history", "--format", "json"], Some(LATER));
        ran.code(0);
        ran.json()
    }

    fn history_text(&self) -> String {
        let ran = self.ws.run(&["history"], Some(LATER));
        ran.code(0);
        ran.stdout
    }

    fn lines(&self) -> Vec<String> {
        self.ws.store().lines().map(str::to_owned).collect()
    }

    fn write_lines(&self, lines: &[String]) {
        std::fs::write(
            self.ws.path(".candlefish/state.jsonl"),
            lines.join("\n") + "\n",
        )
        .expect("write the store");
    }
}

/// `ssh-keygen -Y verify` of record `index` of `history --format json`, as `principal`.
fn ssh_keygen_verifies(team: &Team, index: usize, principal: &str) -> bool {
    let history = team.history();
    let signature = &history["records"][index]["signature"];
    let dir = team.ws.path("verify");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("payload"),
        signature["payload"].as_str().expect("payload"),
    )
    .expect("payload");
    std::fs::write(
        dir.join("payload.sig"),
        signature["armored"].as_str().expect("armored"),
    )
    .expect("sig");
    let out = ssh_keygen()
        .args(["-Y", "verify", "-n", "candlefish", "-I", principal, "-f"])
        .arg(team.ws.path("allowed_signers"))
        .arg("-s")
        .arg(dir.join("payload.sig"))
        .stdin(std::fs::File::open(dir.join("payload")).expect("payload"))
        .output()
        .expect("ssh-keygen");
    out.status.success()
}

fn reason(report: &Value, id: &str) -> String {
    item(report, id)["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn candlefish_signatures_verify_with_ssh_keygen_and_ssh_keygens_with_candlefish() {
    let team = team();
    let signed = team.sign("launch-go", "Ada", Some(&team.ada), &[]);
    assert!(
        signed
            .stdout
            .contains(&format!("signed with {} (--key)", fingerprint(&team.ada))),
        "{}",
        signed.stdout
    );
    team.sign(
        "training",
        "Bob",
        Some(&team.bob),
        &["--evidence", "https://wiki.example.com/training"],
    );
    let report = team.report();
    let s = statuses(&report);
    assert_eq!(s["launch-go"], "green", "{report}");
    assert_eq!(s["training"], "green", "{report}");
    let ada = &item(&report, "launch-go")["signoffs"][0];
    assert_eq!(ada["key"], fingerprint(&team.ada).as_str());
    assert_eq!(
        ada["principals"],
        serde_json::json!(["ada@example.com", "sre-leads"])
    );
    assert_eq!(
        item(&report, "training")["signoffs"][0]["key"],
        fingerprint(&team.bob).as_str()
    );

    // ssh-keygen accepts both (Ed25519 and ECDSA P-256) with the same file…
    assert!(ssh_keygen_verifies(&team, 0, "ada@example.com"));
    assert!(ssh_keygen_verifies(&team, 1, "bob@example.com"));
    // …and is not fooled either: the wrong principal, an edited payload.
    assert!(!ssh_keygen_verifies(&team, 0, "bob@example.com"));
    let mut lines = team.lines();
    lines[1] = lines[1].replace("wiki.example.com", "wiki.example.org");
    team.write_lines(&lines);
    assert!(!ssh_keygen_verifies(&team, 1, "bob@example.com"));

    // The other way: ssh-keygen -Y sign over the payload Candlefish shows.
    team.sign("two-person", "Bob", None, &[]);
    let history = team.history();
    let payload = history["records"][2]["signature"]["payload"]
        .as_str()
        .expect("payload")
        .to_owned();
    let dir = team.ws.path("manual");
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("payload"), &payload).expect("payload");
    run_ok(
        ssh_keygen()
            .args(["-Y", "sign", "-n", "candlefish", "-f"])
            .arg(&team.bob)
            .arg(dir.join("payload")),
    );
    let armored = std::fs::read_to_string(dir.join("payload.sig")).expect("sig");
    let mut lines = team.lines();
    let mut record: Value = serde_json::from_str(&lines[2]).expect("record");
    record["sig"] = Value::String(armored);
    lines[2] = record.to_string();
    team.write_lines(&lines);
    let report = team.report();
    let two = item(&report, "two-person");
    assert_eq!(
        two["signoffs"][0]["key"],
        fingerprint(&team.bob).as_str(),
        "{report}"
    );
    assert_eq!(
        two["reason"], "1 of 2 sign-offs: Bob on 2026-11-20",
        "{report}"
    );
}

#[test]
fn an_unsigned_signoff_does_not_count_where_signatures_are_required() {
    let team = team();
    let ran = team.sign("training", "Ada", None, &["--evidence", "slides"]);
    assert!(
        ran.stderr
            .contains("recorded, but it does not count: it is unsigned"),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.contains("unsigned (no --key"), "{}", ran.stdout);
    let report = team.report();
    assert_eq!(statuses(&report)["training"], "red");
    assert_eq!(
        reason(&report, "training"),
        "the sign-off by Ada (line 1) does not count: it is unsigned, and this checklist requires signed sign-offs (signoffs.require_signed)"
    );
    assert!(
        team.history_text()
            .contains("[DOES NOT COUNT: it is unsigned, and this checklist requires"),
        "{}",
        team.history_text()
    );
}

#[test]
fn a_key_the_allowed_signers_do_not_list_does_not_count() {
    let team = team();
    team.sign(
        "training",
        "Ada",
        Some(&team.mallory),
        &["--evidence", "slides"],
    );
    let report = team.report();
    assert_eq!(statuses(&report)["training"], "red");
    assert_eq!(
        reason(&report, "training"),
        format!(
            "the sign-off by Ada (line 1) does not count: it is signed by {}, a key allowed_signers does not allow to sign",
            fingerprint(&team.mallory)
        )
    );
    assert!(
        team.history_text()
            .contains("[DOES NOT COUNT: it is signed by")
    );
}

#[test]
fn a_key_not_allowed_for_the_item_does_not_count() {
    let team = team();
    team.sign("launch-go", "Bob", Some(&team.bob), &[]);
    let report = team.report();
    assert_eq!(statuses(&report)["launch-go"], "red");
    assert_eq!(
        reason(&report, "launch-go"),
        format!(
            "the sign-off by Bob (line 1) does not count: it is signed by {} (bob@example.com), who may not sign off `launch-go` (signers: sre-leads)",
            fingerprint(&team.bob)
        )
    );
    // Unsigned is not enough for a restricted item either.
    team.sign("launch-go", "Ada", None, &[]);
    let report = team.report();
    assert!(
        reason(&report, "launch-go")
            .contains("it is unsigned, and `launch-go` may be signed off only by sre-leads"),
        "{report}"
    );
    // Ada's key is in sre-leads.
    team.sign("launch-go", "Ada", Some(&team.ada), &[]);
    assert_eq!(statuses(&team.report())["launch-go"], "green");
}

#[test]
fn edited_evidence_breaks_the_signature() {
    let team = team();
    team.sign(
        "training",
        "Ada",
        Some(&team.ada),
        &["--evidence", "https://wiki.example.com/training"],
    );
    assert_eq!(statuses(&team.report())["training"], "green");
    let mut lines = team.lines();
    lines[0] = lines[0].replace("wiki.example.com/training", "wiki.example.com/other");
    team.write_lines(&lines);
    let report = team.report();
    assert_eq!(statuses(&report)["training"], "red");
    assert_eq!(
        reason(&report, "training"),
        format!(
            "the sign-off by Ada (line 1) does not count: signature by {} does not verify: the record was changed after signing",
            fingerprint(&team.ada)
        )
    );
    let history = team.history_text();
    assert!(
        history.contains("[DOES NOT COUNT: signature by SHA256:"),
        "{history}"
    );
}

#[test]
fn two_names_on_one_key_count_once() {
    let team = team();
    team.sign("two-person", "Ada", Some(&team.ada), &[]);
    team.sign("two-person", "Ada Lovelace", Some(&team.ada), &[]);
    let report = team.report();
    assert_eq!(statuses(&report)["two-person"], "yellow", "{report}");
    let why = reason(&report, "two-person");
    assert!(
        why.starts_with("1 of 2 sign-offs: Ada Lovelace on 2026-11-20"),
        "{why}"
    );
    assert!(
        why.contains("a key counts once, whatever name it gives"),
        "{why}"
    );
    team.sign("two-person", "Bob", Some(&team.bob), &[]);
    assert_eq!(statuses(&team.report())["two-person"], "green");
}

/// A checklist without signing rules, with a runbook that runs its items.
const PLAIN: &str = r"
version: 1
name: Plain
sections:
  - id: a
    title: A
    manual: true
  - id: b
    title: B
    manual: true
  - id: c
    title: C
    manual: true
  - id: d
    title: D
    manual: true
runbook:
  phases:
    - id: launch
      title: Launch
      at: T-0
      steps:
        - { id: items, title: Items, run: [a, b, c, d] }
";

fn four_records(ws: &Workspace) -> Vec<String> {
    for id in ["a", "b", "c", "d"] {
        ws.run(&["sign", id, "--by", "Ada"], Some(NOW)).code(0);
    }
    let store = ws.store();
    let lines: Vec<String> = store.lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 4);
    assert!(lines.iter().all(|l| l.contains("\"prev\":\"")), "{store}");
    lines
}

fn write_store(ws: &Workspace, lines: &[String]) {
    std::fs::write(ws.path(".candlefish/state.jsonl"), lines.join("\n") + "\n").expect("write");
}

#[test]
fn a_removed_line_is_reported_by_check_history_and_runbook() {
    let ws = Workspace::new(PLAIN);
    let mut lines = four_records(&ws);
    let intact = ws.run(&["check"], Some(LATER));
    assert!(!intact.stderr.contains("chain"), "{}", intact.stderr);
    lines.remove(1);
    write_store(&ws, &lines);
    let expected = "state.jsonl:2: the chain is broken: line 1 is not the record this one was written after (line 1 was edited, or a record between them was removed)";
    let check = ws.run(&["check"], Some(LATER));
    assert!(check.stderr.contains(expected), "{}", check.stderr);
    let report = ws.run(&["check", "--format", "json"], Some(LATER)).json();
    assert!(
        report["warnings"]
            .as_array()
            .expect("warnings")
            .iter()
            .any(|w| w.as_str().is_some_and(|w| w.contains(expected))),
        "{report}"
    );
    let history = ws.run(&["history"], Some(LATER));
    assert!(
        history
            .stdout
            .contains("2  CHAIN BROKEN  the chain is broken: line 1"),
        "{}",
        history.stdout
    );
    let json = ws.run(&["history", "--format", "json"], Some(LATER)).json();
    assert_eq!(json["chain"][0]["line"], 2, "{json}");
    let runbook = ws
        .command(
            &["runbook", "--t0", LATER, "--by", "CI", "--non-interactive"],
            Some(LATER),
        )
        .env("CANDLEFISH_CLOCK", "simulated")
        .run();
    assert!(runbook.stderr.contains(expected), "{}", runbook.stderr);
}

#[test]
fn a_swapped_pair_of_lines_is_reported_as_reordered() {
    let ws = Workspace::new(PLAIN);
    let mut lines = four_records(&ws);
    lines.swap(1, 2);
    write_store(&ws, &lines);
    let check = ws.run(&["check"], Some(LATER));
    for expected in [
        "state.jsonl:2: the chain is broken: this record was written after line 3, which comes after it: records were reordered or removed",
        "state.jsonl:3: the chain is broken: this record was written after line 1, which is not the line before it",
        "state.jsonl:4: the chain is broken: this record was written after line 2, which is not the line before it",
    ] {
        assert!(
            check.stderr.contains(expected),
            "{expected}\n{}",
            check.stderr
        );
    }
    // The records still count: the chain reports, it does not hide.
    let report = ws.run(&["check", "--format", "json"], Some(LATER)).json();
    assert_eq!(statuses(&report)["b"], "green");
}

#[test]
fn records_written_before_the_chain_stay_readable_and_are_reported_unchained() {
    let ws = Workspace::new(PLAIN);
    std::fs::create_dir_all(ws.path(".candlefish")).expect("dir");
    std::fs::write(
        ws.path(".candlefish/state.jsonl"),
        "{\"op\":\"sign\",\"at\":\"2026-11-01T10:00:00Z\",\"item\":\"a\",\"by\":\"Ada\"}\n\
         {\"op\":\"sign\",\"at\":\"2026-11-01T10:00:00Z\",\"item\":\"b\",\"by\":\"Ada\"}\n",
    )
    .expect("old store");
    ws.run(&["sign", "c", "--by", "Ada"], Some(NOW)).code(0);
    let check = ws.run(&["check", "--format", "json"], Some(LATER));
    let report = check.json();
    let s = statuses(&report);
    assert_eq!(
        (s["a"].as_str(), s["b"].as_str(), s["c"].as_str()),
        ("green", "green", "green")
    );
    assert!(
        check.stderr.contains(
            "state.jsonl:1: 2 records are unchained (written before Candlefish chained its store)"
        ),
        "{}",
        check.stderr
    );
    assert!(
        !check.stderr.contains("chain is broken"),
        "{}",
        check.stderr
    );
}

/// An ssh-agent on a socket of its own, stopped when dropped.
struct Agent {
    child: Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        ssh_keygen();
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent");
        let started = Instant::now();
        while !socket.exists() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "ssh-agent did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Agent { child, socket }
    }

    /// `ssh-add KEY`, answering a passphrase prompt with `passphrase`.
    fn add(&self, key: &Path, passphrase: &str) {
        let askpass = self.socket.with_file_name("askpass.sh");
        std::fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).expect("askpass");
        run_ok(Command::new("chmod").arg("700").arg(&askpass));
        run_ok(
            Command::new("ssh-add")
                .arg(key)
                .env("SSH_AUTH_SOCK", &self.socket)
                .env("SSH_ASKPASS", &askpass)
                .env("SSH_ASKPASS_REQUIRE", "force")
                .env("DISPLAY", ":0")
                .stdin(Stdio::null()),
        );
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn an_ssh_agent_key_signs_from_its_public_key_or_a_passphrase_protected_file() {
    let team = team();
    let agent = Agent::start(team.ws.dir.path());
    let no_agent = team
        .ws
        .command(
            &["sign", "launch-go", "--by", "Ada", "--key", "keys/ada.pub"],
            Some(NOW),
        )
        .env("SSH_AUTH_SOCK", "/nonexistent/agent.sock")
        .run();
    no_agent.code(2);
    assert!(
        no_agent.stderr.contains(
            "keys/ada.pub is a public key, so ssh-agent must sign: cannot reach ssh-agent"
        ),
        "{}",
        no_agent.stderr
    );
    agent.add(&team.ada, "");
    let signed = team
        .ws
        .command(
            &["sign", "launch-go", "--by", "Ada", "--key", "keys/ada.pub"],
            Some(NOW),
        )
        .env("SSH_AUTH_SOCK", &agent.socket.display().to_string())
        .run();
    signed.code(0);
    assert!(
        signed.stdout.contains(&fingerprint(&team.ada)),
        "{}",
        signed.stdout
    );
    assert!(ssh_keygen_verifies(&team, 0, "ada@example.com"));
    assert_eq!(statuses(&team.report())["launch-go"], "green");

    // A passphrase-protected key file signs through the agent that holds it.
    let locked = keygen(
        &team.ws.path("keys"),
        "locked",
        &["-t", "ed25519"],
        "hunter22",
    );
    let mut allowed = std::fs::read_to_string(team.ws.path("allowed_signers")).expect("file");
    allowed.push_str(&format!("carol@example.com {}\n", public(&locked)));
    std::fs::write(team.ws.path("allowed_signers"), allowed).expect("file");
    let sign_with_the_locked_key = || {
        team.ws
            .command(
                &[
                    "sign",
                    "two-person",
                    "--by",
                    "Carol",
                    "--key",
                    "keys/locked",
                ],
                Some(NOW),
            )
            .env("SSH_AUTH_SOCK", &agent.socket.display().to_string())
            .run()
    };
    let refused = sign_with_the_locked_key();
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("is protected by a passphrase, so ssh-agent must sign, but it does not hold"),
        "{}",
        refused.stderr
    );
    agent.add(&locked, "hunter22");
    sign_with_the_locked_key().code(0);
    assert!(ssh_keygen_verifies(&team, 1, "carol@example.com"));
}

#[test]
fn gits_ssh_signing_key_signs_without_key() {
    let team = team();
    let git = |args: &[&str]| {
        run_ok(
            Command::new("git")
                .args(args)
                .current_dir(team.ws.dir.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1"),
        );
    };
    git(&["init", "-q"]);
    git(&["config", "gpg.format", "ssh"]);
    git(&["config", "user.signingkey", &team.ada.display().to_string()]);
    let signed = team.sign("launch-go", "Ada", None, &[]);
    assert!(
        signed.stdout.contains(&format!(
            "signed with {} (git's user.signingkey)",
            fingerprint(&team.ada)
        )),
        "{}",
        signed.stdout
    );
    assert_eq!(statuses(&team.report())["launch-go"], "green");
    // The key itself in the setting (`key::…`) means the agent signs; without one it is an error.
    git(&[
        "config",
        "user.signingkey",
        &format!("key::{}", public(&team.bob)),
    ]);
    let ran = team
        .ws
        .command(
            &["sign", "training", "--by", "Bob", "--evidence", "x"],
            Some(NOW),
        )
        .env("SSH_AUTH_SOCK", "/nonexistent/agent.sock")
        .run();
    ran.code(2);
    assert!(
        ran.stderr
            .contains("git's user.signingkey is a public key, so ssh-agent must sign"),
        "{}",
        ran.stderr
    );
}

#[test]
fn runbook_confirmations_are_signed_and_the_launch_record_says_whether_they_verify() {
    let team = team_with(&format!(
        "{CHECKLIST}runbook:\n  phases:\n    - id: launch\n      title: Launch\n      at: T-0\n      steps:\n\
         \x20       - {{ id: flags, title: Feature flags enabled, manual: true }}\n"
    ));
    let key = team.ada.display().to_string();
    let confirmed = team
        .ws
        .command(
            &[
                "runbook",
                "--t0",
                LATER,
                "--by",
                "Ada",
                "--confirm",
                "flags",
                "--key",
                &key,
            ],
            Some(LATER),
        )
        .env("CANDLEFISH_CLOCK", "simulated")
        .run();
    confirmed.code(0);
    let fp = fingerprint(&team.ada);
    assert!(
        confirmed
            .stdout
            .contains(&format!("`flags` confirmed by Ada; signed with {fp}")),
        "{}",
        confirmed.stdout
    );
    let journal_path = team.ws.path(".candlefish").join(
        std::fs::read_dir(team.ws.path(".candlefish"))
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|n| n.starts_with("runbook-"))
            .expect("a journal"),
    );
    let journal = std::fs::read_to_string(&journal_path).expect("journal");
    assert!(journal.contains("\"sig\":\""), "{journal}");
    let evidence = |ws: &Workspace| {
        let ran = ws.run(&["runbook", "--t0", LATER, "--report", "json"], None);
        ran.code(0);
        ran.json()["phases"][0]["steps"][0]["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .filter_map(|e| e.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        evidence(&team.ws),
        [format!(
            "confirmed by Ada at 10:00 UTC (signed by {fp}, verified)"
        )]
    );
    // An answer edited afterwards no longer verifies.
    let forged = journal.replacen(
        "\"reply\":\"confirm\"",
        "\"reply\":\"confirm\",\"evidence\":\"forged\"",
        1,
    );
    assert_ne!(forged, journal);
    std::fs::write(&journal_path, forged).expect("edit");
    let lines = evidence(&team.ws);
    assert!(
        lines[0].starts_with(&format!(
            "confirmed by Ada at 10:00 UTC: forged (SIGNATURE DOES NOT VERIFY: signature by {fp} does not verify"
        )),
        "{lines:?}"
    );
}

#[test]
fn no_exec_starts_no_process() {
    let ws = Workspace::new(
        "version: 1\nname: Exec\nsections:\n  - id: script\n    title: A script\n    \
         probe: { exec: { command: [sh, -c, \"touch started\"] } }\n",
    );
    let started = ws.path("started");
    for ran in [
        ws.run(&["check", "--no-exec", "--format", "json"], None),
        ws.command(&["check", "--format", "json"], None)
            .env("CANDLEFISH_NO_EXEC", "1")
            .run(),
    ] {
        ran.code(1);
        let report = ran.json();
        assert_eq!(statuses(&report)["script"], "red");
        assert_eq!(
            item(&report, "script")["probes"][0]["evidence"],
            "exec disabled by policy (--no-exec or CANDLEFISH_NO_EXEC): nothing was started"
        );
        assert!(!started.exists(), "the command ran");
    }
    // The same checklist without the policy does start it: the test can fail.
    let ran = ws.run(&["check", "--format", "json"], None);
    ran.code(0);
    assert!(started.exists());
}

/// checklists/production.yaml ships its signing rules commented out (the seed
/// lists no keys): uncommented, with a key in the launch-leads group, they
/// validate and restrict the launch-day items to that group.
#[test]
fn the_seeds_signing_rules_work_once_uncommented() {
    let text = std::fs::read_to_string(crate::support::root().join("checklists/production.yaml"))
        .expect("production.yaml");
    let rules =
        "# signoffs:\n#   allowed_signers: .candlefish/allowed_signers\n#   require_signed: true\n";
    assert!(text.contains(rules), "the commented signoffs block");
    let restricted = text.matches("# signers: [launch-leads]").count();
    assert!(
        restricted >= 10,
        "launch-day items restricted: {restricted}"
    );
    let text = text
        .replace(rules, &rules.replace("# ", "").replace('#', ""))
        .replace("# signers: [launch-leads]", "signers: [launch-leads]");
    let ws = Workspace::new("");
    std::fs::write(ws.path("production.yaml"), text).expect("write");
    std::fs::create_dir_all(ws.path(".candlefish")).expect("dir");
    let keys = ws.path("keys");
    std::fs::create_dir(&keys).expect("dir");
    let (lead, other) = (ed25519(&keys, "lead"), ed25519(&keys, "other"));
    std::fs::write(
        ws.path(".candlefish/allowed_signers"),
        format!(
            "lead@example.com,launch-leads {}\nother@example.com {}\n",
            public(&lead),
            public(&other)
        ),
    )
    .expect("allowed_signers");
    ws.run(&["validate", "production.yaml"], None).code(0);
    let sign = |key: &Path| {
        let key = key.display().to_string();
        ws.run(
            &[
                "sign",
                "t4h-dashboards-open",
                "-c",
                "production.yaml",
                "--by",
                "Lee",
                "--key",
                &key,
            ],
            Some(NOW),
        )
        .code(0);
    };
    let status = || {
        let report = ws
            .run(
                &[
                    "check",
                    "production.yaml",
                    "--only",
                    "t4h-dashboards-open",
                    "--format",
                    "json",
                ],
                // Launch-day sign-offs last a day.
                Some("2026-11-20T11:00:00Z"),
            )
            .json();
        statuses(&report)["t4h-dashboards-open"].clone()
    };
    sign(&other);
    assert_eq!(status(), "red", "a key outside launch-leads");
    sign(&lead);
    assert_eq!(status(), "green");
}
