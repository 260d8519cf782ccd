//! `check --watch`: run, draw, wait, run again — marking each item whose status
//! changed since the round before. On a terminal the board is redrawn in place;
//! otherwise each round is printed after a rule. Ctrl-C stops (exit 130).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::check::{execute, render};
use super::{Exit, Terminal};
use crate::cli::DisplayArgs;
use crate::engine::RunOptions;
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::outcome::Report;

pub async fn run(
    plan: &Plan,
    options: &RunOptions,
    policy: GatePolicy,
    display: &DisplayArgs,
    term: Terminal,
    interval: Duration,
    cancel: &CancellationToken,
) -> Exit {
    let mut previous: Option<Report> = None;
    let mut round = 0u64;
    loop {
        round += 1;
        let report = execute(plan, options, policy, display, term).await;
        if term.width.is_some() {
            // A terminal: redraw in place.
            print!("\x1b[2J\x1b[H");
        } else if round > 1 {
            println!("\n{}", "─".repeat(40));
        }
        render(&report, display, term, previous.as_ref());
        let stamp = jiff::ZonedDateTime::now().strftime("%H:%M:%S");
        println!(
            "round {round} at {stamp}; next in {}; Ctrl-C stops",
            crate::checklist::scalar::format_duration(interval)
        );
        if report.interrupted {
            return Exit::Interrupted;
        }
        previous = Some(report);
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = cancel.cancelled() => return Exit::Interrupted,
        }
    }
}
