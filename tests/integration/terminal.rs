//! `check` on a real terminal (a pseudo-terminal): the progress bar is drawn on
//! stderr there, and `--ascii` keeps every byte of the screen ASCII — bar and
//! spinner included.

use crate::pty::Pty;
use crate::support::Server;

fn slow_checklist(server: &Server) -> String {
    format!(
        "version: 1\nname: Slow\nsections:\n  - id: a\n    title: A\n    probe: {{ http: {{ url: \"{}\" }} }}\n  - id: b\n    title: B\n    probe: {{ http: {{ url: \"{}\" }} }}\n",
        server.url("/slow/1200"),
        server.url("/status/200"),
    )
}

#[test]
fn the_progress_bar_is_drawn_on_a_terminal_and_ascii_means_ascii() {
    let server = Server::start();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("candlefish.yaml"), slow_checklist(&server)).expect("write");

    let fancy = Pty::new(&["check"])
        .expect(r"1/2 probes")
        .expect(r"READY")
        .run(dir.path());
    assert_eq!(fancy.code, Some(0), "{}", fancy.transcript);
    assert!(fancy.transcript.contains('🟢'), "{}", fancy.transcript);

    let plain = Pty::new(&["check", "--ascii"])
        .expect(r"1/2 probes")
        .expect(r"READY")
        .run(dir.path());
    assert_eq!(plain.code, Some(0), "{}", plain.transcript);
    let strange: Vec<char> = plain.transcript.chars().filter(|c| !c.is_ascii()).collect();
    assert!(
        strange.is_empty(),
        "not ASCII: {strange:?}\n{}",
        plain.transcript
    );

    // And without a terminal, no bar at all: stderr stays clean for logs.
    let piped = crate::support::Run::new(&["check"])
        .in_dir(dir.path())
        .run();
    piped.code(0);
    assert!(!piped.stderr.contains("probes"), "{}", piped.stderr);
}
