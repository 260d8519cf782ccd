//! Markdown → a small block tree, through pulldown-cmark (CommonMark). The
//! outline builder (`outline.rs`) reads these blocks; nothing here knows what a
//! checklist is.

use std::iter::Peekable;
use std::ops::Range;

use pulldown_cmark::{CodeBlockKind, Event, OffsetIter, Options, Parser, Tag, TagEnd};

/// Inline content as plain text, with the links it holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inline {
    /// The text: emphasis dropped, code spans kept in backticks, breaks as spaces.
    pub text: String,
    /// Link destinations, in order.
    pub links: Vec<String>,
}

/// One block of a Markdown document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// `#`…`######`.
    Heading {
        /// 1 to 6.
        level: u8,
        /// Its text.
        inline: Inline,
    },
    /// A paragraph, with its source text.
    Paragraph {
        /// Its text.
        inline: Inline,
        /// The Markdown it was written as.
        source: String,
    },
    /// A list; each item is a list of blocks (a tight item's text is a paragraph).
    List {
        /// Numbered.
        ordered: bool,
        /// The items.
        items: Vec<Vec<Block>>,
    },
    /// A fenced or indented code block.
    Code {
        /// The info string after the fence (`bash`), empty for none.
        info: String,
        /// The code.
        text: String,
    },
    /// A block quote.
    Quote {
        /// Its blocks.
        blocks: Vec<Block>,
        /// The Markdown it was written as.
        source: String,
    },
    /// `---`.
    Rule,
    /// Anything else (HTML, tables, …), as written.
    Other {
        /// The Markdown it was written as.
        source: String,
    },
}

/// Lists and quotes nested deeper than this are kept as text: a hostile file
/// (`- - - - …` thousands deep) must not exhaust the stack, and the YAML it
/// becomes must stay within the checklist loader's nesting budget.
pub const MAX_NESTING: usize = 16;

/// Parses a Markdown document into blocks.
pub fn parse(text: &str) -> Vec<Block> {
    let mut events = Parser::new_ext(text, Options::empty())
        .into_offset_iter()
        .peekable();
    blocks(&mut events, text, None, 0)
}

type Events<'a> = Peekable<OffsetIter<'a>>;

/// Blocks until `end` (or the end of input).
fn blocks(events: &mut Events, src: &str, end: Option<TagEnd>, depth: usize) -> Vec<Block> {
    let mut out = Vec::new();
    // A tight list item's text arrives as bare inline events.
    let mut pending = Inline::default();
    let mut pending_range: Option<Range<usize>> = None;
    let flush = |out: &mut Vec<Block>, pending: &mut Inline, range: &mut Option<Range<usize>>| {
        if let Some(r) = range.take() {
            let mut inline = std::mem::take(pending);
            inline.text = inline.text.split_whitespace().collect::<Vec<_>>().join(" ");
            out.push(Block::Paragraph {
                inline,
                source: src.get(r).unwrap_or("").to_owned(),
            });
        }
    };
    while let Some((event, range)) = events.next() {
        match event {
            Event::End(tag) if Some(tag) == end => break,
            Event::Start(tag) if is_block(&tag) => {
                flush(&mut out, &mut pending, &mut pending_range);
                out.push(block(tag, range, events, src, depth));
            }
            Event::Rule => {
                flush(&mut out, &mut pending, &mut pending_range);
                out.push(Block::Rule);
            }
            Event::Html(html) => {
                flush(&mut out, &mut pending, &mut pending_range);
                out.push(Block::Other {
                    source: html.to_string(),
                });
            }
            other => {
                inline_event(other, &mut pending);
                pending_range = Some(match pending_range {
                    Some(r) => r.start..range.end.max(r.end),
                    None => range,
                });
            }
        }
    }
    flush(&mut out, &mut pending, &mut pending_range);
    out
}

fn is_block(tag: &Tag) -> bool {
    !matches!(
        tag,
        Tag::Emphasis
            | Tag::Strong
            | Tag::Strikethrough
            | Tag::Superscript
            | Tag::Subscript
            | Tag::Link { .. }
            | Tag::Image { .. }
    )
}

fn block(tag: Tag, range: Range<usize>, events: &mut Events, src: &str, depth: usize) -> Block {
    let source = || src.get(range.clone()).unwrap_or("").to_owned();
    let nests = matches!(tag, Tag::List(_) | Tag::BlockQuote(_));
    if nests && depth >= MAX_NESTING {
        skip_to_end(tag.to_end(), events);
        return Block::Other { source: source() };
    }
    match tag {
        Tag::Paragraph => Block::Paragraph {
            inline: inline_until(events, TagEnd::Paragraph),
            source: source(),
        },
        Tag::Heading { level, .. } => Block::Heading {
            level: level as u8,
            inline: inline_until(events, TagEnd::Heading(level)),
        },
        Tag::List(start) => {
            let ordered = start.is_some();
            let mut items = Vec::new();
            while let Some((event, _)) = events.next() {
                match event {
                    Event::Start(Tag::Item) => {
                        items.push(blocks(events, src, Some(TagEnd::Item), depth + 1));
                    }
                    Event::End(TagEnd::List(_)) => break,
                    _ => {}
                }
            }
            Block::List { ordered, items }
        }
        Tag::CodeBlock(kind) => {
            let info = match kind {
                CodeBlockKind::Fenced(info) => info.trim().to_owned(),
                CodeBlockKind::Indented => String::new(),
            };
            let mut text = String::new();
            for (event, _) in events.by_ref() {
                match event {
                    Event::Text(t) => text.push_str(&t),
                    Event::End(TagEnd::CodeBlock) => break,
                    _ => {}
                }
            }
            Block::Code { info, text }
        }
        Tag::BlockQuote(kind) => Block::Quote {
            blocks: blocks(events, src, Some(TagEnd::BlockQuote(kind)), depth + 1),
            source: source(),
        },
        other => {
            skip_to_end(other.to_end(), events);
            Block::Other { source: source() }
        }
    }
}

/// Consumes events up to the end tag matching one just started.
fn skip_to_end(end: TagEnd, events: &mut Events) {
    let mut open = 0usize;
    for (event, _) in events.by_ref() {
        match event {
            Event::Start(t) if t.to_end() == end => open += 1,
            Event::End(t) if t == end => {
                if open == 0 {
                    break;
                }
                open -= 1;
            }
            _ => {}
        }
    }
}

fn inline_until(events: &mut Events, end: TagEnd) -> Inline {
    let mut inline = Inline::default();
    for (event, _) in events.by_ref() {
        if matches!(&event, Event::End(tag) if *tag == end) {
            break;
        }
        inline_event(event, &mut inline);
    }
    inline.text = inline.text.split_whitespace().collect::<Vec<_>>().join(" ");
    inline
}

fn inline_event(event: Event, inline: &mut Inline) {
    match event {
        Event::Text(t) | Event::InlineHtml(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
            inline.text.push_str(&t);
        }
        Event::Code(c) => {
            inline.text.push('`');
            inline.text.push_str(&c);
            inline.text.push('`');
        }
        Event::SoftBreak | Event::HardBreak => inline.text.push(' '),
        Event::Start(Tag::Link { dest_url, .. }) => inline.links.push(dest_url.to_string()),
        Event::TaskListMarker(done) => inline.text.push_str(if done { "[x] " } else { "[ ] " }),
        Event::FootnoteReference(name) => inline.text.push_str(&format!("[^{name}]")),
        _ => {}
    }
}

impl Block {
    /// The Markdown this block stands for, as an item's or a section's notes.
    pub fn to_markdown(&self) -> String {
        match self {
            Block::Heading { level, inline } => {
                format!("{} {}", "#".repeat(usize::from(*level)), inline.text)
            }
            Block::Paragraph { source, .. } | Block::Other { source } => dedent(source),
            Block::Code { info, text } => {
                let fence = if text.contains("```") { "~~~~" } else { "```" };
                format!("{fence}{info}\n{}{fence}", ensure_newline(text))
            }
            Block::Quote { source, .. } => dedent(
                &source
                    .lines()
                    .map(|l| {
                        let l = l.trim_start();
                        l.strip_prefix("> ")
                            .or_else(|| l.strip_prefix('>'))
                            .unwrap_or(l)
                    })
                    .collect::<Vec<_>>()
                    .join("\n"),
            ),
            Block::List { ordered, items } => items
                .iter()
                .enumerate()
                .map(|(i, blocks)| {
                    let marker = if *ordered {
                        format!("{}. ", i + 1)
                    } else {
                        "- ".to_owned()
                    };
                    let body: Vec<String> = blocks.iter().map(Block::to_markdown).collect();
                    let body = body.join("\n").replace('\n', "\n  ");
                    format!("{marker}{body}")
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Block::Rule => "---".to_owned(),
        }
    }
}

fn ensure_newline(text: &str) -> String {
    if text.ends_with('\n') {
        text.to_owned()
    } else {
        format!("{text}\n")
    }
}

/// Removes leading whitespace from each line and trailing blank lines.
fn dedent(text: &str) -> String {
    text.lines()
        .map(str::trim_start)
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tight_and_loose_items_both_give_paragraphs() {
        let blocks = parse("- [ ] one\n  - [x] two\n\n- three\n\n  more\n");
        let Block::List { items, .. } = &blocks[0] else {
            panic!("a list: {blocks:?}")
        };
        let Block::Paragraph { inline, .. } = &items[0][0] else {
            panic!("{items:?}")
        };
        assert_eq!(inline.text, "[ ] one");
        assert!(matches!(items[0][1], Block::List { .. }));
        assert_eq!(items[1].len(), 2, "{items:?}");
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        let deep = format!("{}x\n{}y\n", "- ".repeat(50_000), ">".repeat(50_000));
        let blocks = parse(&deep);
        fn depth(blocks: &[Block]) -> usize {
            blocks
                .iter()
                .map(|b| match b {
                    Block::List { items, .. } => {
                        1 + items.iter().map(|i| depth(i)).max().unwrap_or(0)
                    }
                    Block::Quote { blocks, .. } => 1 + depth(blocks),
                    _ => 0,
                })
                .max()
                .unwrap_or(0)
        }
        assert!(depth(&blocks) <= MAX_NESTING + 1, "{}", depth(&blocks));
    }

    #[test]
    fn code_after_a_list_is_its_own_block() {
        let blocks = parse("- [ ] init\n```bash\nterraform init\n```\n- [ ] next\n");
        assert!(matches!(blocks[0], Block::List { .. }));
        assert_eq!(
            blocks[1],
            Block::Code {
                info: "bash".into(),
                text: "terraform init\n".into()
            }
        );
        assert_eq!(blocks[1].to_markdown(), "```bash\nterraform init\n```");
    }

    #[test]
    fn emphasis_is_dropped_code_kept() {
        let blocks = parse("1. **Auth** `svc` [link](https://x.example) [🔴]\n");
        let Block::List { ordered, items } = &blocks[0] else {
            panic!()
        };
        assert!(ordered);
        let Block::Paragraph { inline, .. } = &items[0][0] else {
            panic!()
        };
        assert_eq!(inline.text, "Auth `svc` link [🔴]");
        assert_eq!(inline.links, ["https://x.example"]);
    }
}
