//! State that people create and Candlefish must never lose: the sign-off store
//! (sign-offs and waivers, [`record`] and [`signoff`]) on top of a reusable
//! append-only, fsync'd, file-locked JSON-lines [`log`] — the launch-day
//! runbook's journal (`runbook::journal`) uses the same log.
//!
//! The store is a file beside the checklist, `.candlefish/state.jsonl` by
//! default, meant to be committed and reviewed like the checklist itself.

pub mod agent;
pub mod allowed_signers;
pub mod chain;
pub mod identity;
pub mod key;
pub mod log;
pub mod record;
pub mod signoff;
pub mod sshsig;
pub mod trust;

use std::path::{Path, PathBuf};

/// The store's path relative to the checklist's directory.
pub const DEFAULT_STORE: &str = ".candlefish/state.jsonl";

/// Where the store of `checklist` is unless `--state` says otherwise.
pub fn default_path(checklist: &Path) -> PathBuf {
    match checklist.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(DEFAULT_STORE),
        _ => PathBuf::from(DEFAULT_STORE),
    }
}
