//! The HTML report in headless Chromium (Debian's `chromium`): self-contained,
//! filters applied from the URL by its script (asserted on the DOM after the
//! script ran), usable without JavaScript, no sideways scrolling at 375 px.

use std::collections::HashMap;
use std::path::Path;

use crate::support::{Run, Server, headless_chromium};

/// Writes the report checklist's HTML report into `dir`.
fn html_report(dir: &Path) -> String {
    let server = Server::start();
    std::fs::write(
        dir.join("candlefish.yaml"),
        crate::reports::checklist(&server),
    )
    .expect("write");
    Run::new(&["check", "-q", "--report", "html=board.html"])
        .in_dir(dir)
        .run()
        .code(1);
    std::fs::read_to_string(dir.join("board.html")).expect("the report was written")
}

fn dump_dom(dir: &Path, url_suffix: &str, extra: &[&str]) -> String {
    let url = format!("file://{}/board.html{url_suffix}", dir.display());
    let profile = dir.join("chromium-profile");
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(["--virtual-time-budget=3000", "--dump-dom", &url]);
    let ran = headless_chromium(&profile, &args);
    assert!(
        ran.stdout.contains("</html>"),
        "chromium printed no DOM (exit {:?}):\n{}",
        ran.code,
        ran.stderr
    );
    ran.stdout
}

/// Board items in the DOM: id → (status, hidden).
fn board_items(dom: &str) -> HashMap<String, (String, bool)> {
    let re = regex::Regex::new(
        r#"<li class="item (?:leaf|group) s-(\w+)[^"]*" id="b-([^"]+)" data-status="\w+"( hidden="")?>"#,
    )
    .expect("regex");
    re.captures_iter(dom)
        .map(|c| (c[2].to_owned(), (c[1].to_owned(), c.get(3).is_some())))
        .collect()
}

fn visible(items: &HashMap<String, (String, bool)>) -> Vec<String> {
    let mut ids: Vec<String> = items
        .iter()
        .filter(|(_, (_, hidden))| !hidden)
        .map(|(id, _)| id.clone())
        .collect();
    ids.sort();
    ids
}

#[test]
fn the_report_is_self_contained() {
    let dir = tempfile::tempdir().expect("temp dir");
    let html = html_report(dir.path());
    for fetch in ["<link", " src=", "@import", "url(", "<img", "<iframe"] {
        assert!(
            !html.contains(fetch),
            "the report fetches something: {fetch}"
        );
    }
    assert!(
        html.contains("<style>") && html.contains("<script>"),
        "inline CSS and JS"
    );
    assert!(html.contains("name=\"viewport\""), "sized for phones");
    assert!(
        html.contains("#f-red:checked ~ main .item:not(.has-red)"),
        "CSS filters without JavaScript"
    );
}

#[test]
fn a_status_in_the_url_filters_the_rendered_board() {
    let dir = tempfile::tempdir().expect("temp dir");
    html_report(dir.path());
    let dom = dump_dom(dir.path(), "#status=red", &[]);
    assert!(
        dom.contains("<body data-filter=\"red\">"),
        "the script read the fragment"
    );
    let items = board_items(&dom);
    assert_eq!(items.len(), 9, "two groups and seven items: {items:?}");
    assert_eq!(
        visible(&items),
        ["api", "api-down", "api-ready", "people", "training"],
        "red items and the groups that hold them"
    );
    assert_eq!(items["api-health"], ("green".to_owned(), true));
    assert!(
        dom.contains("<output id=\"shown\">3 of 7 items shown</output>"),
        "count"
    );

    // The critical path comes first, red before green, with its evidence.
    let critical = dom
        .find("id=\"critical-path\"")
        .expect("critical path section");
    let board = dom.find("id=\"board\"").expect("board section");
    assert!(critical < board, "critical path first");
    let section = &dom[critical..board];
    let ready = section
        .find("api-ready")
        .expect("api-ready on the critical path");
    let health = section
        .find("api-health")
        .expect("api-health on the critical path");
    assert!(ready < health, "red before green");
    assert!(section.contains("expected status 200, got 503 Service Unavailable"));

    // Evidence, checks and timings are on the page.
    assert!(dom.contains("connection refused"), "error evidence");
    assert!(dom.contains("<td>status 200</td><td>503 Service Unavailable</td>"));
    assert!(dom.contains("class=\"time\""), "timings");
    assert!(dom.contains("Readiness endpoint &lt;takes&gt; \"traffic\" &amp; more"));
}

#[test]
fn query_and_text_filters_work_too() {
    let dir = tempfile::tempdir().expect("temp dir");
    html_report(dir.path());
    let dom = dump_dom(dir.path(), "?status=yellow", &[]);
    assert!(dom.contains("<body data-filter=\"yellow\">"));
    assert_eq!(
        visible(&board_items(&dom)),
        ["api", "api-slow", "people", "runbooks"]
    );
    let dom = dump_dom(dir.path(), "#q=runbooks", &[]);
    assert_eq!(visible(&board_items(&dom)), ["people", "runbooks"]);
    assert!(dom.contains("1 of 7 items shown"));
}

/// Runs `page` (a file in `dir` that frames board.html and writes what it
/// measured into `#out`) and returns that text.
pub(crate) fn measure(dir: &Path, page: &str, script: &str) -> String {
    std::fs::write(dir.join(page), script).expect("write");
    let url = format!("file://{}/{page}", dir.display());
    let profile = dir.join("chromium-profile");
    let ran = headless_chromium(
        &profile,
        &[
            "--allow-file-access-from-files",
            "--virtual-time-budget=3000",
            "--dump-dom",
            &url,
        ],
    );
    let open = "<pre id=\"out\">";
    let start = ran.stdout.find(open).map(|i| i + open.len());
    let end = ran.stdout.find("</pre>");
    match (start, end) {
        (Some(s), Some(e)) if s < e => ran.stdout[s..e].to_owned(),
        _ => panic!("the page measured nothing:\n{}\n{}", ran.stdout, ran.stderr),
    }
}

#[test]
fn without_javascript_the_css_filters_by_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    html_report(dir.path());
    // A sandboxed frame runs no script; the page outside ticks the red filter
    // and reads what CSS alone shows.
    let out = measure(
        dir.path(),
        "nojs.html",
        r##"<!doctype html><html><body>
<iframe id="f" sandbox="allow-same-origin" src="board.html" style="width:375px;height:700px"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument;
  var lines = ["script ran: " + d.documentElement.classList.contains("js")];
  lines.push("shown: " + d.getElementById("shown").textContent);
  d.getElementById("f-red").checked = true;
  d.querySelectorAll("#board li.item").forEach(function (li) {
    lines.push(li.id + " " + d.defaultView.getComputedStyle(li).display);
  });
  document.getElementById("out").textContent = lines.join("\n");
});
</script></body></html>"##,
    );
    assert_eq!(
        out,
        "script ran: false\nshown: 7 items\n\
         b-api list-item\nb-api-health none\nb-api-ready list-item\nb-api-slow none\nb-api-down list-item\n\
         b-people list-item\nb-runbooks none\nb-training list-item\nb-mobile none"
    );
}

#[test]
fn it_fits_a_375_px_phone_and_renders_a_screenshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    html_report(dir.path());
    // A page that frames the report 375 px wide and measures it.
    let out = measure(
        dir.path(),
        "phone.html",
        r#"<!doctype html><html><body>
<iframe id="f" src="board.html" style="width:375px;height:700px;border:0"></iframe>
<pre id="out">not measured</pre>
<script>
document.getElementById("f").addEventListener("load", function () {
  var d = this.contentDocument.documentElement;
  document.getElementById("out").textContent = "sideways scroll: " + (d.scrollWidth > d.clientWidth);
});
</script></body></html>"#,
    );
    assert_eq!(out, "sideways scroll: false", "the report fits 375 px");

    let profile = dir.path().join("chromium-profile");
    let png = dir.path().join("phone.png");
    let shot = format!("--screenshot={}", png.display());
    let page = format!("file://{}/board.html", dir.path().display());
    headless_chromium(&profile, &["--window-size=375,900", &shot, &page]);
    let bytes = std::fs::read(&png).expect("chromium wrote a screenshot");
    assert!(bytes.starts_with(b"\x89PNG"), "a PNG");
}
