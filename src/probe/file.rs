//! `file`: checks files in the repository — a runbook, the rollback procedure,
//! the disaster recovery plan, the terms of service page — exist, have content,
//! say what they must, and were kept up to date.
//!
//! ```yaml
//! probe:
//!   file:
//!     path: docs/runbooks/*.md
//!     expect: { min_files: 3, non_empty: true, contains: "## Rollback", modified_within: 90d }
//! ```
//!
//! `path` is relative to the checklist's directory and may be a glob (`*`, `?`,
//! `[abc]`, `**`). Every expectation must hold for every file that matches. At
//! most [`MAX_FILES`] matches are looked at, and at most [`MAX_READ`] bytes of each.

use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::checklist::scalar::{Dur, Pattern, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check};
use crate::probe::http::Strings;
use crate::probe::{Context, Probe};

/// The most matches of a glob that are looked at.
pub const MAX_FILES: usize = 1000;

/// The most of each file that is read for `contains` and `matches`, in bytes.
pub const MAX_READ: u64 = 1 << 20;

/// Configuration of a `file` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileProbe {
    /// A path or glob, relative to the checklist's directory (required).
    pub path: Text,
    /// What the file or files must look like.
    #[serde(default)]
    pub expect: FileExpect,
}

/// Expectations on the files `path` matches. With none given, something must match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileExpect {
    /// Whether anything matches (default `true`); `false`: nothing may.
    #[serde(default = "yes")]
    pub exists: bool,
    /// At least this many files match (default 1).
    #[serde(default = "one")]
    pub min_files: usize,
    /// Every file has content (default `false`).
    #[serde(default)]
    pub non_empty: bool,
    /// Text every file contains: one string or a list.
    #[serde(default)]
    pub contains: Strings,
    /// Text no file contains: one string or a list.
    #[serde(default)]
    pub not_contains: Strings,
    /// A regular expression every file matches.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// Every file was modified within this long (`90d`).
    #[serde(default)]
    pub modified_within: Option<Dur>,
}

impl Default for FileExpect {
    fn default() -> Self {
        FileExpect {
            exists: true,
            min_files: 1,
            non_empty: false,
            contains: Strings::default(),
            not_contains: Strings::default(),
            matches: None,
            modified_within: None,
        }
    }
}

fn yes() -> bool {
    true
}

fn one() -> usize {
    1
}

fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

impl Probe for FileProbe {
    fn target(&self) -> String {
        self.path.as_str().to_owned()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        let e = &self.expect;
        if self.path.trim().is_empty() {
            problems.push("`path` is empty".to_owned());
        }
        if is_glob(&self.path)
            && let Err(error) = glob::Pattern::new(&self.path)
        {
            problems.push(format!(
                "`{}` is not a valid glob: {error}",
                self.path.as_str()
            ));
        }
        let about_content = e.non_empty
            || !e.contains.0.is_empty()
            || !e.not_contains.0.is_empty()
            || e.matches.is_some()
            || e.modified_within.is_some();
        if !e.exists && (about_content || e.min_files != 1) {
            problems.push(
                "`exists: false` cannot be combined with expectations on the files' content, age or number".to_owned(),
            );
        }
        if e.min_files == 0 {
            problems.push("min_files is 0: use `exists: false` or leave it out".to_owned());
        }
        if e.min_files > MAX_FILES {
            problems.push(format!(
                "min_files is {}; at most {MAX_FILES} files are looked at",
                e.min_files
            ));
        }
        if e.min_files > 1 && !is_glob(&self.path) {
            problems.push(format!(
                "min_files is {}, but `{}` is one path, not a glob",
                e.min_files,
                self.path.as_str()
            ));
        }
        if e.modified_within.is_some_and(|d| d.0.is_zero()) {
            problems.push("modified_within is 0: no file can be that fresh".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        let pattern = self.path.as_str().to_owned();
        let full = ctx.resolve(Path::new(&pattern));
        let base = ctx.resolve(Path::new(""));
        let expect = self.expect.clone();
        let work = tokio::task::spawn_blocking(move || inspect(&pattern, &full, &base, &expect));
        work.await
            .unwrap_or_else(|_| Finding::error("the file probe stopped unexpectedly"))
    }
}

/// One matched file, as seen.
struct Seen {
    /// The path as shown: relative to the checklist's directory.
    shown: String,
    path: PathBuf,
    meta: fs::Metadata,
}

fn matches_of(pattern: &str, full: &Path, base: &Path) -> Result<(Vec<Seen>, bool), String> {
    let show = |p: &Path| p.strip_prefix(base).unwrap_or(p).display().to_string();
    if !is_glob(pattern) {
        return match fs::metadata(full) {
            Ok(meta) => Ok((
                vec![Seen {
                    shown: pattern.to_owned(),
                    path: full.to_path_buf(),
                    meta,
                }],
                false,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((Vec::new(), false)),
            Err(e) => Err(format!("cannot look at {pattern}: {e}")),
        };
    }
    let escaped_base = glob::Pattern::escape(&base.display().to_string());
    let joined = if Path::new(pattern).is_absolute() {
        pattern.to_owned()
    } else {
        format!("{}/{pattern}", escaped_base.trim_end_matches('/'))
    };
    let paths = glob::glob(&joined).map_err(|e| format!("`{pattern}` is not a valid glob: {e}"))?;
    let mut seen = Vec::new();
    let mut more = false;
    for entry in paths {
        let Ok(path) = entry else { continue };
        if seen.len() == MAX_FILES {
            more = true;
            break;
        }
        let Ok(meta) = fs::metadata(&path) else {
            continue;
        };
        seen.push(Seen {
            shown: show(&path),
            path,
            meta,
        });
    }
    Ok((seen, more))
}

/// Reads up to [`MAX_READ`] bytes of a file as text.
fn head(path: &Path) -> Result<String, String> {
    let file = fs::File::open(path).map_err(|e| e.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_READ)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn age(meta: &fs::Metadata) -> Option<Duration> {
    let modified = meta.modified().ok()?;
    Some(
        SystemTime::now()
            .duration_since(modified)
            .unwrap_or_default(),
    )
}

/// `just now`, `2h 5m ago`, `3 days ago`.
fn ago(age: Duration) -> String {
    let secs = age.as_secs();
    match secs / 86_400 {
        0 if secs < 60 => "just now".to_owned(),
        0 => format!(
            "{} ago",
            format_duration(Duration::from_secs(secs / 60 * 60))
        ),
        1 => "1 day ago".to_owned(),
        n => format!("{n} days ago"),
    }
}

fn inspect(pattern: &str, full: &Path, base: &Path, expect: &FileExpect) -> Finding {
    let (seen, more) = match matches_of(pattern, full, base) {
        Ok(found) => found,
        Err(message) => return Finding::error(message),
    };
    if !expect.exists {
        let first = seen.first().map(|s| s.shown.clone());
        return Finding::from_checks(
            vec![check(
                seen.is_empty(),
                format!("nothing at {pattern}"),
                first.unwrap_or_else(|| "nothing".to_owned()),
            )],
            &format!("nothing at {pattern}"),
            "",
        );
    }
    let count = if more {
        format!("more than {MAX_FILES}")
    } else {
        seen.len().to_string()
    };
    let wanted = if expect.min_files > 1 {
        format!("at least {} files matching {pattern}", expect.min_files)
    } else if is_glob(pattern) {
        format!("a file matching {pattern}")
    } else {
        format!("{pattern} to exist")
    };
    let observed = match seen.len() {
        0 => "nothing there".to_owned(),
        1 => format!("1 file ({})", seen[0].shown),
        _ => format!("{count} files"),
    };
    let mut checks = vec![check(seen.len() >= expect.min_files, wanted, observed)];
    if seen.is_empty() {
        return Finding::from_checks(checks, "", "");
    }
    checks.extend(content_checks(expect, &seen));
    let newest = seen.iter().filter_map(|s| age(&s.meta)).min();
    let summary = match (seen.as_slice(), newest) {
        ([one], Some(age)) => format!(
            "{}: {} bytes, modified {}",
            one.shown,
            one.meta.len(),
            ago(age)
        ),
        (_, Some(age)) => format!(
            "{count} files match {pattern}, the newest modified {}",
            ago(age)
        ),
        _ => format!("{count} files match {pattern}"),
    };
    Finding::from_checks(checks, &summary, "")
}

/// Every expectation on the content and age, checked on every file; a failing
/// check names the first file that breaks it.
fn content_checks(expect: &FileExpect, seen: &[Seen]) -> Vec<Check> {
    let mut checks = Vec::new();
    let first_bad = |bad: &dyn Fn(&Seen) -> Option<String>| seen.iter().find_map(bad);
    let files = if seen.len() == 1 {
        "the file"
    } else {
        "every file"
    };
    if expect.non_empty {
        let bad =
            first_bad(&|s: &Seen| (s.meta.len() == 0).then(|| format!("{} is empty", s.shown)));
        checks.push(check(
            bad.is_none(),
            format!("{files} to have content"),
            bad.unwrap_or_else(|| "content".to_owned()),
        ));
    }
    if let Some(limit) = expect.modified_within {
        let bad = first_bad(&|s: &Seen| match age(&s.meta) {
            Some(a) if a <= limit.0 => None,
            Some(a) => Some(format!("{} modified {}", s.shown, ago(a))),
            None => Some(format!("{} has no modification time", s.shown)),
        });
        checks.push(check(
            bad.is_none(),
            format!("{files} modified within {limit}"),
            bad.unwrap_or_else(|| "fresh".to_owned()),
        ));
    }
    let wants_text = !expect.contains.0.is_empty()
        || !expect.not_contains.0.is_empty()
        || expect.matches.is_some();
    if !wants_text {
        return checks;
    }
    let mut texts: Vec<(&Seen, Result<String, String>)> = Vec::new();
    for s in seen {
        let text = if s.meta.is_dir() {
            Err("is a directory".to_owned())
        } else {
            head(&s.path)
        };
        texts.push((s, text));
    }
    let find = |test: &dyn Fn(&str) -> bool, missing: &str| -> Option<String> {
        texts.iter().find_map(|(s, text)| match text {
            Ok(t) if test(t) => None,
            Ok(_) => Some(format!("{} {missing}", s.shown)),
            Err(e) => Some(format!("{}: {e}", s.shown)),
        })
    };
    for needle in &expect.contains.0 {
        let bad = find(&|t: &str| t.contains(needle.as_str()), "without it");
        checks.push(check(
            bad.is_none(),
            format!("{files} to contain {:?}", needle.as_str()),
            bad.unwrap_or_else(|| "found".to_owned()),
        ));
    }
    for needle in &expect.not_contains.0 {
        let bad = find(&|t: &str| !t.contains(needle.as_str()), "with it");
        checks.push(check(
            bad.is_none(),
            format!("{files} not to contain {:?}", needle.as_str()),
            bad.unwrap_or_else(|| "absent".to_owned()),
        ));
    }
    if let Some(pattern) = &expect.matches {
        let bad = find(&|t: &str| pattern.0.is_match(t), "without a match");
        checks.push(check(
            bad.is_none(),
            format!("{files} to match /{}/", pattern.as_str()),
            bad.unwrap_or_else(|| "a match".to_owned()),
        ));
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn expect() -> FileExpect {
        FileExpect::default()
    }

    fn run(dir: &Path, pattern: &str, expect: &FileExpect) -> Finding {
        inspect(pattern, &dir.join(pattern), dir, expect)
    }

    #[test]
    fn globs_content_and_age() {
        let dir = tempfile::tempdir().unwrap();
        let runbooks = dir.path().join("runbooks");
        fs::create_dir(&runbooks).unwrap();
        fs::write(runbooks.join("api.md"), "# API\n## Rollback\nsteps").unwrap();
        fs::write(runbooks.join("db.md"), "# DB\nno section").unwrap();
        let old = fs::File::options()
            .write(true)
            .open(runbooks.join("db.md"))
            .unwrap();
        old.set_modified(SystemTime::now() - Duration::from_secs(200 * 86_400))
            .unwrap();

        let f = run(dir.path(), "runbooks/*.md", &expect());
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
        assert!(
            f.evidence
                .starts_with("2 files match runbooks/*.md, the newest modified ")
        );

        let wants = FileExpect {
            contains: Strings(vec![Text::literal("## Rollback")]),
            ..expect()
        };
        let f = run(dir.path(), "runbooks/*.md", &wants);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected every file to contain \"## Rollback\", got runbooks/db.md without it"
        );

        let fresh = FileExpect {
            modified_within: Some(Dur(Duration::from_secs(90 * 86_400))),
            ..expect()
        };
        let f = run(dir.path(), "runbooks/*.md", &fresh);
        assert_eq!(
            f.evidence,
            "expected every file modified within 90d, got runbooks/db.md modified 200 days ago"
        );
        let f = run(dir.path(), "runbooks/api.md", &fresh);
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
    }

    #[test]
    fn missing_empty_and_absent_files() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("empty.md"), "").unwrap();
        let f = run(dir.path(), "docs/dr-plan.md", &expect());
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected docs/dr-plan.md to exist, got nothing there"
        );
        let non_empty = FileExpect {
            non_empty: true,
            ..expect()
        };
        let f = run(dir.path(), "empty.md", &non_empty);
        assert_eq!(
            f.evidence,
            "expected the file to have content, got empty.md is empty"
        );
        let absent = FileExpect {
            exists: false,
            ..expect()
        };
        assert_eq!(run(dir.path(), "*.tmp", &absent).verdict, Verdict::Pass);
        assert_eq!(run(dir.path(), "*.md", &absent).verdict, Verdict::Fail);
    }
}
