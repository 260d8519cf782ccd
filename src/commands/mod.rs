//! What each subcommand does. `main.rs` parses arguments and calls [`run`];
//! everything that touches the terminal lives here, not in the library's core.

mod check;
mod demo;
mod diff;
mod graph;
mod history;
mod import;
mod interrupt;
mod list;
mod merge;
mod output;
mod progress;
mod runbook;
mod runs;
mod serve;
mod sign;
mod store;
mod validate;
mod watch;

pub use output::write_atomically;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use crate::checklist::{LoadError, LoadOptions, load};
use crate::cli::{Cli, ColorChoice, Command, LoadArgs};

/// The process exit codes (documented in README and `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The gate passed (or the command succeeded).
    Passed = 0,
    /// The gate failed.
    Failed = 1,
    /// Usage or checklist error: nothing ran.
    Usage = 2,
    /// The gate judged nothing (no item in its scope) and `--allow-empty-gate`
    /// was not given.
    NothingJudged = 5,
    /// Interrupted (Ctrl-C).
    Interrupted = 130,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit as u8)
    }
}

/// What the terminal can show.
#[derive(Debug, Clone, Copy)]
pub struct Terminal {
    /// Colour on stdout.
    pub color_out: bool,
    /// Colour on stderr.
    pub color_err: bool,
    /// stderr is a terminal (progress goes there only then).
    pub stderr_tty: bool,
    /// The width of stdout's terminal, if it is one.
    pub width: Option<usize>,
}

impl Terminal {
    /// Looks at the real terminal, `--color` and `NO_COLOR`.
    pub fn detect(choice: ColorChoice) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        let auto = |tty: bool| tty && !no_color && !dumb;
        let out_tty = std::io::stdout().is_terminal();
        let err_tty = std::io::stderr().is_terminal();
        let (color_out, color_err) = match choice {
            ColorChoice::Always => (true, true),
            ColorChoice::Never => (false, false),
            ColorChoice::Auto => (auto(out_tty), auto(err_tty)),
        };
        let width = if out_tty {
            terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
        } else {
            None
        };
        Terminal {
            color_out,
            color_err,
            stderr_tty: err_tty,
            width,
        }
    }
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Exit {
    let term = Terminal::detect(cli.color);
    match cli.command {
        Command::Check(args) => runtime().block_on(check::run(args, term)),
        Command::Validate(args) => validate::run(&args, term),
        Command::List(args) => list::run(&args, term),
        Command::Graph(args) => graph::run(&args, term),
        Command::Runbook(args) => runtime().block_on(runbook::run(args, term)),
        Command::Demo(args) => runtime().block_on(demo::run(args, term)),
        Command::Sign(args) => sign::sign(&args, term),
        Command::Unsign(args) => sign::unsign(&args, term),
        Command::History(args) => history::run(&args, term),
        Command::Import(args) => import::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Serve(args) => runtime().block_on(serve::run(args, term)),
        Command::Merge(args) => merge::run(&args, term),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "candlefish", &mut std::io::stdout());
            Exit::Passed
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::exit(Exit::Usage as i32)
        })
}

/// The load options of the command line; a bad `--var` is printed and is exit 2.
fn load_options(args: &LoadArgs) -> Result<LoadOptions, Exit> {
    match crate::checklist::load::parse_overrides(&args.vars) {
        Ok(overrides) => Ok(LoadOptions {
            overrides,
            ..LoadOptions::default()
        }),
        Err(message) => {
            eprintln!("error: {message}");
            Err(Exit::Usage)
        }
    }
}

/// Loads one checklist with the command line's options, printing any problem.
fn open_checklist(
    path: &std::path::Path,
    args: &LoadArgs,
    term: Terminal,
) -> Result<crate::checklist::Loaded, Exit> {
    let mut options = load_options(args)?;
    // `list` and `graph` run nothing: they need no secrets.
    options.nothing_runs = true;
    load_or_report(path, &options, term).ok_or(Exit::Usage)
}

/// `println!` that a closed stdout (`| head`, a pipe whose reader died) cannot
/// turn into a panic.
macro_rules! say {
    () => {
        $crate::commands::print_out("\n")
    };
    ($($arg:tt)*) => {
        $crate::commands::print_out(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;

/// `print!`, likewise (stdout is flushed).
macro_rules! say_more {
    ($($arg:tt)*) => {
        $crate::commands::print_out(&format!($($arg)*))
    };
}
pub(crate) use say_more;

/// An optional text argument, trimmed; `None` when missing or blank.
pub(crate) fn given(text: Option<&str>) -> Option<String> {
    text.map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Writes `text` to stdout. A reader that went away (`| head`) is not an error
/// worth a message, and never a panic.
pub(crate) fn print_out(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: could not write to stdout: {e}");
    }
}

/// Loads a checklist, printing problems to stderr. `None` means exit 2.
fn load_or_report(
    path: &std::path::Path,
    options: &LoadOptions,
    term: Terminal,
) -> Option<crate::checklist::Loaded> {
    match load(path, options) {
        Ok(loaded) => {
            if !loaded.warnings.is_empty() {
                eprint!(
                    "{}",
                    crate::checklist::render_all(&loaded.sources, &loaded.warnings, term.color_err)
                );
            }
            Some(loaded)
        }
        Err(error) => {
            eprint!("{}", error.render(term.color_err));
            if matches!(error, LoadError::Io(_)) && path.as_os_str() == "candlefish.yaml" {
                eprintln!("hint: pass a checklist file, or try `candlefish demo`");
            }
            None
        }
    }
}
