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
    prune(dir, keep)?;
    Ok(path)
}

/// Removes the oldest saved runs beyond `keep` (names sort by time).
fn prune(dir: &Path, keep: usize) -> std::io::Result<()> {
    let mut runs: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && !p
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    runs.sort();
    let excess = runs.len().saturating_sub(keep.max(1));
    for old in runs.into_iter().take(excess) {
        std::fs::remove_file(old)?;
    }
    Ok(())
}
