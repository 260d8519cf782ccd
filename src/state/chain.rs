//! The sign-off store's hash chain: each record carries, in its `prev` field,
//! the SHA-256 of the line before it (the first record: of the checklist's
//! name), so a line removed, reordered or edited after a later one was written
//! shows as a broken link at a line number, never as a store that looks whole.
//!
//! The chain is over lines as written: [`link`] hashes a line's exact bytes,
//! [`Log::append_chained`](super::log::Log::append_chained) stamps the hash of
//! the last line on the new record, and [`verify`] walks the links. Records
//! written before the chain existed have no `prev`: they stay readable and are
//! reported as unchained. The last line has no successor, so editing it is
//! caught only by its signature (`state::sshsig`), not by the chain.

use ssh_key::sha2::{Digest as _, Sha256};

/// The field a chained record carries.
pub const FIELD: &str = "prev";

/// One non-empty line of a log, as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The 1-based line number.
    pub line: usize,
    /// The SHA-256 of the line's bytes, hex.
    pub hash: String,
    /// The `prev` the line carries, if it has one.
    pub prev: Option<String>,
}

/// A broken or missing link, for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The line it was found on.
    pub line: usize,
    /// What it means.
    pub message: String,
}

/// Hex SHA-256 of `bytes`.
pub fn hash(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, b| {
            let _ = write!(hex, "{b:02x}");
            hex
        })
}

/// Where the chain starts: the hash of the checklist's name.
pub fn genesis(checklist: &str) -> String {
    hash(checklist.as_bytes())
}

/// The link of one line: its hash and the `prev` it names.
pub fn link(line: usize, raw: &[u8]) -> Link {
    #[derive(serde::Deserialize)]
    struct Prev {
        prev: Option<String>,
    }
    let prev = serde_json::from_slice::<Prev>(raw)
        .ok()
        .and_then(|p| p.prev);
    Link {
        line,
        hash: hash(raw),
        prev,
    }
}

/// Walks the links from `genesis`: every chained line must name the line
/// before it. Returns the breaks, and the lines that carry no link at all.
pub fn verify(links: &[Link], genesis: &str) -> (Vec<Break>, Vec<usize>) {
    let mut breaks = Vec::new();
    let mut unchained = Vec::new();
    let mut expected = genesis.to_owned();
    let mut previous: Option<usize> = None;
    let mut chained_before = false;
    for (index, link) in links.iter().enumerate() {
        match &link.prev {
            None => {
                unchained.push(link.line);
                if chained_before {
                    breaks.push(Break {
                        line: link.line,
                        message: "has no chain link (`prev`), but records before it do: it was written by hand or by a Candlefish older than the chain".to_owned(),
                    });
                }
            }
            Some(prev) if *prev == expected => chained_before = true,
            Some(prev) => {
                chained_before = true;
                breaks.push(Break {
                    line: link.line,
                    message: explain(links, index, previous, prev, genesis),
                });
            }
        }
        expected.clone_from(&link.hash);
        previous = Some(link.line);
    }
    (breaks, unchained)
}

/// Why line `index`'s `prev` is not the hash of the line before it.
fn explain(
    links: &[Link],
    index: usize,
    previous: Option<usize>,
    prev: &str,
    genesis: &str,
) -> String {
    let here = links[index].line;
    if let Some(other) = links.iter().find(|l| l.hash == prev) {
        let when = if other.line > here {
            "comes after it"
        } else {
            "is not the line before it"
        };
        return format!(
            "the chain is broken: this record was written after line {}, which {when}: records were reordered or removed",
            other.line
        );
    }
    match previous {
        None if prev != genesis => "the chain is broken: the first record does not start the chain (records before it were removed, or the checklist's `name` changed)".to_owned(),
        None => "the chain is broken".to_owned(),
        Some(line) if prev == genesis => format!(
            "the chain is broken: this record starts the chain, yet line {line} comes before it (lines were added at the top)"
        ),
        Some(line) => format!(
            "the chain is broken: line {line} is not the record this one was written after (line {line} was edited, or a record between them was removed)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(lines: &[&str], genesis: &str) -> Vec<String> {
        // Builds lines that each name the one before, as the log writes them.
        let mut out = Vec::new();
        let mut prev = genesis.to_owned();
        for text in lines {
            let line = format!(r#"{{"n":"{text}","prev":"{prev}"}}"#);
            prev = hash(line.as_bytes());
            out.push(line);
        }
        out
    }

    fn links(lines: &[String]) -> Vec<Link> {
        lines
            .iter()
            .enumerate()
            .map(|(i, l)| link(i + 1, l.as_bytes()))
            .collect()
    }

    #[test]
    fn an_intact_chain_has_no_breaks() {
        let g = genesis("launch");
        let lines = chain(&["a", "b", "c"], &g);
        assert_eq!(verify(&links(&lines), &g), (vec![], vec![]));
    }

    #[test]
    fn a_removed_line_breaks_the_next() {
        let g = genesis("launch");
        let mut lines = chain(&["a", "b", "c"], &g);
        lines.remove(1);
        let (breaks, _) = verify(&links(&lines), &g);
        assert_eq!(breaks.len(), 1);
        assert_eq!(breaks[0].line, 2);
        assert!(breaks[0].message.contains("line 1 is not the record"));
    }

    #[test]
    fn a_removed_first_line_and_a_renamed_checklist_show() {
        let g = genesis("launch");
        let mut lines = chain(&["a", "b"], &g);
        lines.remove(0);
        let (breaks, _) = verify(&links(&lines), &g);
        assert_eq!(breaks[0].line, 1);
        assert!(breaks[0].message.contains("does not start the chain"));
    }

    #[test]
    fn swapped_lines_are_reported_as_reordered() {
        let g = genesis("launch");
        let mut lines = chain(&["a", "b", "c", "d"], &g);
        lines.swap(1, 2);
        let (breaks, _) = verify(&links(&lines), &g);
        let at: Vec<usize> = breaks.iter().map(|b| b.line).collect();
        assert_eq!(at, [2, 3, 4]);
        assert!(
            breaks[0]
                .message
                .contains("after line 3, which comes after it")
        );
    }

    #[test]
    fn an_edited_line_breaks_its_successor() {
        let g = genesis("launch");
        let mut lines = chain(&["a", "b", "c"], &g);
        lines[1] = lines[1].replace("\"b\"", "\"B\"");
        let (breaks, _) = verify(&links(&lines), &g);
        assert_eq!(breaks.len(), 1);
        assert_eq!(breaks[0].line, 3);
        assert!(breaks[0].message.contains("line 2 was edited"));
    }

    #[test]
    fn old_records_are_unchained_not_broken() {
        let g = genesis("launch");
        let old = r#"{"n":"old"}"#.to_owned();
        let next = format!(r#"{{"n":"new","prev":"{}"}}"#, hash(old.as_bytes()));
        let (breaks, unchained) = verify(&links(&[old.clone(), next]), &g);
        assert_eq!((breaks, unchained), (vec![], vec![1]));
        // An unchained line after chained ones is a break.
        let mut lines = chain(&["a"], &g);
        lines.push(old);
        let (breaks, _) = verify(&links(&lines), &g);
        assert_eq!(breaks[0].line, 2);
    }
}
