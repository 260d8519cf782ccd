//! The one coordinator that owns stderr during a run: it turns engine events
//! into an indicatif progress bar, shown only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::engine::Event;

/// Drives a progress bar from `events` until the sender is dropped; ASCII
/// only with `ascii`.
pub fn spawn(
    mut events: mpsc::UnboundedReceiver<Event>,
    visible: bool,
    ascii: bool,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let bar = if visible {
            ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr())
        } else {
            ProgressBar::hidden()
        };
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {pos}/{len} probes {wide_bar} {elapsed} {msg}")
        {
            bar.set_style(if ascii {
                style.progress_chars("#>-").tick_chars("|/-\\ ")
            } else {
                style.progress_chars("█▉▊▋▌▍▎▏ ")
            });
        }
        while let Some(event) = events.recv().await {
            match event {
                Event::Planned { probes } => bar.set_length(probes as u64),
                Event::Finished { item, .. } => {
                    bar.inc(1);
                    bar.set_message(item);
                }
            }
        }
        bar.finish_and_clear();
    })
}
