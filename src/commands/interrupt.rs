//! Ctrl-C (and SIGTERM, SIGHUP: a CI runner's cancel, a closed terminal): the
//! first stops the run (nothing new starts, probes in flight are dropped, the
//! partial board and reports are still written, a runbook journals its stop);
//! the second exits at once with 130.

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

/// Listens for Ctrl-C, SIGTERM and SIGHUP for as long as the returned token lives.
pub fn install() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        let (Ok(mut term), Ok(mut hup)) = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        ) else {
            return;
        };
        let mut stop = async || {
            tokio::select! {
                r = tokio::signal::ctrl_c() => r.is_ok(),
                r = term.recv() => r.is_some(),
                r = hup.recv() => r.is_some(),
            }
        };
        if !stop().await {
            return;
        }
        eprintln!("\ninterrupted: stopping; press Ctrl-C again to quit at once");
        token.cancel();
        if stop().await {
            std::process::exit(super::Exit::Interrupted as i32);
        }
    });
    cancel
}
