//! The live board at `/`: the HTML report of the latest round (rendered by
//! `report::html`, unchanged), with a small script in its `<head>` that swaps
//! the page's body when the server says a round finished, and a banner when
//! the checklist on disk no longer validates. Nothing is fetched from the
//! internet; the page talks only to the server that served it.

use crate::report::html::escape;

const LIVE_JS: &str = include_str!("assets/live.js");

const LIVE_CSS: &str = ".live-banner{margin:0;padding:.6rem 1rem;background:#fff3cd;color:#4d3800;\
border-bottom:2px solid #d9a400;font-weight:600;white-space:pre-wrap}";

/// `board` (an HTML report) made live, with `banner` (plain text) shown at
/// the top when given.
pub fn page(board: &str, banner: Option<&str>) -> String {
    let head = format!("<style>{LIVE_CSS}</style>\n<script>\n{LIVE_JS}</script>\n</head>");
    let mut page = board.replacen("</head>", &head, 1);
    if let Some(text) = banner
        && let Some(head_end) = page.find("</head>")
        && let Some(start) = page[head_end..].find("<body").map(|at| head_end + at)
        && let Some(end) = page[start..].find('>')
    {
        let at = start + end + 1;
        page.insert_str(
            at,
            &format!(
                "\n<p class=\"live-banner\" role=\"alert\" id=\"live-banner\">{}</p>",
                escape(text)
            ),
        );
    }
    page
}

/// What `/` shows before the first round of the checklist has finished.
pub fn waiting(name: &str) -> String {
    page(
        &format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>{name} — waiting for the first round</title>\n</head>\n<body>\n\
             <main><h1>{name}</h1><p id=\"waiting\">The first round is running; this page \
             shows the board when it finishes.</p></main>\n</body>\n</html>\n",
            name = escape(name)
        ),
        None,
    )
}

/// The index `/` shows when several checklists are served: each one's
/// verdict, linking to its board.
pub fn index(entries: &[(String, Option<bool>)]) -> String {
    let mut rows = String::new();
    for (name, passed) in entries {
        let verdict = match passed {
            Some(true) => "READY",
            Some(false) => "NOT READY",
            None => "waiting for the first round",
        };
        let query: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        rows.push_str(&format!(
            "<li><a href=\"/?checklist={query}\">{}</a> — <span class=\"verdict\">{verdict}</span></li>\n",
            escape(name)
        ));
    }
    page(
        &format!(
            "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <title>Candlefish — {} checklists</title>\n</head>\n<body>\n<main><h1>Checklists</h1>\n\
             <ul id=\"checklists\">\n{rows}</ul></main>\n</body>\n</html>\n",
            entries.len()
        ),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_goes_into_the_head_and_the_banner_after_body() {
        let board = "<html><head><title>x</title></head>\n<body data-filter=\"all\">\n<main></main></body></html>";
        let page = page(board, Some("edit <broke> it"));
        let head_end = page.find("</head>").unwrap();
        assert!(page.find("new EventSource").unwrap() < head_end);
        assert!(page.contains(
            "<body data-filter=\"all\">\n<p class=\"live-banner\" role=\"alert\" id=\"live-banner\">edit &lt;broke&gt; it</p>"
        ));
        for fetch in ["http://", "https://", "<link", " src="] {
            assert!(!page.contains(fetch), "{fetch}");
        }
    }

    #[test]
    fn the_index_links_every_checklist() {
        let page = index(&[("a b".into(), Some(true)), ("<c>".into(), None)]);
        assert!(page.contains(
            "<a href=\"/?checklist=a+b\">a b</a> — <span class=\"verdict\">READY</span>"
        ));
        assert!(page.contains("&lt;c&gt;</a> — <span class=\"verdict\">waiting"));
    }
}
