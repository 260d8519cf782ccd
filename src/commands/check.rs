//! `candlefish check`: load, select, read the sign-off store, run, judge,
//! render — once, or again and again with `--watch`.

use std::path::PathBuf;

use tokio::sync::mpsc;

use super::output::{Output, deliver};
use super::store::{attestations, now, store_path};
use super::{Exit, Terminal, interrupt, load_options, load_or_report, progress, runs, watch};
use crate::cli::{CheckArgs, DisplayArgs};
use crate::engine::attest::Attestations;
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::engine::select::{Selector, select};
use crate::engine::{RunOptions, run as run_engine};
use crate::outcome::Report;
use crate::report::{self, BoardOptions};

pub async fn run(args: CheckArgs, term: Terminal) -> Exit {
    let usage = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    // Before anything else: an interrupt while loading still ends in a board
    // and reports (every probe "not run: interrupted"), never a silent death.
    let cancel = interrupt::install();
    let mut options = match load_options(&args.load) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    options.plan.default_timeout = args.timeout;
    let Some(loaded) = load_or_report(&args.file, &options, term) else {
        return Exit::Usage;
    };
    // Only the plan is needed from here on: the parsed checklist and its text
    // are dropped now, not when this function returns.
    let crate::checklist::Loaded {
        plan: full,
        checklist,
        sources,
        runbook,
        warnings: _,
    } = loaded;
    let store = SignoffStore {
        path: store_path(&args.file, args.state.as_deref()),
    };
    {
        // A baseline may be overwritten (it was read before the run); the
        // checklist, its includes and the store may not.
        let summary = super::output::GithubEnv::detect().step_summary;
        let outputs: Vec<&std::path::Path> = args
            .output
            .reports
            .iter()
            .map(|r| r.path.as_path())
            .chain(summary.as_deref())
            .collect();
        let mut inputs = super::output::checklist_files(&sources);
        inputs.push((store.path.as_path(), "the sign-off store"));
        if let Err(message) = super::output::refuse_clobbering(&outputs, &inputs) {
            return usage(message);
        }
    }
    drop((checklist, sources, runbook));
    let (attested, warnings) = match store.read(&full) {
        Ok(found) => found,
        Err(message) => return usage(message),
    };
    let selectors: Vec<Selector> = args.only.iter().map(|s| Selector::parse(s)).collect();
    let plan = if selectors.is_empty() {
        full
    } else {
        match select(&full, &selectors) {
            Ok(plan) => plan,
            Err(message) => return usage(message),
        }
    };
    let (plan, shard) = match args.shard {
        Some(part) => {
            let (plan, info) = crate::engine::shard::part(&plan, part.index, part.count);
            (plan, Some(info))
        }
        None => (plan, None),
    };
    // Read the baseline before anything runs: a bad one is a usage error.
    let baseline = match &args.baseline {
        Some(path) => match super::diff::read_report(path) {
            Ok(report) => Some(report),
            Err(message) => return usage(format!("--baseline: {message}")),
        },
        None => None,
    };
    let run_options = RunOptions {
        concurrency: fd_budget(args.concurrency, plan.probe_count()),
        per_host: args.per_host,
        run_blocked: args.run_blocked,
        no_exec: args.no_exec,
        cancel: Some(cancel.clone()),
        attested,
        started_at: super::store::fixed_now(),
    };
    let policy = args.gate.policy();
    let output = Output {
        args: args.output,
        baseline,
    };
    if let Some(interval) = args.watch {
        let round = watch::Round {
            plan: &plan,
            options: run_options,
            policy,
            store: &store,
            display: &args.display,
            term,
            output,
        };
        return watch::run(round, interval, &cancel).await;
    }
    let mut report = execute(&plan, &run_options, policy, warnings, &args.display, term).await;
    report.shard = shard;
    // The report holds all that is left to write: the plan goes now, before
    // the board or a report file is rendered beside it.
    drop((plan, run_options));
    if let Err(exit) = deliver(&report, &output, &args.display, |r| {
        render(r, &args.display, term, None);
    }) {
        return exit;
    }
    if args.save {
        match runs::save(&runs::dir_for(&args.file), &report, args.keep) {
            Ok(path) => {
                if term.stderr_tty {
                    eprintln!("saved {}", path.display());
                }
            }
            Err(e) => return usage(format!("could not save the run: {e}")),
        }
    }
    exit_for(&report)
}

/// Where a run's sign-offs and waivers come from.
pub struct SignoffStore {
    path: PathBuf,
}

impl SignoffStore {
    /// Reads the store as of now, printing its warnings on stderr.
    pub fn read(&self, plan: &Plan) -> Result<(Attestations, Vec<String>), String> {
        let now = now()?;
        let (attested, warnings) =
            attestations(&self.path, plan, now, super::store::rehearsal())
                .map_err(|message| format!("cannot read the sign-off store: {message}"))?;
        for warning in &warnings {
            eprintln!("warning: {warning}");
        }
        Ok((attested, warnings))
    }
}

/// The exit code a finished report calls for.
pub fn exit_for(report: &Report) -> Exit {
    use crate::outcome::GateVerdict;
    match &report.gate {
        _ if report.interrupted => Exit::Interrupted,
        Some(gate) if gate.passed => Exit::Passed,
        Some(gate) if gate.verdict == GateVerdict::NothingJudged => Exit::NothingJudged,
        _ => Exit::Failed,
    }
}

/// At most as many probes in flight as file descriptors allow: the soft limit is
/// raised to the hard one, and a margin is kept for everything else. Says so
/// when that limits a run of `probes` probes.
pub(super) fn fd_budget(wanted: usize, probes: usize) -> usize {
    const RESERVED: u64 = 64;
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => {
            let available = usize::try_from(limit.saturating_sub(RESERVED))
                .unwrap_or(usize::MAX)
                .max(1);
            if available < wanted.min(probes) {
                eprintln!(
                    "warning: at most {available} probes at once, not {wanted}: the open-file limit is {limit} \
                     ({RESERVED} kept for everything else); raise it with `ulimit -n`"
                );
            }
            wanted.min(available)
        }
        Err(_) => wanted,
    }
}

/// Runs a plan once and judges it, with a progress bar when stderr is a terminal.
pub async fn execute(
    plan: &Plan,
    options: &RunOptions,
    policy: GatePolicy,
    warnings: Vec<String>,
    display: &DisplayArgs,
    term: Terminal,
) -> Report {
    let (tx, rx) = mpsc::unbounded_channel();
    let progress = progress::spawn(rx, term.stderr_tty && !display.no_progress, display.ascii);
    let mut report = run_engine(plan, options, Some(tx)).await;
    let _ = progress.await;
    report.warnings = warnings;
    report.gate = Some(policy.evaluate(&report));
    report
}

/// Prints a report to stdout in the chosen format.
pub fn render(report: &Report, display: &DisplayArgs, term: Terminal, previous: Option<&Report>) {
    let board = BoardOptions {
        ascii: display.ascii,
        color: term.color_out,
        width: display.width.or(term.width).unwrap_or(80),
        previous: previous.map(report::board::statuses),
    };
    let mut out = std::io::stdout().lock();
    if let Err(e) = report::write(report, display.format, &board, &mut out) {
        // A closed pipe (`| head`) is not an error worth a message.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: could not write the report: {e}");
        }
    }
}

/// Runs a plan once with the default gate and no sign-offs: used by `demo`.
pub async fn execute_default(plan: &Plan, display: &DisplayArgs, term: Terminal) -> Report {
    let options = RunOptions {
        cancel: Some(interrupt::install()),
        started_at: super::store::fixed_now(),
        ..RunOptions::default()
    };
    execute(
        plan,
        &options,
        GatePolicy::default(),
        Vec::new(),
        display,
        term,
    )
    .await
}
