//! The `dns` probe's comparison: record answers against `equals`, `contains`,
//! `one_of`, `matches` and `exists`, and the SPF/DMARC presence checks. Values
//! are compared the way DNS means them: names without case or trailing dot,
//! addresses as addresses, an MX without a preference by its host alone.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use hickory_resolver::proto::rr::RecordType;

use super::Records;
use super::resolve::{Answer, name_text};
use crate::outcome::Check;
use crate::probe::expect::{check, excerpt};

/// Problems with the expected values of one record type.
pub fn validate(kind: RecordType, records: &Records) -> Vec<String> {
    let mut problems = Vec::new();
    let given = records.equals.is_some()
        || !records.contains.0.is_empty()
        || records.one_of.is_some()
        || records.matches.is_some();
    if records.exists == Some(false) && given {
        problems.push(format!(
            "{kind}: `exists: false` expects no records, so it cannot be combined with other expectations"
        ));
    }
    for (label, list) in [("equals", &records.equals), ("one_of", &records.one_of)] {
        if list.as_ref().is_some_and(|l| l.0.is_empty()) {
            problems.push(format!(
                "{kind}: `{label}` is empty; to expect no records write `exists: false`"
            ));
        }
    }
    let values = records
        .equals
        .iter()
        .chain(records.one_of.iter())
        .chain(std::iter::once(&records.contains))
        .flat_map(|list| list.0.iter());
    for value in values {
        let bad = match kind {
            RecordType::A => value.trim().parse::<Ipv4Addr>().is_err(),
            RecordType::AAAA => value.trim().parse::<Ipv6Addr>().is_err(),
            _ => false,
        };
        if bad {
            problems.push(format!(
                "{kind}: `{}` is not an {} address",
                value.as_str(),
                if kind == RecordType::A {
                    "IPv4"
                } else {
                    "IPv6"
                }
            ));
        }
    }
    problems
}

/// The answer for evidence: its values, or why there are none.
pub fn listed(answer: &Answer) -> String {
    const SHOWN: usize = 6;
    if answer.values.is_empty() {
        return if answer.nxdomain {
            "no such name (NXDOMAIN)".to_owned()
        } else {
            "no records".to_owned()
        };
    }
    let mut text = answer
        .values
        .iter()
        .take(SHOWN)
        .map(|v| excerpt(v, 80))
        .collect::<Vec<_>>()
        .join(", ");
    if answer.values.len() > SHOWN {
        text.push_str(&format!(" and {} more", answer.values.len() - SHOWN));
    }
    text
}

/// Compares the records of one type with their expectations.
pub fn compare(kind: RecordType, records: &Records, answer: &Answer) -> Vec<Check> {
    let got = listed(answer);
    let values = &answer.values;
    if records.exists == Some(false) {
        return vec![check(values.is_empty(), format!("no {kind} records"), got)];
    }
    if values.is_empty() {
        return vec![check(false, format!("{kind} records"), got)];
    }
    let mut checks = Vec::new();
    let has = |wanted: &str| values.iter().any(|v| same(kind, wanted, v));
    if let Some(equals) = &records.equals {
        let all_there = equals.0.iter().all(|e| has(e));
        let nothing_else = values
            .iter()
            .all(|v| equals.0.iter().any(|e| same(kind, e, v)));
        checks.push(check(
            all_there && nothing_else,
            format!("{kind} {}", joined(&equals.0)),
            got.clone(),
        ));
    }
    for wanted in &records.contains.0 {
        checks.push(check(
            has(wanted),
            format!("{kind} to include {}", wanted.as_str()),
            got.clone(),
        ));
    }
    if let Some(allowed) = &records.one_of {
        let ok = values
            .iter()
            .all(|v| allowed.0.iter().any(|e| same(kind, e, v)));
        checks.push(check(
            ok,
            format!("{kind} to be one of {}", joined(&allowed.0)),
            got.clone(),
        ));
    }
    if let Some(pattern) = &records.matches {
        checks.push(check(
            values.iter().any(|v| pattern.0.is_match(v)),
            format!("{kind} matching /{}/", pattern.as_str()),
            got.clone(),
        ));
    }
    if checks.is_empty() {
        checks.push(check(true, format!("{kind} records"), got));
    }
    checks
}

/// Exactly one TXT record starting with `prefix` (SPF, DMARC): the check,
/// and the record (or its absence) for the summary.
pub fn policy(label: &str, prefix: &str, answer: &Answer) -> (Check, String) {
    let found: Vec<&String> = answer
        .values
        .iter()
        .filter(|v| {
            v.get(..prefix.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(prefix))
                && v[prefix.len()..]
                    .chars()
                    .next()
                    .is_none_or(|c| c == ' ' || c == ';')
        })
        .collect();
    let expected = format!("one {label} record (TXT \"{prefix} …\")");
    match found.as_slice() {
        [] => {
            let got = if answer.values.is_empty() {
                listed(answer)
            } else {
                format!("only other TXT records: {}", listed(answer))
            };
            (check(false, expected, got), format!("{label} none"))
        }
        [one] => (
            check(true, expected, excerpt(one, 120)),
            format!("{label} {}", excerpt(one, 60)),
        ),
        many => (
            check(
                false,
                expected,
                format!(
                    "{} of them, which receivers treat as none: {}",
                    many.len(),
                    many.iter()
                        .map(|v| excerpt(v, 60))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            format!("{label} {} records", many.len()),
        ),
    }
}

fn joined(values: &[crate::checklist::text::Text]) -> String {
    values
        .iter()
        .map(crate::checklist::text::Text::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as compared: canonical per record type.
fn normalize(kind: RecordType, value: &str) -> String {
    let value = value.trim();
    match kind {
        RecordType::A | RecordType::AAAA => value
            .parse::<IpAddr>()
            .map_or_else(|_| value.to_owned(), |ip| ip.to_string()),
        RecordType::CNAME | RecordType::NS => name_text(value),
        RecordType::MX => match value.split_once(' ') {
            Some((preference, host)) if preference.parse::<u16>().is_ok() => {
                format!("{preference} {}", name_text(host.trim()))
            }
            _ => name_text(value),
        },
        RecordType::SRV => {
            let words: Vec<&str> = value.split_whitespace().collect();
            match words.split_last() {
                Some((target, numbers)) => {
                    let mut parts: Vec<String> = numbers.iter().map(|n| (*n).to_owned()).collect();
                    parts.push(name_text(target));
                    parts.join(" ")
                }
                None => String::new(),
            }
        }
        RecordType::CAA => {
            let plain = value.replace('"', "").to_ascii_lowercase();
            let words: Vec<&str> = plain.split_whitespace().collect();
            match words.as_slice() {
                ["0", rest @ ..] => rest.join(" "),
                _ => words.join(" "),
            }
        }
        _ => value.to_owned(),
    }
}

/// Whether an expected value names an answer.
fn same(kind: RecordType, expected: &str, answer: &str) -> bool {
    let (e, a) = (normalize(kind, expected), normalize(kind, answer));
    if kind == RecordType::MX && !e.contains(' ') {
        return a.split_once(' ').is_some_and(|(_, host)| host == e);
    }
    // SRV written as `port target` or `target`: the words given must end the answer.
    if kind == RecordType::SRV {
        let (given, answer): (Vec<&str>, Vec<&str>) =
            (e.split(' ').collect(), a.split(' ').collect());
        return given.len() <= answer.len()
            && matches!(given.len(), 1 | 2 | 4)
            && answer.ends_with(&given);
    }
    e == a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::text::Text;
    use crate::outcome::Verdict;
    use crate::probe::http::Strings;

    fn answer(values: &[&str]) -> Answer {
        Answer {
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            nxdomain: false,
        }
    }

    fn list(values: &[&str]) -> Strings {
        Strings(values.iter().map(|v| Text::literal(*v)).collect())
    }

    #[test]
    fn values_compare_as_dns_means_them() {
        assert!(same(
            RecordType::CNAME,
            "Edge.Example.com.",
            "edge.example.com"
        ));
        assert!(same(RecordType::MX, "mx.example.com", "10 mx.example.com"));
        assert!(same(
            RecordType::MX,
            "10 MX.example.com.",
            "10 mx.example.com"
        ));
        assert!(!same(
            RecordType::MX,
            "20 mx.example.com",
            "10 mx.example.com"
        ));
        assert!(same(
            RecordType::CAA,
            "issue letsencrypt.org",
            "issue \"letsencrypt.org\""
        ));
        assert!(same(RecordType::AAAA, "2001:DB8::1", "2001:db8:0::1"));
        let srv = "10 5 5060 sip.candlefish.test";
        assert!(same(RecordType::SRV, "10 5 5060 SIP.candlefish.test.", srv));
        assert!(same(RecordType::SRV, "5060 sip.candlefish.test", srv));
        assert!(same(RecordType::SRV, "sip.candlefish.test", srv));
        assert!(!same(RecordType::SRV, "5061 sip.candlefish.test", srv));
        assert!(!same(RecordType::SRV, "5 5060 sip.candlefish.test", srv));
    }

    #[test]
    fn equals_contains_one_of() {
        let a = answer(&["192.0.2.1", "192.0.2.2"]);
        let equals = Records {
            equals: Some(list(&["192.0.2.2", "192.0.2.1"])),
            ..Records::default()
        };
        assert_eq!(
            compare(RecordType::A, &equals, &a)[0].verdict,
            Verdict::Pass
        );
        let short = Records {
            equals: Some(list(&["192.0.2.1"])),
            ..Records::default()
        };
        let c = &compare(RecordType::A, &short, &a)[0];
        assert_eq!(c.verdict, Verdict::Fail);
        assert_eq!(c.observed, "192.0.2.1, 192.0.2.2");
        let one_of = Records {
            one_of: Some(list(&["192.0.2.1", "192.0.2.2", "192.0.2.3"])),
            ..Records::default()
        };
        assert_eq!(
            compare(RecordType::A, &one_of, &a)[0].verdict,
            Verdict::Pass
        );
        let missing = compare(
            RecordType::A,
            &one_of,
            &Answer {
                values: vec![],
                nxdomain: true,
            },
        );
        assert_eq!(missing[0].observed, "no such name (NXDOMAIN)");
    }

    #[test]
    fn one_policy_record_is_required() {
        let (ok, text) = policy("SPF", "v=spf1", &answer(&["x", "v=spf1 -all"]));
        assert_eq!(ok.verdict, Verdict::Pass);
        assert_eq!(text, "SPF v=spf1 -all");
        let (two, _) = policy("SPF", "v=spf1", &answer(&["v=spf1 a -all", "v=spf1 -all"]));
        assert_eq!(two.verdict, Verdict::Fail);
        let (none, _) = policy("SPF", "v=spf1", &answer(&["v=spf10"]));
        assert_eq!(none.verdict, Verdict::Fail);
    }

    #[test]
    fn bad_addresses_are_config_errors() {
        let r = Records {
            contains: list(&["not-an-ip"]),
            ..Records::default()
        };
        assert_eq!(validate(RecordType::A, &r).len(), 1);
    }
}
