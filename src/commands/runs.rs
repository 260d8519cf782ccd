//! `check --save`: each run's JSON report kept in `.candlefish/runs/` beside the
//! checklist, written atomically, the oldest pruned beyond `--keep`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::outcome::Report;

/// The directory saved runs go to for a checklist file.
pub fn dir_for(checklist: &Path) -> PathBuf {
    let parent = checklist
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    parent.join(".candlefish").join("runs")
}

/// Saves `report` as `<started_at>.json` and prunes to `keep` files. Returns the path.
pub fn save(dir: &Path, report: &Report, keep: usize) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let stamp: String = report
        .started_at
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let path = dir.join(format!("{stamp}.json"));
    let tmp = dir.join(format!(".{stamp}.json.tmp"));
    {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(crate::report::json::render(report).as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&tmp, &path)?;
    if let Ok(dir_handle) = std::fs::File::open(dir) {
        let _ = dir_handle.sync_all();
    }
    prune(dir, keep, &path);
    Ok(path)
}

/// Whether `name` is one this module gives a saved run: `<started_at>.json`
/// with the time's `:` as `-`, e.g. `2026-11-26T02-56-20.206900147Z.json`.
fn is_saved_run(name: &str) -> bool {
    let Some(stamp) = name.strip_suffix("Z.json") else {
        return false;
    };
    stamp.len() >= 19
        && stamp.as_bytes()[..4].iter().all(u8::is_ascii_digit)
        && stamp.as_bytes()[10] == b'T'
        && stamp
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | 'T' | '.'))
}

/// Removes the oldest saved runs beyond `keep` (names sort by time), never
/// `just_saved` and never a file this module did not name; a file that cannot
/// be removed is a warning, since the run itself was saved.
fn prune(dir: &Path, keep: usize, just_saved: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut runs: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter(|e| is_saved_run(&e.file_name().to_string_lossy()))
        .map(|e| e.path())
        .collect();
    runs.sort();
    let excess = runs.len().saturating_sub(keep.max(1));
    for old in runs.into_iter().take(excess).filter(|p| p != just_saved) {
        if let Err(e) = std::fs::remove_file(&old) {
            eprintln!("warning: could not prune {}: {e}", old.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_its_own_names_are_saved_runs() {
        assert!(is_saved_run("2026-11-26T02-56-20.206900147Z.json"));
        assert!(is_saved_run("2026-11-26T02-56-20Z.json"));
        assert!(!is_saved_run("aaa-important.json"));
        assert!(!is_saved_run("latest.json"));
        assert!(!is_saved_run("2026-11-26T02-56-20Z.json.bak"));
    }
}
