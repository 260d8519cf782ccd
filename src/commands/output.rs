//! Where a finished run goes: `--report` files (written atomically, even when
//! the gate fails), stdout (the board, a format, or the `-q` line), GitHub
//! Actions (annotations and the job summary), and the diff against a
//! `--baseline`.
//!
//! GitHub output is on when `--format github` is given or when `GITHUB_ACTIONS`
//! is `true` (GitHub sets it on every runner): annotations go to stdout unless
//! stdout carries a machine format (json, junit, md, html), and the job summary
//! is appended to the file `GITHUB_STEP_SUMMARY` names, when it is set.

use std::io::Write as _;
use std::path::Path;

use super::Exit;
use crate::cli::{DisplayArgs, OutputArgs};
use crate::outcome::Report;
use crate::report::{self, Format, diff, github};

/// What to do with a finished report besides judging it.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// `--report` files and `-q`.
    pub args: OutputArgs,
    /// The report of an earlier run to compare with.
    pub baseline: Option<Report>,
}

/// The GitHub Actions environment, read once by the caller.
#[derive(Debug, Clone, Default)]
pub struct GithubEnv {
    /// `GITHUB_ACTIONS=true`.
    pub actions: bool,
    /// `GITHUB_STEP_SUMMARY`, when set and not empty.
    pub step_summary: Option<std::path::PathBuf>,
}

impl GithubEnv {
    /// Reads `GITHUB_ACTIONS` and `GITHUB_STEP_SUMMARY`.
    pub fn detect() -> Self {
        GithubEnv {
            actions: std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true"),
            step_summary: std::env::var_os("GITHUB_STEP_SUMMARY")
                .filter(|v| !v.is_empty())
                .map(Into::into),
        }
    }
}

/// Writes the reports, then stdout — `print_main` prints the board or the
/// `--format` (skipped for `-q` and `--format github`) — then GitHub output and
/// the baseline diff. `Err` is the exit code when something could not be written.
pub fn deliver(
    report: &Report,
    output: &Output,
    display: &DisplayArgs,
    print_main: impl FnOnce(&Report),
) -> Result<(), Exit> {
    let mut failed = false;
    for spec in &output.args.reports {
        let text = report::render_file(report, spec.format);
        if let Err(e) = write_atomically(&spec.path, text.as_bytes()) {
            eprintln!(
                "error: cannot write the {} report to {}: {e}",
                spec.format.name(),
                spec.path.display()
            );
            failed = true;
        }
    }
    let github = GithubEnv::detect();
    let github_on = github.actions || display.format == Format::Github;
    let for_people = display.format.is_for_people();
    if output.args.quiet && !display.format.is_for_people() {
        // `-q --format json`: stdout carries what a program asked for, and
        // the one line goes to stderr — neither is dropped.
        print_main(report);
        eprintln!("{}", report::text::verdict_line(report, display.ascii));
    } else if output.args.quiet {
        super::print_out(&format!(
            "{}\n",
            report::text::verdict_line(report, display.ascii)
        ));
    } else if display.format != Format::Github {
        print_main(report);
    }
    let mut stdout = String::new();
    if github_on && for_people {
        stdout.push_str(&github::annotations(report));
    }
    if let Some(baseline) = &output.baseline {
        let changes = diff::diff(baseline, report);
        let text = format!(
            "\nsince the baseline ({}):\n{}",
            baseline.started_at,
            diff::render(&changes, display.ascii)
        );
        if for_people && !output.args.quiet {
            stdout.push_str(&text);
        } else {
            eprint!("{text}");
        }
    }
    super::print_out(&stdout);
    if github_on
        && let Some(path) = &github.step_summary
        && let Err(e) = append(path, github::summary(report).as_bytes())
    {
        eprintln!(
            "error: cannot append the job summary to {}: {e}",
            path.display()
        );
        failed = true;
    }
    if failed { Err(Exit::Usage) } else { Ok(()) }
}

/// The checklist and every file it includes, as inputs for [`refuse_clobbering`].
pub fn checklist_files(sources: &[crate::checklist::Source]) -> Vec<(&Path, &'static str)> {
    sources
        .iter()
        .map(|s| (Path::new(&s.name), "part of the checklist"))
        .collect()
}

/// Refuses output paths that would overwrite what the run reads or keeps —
/// the checklist and the files it includes, the sign-off store, a journal, a
/// baseline, the Markdown being imported — or that two outputs share. Checked
/// before anything runs, so a typo in `--report` never costs data.
pub fn refuse_clobbering(outputs: &[&Path], inputs: &[(&Path, &str)]) -> Result<(), String> {
    let inputs: Vec<(std::path::PathBuf, &str)> = inputs
        .iter()
        .map(|(p, what)| (resolved(p), *what))
        .collect();
    let mut seen: Vec<(std::path::PathBuf, &Path)> = Vec::new();
    for out in outputs {
        let k = resolved(out);
        if let Some((_, what)) = inputs.iter().find(|(i, _)| *i == k) {
            return Err(format!(
                "{} is {what}; writing there would overwrite it: choose another path",
                out.display()
            ));
        }
        if let Some((_, first)) = seen.iter().find(|(s, _)| *s == k) {
            return Err(format!(
                "{} and {} are the same file: give each output its own path",
                first.display(),
                out.display()
            ));
        }
        seen.push((k, out));
    }
    Ok(())
}

/// Where `path` is, or will be once its directories are created: the longest
/// part that exists, resolved (symbolic links followed), then the rest folded
/// by hand — what does not exist yet cannot be a link, so `new/../x` is `x`.
fn resolved(path: &Path) -> std::path::PathBuf {
    use std::path::Component;
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(path)
    };
    let parts: Vec<Component<'_>> = absolute.components().collect();
    for cut in (1..=parts.len()).rev() {
        let head: std::path::PathBuf = parts[..cut].iter().collect();
        let Ok(mut out) = std::fs::canonicalize(&head) else {
            continue;
        };
        for part in &parts[cut..] {
            match part {
                Component::ParentDir => {
                    out.pop();
                }
                Component::Normal(name) => out.push(name),
                _ => {}
            }
        }
        return out;
    }
    absolute
}

/// Writes a file so that readers see the old or the new content, never a
/// part: a temporary file in the same directory, synced, then renamed over.
/// Missing parent directories are created; a symbolic link is followed; a
/// target that is not a regular file (`/dev/stdout`, a FIFO) is written in place.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    // The process's own streams, whatever they are (a terminal, a pipe, a
    // file opened with `>>`): written through the handle, never reopened.
    match path.to_str() {
        Some("/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1") => {
            return write_through(std::io::stdout().lock(), bytes);
        }
        Some("/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2") => {
            return write_through(std::io::stderr().lock(), bytes);
        }
        _ => {}
    }
    // Devices and the kernel's files are written in place, never resolved.
    if path.starts_with("/dev") || path.starts_with("/proc") {
        return write_through(std::fs::OpenOptions::new().write(true).open(path)?, bytes);
    }
    // A link is followed: the file it points to is replaced, not the link.
    // What is not a regular file (`/dev/stdout`, a pipe, a device) cannot be
    // replaced by renaming: it is written in place.
    let target;
    let path = match std::fs::canonicalize(path) {
        Ok(real) => {
            if !std::fs::metadata(&real)?.is_file() {
                return write_through(std::fs::OpenOptions::new().write(true).open(&real)?, bytes);
            }
            target = real;
            target.as_path()
        }
        // A link to a file that does not exist yet: create that file.
        Err(_) => match std::fs::read_link(path) {
            Ok(to) => {
                target = match path.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
                target.as_path()
            }
            Err(_) => path,
        },
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let name = path
        .file_name()
        .map_or_else(|| "report".to_owned(), |n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// Writes `bytes` to something that is not replaced by renaming (a stream, a device).
fn write_through(mut out: impl std::io::Write, bytes: &[u8]) -> std::io::Result<()> {
    out.write_all(bytes)?;
    out.flush()
}

fn append(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.write_all(b"\n")
}
