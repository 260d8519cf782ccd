//! Launch day: the checklist's `runbook:` phases (T-4h, T-0, T+4h, …) walked
//! through step by step, with a journal that survives interruptions and a
//! launch record for the debrief.
//!
//! Everything here is pure logic or plain data: the plan ([`plan`]), the clock
//! ([`clock`], real or simulated), the journal's records ([`journal`]) and their replay ([`replay`]), where the day stands and each phase's go/no-go
//! ([`timeline`]), what a watch saw ([`watch`]), and the launch record with its
//! renderers ([`record`]). The interactive driver — prompts, countdowns,
//! running steps — is `commands/runbook/`, the only part that touches the
//! terminal.

pub mod clock;
pub mod journal;
pub mod plan;
pub mod record;
pub mod replay;
pub mod timeline;
pub mod watch;

use std::path::{Path, PathBuf};

use jiff::Timestamp;

/// The journal of the launch at `t0` for `checklist`, unless `--journal` says
/// otherwise: `.candlefish/runbook-20261201T1500Z.jsonl` beside the checklist.
pub fn default_journal(checklist: &Path, t0: Timestamp) -> PathBuf {
    let name = format!(
        ".candlefish/runbook-{}.jsonl",
        t0.strftime("%Y%m%dT%H%M%SZ")
    );
    match checklist.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(name),
        _ => PathBuf::from(name),
    }
}
