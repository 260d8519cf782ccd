//! `candlefish merge`: the parts of a sharded run (`check --shard K/N`) put
//! back into one report, in the checklist's order, with the groups the parts
//! split rolled up again and the shards' gate applied to the whole.
//!
//! Nothing is guessed: a report that is not a shard, parts of different
//! checklists, counts or gate policies, a part given twice or missing, an
//! item judged by two parts or by none — each is an error, all reported at once.

use std::collections::{BTreeSet, HashMap};

use crate::engine::gate::{FailOn, GatePolicy, GateScope};
use crate::engine::rollup;
use crate::outcome::{ItemReport, Report};

/// Merges `reports` (each named, for errors, by its file).
pub fn merge(reports: &[(String, Report)]) -> Result<Report, Vec<String>> {
    let mut errors = Vec::new();
    let mut shards = Vec::new();
    for (name, report) in reports {
        match &report.shard {
            Some(info) => shards.push((name, report, info)),
            None => errors.push(format!(
                "{name} is not the report of a shard: make the parts with `check --shard K/N --format json`"
            )),
        }
    }
    let Some((first_name, first, first_info)) = shards.first().copied() else {
        return Err(errors);
    };
    let policy = policy_of(first);
    if policy.is_none() {
        errors.push(format!("{first_name} has no gate verdict"));
    }
    for (name, report, info) in &shards[1..] {
        if info.count != first_info.count {
            errors.push(format!(
                "{name} is a part of {}, {first_name} of {}: they come from different runs",
                info.count, first_info.count
            ));
        } else if info.order != first_info.order || report.checklist.name != first.checklist.name {
            errors.push(format!(
                "{name} is a part of another checklist, or of another version of it, than {first_name}"
            ));
        }
        if policy_of(report) != policy {
            errors.push(format!(
                "{name} was judged by another gate policy than {first_name}"
            ));
        }
    }
    // Every part once.
    let count = first_info.count;
    let mut by_index: HashMap<usize, &String> = HashMap::new();
    for (name, _, info) in &shards {
        if let Some(other) = by_index.insert(info.index, name) {
            errors.push(format!(
                "part {}/{count} is given twice: {other} and {name}",
                info.index
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|k| !by_index.contains_key(k))
        .map(|k| k.to_string())
        .collect();
    if !missing.is_empty() {
        errors.push(format!(
            "part{} {} of {count} missing: merge needs every part",
            if missing.len() == 1 { " is" } else { "s are" },
            missing.join(", ")
        ));
    }
    // Every judged item by one part.
    let position: HashMap<&str, usize> = first_info
        .order
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut owner: HashMap<&str, usize> = HashMap::new();
    for (s, (name, _, info)) in shards.iter().enumerate() {
        for id in &info.owned {
            if !position.contains_key(id.as_str()) {
                errors.push(format!(
                    "{name} judged `{id}`, which the checklist does not have"
                ));
            } else if let Some(other) = owner.insert(id.as_str(), s) {
                errors.push(format!(
                    "`{id}` was judged by two parts: {} and {name}",
                    shards[other].0
                ));
            }
        }
    }
    // Where every item sits, from the parts' trees.
    let mut nodes: HashMap<&str, Node<'_>> = HashMap::new();
    let mut top: BTreeSet<usize> = BTreeSet::new();
    for (s, (_, report, _)) in shards.iter().enumerate() {
        for item in &report.items {
            if let Some(&p) = position.get(item.id.as_str()) {
                top.insert(p);
            }
            collect(item, s, &position, &mut nodes);
        }
    }
    for id in &first_info.order {
        match nodes.get(id.as_str()) {
            None => errors.push(format!("`{id}` is in no part")),
            Some(node) if !owner.contains_key(id.as_str()) && node.children.is_empty() => {
                errors.push(format!("`{id}` was judged by no part"));
            }
            Some(_) => {}
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let build = Builder {
        order: &first_info.order,
        owner: &owner,
        nodes: &nodes,
    };
    let items: Vec<ItemReport> = top.iter().map(|&p| build.item(p)).collect();
    let statuses: Vec<_> = items.iter().map(|i| i.status).collect();
    let (started_at, duration_ms) = span(shards.iter().map(|(_, r, _)| *r));
    let mut warnings: Vec<String> = Vec::new();
    for (_, report, _) in &shards {
        for warning in &report.warnings {
            if !warnings.contains(warning) {
                warnings.push(warning.clone());
            }
        }
    }
    let mut merged = Report {
        schema_version: first.schema_version,
        tool: first.tool.clone(),
        checklist: first.checklist.clone(),
        started_at,
        duration_ms,
        status: rollup::roll_up(&statuses),
        summary: rollup::summarize(&items),
        gate: None,
        interrupted: shards.iter().any(|(_, r, _)| r.interrupted),
        warnings,
        items,
        shard: None,
    };
    merged.gate = policy.map(|p| p.evaluate(&merged));
    Ok(merged)
}

/// One item as the parts show it: its first appearance, and the children
/// (by position) that any part gives it.
struct Node<'a> {
    shard: usize,
    report: &'a ItemReport,
    children: BTreeSet<usize>,
}

fn collect<'a>(
    item: &'a ItemReport,
    shard: usize,
    position: &HashMap<&str, usize>,
    nodes: &mut HashMap<&'a str, Node<'a>>,
) {
    let node = nodes.entry(item.id.as_str()).or_insert(Node {
        shard,
        report: item,
        children: BTreeSet::new(),
    });
    for child in &item.items {
        if let Some(&p) = position.get(child.id.as_str()) {
            node.children.insert(p);
        }
    }
    for child in &item.items {
        collect(child, shard, position, nodes);
    }
}

struct Builder<'a> {
    order: &'a [String],
    owner: &'a HashMap<&'a str, usize>,
    nodes: &'a HashMap<&'a str, Node<'a>>,
}

impl Builder<'_> {
    fn item(&self, position: usize) -> ItemReport {
        let id = self.order[position].as_str();
        let node = &self.nodes[id];
        if let Some(&shard) = self.owner.get(id) {
            // A judged item comes whole from its part, subtree included.
            return self
                .as_judged_by(id, shard)
                .unwrap_or_else(|| node.report.clone());
        }
        let children: Vec<ItemReport> = node.children.iter().map(|&p| self.item(p)).collect();
        let statuses: Vec<_> = children.iter().map(|c| c.status).collect();
        let (status, basis, reason) = rollup::container(node.report.optional, &statuses);
        ItemReport {
            status,
            basis,
            reason,
            items: children,
            ..node.report.clone()
        }
    }

    /// The item as its owning part reported it (the first appearance may be
    /// another part's container copy).
    fn as_judged_by(&self, id: &str, shard: usize) -> Option<ItemReport> {
        let node = &self.nodes[id];
        (node.shard == shard).then(|| node.report.clone())
    }
}

/// The earliest start and the time until the last part ended.
fn span<'a>(reports: impl Iterator<Item = &'a Report>) -> (String, u64) {
    let mut start: Option<(jiff::Timestamp, &str)> = None;
    let mut end: Option<jiff::Timestamp> = None;
    let mut longest = 0;
    for r in reports {
        longest = longest.max(r.duration_ms);
        if let Ok(t) = r.started_at.parse::<jiff::Timestamp>() {
            if start.is_none_or(|(s, _)| t < s) {
                start = Some((t, &r.started_at));
            }
            let e = t + jiff::SignedDuration::from_millis(
                i64::try_from(r.duration_ms).unwrap_or(i64::MAX / 2),
            );
            end = Some(end.map_or(e, |x: jiff::Timestamp| x.max(e)));
        }
    }
    match (start, end) {
        (Some((s, text)), Some(e)) => {
            let ms = (e.as_millisecond() - s.as_millisecond()).max(0);
            (text.to_owned(), u64::try_from(ms).unwrap_or(longest))
        }
        _ => (String::new(), longest),
    }
}

/// The gate policy a report was judged by.
fn policy_of(report: &Report) -> Option<GatePolicy> {
    let gate = report.gate.as_ref()?;
    Some(GatePolicy {
        scope: if gate.scope == "critical" {
            GateScope::Critical
        } else {
            GateScope::All
        },
        fail_on: if gate.blocking == "red" {
            FailOn::Red
        } else {
            FailOn::Yellow
        },
        allow_waivers: gate.waivers_count,
        allow_empty: gate.allow_empty,
    })
}
