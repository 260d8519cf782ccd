//! `candlefish list`: the checklist as a tree, with ids, probe kinds and marks.

use crate::report::text::count;
use serde_json::{Value, json};

use super::{Exit, Terminal, open_checklist, print_out};
use crate::cli::{ListArgs, ListFormat};
use crate::engine::plan::{Declared, PlanItem};

pub fn run(args: &ListArgs, term: Terminal) -> Exit {
    let loaded = match open_checklist(&args.file, &args.load, term) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let plan = &loaded.plan;
    match args.format {
        ListFormat::Json => {
            let redactor = crate::engine::redact::Redactor::from_plan(plan);
            let items: Vec<Value> = plan.items.iter().map(|i| item_json(i, &redactor)).collect();
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&items).unwrap_or_default()
            ));
        }
        ListFormat::Tree => {
            let paint = |code: &str, text: &str| {
                if term.color_out {
                    format!("\x1b[{code}m{text}\x1b[0m")
                } else {
                    text.to_owned()
                }
            };
            let files = match loaded.sources.len() {
                1 => loaded.sources[0].name.clone(),
                2 => format!("{} and 1 included file", loaded.sources[0].name),
                n => format!("{} and {} included files", loaded.sources[0].name, n - 1),
            };
            let mut out = format!(
                "{}  ({files}: {}, {})\n",
                paint("1", &plan.info.name),
                plan.items_in_groups(),
                count(plan.probe_count(), "probe")
            );
            for item in &plan.items {
                tree(item, "", None, args.ascii, &paint, &mut out);
            }
            if let Some(runbook) = &loaded.runbook {
                runbook_tree(runbook, args.ascii, &paint, &mut out);
            }
            print_out(&out);
        }
    }
    Exit::Passed
}

/// The runbook's phases and steps, after the items.
fn runbook_tree(
    runbook: &crate::runbook::plan::Runbook,
    ascii: bool,
    paint: &dyn Fn(&str, &str) -> String,
    out: &mut String,
) {
    let (branch, end) = if ascii {
        ("|- ", "`- ")
    } else {
        ("├─ ", "└─ ")
    };
    let steps: usize = runbook.phases.iter().map(|p| p.steps.len()).sum();
    out.push_str(&format!(
        "\n{}  ({}, {})\n",
        paint("1", "Runbook"),
        count(runbook.phases.len(), "phase"),
        count(steps, "step")
    ));
    for phase in &runbook.phases {
        out.push_str(&format!(
            "{}  {}  {}\n",
            paint("33", &phase.at.to_string()),
            paint("1", &phase.id),
            phase.title
        ));
        let count = phase.steps.len();
        for (i, step) in phase.steps.iter().enumerate() {
            let lead = if i + 1 == count { end } else { branch };
            let what = match &step.action {
                crate::runbook::plan::Action::Run(ids) => format!("run: {}", ids.join(", ")),
                crate::runbook::plan::Action::Probes(probes) => probes
                    .iter()
                    .map(|p| p.kind.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                crate::runbook::plan::Action::Manual(_) => "manual".to_owned(),
                crate::runbook::plan::Action::Watch(w) => format!("watch {}", w.probe.kind.name()),
            };
            let critical = if step.critical { ", critical" } else { "" };
            out.push_str(&format!(
                "{}{}  {}  [{}]\n",
                paint("2", &format!("      {lead}")),
                paint("1", &step.id),
                step.title,
                paint("36", &format!("{what}{critical}"))
            ));
        }
    }
}

fn tree(
    item: &PlanItem,
    prefix: &str,
    last: Option<bool>,
    ascii: bool,
    paint: &dyn Fn(&str, &str) -> String,
    out: &mut String,
) {
    let (branch, end, pipe) = if ascii {
        ("|- ", "`- ", "|  ")
    } else {
        ("├─ ", "└─ ", "│  ")
    };
    let (lead, cont) = match last {
        None => (String::new(), String::new()),
        Some(true) => (format!("{prefix}{end}"), format!("{prefix}   ")),
        Some(false) => (format!("{prefix}{branch}"), format!("{prefix}{pipe}")),
    };
    let mut marks = Vec::new();
    if item.critical {
        marks.push(paint("1;31", "critical"));
    }
    if item.optional {
        marks.push(paint("2", "optional"));
    }
    if item.manual.is_some() {
        marks.push(paint("35", "manual"));
    }
    for probe in &item.probes {
        marks.push(paint("36", probe.kind.name()));
    }
    if let Some(declared) = item.declared {
        marks.push(paint("33", declared.word()));
    }
    let marks = if marks.is_empty() {
        String::new()
    } else {
        format!("  [{}]", marks.join(", "))
    };
    out.push_str(&format!(
        "{}{}  {}{marks}\n",
        paint("2", &lead),
        paint("1", &item.id),
        item.title
    ));
    let count = item.items.len();
    for (i, child) in item.items.iter().enumerate() {
        tree(child, &cont, Some(i + 1 == count), ascii, paint, out);
    }
}

fn item_json(item: &PlanItem, redactor: &crate::engine::redact::Redactor) -> Value {
    json!({
        "id": item.id,
        "title": item.title,
        "critical": item.critical,
        "optional": item.optional,
        "manual": item.manual.is_some(),
        "declared": item.declared.map(Declared::word),
        "owner": item.owner,
        "tags": item.tags,
        "depends_on": item.depends_on,
        "probes": item.probes.iter().map(|p| json!({
            "kind": p.kind.name(),
            "target": redactor.apply(&p.kind.target()),
        })).collect::<Vec<_>>(),
        "items": item.items.iter().map(|i| item_json(i, redactor)).collect::<Vec<_>>(),
    })
}
