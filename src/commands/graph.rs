//! `candlefish graph`: the dependency (startup) order of a checklist.

use super::{Exit, Terminal, open_checklist};
use crate::cli::{GraphArgs, GraphFormat};
use crate::engine::graph;

pub fn run(args: &GraphArgs, term: Terminal) -> Exit {
    let loaded = match open_checklist(&args.file, &args.load, term) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let text = match args.format {
        GraphFormat::List => graph::list(&loaded.plan),
        GraphFormat::Mermaid => graph::mermaid(&loaded.plan),
        GraphFormat::Dot => graph::dot(&loaded.plan),
    };
    if args.format != GraphFormat::List && graph::levels(&loaded.plan).is_empty() {
        // The diagram carries it as a comment; a person reading the terminal
        // should not have to find it there.
        eprint!("note: {}", graph::NO_ORDER);
    }
    super::print_out(&text);
    Exit::Passed
}
