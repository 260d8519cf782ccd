//! What the store's records mean at one instant: the current sign-offs and
//! waiver of each item ([`evaluate`]), and the warnings a person should see about
//! the store ([`warnings`]). Pure functions: the caller reads the file and the
//! clock, so tests can fix both.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;

use crate::checklist::diagnostic::did_you_mean;
use crate::engine::attest::{Attestations, Attested};
use crate::engine::plan::Plan;
use crate::outcome::{Signoff, Waiver};
use crate::state::log::Contents;
use crate::state::record::Record;

/// Replays the records in file order as of `now`: a person's latest sign-off
/// replaces their earlier one, the latest waiver replaces earlier ones, and an
/// `unsign` clears everything recorded on the item before it.
pub fn evaluate(contents: &Contents<Record>, now: Timestamp) -> Attestations {
    let mut out: Attestations = HashMap::new();
    for entry in &contents.entries {
        let attested = out.entry(entry.record.item().to_owned()).or_default();
        match &entry.record {
            Record::Sign(s) => {
                attested.signoffs.retain(|o| o.by != s.by);
                attested.signoffs.push(Signoff {
                    by: s.by.clone(),
                    at: s.at.to_string(),
                    evidence: s.evidence.clone(),
                    note: s.note.clone(),
                    expires: s.expires.map(|e| e.to_string()),
                    stale: s.expires.is_some_and(|e| e <= now),
                });
            }
            Record::Waive(w) => {
                attested.waiver = Some(Waiver {
                    by: w.by.clone(),
                    at: w.at.to_string(),
                    reason: w.reason.clone(),
                    expires: w.expires.to_string(),
                    expired: w.expires <= now,
                });
            }
            Record::Unsign(_) => *attested = Attested::default(),
        }
    }
    out.retain(|_, a| !a.signoffs.is_empty() || a.waiver.is_some());
    out
}

/// Everything about the store a person should hear: lines that are not records
/// (with their line numbers), and sign-offs or waivers that cannot count because
/// the checklist no longer has their item, or the item changed kind.
pub fn warnings(
    store: &Path,
    contents: &Contents<Record>,
    attested: &Attestations,
    plan: &Plan,
) -> Vec<String> {
    let name = store.display();
    let mut out: Vec<(usize, String)> = contents
        .problems
        .iter()
        .map(|p| (p.line, format!("{name}:{}: {}", p.line, p.message)))
        .collect();
    let mut last_line: HashMap<&str, usize> = HashMap::new();
    for entry in &contents.entries {
        last_line.insert(entry.record.item(), entry.line);
    }
    let items = plan.walk();
    for (id, a) in attested {
        let line = last_line.get(id.as_str()).copied().unwrap_or(0);
        let at = format!("{name}:{line}");
        match items.iter().find(|i| i.id == *id) {
            None => {
                let hint = did_you_mean(id, items.iter().map(|i| i.id.as_str()))
                    .map(|best| format!(" (renamed to `{best}`?)"))
                    .unwrap_or_default();
                out.push((
                    line,
                    format!("{at}: `{id}` is signed off or waived, but the checklist has no such item{hint}; it counts for nothing"),
                ));
            }
            Some(item) => {
                if !a.signoffs.is_empty() && item.manual.is_none() {
                    out.push((
                        line,
                        format!("{at}: `{id}` is signed off, but it is not a manual item; the sign-off counts for nothing"),
                    ));
                }
                if a.waiver.is_some() && item.probes.is_empty() {
                    out.push((
                        line,
                        format!("{at}: `{id}` is waived, but it has no probes; a waiver only covers automated items"),
                    ));
                }
            }
        }
    }
    out.sort();
    out.into_iter().map(|(_, text)| text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::log::parse;

    const RECORDS: &str = r#"{"op":"sign","at":"2026-11-01T00:00:00Z","item":"a","by":"Ada","expires":"2026-12-01T00:00:00Z"}
{"op":"sign","at":"2026-11-02T00:00:00Z","item":"a","by":"Bob"}
{"op":"sign","at":"2026-11-03T00:00:00Z","item":"a","by":"Ada","evidence":"renewed","expires":"2027-01-01T00:00:00Z"}
{"op":"waive","at":"2026-11-03T00:00:00Z","item":"b","by":"Ada","reason":"known","expires":"2026-11-10T00:00:00Z"}
{"op":"sign","at":"2026-11-04T00:00:00Z","item":"c","by":"Ada"}
{"op":"unsign","at":"2026-11-05T00:00:00Z","item":"c","by":"Bob","reason":"wrong item"}
"#;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn replays_renewals_waivers_and_revocations() {
        let contents = parse::<Record>(RECORDS.as_bytes());
        let now = evaluate(&contents, at("2026-11-15T00:00:00Z"));
        let a = &now["a"];
        assert_eq!(a.signoffs.len(), 2);
        assert_eq!(a.signoffs[0].by, "Bob");
        assert_eq!(a.signoffs[1].evidence.as_deref(), Some("renewed"));
        assert!(a.signoffs.iter().all(|s| !s.stale));
        assert!(now["b"].waiver.as_ref().unwrap().expired);
        assert!(!now.contains_key("c"), "revoked");
        let later = evaluate(&contents, at("2027-02-01T00:00:00Z"));
        assert!(later["a"].signoffs[1].stale);
        assert!(!later["a"].signoffs[0].stale, "no expiry, never stale");
    }
}
