//! What changed between two runs (`candlefish diff OLD.json NEW.json`, `check
//! --baseline`): leaf items matched by id, regressions first (green → yellow or
//! red, yellow → red), then improvements, other changes (to or from white), new
//! and removed items. A group's colour is the roll-up of its leaves, so groups
//! are left out. Waivers that were granted, or that ended (expired or revoked),
//! are listed on their own: a waiver never changes a status, so without this a
//! newly waived failure would pass unnoticed. Pure data and text; reading the
//! files is `commands/`'s job.

use std::collections::HashMap;

use serde::Serialize;

use crate::engine::attest::day;
use crate::outcome::{ItemReport, Report, Status};

/// One item whose status changed, appeared or disappeared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The item's id.
    pub id: String,
    /// Its title (the new one, unless it was removed).
    pub title: String,
    /// Its status in the old run; `None` when it is new.
    pub from: Option<Status>,
    /// Its status in the new run; `None` when it was removed.
    pub to: Option<Status>,
    /// Why it has its new status (empty for green or removed items).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

/// An item that gained an active waiver, or lost one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaiverChange {
    /// The item's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Waived now (`true`), or no longer (`false`).
    pub waived: bool,
    /// Who, until when and why; or how it ended.
    pub detail: String,
}

/// Everything that changed between two reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Diff {
    /// Worse than before: green → yellow/red, yellow → red.
    pub regressions: Vec<Change>,
    /// Better than before: red → yellow/green, yellow → green.
    pub improvements: Vec<Change>,
    /// Other status changes: to or from white (optional, deferred).
    pub changed: Vec<Change>,
    /// Items only in the new run.
    pub added: Vec<Change>,
    /// Items only in the old run.
    pub removed: Vec<Change>,
    /// Items whose waiver started or ended, whatever their status did.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub waivers: Vec<WaiverChange>,
    /// Items whose status did not change.
    pub unchanged: usize,
    /// The gate's verdict before and after, when both runs had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<(bool, bool)>,
}

impl Diff {
    /// True when something got worse.
    pub fn has_regressions(&self) -> bool {
        !self.regressions.is_empty()
    }
}

fn rank(status: Status) -> Option<u8> {
    match status {
        Status::Green => Some(0),
        Status::Yellow => Some(1),
        Status::Red => Some(2),
        Status::White => None,
    }
}

fn leaves(report: &Report) -> Vec<&ItemReport> {
    report
        .all_items()
        .into_iter()
        .filter(|i| i.items.is_empty())
        .collect()
}

/// Compares two runs, in the new run's order (removed items in the old's).
pub fn diff(old: &Report, new: &Report) -> Diff {
    let before: HashMap<&str, &ItemReport> = leaves(old)
        .into_iter()
        .map(|i| (i.id.as_str(), i))
        .collect();
    let now = leaves(new);
    let mut out = Diff {
        gate: old
            .gate
            .as_ref()
            .zip(new.gate.as_ref())
            .map(|(a, b)| (a.passed, b.passed)),
        ..Diff::default()
    };
    for item in &now {
        let change = |from: Option<Status>| Change {
            id: item.id.clone(),
            title: item.title.clone(),
            from,
            to: Some(item.status),
            reason: item.reason.clone(),
        };
        match before.get(item.id.as_str()) {
            None => out.added.push(change(None)),
            Some(old_item) if old_item.status == item.status => out.unchanged += 1,
            Some(old_item) => {
                let c = change(Some(old_item.status));
                match (rank(old_item.status), rank(item.status)) {
                    (Some(a), Some(b)) if b > a => out.regressions.push(c),
                    (Some(_), Some(_)) => out.improvements.push(c),
                    _ => out.changed.push(c),
                }
            }
        }
    }
    for item in &now {
        let was = before
            .get(item.id.as_str())
            .and_then(|o| o.waiver.as_ref())
            .filter(|w| w.active());
        let is = item.waiver.as_ref().filter(|w| w.active());
        let detail = match (was, is) {
            (None, Some(w)) => format!("by {} until {}: {}", w.by, day(&w.expires), w.reason),
            (Some(_), None) => match &item.waiver {
                Some(w) if w.expired => format!("expired on {}", day(&w.expires)),
                _ => "revoked".to_owned(),
            },
            _ => continue,
        };
        out.waivers.push(WaiverChange {
            id: item.id.clone(),
            title: item.title.clone(),
            waived: is.is_some(),
            detail,
        });
    }
    let ids: Vec<&str> = now.iter().map(|i| i.id.as_str()).collect();
    for item in leaves(old) {
        if !ids.contains(&item.id.as_str()) {
            out.removed.push(Change {
                id: item.id.clone(),
                title: item.title.clone(),
                from: Some(item.status),
                to: None,
                reason: String::new(),
            });
        }
    }
    out
}

/// The diff for people: a heading per kind of change, one line per item.
pub fn render(diff: &Diff, ascii: bool) -> String {
    let glyph = |s: Option<Status>| match s {
        Some(s) if ascii => s.ascii().to_owned(),
        Some(s) => s.glyph().to_owned(),
        None => if ascii { " . " } else { "  " }.to_owned(),
    };
    let arrow = if ascii { "->" } else { "→" };
    let mut out = String::new();
    if let Some((before, after)) = diff.gate {
        let word = |p: bool| if p { "passed" } else { "failed" };
        if before == after {
            out.push_str(&format!("gate: {} (as before)\n", word(after)));
        } else {
            out.push_str(&format!("gate: {} {arrow} {}\n", word(before), word(after)));
        }
    }
    for (heading, changes) in [
        ("regressions", &diff.regressions),
        ("improvements", &diff.improvements),
        ("other changes", &diff.changed),
        ("new items", &diff.added),
        ("removed items", &diff.removed),
    ] {
        if changes.is_empty() {
            continue;
        }
        out.push_str(&format!("{} {heading}:\n", changes.len()));
        for c in changes {
            out.push_str(&format!(
                "  {} {arrow} {}  {}  {}\n",
                glyph(c.from),
                glyph(c.to),
                c.id,
                c.title.replace(['\n', '\r'], " ")
            ));
            if !c.reason.is_empty() && c.to != Some(Status::Green) {
                let mark = if ascii { ">" } else { "↳" };
                out.push_str(&format!(
                    "        {mark} {}\n",
                    c.reason.replace(['\n', '\r'], " ")
                ));
            }
        }
    }
    if !diff.waivers.is_empty() {
        out.push_str(&format!("{} waiver changes:\n", diff.waivers.len()));
        for w in &diff.waivers {
            let what = match (w.waived, ascii) {
                (true, false) => "⚑ waived",
                (true, true) => "(waived)",
                (false, false) => "⚑ waiver ended",
                (false, true) => "(waiver ended)",
            };
            out.push_str(&format!(
                "  {what}  {}  {}\n        {} {}\n",
                w.id,
                w.title.replace(['\n', '\r'], " "),
                if ascii { ">" } else { "↳" },
                w.detail.replace(['\n', '\r'], " ")
            ));
        }
    }
    let total = diff.regressions.len()
        + diff.improvements.len()
        + diff.changed.len()
        + diff.added.len()
        + diff.removed.len()
        + diff.waivers.len();
    if total == 0 {
        out.push_str(&format!(
            "no changes ({})\n",
            crate::report::text::count(diff.unchanged, "item")
        ));
    } else {
        out.push_str(&format!("{} unchanged\n", diff.unchanged));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::fixture::{leaf, report};

    #[test]
    fn sorts_changes_by_kind() {
        use Status::{Green, Red, White, Yellow};
        let old = report(vec![
            leaf("a", Green),
            leaf("b", Yellow),
            leaf("c", Red),
            leaf("d", Green),
            leaf("e", White),
            leaf("gone", Green),
        ]);
        let new = report(vec![
            leaf("a", Red),
            leaf("b", Red),
            leaf("c", Green),
            leaf("d", Green),
            leaf("e", Red),
            leaf("fresh", Yellow),
        ]);
        let d = diff(&old, &new);
        let ids = |v: &[Change]| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&d.regressions), ["a", "b"]);
        assert_eq!(ids(&d.improvements), ["c"]);
        assert_eq!(ids(&d.changed), ["e"]);
        assert_eq!(ids(&d.added), ["fresh"]);
        assert_eq!(ids(&d.removed), ["gone"]);
        assert_eq!(d.unchanged, 1);
        assert!(d.has_regressions());
        let text = render(&d, false);
        assert!(
            text.starts_with("2 regressions:\n  🟢 → 🔴  a  Item a\n"),
            "{text}"
        );
    }
}
