//! `check --watch`: run, draw, wait, run again — marking each item whose status
//! changed since the round before, and reading the sign-off store afresh each
//! round. On a terminal the board is redrawn in place; otherwise each round is
//! printed after a rule. Ctrl-C stops (exit 130).

use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::check::{SignoffStore, execute, render};
use super::output::{Output, deliver};
use super::{Exit, Terminal};
use crate::cli::DisplayArgs;
use crate::engine::RunOptions;
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::outcome::Report;

/// What every round runs.
pub struct Round<'a> {
    pub plan: &'a Plan,
    pub options: RunOptions,
    pub policy: GatePolicy,
    pub store: &'a SignoffStore,
    pub display: &'a DisplayArgs,
    pub term: Terminal,
    /// `--report` files (rewritten every round) and `-q`.
    pub output: Output,
}

pub async fn run(mut round: Round<'_>, interval: Duration, cancel: &CancellationToken) -> Exit {
    let mut previous: Option<Report> = None;
    let mut number = 0u64;
    loop {
        number += 1;
        let warnings = match round.store.read(round.plan) {
            Ok((attested, warnings)) => {
                round.options.attested = attested;
                warnings
            }
            Err(message) => {
                eprintln!("error: {message}");
                return Exit::Usage;
            }
        };
        let report = execute(
            round.plan,
            &round.options,
            round.policy,
            warnings,
            round.display,
            round.term,
        )
        .await;
        if round.term.width.is_some() {
            // A terminal: redraw in place.
            print!("\x1b[2J\x1b[H");
        } else if number > 1 {
            println!("\n{}", "─".repeat(40));
        }
        let shown = deliver(&report, &round.output, round.display, |r| {
            render(r, round.display, round.term, previous.as_ref());
        });
        if let Err(exit) = shown {
            return exit;
        }
        let stamp = jiff::ZonedDateTime::now().strftime("%H:%M:%S");
        println!(
            "round {number} at {stamp}; next in {}; Ctrl-C stops",
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
