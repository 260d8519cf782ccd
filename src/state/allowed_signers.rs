//! Who may sign: a file in OpenSSH's `allowed_signers` format (ssh-keygen(1),
//! "ALLOWED SIGNERS"), the same file `ssh-keygen -Y verify -f` reads:
//!
//! ```text
//! # principals            [options]                  key
//! ada@example.com,sre-leads  ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI… ada's laptop
//! bob@example.com  namespaces="candlefish",valid-before="20270101Z" ecdsa-sha2-nistp256 AAAA…
//! ```
//!
//! A group is a principal several lines share (`sre-leads` above): an item's
//! `manual.signers` names principals or groups. Principals may be patterns
//! (`*@example.com`, `!mallory@example.com`), as in OpenSSH. Certificate
//! authorities (`cert-authority`) are not supported and are an error, so a file
//! meant for them is never half-read.

use std::path::Path;

use jiff::Timestamp;
use ssh_key::PublicKey;

/// One line of the file.
#[derive(Debug, Clone)]
pub struct Signer {
    /// The line it is on (1-based).
    pub line: usize,
    /// Principal patterns, as written.
    pub principals: Vec<String>,
    /// The namespaces the key may sign for; any, when `None`.
    pub namespaces: Option<Vec<String>>,
    /// Not valid before.
    pub valid_after: Option<Timestamp>,
    /// Not valid after.
    pub valid_before: Option<Timestamp>,
    /// The key.
    pub key: PublicKey,
}

/// A whole `allowed_signers` file.
#[derive(Debug, Clone, Default)]
pub struct AllowedSigners {
    /// Its lines that name a key, in order.
    pub signers: Vec<Signer>,
}

impl AllowedSigners {
    /// Reads and parses `path`; errors are `path:line: message`.
    pub fn read(path: &Path) -> Result<AllowedSigners, String> {
        let bytes = crate::bounded::read_at_most(path, 1 << 20, "an allowed_signers file")?;
        let text =
            String::from_utf8(bytes).map_err(|_| format!("{}: not UTF-8 text", path.display()))?;
        AllowedSigners::parse(&text)
            .map_err(|(line, message)| format!("{}:{line}: {message}", path.display()))
    }

    /// Parses the file's text; an error names its line.
    pub fn parse(text: &str) -> Result<AllowedSigners, (usize, String)> {
        let mut signers = Vec::new();
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let trimmed = raw.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            signers.push(parse_line(line, trimmed).map_err(|m| (line, m))?);
        }
        Ok(AllowedSigners { signers })
    }

    /// The lines allowing `key` to sign in `namespace` at `at`.
    pub fn lines_for<'a>(
        &'a self,
        key: &'a ssh_key::public::KeyData,
        namespace: &'a str,
        at: Timestamp,
    ) -> impl Iterator<Item = &'a Signer> + 'a {
        self.signers.iter().filter(move |s| {
            s.key.key_data() == key
                && s.namespaces
                    .as_ref()
                    .is_none_or(|n| n.iter().any(|n| pattern(n, namespace)))
                && s.valid_after.is_none_or(|t| at >= t)
                && s.valid_before.is_none_or(|t| at <= t)
        })
    }
}

impl Signer {
    /// Whether one of this line's principals is `name` (patterns match as in
    /// OpenSSH; a negated pattern that matches excludes).
    pub fn is(&self, name: &str) -> bool {
        let mut yes = false;
        for p in &self.principals {
            if let Some(negated) = p.strip_prefix('!') {
                if pattern(negated, name) {
                    return false;
                }
            } else if pattern(p, name) {
                yes = true;
            }
        }
        yes
    }
}

/// OpenSSH's wildcard match: `*` any run of characters, `?` any one.
pub fn pattern(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    go(&p, &t)
}

fn parse_line(line: usize, text: &str) -> Result<Signer, String> {
    let (principals, rest) = split_token(text);
    let principals: Vec<String> = principals
        .split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_owned)
        .collect();
    if principals.is_empty() {
        return Err("no principals before the key".to_owned());
    }
    let (next, after) = split_token(rest);
    let (options, key_text) = if is_key_type(next) {
        ("", rest)
    } else {
        (next, after)
    };
    let mut signer = Signer {
        line,
        principals,
        namespaces: None,
        valid_after: None,
        valid_before: None,
        key: PublicKey::from_openssh(key_text.trim()).map_err(|e| {
            let kind = split_token(key_text).0;
            if kind.is_empty() {
                "no key after the principals".to_owned()
            } else if is_key_type(kind) {
                format!("the `{kind}` key cannot be read ({e}); Candlefish verifies ssh-ed25519 and ecdsa-sha2-nistp256 keys")
            } else {
                format!("`{kind}` is not a key type or a known option")
            }
        })?,
    };
    for option in split_options(options) {
        let (name, value) = option
            .split_once('=')
            .map_or((option.as_str(), None), |(n, v)| {
                (n, Some(v.trim_matches('"')))
            });
        match (name.to_ascii_lowercase().as_str(), value) {
            ("namespaces", Some(v)) => {
                signer.namespaces = Some(v.split(',').map(str::to_owned).collect());
            }
            ("valid-after", Some(v)) => signer.valid_after = Some(time(v)?),
            ("valid-before", Some(v)) => signer.valid_before = Some(time(v)?),
            ("cert-authority", _) => {
                return Err(
                    "`cert-authority`: certificate authorities are not supported; list each signer's key"
                        .to_owned(),
                );
            }
            _ => return Err(format!("`{option}` is not an allowed_signers option")),
        }
    }
    Ok(signer)
}

fn is_key_type(token: &str) -> bool {
    token.starts_with("ssh-") || token.starts_with("ecdsa-") || token.starts_with("sk-")
}

/// The first whitespace-separated token (quotes keep spaces) and the rest.
fn split_token(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    let mut quoted = false;
    for (i, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return (&text[..i], &text[i..]),
            _ => {}
        }
    }
    (text, "")
}

/// `a,b="x,y",c` → `a`, `b="x,y"`, `c`.
fn split_options(options: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in options.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => out.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `YYYYMMDD[HHMM[SS]]`, UTC with a trailing `Z`, else local time.
fn time(text: &str) -> Result<Timestamp, String> {
    let bad = || format!("`{text}` is not a time (YYYYMMDD[HHMM[SS]][Z])");
    let (digits, utc) = text
        .strip_suffix(['Z', 'z'])
        .map_or((text, false), |d| (d, true));
    if !digits.chars().all(|c| c.is_ascii_digit()) || ![8, 12, 14].contains(&digits.len()) {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| digits.get(r).map_or(Ok(0), str::parse::<i16>);
    let date = jiff::civil::date(
        num(0..4).map_err(|_| bad())?,
        num(4..6).map_err(|_| bad())? as i8,
        num(6..8).map_err(|_| bad())? as i8,
    );
    let datetime = date.at(
        num(8..10).map_err(|_| bad())? as i8,
        num(10..12).map_err(|_| bad())? as i8,
        num(12..14).map_err(|_| bad())? as i8,
        0,
    );
    let zone = if utc {
        jiff::tz::TimeZone::UTC
    } else {
        jiff::tz::TimeZone::system()
    };
    zone.to_timestamp(datetime).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIO+mrWxN58w9WKMhB1EmAkJt89rsKmCkEpNhms5f0VwW";

    #[test]
    fn reads_principals_options_and_keys() {
        let text = format!(
            "# team\n\nada@example.com,sre-leads {KEY} ada\n*@example.com,!eve@example.com namespaces=\"git,candlefish\",valid-before=\"20270101Z\" {KEY}\n"
        );
        let file = AllowedSigners::parse(&text).unwrap();
        assert_eq!(file.signers.len(), 2);
        assert_eq!(file.signers[0].line, 3);
        assert!(file.signers[0].is("sre-leads"));
        assert!(!file.signers[0].is("sre"));
        assert!(file.signers[1].is("bob@example.com"));
        assert!(!file.signers[1].is("eve@example.com"));
        let key = file.signers[0].key.key_data().clone();
        let at: Timestamp = "2026-12-01T00:00:00Z".parse().unwrap();
        assert_eq!(file.lines_for(&key, "candlefish", at).count(), 2);
        assert_eq!(file.lines_for(&key, "file", at).count(), 1);
        let later: Timestamp = "2027-02-01T00:00:00Z".parse().unwrap();
        assert_eq!(file.lines_for(&key, "candlefish", later).count(), 1);
    }

    #[test]
    fn bad_lines_name_their_line() {
        let err = AllowedSigners::parse(&format!("ok {KEY}\nada@example.com\n")).unwrap_err();
        assert_eq!(err, (2, "no key after the principals".to_owned()));
        let err = AllowedSigners::parse(&format!("ada cert-authority {KEY}\n")).unwrap_err();
        assert!(err.1.contains("not supported"), "{err:?}");
        let err = AllowedSigners::parse("ada ssh-ed25519 AAAAnotbase64!\n").unwrap_err();
        assert!(err.1.contains("cannot be read"), "{err:?}");
        let err = AllowedSigners::parse(&format!("ada valid-after=\"soon\" {KEY}\n")).unwrap_err();
        assert!(err.1.contains("is not a time"), "{err:?}");
    }

    #[test]
    fn wildcards_match_as_in_openssh() {
        assert!(pattern("*@example.com", "ada@example.com"));
        assert!(pattern("a?a", "ada"));
        assert!(!pattern("a?a", "adda"));
        assert!(pattern("*", ""));
    }
}
