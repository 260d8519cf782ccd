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
    /// Titles of items read from lists of tasks inside block quotes.
    pub quoted_tasks: Vec<String>,
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
    // `[x]`, `[ ]`, `[🟡]` are markers; `[P0]` and `[v2]` are words.
    let looks_like_marker = |inside: &str| {
        matches!(inside, "x" | "X") || !inside.chars().any(|c| c.is_ascii_alphanumeric())
    };
    if let Some(rest) = text.strip_prefix('[')
        && let Some((inside, after)) = rest.split_once(']')
        && inside.chars().count() <= 3
        && looks_like_marker(inside)
    {
        return (Some(inside.to_owned()), after.trim().to_owned());
    }
    if let Some(head) = text.strip_suffix(']')
        && let Some(open) = head.rfind('[')
    {
        let inside = &head[open + 1..];
        // `Phase [1]` is a title; `PostgreSQL [🔴]` and `Task [x]` carry markers.
        if inside.chars().count() <= 3 && !inside.trim().is_empty() && looks_like_marker(inside) {
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
            Block::Quote { blocks: inner, .. } if mode == Mode::Normal && holds_tasks(inner) => {
                let top = stack.len() - 1;
                quoted_tasks(inner, &mut stack[top], &mut doc);
            }
            Block::Rule => {}
            other => {
                let markdown = notes_markdown(other);
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
            Block::Quote { blocks: inner, .. } if holds_tasks(inner) => {
                quoted_tasks(inner, &mut node, doc);
            }
            other => node.notes.push(notes_markdown(other)),
        }
    }
    if node.title.is_empty() && node.children.is_empty() && node.notes.is_empty() {
        doc.empty_items += 1;
        return None;
    }
    Some(node)
}

/// The first line of a quote Candlefish's Markdown report writes around notes
/// that hold task lists, so that they read back as notes, not items.
pub const NOTES_QUOTE: &str = "<!-- candlefish: notes -->";

/// Whether a quote holds a list of tasks (`> - [ ] Confirm with legal`): such
/// tasks are items, not notes. A quote the report marked as notes is not.
fn holds_tasks(blocks: &[Block]) -> bool {
    let marked_notes =
        matches!(blocks.first(), Some(Block::Other { source }) if source.trim() == NOTES_QUOTE);
    !marked_notes
        && blocks.iter().any(|block| match block {
            Block::List { items, .. } => items.iter().any(|item| match item.first() {
                Some(Block::Paragraph { inline, .. }) => split_marker(&inline.text).0.is_some(),
                _ => false,
            }),
            _ => false,
        })
}

/// A quote's task lists become children of `parent`; the rest of the quote
/// stays its notes.
fn quoted_tasks(blocks: &[Block], parent: &mut Node, doc: &mut Outline) {
    let mut notes = Vec::new();
    for block in blocks {
        match block {
            Block::List { items, .. } if holds_tasks(std::slice::from_ref(block)) => {
                for item in items {
                    if let Some(node) = list_item(item, parent, doc) {
                        doc.quoted_tasks.push(node.title.clone());
                        parent.children.push(node);
                    }
                }
            }
            other => notes.push(other.to_markdown()),
        }
    }
    if !notes.is_empty() {
        parent.notes.push(notes.join("\n\n"));
    }
}

/// A block as notes: a quote the report marked keeps its text, not the mark.
fn notes_markdown(block: &Block) -> String {
    let markdown = block.to_markdown();
    match block {
        Block::Quote { .. } => match markdown.strip_prefix(NOTES_QUOTE) {
            Some(rest) => rest.trim_start_matches('\n').to_owned(),
            None => markdown,
        },
        _ => markdown,
    }
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
        assert_eq!(split_marker("[P0] Auth"), (None, "[P0] Auth".into()));
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
    fn tasks_in_a_quote_are_items_the_rest_notes() {
        let text = "## Legal\n\n> Before launch:\n>\n> - [ ] DPA signed\n\n> Just a remark\n> - a bullet\n\n\
                    > <!-- candlefish: notes -->\n> - [ ] kept as notes\n";
        let doc = outline(&parse(text));
        let legal = &doc.sections[0];
        assert_eq!(legal.children.len(), 1);
        assert_eq!(legal.children[0].title, "DPA signed");
        assert_eq!(doc.quoted_tasks, ["DPA signed"]);
        assert_eq!(
            legal.notes,
            [
                "Before launch:",
                "Just a remark\n- a bullet",
                "- [ ] kept as notes"
            ]
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
