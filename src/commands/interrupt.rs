//! Ctrl-C (and SIGTERM, SIGHUP: a CI runner's cancel, a closed terminal): the
//! first stops the run (nothing new starts, probes in flight are dropped, the
//! partial board and reports are still written, a runbook journals its stop);
//! a second one, a moment later, exits at once with 130.
//!
//! One interrupt often arrives twice: `timeout -s INT` signals the command and
//! then its whole process group, and a terminal or CI runner may signal both
//! the group and the process. Signals within [`SAME_INTERRUPT`] of the first
//! are that same interrupt, so a single Ctrl-C never skips the reports. The
//! handlers are registered before `install` returns, so a signal that comes
//! early is handled too, never the default "die at once".

use std::time::{Duration, Instant};

use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Signals this close to the first are the same interrupt delivered twice.
pub const SAME_INTERRUPT: Duration = Duration::from_secs(1);

/// Listens for Ctrl-C, SIGTERM and SIGHUP for as long as the returned token lives.
pub fn install() -> CancellationToken {
    let cancel = CancellationToken::new();
    // Registered here, synchronously: from now on these signals no longer
    // kill the process, whenever the listening task first runs.
    let streams = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    );
    let (Ok(int), Ok(term), Ok(hup)) = streams else {
        return cancel;
    };
    tokio::spawn(listen([int, term, hup], cancel.clone()));
    cancel
}

async fn listen(mut signals: [Signal; 3], token: CancellationToken) {
    let [int, term, hup] = &mut signals;
    let mut next = async || {
        tokio::select! {
            r = int.recv() => r.is_some(),
            r = term.recv() => r.is_some(),
            r = hup.recv() => r.is_some(),
        }
    };
    if !next().await {
        return;
    }
    let first = Instant::now();
    eprintln!("\ninterrupted: stopping; press Ctrl-C again to quit at once");
    token.cancel();
    while next().await {
        if first.elapsed() >= SAME_INTERRUPT {
            std::process::exit(super::Exit::Interrupted as i32);
        }
    }
}
