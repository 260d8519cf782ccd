//! Markers written into an item's text rather than in its checkbox: a status
//! glyph at the end of the line (`Backups restored — ⏳`), priority and blocker
//! tags (`[P0]`, `(launch blocker)`) that make an item critical, `(optional)`
//! and `(nice to have)`, `(deferred)` and `(n/a)`, and a title struck through
//! as a whole (`~~Old cache~~`). Each is taken off the title and returned as
//! written, so the importer can say what it read.

/// What an item's text said besides its title.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Annotations<S> {
    /// The title without the markers.
    pub title: String,
    /// A status glyph at the end of the line, as written, and what it means.
    pub trailing: Option<(String, S)>,
    /// A tag that makes the item critical, as written (`[P0]`).
    pub critical: Option<String>,
    /// A tag that makes the item optional, as written (`(nice to have)`).
    pub optional: Option<String>,
    /// A tag that defers the item, as written (`(deferred)`).
    pub deferred: Option<String>,
    /// The whole title was struck through (`~~…~~`).
    pub struck: bool,
}

#[derive(Clone, Copy)]
enum Tag {
    Critical,
    Optional,
    Deferred,
}

/// Tags in brackets or parentheses, compared without case.
const TAGS: &[(&str, Tag)] = &[
    ("p0", Tag::Critical),
    ("blocker", Tag::Critical),
    ("launch blocker", Tag::Critical),
    ("launch-blocker", Tag::Critical),
    ("release blocker", Tag::Critical),
    ("critical", Tag::Critical),
    ("must have", Tag::Critical),
    ("must-have", Tag::Critical),
    ("optional", Tag::Optional),
    ("nice to have", Tag::Optional),
    ("nice-to-have", Tag::Optional),
    ("deferred", Tag::Deferred),
    ("postponed", Tag::Deferred),
    ("n/a", Tag::Deferred),
    ("not applicable", Tag::Deferred),
];

/// Punctuation that separates a title from a glyph at its end.
const SEPARATORS: &[char] = &['—', '–', '-', ':', '|', '·', ','];

/// Reads the markers in `text`. `glyph` says what a glyph means (the legend);
/// a trailing glyph is only read when `trailing_glyphs` is set (list items, not
/// headings, whose glyphs are part of their names).
pub fn read<S: Copy>(
    text: &str,
    trailing_glyphs: bool,
    glyph: impl Fn(&str) -> Option<S>,
) -> Annotations<S> {
    let mut out = Annotations {
        title: text.trim().to_owned(),
        trailing: None,
        critical: None,
        optional: None,
        deferred: None,
        struck: false,
    };
    // Markers come in any order (`~~Cache~~ (deferred)`, `Auth [P0] — ⏳`):
    // take them off the ends until none is left.
    loop {
        let before = out.title.len();
        if let Some((tag, written, rest)) =
            leading_tag(&out.title).or_else(|| trailing_tag(&out.title))
        {
            let slot = match tag {
                Tag::Critical => &mut out.critical,
                Tag::Optional => &mut out.optional,
                Tag::Deferred => &mut out.deferred,
            };
            slot.get_or_insert(written);
            out.title = rest;
        }
        if trailing_glyphs
            && out.trailing.is_none()
            && let Some((rest, written)) = out.title.rsplit_once(char::is_whitespace)
            && is_glyph(written)
            && let Some(meaning) = glyph(written)
        {
            let rest = rest.trim_end().trim_end_matches(SEPARATORS).trim_end();
            if !rest.is_empty() {
                out.trailing = Some((written.to_owned(), meaning));
                out.title = rest.to_owned();
            }
        }
        if out.title.len() == before {
            break;
        }
    }
    if let Some(inner) = out
        .title
        .strip_prefix("~~")
        .and_then(|t| t.strip_suffix("~~"))
        .filter(|inner| !inner.trim().is_empty() && !inner.contains("~~"))
    {
        out.title = inner.trim().to_owned();
        out.struck = true;
    }
    out
}

/// A short run of symbols with no letter or digit: `⏳`, `✅`, `➖`.
fn is_glyph(word: &str) -> bool {
    let n = word.chars().count();
    (1..=3).contains(&n) && word.chars().all(|c| !c.is_alphanumeric() && !c.is_ascii())
}

fn tag_of(inside: &str) -> Option<Tag> {
    let inside = inside.trim().to_lowercase();
    TAGS.iter().find(|(t, _)| *t == inside).map(|(_, tag)| *tag)
}

/// `[P0] Title` → (critical, `[P0]`, `Title`).
fn leading_tag(text: &str) -> Option<(Tag, String, String)> {
    let close = match text.chars().next()? {
        '[' => ']',
        '(' => ')',
        _ => return None,
    };
    let end = text.find(close)?;
    let tag = tag_of(&text[1..end])?;
    let rest = text[end + 1..]
        .trim_start()
        .trim_start_matches(SEPARATORS)
        .trim_start();
    (!rest.is_empty()).then(|| (tag, text[..=end].to_owned(), rest.to_owned()))
}

/// `Title (launch blocker)` → (critical, `(launch blocker)`, `Title`).
fn trailing_tag(text: &str) -> Option<(Tag, String, String)> {
    let open = match text.chars().next_back()? {
        ']' => '[',
        ')' => '(',
        _ => return None,
    };
    let start = text.rfind(open)?;
    let tag = tag_of(&text[start + 1..text.len() - 1])?;
    let rest = text[..start]
        .trim_end()
        .trim_end_matches(SEPARATORS)
        .trim_end();
    (!rest.is_empty()).then(|| (tag, text[start..].to_owned(), rest.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyphs(g: &str) -> Option<&'static str> {
        match g {
            "⏳" => Some("in_progress"),
            "✅" => Some("done"),
            "➖" => Some("deferred"),
            _ => None,
        }
    }

    #[test]
    fn a_glyph_at_the_end_is_a_status() {
        let a = read("Backups restored — ⏳", true, glyphs);
        assert_eq!(a.title, "Backups restored");
        assert_eq!(a.trailing, Some(("⏳".to_owned(), "in_progress")));
        assert_eq!(
            read("Docs ✅", true, glyphs).trailing.map(|t| t.1),
            Some("done")
        );
        // Unknown glyphs, glyphs on headings and a glyph alone stay text.
        assert_eq!(read("Launch 🚀", true, glyphs).title, "Launch 🚀");
        assert_eq!(read("Ops ✅", false, glyphs).title, "Ops ✅");
        assert_eq!(read("— ⏳", true, glyphs).trailing, None);
        // An ASCII word is never a glyph: `Step x` keeps its `x`.
        assert_eq!(read("Install plugin x", true, glyphs).trailing, None);
    }

    #[test]
    fn tags_mark_critical_optional_and_deferred() {
        let a = read("[P0] Auth deployed (launch blocker)", true, glyphs);
        assert_eq!(a.title, "Auth deployed");
        assert_eq!(a.critical.as_deref(), Some("[P0]"));
        let a = read("Dark mode (Nice to have)", true, glyphs);
        assert_eq!(
            (a.title.as_str(), a.optional.as_deref()),
            ("Dark mode", Some("(Nice to have)"))
        );
        assert_eq!(
            read("SMS alerts (optional)", true, glyphs)
                .optional
                .as_deref(),
            Some("(optional)")
        );
        assert_eq!(
            read("Fax gateway (N/A)", true, glyphs).deferred.as_deref(),
            Some("(N/A)")
        );
        // Other parentheses are part of the title.
        let a = read("Pre-launch (T-4 hours)", true, glyphs);
        assert_eq!(
            a,
            Annotations {
                title: "Pre-launch (T-4 hours)".into(),
                ..Annotations::default()
            }
        );
        assert_eq!(
            read("(optional)", true, glyphs).optional,
            None,
            "a tag alone is a title"
        );
    }

    #[test]
    fn a_struck_title_with_its_tag() {
        let a = read("~~Old cache warm-up~~ (deferred)", true, glyphs);
        assert_eq!(a.title, "Old cache warm-up");
        assert!(a.struck);
        assert_eq!(a.deferred.as_deref(), Some("(deferred)"));
        let partly = read("Use ~~Redis~~ Valkey", true, glyphs);
        assert!(!partly.struck);
        assert_eq!(partly.title, "Use ~~Redis~~ Valkey");
    }

    #[test]
    fn markers_combine_in_any_order() {
        let a = read("Failover drill [P0] — ⏳", true, glyphs);
        assert_eq!(a.title, "Failover drill");
        assert_eq!(a.critical.as_deref(), Some("[P0]"));
        assert_eq!(a.trailing.map(|t| t.1), Some("in_progress"));
    }
}
