//! What the store's records mean at one instant: the current sign-offs and
//! waiver of each item ([`evaluate`]), and the warnings a person should see about
//! the store ([`warnings`]). Pure functions: the caller reads the file and the
//! clock, so tests can fix both.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;

use crate::checklist::diagnostic::did_you_mean;
use crate::engine::attest::{Attestations, Attested, Rejected};
use crate::engine::plan::Plan;
use crate::outcome::{Signoff, Waiver};
use crate::state::chain;
use crate::state::log::Contents;
use crate::state::record::Record;
use crate::state::trust::{Judgement, Policy};

/// Replays the records in file order as of `now`: a person's latest sign-off
/// replaces their earlier one, the latest waiver replaces earlier ones, and an
/// `unsign` clears everything recorded on the item before it.
///
/// Each sign-off and waiver is judged by the checklist's signing `policy`
/// first: one that does not count is kept aside as [`Rejected`], with why. A
/// signed sign-off replaces any earlier one made with the same key, whatever
/// name it gives, so N-of-M counts keys, not names. An `unsign` counts signed
/// or not: it can only make items less green.
///
/// Only what had happened by `now` counts: a record dated later (made on a
/// simulated clock, or by a machine whose clock runs ahead) is left out until
/// its time. Records made in a rehearsal count only when `rehearsal` is set.
pub fn evaluate(
    contents: &Contents<Record>,
    now: Timestamp,
    rehearsal: bool,
    policy: &Policy,
) -> Attestations {
    let mut out: Attestations = HashMap::new();
    // The line of each current sign-off, by item and name, for messages.
    let mut lines: HashMap<(String, String), usize> = HashMap::new();
    let counts = |r: &Record| r.at() <= now && (rehearsal || !r.rehearsal());
    for entry in contents.entries.iter().filter(|e| counts(&e.record)) {
        let attested = out.entry(entry.record.item().to_owned()).or_default();
        if let Record::Unsign(_) = &entry.record {
            *attested = Attested::default();
            continue;
        }
        let (key, principals) = match policy.judge(&entry.record) {
            Judgement::Unsigned => (None, Vec::new()),
            Judgement::Signed { key, principals } => (Some(key), principals),
            Judgement::Rejected(reason) => {
                attested.rejected.push(Rejected {
                    line: entry.line,
                    by: entry.record.by().to_owned(),
                    waiver: matches!(entry.record, Record::Waive(_)),
                    reason,
                });
                continue;
            }
        };
        match &entry.record {
            Record::Sign(s) => {
                let same_key = |o: &Signoff| key.is_some() && o.key == key;
                if let Some(earlier) = attested
                    .signoffs
                    .iter()
                    .find(|o| same_key(o) && o.by != s.by)
                {
                    attested.rejected.push(Rejected {
                        line: lines
                            .get(&(s.item.clone(), earlier.by.clone()))
                            .copied()
                            .unwrap_or(entry.line),
                        by: earlier.by.clone(),
                        waiver: false,
                        reason: format!(
                            "its key ({}) signed again as {} (line {}); a key counts once, whatever name it gives",
                            key.as_deref().unwrap_or_default(),
                            s.by,
                            entry.line
                        ),
                    });
                }
                attested.signoffs.retain(|o| o.by != s.by && !same_key(o));
                lines.insert((s.item.clone(), s.by.clone()), entry.line);
                attested.signoffs.push(Signoff {
                    by: s.by.clone(),
                    at: s.at.to_string(),
                    evidence: s.evidence.clone(),
                    note: s.note.clone(),
                    expires: s.expires.map(|e| e.to_string()),
                    stale: s.expires.is_some_and(|e| e <= now),
                    key,
                    principals,
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
            Record::Unsign(_) => {}
        }
    }
    out.retain(|_, a| !a.signoffs.is_empty() || a.waiver.is_some() || !a.rejected.is_empty());
    out
}

/// The store's hash chain, for people: every break at its line, and the lines
/// written before the chain (which cannot show a removed or edited line).
pub fn chain_warnings(store: &Path, contents: &Contents<Record>, checklist: &str) -> Vec<String> {
    let name = store.display();
    let (breaks, unchained) = chain::verify(&contents.links, &chain::genesis(checklist));
    let mut out: Vec<String> = breaks
        .iter()
        .map(|b| format!("{name}:{}: {}", b.line, b.message))
        .collect();
    if let Some(first) = unchained.first() {
        let n = unchained.len();
        let (plural, verb) = if n == 1 { ("", "is") } else { ("s", "are") };
        out.push(format!(
            "{name}:{first}: {n} record{plural} {verb} unchained (written before Candlefish chained its store): a removed or edited line among them cannot be detected"
        ));
    }
    out
}

/// Bounds every sign-off of a manual item by the checklist's `manual.expires`
/// for it: a sign-off recorded with a longer (or no) expiry, or before the rule
/// was tightened, goes stale when the checklist says it does.
pub fn bound_by_checklist(attested: &mut Attestations, plan: &Plan, now: Timestamp) {
    for item in plan.walk() {
        let Some(limit) = item.manual.as_ref().and_then(|m| m.expires) else {
            continue;
        };
        let Some(a) = attested.get_mut(&item.id) else {
            continue;
        };
        let Ok(limit) = jiff::SignedDuration::try_from(limit.0) else {
            continue;
        };
        for s in &mut a.signoffs {
            let Ok(at) = s.at.parse::<Timestamp>() else {
                continue;
            };
            let Ok(bound) = at.checked_add(limit) else {
                continue;
            };
            let recorded = s
                .expires
                .as_deref()
                .and_then(|e| e.parse::<Timestamp>().ok());
            if recorded.is_none_or(|e| e > bound) {
                s.expires = Some(bound.to_string());
                s.stale = bound <= now;
            }
        }
    }
}

/// A warning for records dated after `now` that do not count yet, and a
/// reminder when rehearsal records are left out.
pub fn from_the_future(
    store: &Path,
    contents: &Contents<Record>,
    now: Timestamp,
    rehearsal: bool,
) -> Vec<String> {
    let later: Vec<usize> = contents
        .entries
        .iter()
        .filter(|e| e.record.at() > now && (rehearsal || !e.record.rehearsal()))
        .map(|e| e.line)
        .collect();
    let Some(first) = later.first() else {
        return Vec::new();
    };
    let n = later.len();
    let plural = if n == 1 { "" } else { "s" };
    vec![format!(
        "{}:{first}: {n} record{plural} dated after now ({now}) do not count until then; \
         a clock running ahead, or CANDLEFISH_NOW in the past?",
        store.display()
    )]
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
                for r in a.rejected.iter().filter(|r| r.waiver) {
                    out.push((
                        r.line,
                        format!("{name}:{}: `{id}`: {}", r.line, r.describe()),
                    ));
                }
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
        let now = evaluate(
            &contents,
            at("2026-11-15T00:00:00Z"),
            false,
            &Policy::default(),
        );
        let a = &now["a"];
        assert_eq!(a.signoffs.len(), 2);
        assert_eq!(a.signoffs[0].by, "Bob");
        assert_eq!(a.signoffs[1].evidence.as_deref(), Some("renewed"));
        assert!(a.signoffs.iter().all(|s| !s.stale));
        assert!(now["b"].waiver.as_ref().unwrap().expired);
        assert!(!now.contains_key("c"), "revoked");
        let later = evaluate(
            &contents,
            at("2027-02-01T00:00:00Z"),
            false,
            &Policy::default(),
        );
        assert!(later["a"].signoffs[1].stale);
        assert!(!later["a"].signoffs[0].stale, "no expiry, never stale");
    }

    #[test]
    fn records_from_after_now_and_from_rehearsals_wait_their_turn() {
        let records = r#"{"op":"sign","at":"2026-11-01T00:00:00Z","item":"a","by":"Ada"}
{"op":"sign","at":"2026-12-01T14:00:00Z","item":"b","by":"Ada"}
{"op":"unsign","at":"2026-12-01T14:00:00Z","item":"a","by":"Bob","reason":"rehearsal","rehearsal":true}
{"op":"sign","at":"2026-11-02T00:00:00Z","item":"c","by":"Ada","rehearsal":true}
"#;
        let contents = parse::<Record>(records.as_bytes());
        let today = evaluate(
            &contents,
            at("2026-11-26T00:00:00Z"),
            false,
            &Policy::default(),
        );
        assert!(today.contains_key("a"));
        assert!(!today.contains_key("b"), "dated after now");
        assert!(!today.contains_key("c"), "a rehearsal's sign-off");
        let day = evaluate(
            &contents,
            at("2026-12-01T15:00:00Z"),
            false,
            &Policy::default(),
        );
        assert!(
            day.contains_key("a"),
            "a rehearsal's unsign does not count either"
        );
        assert!(day.contains_key("b"));
        let rehearsal = evaluate(
            &contents,
            at("2026-12-01T15:00:00Z"),
            true,
            &Policy::default(),
        );
        assert!(!rehearsal.contains_key("a"));
        assert!(rehearsal.contains_key("c"));
        let warned = from_the_future(
            Path::new("s.jsonl"),
            &contents,
            at("2026-11-26T00:00:00Z"),
            false,
        );
        assert_eq!(warned.len(), 1);
        assert!(
            warned[0].starts_with("s.jsonl:2: 1 record dated after now"),
            "{warned:?}"
        );
    }

    #[test]
    fn the_checklists_expiry_bounds_every_signoff() {
        use crate::checklist::model::Manual;
        use crate::checklist::scalar::Dur;
        use crate::engine::plan::PlanItem;
        let records = r#"{"op":"sign","at":"2026-11-01T00:00:00Z","item":"a","by":"Ada","expires":"2036-11-01T00:00:00Z"}
{"op":"sign","at":"2026-11-01T00:00:00Z","item":"a","by":"Bob"}
{"op":"sign","at":"2026-11-20T00:00:00Z","item":"a","by":"Cy","expires":"2026-11-21T00:00:00Z"}
"#;
        let contents = parse::<Record>(records.as_bytes());
        let now = at("2026-11-26T00:00:00Z");
        let mut attested = evaluate(&contents, now, false, &Policy::default());
        let plan = Plan {
            info: crate::outcome::ChecklistInfo::default(),
            base_dir: std::path::PathBuf::new(),
            signoffs: crate::state::trust::Rules::default(),
            items: vec![PlanItem {
                manual: Some(Manual {
                    expires: Some(Dur(std::time::Duration::from_secs(7 * 86_400))),
                    ..Manual::default()
                }),
                ..PlanItem::fixture("a")
            }],
        };
        bound_by_checklist(&mut attested, &plan, now);
        let s = &attested["a"].signoffs;
        assert_eq!(s[0].expires.as_deref(), Some("2026-11-08T00:00:00Z"));
        assert!(s[0].stale, "ten years asked, seven days allowed");
        assert!(s[1].stale, "no expiry recorded, seven days allowed");
        assert_eq!(
            s[2].expires.as_deref(),
            Some("2026-11-21T00:00:00Z"),
            "shorter stays"
        );
        assert!(s[2].stale);
    }
}
