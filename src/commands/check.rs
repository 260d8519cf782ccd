//! `candlefish check`: load, select, run, judge, render.

use tokio::sync::mpsc;

use super::{Exit, Terminal, load_options, load_or_report, progress};
use crate::cli::{CheckArgs, DisplayArgs};
use crate::engine::gate::{FailOn, GatePolicy};
use crate::engine::plan::Plan;
use crate::engine::select::{Selector, select};
use crate::engine::{RunOptions, run as run_engine};
use crate::report::{self, BoardOptions};

pub async fn run(args: CheckArgs, term: Terminal) -> Exit {
    let mut options = match load_options(&args.load) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    options.plan.default_timeout = args.timeout;
    let Some(loaded) = load_or_report(&args.file, &options, term) else {
        return Exit::Usage;
    };
    let selectors: Vec<Selector> = args.only.iter().map(|s| Selector::parse(s)).collect();
    let plan = match select(&loaded.plan, &selectors) {
        Ok(plan) => plan,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    execute(&plan, args.concurrency, args.fail_on, &args.display, term).await
}

/// Runs a plan, renders it to stdout and returns the gate's exit code.
pub async fn execute(
    plan: &Plan,
    concurrency: usize,
    fail_on: FailOn,
    display: &DisplayArgs,
    term: Terminal,
) -> Exit {
    let (tx, rx) = mpsc::unbounded_channel();
    let progress = progress::spawn(rx, term.stderr_tty && !display.no_progress);
    let options = RunOptions { concurrency };
    let run = run_engine(plan, &options, Some(tx));
    let mut report = tokio::select! {
        report = run => report,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted");
            return Exit::Interrupted;
        }
    };
    let _ = progress.await;
    let gate = GatePolicy { fail_on }.evaluate(&report);
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
