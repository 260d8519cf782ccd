//! Asking a person: lines read from stdin on a thread of their own, so a
//! prompt can be abandoned when Ctrl-C cancels the run; and the answers the
//! prompts accept (`c`, `f reason`, `s reason`, `q`, …), parsed.

use std::io::{BufRead as _, Read as _, Write as _};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::commands::say_more;

/// The longest line read from the terminal; the rest of a longer one is dropped.
const MAX_LINE: u64 = 64 << 10;

/// Lines typed at the terminal.
pub struct Input {
    lines: mpsc::UnboundedReceiver<String>,
}

/// Why no line came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoLine {
    /// Ctrl-C.
    Cancelled,
    /// stdin is closed.
    Closed,
}

impl Input {
    /// Starts reading stdin, line by line, on a thread of its own.
    pub fn spawn() -> Input {
        let (tx, lines) = mpsc::unbounded_channel();
        std::thread::spawn(move || {
            let stdin = std::io::stdin();
            loop {
                let mut line = String::new();
                let mut limited = stdin.lock().take(MAX_LINE);
                match limited.read_line(&mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        if !line.ends_with('\n') {
                            // Too long: drop the rest of it.
                            let mut rest = Vec::new();
                            let _ = stdin.lock().read_until(b'\n', &mut rest);
                        }
                        if tx.send(line.trim().to_owned()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Input { lines }
    }

    /// Prints `prompt` and waits for a line.
    pub async fn line(
        &mut self,
        prompt: &str,
        cancel: &CancellationToken,
    ) -> Result<String, NoLine> {
        say_more!("{prompt}");
        let _ = std::io::stdout().flush();
        tokio::select! {
            biased;
            () = cancel.cancelled() => Err(NoLine::Cancelled),
            line = self.lines.recv() => line.ok_or(NoLine::Closed),
        }
    }
}

/// What a person answered at a step's prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// `c [evidence]`: done and checked.
    Confirm(Option<String>),
    /// `f [reason]`: not done, or not good.
    Fail(Option<String>),
    /// `s [reason]`: not done on purpose.
    Skip(Option<String>),
    /// `r`: run it again.
    Retry,
    /// `p [reason]`: go on despite a no-go.
    Proceed(Option<String>),
    /// `q`: stop here; `--resume` continues.
    Quit,
}

/// Parses an answer: a letter or word (`c`, `confirm`, …), then optional text.
/// `allowed` lists the letters this prompt takes.
pub fn parse(line: &str, allowed: &str) -> Option<Answer> {
    let line = line.trim();
    let (word, rest) = line
        .split_once(char::is_whitespace)
        .map_or((line, ""), |(w, r)| (w, r.trim()));
    let text = (!rest.is_empty()).then(|| rest.to_owned());
    let letter = match word.to_ascii_lowercase().as_str() {
        "c" | "confirm" | "y" | "yes" | "continue" => 'c',
        "f" | "fail" => 'f',
        "s" | "skip" => 's',
        "r" | "retry" => 'r',
        "p" | "proceed" => 'p',
        "q" | "quit" => 'q',
        _ => return None,
    };
    if !allowed.contains(letter) {
        return None;
    }
    Some(match letter {
        'c' => Answer::Confirm(text),
        'f' => Answer::Fail(text),
        's' => Answer::Skip(text),
        'r' => Answer::Retry,
        'p' => Answer::Proceed(text),
        _ => Answer::Quit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_a_letter_or_word_then_text() {
        assert_eq!(parse("c", "cfsq"), Some(Answer::Confirm(None)));
        assert_eq!(
            parse("  confirm  https://wiki/backups ", "cfsq"),
            Some(Answer::Confirm(Some("https://wiki/backups".into())))
        );
        assert_eq!(
            parse("s not needed: no schema change", "cfsq"),
            Some(Answer::Skip(Some("not needed: no schema change".into())))
        );
        assert_eq!(parse("F", "cfsq"), Some(Answer::Fail(None)));
        assert_eq!(parse("q", "cfsq"), Some(Answer::Quit));
        assert_eq!(parse("r", "cfsq"), None, "not offered here");
        assert_eq!(parse("", "cfsq"), None);
        assert_eq!(parse("yolo", "cfsq"), None);
        assert_eq!(parse("r", "rcq"), Some(Answer::Retry));
        assert_eq!(parse("c", "rcq"), Some(Answer::Confirm(None)));
    }
}
