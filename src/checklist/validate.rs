//! The semantic pass: everything the types cannot say, reported all at once —
//! duplicate ids, unknown or cyclic `depends_on`, thresholds that can never
//! hold — then the [`Plan`] the engine runs.

use std::collections::HashMap;
use std::time::Duration;

use crate::checklist::diagnostic::{Diagnostic, Span, did_you_mean};
use crate::checklist::model::{Checklist, Item};
use crate::checklist::scalar::Dur;
use crate::engine::plan::{
    DEFAULT_INTERVAL, DEFAULT_RETRY_DELAY, Declared, MAX_RETRIES, Persistence, Plan, PlanItem,
    PlanProbe,
};
use crate::outcome::{ChecklistInfo, ChecklistNotes};
use crate::probe::{DEFAULT_TIMEOUT, ProbeOptions};

/// How probes are checked: the deadline of one that sets none, and whether its
/// kind's own settings are checked (not when nothing will run).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProbeRules {
    /// The default deadline of one attempt.
    pub timeout: Duration,
    /// Check URLs, patterns and the like.
    pub kind_checks: bool,
}

/// Options that shape the plan without being part of the checklist.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Replaces `defaults.timeout` (but not a probe's own `timeout`).
    pub default_timeout: Option<Duration>,
    /// The checklist's directory, against which probes resolve relative paths
    /// (default: the current directory).
    pub base_dir: Option<std::path::PathBuf>,
    /// Nothing will run: a probe's own settings (URLs, patterns) are not
    /// checked, since they may hold `${NAME}` left unresolved on purpose.
    pub nothing_runs: bool,
}

/// What validation found: the plan, or the errors; warnings either way.
#[derive(Debug)]
pub struct Validated {
    /// The plan, when there were no errors.
    pub plan: Option<Plan>,
    /// The launch-day runbook, when the checklist has one and there were no errors.
    pub runbook: Option<crate::runbook::plan::Runbook>,
    /// Every problem, errors first.
    pub diagnostics: Vec<Diagnostic>,
}

/// Validates a parsed checklist and builds its plan.
///
/// `files` names the checklist's sources (the checklist first, then the files
/// it includes), for diagnostics that point from one file to another.
pub fn validate(checklist: &Checklist, files: &[&str], options: &PlanOptions) -> Validated {
    let mut problems = Vec::new();
    if checklist.version.value != 1 {
        problems.push(
            Diagnostic::error(
                format!("unsupported checklist version {}", checklist.version.value),
                Span::from_location(&checklist.version.referenced),
            )
            .with_help("this Candlefish reads `version: 1`"),
        );
    }
    if let (Some(last), Some(next)) = (checklist.last_reviewed, checklist.next_review)
        && next < last
    {
        problems.push(Diagnostic::error(
            format!("next_review ({next}) is before last_reviewed ({last})"),
            None,
        ));
    }
    if checklist.sections.is_empty() {
        problems.push(
            Diagnostic::error("the checklist has no sections", None)
                .with_help("add at least one item under `sections:`"),
        );
    }
    let items: Vec<&Item> = checklist.sections.iter().flat_map(Item::walk).collect();
    check_ids(&items, files, &mut problems);
    check_dependencies(checklist, &items, &mut problems);
    if problems.is_empty() {
        check_chain_depth(&checklist.sections, &items, &mut problems);
    }
    let default_timeout = options
        .default_timeout
        .or(checklist.defaults.timeout.as_ref().map(|t| t.value.0))
        .unwrap_or(DEFAULT_TIMEOUT);
    let rules = ProbeRules {
        timeout: default_timeout,
        kind_checks: !options.nothing_runs,
    };
    if let Some(t) = &checklist.defaults.timeout
        && t.value.0.is_zero()
    {
        problems.push(Diagnostic::error(
            "defaults.timeout is 0: every probe would time out",
            Span::from_location(&t.referenced),
        ));
    }
    for item in &items {
        check_item(item, rules, &mut problems);
    }
    super::due::check(&checklist.sections, None, &mut problems);
    let base_dir = options
        .base_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let signoffs = check_signoffs(checklist, &items, &base_dir, &mut problems);
    let runbook = checklist
        .runbook
        .as_ref()
        .and_then(|spec| super::runbook::validate(spec, &items, rules, &mut problems));
    problems.sort_by_key(|d| d.severity != crate::checklist::diagnostic::Severity::Error);
    let has_errors = problems
        .iter()
        .any(|d| d.severity == crate::checklist::diagnostic::Severity::Error);
    let plan = (!has_errors).then(|| Plan {
        info: ChecklistInfo {
            name: checklist.name.clone(),
            file: files.first().map(|f| (*f).to_owned()),
            owner: checklist.owner.clone(),
            last_reviewed: checklist.last_reviewed.map(|d| d.to_string()),
            next_review: checklist.next_review.map(|d| d.to_string()),
            description: checklist.description.clone(),
            notes: ChecklistNotes {
                blockers: checklist.notes.blockers.clone(),
                decisions: checklist.notes.decisions.clone(),
                dependencies: checklist.notes.dependencies.clone(),
                risks: checklist.notes.risks.clone(),
            },
        },
        base_dir,
        items: checklist
            .sections
            .iter()
            .map(|s| plan_item(s, &Inherited::default(), default_timeout))
            .collect(),
        signoffs,
    });
    Validated {
        runbook: runbook.filter(|_| plan.is_some()),
        plan,
        diagnostics: problems,
    }
}

/// `signoffs:` and every `manual.signers`: the allowed signers file must read,
/// `require_signed` and `signers` need it, and a signer names someone in it.
fn check_signoffs(
    checklist: &Checklist,
    items: &[&Item],
    base_dir: &std::path::Path,
    problems: &mut Vec<Diagnostic>,
) -> crate::state::trust::Rules {
    let spec = checklist.signoffs.as_ref();
    let file = spec.and_then(|s| s.allowed_signers.as_ref());
    let require = spec.and_then(|s| s.require_signed.as_ref());
    let mut allowed = None;
    if let Some(file) = file {
        let span = Span::from_location(&file.referenced);
        if file.value.trim().is_empty() {
            problems.push(Diagnostic::error("signoffs.allowed_signers is empty", span));
        } else {
            match crate::state::allowed_signers::AllowedSigners::read(&base_dir.join(&file.value))
            {
                Ok(signers) => allowed = Some(signers),
                Err(message) => problems.push(
                    Diagnostic::error(format!("allowed signers: {message}"), span).with_help(
                        "the file is in OpenSSH's allowed_signers format (ssh-keygen(1)), relative to the checklist",
                    ),
                ),
            }
        }
    }
    if let Some(require) = require
        && require.value
        && file.is_none()
    {
        problems.push(
            Diagnostic::error(
                "signoffs.require_signed needs signoffs.allowed_signers",
                Span::from_location(&require.referenced),
            )
            .with_help("a signature proves who signed only against a list of keys: add `allowed_signers: FILE`"),
        );
    }
    for item in items {
        let Some(manual) = &item.manual else { continue };
        if manual.signers.is_empty() {
            continue;
        }
        let id = &item.id.value;
        if file.is_none() {
            problems.push(
                Diagnostic::error(
                    format!("`{id}`: manual.signers needs signoffs.allowed_signers at the top of the checklist"),
                    item.span_of(&item.id),
                )
                .with_help("the signers are principals or groups of an allowed_signers file: add `signoffs: { allowed_signers: FILE }`"),
            );
            continue;
        }
        if let Some(allowed) = &allowed {
            for name in &manual.signers {
                if !allowed.signers.iter().any(|s| s.is(name)) {
                    problems.push(
                        Diagnostic::warning(
                            format!("`{id}`: no key in the allowed signers is listed for `{name}`, so no sign-off by `{name}` can count"),
                            item.span_of(&item.id),
                        ),
                    );
                }
            }
        }
    }
    crate::state::trust::Rules {
        allowed_signers: file.map(|f| std::path::PathBuf::from(&f.value)),
        require_signed: require.is_some_and(|r| r.value),
    }
}

/// Letters, digits, `-`, `_` and `.`, starting with a letter or digit.
pub(crate) fn valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn check_ids(items: &[&Item], files: &[&str], problems: &mut Vec<Diagnostic>) {
    let mut seen: HashMap<&str, Option<Span>> = HashMap::new();
    for item in items {
        let id = item.id.value.as_str();
        if !valid_id(id) {
            problems.push(
                Diagnostic::error(format!("`{id}` is not a valid id"), item.span_of(&item.id))
                    .with_help("ids are letters, digits, `-`, `_` and `.`, starting with a letter or digit"),
            );
        }
        if let Some(first) = seen.get(id) {
            let mut d = Diagnostic::error(format!("duplicate id `{id}`"), item.span_of(&item.id))
                .with_help("ids must be unique across the checklist and the files it includes: rename one of them");
            if let Some(first) = first {
                let place = if Some(first.file) == item.span_of(&item.id).map(|s| s.file) {
                    format!("line {}", first.line)
                } else {
                    let file = files.get(first.file as usize).copied().unwrap_or("?");
                    format!("{file}:{}", first.line)
                };
                d = d.with_note(format!("`{id}` is first defined at {place}"));
            }
            problems.push(d);
        } else {
            seen.insert(id, item.span_of(&item.id));
        }
    }
}

fn check_dependencies(checklist: &Checklist, items: &[&Item], problems: &mut Vec<Diagnostic>) {
    let ids: Vec<&str> = items.iter().map(|i| i.id.value.as_str()).collect();
    let known: std::collections::HashSet<&str> = ids.iter().copied().collect();
    // Edges: an item depends on its dependencies, and a group on its children.
    let mut edges: HashMap<&str, Vec<(&str, bool)>> = HashMap::new();
    for item in items {
        let from = item.id.value.as_str();
        for child in &item.items {
            edges
                .entry(from)
                .or_default()
                .push((child.id.value.as_str(), false));
        }
        for dep in &item.depends_on {
            let to = dep.value.as_str();
            if to == from {
                problems.push(Diagnostic::error(
                    format!("`{from}` depends on itself"),
                    item.span_of(dep),
                ));
            } else if known.contains(to) {
                edges.entry(from).or_default().push((to, true));
            } else {
                let mut d = Diagnostic::error(
                    format!("`{from}` depends on unknown id `{to}`"),
                    item.span_of(dep),
                );
                if let Some(best) = did_you_mean(to, ids.iter().copied()) {
                    d = d.with_help(format!("did you mean `{best}`?"));
                }
                problems.push(d);
            }
        }
    }
    let dep_spans: HashMap<(&str, &str), Option<Span>> = items
        .iter()
        .flat_map(|i| {
            i.depends_on
                .iter()
                .map(move |d| ((i.id.value.as_str(), d.value.as_str()), i.span_of(d)))
        })
        .collect();
    let roots: Vec<&str> = checklist
        .sections
        .iter()
        .map(|s| s.id.value.as_str())
        .chain(ids.iter().copied())
        .collect();
    let mut reported: Vec<Vec<&str>> = Vec::new();
    for cycle in find_cycles(&roots, &edges) {
        let mut names: Vec<&str> = cycle.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        if reported.contains(&names) {
            continue;
        }
        reported.push(names);
        let text = cycle_text(&cycle);
        let span = cycle
            .iter()
            .enumerate()
            .find(|(_, (_, dep))| *dep)
            .and_then(|(i, (from, _))| {
                let to = cycle[(i + 1) % cycle.len()].0;
                dep_spans.get(&(*from, to)).copied().flatten()
            });
        problems.push(
            Diagnostic::error(format!("dependency cycle: {text}"), span)
                .with_help("`a → b` means a depends on b, `a ⊃ b` that group a contains b; remove one dependency"),
        );
    }
}

/// A cycle as `a → b → c → a`; a long one keeps its first and last links
/// and says how many are left out, so its line stays readable.
fn cycle_text(cycle: &[(&str, bool)]) -> String {
    const HEAD: usize = 4;
    const TAIL: usize = 3;
    let link = |(name, dep): &(&str, bool)| format!("{name}{}", if *dep { " → " } else { " ⊃ " });
    let shown: Vec<&(&str, bool)> = if cycle.len() <= HEAD + TAIL + 1 {
        cycle.iter().collect()
    } else {
        cycle[..HEAD]
            .iter()
            .chain(&cycle[cycle.len() - TAIL..])
            .collect()
    };
    let mut text = String::new();
    for (n, l) in shown.iter().enumerate() {
        if n == HEAD && cycle.len() > HEAD + TAIL + 1 {
            text.push_str(&format!("… ({} more items) … ", cycle.len() - HEAD - TAIL));
        }
        text.push_str(&link(l));
    }
    text.push_str(cycle[0].0);
    text
}

/// The longest chain of `depends_on` the engine follows; longer is refused, so
/// that nothing downstream (the roll-up, the scheduler) meets an unbounded
/// chain. Real checklists stay far below it.
pub const MAX_CHAIN: usize = 256;

/// Refuses `depends_on` chains longer than [`MAX_CHAIN`]. Runs after the cycle
/// check, so the graph is acyclic; iterative, so a long chain cannot overflow
/// the stack.
fn check_chain_depth(sections: &[Item], items: &[&Item], problems: &mut Vec<Diagnostic>) {
    let index: HashMap<&str, usize> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (item.id.value.as_str(), i))
        .collect();
    // An item also depends on what its groups depend on, as the engine has it.
    // `items` is the depth-first walk of `sections`, so a parent comes first.
    fn parents(item: &Item, parent: Option<usize>, next: &mut usize, out: &mut Vec<Option<usize>>) {
        let me = *next;
        out.push(parent);
        *next += 1;
        for child in &item.items {
            parents(child, Some(me), next, out);
        }
    }
    let mut parent: Vec<Option<usize>> = Vec::with_capacity(items.len());
    let mut next = 0;
    for section in sections {
        parents(section, None, &mut next, &mut parent);
    }
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let mut own: Vec<usize> = item
            .depends_on
            .iter()
            .filter_map(|d| index.get(d.value.as_str()).copied())
            .collect();
        if let Some(p) = parent.get(i).copied().flatten() {
            own.extend(deps[p].iter().copied());
        }
        own.sort_unstable();
        own.dedup();
        deps.push(own);
    }
    // depth[i]: the longest chain starting at i, counted in items.
    let mut depth: Vec<Option<usize>> = vec![None; items.len()];
    let mut on_stack = vec![false; items.len()];
    for start in 0..items.len() {
        let mut stack = vec![(start, 0usize)];
        on_stack[start] = true;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = deps[node].get(*next) {
                *next += 1;
                if depth[dep].is_none() && !on_stack[dep] {
                    on_stack[dep] = true;
                    stack.push((dep, 0));
                }
                continue;
            }
            let longest = deps[node]
                .iter()
                .filter_map(|&d| depth[d])
                .max()
                .unwrap_or(0);
            depth[node] = Some(longest + 1);
            on_stack[node] = false;
            stack.pop();
        }
    }
    if let Some((i, d)) = depth
        .iter()
        .enumerate()
        .filter_map(|(i, d)| d.map(|d| (i, d)))
        .find(|(_, d)| *d > MAX_CHAIN)
    {
        let item = items[i];
        problems.push(
            Diagnostic::error(
                format!(
                    "`{}` starts a chain of {d} items each depending on the next; at most {MAX_CHAIN} are followed",
                    item.id.value
                ),
                item.span_of(&item.id),
            )
            .with_help("depend on a group instead of on each item in turn"),
        );
    }
}

/// Every cycle reachable from `roots` that has at least one dependency edge, as
/// a list of (id, whether the edge to the next id is a dependency). Iterative, so
/// a long chain cannot overflow the stack.
fn find_cycles<'a>(
    roots: &[&'a str],
    edges: &HashMap<&'a str, Vec<(&'a str, bool)>>,
) -> Vec<Vec<(&'a str, bool)>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Visiting,
        Done,
    }
    let no_edges: Vec<(&str, bool)> = Vec::new();
    let mut marks: HashMap<&str, Mark> = HashMap::new();
    let mut cycles = Vec::new();
    for &root in roots {
        if marks.contains_key(root) {
            continue;
        }
        // The DFS path: (node, index of the next edge to follow, kind of the edge that led here).
        let mut path: Vec<(&str, usize, bool)> = vec![(root, 0, false)];
        marks.insert(root, Mark::Visiting);
        while let Some(top) = path.last_mut() {
            let (node, next_edge) = (top.0, top.1);
            let out = edges.get(node).unwrap_or(&no_edges);
            if next_edge == out.len() {
                marks.insert(node, Mark::Done);
                path.pop();
                continue;
            }
            top.1 += 1;
            let (next, by_dep) = out[next_edge];
            match marks.get(next) {
                Some(Mark::Done) => {}
                Some(Mark::Visiting) => {
                    let start = path.iter().position(|(n, _, _)| *n == next).unwrap_or(0);
                    let mut cycle: Vec<(&str, bool)> = Vec::new();
                    for i in start..path.len() {
                        let to_next = path.get(i + 1).map_or(by_dep, |(_, _, dep)| *dep);
                        cycle.push((path[i].0, to_next));
                    }
                    if cycle.iter().any(|(_, dep)| *dep) {
                        cycles.push(cycle);
                    }
                }
                None => {
                    marks.insert(next, Mark::Visiting);
                    path.push((next, 0, by_dep));
                }
            }
        }
    }
    cycles
}

fn check_item(item: &Item, rules: ProbeRules, problems: &mut Vec<Diagnostic>) {
    let id = item.id.value.as_str();
    if item.critical && item.optional {
        problems.push(
            Diagnostic::error(
                format!("`{id}` is both critical and optional"),
                item.span_of(&item.id),
            )
            .with_help("an optional item never blocks a launch; drop one of the two"),
        );
    }
    let has_probes = item.all_probes().next().is_some();
    if !has_probes && item.manual.is_none() && item.status.is_none() && item.items.is_empty() {
        problems.push(
            Diagnostic::warning(format!("`{id}` has nothing to verify it"), item.span_of(&item.id))
                .with_help("add a `probe`, `manual: true`, a declared `status`, or child `items`; until then it is red"),
        );
    }
    if let Some(manual) = &item.manual
        && manual.signoffs == 0
    {
        problems.push(Diagnostic::error(
            format!("`{id}`: manual.signoffs is 0; at least one person must sign off"),
            item.span_of(&item.id),
        ));
    }
    for spec in item.all_probes() {
        check_probe(id, spec, item.origin, rules, problems);
    }
}

/// The problems of one probe of the item or runbook step `id`: a zero
/// timeout, persistence knobs that do not fit together, the kind's own checks.
pub(crate) fn check_probe(
    id: &str,
    spec: &serde_saphyr::Spanned<crate::probe::ProbeSpec>,
    file: u32,
    rules: ProbeRules,
    problems: &mut Vec<Diagnostic>,
) {
    let timeout = spec.value.options.timeout.map_or(rules.timeout, |t| t.0);
    let span = Span::from_location(&spec.referenced).map(|s| s.in_file(file));
    if timeout.is_zero() {
        problems.push(Diagnostic::error(
            format!("`{id}`: probe timeout is 0"),
            span,
        ));
        return;
    }
    for message in persistence_problems(&spec.value.options) {
        problems.push(Diagnostic::error(format!("`{id}`: {message}"), span));
    }
    if !rules.kind_checks {
        return;
    }
    for message in spec.value.kind.validate(timeout) {
        problems.push(Diagnostic::error(
            format!("`{id}`: {} probe: {message}", spec.value.kind.name()),
            span,
        ));
    }
}

/// A probe as the engine runs it: its deadline and persistence resolved.
pub(crate) fn plan_probe(spec: &crate::probe::ProbeSpec, default_timeout: Duration) -> PlanProbe {
    PlanProbe {
        kind: spec.kind.clone(),
        name: spec.options.name.clone(),
        timeout: spec.options.timeout.map_or(default_timeout, |t| t.0),
        persistence: persistence(&spec.options),
    }
}

/// Retries and `wait_until` are two ways of trying again; each has its own knobs.
fn persistence_problems(options: &ProbeOptions) -> Vec<String> {
    let mut out = Vec::new();
    if options.retries.is_some() && options.wait_until.is_some() {
        out.push("`retries` and `wait_until` cannot be combined: retry a few times, or wait until a deadline".to_owned());
    }
    if let Some(n) = options.retries
        && n > MAX_RETRIES
    {
        out.push(format!(
            "retries is {n}; at most {MAX_RETRIES} (use `wait_until` to keep trying for a while)"
        ));
    }
    if options.retry_delay.is_some() && options.retries.is_none() {
        out.push("`retry_delay` needs `retries`".to_owned());
    }
    if options.interval.is_some() && options.wait_until.is_none() {
        out.push("`interval` needs `wait_until`".to_owned());
    }
    if let Some(wait) = options.wait_until {
        let interval = options.interval.map_or(DEFAULT_INTERVAL, |i| i.0);
        if interval.is_zero() {
            out.push("interval is 0: give the system a moment between attempts".to_owned());
        } else if interval >= wait.0 {
            out.push(format!(
                "interval ({}) is not below wait_until ({wait}): there would be one attempt",
                Dur(interval)
            ));
        }
    }
    out
}

fn persistence(options: &ProbeOptions) -> Persistence {
    if let Some(wait) = options.wait_until {
        Persistence::WaitUntil {
            deadline: wait.0,
            interval: options.interval.map_or(DEFAULT_INTERVAL, |i| i.0),
        }
    } else if let Some(retries) = options.retries.filter(|n| *n > 0) {
        Persistence::Retry {
            retries,
            delay: options.retry_delay.map_or(DEFAULT_RETRY_DELAY, |d| d.0),
        }
    } else {
        Persistence::Once
    }
}

/// What an item takes from its ancestors.
#[derive(Debug, Clone, Default)]
struct Inherited {
    optional: bool,
    deferred: bool,
    /// The nearest owner.
    owner: Option<String>,
    /// The earliest due date of the groups around it.
    due: Option<crate::checklist::due::Due>,
}

fn plan_item(item: &Item, parent: &Inherited, default_timeout: Duration) -> PlanItem {
    let declared = item.status.as_ref().map(|s| s.value);
    let owner = item.owner.clone().or_else(|| parent.owner.clone());
    let due = match (&item.due.as_ref().map(|d| &d.value), &parent.due) {
        (Some(own), Some(theirs)) if theirs.deadline < own.deadline => Some(theirs.clone()),
        (Some(own), _) => Some((*own).clone()),
        (None, theirs) => theirs.clone(),
    };
    let inherited = Inherited {
        optional: parent.optional || item.optional,
        deferred: parent.deferred || declared == Some(Declared::Deferred),
        owner: owner.clone(),
        due: due.clone(),
    };
    let optional = inherited.optional;
    PlanItem {
        id: item.id.value.clone(),
        title: item.title.clone(),
        owner: item.owner.clone(),
        tags: item.tags.clone(),
        critical: item.critical,
        optional,
        deferred: inherited.deferred,
        depends_on: item.depends_on.iter().map(|d| d.value.clone()).collect(),
        due: due.map(|due| crate::engine::plan::Deadline { due, owner }),
        declared,
        manual: item.manual.clone(),
        notes: item.notes.clone(),
        docs: item.docs.clone(),
        probes: item
            .all_probes()
            .map(|spec| std::sync::Arc::new(plan_probe(&spec.value, default_timeout)))
            .collect(),
        items: item
            .items
            .iter()
            .map(|child| plan_item(child, &inherited, default_timeout))
            .collect(),
    }
}
