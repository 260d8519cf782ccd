//! The `exec` probe with real processes: Debian's monitoring plugins
//! (check_dummy, check_tcp, check_http against a server on 127.0.0.1) and
//! scripts — exit codes, output, secrets, limits and deadlines.

use std::path::Path;

use crate::support::{Run, Server, Workspace, item, refused_port, statuses};

/// A monitoring plugin's path; the tests fail (never skip) when it is missing.
fn plugin(name: &str) -> String {
    let path = format!("/usr/lib/nagios/plugins/{name}");
    assert!(
        Path::new(&path).exists(),
        "{path} is missing: install Debian's monitoring plugins \
         (apt-get install monitoring-plugins-basic, as scripts/test does)"
    );
    path
}

fn probe_of<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    &item(report, id)["probes"][0]
}

fn evidence(report: &serde_json::Value, id: &str) -> String {
    probe_of(report, id)["evidence"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn nagios_plugins_become_green_yellow_red_and_unknown_is_an_error() {
    let server = Server::start();
    let port = server.addr.port().to_string();
    let refused = refused_port().to_string();
    let (dummy, tcp, http) = (
        plugin("check_dummy"),
        plugin("check_tcp"),
        plugin("check_http"),
    );
    let probe = |args: Vec<&str>| {
        let quoted: Vec<String> = args.iter().map(|a| format!("{a:?}")).collect();
        format!(
            "{{ exec: {{ command: [{}], nagios: true }} }}",
            quoted.join(", ")
        )
    };
    let check_http = |path: &str| probe(vec![&http, "-H", "127.0.0.1", "-p", &port, "-u", path]);
    let items = [
        ("dummy-ok", probe(vec![&dummy, "0", "all good"])),
        ("dummy-warn", probe(vec![&dummy, "1", "disk at 85%"])),
        ("dummy-crit", probe(vec![&dummy, "2", "disk full"])),
        ("dummy-unknown", probe(vec![&dummy, "3", "cannot tell"])),
        (
            "tcp-open",
            probe(vec![&tcp, "-H", "127.0.0.1", "-p", &port]),
        ),
        (
            "tcp-refused",
            probe(vec![&tcp, "-H", "127.0.0.1", "-p", &refused]),
        ),
        ("http-ok", check_http("/status/200")),
        ("http-404", check_http("/nowhere")),
        ("http-503", check_http("/status/503")),
    ];
    let mut checklist =
        "version: 1\nname: Plugins\nsections:\n  - id: plugins\n    title: Plugins\n    items:\n"
            .to_owned();
    for (id, probe) in &items {
        checklist.push_str(&format!(
            "      - id: {id}\n        title: {id}\n        probe: {probe}\n"
        ));
    }
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let verdict = |id: &str| {
        probe_of(&report, id)["verdict"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    for (id, status, expected_verdict) in [
        ("dummy-ok", "green", "pass"),
        ("dummy-warn", "yellow", "warn"),
        ("dummy-crit", "red", "fail"),
        ("dummy-unknown", "red", "error"),
        ("tcp-open", "green", "pass"),
        ("tcp-refused", "red", "fail"),
        ("http-ok", "green", "pass"),
        ("http-404", "yellow", "warn"),
        ("http-503", "red", "fail"),
    ] {
        assert_eq!(s[id], status, "{id}: {}", evidence(&report, id));
        assert_eq!(verdict(id), expected_verdict, "{id}");
    }
    assert_eq!(evidence(&report, "dummy-ok"), "OK: all good");
    assert_eq!(
        evidence(&report, "dummy-warn"),
        "expected OK, got WARNING: disk at 85%"
    );
    assert_eq!(
        evidence(&report, "dummy-unknown"),
        "expected OK, got UNKNOWN: cannot tell"
    );
    assert!(
        evidence(&report, "tcp-refused").contains("Connection refused"),
        "{}",
        evidence(&report, "tcp-refused")
    );
    // Performance data: in the evidence, and as checks.
    let ok = evidence(&report, "http-ok");
    assert!(ok.starts_with("HTTP OK: HTTP/1.1 200 OK"), "{ok}");
    assert!(ok.contains("[time=") && ok.contains("size="), "{ok}");
    let checks = probe_of(&report, "tcp-open")["checks"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        checks.iter().any(|c| c["expected"]
            .as_str()
            .is_some_and(|e| e.starts_with("time"))),
        "{checks:?}"
    );
    assert!(
        evidence(&report, "http-503").starts_with("expected OK, got HTTP CRITICAL"),
        "{}",
        evidence(&report, "http-503")
    );
    assert_eq!(
        report["summary"]["probes_error"], 1,
        "only UNKNOWN could not run"
    );
}

#[test]
fn scripts_exit_codes_output_and_secrets() {
    let ws = Workspace::new(
        r#"
version: 1
name: Scripts
sections:
  - id: scripts
    title: Scripts
    items:
      - id: workspace
        title: Terraform-like workspace check
        probe:
          exec: { command: [sh, -c, "echo production"], expect: { stdout_matches: '^production$' } }
      - id: failing
        title: A failing script
        probe:
          exec: { command: [sh, -c, "echo working; echo 'no such workspace' >&2; exit 3"] }
      - id: accepted-code
        title: Exit 3 is acceptable here
        probe:
          exec:
            command: "echo 'no such workspace' >&2; exit 3"
            shell: true
            expect: { exit: [0, 3], stderr_contains: no such workspace }
      - id: relative
        title: A script beside the checklist
        probe:
          exec: { command: [./check.sh, ready], dir: scripts, expect: { stdout_contains: "ready in scripts" } }
      - id: secret
        title: A token never shows
        probe:
          exec:
            command: [sh, -c, 'echo "token is $TOKEN" >&2; exit 1']
            env: { TOKEN: "${SECRET_TOKEN}" }
      - id: huge
        title: Output is bounded
        probe:
          exec: { command: [sh, -c, "head -c 200000 /dev/zero | tr '\\0' a"], expect: { stdout_contains: zzz } }
      - id: huge-failure
        title: A failure with huge output says how much there was
        probe:
          exec: { command: [sh, -c, "head -c 200000 /dev/zero | tr '\\0' b; echo; exit 3"] }
      - id: missing
        title: A program that does not exist
        probe:
          exec: { command: [candlefish-no-such-program] }
"#,
    );
    let scripts = ws.path("scripts");
    std::fs::create_dir(&scripts).expect("mkdir");
    let script = scripts.join("check.sh");
    std::fs::write(&script, "#!/bin/sh\necho \"$1 in $(basename \"$PWD\")\"\n").expect("write");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");

    // Run from elsewhere: paths are relative to the checklist, not the working directory.
    let file = ws.path("candlefish.yaml");
    let ran = Run::new(&["check", file.to_str().expect("utf-8"), "--format", "json"])
        .env("SECRET_TOKEN", "hunter2-very-secret")
        .run();
    ran.code(1);
    assert!(
        !ran.stdout.contains("hunter2-very-secret"),
        "{}",
        ran.stdout
    );
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(
        s["workspace"],
        "green",
        "{}",
        evidence(&report, "workspace")
    );
    assert!(evidence(&report, "workspace").ends_with(": production"));
    assert_eq!(s["failing"], "red");
    assert!(
        evidence(&report, "failing")
            .starts_with("expected exit 0, got exit 3 (no such workspace) in "),
        "{}",
        evidence(&report, "failing")
    );
    assert_eq!(
        s["accepted-code"],
        "green",
        "{}",
        evidence(&report, "accepted-code")
    );
    assert_eq!(s["relative"], "green", "{}", evidence(&report, "relative"));
    assert!(
        evidence(&report, "secret").contains("token is ••••"),
        "{}",
        evidence(&report, "secret")
    );
    assert!(
        evidence(&report, "huge")
            .starts_with("expected stdout to contain \"zzz\", got the first 64 KiB of 200000 bytes of stdout without it"),
        "{}",
        evidence(&report, "huge")
    );
    assert!(
        evidence(&report, "huge-failure").contains("got exit 3 (")
            && evidence(&report, "huge-failure")
                .contains("; the first 64 KiB of 200001 bytes of stdout kept"),
        "{}",
        evidence(&report, "huge-failure")
    );
    assert_eq!(probe_of(&report, "missing")["verdict"], "error");
    assert_eq!(
        evidence(&report, "missing"),
        "cannot run candlefish-no-such-program: no such program (not found on PATH)"
    );
}

#[test]
fn a_deadline_kills_the_whole_process_group() {
    let ws = Workspace::new(
        r#"
version: 1
name: Deadline
sections:
  - id: hangs
    title: A script that hangs, with a child in the background
    probe:
      exec: { command: "sleep 60 & echo $! > background.pid; sleep 60", shell: true }
      timeout: 300ms
"#,
    );
    let ran = ws.run(&["check", "--format", "json"], None);
    ran.code(1);
    let report = ran.json();
    assert_eq!(
        evidence(&report, "hangs"),
        "no answer within 300ms (timeout)"
    );
    let pid = std::fs::read_to_string(ws.path("background.pid"))
        .expect("the script wrote its child's pid");
    let stat = format!("/proc/{}/stat", pid.trim());
    // SIGKILL was sent before candlefish exited; give the kernel a moment to finish it.
    let gone = (0..100).any(|_| {
        let alive = std::fs::read_to_string(&stat).is_ok_and(|s| {
            s.rsplit_once(')')
                .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
        });
        if alive {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        !alive
    });
    assert!(
        gone,
        "the background child {} survived the deadline",
        pid.trim()
    );
}

#[test]
fn shell_strings_need_shell_true() {
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(
            "version: 1\nname: x\nsections:\n  - id: a\n    title: a\n    probe:\n      exec: { command: \"ls | wc -l\" }\n",
        )
        .run();
    ran.code(2);
    assert!(
        ran.stderr
            .contains("`command` is one string, which runs only with `shell: true`"),
        "{}",
        ran.stderr
    );
}
