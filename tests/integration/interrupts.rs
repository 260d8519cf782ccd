//! One interrupt delivered twice — by `timeout -s INT`, which signals the
//! command and then its whole process group, or by a CI runner — counts once:
//! the partial board and every report are written, every time. And `-q` says
//! the run was interrupted.

use std::os::unix::process::CommandExt as _;
use std::process::Stdio;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process, kill_process_group};

use crate::support::{Run, Server};

fn slow_checklist(server: &Server) -> String {
    format!(
        "version: 1\nname: Partial\nsections:\n  - id: quick\n    title: Quick\n    probe:\n      http: {{ url: \"{}\" }}\n  - id: stuck\n    title: Stuck\n    probe:\n      http: {{ url: \"{}\" }}\n      timeout: 60s\n",
        server.url("/status/200"),
        server.url("/gauge/60000")
    )
}

fn wait_for(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Starts `check` in a process group of its own, waits until the slow probe
/// is in flight (the `n`th request to it), then signals the process and its
/// group `gap` apart, as `timeout -s INT` does; returns the output.
fn interrupt_twice(
    server: &Server,
    n: usize,
    gap: Duration,
    args: &[&str],
) -> (Run, std::process::Output) {
    let mut all = vec!["check", "--color", "never", "--report", "json=partial.json"];
    all.extend_from_slice(args);
    let mut run = Run::new(&all).with_checklist(&slow_checklist(server));
    let child = run
        .command()
        .process_group(0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    wait_for("the slow request", || server.hits("/gauge/60000") == n);
    let pid = Pid::from_child(&child);
    kill_process(pid, Signal::INT).expect("SIGINT to the process");
    std::thread::sleep(gap);
    kill_process_group(pid, Signal::INT).expect("SIGINT to the group");
    let output = child.wait_with_output().expect("wait");
    (run, output)
}

#[test]
fn one_interrupt_delivered_twice_counts_once_and_the_reports_are_written() {
    let server = Server::start();
    // Gaps from "at once" (the signals may merge) to well after the first was
    // handled; the old handler lost the board and the report whenever the
    // second arrived after the first was seen. Bounded: 12 runs.
    let gaps = [0, 1, 1, 2, 2, 3, 3, 4, 5, 10, 50, 300];
    let mut lost = Vec::new();
    for (i, gap) in gaps.into_iter().enumerate() {
        let (run, output) = interrupt_twice(&server, i + 1, Duration::from_millis(gap), &[]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let report = run.path().expect("temp dir").join("partial.json");
        let saved: Option<serde_json::Value> = std::fs::read_to_string(&report)
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let ok = output.status.code() == Some(130)
            && stdout.contains("interrupted: the board shows what finished before the stop")
            && saved.as_ref().is_some_and(|s| s["interrupted"] == true);
        if !ok {
            lost.push(format!(
                "gap {gap}ms: exit {:?}, board {}, report {}",
                output.status.code(),
                !stdout.is_empty(),
                saved.is_some()
            ));
        }
    }
    assert!(lost.is_empty(), "{}", lost.join("\n"));
}

#[test]
fn the_quiet_line_says_the_run_was_interrupted() {
    let server = Server::start();
    let (_run, output) = interrupt_twice(&server, 1, Duration::ZERO, &["-q"]);
    assert_eq!(output.status.code(), Some(130));
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Whether the quick probe finished before the signal is a race; what the
    // line must say is not.
    assert!(
        stdout.starts_with(
            "candlefish: INTERRUPTED — the run was interrupted, not every probe ran; "
        ) && stdout.contains("stuck)"),
        "{stdout}"
    );
}
