//! The outline → checklist YAML that `candlefish validate` accepts: stable slug
//! ids, declared statuses from the markers (through the legend), critical flags
//! from a "critical path" list, notes, and the checklist's metadata. Serialized
//! with serde-saphyr; every decision worth knowing is returned as a message.

use std::collections::HashSet;

use serde::Serialize;
use serde_saphyr::LitString;

use crate::import::annotations;
use crate::import::legend::{Legend, StatusWord};
use crate::import::outline::{Node, Outline};

/// The checklist file, in the order a person reads it.
#[derive(Debug, Serialize)]
pub struct OutChecklist {
    version: u32,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<LitString>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_reviewed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_review: Option<String>,
    #[serde(skip_serializing_if = "OutNotes::is_empty")]
    notes: OutNotes,
    sections: Vec<OutItem>,
}

#[derive(Debug, Default, Serialize)]
struct OutNotes {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    blockers: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    decisions: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    risks: Vec<String>,
}

impl OutNotes {
    fn is_empty(&self) -> bool {
        self.blockers.is_empty()
            && self.decisions.is_empty()
            && self.dependencies.is_empty()
            && self.risks.is_empty()
    }
}

#[derive(Debug, Serialize)]
struct OutItem {
    id: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<StatusWord>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    critical: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    optional: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    docs: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notes: Option<LitString>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    items: Vec<OutItem>,
}

/// What the conversion decided, for the person running `import`.
#[derive(Debug, Default)]
pub struct Tally {
    /// Items written.
    pub items: usize,
    /// Items with a declared status from their marker.
    pub with_status: usize,
    /// Leaf list items without a marker (written as `not_started`).
    pub unmarked: Vec<String>,
    /// Headings with nothing under them but notes (written as deferred).
    pub reference: Vec<String>,
    /// Markers the legend does not know.
    pub unknown_markers: Vec<String>,
    /// Items marked critical.
    pub critical: usize,
    /// Code blocks kept as notes.
    pub code_blocks: usize,
    /// Ids that had to be made unique.
    pub renamed: usize,
    /// Items whose status came from a glyph at the end of the line.
    pub trailing: Vec<String>,
    /// Checkboxes whose status the text overrode (a glyph, a tag, a strike).
    pub over_checkbox: Vec<String>,
    /// Items struck through as a whole.
    pub struck: Vec<String>,
    /// Items with a priority, blocker, optional or deferred tag, as written.
    pub tagged: Vec<String>,
}

struct Ids {
    taken: HashSet<String>,
    renamed: usize,
}

impl Ids {
    fn unique(&mut self, title: &str, parent: Option<&str>) -> String {
        let base = slug(title);
        let mut candidates = vec![base.clone()];
        if let Some(parent) = parent {
            let joined = format!("{parent}-{base}");
            if joined.len() <= 64 {
                candidates.push(joined);
            }
        }
        for candidate in candidates {
            if self.taken.insert(candidate.clone()) {
                if candidate != base {
                    self.renamed += 1;
                }
                return candidate;
            }
        }
        self.renamed += 1;
        let mut n = 2;
        loop {
            let candidate = format!("{base}-{n}");
            if self.taken.insert(candidate.clone()) {
                return candidate;
            }
            n += 1;
        }
    }
}

/// A title as an id: lowercase ASCII letters and digits joined by `-`, at most
/// 48 characters, cut at a word boundary.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_owned();
    if out.len() > 48 {
        let cut = out[..48].rfind('-').unwrap_or(48);
        out.truncate(cut);
    }
    if out.is_empty() {
        "item".to_owned()
    } else {
        out
    }
}

fn is_critical_path(title: &str) -> bool {
    title.to_lowercase().contains("critical path")
}

struct Converter<'a> {
    legend: &'a Legend,
    ids: Ids,
    tally: Tally,
}

impl Converter<'_> {
    fn item(&mut self, node: &Node, parent: Option<&str>, critical_list: bool) -> OutItem {
        let checkbox = node
            .status_marker()
            .filter(|m| matches!(m.trim(), "" | "x" | "X"));
        // A leading glyph the legend knows (`- ✅ Done`) is the marker when
        // there is no `[…]` marker, and over a bare checkbox (`- [ ] 🟡 Half
        // done`: the glyph says more); any other leading emoji, and any on a
        // heading (`## 🟢 Ops` is a name), stays part of the title.
        let bare = ((node.status_marker().is_none() || checkbox.is_some())
            && node.heading.is_none())
        .then(|| node.title.split_once(' '))
        .flatten()
        .filter(|(glyph, _)| {
            !glyph.chars().any(|c| c.is_ascii_alphanumeric()) && glyph.chars().count() <= 3
        })
        .and_then(|(glyph, rest)| self.legend.status(glyph).map(|word| (word, rest.trim())))
        .filter(|(_, rest)| !rest.is_empty());
        let text = bare.map_or(node.title.as_str(), |(_, rest)| rest);
        let marks = annotations::read(text, node.heading.is_none(), |g| self.legend.status(g));
        let title = marks.title.clone();
        let id = self.ids.unique(&title, parent);
        self.tally.items += 1;
        let leaf = node.children.is_empty();
        let mut status = None;
        if let Some(marker) = node.status_marker().filter(|_| checkbox.is_none()) {
            match self.legend.status(marker) {
                Some(word) => status = Some(word),
                None => self
                    .tally
                    .unknown_markers
                    .push(format!("[{marker}] {}", node.title)),
            }
        }
        // What the text says is more specific than a checkbox: a glyph at
        // either end, then `(deferred)`; striking through defers an item
        // nobody ticked.
        let checked = checkbox.and_then(|m| self.legend.status(m));
        status = status
            .or(bare.map(|(word, _)| word))
            .or(marks.trailing.as_ref().map(|(_, word)| *word))
            .or(marks.deferred.as_ref().map(|_| "deferred"))
            .or(checked.filter(|word| *word == "done" && marks.struck))
            .or(marks.struck.then_some("deferred"))
            .or(checked);
        if let (Some(word), Some(box_word)) = (status, checked)
            && word != box_word
        {
            self.tally.over_checkbox.push(format!(
                "[{}] {} → {word}",
                checkbox.unwrap_or(" "),
                title
            ));
        }
        if let Some((glyph, _)) = &marks.trailing {
            self.tally.trailing.push(format!("{title} {glyph}"));
        }
        if marks.struck {
            self.tally.struck.push(format!("~~{title}~~"));
        }
        if let Some(tag) = &marks.deferred {
            self.tally.tagged.push(format!("{title} {tag}"));
        }
        if status.is_some() {
            self.tally.with_status += 1;
        } else if leaf && node.heading.is_some() {
            status = Some("deferred");
            self.tally.reference.push(node.title.clone());
        } else if leaf {
            status = Some("not_started");
            self.tally.unmarked.push(node.title.clone());
        }
        let critical =
            node.critical || marks.critical.is_some() || (critical_list && node.heading.is_none());
        if critical {
            self.tally.critical += 1;
        }
        if let Some(tag) = &marks.critical {
            self.tally.tagged.push(format!("{title} {tag}"));
        }
        let optional = !critical && (marks.optional.is_some() || status == Some("deferred"));
        if let Some(tag) = &marks.optional {
            self.tally.tagged.push(format!("{title} {tag}"));
        }
        self.tally.code_blocks += node.notes.iter().filter(|n| is_code(n)).count();
        let notes = node.notes.join("\n\n");
        let children_critical = critical_list || is_critical_path(&node.title);
        let items = node
            .children
            .iter()
            .map(|child| self.item(child, Some(&id), children_critical))
            .collect();
        OutItem {
            title,
            status,
            critical,
            optional,
            docs: node.link.clone(),
            notes: (!notes.trim().is_empty()).then_some(LitString(notes)),
            items,
            id,
        }
    }
}

fn is_code(markdown: &str) -> bool {
    markdown.starts_with("```") || markdown.starts_with("~~~")
}

/// The footer's and notes section's facts, and what was left out.
#[derive(Debug, Default)]
pub struct Metadata {
    /// Messages about footer lines that were placeholders or not dates.
    pub skipped: Vec<String>,
}

fn placeholder(value: &str) -> bool {
    let v = value.trim();
    v.is_empty()
        || (v.starts_with('[') && v.ends_with(']'))
        || matches!(v.to_lowercase().as_str(), "tbd" | "tba" | "n/a" | "-" | "?")
}

/// Converts an outline; `name` is used when the document has no `#` title.
pub fn convert(outline: &Outline, name: &str, legend: &Legend) -> (OutChecklist, Tally, Metadata) {
    let mut converter = Converter {
        legend,
        ids: Ids {
            taken: HashSet::new(),
            renamed: 0,
        },
        tally: Tally::default(),
    };
    let sections: Vec<OutItem> = outline
        .sections
        .iter()
        .map(|s| converter.item(s, None, false))
        .collect();
    converter.tally.renamed = converter.ids.renamed;
    let mut meta = Metadata::default();
    let mut description: Vec<String> = outline.description.clone();
    let mut checklist = OutChecklist {
        version: 1,
        name: outline.title.clone().unwrap_or_else(|| name.to_owned()),
        owner: None,
        description: None,
        last_reviewed: None,
        next_review: None,
        notes: OutNotes::default(),
        sections,
    };
    for (key, value) in &outline.footer {
        let k = key.to_lowercase();
        let target = if k.contains("last") || k == "updated" || k == "reviewed" {
            Some(&mut checklist.last_reviewed)
        } else if k.contains("next") {
            Some(&mut checklist.next_review)
        } else if k == "owner" || k == "owners" {
            None
        } else {
            description.push(format!("**{key}**: {value}"));
            continue;
        };
        if placeholder(value) {
            meta.skipped
                .push(format!("`{key}: {value}` is a placeholder"));
            continue;
        }
        match target {
            Some(slot) => {
                if let Ok(date) = value.trim().parse::<jiff::civil::Date>() {
                    *slot = Some(date.to_string());
                } else {
                    meta.skipped
                        .push(format!("`{key}: {value}` is not a date (YYYY-MM-DD)"));
                    description.push(format!("**{key}**: {value}"));
                }
            }
            None => checklist.owner = Some(value.trim().to_owned()),
        }
    }
    if let (Some(last), Some(next)) = (&checklist.last_reviewed, &checklist.next_review)
        && next < last
    {
        meta.skipped.push(format!(
            "next review {next} is before last update {last}: next review left out"
        ));
        checklist.next_review = None;
    }
    for (heading, entries) in &outline.notes {
        let h = heading.to_lowercase();
        let slot = if h.contains("blocker") {
            &mut checklist.notes.blockers
        } else if h.contains("decision") {
            &mut checklist.notes.decisions
        } else if h.contains("dependenc") {
            &mut checklist.notes.dependencies
        } else if h.contains("risk") {
            &mut checklist.notes.risks
        } else {
            if !entries.is_empty() {
                let list: Vec<String> = entries.iter().map(|e| format!("- {e}")).collect();
                description.push(format!("{heading}:\n{}", list.join("\n")));
            }
            continue;
        };
        slot.extend(entries.iter().cloned());
    }
    let description = description.join("\n\n");
    if !description.trim().is_empty() {
        checklist.description = Some(LitString(description));
    }
    (checklist, converter.tally, meta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_and_plain() {
        assert_eq!(
            slug("RTPM API on Fly.io - Verify endpoints and performance"),
            "rtpm-api-on-fly-io-verify-endpoints-and"
        );
        assert_eq!(slug("Pre-Launch (T-4 hours)"), "pre-launch-t-4-hours");
        assert_eq!(slug("🟢🟢"), "item");
    }

    fn converted(title: &str, marker: Option<&str>) -> OutItem {
        let legend = Legend::default();
        let mut converter = Converter {
            legend: &legend,
            ids: Ids {
                taken: HashSet::new(),
                renamed: 0,
            },
            tally: Tally::default(),
        };
        let node = Node {
            title: title.to_owned(),
            marker: marker.map(str::to_owned),
            ..Node::default()
        };
        converter.item(&node, None, false)
    }

    #[test]
    fn the_text_says_more_than_a_checkbox() {
        let status = |title, marker| converted(title, marker).status;
        assert_eq!(status("🟡 Switch", Some(" ")), Some("in_progress"));
        assert_eq!(status("Switch — ⏳", Some(" ")), Some("in_progress"));
        assert_eq!(status("~~Switch~~", Some(" ")), Some("deferred"));
        assert_eq!(status("~~Switch~~", Some("x")), Some("done"));
        assert_eq!(status("Switch (n/a)", Some("x")), Some("deferred"));
        assert_eq!(
            status("Switch — ⏳", Some("🔴")),
            Some("not_started"),
            "a [glyph] wins"
        );
        assert_eq!(status("Switch", Some(" ")), Some("not_started"));
        let tagged = converted("[P0] Switch (optional)", Some(" "));
        assert!(
            tagged.critical && !tagged.optional,
            "critical wins over optional"
        );
        let optional = converted("Switch (nice to have)", None);
        assert!(optional.optional && optional.status == Some("not_started"));
    }

    #[test]
    fn ids_are_unique_and_stable() {
        let mut ids = Ids {
            taken: HashSet::new(),
            renamed: 0,
        };
        assert_eq!(ids.unique("Backups", Some("postgres")), "backups");
        assert_eq!(ids.unique("Backups", Some("redis")), "redis-backups");
        assert_eq!(ids.unique("Backups", Some("redis")), "backups-2");
        assert_eq!(ids.renamed, 2);
    }
}
