//! `--only`: running part of a checklist. A selector names an id (the item and
//! everything under it) or `tag:NAME` (every item with that tag). Ancestors stay
//! as containers, and whatever a selected item depends on is run too, so
//! "blocked by" stays truthful.

use std::collections::HashSet;

use crate::checklist::diagnostic::did_you_mean;
use crate::engine::plan::{Plan, PlanItem};

/// One `--only` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// An item id.
    Id(String),
    /// Items carrying a tag.
    Tag(String),
}

impl Selector {
    /// Parses `ID` or `tag:NAME`.
    pub fn parse(text: &str) -> Selector {
        match text.strip_prefix("tag:") {
            Some(tag) => Selector::Tag(tag.to_owned()),
            None => Selector::Id(text.to_owned()),
        }
    }

    fn matches(&self, item: &PlanItem) -> bool {
        match self {
            Selector::Id(id) => item.id == *id,
            Selector::Tag(tag) => item.tags.iter().any(|t| t == tag),
        }
    }
}

/// The part of `plan` the selectors name. An error names a selector that
/// matches nothing, with a suggestion.
pub fn select(plan: &Plan, selectors: &[Selector]) -> Result<Plan, String> {
    if selectors.is_empty() {
        return Ok(plan.clone());
    }
    let all = plan.walk();
    for selector in selectors {
        if !all.iter().any(|item| selector.matches(item)) {
            return Err(match selector {
                Selector::Id(id) => {
                    let hint = did_you_mean(id, all.iter().map(|i| i.id.as_str()))
                        .map(|best| format!("; did you mean `{best}`?"))
                        .unwrap_or_default();
                    format!("--only {id}: no item has this id{hint}")
                }
                Selector::Tag(tag) => {
                    let tags: Vec<&str> = all
                        .iter()
                        .flat_map(|i| i.tags.iter().map(String::as_str))
                        .collect();
                    let hint = did_you_mean(tag, tags)
                        .map(|best| format!("; did you mean `tag:{best}`?"))
                        .unwrap_or_default();
                    format!("--only tag:{tag}: no item has this tag{hint}")
                }
            });
        }
    }
    // Whole subtrees of matching items, then everything they depend on.
    let mut keep: HashSet<String> = HashSet::new();
    for item in &all {
        if selectors.iter().any(|s| s.matches(item)) {
            keep.extend(item.walk().iter().map(|i| i.id.clone()));
        }
    }
    loop {
        let before = keep.len();
        for item in &all {
            if keep.contains(&item.id) {
                for dep in &item.depends_on {
                    if let Some(target) = all.iter().find(|i| i.id == *dep) {
                        keep.extend(target.walk().iter().map(|i| i.id.clone()));
                    }
                }
            }
        }
        if keep.len() == before {
            break;
        }
    }
    Ok(Plan {
        info: plan.info.clone(),
        base_dir: plan.base_dir.clone(),
        signoffs: plan.signoffs.clone(),
        items: plan.items.iter().filter_map(|i| prune(i, &keep)).collect(),
    })
}

fn prune(item: &PlanItem, keep: &HashSet<String>) -> Option<PlanItem> {
    let children: Vec<PlanItem> = item.items.iter().filter_map(|c| prune(c, keep)).collect();
    if keep.contains(&item.id) {
        return Some(PlanItem {
            items: children,
            ..item.clone()
        });
    }
    if children.is_empty() {
        return None;
    }
    // A container kept for context: its own probes are not part of the selection.
    Some(PlanItem {
        items: children,
        probes: Vec::new(),
        depends_on: Vec::new(),
        ..item.clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ChecklistInfo;

    fn item(id: &str, tags: &[&str], children: Vec<PlanItem>) -> PlanItem {
        PlanItem {
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            items: children,
            ..PlanItem::fixture(id)
        }
    }

    fn ids(plan: &Plan) -> Vec<String> {
        plan.walk().iter().map(|i| i.id.clone()).collect()
    }

    #[test]
    fn selects_subtrees_tags_and_dependencies() {
        let mut b = item("b", &[], vec![]);
        b.depends_on = vec!["d".into()];
        let plan = Plan {
            info: ChecklistInfo::default(),
            base_dir: std::path::PathBuf::new(),
            signoffs: crate::state::trust::Rules::default(),
            items: vec![
                item("s1", &[], vec![item("a", &["db"], vec![]), b]),
                item(
                    "s2",
                    &[],
                    vec![item("c", &[], vec![]), item("d", &[], vec![])],
                ),
            ],
        };
        assert_eq!(
            ids(&select(&plan, &[Selector::parse("b")]).unwrap()),
            ["s1", "b", "s2", "d"]
        );
        assert_eq!(
            ids(&select(&plan, &[Selector::parse("tag:db")]).unwrap()),
            ["s1", "a"]
        );
        assert_eq!(
            ids(&select(&plan, &[Selector::parse("s2")]).unwrap()),
            ["s2", "c", "d"]
        );
        let err = select(&plan, &[Selector::parse("dd")]).unwrap_err();
        assert_eq!(err, "--only dd: no item has this id; did you mean `d`?");
        assert!(select(&plan, &[Selector::parse("tag:nope")]).is_err());
    }
}
