//! Blocks → the outline of a checklist: headings and list items become nested
//! [`Node`]s with the status marker as written (`[ ]`, `[x]`, `[🟡]`, a trailing
//! `[🔴]`); the legend, the notes section (blockers, decisions, dependencies,
//! risks) and the footer (`**Last Updated**: …`) are recognised and set apart.
//! Code blocks, paragraphs and quotes under an item are its notes; a code block
//! right after a list belongs to the list's last line (the deepest last item),
//! as in the seed.
//!
//! Lines a Candlefish board wrote (`↳ …` evidence, the `Candlefish:` verdict
//! quote) are not items: `↳ declared: 🟡` gives back the declared status, the
//! rest is dropped and counted.

use crate::import::blocks::{Block, Inline};

/// One heading or list item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    /// The text, without its marker, emphasis or `★`.
    pub title: String,
    /// The status marker as written: ` `, `x`, `🟡`, … (`None`: no marker).
    pub marker: Option<String>,
    /// From a `↳ declared: 🟡` line: the status a person declared (wins over `marker`).
    pub declared: Option<String>,
    /// Ends in `★`.
    pub critical: bool,
    /// The heading level, for headings.
    pub heading: Option<u8>,
    /// The first link in the title.
    pub link: Option<String>,
    /// Blocks under the item that are not items, as Markdown.
    pub notes: Vec<String>,
    /// `↳` evidence lines that were dropped.
    pub evidence: usize,
    /// Child items.
    pub children: Vec<Node>,
}

impl Node {
    /// The marker that decides the declared status.
    pub fn status_marker(&self) -> Option<&str> {
        self.declared.as_deref().or(self.marker.as_deref())
    }

    /// This node and every descendant, depth first.
    pub fn walk(&self) -> Vec<&Node> {
        let mut out = vec![self];
        for child in &self.children {
            out.extend(child.walk());
        }
        out
    }
}

/// A checklist document's outline.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outline {
    /// The `#` title.
    pub title: Option<String>,
    /// Blocks before the first section, and anything else with no better home.
    pub description: Vec<String>,
    /// The legend: (marker, meaning).
    pub legend: Vec<(String, String)>,
    /// The sections (and any items outside a section, in a section of their own).
    pub sections: Vec<Node>,
    /// Notes section: (heading, entries).
    pub notes: Vec<(String, Vec<String>)>,
    /// Footer lines: (key, value), e.g. (`Last Updated`, `2025-08-10`).
    pub footer: Vec<(String, String)>,
    /// Board output that was dropped: `Candlefish:` verdict quotes.
    pub board_lines: usize,
    /// List items with no text that were dropped.
    pub empty_items: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Normal,
    Legend(u8),
    Notes(u8),
}

/// Whether a heading names the legend.
fn is_legend(title: &str) -> bool {
    let t = title.to_lowercase();
    t.contains("legend") || t.contains("status overview") || t.contains("status key")
}

/// Whether a heading names the notes section.
fn is_notes(title: &str) -> bool {
    let t = title.to_lowercase();
    t == "notes" || t == "notes section" || t == "open questions and notes"
}

/// Whether a paragraph is a footer: every line `**Key**: value`.
fn footer_lines(source: &str) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for line in source.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let rest = line.strip_prefix("**")?;
        let (key, value) = rest.split_once("**")?;
        let value = value.trim_start_matches(':').trim();
        let key = key.trim_end_matches(':').trim();
        if key.is_empty() || key.len() > 40 {
            return None;
        }
        out.push((key.to_owned(), value.to_owned()));
    }
    (!out.is_empty()).then_some(out)
}

/// Splits a title into (marker, rest): a leading `[…]` or a trailing ` […]`.
fn split_marker(text: &str) -> (Option<String>, String) {
    let text = text.trim();
    if let Some(rest) = text.strip_prefix('[')
        && let Some((inside, after)) = rest.split_once(']')
        && inside.chars().count() <= 3
    {
        return (Some(inside.to_owned()), after.trim().to_owned());
    }
    if let Some(head) = text.strip_suffix(']')
        && let Some(open) = head.rfind('[')
    {
        let inside = &head[open + 1..];
        // `Phase [1]` is a title; `PostgreSQL [🔴]` and `Task [x]` carry markers.
        let looks_like_marker =
            matches!(inside, "x" | "X") || !inside.chars().any(|c| c.is_ascii_alphanumeric());
        if inside.chars().count() <= 3 && !inside.trim().is_empty() && looks_like_marker {
            return (Some(inside.to_owned()), head[..open].trim().to_owned());
        }
    }
    (None, text.to_owned())
}

/// A node from a title: marker, `★`, link.
fn titled(inline: &Inline, heading: Option<u8>) -> Node {
    let (marker, title) = split_marker(&inline.text);
    let (title, critical) = match title.strip_suffix('★') {
        Some(head) => (head.trim_end().to_owned(), true),
        None => (title, false),
    };
    Node {
        title,
        marker,
        critical,
        heading,
        link: inline.links.first().cloned(),
        ..Node::default()
    }
}

/// Builds the outline of a parsed document.
pub fn outline(blocks: &[Block]) -> Outline {
    let mut doc = Outline::default();
    // stack[0] is the document itself; headings open nodes above it.
    let mut stack: Vec<Node> = vec![Node::default()];
    let mut mode = Mode::Normal;
    let mut notes_key = String::new();
    let mut after_list = false;
    let mut seen_section = false;
    for block in blocks {
        let was_after_list = std::mem::replace(&mut after_list, false);
        match block {
            Block::Heading { level, inline }
                if *level == 1 && doc.title.is_none() && !seen_section =>
            {
                doc.title = Some(inline.text.clone());
            }
            Block::Heading { level, inline } => {
                let level = *level;
                match mode {
                    Mode::Notes(at) if level > at => {
                        notes_key.clone_from(&inline.text);
                        doc.notes.push((notes_key.clone(), Vec::new()));
                        continue;
                    }
                    Mode::Legend(at) | Mode::Notes(at) if level > at => continue,
                    _ => mode = Mode::Normal,
                }
                close_to(&mut stack, level);
                if is_legend(&inline.text) {
                    mode = Mode::Legend(level);
                } else if is_notes(&inline.text) {
                    mode = Mode::Notes(level);
                } else {
                    seen_section = true;
                    stack.push(titled(inline, Some(level)));
                }
            }
            Block::List { items, .. } => match mode {
                Mode::Legend(_) => legend(items, &mut doc),
                Mode::Notes(_) => {
                    if doc.notes.is_empty() {
                        doc.notes.push(("Notes".to_owned(), Vec::new()));
                    }
                    for item in items {
                        let text: Vec<String> = item.iter().map(Block::to_markdown).collect();
                        let text = text.join("\n").trim().to_owned();
                        if let Some((_, entries)) = doc.notes.last_mut()
                            && !text.is_empty()
                        {
                            entries.push(text);
                        }
                    }
                }
                Mode::Normal if !seen_section && looks_like_legend(items) => {
                    legend(items, &mut doc);
                }
                Mode::Normal => {
                    let top = stack.len() - 1;
                    for item in items {
                        if let Some(node) = list_item(item, &mut stack[top], &mut doc) {
                            stack[top].children.push(node);
                        }
                    }
                    after_list = true;
                }
            },
            Block::Paragraph { source, .. } if footer_lines(source).is_some() => {
                doc.footer.extend(footer_lines(source).unwrap_or_default());
            }
            Block::Quote { source, .. } if is_board_verdict(source) => doc.board_lines += 1,
            Block::Rule => {}
            other => {
                let markdown = other.to_markdown();
                let top = stack.len() - 1;
                match mode {
                    Mode::Notes(_) | Mode::Legend(_) => doc.description.push(markdown),
                    Mode::Normal if top == 0 => doc.description.push(markdown),
                    Mode::Normal => {
                        let node = &mut stack[top];
                        let code = matches!(other, Block::Code { .. });
                        match node.children.last_mut() {
                            Some(last) if code && was_after_list => {
                                deepest_last(last).notes.push(markdown);
                            }
                            _ => node.notes.push(markdown),
                        }
                    }
                }
            }
        }
    }
    close_to(&mut stack, 0);
    let root = stack.pop().unwrap_or_default();
    let (headed, loose): (Vec<Node>, Vec<Node>) =
        root.children.into_iter().partition(|n| n.heading.is_some());
    if !loose.is_empty() {
        doc.sections.push(Node {
            title: "Checklist".to_owned(),
            heading: Some(2),
            children: loose,
            ..Node::default()
        });
    }
    doc.sections.extend(headed);
    doc
}

/// The last item of a list as a reader sees it: the last line, however deep.
fn deepest_last(node: &mut Node) -> &mut Node {
    if node.children.is_empty() {
        node
    } else {
        let last = node.children.len() - 1;
        deepest_last(&mut node.children[last])
    }
}

/// Pops heading nodes of `level` or deeper into their parents.
fn close_to(stack: &mut Vec<Node>, level: u8) {
    while stack.len() > 1 && stack.last().and_then(|n| n.heading).unwrap_or(0) >= level {
        if let Some(node) = stack.pop()
            && let Some(parent) = stack.last_mut()
        {
            parent.children.push(node);
        }
    }
}

fn is_board_verdict(source: &str) -> bool {
    let text = source.trim_start_matches(|c: char| c == '>' || c.is_whitespace());
    text.starts_with("**Candlefish:") || text.starts_with("Candlefish:")
}

/// A list item → a node, or `None` for an empty item or a `↳` line (which
/// goes to `parent`).
fn list_item(blocks: &[Block], parent: &mut Node, doc: &mut Outline) -> Option<Node> {
    let (title, rest) = match blocks.split_first() {
        Some((Block::Paragraph { inline, .. }, rest)) => (inline.clone(), rest),
        _ => (Inline::default(), blocks),
    };
    if let Some(line) = title.text.strip_prefix('↳') {
        let line = line.trim();
        match line.strip_prefix("declared:") {
            Some(marker) => {
                parent.declared = marker.split_whitespace().next().map(str::to_owned);
            }
            None => parent.evidence += 1,
        }
        return None;
    }
    let mut node = titled(&title, None);
    for block in rest {
        match block {
            Block::List { items, .. } => {
                for item in items {
                    if let Some(child) = list_item(item, &mut node, doc) {
                        node.children.push(child);
                    }
                }
            }
            Block::Quote { source, .. } if is_board_verdict(source) => doc.board_lines += 1,
            other => node.notes.push(other.to_markdown()),
        }
    }
    if node.title.is_empty() && node.children.is_empty() && node.notes.is_empty() {
        doc.empty_items += 1;
        return None;
    }
    Some(node)
}

/// A list whose every item is `GLYPH meaning` with a non-alphanumeric glyph.
fn looks_like_legend(items: &[Vec<Block>]) -> bool {
    items.len() >= 2
        && items.iter().all(|item| match item.first() {
            Some(Block::Paragraph { inline, .. }) => {
                inline.text.split_whitespace().next().is_some_and(|g| {
                    !g.starts_with('[') && g.chars().all(|c| !c.is_alphanumeric() && !c.is_ascii())
                })
            }
            _ => false,
        })
}

fn legend(items: &[Vec<Block>], doc: &mut Outline) {
    for item in items {
        if let Some(Block::Paragraph { inline, .. }) = item.first() {
            let text = inline.text.trim();
            let (marker, meaning) = match split_marker(text) {
                (Some(m), rest) if text.starts_with('[') => (m, rest),
                _ => match text.split_once(char::is_whitespace) {
                    Some((glyph, meaning)) => (glyph.to_owned(), meaning.trim().to_owned()),
                    None => continue,
                },
            };
            doc.legend.push((marker, meaning));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::blocks::parse;

    #[test]
    fn markers_lead_or_trail() {
        assert_eq!(
            split_marker("[🟡] RTPM API"),
            (Some("🟡".into()), "RTPM API".into())
        );
        assert_eq!(split_marker("[ ] Test"), (Some(" ".into()), "Test".into()));
        assert_eq!(
            split_marker("PostgreSQL [🔴]"),
            (Some("🔴".into()), "PostgreSQL".into())
        );
        assert_eq!(split_marker("Plain text"), (None, "Plain text".into()));
        assert_eq!(split_marker("Phase [1]"), (None, "Phase [1]".into()));
        assert_eq!(
            split_marker("Uses [brackets] inside"),
            (None, "Uses [brackets] inside".into())
        );
    }

    #[test]
    fn headings_lists_code_legend_notes_and_footer() {
        let text = "# Launch\n\n## Legend\n- 🟢 Done\n- 🔴 Not done\n\n## Infra\n\n### Terraform\n\
                    - [🔴] Init\n```bash\nterraform init\n```\n- [ ] Core\n  - [x] VPC\n\n\
                    #### PostgreSQL [🔴]\n- [ ] Backups\n\n## Notes Section\n### Blockers\n- \n### Risks\n- Budget\n\n\
                    ---\n\n**Last Updated**: 2025-08-10\n**Owner**: [Name]\n";
        let doc = outline(&parse(text));
        assert_eq!(doc.title.as_deref(), Some("Launch"));
        assert_eq!(doc.legend.len(), 2);
        assert_eq!(doc.sections.len(), 1);
        let infra = &doc.sections[0];
        assert_eq!(infra.title, "Infra");
        let terraform = &infra.children[0];
        assert_eq!(terraform.children[0].title, "Init");
        assert_eq!(
            terraform.children[0].notes,
            ["```bash\nterraform init\n```"]
        );
        assert_eq!(
            terraform.children[1].children[0].marker.as_deref(),
            Some("x")
        );
        let pg = &terraform.children[2];
        assert_eq!(
            (pg.title.as_str(), pg.marker.as_deref()),
            ("PostgreSQL", Some("🔴"))
        );
        assert_eq!(
            doc.notes[1],
            ("Risks".to_owned(), vec!["Budget".to_owned()])
        );
        assert_eq!(
            doc.footer[0],
            ("Last Updated".to_owned(), "2025-08-10".to_owned())
        );
    }

    #[test]
    fn board_output_is_not_items() {
        let text = "# X\n\n> **Candlefish: NOT READY** — …\n\n## S [🔴]\n\n- [🔴] Group ★\n  - ↳ declared: 🟡 (in_progress)\n  - ↳ blocked by `y`\n  - [ ] Leaf\n";
        let doc = outline(&parse(text));
        assert_eq!(doc.board_lines, 1);
        let group = &doc.sections[0].children[0];
        assert!(group.critical);
        assert_eq!(group.status_marker(), Some("🟡"));
        assert_eq!(group.evidence, 1);
        assert_eq!(group.children.len(), 1);
    }
}
