//! `candlefish merge`: read the shards' JSON reports, merge them
//! (`engine::merge`), then deliver the result as `check` does: the board or
//! `--format` on stdout, `--report` files, the exit code of the gate.

use super::check::{exit_for, render};
use super::output::{Output, deliver};
use super::{Exit, Terminal};
use crate::cli::MergeArgs;

pub fn run(args: &MergeArgs, term: Terminal) -> Exit {
    let mut reports = Vec::new();
    let mut failed = false;
    for path in &args.files {
        match super::diff::read_report(path) {
            Ok(report) => reports.push((path.display().to_string(), report)),
            Err(message) => {
                eprintln!("error: {message}");
                failed = true;
            }
        }
    }
    if failed {
        return Exit::Usage;
    }
    let report = match crate::engine::merge::merge(&reports) {
        Ok(report) => report,
        Err(errors) => {
            for error in errors {
                eprintln!("error: {error}");
            }
            eprintln!("nothing was merged");
            return Exit::Usage;
        }
    };
    let output = Output {
        args: args.output.clone(),
        baseline: None,
    };
    if let Err(exit) = deliver(&report, &output, &args.display, |r| {
        render(r, &args.display, term, None);
    }) {
        return exit;
    }
    exit_for(&report)
}
