//! `candlefish check`: load, select, run, judge, render.

use tokio::sync::mpsc;

use super::output::{Output, deliver};
use super::{Exit, Terminal, load_options, load_or_report, progress};
use crate::cli::{CheckArgs, DisplayArgs};
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::engine::select::{Selector, select};
use crate::engine::{RunOptions, run as run_engine};
use crate::outcome::Report;
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
    // Read the baseline before anything runs: a bad one is a usage error.
    let baseline = match &args.baseline {
        Some(path) => match super::diff::read_report(path) {
            Ok(report) => Some(report),
            Err(message) => {
                eprintln!("error: --baseline: {message}");
                return Exit::Usage;
            }
        },
        None => None,
    };
    let policy = GatePolicy {
        scope: args.gate,
        fail_on: args.fail_on,
    };
    let output = Output {
        args: args.output,
        baseline,
    };
    let Some(report) = execute(&plan, args.concurrency, policy, &args.display, term).await else {
        return Exit::Interrupted;
    };
    if let Err(exit) = deliver(&report, &output, &args.display, |r| {
        render(r, &args.display, term);
    }) {
        return exit;
    }
    exit_for(&report)
}

/// The exit code a finished report calls for.
pub fn exit_for(report: &Report) -> Exit {
    if report.gate.as_ref().is_some_and(|g| g.passed) {
        Exit::Passed
    } else {
        Exit::Failed
    }
}

/// Runs a plan and judges it; `None` when Ctrl-C stopped it.
pub async fn execute(
    plan: &Plan,
    concurrency: usize,
    policy: GatePolicy,
    display: &DisplayArgs,
    term: Terminal,
) -> Option<Report> {
    let (tx, rx) = mpsc::unbounded_channel();
    let progress = progress::spawn(rx, term.stderr_tty && !display.no_progress);
    let options = RunOptions { concurrency };
    let run = run_engine(plan, &options, Some(tx));
    let mut report = tokio::select! {
        report = run => report,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("\ninterrupted");
            return None;
        }
    };
    let _ = progress.await;
    report.gate = Some(policy.evaluate(&report));
    Some(report)
}

/// Prints a report to stdout in the chosen format.
pub fn render(report: &Report, display: &DisplayArgs, term: Terminal) {
    let board = BoardOptions {
        ascii: display.ascii,
        color: term.color_out,
        width: display.width.or(term.width).unwrap_or(80),
    };
    print!("{}", report::render(report, display.format, &board));
}
