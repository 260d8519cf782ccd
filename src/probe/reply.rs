//! [`ReplyExpect`]: what a text reply must look like — contains, matches,
//! equals — shared by the probes that read what a server says (`tcp` banners
//! and replies, `websocket` messages), with the validation of their waits.

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::scalar::{Dur, Pattern, format_duration};
use crate::checklist::text::Text;
use crate::probe::expect::excerpt;
use crate::probe::http::Strings;

/// Expectations on a reply. Every one given must hold.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplyExpect {
    /// Text the reply must contain: one string or a list.
    #[serde(default)]
    pub contains: Strings,
    /// A regular expression the reply must match.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// The whole reply, ignoring a trailing newline.
    #[serde(default)]
    pub equals: Option<Text>,
}

impl ReplyExpect {
    /// Whether nothing is expected.
    pub fn is_empty(&self) -> bool {
        self.contains.0.is_empty() && self.matches.is_none() && self.equals.is_none()
    }

    /// Whether `text` meets every expectation.
    pub fn holds(&self, text: &str) -> bool {
        self.contains.0.iter().all(|c| text.contains(c.as_str()))
            && self.matches.as_ref().is_none_or(|p| p.0.is_match(text))
            && self
                .equals
                .as_ref()
                .is_none_or(|e| text.trim_end_matches(['\r', '\n']) == e.as_str())
    }

    /// `to contain "PONG" and match /^\+/`, for evidence.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self
            .contains
            .0
            .iter()
            .map(|c| format!("contain {:?}", c.as_str()))
            .collect();
        if let Some(p) = &self.matches {
            parts.push(format!("match /{}/", p.as_str()));
        }
        if let Some(e) = &self.equals {
            parts.push(format!("equal {:?}", e.as_str()));
        }
        format!("to {}", parts.join(" and "))
    }
}

/// Problems with a probe's waits: a zero `read_timeout`, a `max_connect_time`
/// that is zero or not below the probe's `timeout`.
pub fn validate_waits(
    read_timeout: Dur,
    max_connect_time: Option<Dur>,
    timeout: Duration,
) -> Vec<String> {
    let mut problems = Vec::new();
    if read_timeout.0.is_zero() {
        problems.push("read_timeout is 0: nothing could ever be read".to_owned());
    }
    if let Some(max) = max_connect_time {
        if max.0.is_zero() {
            problems.push("max_connect_time is 0: no connection is that fast".to_owned());
        } else if max.0 >= timeout {
            problems.push(format!(
                "max_connect_time ({max}) is not below the probe's timeout ({}): the timeout always fires first",
                format_duration(timeout)
            ));
        }
    }
    problems
}

/// Text received, for evidence: quoted, single-line, at most 80 characters.
pub fn quote(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "nothing".to_owned();
    }
    format!("{:?}", excerpt(&String::from_utf8_lossy(bytes), 80))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(contains: &[&str], matches: Option<&str>, equals: Option<&str>) -> ReplyExpect {
        ReplyExpect {
            contains: Strings(contains.iter().map(|c| Text::literal(*c)).collect()),
            matches: matches.map(|m| Pattern(regex::Regex::new(m).unwrap())),
            equals: equals.map(Text::literal),
        }
    }

    #[test]
    fn every_expectation_must_hold() {
        let e = expect(&["PONG"], Some(r"^\+"), None);
        assert!(e.holds("+PONG\r\n"));
        assert!(!e.holds("-ERR PONG"));
        assert_eq!(e.describe(), r#"to contain "PONG" and match /^\+/"#);
        let eq = expect(&[], None, Some("+PONG"));
        assert!(eq.holds("+PONG\r\n") && !eq.holds("+PONG!"));
        assert!(expect(&[], None, None).is_empty());
    }

    #[test]
    fn quotes_are_bounded() {
        assert_eq!(quote(b""), "nothing");
        assert_eq!(quote(b"SSH-2.0\r\n"), "\"SSH-2.0\"");
        assert!(quote(&[b'a'; 500]).chars().count() < 90);
    }
}
