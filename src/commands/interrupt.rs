//! Ctrl-C: the first stops the run (nothing new starts, probes in flight are
//! dropped, the partial board and reports are still written); the second exits
//! at once with 130.

use tokio_util::sync::CancellationToken;

/// Listens for Ctrl-C for as long as the returned token lives.
pub fn install() -> CancellationToken {
    let cancel = CancellationToken::new();
    let token = cancel.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_err() {
            return;
        }
        eprintln!("\ninterrupted: stopping; press Ctrl-C again to quit at once");
        token.cancel();
        if tokio::signal::ctrl_c().await.is_ok() {
            std::process::exit(super::Exit::Interrupted as i32);
        }
    });
    cancel
}
