//! Reading damaged text: files that are not UTF-8 (read as Windows-1252), and
//! UTF-8 that was once read as Windows-1252 and saved again — mojibake such as
//! `ðŸŸ¢` for 🟢 or `â€”` for —.
//!
//! The repair maps each run of characters Windows-1252 can represent back to
//! its bytes and keeps the result only where those bytes are valid UTF-8 for a
//! multi-byte character. Text that was never damaged is left alone: genuine
//! characters outside Windows-1252 end a run, and a run whose bytes are not
//! UTF-8 stays as it was.

use encoding_rs::WINDOWS_1252;

/// Text after decoding and repair, with what was done to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    /// The text.
    pub text: String,
    /// The file was not UTF-8 and was read as Windows-1252.
    pub read_as_windows_1252: bool,
    /// How many characters were repaired.
    pub repaired: usize,
    /// Up to five distinct repairs, damaged → repaired.
    pub examples: Vec<(String, String)>,
}

/// Decodes a file's bytes (UTF-8 with or without BOM, else Windows-1252) and
/// repairs double-encoded UTF-8.
pub fn decode(bytes: &[u8]) -> Decoded {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let (text, read_as_windows_1252) = if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), false)
    } else {
        let (text, _) = WINDOWS_1252.decode_without_bom_handling(bytes);
        (text.into_owned(), true)
    };
    let mut decoded = Decoded {
        text,
        read_as_windows_1252,
        repaired: 0,
        examples: Vec::new(),
    };
    // Text damaged twice needs two passes; stop when nothing changes.
    for _ in 0..3 {
        let (text, repaired, examples) = repair(&decoded.text);
        if repaired == 0 {
            break;
        }
        decoded.text = text;
        decoded.repaired += repaired;
        for example in examples {
            if decoded.examples.len() < 5 && !decoded.examples.contains(&example) {
                decoded.examples.push(example);
            }
        }
    }
    decoded
}

/// The Windows-1252 byte for a character, if it has one (ASCII excluded).
fn cp1252_byte(c: char) -> Option<u8> {
    if c.is_ascii() {
        return None;
    }
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = WINDOWS_1252.encode(c.encode_utf8(&mut buf));
    match (unmappable, bytes.as_ref()) {
        (false, [b]) => Some(*b),
        _ => None,
    }
}

/// Repairs one pass: returns the text, the number of characters repaired and
/// examples.
fn repair(text: &str) -> (String, usize, Vec<(String, String)>) {
    let mut out = String::with_capacity(text.len());
    let mut repaired = 0;
    let mut examples = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // A run of characters that each map to one Windows-1252 byte.
        let mut run = Vec::new();
        let mut bytes = Vec::new();
        while let Some(b) = chars.get(i + run.len()).copied().and_then(cp1252_byte) {
            run.push(chars[i + run.len()]);
            bytes.push(b);
        }
        if run.is_empty() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        // Inside the run, decode every valid multi-byte UTF-8 sequence.
        let mut j = 0;
        while j < bytes.len() {
            if let Some((c, len)) = utf8_sequence(&bytes[j..]) {
                out.push(c);
                repaired += 1;
                if examples.len() < 5 {
                    let damaged: String = run[j..j + len].iter().collect();
                    let example = (damaged, c.to_string());
                    if !examples.contains(&example) {
                        examples.push(example);
                    }
                }
                j += len;
            } else {
                out.push(run[j]);
                j += 1;
            }
        }
        i += run.len();
    }
    (out, repaired, examples)
}

/// The character a multi-byte UTF-8 sequence at the start of `bytes` encodes.
fn utf8_sequence(bytes: &[u8]) -> Option<(char, usize)> {
    let len = match bytes.first()? {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return None,
    };
    let text = std::str::from_utf8(bytes.get(..len)?).ok()?;
    text.chars().next().map(|c| (c, len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repairs_the_seeds_emoji() {
        let d = decode("- [ðŸŸ¡] RTPM API\n- âšª Optional".as_bytes());
        assert_eq!(d.text, "- [🟡] RTPM API\n- ⚪ Optional");
        assert_eq!(d.repaired, 2);
        assert_eq!(d.examples[0], ("ðŸŸ¡".to_owned(), "🟡".to_owned()));
    }

    #[test]
    fn repairs_punctuation_and_leaves_good_text_alone() {
        assert_eq!(decode("a â€” b".as_bytes()).text, "a — b");
        let good = "Café — naïve 🟢 ⚪ 100 °C, £5";
        let d = decode(good.as_bytes());
        assert_eq!(d.text, good);
        assert_eq!(d.repaired, 0);
    }

    #[test]
    fn mixed_damaged_and_good_text() {
        let d = decode("🟢 ok, ðŸ”´ not".as_bytes());
        assert_eq!(d.text, "🟢 ok, 🔴 not");
    }

    #[test]
    fn text_damaged_twice_is_repaired_twice() {
        // 🟢 read as Windows-1252 twice.
        let once = "ðŸŸ¢";
        let (twice, _) = WINDOWS_1252.decode_without_bom_handling(once.as_bytes());
        assert_eq!(decode(twice.as_bytes()).text, "🟢");
    }

    #[test]
    fn windows_1252_files_are_read_as_such() {
        let d = decode(b"caf\xe9 \x96 ok");
        assert!(d.read_as_windows_1252);
        assert_eq!(d.text, "café – ok");
        assert_eq!(decode(b"\xEF\xBB\xBFhello").text, "hello");
    }
}
