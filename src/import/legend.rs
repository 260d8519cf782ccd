//! How status markers map to statuses: the built-in glyphs (🟢🟡🔴⚪, `[x]`,
//! `[ ]`, ✅, ❌, ➖ for not applicable, …) and what a document's own legend says its glyphs mean
//! ("✅ Done and verified" → done).

/// A status a marker stands for, as a checklist's `status:` word.
pub type StatusWord = &'static str;

/// How markers map to statuses: the document's legend over the built-in one.
#[derive(Debug, Clone)]
pub struct Legend {
    entries: Vec<(String, StatusWord)>,
}

impl Default for Legend {
    fn default() -> Self {
        let builtin = [
            ("🟢", "done"),
            ("🟡", "in_progress"),
            ("🔴", "not_started"),
            ("⚪", "deferred"),
            ("x", "done"),
            ("X", "done"),
            (" ", "not_started"),
            ("", "not_started"),
            ("✅", "done"),
            ("✔", "done"),
            ("✔️", "done"),
            ("☑️", "done"),
            ("❌", "not_started"),
            ("⬜", "not_started"),
            ("🟠", "in_progress"),
            ("⏳", "in_progress"),
            ("🚧", "in_progress"),
            ("⛔", "blocked"),
            ("🚫", "blocked"),
            ("➖", "deferred"),
            ("-", "deferred"),
            ("~", "in_progress"),
        ];
        Legend {
            entries: builtin.iter().map(|(m, s)| ((*m).to_owned(), *s)).collect(),
        }
    }
}

impl Legend {
    /// The built-in legend, extended by a document's (marker, meaning) lines.
    /// Returns the legend and the lines it understood.
    pub fn with(lines: &[(String, String)]) -> (Legend, Vec<String>) {
        let mut legend = Legend::default();
        let mut understood = Vec::new();
        for (marker, meaning) in lines {
            if let Some(word) = meaning_status(meaning) {
                legend.entries.retain(|(m, _)| m != marker);
                legend.entries.insert(0, (marker.clone(), word));
                understood.push(format!("{marker} {word}"));
            }
        }
        (legend, understood)
    }

    /// The status a marker stands for.
    pub fn status(&self, marker: &str) -> Option<StatusWord> {
        let marker = marker.trim_matches('\u{FE0F}');
        let key = if marker.trim().is_empty() {
            " "
        } else {
            marker.trim()
        };
        self.entries
            .iter()
            .find(|(m, _)| m.trim_matches('\u{FE0F}') == key)
            .map(|(_, s)| *s)
    }
}

/// The status a legend's meaning describes.
fn meaning_status(meaning: &str) -> Option<StatusWord> {
    let m = meaning.to_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| m.contains(w));
    if has(&[
        "not started",
        "blocked",
        "to do",
        "todo",
        "missing",
        "failed",
    ]) {
        Some("not_started")
    } else if has(&["optional", "defer", "skip", "n/a", "not applicable"]) {
        Some("deferred")
    } else if has(&["progress", "partial", "ongoing", "started"]) {
        Some("in_progress")
    } else if has(&["complete", "done", "verified", "finished", "ready"]) {
        Some("done")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_meanings_become_statuses() {
        let (legend, understood) = Legend::with(&[
            ("✅".into(), "Done and verified".into()),
            ("🅿".into(), "Parked, optional".into()),
        ]);
        assert_eq!(understood.len(), 2);
        assert_eq!(legend.status("🅿"), Some("deferred"));
        assert_eq!(legend.status("🟡"), Some("in_progress"));
        assert_eq!(legend.status(" "), Some("not_started"));
        assert_eq!(legend.status("?"), None);
        assert_eq!(
            meaning_status("Not started or blocked"),
            Some("not_started")
        );
        assert_eq!(
            meaning_status("In progress or partially complete"),
            Some("in_progress")
        );
    }
}
