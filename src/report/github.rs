//! `github`: GitHub Actions output. [`annotations`] are workflow commands, one
//! line per item that is not fine: `::error` for red items, `::warning` for
//! yellow ones, escaped as GitHub's runner expects (`%`, CR and LF everywhere;
//! also `:` and `,` in properties). [`summary`] is the job summary, Markdown
//! that `commands/` appends to `$GITHUB_STEP_SUMMARY`.

use crate::outcome::{GateVerdict, ItemReport, Report, Status};
use crate::report::markdown;
use crate::report::text::{millis, status_label};

/// Escapes a workflow command's message.
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (e.g. `title`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// One workflow command per red (`::error`) or yellow (`::warning`) leaf item,
/// critical items first.
pub fn annotations(report: &Report) -> String {
    let mut leaves: Vec<&ItemReport> = report
        .all_items()
        .into_iter()
        .filter(|i| i.items.is_empty() && matches!(i.status, Status::Red | Status::Yellow))
        .collect();
    let critical: Vec<&str> = critical_ids(report);
    leaves.sort_by_key(|i| (!critical.contains(&i.id.as_str()), i.status != Status::Red));
    let mut out = String::new();
    for item in leaves {
        let command = if item.status == Status::Red {
            "error"
        } else {
            "warning"
        };
        let star = if critical.contains(&item.id.as_str()) {
            " ★ critical"
        } else {
            ""
        };
        let title = format!("{} {} [{}]{star}", item.status.glyph(), item.title, item.id);
        let mut reason = if item.reason.is_empty() {
            item.status.word().to_owned()
        } else {
            item.reason.clone()
        };
        if let Some(waiver) = &item.waiver {
            reason.push_str(&format!(" ({})", crate::report::text::waiver_line(waiver)));
        }
        out.push_str(&format!(
            "::{command} title={}::{}\n",
            escape_property(&title),
            escape_data(&reason)
        ));
    }
    out
}

/// Ids of items on the critical path: marked critical, or inside such an item.
fn critical_ids(report: &Report) -> Vec<&str> {
    fn walk<'a>(item: &'a ItemReport, inherited: bool, out: &mut Vec<&'a str>) {
        let critical = inherited || item.critical;
        if critical {
            out.push(&item.id);
        }
        for child in &item.items {
            walk(child, critical, out);
        }
    }
    let mut out = Vec::new();
    for item in &report.items {
        walk(item, false, &mut out);
    }
    out
}

/// The job summary: the verdict, the counts, what blocks the release with its
/// evidence, what needs attention, and the whole board folded away.
pub fn summary(report: &Report) -> String {
    let s = &report.summary;
    let verdict = match &report.gate {
        Some(gate) if gate.verdict == GateVerdict::Ready => "✅ READY".to_owned(),
        Some(gate) if gate.verdict == GateVerdict::NothingJudged => {
            format!("⚠️ {}", crate::report::text::gate_headline(gate))
        }
        Some(gate) => format!("⛔ {}", crate::report::text::gate_headline(gate)),
        None => format!("overall {}", status_label(report.status)),
    };
    let mut out = format!(
        "## Candlefish: {} — {verdict}\n\n",
        markdown::escape_inline(&report.checklist.name)
    );
    if let Some(gate) = &report.gate {
        out.push_str(&format!(
            "Gate: {}. Result: {}.\n\n",
            crate::report::text::gate_rule(gate),
            crate::report::text::gate_result(gate, |id| format!("`{id}`"))
        ));
    }
    out.push_str("| 🟢 green | 🟡 yellow | 🔴 red | ⚪ white | probes | time |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|\n");
    out.push_str(&format!(
        "| {} | {} | {} | {} | {} | {} |\n\n",
        s.green,
        s.yellow,
        s.red,
        s.white,
        s.probes(),
        millis(report.duration_ms)
    ));
    let failing: Vec<&ItemReport> = report
        .gate
        .as_ref()
        .map(|g| {
            report
                .all_items()
                .into_iter()
                .filter(|i| g.failing.contains(&i.id))
                .collect()
        })
        .unwrap_or_default();
    if !failing.is_empty() {
        out.push_str("### Blocking the release\n\n");
        out.push_str(&table(&failing));
    }
    let attention: Vec<&ItemReport> = report
        .all_items()
        .into_iter()
        .filter(|i| {
            i.items.is_empty()
                && matches!(i.status, Status::Red | Status::Yellow)
                && !failing.iter().any(|f| f.id == i.id)
        })
        .collect();
    if !attention.is_empty() {
        out.push_str("### Needs attention\n\n");
        out.push_str(&table(&attention));
    }
    out.push_str("<details><summary>The whole board</summary>\n\n");
    out.push_str(&markdown::body(report));
    out.push_str("</details>\n\n");
    out.push_str(&format!(
        "<sub>{} · started {} · {}</sub>\n",
        report.tool,
        crate::report::text::when(&report.started_at),
        report.checklist.file.as_deref().unwrap_or("")
    ));
    out
}

fn table(items: &[&ItemReport]) -> String {
    let mut out = String::from("| | item | id | evidence |\n|---|---|---|---|\n");
    for item in items {
        let cell = |text: &str| markdown::escape_inline(text).replace('\n', " ");
        out.push_str(&format!(
            "| {} | {}{} | `{}` | {} |\n",
            item.status.glyph(),
            cell(&item.title),
            if item.critical { " ★" } else { "" },
            item.id,
            cell(&{
                let mut text = item.reason.clone();
                for line in crate::report::text::attestation_lines(item) {
                    text.push_str(&format!(" {line}"));
                }
                text
            })
        ));
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a: b, c%"), "a%3A b%2C c%25");
    }
}
