//! `candlefish validate`: load every file, report every problem, run nothing.

use super::{Exit, Terminal, load_options, load_or_report};
use crate::cli::ValidateArgs;

pub fn run(args: &ValidateArgs, term: Terminal) -> Exit {
    let options = match load_options(&args.load) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    let mut all_valid = true;
    for file in &args.files {
        match load_or_report(file, &options, term) {
            Some(loaded) => {
                let items = loaded.plan.walk().len();
                let probes = loaded.plan.probe_count();
                let runbook = loaded.runbook.as_ref().map_or_else(String::new, |r| {
                    format!(
                        "; runbook: {} phases, {} steps",
                        r.phases.len(),
                        r.step_count()
                    )
                });
                super::print_out(&format!(
                    "ok: {} ({items} items, {probes} probes{runbook})\n",
                    file.display()
                ));
            }
            None => all_valid = false,
        }
    }
    if all_valid { Exit::Passed } else { Exit::Usage }
}
