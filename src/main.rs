//! The `candlefish` binary: parse arguments, run the command, exit with its code.

use std::process::ExitCode;

use clap::Parser as _;

fn main() -> ExitCode {
    let cli = candlefish::cli::Cli::parse();
    candlefish::commands::run(cli).into()
}
