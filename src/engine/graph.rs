//! The dependency graph of a plan: the startup order (dependencies first) as a
//! numbered list, and the same graph as Mermaid and Graphviz DOT.
//!
//! Only items that take part in a dependency appear. A dependency on a group
//! means the whole group.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::engine::plan::{Plan, PlanItem};

/// Items in startup order: level 0 depends on nothing, level n only on lower levels.
pub fn levels(plan: &Plan) -> Vec<Vec<&PlanItem>> {
    let items = plan.walk();
    let by_id: HashMap<&str, &PlanItem> = items.iter().map(|i| (i.id.as_str(), *i)).collect();
    let mut involved: Vec<&PlanItem> = items
        .iter()
        .copied()
        .filter(|i| !i.depends_on.is_empty() || items.iter().any(|o| o.depends_on.contains(&i.id)))
        .collect();
    involved.dedup_by(|a, b| a.id == b.id);
    let mut level: HashMap<&str, usize> = HashMap::new();
    // Longest path from a source; validation guarantees there is no cycle, and
    // the bound below keeps this total even if there were.
    for _ in 0..=involved.len() {
        let mut changed = false;
        for item in &involved {
            let l = item
                .depends_on
                .iter()
                .filter(|d| by_id.contains_key(d.as_str()))
                .map(|d| level.get(d.as_str()).map_or(1, |l| l + 1))
                .max()
                .unwrap_or(0);
            if level.get(item.id.as_str()) != Some(&l) {
                level.insert(item.id.as_str(), l);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    let mut grouped: BTreeMap<usize, Vec<&PlanItem>> = BTreeMap::new();
    for item in involved {
        grouped
            .entry(level[item.id.as_str()])
            .or_default()
            .push(item);
    }
    grouped.into_values().collect()
}

/// What every format says when no item depends on another.
pub const NO_ORDER: &str = "No item depends on another: there is no order to respect.\n";

/// The startup order as a numbered list.
pub fn list(plan: &Plan) -> String {
    let levels = levels(plan);
    if levels.is_empty() {
        return NO_ORDER.to_owned();
    }
    let width = levels
        .iter()
        .flatten()
        .map(|i| i.id.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "Startup order of {} (dependencies first):\n",
        plan.info.name
    );
    for (n, items) in levels.iter().enumerate() {
        for (k, item) in items.iter().enumerate() {
            let step = if k == 0 {
                format!("{:>3}.", n + 1)
            } else {
                "    ".to_owned()
            };
            let after = if item.depends_on.is_empty() {
                String::new()
            } else {
                format!("  (after {})", item.depends_on.join(", "))
            };
            let _ = writeln!(out, "{step} {:<width$}  {}{after}", item.id, item.title);
        }
    }
    out
}

fn mermaid_label(text: &str) -> String {
    text.replace('"', "#quot;")
}

/// The graph as a Mermaid flowchart: arrows point from a dependency to what
/// needs it. Nodes are numbered (`n1`, `n2`, …) in startup order: item ids may
/// hold `-` and `.`, and may be Mermaid keywords such as `end`; each label
/// shows the title and the id.
pub fn mermaid(plan: &Plan) -> String {
    let mut out = String::from("flowchart LR\n");
    let order: Vec<&PlanItem> = levels(plan).into_iter().flatten().collect();
    if order.is_empty() {
        // Said in the diagram itself (a Mermaid comment), not left blank.
        let _ = writeln!(out, "  %% {}", NO_ORDER.trim_end());
    }
    let node: HashMap<&str, String> = order
        .iter()
        .enumerate()
        .map(|(n, item)| (item.id.as_str(), format!("n{}", n + 1)))
        .collect();
    for item in &order {
        let _ = writeln!(
            out,
            "  {}[\"{}<br/>{}\"]",
            node[item.id.as_str()],
            mermaid_label(&item.title),
            mermaid_label(&item.id)
        );
    }
    for item in &order {
        for dep in &item.depends_on {
            if let Some(from) = node.get(dep.as_str()) {
                let _ = writeln!(out, "  {from} --> {}", node[item.id.as_str()]);
            }
        }
    }
    out
}

fn dot_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The graph in Graphviz DOT: arrows point from a dependency to what needs it.
pub fn dot(plan: &Plan) -> String {
    let mut out = format!(
        "digraph {} {{\n  rankdir=LR;\n  node [shape=box];\n",
        dot_string(&plan.info.name)
    );
    for item in levels(plan).into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {} [label={}];",
            dot_string(&item.id),
            dot_string(&item.title)
        );
    }
    for item in levels(plan).into_iter().flatten() {
        for dep in &item.depends_on {
            let _ = writeln!(out, "  {} -> {};", dot_string(dep), dot_string(&item.id));
        }
    }
    if levels(plan).is_empty() {
        let _ = writeln!(out, "  // {}", NO_ORDER.trim_end());
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ChecklistInfo;

    fn item(id: &str, deps: &[&str]) -> PlanItem {
        PlanItem {
            title: format!("Title \"{id}\""),
            depends_on: deps.iter().map(|d| (*d).to_owned()).collect(),
            ..PlanItem::fixture(id)
        }
    }

    fn plan() -> Plan {
        Plan {
            base_dir: std::path::PathBuf::new(),
            signoffs: crate::state::trust::Rules::default(),
            info: ChecklistInfo {
                name: "Services".into(),
                ..ChecklistInfo::default()
            },
            items: vec![
                item("gateway", &["auth", "docs"]),
                item("auth", &["db", "cache"]),
                item("docs", &["db"]),
                item("db", &[]),
                item("cache", &[]),
                item("unrelated", &[]),
            ],
        }
    }

    #[test]
    fn mermaid_nodes_never_collide_or_use_keywords() {
        let plan = Plan {
            base_dir: std::path::PathBuf::new(),
            signoffs: crate::state::trust::Rules::default(),
            info: ChecklistInfo::default(),
            items: vec![
                item("a-b", &[]),
                item("a_b", &["a-b"]),
                item("a.b", &["a_b"]),
                item("end", &["a.b"]),
            ],
        };
        let m = mermaid(&plan);
        let edges: Vec<&str> = m.lines().filter(|l| l.contains("-->")).collect();
        assert_eq!(edges, ["  n1 --> n2", "  n2 --> n3", "  n3 --> n4"], "{m}");
        assert!(!m.lines().any(|l| l.trim_start().starts_with("end")), "{m}");
    }

    #[test]
    fn levels_put_dependencies_first() {
        let plan = plan();
        let ids: Vec<Vec<&str>> = levels(&plan)
            .iter()
            .map(|l| l.iter().map(|i| i.id.as_str()).collect())
            .collect();
        assert_eq!(
            ids,
            vec![vec!["db", "cache"], vec!["auth", "docs"], vec!["gateway"]]
        );
    }

    #[test]
    fn renders_list_mermaid_and_dot() {
        let list = list(&plan());
        assert!(list.contains("  1. db"), "{list}");
        assert!(list.contains("  3. gateway"), "{list}");
        assert!(list.contains("(after auth, docs)"), "{list}");
        assert!(!list.contains("unrelated"));
        let m = mermaid(&plan());
        assert!(m.starts_with("flowchart LR\n"));
        assert!(m.contains("  n1[\"Title #quot;db#quot;<br/>db\"]\n"), "{m}");
        assert!(
            m.contains("  n3[\"Title #quot;auth#quot;<br/>auth\"]\n"),
            "{m}"
        );
        assert!(m.contains("  n1 --> n3\n"), "db before auth: {m}");
        let d = dot(&plan());
        assert!(d.contains("  \"db\" -> \"auth\";\n"));
        assert!(d.contains("label=\"Title \\\"db\\\"\""));
    }
}
