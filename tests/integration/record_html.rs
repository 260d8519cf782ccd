//! The launch record's HTML in headless Chromium: what a person reads after a
//! phase (its verdict, who did what, the evidence and the timeline) is on the
//! rendered page, it fits a phone, and nothing is fetched.

use crate::html::measure;
use crate::runbook::{T0, checklist, runbook};
use crate::support::{Server, Workspace, headless_chromium};

/// A workspace whose journal holds a decided pre-launch phase (GO, with a
/// signed-off manual step carrying a long unbroken evidence URL) and an
/// undecided launch phase; its record is written to `record.html`.
fn record() -> (Server, Workspace) {
    let server = Server::start();
    let ws = Workspace::new(&checklist(&server));
    let evidence = "https://backups.example.com/restore-drills/2026-12-01/\
                    postgres-production-primary-full-restore-verification-report-with-checksums";
    ws.run(
        &["sign", "backups", "--by", "Grace", "--evidence", evidence],
        Some("2026-12-01T13:00:00Z"),
    )
    .code(0);
    runbook(
        &ws,
        &["--non-interactive", "--phase", "T-1h"],
        "2026-12-01T14:00:00Z",
    )
    .code(0);
    ws.run(
        &["runbook", "--t0", T0, "--report", "html=record.html"],
        None,
    )
    .code(0);
    (server, ws)
}

#[test]
fn the_rendered_record_shows_verdicts_people_evidence_and_the_timeline() {
    let (_server, ws) = record();
    let html = std::fs::read_to_string(ws.path("record.html")).expect("record");
    for fetch in ["<link", " src=", "@import", "url(", "<script"] {
        assert!(
            !html.contains(fetch),
            "the record fetches or runs something: {fetch}"
        );
    }
    // Chromium renders it; the page outside reads the text a person sees and
    // the colour of each verdict.
    let out = measure(
        ws.dir.path(),
        "read.html",
        r#"<!doctype html><html><body>
<iframe id="f" src="record.html" style="width:1000px;height:900px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument, w = d.defaultView, lines = [];
  lines.push("title: " + d.querySelector("h1").textContent);
  d.querySelectorAll("table:first-of-type tr").forEach(function (tr, i) {
    if (i > 0) lines.push("phase: " + tr.innerText.replace(/\s+/g, " ").trim());
  });
  d.querySelectorAll(".go, .nogo, .open").forEach(function (v) {
    lines.push("verdict " + v.textContent + " " + w.getComputedStyle(v).color);
  });
  d.querySelectorAll("h3").forEach(function (h) { lines.push("step: " + h.textContent); });
  var timeline = d.getElementById("timeline").nextElementSibling;
  lines.push("timeline rows: " + (timeline.querySelectorAll("tr").length - 1));
  lines.push("evidence shown: " + (d.body.innerText.indexOf("restore-verification-report") >= 0));
  lines.push("people: " + d.querySelector(".meta").innerText.split("people: ")[1]);
  document.getElementById("out").textContent = lines.join("\n");
});
</script></body></html>"#,
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "title: Launch record: CI launch", "{out}");
    assert!(
        lines.contains(&"phase: T-1h Pre-launch 14:00 UTC GO at 14:00 UTC by CI"),
        "{out}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("phase: T-0 Launch")),
        "{out}"
    );
    // GO is drawn green; the undecided launch phase is grey, in the summary
    // table and in its heading.
    assert!(lines.contains(&"verdict GO rgb(26, 127, 55)"), "{out}");
    assert!(
        lines.contains(&"verdict not decided rgb(110, 119, 129)"),
        "{out}"
    );
    assert!(lines.contains(&"step: 🟢 health API health"), "{out}");
    assert!(
        lines.iter().any(|l| l.starts_with("step: 🟢 backups")),
        "{out}"
    );
    assert!(lines.contains(&"evidence shown: true"), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("timeline rows: ") && l != &"timeline rows: 0"),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("people: ") && l.contains("CI")),
        "{out}"
    );
}

#[test]
fn the_record_fits_a_375_px_phone_and_renders_a_screenshot() {
    let (_server, ws) = record();
    let out = measure(
        ws.dir.path(),
        "phone.html",
        r#"<!doctype html><html><body>
<iframe id="f" src="record.html" style="width:375px;height:700px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument.documentElement;
  document.getElementById("out").textContent =
    "sideways scroll: " + (d.scrollWidth > d.clientWidth) + " (" + d.scrollWidth + " px)";
});
</script></body></html>"#,
    );
    assert!(
        out.starts_with("sideways scroll: false"),
        "the record fits 375 px: {out}"
    );

    let profile = ws.path("chromium-profile");
    let png = ws.path("record.png");
    let shot = format!("--screenshot={}", png.display());
    let page = format!("file://{}", ws.path("record.html").display());
    headless_chromium(&profile, &["--window-size=375,900", &shot, &page]);
    let bytes = std::fs::read(&png).expect("chromium wrote a screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
}
