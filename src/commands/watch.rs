//! `check --watch`: run, draw, wait, run again — marking each item whose status
//! changed since the round before, and reading the sign-off store afresh each
//! round. On a terminal the board is redrawn in place; otherwise each round is
//! printed after a rule. With a machine format (`--format json`, …) stdout
//! carries only the reports, one per round (a stream `jq` reads), and the rules
//! and round lines go to stderr. Ctrl-C stops (exit 130); the round it cut short
//! is shown without change marks, since what did not run did not change.

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
                round.options.started_at = super::store::fixed_now();
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
        // Reports on stdout, everything else on stderr, when a program reads stdout.
        let for_people = round.display.format.is_for_people() && !round.output.args.quiet;
        let say = |text: &str| {
            if for_people {
                super::print_out(text);
            } else {
                eprint!("{text}");
            }
        };
        if round.term.width.is_some() && for_people {
            // A terminal: redraw in place.
            say("\x1b[2J\x1b[H");
        } else if number > 1 {
            say(&format!("\n{}\n", "─".repeat(40)));
        }
        let marks = if report.interrupted {
            None
        } else {
            previous.as_ref()
        };
        let shown = deliver(&report, &round.output, round.display, |r| {
            render(r, round.display, round.term, marks);
        });
        if let Err(exit) = shown {
            return exit;
        }
        if report.interrupted {
            say(&format!("stopped during round {number}\n"));
            return Exit::Interrupted;
        }
        let stamp = jiff::ZonedDateTime::now().strftime("%H:%M:%S");
        say(&format!(
            "round {number} at {stamp}; next in {}; Ctrl-C stops\n",
            crate::checklist::scalar::format_duration(interval)
        ));
        previous = Some(report);
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = cancel.cancelled() => return Exit::Interrupted,
        }
    }
}
