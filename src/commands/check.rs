//! `candlefish check`: load, select, read the sign-off store, run, judge, render.

use tokio::sync::mpsc;

use super::store::{attestations, now, store_path};
use super::{Exit, Terminal, load_options, load_or_report, progress};
use crate::cli::{CheckArgs, DisplayArgs};
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::engine::select::{Selector, select};
use crate::engine::{RunOptions, run as run_engine};
use crate::report::{self, BoardOptions};

pub async fn run(args: CheckArgs, term: Terminal) -> Exit {
    let usage = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    let mut options = match load_options(&args.load) {
        Ok(options) => options,
        Err(message) => return usage(message),
    };
    options.plan.default_timeout = args.timeout;
    let Some(loaded) = load_or_report(&args.file, &options, term) else {
        return Exit::Usage;
    };
    let selectors: Vec<Selector> = args.only.iter().map(|s| Selector::parse(s)).collect();
    let plan = match select(&loaded.plan, &selectors) {
        Ok(plan) => plan,
        Err(message) => return usage(message),
    };
    let now = match now() {
        Ok(now) => now,
        Err(message) => return usage(message),
    };
    let store = store_path(&args.file, args.state.as_deref());
    let (attested, warnings) = match attestations(&store, &loaded.plan, now) {
        Ok(found) => found,
        Err(message) => return usage(format!("cannot read the sign-off store: {message}")),
    };
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let run = RunOptions {
        concurrency: args.concurrency,
        attested,
    };
    let policy = GatePolicy {
        fail_on: args.fail_on,
        allow_waivers: args.allow_waivers,
    };
    execute(&plan, &run, policy, warnings, &args.display, term).await
}

/// Runs a plan, renders it to stdout and returns the gate's exit code.
pub async fn execute(
    plan: &Plan,
    options: &RunOptions,
    policy: GatePolicy,
    warnings: Vec<String>,
    display: &DisplayArgs,
    term: Terminal,
) -> Exit {
    let (tx, rx) = mpsc::unbounded_channel();
    let progress = progress::spawn(rx, term.stderr_tty && !display.no_progress);
    let run = run_engine(plan, options, Some(tx));
    let mut report = tokio::select! {
        report = run => report,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted");
            return Exit::Interrupted;
        }
    };
    let _ = progress.await;
    report.warnings = warnings;
    let gate = policy.evaluate(&report);
    let passed = gate.passed;
    report.gate = Some(gate);
    let board = BoardOptions {
        ascii: display.ascii,
        color: term.color_out,
        width: display.width.or(term.width).unwrap_or(80),
    };
    print!("{}", report::render(&report, display.format, &board));
    if passed { Exit::Passed } else { Exit::Failed }
}
