//! `CANDLEFISH_NOW` stamps what it judges (the JSON's `started_at`, every
//! probe's, the Markdown "checked …" line, the `--baseline` header), and the
//! Markdown report holds no placeholders or empty bullets.

use crate::support::{Run, Server};

fn checklist(server: &Server, extra: &str) -> String {
    format!(
        "version: 1\nname: Stamps\n{extra}sections:\n  - id: web\n    title: Web\n    items:\n      - id: health\n        title: Health answers\n        probe:\n          http: {{ url: \"{}\" }}\n",
        server.url("/status/200")
    )
}

#[test]
fn candlefish_now_stamps_the_run_its_probes_the_markdown_and_the_baseline() {
    let server = Server::start();
    let earlier = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist(&server, ""))
        .env("CANDLEFISH_NOW", "2026-12-30T08:00:00Z")
        .run();
    earlier.code(0);
    let json = earlier.json();
    assert_eq!(json["started_at"], "2026-12-30T08:00:00Z");
    let probe_at = json["items"][0]["items"][0]["probes"][0]["started_at"]
        .as_str()
        .expect("a probe's started_at");
    assert!(probe_at.starts_with("2026-12-30T08:00:0"), "{probe_at}");

    let dir = earlier.dir.as_ref().expect("temp dir").path();
    std::fs::write(dir.join("base.json"), &earlier.stdout).expect("baseline");
    let later = Run::new(&[
        "check",
        "--no-progress",
        "--baseline",
        "base.json",
        "--report",
        "md=r.md",
    ])
    .in_dir(dir)
    .env("CANDLEFISH_NOW", "2026-12-31T12:00:00Z")
    .run();
    later.code(0);
    assert!(
        later
            .stdout
            .contains("since the baseline (2026-12-30T08:00:00Z)"),
        "{}",
        later.stdout
    );
    let md = std::fs::read_to_string(dir.join("r.md")).expect("md");
    assert!(md.contains("checked 2026-12-31 12:00:00 UTC in "), "{md}");
}

#[test]
fn the_markdown_report_has_no_placeholders_or_empty_bullets() {
    let server = Server::start();
    let ran = Run::new(&["check", "--format", "md"])
        .with_checklist(&checklist(&server, ""))
        .run();
    ran.code(0);
    let md = &ran.stdout;
    assert!(!md.contains("[Date]") && !md.contains("[Name]"), "{md}");
    assert!(!md.lines().any(|l| l.trim() == "-"), "{md}");
    assert!(!md.contains("Notes Section"), "{md}");
    // What the checklist does say is kept.
    let said = Run::new(&["check", "--format", "md"])
        .with_checklist(&checklist(
            &server,
            "owner: platform-team\nlast_reviewed: 2026-11-30\nnotes:\n  risks: [The CDN may throttle]\n",
        ))
        .run();
    said.code(0);
    let md = &said.stdout;
    assert!(
        md.contains("**Last Updated**: 2026-11-30\n**Owner**: platform-team\n"),
        "{md}"
    );
    assert!(
        md.contains("### Risk Items\n- The CDN may throttle\n"),
        "{md}"
    );
    assert!(!md.contains("### Blockers"), "{md}");
    assert!(!md.contains("**Next Review**"), "{md}");
}
