//! Evidence a person can act on: a failing probe keeps its warnings after the
//! cause, and a yellow and a red latency say which threshold they crossed.

use crate::support::{Run, Server, probe_result};

fn checklist(server: &Server) -> String {
    let slow = server.url("/slow/150");
    format!(
        r#"version: 1
name: Evidence
sections:
  - id: web
    title: Web
    items:
      - id: red-slow
        title: Past max_latency
        probe: {{ http: {{ url: "{slow}", expect: {{ max_latency: 50ms }} }} }}
      - id: yellow-slow
        title: Past warn_latency
        probe: {{ http: {{ url: "{slow}", expect: {{ warn_latency: 50ms }} }} }}
      - id: wrong-and-slow
        title: Wrong status, and slow
        probe: {{ http: {{ url: "{slow}", expect: {{ status: 201, warn_latency: 50ms }} }} }}
"#
    )
}

#[test]
fn a_failure_keeps_its_warnings_and_thresholds_are_named() {
    let server = Server::start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist(&server))
        .run();
    ran.code(1);
    let report = ran.json();
    let (verdict, evidence) = probe_result(&report, "red-slow");
    assert_eq!(verdict, "fail");
    assert!(
        evidence.starts_with("expected latency <= 50ms (max_latency), got "),
        "{evidence}"
    );
    let (verdict, evidence) = probe_result(&report, "yellow-slow");
    assert_eq!(verdict, "warn");
    assert!(
        evidence.starts_with("expected latency <= 50ms (warn_latency), got "),
        "{evidence}"
    );
    let (verdict, evidence) = probe_result(&report, "wrong-and-slow");
    assert_eq!(verdict, "fail");
    assert!(
        evidence.starts_with("expected status 201, got 200 OK in "),
        "the cause comes first: {evidence}"
    );
    assert!(
        evidence.contains(" + 1 warning: expected latency <= 50ms (warn_latency), got "),
        "{evidence}"
    );
}
