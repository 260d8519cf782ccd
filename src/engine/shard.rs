//! `check --shard K/N`: a deterministic part of a checklist, for running a
//! very large one over several processes (an Indexed Job's pods), and the
//! [`ShardInfo`] `merge` needs to put the parts back together.
//!
//! Items are grouped into units that must run together: an item is joined
//! with everything it depends on, and an item whose status is its own (it
//! has probes, a sign-off rule, a declared status or dependencies, or
//! something depends on it) is joined with its whole subtree. What is left —
//! groups that only hold other items — belongs to no unit: each part keeps
//! such a group as a container, and `merge` rolls it up again from its
//! children. Units are dealt to parts largest first, each to the part with
//! the fewest probes so far (then the fewest items, then the lowest index),
//! so the same checklist always splits the same way.

use std::collections::HashSet;

use crate::engine::plan::{Plan, PlanItem};
use crate::outcome::ShardInfo;

/// Part `index` (from 1) of `count` of `plan`.
pub fn part(plan: &Plan, index: usize, count: usize) -> (Plan, ShardInfo) {
    let all = plan.walk();
    let assignment = assign(plan, count);
    let keep: HashSet<&str> = all
        .iter()
        .zip(&assignment)
        .filter(|(_, part)| **part == Some(index - 1))
        .map(|(item, _)| item.id.as_str())
        .collect();
    let owned = all
        .iter()
        .filter(|i| keep.contains(i.id.as_str()))
        .map(|i| i.id.clone())
        .collect();
    let info = ShardInfo {
        index,
        count,
        owned,
        order: all.iter().map(|i| i.id.clone()).collect(),
    };
    let part = Plan {
        info: plan.info.clone(),
        base_dir: plan.base_dir.clone(),
        signoffs: plan.signoffs.clone(),
        items: plan.items.iter().filter_map(|i| prune(i, &keep)).collect(),
    };
    (part, info)
}

/// For every item (depth first), the part (from 0) that judges it; `None`
/// for containers, which every part holding their children keeps.
pub fn assign(plan: &Plan, count: usize) -> Vec<Option<usize>> {
    let all = plan.walk();
    let n = all.len();
    let index: std::collections::HashMap<&str, usize> = all
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    // Depth first, an item's subtree is the run of items after it.
    let sizes: Vec<usize> = all.iter().map(|i| i.walk().len()).collect();
    let targets: HashSet<&str> = all
        .iter()
        .flat_map(|i| i.depends_on.iter().map(String::as_str))
        .collect();
    let judged = |item: &PlanItem| {
        item.items.is_empty()
            || !item.probes.is_empty()
            || item.manual.is_some()
            || item.declared.is_some()
            || !item.depends_on.is_empty()
            || targets.contains(item.id.as_str())
    };
    let mut units = UnionFind::new(n);
    for (i, item) in all.iter().enumerate() {
        if !judged(item) {
            continue;
        }
        for j in i + 1..i + sizes[i] {
            units.union(i, j);
        }
        for dep in &item.depends_on {
            if let Some(&t) = index.get(dep.as_str()) {
                units.union(i, t);
            }
        }
    }
    // Units in order of their first item, with their probe and item counts.
    let mut members: Vec<(usize, usize, usize)> = Vec::new(); // (first, probes, items)
    let mut unit_of_root = std::collections::HashMap::new();
    let mut unit_of_item = vec![None; n];
    for (i, item) in all.iter().enumerate() {
        if !judged(item) && !units.joined(i) {
            continue;
        }
        let root = units.find(i);
        let u = *unit_of_root.entry(root).or_insert_with(|| {
            members.push((i, 0, 0));
            members.len() - 1
        });
        let probes = if item.deferred { 0 } else { item.probes.len() };
        members[u].1 += probes;
        members[u].2 += 1;
        unit_of_item[i] = Some(u);
    }
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by(|a, b| {
        let (fa, pa, ia) = members[*a];
        let (fb, pb, ib) = members[*b];
        pb.cmp(&pa).then(ib.cmp(&ia)).then(fa.cmp(&fb))
    });
    let mut loads = vec![(0usize, 0usize); count.max(1)];
    let mut part_of_unit = vec![0; members.len()];
    for u in order {
        let (_, probes, items) = members[u];
        let target = (0..loads.len())
            .min_by_key(|p| (loads[*p].0, loads[*p].1, *p))
            .unwrap_or(0);
        loads[target].0 += probes;
        loads[target].1 += items;
        part_of_unit[u] = target;
    }
    unit_of_item
        .into_iter()
        .map(|u| u.map(|u| part_of_unit[u]))
        .collect()
}

fn prune(item: &PlanItem, keep: &HashSet<&str>) -> Option<PlanItem> {
    if keep.contains(item.id.as_str()) {
        return Some(item.clone());
    }
    let children: Vec<PlanItem> = item.items.iter().filter_map(|c| prune(c, keep)).collect();
    if children.is_empty() {
        return None;
    }
    // A container: only the structure; it has nothing of its own to run.
    Some(PlanItem {
        items: children,
        ..item.clone()
    })
}

struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }

    fn joined(&mut self, i: usize) -> bool {
        let root = self.find(i);
        self.size[root] > 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ChecklistInfo;

    fn item(id: &str, children: Vec<PlanItem>) -> PlanItem {
        PlanItem {
            items: children,
            ..PlanItem::fixture(id)
        }
    }

    fn plan() -> Plan {
        let mut b = item("b", vec![]);
        b.depends_on = vec!["g".into()];
        let mut g = item("g", vec![item("g1", vec![]), item("g2", vec![])]);
        g.declared = None;
        Plan {
            info: ChecklistInfo::default(),
            base_dir: std::path::PathBuf::new(),
            signoffs: crate::state::trust::Rules::default(),
            items: vec![
                item("s1", vec![item("a", vec![]), b, item("c", vec![])]),
                item("s2", vec![g, item("d", vec![])]),
            ],
        }
    }

    fn ids(plan: &Plan) -> Vec<String> {
        plan.walk().iter().map(|i| i.id.clone()).collect()
    }

    #[test]
    fn an_item_and_what_it_depends_on_share_a_part_and_containers_have_none() {
        let plan = plan();
        let parts = assign(&plan, 3);
        let at = |id: &str| parts[plan.walk().iter().position(|i| i.id == id).unwrap()];
        assert_eq!(at("s1"), None);
        assert_eq!(at("s2"), None);
        assert_eq!(at("b"), at("g"));
        assert_eq!(at("g"), at("g1"));
        assert_eq!(at("g"), at("g2"));
        // Every judged item has a part, and the split is the same every time.
        assert!(
            ["a", "b", "c", "d", "g", "g1", "g2"]
                .iter()
                .all(|id| at(id).is_some())
        );
        assert_eq!(assign(&plan, 3), parts);
    }

    #[test]
    fn parts_cover_every_item_once_and_keep_their_containers() {
        let plan = plan();
        let mut seen = Vec::new();
        for k in 1..=3 {
            let (part, info) = part(&plan, k, 3);
            assert_eq!(info.order, ids(&plan));
            for id in &info.owned {
                assert!(ids(&part).contains(id));
            }
            seen.extend(info.owned);
        }
        seen.sort();
        assert_eq!(seen, ["a", "b", "c", "d", "g", "g1", "g2"]);
        let (one, info) = part(&plan, 1, 1);
        assert_eq!(ids(&one), ids(&plan));
        assert_eq!(info.owned.len(), 7);
    }
}
