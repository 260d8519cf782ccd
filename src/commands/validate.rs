//! `candlefish validate`: load every file, report every problem, run nothing.

use super::{Exit, Terminal, load_options, load_or_report};
use crate::cli::ValidateArgs;
use crate::report::text::count;

pub fn run(args: &ValidateArgs, term: Terminal) -> Exit {
    let options = match load_options(&args.load) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    let mut all_valid = true;
    for file in &args.files {
        match load_or_report(file, &options, term) {
            Some(loaded) => {
                super::print_out(&format!("ok: {} ({})\n", file.display(), summary(&loaded)));
            }
            None => all_valid = false,
        }
    }
    if all_valid { Exit::Passed } else { Exit::Usage }
}

/// `6 items in 2 groups, 3 probes; runbook: 1 phase, 2 steps`.
fn summary(loaded: &crate::checklist::Loaded) -> String {
    let mut text = format!(
        "{}, {}",
        loaded.plan.items_in_groups(),
        count(loaded.plan.probe_count(), "probe")
    );
    if let Some(r) = &loaded.runbook {
        text.push_str(&format!(
            "; runbook: {}, {}",
            count(r.phases.len(), "phase"),
            count(r.step_count(), "step")
        ));
    }
    text
}
