//! The scheduler: which probe runs when.
//!
//! - At most `concurrency` probes are in flight, and at most `per_host` against
//!   any one `host:port`; hosts take turns, so one busy API cannot starve the rest.
//! - A probe whose item depends (itself or through a group) on other items waits
//!   until those items' statuses are final; when one of them is not green, the
//!   probe is not run at all (unless `run_blocked`) and its outcome says why.
//! - Cancellation stops launching, drops the probes in flight (closing their
//!   sockets), and marks everything unfinished as skipped.
//!
//! One coordinator loop owns all of this state; workers only run probes.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::engine::attempt::attempt;
use crate::engine::plan::{Plan, PlanItem, PlanProbe};
use crate::engine::redact::Redactor;
use crate::engine::rollup;
use crate::engine::{Event, RunOptions};
use crate::outcome::{ProbeOutcome, Status, Verdict};
use crate::probe::Context;

/// One probe to run, and the item it belongs to (pre-order index in the plan).
pub(crate) struct Task {
    pub item: usize,
    pub item_id: String,
    pub probe: Arc<PlanProbe>,
    pub host: Option<String>,
}

/// What scheduling produced: one outcome per task, and whether it was cut short.
pub(crate) struct Finished {
    pub outcomes: Vec<ProbeOutcome>,
    pub interrupted: bool,
}

/// Items flattened in pre-order, with parents and resolved dependencies.
struct Items<'a> {
    list: Vec<&'a PlanItem>,
    /// Each item's dependencies and its ancestors' (a group's `depends_on` holds its children too).
    effective_deps: Vec<Vec<usize>>,
    /// Index of the first item after each item's subtree.
    subtree_end: Vec<usize>,
}

impl<'a> Items<'a> {
    fn new(plan: &'a Plan) -> Self {
        let items = plan.walk();
        let mut parent = vec![None; items.len()];
        let mut subtree_end = vec![0; items.len()];
        fn mark(
            item: &PlanItem,
            start: usize,
            parent: &mut [Option<usize>],
            end: &mut [usize],
        ) -> usize {
            let mut next = start + 1;
            for child in &item.items {
                parent[next] = Some(start);
                next = mark(child, next, parent, end);
            }
            end[start] = next;
            next
        }
        let mut next = 0;
        for top in &plan.items {
            next = mark(top, next, &mut parent, &mut subtree_end);
        }
        let by_id: HashMap<&str, usize> = items
            .iter()
            .enumerate()
            .map(|(i, it)| (it.id.as_str(), i))
            .collect();
        let mut effective_deps = vec![Vec::new(); items.len()];
        for i in 0..items.len() {
            let mut deps: Vec<usize> = items[i]
                .depends_on
                .iter()
                .filter_map(|d| by_id.get(d.as_str()).copied())
                .collect();
            if let Some(p) = parent[i] {
                deps.extend(effective_deps[p].iter().copied());
            }
            deps.sort_unstable();
            deps.dedup();
            effective_deps[i] = deps;
        }
        Items {
            list: items,
            effective_deps,
            subtree_end,
        }
    }
}

/// Runs every task, honouring dependencies, limits and cancellation.
pub(crate) async fn run(
    plan: &Plan,
    tasks: Vec<Task>,
    options: &RunOptions,
    events: Option<&mpsc::UnboundedSender<Event>>,
) -> Finished {
    let graph = Items::new(plan);
    let mut state = State::new(plan, &graph, &tasks, options);
    let no_exec = options.no_exec || crate::probe::exec::disabled_by_env();
    let ctx = Arc::new(Context::new(plan.base_dir.clone()).with_no_exec(no_exec));
    let redactor = Arc::new(Redactor::from_plan(plan));
    let tasks: Vec<Arc<Task>> = tasks.into_iter().map(Arc::new).collect();
    let mut running: JoinSet<(usize, ProbeOutcome, Vec<String>)> = JoinSet::new();
    // Secrets probes learnt while running (a flow's captured tokens): masked
    // in their own outcome at once, and in every outcome before the run ends.
    let mut learnt: Vec<String> = Vec::new();
    let cancel = options.cancel.clone().unwrap_or_default();

    state.resolve_ready_targets(&tasks, events);
    loop {
        while running.len() < options.concurrency.max(1) {
            let Some(t) = state.next_launch(&tasks) else {
                break;
            };
            let task = Arc::clone(&tasks[t]);
            let (ctx, redactor) = (Arc::clone(&ctx), Arc::clone(&redactor));
            running.spawn(async move {
                let run = std::panic::AssertUnwindSafe(attempt(&task.probe, &ctx));
                let (mut outcome, learnt) = futures::FutureExt::catch_unwind(run)
                    .await
                    .unwrap_or_else(|_| {
                        let crashed = ProbeOutcome::bare(
                            task.probe.kind.name(),
                            task.probe.kind.target(),
                            Verdict::Error,
                            "the probe crashed: this is a bug in Candlefish, please report it"
                                .to_owned(),
                        );
                        (crashed, Vec::new())
                    });
                if learnt.is_empty() {
                    redactor.outcome(&mut outcome);
                } else {
                    redactor
                        .extended(learnt.iter().cloned())
                        .outcome(&mut outcome);
                }
                (t, outcome, learnt)
            });
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                running.abort_all();
                while running.join_next().await.is_some() {}
                return mask_learnt(state.finish(&tasks, true), learnt);
            }
            joined = running.join_next() => {
                if let Some(Ok((t, outcome, mut secrets))) = joined {
                    learnt.append(&mut secrets);
                    state.complete(t, outcome, &tasks, events);
                }
            }
        }
    }
    mask_learnt(state.finish(&tasks, false), learnt)
}

/// Masks what probes learnt while running in every outcome of the run: a
/// token one flow captured may show in another probe's evidence too.
fn mask_learnt(mut finished: Finished, learnt: Vec<String>) -> Finished {
    if !learnt.is_empty() {
        let redactor = Redactor::new(learnt);
        for outcome in &mut finished.outcomes {
            redactor.outcome(outcome);
        }
    }
    finished
}

struct State<'a> {
    plan: &'a Plan,
    graph: &'a Items<'a>,
    attested: &'a crate::engine::attest::Attestations,
    /// The run's clock, for due dates.
    now: jiff::Timestamp,
    concurrency_per_host: usize,
    run_blocked: bool,
    outcomes: Vec<Option<ProbeOutcome>>,
    /// For each dependency target: how many tasks in its closure are unfinished.
    remaining: HashMap<usize, usize>,
    /// For each task: the dependency targets whose closure holds it.
    task_targets: Vec<Vec<usize>>,
    /// For each dependency target: the tasks waiting on it.
    dependents: HashMap<usize, Vec<usize>>,
    /// For each task: dependency targets not yet resolved.
    waiting: Vec<usize>,
    resolved: HashMap<usize, Status>,
    queues: HashMap<Option<String>, VecDeque<usize>>,
    eligible: VecDeque<Option<String>>,
    in_eligible: HashSet<Option<String>>,
    in_flight: HashMap<String, usize>,
}

impl<'a> State<'a> {
    fn new(plan: &'a Plan, graph: &'a Items<'a>, tasks: &[Task], options: &'a RunOptions) -> Self {
        let mut tasks_of_item: Vec<Vec<usize>> = vec![Vec::new(); graph.list.len()];
        for (t, task) in tasks.iter().enumerate() {
            tasks_of_item[task.item].push(t);
        }
        let targets: HashSet<usize> = graph.effective_deps.iter().flatten().copied().collect();
        // The closure of a target: every task whose outcome its status may depend on.
        let mut closures: HashMap<usize, HashSet<usize>> = HashMap::new();
        fn closure(
            d: usize,
            graph: &Items<'_>,
            tasks_of_item: &[Vec<usize>],
            memo: &mut HashMap<usize, HashSet<usize>>,
            depth: usize,
        ) -> HashSet<usize> {
            if let Some(done) = memo.get(&d) {
                return done.clone();
            }
            let mut set = HashSet::new();
            if depth > graph.list.len() {
                return set; // validation rejects cycles; stay total anyway
            }
            for i in d..graph.subtree_end[d] {
                set.extend(tasks_of_item[i].iter().copied());
                for &dep in &graph.effective_deps[i] {
                    if !(d..graph.subtree_end[d]).contains(&dep) {
                        set.extend(closure(dep, graph, tasks_of_item, memo, depth + 1));
                    }
                }
            }
            memo.insert(d, set.clone());
            set
        }
        let mut remaining = HashMap::new();
        let mut task_targets = vec![Vec::new(); tasks.len()];
        for &d in &targets {
            let set = closure(d, graph, &tasks_of_item, &mut closures, 0);
            remaining.insert(d, set.len());
            for t in set {
                task_targets[t].push(d);
            }
        }
        let mut dependents: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut waiting = vec![0; tasks.len()];
        let mut state_ready = Vec::new();
        for (t, task) in tasks.iter().enumerate() {
            let deps = &graph.effective_deps[task.item];
            waiting[t] = deps.len();
            for &d in deps {
                dependents.entry(d).or_default().push(t);
            }
            if deps.is_empty() {
                state_ready.push(t);
            }
        }
        let mut state = State {
            plan,
            graph,
            attested: &options.attested,
            now: options.started_at.unwrap_or_else(jiff::Timestamp::now),
            concurrency_per_host: options.per_host.max(1),
            run_blocked: options.run_blocked,
            outcomes: vec![None; tasks.len()],
            remaining,
            task_targets,
            dependents,
            waiting,
            resolved: HashMap::new(),
            queues: HashMap::new(),
            eligible: VecDeque::new(),
            in_eligible: HashSet::new(),
            in_flight: HashMap::new(),
        };
        for t in state_ready {
            state.enqueue_host(t, tasks[t].host.clone());
        }
        state
    }

    fn enqueue(&mut self, t: usize, tasks: &[Arc<Task>]) {
        self.enqueue_host(t, tasks[t].host.clone());
    }

    fn enqueue_host(&mut self, t: usize, host: Option<String>) {
        self.queues.entry(host.clone()).or_default().push_back(t);
        self.mark_eligible(host);
    }

    fn has_capacity(&self, host: Option<&String>) -> bool {
        host.is_none_or(|h| self.in_flight.get(h).copied().unwrap_or(0) < self.concurrency_per_host)
    }

    fn mark_eligible(&mut self, host: Option<String>) {
        let has_work = self.queues.get(&host).is_some_and(|q| !q.is_empty());
        if has_work && self.has_capacity(host.as_ref()) && self.in_eligible.insert(host.clone()) {
            self.eligible.push_back(host);
        }
    }

    /// The next task to start, taking hosts in turn.
    fn next_launch(&mut self, tasks: &[Arc<Task>]) -> Option<usize> {
        while let Some(host) = self.eligible.pop_front() {
            self.in_eligible.remove(&host);
            if !self.has_capacity(host.as_ref()) {
                continue;
            }
            let Some(t) = self.queues.get_mut(&host).and_then(VecDeque::pop_front) else {
                continue;
            };
            if let Some(h) = &tasks[t].host {
                *self.in_flight.entry(h.clone()).or_default() += 1;
            }
            self.mark_eligible(host);
            return Some(t);
        }
        None
    }

    /// Records a finished task and whatever that unblocks.
    fn complete(
        &mut self,
        t: usize,
        outcome: ProbeOutcome,
        tasks: &[Arc<Task>],
        events: Option<&mpsc::UnboundedSender<Event>>,
    ) {
        if let Some(h) = &tasks[t].host
            && let Some(n) = self.in_flight.get_mut(h)
        {
            *n = n.saturating_sub(1);
        }
        let host = tasks[t].host.clone();
        self.record(t, outcome, tasks, events);
        self.mark_eligible(host);
    }

    fn record(
        &mut self,
        t: usize,
        outcome: ProbeOutcome,
        tasks: &[Arc<Task>],
        events: Option<&mpsc::UnboundedSender<Event>>,
    ) {
        let mut work = vec![(t, outcome)];
        while let Some((t, outcome)) = work.pop() {
            if self.outcomes[t].is_some() {
                continue;
            }
            if let Some(tx) = events {
                let _ = tx.send(Event::Finished {
                    item: tasks[t].item_id.clone(),
                    verdict: outcome.verdict,
                });
            }
            self.outcomes[t] = Some(outcome);
            let mut newly_resolved = Vec::new();
            for &d in &self.task_targets[t] {
                if let Some(left) = self.remaining.get_mut(&d) {
                    *left -= 1;
                    if *left == 0 {
                        newly_resolved.push(d);
                    }
                }
            }
            for d in newly_resolved {
                work.extend(self.resolve(d, tasks));
            }
        }
    }

    /// Decides a dependency target's status; returns the tasks it blocks (as skipped outcomes).
    fn resolve(&mut self, d: usize, tasks: &[Arc<Task>]) -> Vec<(usize, ProbeOutcome)> {
        let status = rollup::status_of(
            self.plan,
            &self.outcomes_by_item(tasks),
            self.attested,
            self.now,
            d,
        );
        self.resolved.insert(d, status);
        let mut blocked = Vec::new();
        let id = &self.graph.list[d].id;
        for t in self.dependents.get(&d).cloned().unwrap_or_default() {
            if self.outcomes[t].is_some() {
                continue;
            }
            if status != Status::Green && !self.run_blocked {
                let task = &tasks[t];
                let mut outcome = ProbeOutcome::bare(
                    task.probe.kind.name(),
                    task.probe.kind.target(),
                    Verdict::Skipped,
                    format!("not run: blocked by `{id}` ({})", status.word()),
                );
                outcome.name.clone_from(&task.probe.name);
                blocked.push((t, outcome));
                continue;
            }
            self.waiting[t] -= 1;
            if self.waiting[t] == 0 {
                self.enqueue(t, tasks);
            }
        }
        blocked
    }

    /// Targets whose closure holds no task are decided before anything runs.
    fn resolve_ready_targets(
        &mut self,
        tasks: &[Arc<Task>],
        events: Option<&mpsc::UnboundedSender<Event>>,
    ) {
        let mut empty: Vec<usize> = self
            .remaining
            .iter()
            .filter(|(_, n)| **n == 0)
            .map(|(d, _)| *d)
            .collect();
        empty.sort_unstable();
        for d in empty {
            for (t, outcome) in self.resolve(d, tasks) {
                self.record(t, outcome, tasks, events);
            }
        }
    }

    fn outcomes_by_item(&self, tasks: &[Arc<Task>]) -> HashMap<usize, Vec<ProbeOutcome>> {
        let mut map: HashMap<usize, Vec<ProbeOutcome>> = HashMap::new();
        for (t, outcome) in self.outcomes.iter().enumerate() {
            if let Some(outcome) = outcome {
                map.entry(tasks[t].item).or_default().push(outcome.clone());
            }
        }
        map
    }

    fn finish(self, tasks: &[Arc<Task>], interrupted: bool) -> Finished {
        let outcomes = self
            .outcomes
            .into_iter()
            .enumerate()
            .map(|(t, outcome)| {
                outcome.unwrap_or_else(|| {
                    let task = &tasks[t];
                    let why = if interrupted {
                        "not run: interrupted"
                    } else {
                        "not run"
                    };
                    ProbeOutcome::bare(
                        task.probe.kind.name(),
                        task.probe.kind.target(),
                        Verdict::Skipped,
                        why.to_owned(),
                    )
                })
            })
            .collect();
        Finished {
            outcomes,
            interrupted,
        }
    }
}
