//! `candlefish history [ITEM]`: the store's records in the order they were
//! written, with the lines that could not be read and the breaks in the hash
//! chain shown in place, and each record's signature judged (who signed, and
//! whether it counts).

use serde_json::{Value, json};

use super::store::{find_item, open};
use super::{Exit, Terminal};
use crate::cli::{HistoryArgs, HistoryFormat};
use crate::engine::attest::day;
use crate::report::printable;
use crate::state::log::{Contents, Problem};
use crate::state::record::Record;
use crate::state::trust::{Judgement, Policy, payload};
use crate::state::{chain, signoff, sshsig};

pub fn run(args: &HistoryArgs, term: Terminal) -> Exit {
    let opened = match open(&args.store, term) {
        Ok(opened) => opened,
        Err(exit) => return exit,
    };
    let contents: Contents<Record> = match opened.log.read() {
        Ok(contents) => contents,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let store = opened.log.path().display().to_string();
    let policy = match Policy::of(&opened.loaded.plan) {
        Ok(policy) => policy,
        Err(e) => {
            eprintln!("error: {e}");
            return Exit::Usage;
        }
    };
    let (breaks, _) = chain::verify(&contents.links, &chain::genesis(&policy.checklist));
    if let Some(id) = &args.item {
        let recorded = contents.entries.iter().any(|e| e.record.item() == id);
        // An item gone from the checklist still has a history.
        if !recorded && let Err(message) = find_item(&opened.loaded.plan, id, &args.store.file) {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    }
    let wanted = |r: &Record| args.item.as_deref().is_none_or(|id| r.item() == id);
    match args.format {
        HistoryFormat::Json => {
            let records: Vec<Value> = contents
                .entries
                .iter()
                .filter(|e| wanted(&e.record))
                .map(|e| {
                    let mut value = serde_json::to_value(&e.record).unwrap_or(Value::Null);
                    if let Value::Object(map) = &mut value {
                        map.insert("line".to_owned(), json!(e.line));
                        map.insert("signature".to_owned(), signature_json(&policy, &e.record));
                    }
                    value
                })
                .collect();
            let problems: Vec<Value> = contents
                .problems
                .iter()
                .map(|p| json!({ "line": p.line, "message": p.message }))
                .collect();
            let chain: Vec<Value> = breaks
                .iter()
                .map(|b| json!({ "line": b.line, "message": b.message }))
                .collect();
            let doc =
                json!({ "store": store, "records": records, "problems": problems, "chain": chain });
            super::print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            ));
        }
        HistoryFormat::Text => {
            let mut lines: Vec<(usize, String)> = contents
                .entries
                .iter()
                .filter(|e| wanted(&e.record))
                .map(|e| {
                    let mut text = describe(&e.record, opened.now);
                    text.push_str(&mark(&policy, &e.record));
                    (e.line, text)
                })
                .collect();
            lines.extend(contents.problems.iter().map(|p| (p.line, unreadable(p))));
            lines.extend(
                breaks
                    .iter()
                    .map(|b| (b.line, format!("CHAIN BROKEN  {}", b.message))),
            );
            lines.sort_by_key(|(line, _)| *line);
            if lines.is_empty() {
                super::print_out(&format!("{store}: nothing recorded yet\n"));
            } else {
                let mut out = format!("{store}:\n");
                let width = lines.last().map_or(1, |(n, _)| n.to_string().len());
                for (line, text) in lines {
                    out.push_str(&format!("{line:>width$}  {}\n", printable(&text)));
                }
                super::print_out(&out);
            }
        }
    }
    for warning in signoff::chain_warnings(opened.log.path(), &contents, &policy.checklist) {
        eprintln!("warning: {warning}");
    }
    if !contents.problems.is_empty() {
        let n = contents.problems.len();
        let lines: Vec<String> = contents
            .problems
            .iter()
            .map(|p| p.line.to_string())
            .collect();
        let plural = if n == 1 { "" } else { "s" };
        eprintln!(
            "warning: {store}: {n} line{plural} could not be read (line{plural} {}); \
             they count for nothing until fixed",
            lines.join(", ")
        );
    }
    Exit::Passed
}

/// `  [signed by SHA256:… (ada@example.com)]`, or why the record does not count.
fn mark(policy: &Policy, record: &Record) -> String {
    if matches!(record, Record::Unsign(_)) {
        return match record.sig().and_then(sshsig::signer_of) {
            Some(key) => format!("  [signed by {key}]"),
            None => String::new(),
        };
    }
    match policy.judge(record) {
        Judgement::Unsigned if policy.allowed.is_some() => "  [unsigned]".to_owned(),
        Judgement::Unsigned => String::new(),
        Judgement::Signed { key, principals } if principals.is_empty() => {
            format!("  [signed by {key}]")
        }
        Judgement::Signed { key, principals } => {
            format!("  [signed by {key} ({})]", principals.join(", "))
        }
        Judgement::Rejected(reason) => format!("  [DOES NOT COUNT: {reason}]"),
    }
}

/// A record's signature for `--format json`: whether it counts, the key, and
/// what `ssh-keygen -Y verify` needs to check it (the payload and the armoured
/// signature).
fn signature_json(policy: &Policy, record: &Record) -> Value {
    let payload = payload(&policy.checklist, record);
    let armored = record.sig().and_then(|s| sshsig::armored(s).ok());
    let (counts, key, principals, problem) = match policy.judge(record) {
        Judgement::Unsigned => (true, None, Vec::new(), None),
        Judgement::Signed { key, principals } => (true, Some(key), principals, None),
        Judgement::Rejected(reason) => (
            false,
            record.sig().and_then(sshsig::signer_of),
            Vec::new(),
            Some(reason),
        ),
    };
    let counts = counts || matches!(record, Record::Unsign(_));
    json!({
        "signed": record.sig().is_some(),
        "counts": counts,
        "key": key,
        "principals": principals,
        "problem": problem,
        "payload": payload,
        "armored": armored,
    })
}

fn unreadable(problem: &Problem) -> String {
    format!("UNREADABLE  {}", problem.message)
}

/// One record as a line for people.
fn describe(record: &Record, now: jiff::Timestamp) -> String {
    let expired = |t: jiff::Timestamp| if t <= now { " (expired)" } else { "" };
    let mut text = match record {
        Record::Sign(s) => {
            let mut text = format!("{}  signed   {}  by {}", s.at, s.item, s.by);
            if let Some(evidence) = &s.evidence {
                text.push_str(&format!("; evidence: {evidence}"));
            }
            if let Some(expires) = s.expires {
                text.push_str(&format!(
                    "; until {}{}",
                    day(&expires.to_string()),
                    expired(expires)
                ));
            }
            if let Some(note) = &s.note {
                text.push_str(&format!("; note: {note}"));
            }
            text
        }
        Record::Waive(w) => format!(
            "{}  waived   {}  by {} until {}{}: {}",
            w.at,
            w.item,
            w.by,
            day(&w.expires.to_string()),
            expired(w.expires),
            w.reason
        ),
        Record::Unsign(u) => format!("{}  revoked  {}  by {}: {}", u.at, u.item, u.by, u.reason),
    };
    if record.rehearsal() {
        text.push_str("  [rehearsal: counts only in rehearsals]");
    }
    if record.at() > now {
        text.push_str("  [dated after now: counts from then]");
    }
    text
}
