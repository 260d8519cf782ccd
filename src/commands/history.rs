//! `candlefish history [ITEM]`: the store's records in the order they were
//! written, with the lines that could not be read shown in place.

use serde_json::{Value, json};

use super::store::{find_item, open};
use super::{Exit, Terminal};
use crate::cli::{HistoryArgs, HistoryFormat};
use crate::engine::attest::day;
use crate::report::printable;
use crate::state::log::{Contents, Problem};
use crate::state::record::Record;

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
                    }
                    value
                })
                .collect();
            let problems: Vec<Value> = contents
                .problems
                .iter()
                .map(|p| json!({ "line": p.line, "message": p.message }))
                .collect();
            let doc = json!({ "store": store, "records": records, "problems": problems });
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
                .map(|e| (e.line, describe(&e.record, opened.now)))
                .collect();
            lines.extend(contents.problems.iter().map(|p| (p.line, unreadable(p))));
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
