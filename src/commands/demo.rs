//! `candlefish demo`: start the demo services, check examples/demo.yaml
//! against them, show the board (and write any `--report`). Exits 0 when the
//! demo ran, whatever the board says: the red items are part of the show.

use std::collections::HashMap;

use super::check::{execute_default, exit_for, render};
use super::output::{Output, deliver};
use super::{Exit, Terminal};
use crate::checklist::{LoadOptions, Source, load_source};
use crate::cli::DemoArgs;

pub async fn run(args: DemoArgs, term: Terminal) -> Exit {
    let server = match crate::demo::start().await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("error: cannot start the demo services on 127.0.0.1: {e}");
            return Exit::Usage;
        }
    };
    let overrides = HashMap::from([
        ("demo".to_owned(), format!("http://{}", server.addr)),
        (
            "nothing_listens".to_owned(),
            format!("http://{}", server.refused),
        ),
    ]);
    let source = Source {
        name: "examples/demo.yaml".to_owned(),
        text: crate::demo::CHECKLIST.to_owned(),
    };
    let options = LoadOptions {
        overrides,
        ..LoadOptions::default()
    };
    let loaded = match load_source(source, &options) {
        Ok(loaded) => loaded,
        Err(error) => {
            eprint!("{}", error.render(term.color_err));
            return Exit::Usage;
        }
    };
    let report = execute_default(&loaded.plan, &args.display, term).await;
    let output = Output {
        args: args.output,
        baseline: None,
    };
    if let Err(exit) = deliver(&report, &output, &args.display, |r| {
        render(r, &args.display, term, None);
    }) {
        // A report that could not be written.
        return exit;
    }
    match exit_for(&report) {
        Exit::Interrupted => Exit::Interrupted,
        _ => Exit::Passed,
    }
}
