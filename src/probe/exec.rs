//! `exec`: runs a program — a script of your own or one of the thousands of
//! Nagios/Icinga monitoring plugins — and judges its exit code and output.
//!
//! ```yaml
//! probe:
//!   exec:
//!     command: [terraform, workspace, show]
//!     dir: deployment/terraform
//!     expect: { exit: 0, stdout_contains: production }
//!   timeout: 30s
//! ```
//!
//! The command is an argv list and runs without a shell unless `shell: true`. It
//! runs in its own process group: when the deadline passes the whole group is
//! killed, and when the command exits anything it left running in its group is
//! killed too. stdout and stderr are each read up to [`MAX_OUTPUT`] (the rest is
//! drained and discarded, and evidence says so). Environment values that use
//! the environment (`${TOKEN}`) are secrets.
//!
//! `check --no-exec` (or `CANDLEFISH_NO_EXEC=1`, for every command) refuses
//! exec probes: they fail with "exec disabled by policy" and nothing starts.

use std::fmt;
use std::os::unix::process::ExitStatusExt as _;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use indexmap::IndexMap;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use tokio::io::{AsyncRead, AsyncReadExt as _};

use crate::checklist::scalar::{Pattern, format_duration};
use crate::checklist::text::Text;
use crate::outcome::{Check, Verdict};
use crate::probe::expect::{Finding, check, excerpt};
use crate::probe::http::Strings;
use crate::probe::{Context, Probe, nagios};

/// The most of stdout, and of stderr, that is kept, in bytes.
pub const MAX_OUTPUT: usize = 64 << 10;

/// The evidence of an exec probe under `--no-exec`.
pub const DISABLED: &str =
    "exec disabled by policy (--no-exec or CANDLEFISH_NO_EXEC): nothing was started";

/// The environment variable that disables exec probes, as `check --no-exec` does.
pub const NO_EXEC_VAR: &str = "CANDLEFISH_NO_EXEC";

/// `CANDLEFISH_NO_EXEC` is set to something true (`1`, `true`, `yes`, `on`).
pub fn disabled_by_env() -> bool {
    std::env::var(NO_EXEC_VAR).is_ok_and(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        )
    })
}

/// Configuration of an `exec` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecProbe {
    /// The program and its arguments, as a list (required). With `shell: true`,
    /// one string for `/bin/sh -c`.
    pub command: CommandLine,
    /// Run `command` through `/bin/sh -c` (default `false`).
    #[serde(default)]
    pub shell: bool,
    /// Extra environment variables; the rest of the environment is inherited.
    /// Values that use the environment are secret.
    #[serde(default)]
    pub env: IndexMap<String, Text>,
    /// The working directory, relative to the checklist's directory (default:
    /// the checklist's directory).
    #[serde(default)]
    pub dir: Option<Text>,
    /// Judge the command as a Nagios plugin: exit 0 OK, 1 WARNING (🟡),
    /// 2 CRITICAL (🔴), 3 UNKNOWN (could not run); performance data becomes
    /// checks (default `false`).
    #[serde(default)]
    pub nagios: bool,
    /// What the run must look like.
    #[serde(default)]
    pub expect: ExecExpect,
}

/// Expectations on a finished command. With none given, it must exit 0.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecExpect {
    /// Acceptable exit codes: `0` or a list such as `[0, 2]` (default `0`; not
    /// with `nagios: true`, where the code is the status).
    #[serde(default)]
    pub exit: Option<ExitCodes>,
    /// Text stdout must contain: one string or a list.
    #[serde(default)]
    pub stdout_contains: Strings,
    /// Text stdout must not contain: one string or a list.
    #[serde(default)]
    pub stdout_not_contains: Strings,
    /// A regular expression stdout must match.
    #[serde(default)]
    pub stdout_matches: Option<Pattern>,
    /// Text stderr must contain: one string or a list.
    #[serde(default)]
    pub stderr_contains: Strings,
    /// Text stderr must not contain: one string or a list.
    #[serde(default)]
    pub stderr_not_contains: Strings,
    /// A regular expression stderr must match.
    #[serde(default)]
    pub stderr_matches: Option<Pattern>,
}

/// A command: an argv list, or one line for the shell.
#[derive(Debug, Clone)]
pub enum CommandLine {
    /// `[program, arg, …]`.
    Argv(Vec<Text>),
    /// `"a | b"`, for `shell: true`.
    Line(Text),
}

impl<'de> Deserialize<'de> for CommandLine {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CommandVisitor;
        impl<'de> Visitor<'de> for CommandVisitor {
            type Value = CommandLine;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a list such as [terraform, workspace, show], or one string with `shell: true`",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<CommandLine, E> {
                Text::resolve(v.to_owned())
                    .map(CommandLine::Line)
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<CommandLine, A::Error> {
                let mut argv = Vec::new();
                while let Some(arg) = seq.next_element::<Text>()? {
                    argv.push(arg);
                }
                Ok(CommandLine::Argv(argv))
            }
        }
        deserializer.deserialize_any(CommandVisitor)
    }
}

/// Acceptable exit codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitCodes(pub Vec<i64>);

impl<'de> Deserialize<'de> for ExitCodes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CodesVisitor;
        impl<'de> Visitor<'de> for CodesVisitor {
            type Value = ExitCodes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an exit code (0) or a list of them ([0, 2])")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ExitCodes, E> {
                i64::try_from(v)
                    .map(|v| ExitCodes(vec![v]))
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ExitCodes, E> {
                Ok(ExitCodes(vec![v]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ExitCodes, A::Error> {
                let mut all = Vec::new();
                while let Some(code) = seq.next_element::<i64>()? {
                    all.push(code);
                }
                if all.is_empty() {
                    return Err(de::Error::custom(
                        "an empty list of exit codes accepts nothing",
                    ));
                }
                Ok(ExitCodes(all))
            }
        }
        deserializer.deserialize_any(CodesVisitor)
    }
}

impl fmt::Display for ExitCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<String> = self.0.iter().map(ToString::to_string).collect();
        write!(f, "exit {}", codes.join(" or "))
    }
}

/// `arg` quoted for display when it holds anything a shell would split.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

impl ExecProbe {
    fn texts(&self) -> Vec<&Text> {
        let mut all: Vec<&Text> = match &self.command {
            CommandLine::Argv(argv) => argv.iter().collect(),
            CommandLine::Line(line) => vec![line],
        };
        all.extend(self.env.values());
        all.extend(self.dir.iter());
        all
    }
}

impl Probe for ExecProbe {
    fn target(&self) -> String {
        match &self.command {
            CommandLine::Argv(argv) => {
                let words: Vec<String> = argv.iter().map(|a| quote(a)).collect();
                words.join(" ")
            }
            CommandLine::Line(line) => format!("sh -c {}", quote(line)),
        }
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for text in self.texts() {
            out.extend(text.env_parts().iter().cloned());
        }
        for value in self.env.values().filter(|v| v.from_env()) {
            out.push(value.as_str().to_owned());
        }
        out
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        match (&self.command, self.shell) {
            (CommandLine::Argv(argv), _) if argv.is_empty() => {
                problems.push("`command` is empty: name the program to run".to_owned());
            }
            (CommandLine::Argv(_), true) => problems.push(
                "with `shell: true`, give `command` as one string: command: \"cd x && ./check | grep ok\"".to_owned(),
            ),
            (CommandLine::Line(line), false) => problems.push(format!(
                "`command` is one string, which runs only with `shell: true`; without a shell give the program and its arguments as a list: [{}]",
                line.split_whitespace().collect::<Vec<_>>().join(", ")
            )),
            _ => {}
        }
        if self.nagios && self.expect.exit.is_some() {
            problems.push(
                "with `nagios: true` the exit code is the status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN); drop `expect.exit`".to_owned(),
            );
        }
        if let Some(codes) = &self.expect.exit
            && let Some(bad) = codes.0.iter().find(|c| !(0..=255).contains(*c))
        {
            problems.push(format!(
                "exit code {bad} cannot happen: exit codes are 0 to 255"
            ));
        }
        for name in self.env.keys() {
            if name.is_empty() || name.contains(['=', '\0']) {
                problems.push(format!("`{name}` is not a valid environment variable name"));
            }
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        if ctx.no_exec() {
            return Finding {
                verdict: crate::outcome::Verdict::Fail,
                ..Finding::error(DISABLED)
            };
        }
        let dir = ctx.resolve(Path::new(self.dir.as_deref().unwrap_or(".")));
        let (program, args): (PathBuf, Vec<&str>) = match &self.command {
            CommandLine::Line(line) => (PathBuf::from("/bin/sh"), vec!["-c", line.as_str()]),
            CommandLine::Argv(argv) => {
                let Some((first, rest)) = argv.split_first() else {
                    return Finding::error("the command is empty");
                };
                // `./check.sh` is relative to the working directory, not to ours.
                let program = if first.contains('/') {
                    dir.join(first.as_str())
                } else {
                    PathBuf::from(first.as_str())
                };
                (program, rest.iter().map(Text::as_str).collect())
            }
        };
        let ran = match run_bounded(&program, &args, &self.env, &dir).await {
            Ok(ran) => ran,
            Err(message) => return Finding::error(message),
        };
        if self.nagios {
            judge_plugin(&self.expect, &ran)
        } else {
            judge(&self.expect, &ran)
        }
    }
}

/// What a finished command showed.
struct Ran {
    /// The exit code, or `None` when a signal ended it.
    code: Option<i32>,
    /// The signal that ended it.
    signal: Option<i32>,
    stdout: Captured,
    stderr: Captured,
    elapsed: Duration,
}

struct Captured {
    text: String,
    total: usize,
}

impl Captured {
    fn truncated(&self) -> bool {
        self.total > MAX_OUTPUT
    }

    /// `a 12-byte stdout`, or `the first 64 KiB of a 3 MiB stdout`.
    fn size(&self, name: &str) -> String {
        if self.truncated() {
            format!(
                "the first {} KiB of {} bytes of {name}",
                MAX_OUTPUT >> 10,
                self.total
            )
        } else {
            format!("a {}-byte {name}", self.total)
        }
    }

    /// The last non-empty line, which is where programs usually say what went wrong.
    fn last_line(&self) -> Option<String> {
        self.text
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .map(|l| excerpt(l, 120))
    }
}

/// Kills the command's whole process group when dropped: at the deadline (the
/// engine drops the probe) and after the command exits.
struct GroupKiller(Option<rustix::process::Pid>);

impl GroupKiller {
    fn kill(&mut self) {
        if let Some(group) = self.0.take() {
            // Gone already is fine: there is nothing left to stop.
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn run_bounded(
    program: &Path,
    args: &[&str],
    env: &IndexMap<String, Text>,
    dir: &Path,
) -> Result<Ran, String> {
    let mut command = tokio::process::Command::new(program);
    command
        .args(args)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command.spawn().map_err(|e| spawn_error(&e, program, dir))?;
    let mut killer = GroupKiller(
        child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .and_then(rustix::process::Pid::from_raw),
    );
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let waiting = async {
        let status = child.wait().await;
        // Whatever it left behind in its group goes too, which also closes the pipes.
        killer.kill();
        status
    };
    let (status, stdout, stderr) = tokio::join!(waiting, capture(stdout), capture(stderr));
    let status = status.map_err(|e| format!("waiting for {}: {e}", program.display()))?;
    Ok(Ran {
        code: status.code(),
        signal: status.signal(),
        stdout,
        stderr,
        elapsed: started.elapsed(),
    })
}

/// Reads a pipe to its end, keeping the first [`MAX_OUTPUT`] bytes.
async fn capture(pipe: Option<impl AsyncRead + Unpin>) -> Captured {
    let mut kept = Vec::new();
    let mut total = 0;
    if let Some(mut pipe) = pipe {
        let mut buf = vec![0u8; 8192];
        while let Ok(n) = pipe.read(&mut buf).await {
            if n == 0 {
                break;
            }
            total += n;
            let room = MAX_OUTPUT.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
        }
    }
    Captured {
        text: String::from_utf8_lossy(&kept).into_owned(),
        total,
    }
}

fn spawn_error(error: &std::io::Error, program: &Path, dir: &Path) -> String {
    let program = program.display();
    match error.kind() {
        std::io::ErrorKind::NotFound if !dir.is_dir() => {
            format!(
                "cannot run {program}: the directory {} does not exist",
                dir.display()
            )
        }
        std::io::ErrorKind::NotFound => {
            format!("cannot run {program}: no such program (not found on PATH)")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("cannot run {program}: permission denied (is it executable?)")
        }
        _ => format!("cannot run {program}: {error}"),
    }
}

/// `exit 1`, or `killed by signal 9`.
fn exit_words(ran: &Ran) -> String {
    match (ran.code, ran.signal) {
        (Some(code), _) => format!("exit {code}"),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => "an unknown end".to_owned(),
    }
}

/// Checks on stdout and stderr shared by both modes.
fn output_checks(expect: &ExecExpect, ran: &Ran) -> Vec<Check> {
    let mut checks = Vec::new();
    for (name, captured, contains, not_contains, matches) in [
        (
            "stdout",
            &ran.stdout,
            &expect.stdout_contains,
            &expect.stdout_not_contains,
            &expect.stdout_matches,
        ),
        (
            "stderr",
            &ran.stderr,
            &expect.stderr_contains,
            &expect.stderr_not_contains,
            &expect.stderr_matches,
        ),
    ] {
        for needle in &contains.0 {
            let found = captured.text.contains(needle.as_str());
            checks.push(check(
                found,
                format!("{name} to contain {:?}", needle.as_str()),
                if found {
                    "found".to_owned()
                } else {
                    format!("{} without it", captured.size(name))
                },
            ));
        }
        for needle in &not_contains.0 {
            let found = captured.text.contains(needle.as_str());
            checks.push(check(
                !found,
                format!("{name} not to contain {:?}", needle.as_str()),
                if found {
                    format!("it in {name}")
                } else {
                    "absent".to_owned()
                },
            ));
        }
        if let Some(pattern) = matches {
            // One line of output ends in a newline; `^production$` should still match it.
            let text = captured.text.strip_suffix('\n').unwrap_or(&captured.text);
            let found = pattern.0.is_match(text.strip_suffix('\r').unwrap_or(text));
            checks.push(check(
                found,
                format!("{name} to match /{}/", pattern.as_str()),
                if found {
                    "a match".to_owned()
                } else {
                    format!("no match in {}", captured.size(name))
                },
            ));
        }
    }
    checks
}

/// An ordinary command: exit code and output.
fn judge(expect: &ExecExpect, ran: &Ran) -> Finding {
    let codes = expect.exit.clone().unwrap_or(ExitCodes(vec![0]));
    let ok = ran.code.is_some_and(|c| codes.0.contains(&i64::from(c)));
    let mut observed = exit_words(ran);
    if !ok && let Some(line) = ran.stderr.last_line().or_else(|| ran.stdout.last_line()) {
        observed.push_str(&format!(" ({line})"));
    }
    if !ok {
        // The line quoted above may come from the part that was kept.
        for (captured, name) in [(&ran.stdout, "stdout"), (&ran.stderr, "stderr")] {
            if captured.truncated() {
                observed.push_str(&format!("; {} kept", captured.size(name)));
            }
        }
    }
    let mut checks = vec![check(ok, codes.to_string(), observed)];
    checks.extend(output_checks(expect, ran));
    let elapsed = format_duration(ran.elapsed);
    let summary = match ran
        .stdout
        .text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
    {
        Some(line) => format!("{} in {elapsed}: {}", exit_words(ran), excerpt(line, 80)),
        None => format!("{} in {elapsed}", exit_words(ran)),
    };
    Finding::from_checks(checks, &summary, &format!("in {elapsed}"))
}

/// A Nagios plugin: the exit code is the status, the first line says why.
fn judge_plugin(expect: &ExecExpect, ran: &Ran) -> Finding {
    let output = nagios::parse(&ran.stdout.text);
    let text = if output.text.is_empty() {
        ran.stderr
            .last_line()
            .unwrap_or_else(|| "no output".to_owned())
    } else {
        excerpt(&output.text, 160)
    };
    let status = match ran.code.and_then(nagios::status) {
        Some((verdict, word)) => Check {
            expected: "OK".to_owned(),
            // Plugins usually name their status ("TCP CRITICAL - …"); say it once.
            observed: if text.to_ascii_uppercase().contains(word) {
                text.clone()
            } else {
                format!("{word}: {text}")
            },
            verdict,
        },
        None => Check {
            expected: "a Nagios status (exit 0 to 3)".to_owned(),
            observed: format!("{}: {text}", exit_words(ran)),
            verdict: Verdict::Error,
        },
    };
    let mut checks = vec![status];
    checks.extend(output_checks(expect, ran));
    let perf: Vec<String> = output.metrics.iter().map(nagios::Metric::short).collect();
    let perf = if perf.is_empty() {
        String::new()
    } else {
        format!(" [{}]", excerpt(&perf.join(" "), 120))
    };
    let mut finding = Finding::from_checks(checks, &format!("{text}{perf}"), perf.trim_start());
    finding
        .checks
        .extend(output.metrics.iter().map(nagios::Metric::check));
    finding
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ran(code: i32, stdout: &str, stderr: &str) -> Ran {
        let captured = |t: &str| Captured {
            text: t.to_owned(),
            total: t.len(),
        };
        Ran {
            code: Some(code),
            signal: None,
            stdout: captured(stdout),
            stderr: captured(stderr),
            elapsed: Duration::from_millis(12),
        }
    }

    #[test]
    fn exit_codes_and_output_become_evidence() {
        let expect = ExecExpect::default();
        let f = judge(&expect, &ran(0, "production\n", ""));
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(f.evidence, "exit 0 in 12ms: production");
        let f = judge(&expect, &ran(1, "", "Workspace \"prod\" doesn't exist.\n"));
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected exit 0, got exit 1 (Workspace \"prod\" doesn't exist.) in 12ms"
        );
    }

    #[test]
    fn nagios_statuses_map_to_verdicts() {
        let expect = ExecExpect::default();
        let ok = judge_plugin(
            &expect,
            &ran(
                0,
                "TCP OK - 0.000 second response time|time=0.0001s;;;0;10\n",
                "",
            ),
        );
        assert_eq!(ok.verdict, Verdict::Pass);
        assert_eq!(
            ok.evidence,
            "TCP OK - 0.000 second response time [time=0.0001s]"
        );
        assert_eq!(ok.checks.len(), 2);
        let warn = judge_plugin(&expect, &ran(1, "WARNING: hello\n", ""));
        assert_eq!(warn.verdict, Verdict::Warn);
        assert_eq!(warn.evidence, "expected OK, got WARNING: hello");
        let quiet = judge_plugin(&expect, &ran(2, "connection lost\n", ""));
        assert_eq!(quiet.evidence, "expected OK, got CRITICAL: connection lost");
        assert_eq!(
            judge_plugin(&expect, &ran(2, "down\n", "")).verdict,
            Verdict::Fail
        );
        assert_eq!(
            judge_plugin(&expect, &ran(3, "?\n", "")).verdict,
            Verdict::Error
        );
        let odd = judge_plugin(&expect, &ran(127, "", "sh: 1: nope: not found\n"));
        assert_eq!(odd.verdict, Verdict::Error);
        assert!(
            odd.evidence.contains("exit 127: sh: 1: nope: not found"),
            "{}",
            odd.evidence
        );
    }

    #[test]
    fn targets_quote_what_a_shell_would_split() {
        assert_eq!(quote("plain-arg"), "plain-arg");
        assert_eq!(quote("two words"), "'two words'");
        assert_eq!(quote("it's"), r"'it'\''s'");
    }
}
