//! `candlefish graph`: the dependency (startup) order of a checklist.

use super::{Exit, Terminal, load_options, load_or_report};
use crate::cli::{GraphArgs, GraphFormat};
use crate::engine::graph;

pub fn run(args: &GraphArgs, term: Terminal) -> Exit {
    let options = match load_options(&args.load) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let Some(loaded) = load_or_report(&args.file, &options, term) else {
        return Exit::Usage;
    };
    let text = match args.format {
        GraphFormat::List => graph::list(&loaded.plan),
        GraphFormat::Mermaid => graph::mermaid(&loaded.plan),
        GraphFormat::Dot => graph::dot(&loaded.plan),
    };
    print!("{text}");
    Exit::Passed
}
