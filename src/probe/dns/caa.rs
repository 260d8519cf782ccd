//! Which certificate authorities may issue for a name, as a CA decides it
//! (RFC 8659): the relevant CAA record set is the one at the name or, if it
//! has none, at its closest parent that has one (the root excluded); its
//! `issue` properties name the CAs allowed (an empty value allows none), and
//! `issuewild`, when present, takes their place for wildcard certificates.
//! No CAA record anywhere up the tree lets any CA issue.

use hickory_resolver::TokioResolver;
use hickory_resolver::proto::rr::RecordType;

use super::Records;
use super::resolve::{lookup, name_text};
use crate::outcome::Check;
use crate::probe::expect::check;

/// What the relevant CAA record set allows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Issuers {
    /// Where the relevant set was found; `None`: no CAA record up the tree.
    pub owner: Option<String>,
    /// The CA domains allowed, lowercase, without duplicates.
    pub allowed: Vec<String>,
    /// A critical property Candlefish does not know: no CA may issue.
    pub blocked_by: Option<String>,
}

/// One CAA record as [`super::resolve`] renders it: `[flags ]tag "value"`.
fn parse(record: &str) -> Option<(bool, String, String)> {
    let (head, value) = record.split_once('"')?;
    let value = value.strip_suffix('"').unwrap_or(value);
    let mut words = head.split_whitespace();
    let first = words.next()?;
    let (critical, tag) = match first.parse::<u8>() {
        Ok(flags) => (flags & 0x80 != 0, words.next()?),
        Err(_) => (false, first),
    };
    Some((critical, tag.to_ascii_lowercase(), value.to_owned()))
}

/// The CAs a record set allows, for ordinary (`wildcard` false) or wildcard certificates.
pub fn allowed(owner: &str, records: &[String], wildcard: bool) -> Issuers {
    let parsed: Vec<(bool, String, String)> = records.iter().filter_map(|r| parse(r)).collect();
    let known = [
        "issue",
        "issuewild",
        "iodef",
        "contactemail",
        "contactphone",
        "issuemail",
        "issuevmc",
    ];
    let blocked_by = parsed
        .iter()
        .find(|(critical, tag, _)| *critical && !known.contains(&tag.as_str()))
        .map(|(_, tag, _)| tag.clone());
    let has_wild = parsed.iter().any(|(_, tag, _)| tag == "issuewild");
    let tag = if wildcard && has_wild {
        "issuewild"
    } else {
        "issue"
    };
    let mut allowed: Vec<String> = Vec::new();
    for (_, t, value) in &parsed {
        if t != tag {
            continue;
        }
        let domain = name_text(value.split(';').next().unwrap_or("").trim());
        if !domain.is_empty() && !allowed.contains(&domain) {
            allowed.push(domain);
        }
    }
    Issuers {
        owner: Some(name_text(owner)),
        allowed,
        blocked_by,
    }
}

/// Finds the relevant record set for `fqdn`, climbing towards the root.
pub async fn relevant(
    resolver: &TokioResolver,
    fqdn: &str,
    server: &str,
    wildcard: bool,
) -> Result<Issuers, String> {
    let mut name = fqdn.trim_end_matches('.').to_owned();
    loop {
        let answer = lookup(resolver, &format!("{name}."), RecordType::CAA, server).await?;
        if !answer.values.is_empty() {
            return Ok(allowed(&name, &answer.values, wildcard));
        }
        match name.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => name = parent.to_owned(),
            _ => return Ok(Issuers::default()),
        }
    }
}

impl Issuers {
    /// The CAs allowed, for evidence.
    pub fn shown(&self, fqdn: &str) -> String {
        match (&self.owner, &self.blocked_by) {
            (None, _) => format!(
                "any CA (no CAA record on {} or its parents)",
                name_text(fqdn)
            ),
            (Some(owner), Some(tag)) => {
                format!("no CA (CAA at {owner} has a critical `{tag}` no CA knows)")
            }
            (Some(owner), None) if self.allowed.is_empty() => {
                format!("no CA (CAA at {owner} allows none)")
            }
            (Some(owner), None) => format!("{} (CAA at {owner})", self.allowed.join(", ")),
        }
    }

    fn may(&self, ca: &str) -> bool {
        match (&self.owner, &self.blocked_by) {
            (None, _) => true,
            (Some(_), Some(_)) => false,
            (Some(_), None) => self.allowed.iter().any(|a| *a == name_text(ca.trim())),
        }
    }

    fn open(&self) -> bool {
        self.owner.is_none()
    }

    fn restricted(&self) -> Vec<&str> {
        if self.blocked_by.is_some() {
            Vec::new()
        } else {
            self.allowed.iter().map(String::as_str).collect()
        }
    }
}

/// Compares what may issue with the expectation (`what` is `CAs that may
/// issue for x` or `… wildcard certificates for x`).
pub fn compare(what: &str, expect: &Records, found: &Issuers, fqdn: &str) -> Vec<Check> {
    let got = found.shown(fqdn);
    if let Some(exists) = expect.exists
        && expect.equals.is_none()
        && expect.contains.0.is_empty()
        && expect.one_of.is_none()
        && expect.matches.is_none()
    {
        let expected = if exists {
            format!("a CAA record limiting the {what}")
        } else {
            format!("no CAA record: any CA among the {what}")
        };
        return vec![check(exists != found.open(), expected, got)];
    }
    let mut checks = Vec::new();
    let allowed = found.restricted();
    if let Some(equals) = &expect.equals {
        let wanted: Vec<String> = equals.0.iter().map(|e| name_text(e.trim())).collect();
        let ok = !found.open()
            && wanted.iter().all(|w| allowed.contains(&w.as_str()))
            && allowed.iter().all(|a| wanted.iter().any(|w| w == a));
        checks.push(check(
            ok,
            format!("{what}: exactly {}", wanted.join(", ")),
            got.clone(),
        ));
    }
    for ca in &expect.contains.0 {
        checks.push(check(
            found.may(ca),
            format!("{} among the {what}", ca.as_str()),
            got.clone(),
        ));
    }
    if let Some(one_of) = &expect.one_of {
        let wanted: Vec<String> = one_of.0.iter().map(|e| name_text(e.trim())).collect();
        let ok = !found.open() && allowed.iter().all(|a| wanted.iter().any(|w| w == a));
        checks.push(check(
            ok,
            format!("{what}: only among {}", wanted.join(", ")),
            got.clone(),
        ));
    }
    if let Some(pattern) = &expect.matches {
        checks.push(check(
            allowed.iter().any(|a| pattern.0.is_match(a)),
            format!("{what} matching /{}/", pattern.as_str()),
            got.clone(),
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(records: &[&str], wildcard: bool) -> Issuers {
        let records: Vec<String> = records.iter().map(|r| (*r).to_owned()).collect();
        allowed("candlefish.test", &records, wildcard)
    }

    #[test]
    fn issue_and_issuewild_are_read_as_a_ca_reads_them() {
        let both = [
            r#"issue "letsencrypt.org; validationmethods=dns-01""#,
            r#"issue "Pki.Goog""#,
            r#"issuewild "digicert.com""#,
            r#"iodef "mailto:security@candlefish.test""#,
        ];
        assert_eq!(set(&both, false).allowed, ["letsencrypt.org", "pki.goog"]);
        assert_eq!(set(&both, true).allowed, ["digicert.com"]);
        assert_eq!(
            set(&both[..2], true).allowed,
            ["letsencrypt.org", "pki.goog"]
        );
        let none = set(&[r#"issue ";""#], false);
        assert!(none.allowed.is_empty());
        assert_eq!(
            none.shown("candlefish.test."),
            "no CA (CAA at candlefish.test allows none)"
        );
        let critical = set(&[r#"issue "letsencrypt.org""#, r#"128 tbs "x""#], false);
        assert!(!critical.may("letsencrypt.org"));
        assert!(Issuers::default().may("anyone.example"));
    }
}
