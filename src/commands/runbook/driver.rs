//! The interactive driver: phases in order, each when its time comes (a
//! countdown waits for it), each step once — what the journal already holds
//! is not repeated — then the phase's go/no-go. Every result is journaled
//! before the next step starts; Ctrl-C or `q` journals where it stopped and
//! exits 130, and `--resume` picks up from there.

use std::io::Write as _;
use std::path::PathBuf;

use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::prompt::{Answer, Input, NoLine, parse};
use super::show;
use crate::commands::Exit;
use crate::commands::store::attestations;
use crate::commands::{say, say_more};
use crate::engine::gate::GatePolicy;
use crate::engine::plan::Plan;
use crate::outcome::{Basis, ItemReport, Status};
use crate::report::printable;
use crate::runbook::clock::Clock;
use crate::runbook::journal::{Decision, Mode, Open, Proceed, Record, Redo, Start, Stop};
use crate::runbook::plan::{Action, Phase, Runbook, Step};
use crate::runbook::replay::Replay;
use crate::runbook::timeline::{decide, phase_done, phase_time};
use crate::state::log::{Contents, Log};

/// Everything a session needs.
pub struct Context {
    /// The checklist file.
    pub file: PathBuf,
    /// The checklist's name.
    pub name: String,
    /// The checklist's plan (steps that run items select from it).
    pub plan: Plan,
    /// The runbook.
    pub runbook: Runbook,
    /// The journal.
    pub journal: Log,
    /// The sign-off store.
    pub store: PathBuf,
    /// The clock.
    pub clock: Clock,
    /// T-0.
    pub t0: Timestamp,
    /// The operator.
    pub by: String,
    /// The operator's SSH key, which signs their answers and sign-offs.
    pub key: Option<crate::state::sshsig::Key>,
    /// Interactive or not.
    pub mode: Mode,
    /// The go/no-go policy.
    pub policy: GatePolicy,
    /// ASCII instead of emoji.
    pub ascii: bool,
    /// stdout is a terminal (the countdown redraws in place).
    pub tty: bool,
    /// Cancelled by Ctrl-C.
    pub cancel: CancellationToken,
}

/// One session on the journal.
pub struct Driver {
    pub(super) cx: Context,
    pub(super) session: String,
    input: Option<Input>,
    /// Where the session is, for the `stop` record.
    pub(super) at: (Option<String>, Option<String>),
}

/// A new session's id: the process id and a few clock bits.
pub(super) fn session_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{}-{nanos:08x}", std::process::id())
}

/// The `open` record that starts a session: who, on which clock, on which
/// machine and in which process (for claims, see [`holder`]).
pub(super) fn open_record(
    clock: &Clock,
    by: &str,
    session: &str,
    (t0, checklist): (Timestamp, &str),
    mode: Mode,
    phase: Option<&str>,
) -> Record {
    Record::Open(Open {
        at: clock.now(),
        by: by.to_owned(),
        session: session.to_owned(),
        t0,
        checklist: checklist.to_owned(),
        mode,
        phase: phase.map(str::to_owned),
        clock: clock.is_simulated().then(|| "simulated".to_owned()),
        host: Some(host_name()),
        pid: Some(std::process::id()),
    })
}

/// This machine's name, as sessions record it.
fn host_name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// Where the session holding a claim is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holder {
    /// It journaled a stop, or its process on this machine is gone.
    Gone,
    /// A live process on this machine, in this mode.
    Here(Mode),
    /// Another machine, which cannot be asked: trusted until `--redo`.
    Elsewhere,
}

/// Where `session` is (see [`Holder`]).
fn holder(replay: &Replay, session: &str) -> Holder {
    let stopped = replay
        .entries
        .iter()
        .any(|e| matches!(&e.record, Record::Stop(s) if s.session == session));
    if stopped {
        return Holder::Gone;
    }
    let Some(open) = replay.opens().find(|o| o.session == session) else {
        return Holder::Gone;
    };
    match (&open.host, open.pid) {
        (Some(host), Some(pid)) if *host == host_name() => {
            if pid != std::process::id() && alive(pid) {
                Holder::Here(open.mode)
            } else {
                Holder::Gone
            }
        }
        (Some(_), Some(_)) => Holder::Elsewhere,
        // Journals from before sessions recorded their host: assume gone.
        _ => Holder::Gone,
    }
}

/// Whether process `pid` on this machine is running: it exists (another
/// user's process answers "not permitted") and has not exited (a zombie,
/// exited but not yet reaped by its parent, is gone for our purposes).
fn alive(pid: u32) -> bool {
    let exists = rustix::process::Pid::from_raw(pid.cast_signed()).is_some_and(|p| {
        matches!(
            rustix::process::test_kill_process(p),
            Ok(()) | Err(rustix::io::Errno::PERM)
        )
    });
    if !exists {
        return false;
    }
    // /proc/PID/stat: "PID (COMM) STATE …"; COMM may hold spaces and parentheses.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|i| stat[i + 1..].split_whitespace().next())
            .is_none_or(|state| state != "Z" && state != "X"),
        Err(_) => true,
    }
}

/// How a session ended early.
pub type Stopped = Exit;

impl Driver {
    pub fn new(cx: Context) -> Driver {
        let session = session_id();
        let input = (cx.mode == Mode::Interactive).then(Input::spawn);
        Driver {
            cx,
            session,
            input,
            at: (None, None),
        }
    }

    /// Appends a record durably; a journal that cannot be written stops the run.
    pub(super) fn append(&self, record: &Record) -> Result<(), Stopped> {
        self.cx.journal.append(record).map_err(|e| {
            eprintln!("error: cannot write the journal, stopping: {e}");
            Exit::Usage
        })
    }

    /// The journal as it is now (another operator may have written to it).
    pub(super) fn replay(&self) -> Result<Replay, Stopped> {
        let contents: Contents<Record> = self.cx.journal.read().map_err(|e| {
            eprintln!("error: cannot read the journal: {e}");
            Exit::Usage
        })?;
        Ok(Replay::new(contents))
    }

    pub(super) fn now(&self) -> Timestamp {
        self.cx.clock.now()
    }

    /// Records the session's start and the steps to redo, then shows the timeline.
    pub fn open(&mut self, phase: Option<&str>, redo: &[String]) -> Result<(), Stopped> {
        self.append(&open_record(
            &self.cx.clock,
            &self.cx.by,
            &self.session,
            (self.cx.t0, &self.cx.name),
            self.cx.mode,
            phase,
        ))?;
        for step in redo {
            self.append(&Record::Redo(Redo {
                at: self.now(),
                by: self.cx.by.clone(),
                session: self.session.clone(),
                step: step.clone(),
                reason: None,
            }))?;
        }
        // What is wrong with the sign-off store, once, as `check` says it.
        if let Ok((_, warnings)) = attestations(
            &self.cx.store,
            &self.cx.plan,
            self.now(),
            self.cx.clock.is_simulated(),
        ) {
            for warning in warnings {
                eprintln!("warning: {warning}");
            }
        }
        let replay = self.replay()?;
        say!(
            "{}journal: {}",
            show::timeline(
                &self.cx.name,
                &self.cx.runbook,
                &replay,
                self.cx.t0,
                self.now(),
                self.cx.ascii
            ),
            self.cx.journal.path().display()
        );
        Ok(())
    }

    /// Journals where the session stopped and why; the exit code to use.
    pub(super) fn stop(&self, why: &str, exit: Exit) -> Exit {
        let record = Record::Stop(Stop {
            at: self.now(),
            by: self.cx.by.clone(),
            session: self.session.clone(),
            phase: self.at.0.clone(),
            step: self.at.1.clone(),
            why: why.to_owned(),
        });
        if let Err(code) = self.append(&record) {
            return code;
        }
        if exit == Exit::Interrupted {
            say!(
                "\nstopped; the journal has everything so far. Continue with:\n  {}",
                self.resume_command()
            );
        }
        exit
    }

    /// The command that continues this session: the same checklist, T-0,
    /// journal and store.
    pub(super) fn resume_command(&self) -> String {
        self.follow_up("--resume", true)
    }

    /// A later command about this launch: the same checklist and T-0, then
    /// `what`, then `--journal` (and `--state` when `store`) whenever they are
    /// not the defaults — so what it shows is this launch, not another one.
    pub(super) fn follow_up(&self, what: &str, store: bool) -> String {
        let mut command = format!(
            "candlefish runbook {} --t0 {} {what}",
            self.cx.file.display(),
            self.cx.t0
        );
        if self.cx.journal.path() != crate::runbook::default_journal(&self.cx.file, self.cx.t0) {
            command.push_str(&format!(" --journal {}", self.cx.journal.path().display()));
        }
        if store && self.cx.store != crate::commands::store::store_path(&self.cx.file, None) {
            command.push_str(&format!(" --state {}", self.cx.store.display()));
        }
        command
    }

    /// Waits for `fut` unless Ctrl-C comes first (then journals the stop).
    pub(super) async fn cancellable<T>(&self, fut: impl Future<Output = T>) -> Result<T, Stopped> {
        tokio::select! {
            biased;
            () = self.cx.cancel.cancelled() => Err(self.stop("interrupted", Exit::Interrupted)),
            value = fut => Ok(value),
        }
    }

    /// Asks until one of `allowed`'s answers comes; `None` in a non-interactive run.
    pub(super) async fn ask(&mut self, prompt: &str, allowed: &str) -> Result<Answer, Stopped> {
        loop {
            let line = self.line(prompt).await?;
            if let Some(answer) = parse(&line, allowed) {
                return Ok(answer);
            }
            say!("      answer with one of the letters in brackets");
        }
    }

    /// One line from the person at the terminal.
    pub(super) async fn line(&mut self, prompt: &str) -> Result<String, Stopped> {
        let Some(input) = self.input.as_mut() else {
            return Err(self.stop("no terminal", Exit::Usage));
        };
        match input.line(prompt, &self.cx.cancel).await {
            Ok(line) => Ok(line),
            Err(NoLine::Cancelled) => Err(self.stop("interrupted", Exit::Interrupted)),
            Err(NoLine::Closed) => {
                say!(
                    "\nstdin is closed: stopping here (use --non-interactive where nobody can answer)"
                );
                Err(self.stop("stdin closed", Exit::Interrupted))
            }
        }
    }

    /// Text the person must give (a reason, evidence): asked until it is not empty.
    pub(super) async fn text(
        &mut self,
        given: Option<String>,
        prompt: &str,
    ) -> Result<String, Stopped> {
        if let Some(text) = given.filter(|t| !t.trim().is_empty()) {
            return Ok(text.trim().to_owned());
        }
        loop {
            let line = self.line(prompt).await?;
            if !line.trim().is_empty() {
                return Ok(line.trim().to_owned());
            }
        }
    }

    /// Runs the phases in scope: one (`--phase`), or all from the first not done.
    pub async fn run(mut self, only: Option<&str>) -> Exit {
        let indices: Vec<usize> = match only {
            Some(id) => self
                .cx
                .runbook
                .phases
                .iter()
                .position(|p| p.id == id)
                .into_iter()
                .collect(),
            None => (0..self.cx.runbook.phases.len()).collect(),
        };
        let mut any_no_go = false;
        for (n, &index) in indices.iter().enumerate() {
            let last = n + 1 == indices.len();
            let phase = self.cx.runbook.phases[index].clone();
            match self.phase(&phase, only.is_none()).await {
                Ok(true) => {}
                Ok(false) => {
                    any_no_go = true;
                    if !last && let Err(exit) = self.after_no_go(&phase).await {
                        return exit;
                    }
                }
                Err(exit) => return exit,
            }
        }
        say!(
            "\nThe launch record: {}",
            self.follow_up("--report md", false)
        );
        if any_no_go {
            Exit::Failed
        } else {
            Exit::Passed
        }
    }

    /// One phase: wait for it, run what is not done, decide. `Ok(go)`.
    async fn phase(&mut self, phase: &Phase, wait: bool) -> Result<bool, Stopped> {
        self.at = (Some(phase.id.clone()), None);
        let replay = self.replay()?;
        if phase_done(&replay, phase)
            && let Some(d) = replay.decisions.get(&phase.id)
        {
            say!(
                "{}\n      decided {} at {} by {} (in the journal)",
                show::phase_heading(phase, self.cx.t0),
                if d.go { "GO" } else { "NO-GO" },
                crate::runbook::record::clock(self.cx.t0, d.at),
                printable(&d.by)
            );
            return Ok(d.go);
        }
        if wait {
            self.countdown(phase).await?;
        }
        say!("{}", show::phase_heading(phase, self.cx.t0));
        let count = phase.steps.len();
        for (index, step) in phase.steps.iter().enumerate() {
            self.at.1 = Some(step.id.clone());
            say!("{}", show::step_heading(index, count, step));
            while self.run_step(phase, step).await? {}
        }
        self.at.1 = None;
        let verdict = decide(phase, &self.replay()?, self.cx.policy);
        self.append(&Record::Decide(Decision {
            at: self.now(),
            by: self.cx.by.clone(),
            session: self.session.clone(),
            phase: phase.id.clone(),
            go: verdict.go,
            gate: verdict.gate.clone(),
            blocking: verdict.blocking.clone(),
            skipped: verdict.skipped.clone(),
        }))?;
        say!("{}", show::decision(phase, &verdict, self.cx.ascii));
        Ok(verdict.go)
    }

    /// One step, unless the journal has it settled: journals its start (once
    /// per attempt), runs it, journals the result. `Ok(true)` when a person
    /// asked to retry it.
    async fn run_step(&mut self, phase: &Phase, step: &Step) -> Result<bool, Stopped> {
        let mut waiting_for: Option<String> = None;
        loop {
            let replay = self.replay()?;
            let attempt = replay.step(&step.id);
            if attempt.done() {
                say!(
                    "{}",
                    show::already(step, &replay, self.cx.t0, self.cx.ascii)
                );
                return Ok(false);
            }
            // The first start of an attempt claims it: when two sessions start
            // a step at once, the one whose record came first runs it.
            let claim = |replaces: Option<String>| {
                Record::Start(Start {
                    at: self.now(),
                    by: self.cx.by.clone(),
                    session: self.session.clone(),
                    phase: phase.id.clone(),
                    step: step.id.clone(),
                    replaces,
                })
            };
            let Some(started) = &attempt.claimed else {
                self.append(&claim(None))?;
                continue;
            };
            if started.session == self.session {
                break;
            }
            let holder = holder(&replay, &started.session);
            // The holder is gone, or finished with the step unsettled (a manual
            // step nobody confirmed there): take the claim over. Of several
            // sessions doing so at once, the first in the journal wins.
            if attempt.finished.is_some() || holder == Holder::Gone {
                self.append(&claim(Some(started.session.clone())))?;
                continue;
            }
            // A run without a person waits only for another run without one on
            // this machine: never for a person, never for another machine.
            if self.cx.mode == Mode::NonInteractive && holder != Holder::Here(Mode::NonInteractive)
            {
                say!(
                    "      {} holds this step in another session (since {}); a non-interactive run does not wait for it, so it stays open here. `--redo {}` takes it over.",
                    printable(&started.by),
                    crate::runbook::record::clock(self.cx.t0, started.at),
                    step.id
                );
                return Ok(false);
            }
            if waiting_for.as_deref() != Some(started.session.as_str()) {
                let redo = if holder == Holder::Elsewhere {
                    format!(
                        " (another machine; if it is gone, Ctrl-C and `--redo {}` take it over)",
                        step.id
                    )
                } else {
                    String::new()
                };
                say!(
                    "      {} is running this step in another session (since {}); waiting for it{redo}. Ctrl-C stops.",
                    printable(&started.by),
                    crate::runbook::record::clock(self.cx.t0, started.at)
                );
                waiting_for = Some(started.session.clone());
            }
            // Real time, also on a simulated clock: the other session is real.
            self.cancellable(tokio::time::sleep(std::time::Duration::from_millis(200)))
                .await?;
        }
        let attempt = self.replay()?.step(&step.id);
        let done = self.step(phase, step, &attempt).await?;
        say_more!(
            "{}",
            show::result(&done.result, done.settled, &self.cx.file, self.cx.ascii)
        );
        let retryable = self.cx.mode == Mode::Interactive && retryable(step, &done.result);
        self.finish(phase, step, done)?;
        if !retryable {
            return Ok(false);
        }
        match self
            .ask("      [r]etry / [c]ontinue / [q]uit > ", "rcq")
            .await?
        {
            Answer::Retry => {
                self.append(&Record::Redo(Redo {
                    at: self.now(),
                    by: self.cx.by.clone(),
                    session: self.session.clone(),
                    step: step.id.clone(),
                    reason: Some("retry".to_owned()),
                }))?;
                Ok(true)
            }
            Answer::Quit => Err(self.stop("quit", Exit::Interrupted)),
            _ => Ok(false),
        }
    }

    /// After a no-go with phases still to come: a person may go on (journaled,
    /// with a reason); otherwise the session stops with exit code 1.
    async fn after_no_go(&mut self, phase: &Phase) -> Result<(), Stopped> {
        let replay = self.replay()?;
        if let Some(p) = replay.proceeds.get(&phase.id) {
            say!(
                "      {} went on anyway: {}",
                printable(&p.by),
                printable(&p.reason)
            );
            return Ok(());
        }
        if self.cx.mode == Mode::NonInteractive {
            say!("      stopping: {} is NO-GO", phase.at);
            return Err(self.stop("no-go", Exit::Failed));
        }
        match self
            .ask("      [p]roceed anyway (reason) / [q]uit > ", "pq")
            .await?
        {
            Answer::Proceed(reason) => {
                let reason = self.text(reason, "      why go on? > ").await?;
                self.append(&Record::Proceed(Proceed {
                    at: self.now(),
                    by: self.cx.by.clone(),
                    session: self.session.clone(),
                    phase: phase.id.clone(),
                    reason,
                }))?;
                Ok(())
            }
            _ => Err(self.stop("no-go", Exit::Failed)),
        }
    }

    /// Waits until `phase` is due, showing how long is left.
    async fn countdown(&self, phase: &Phase) -> Result<(), Stopped> {
        let at = phase_time(self.cx.t0, phase);
        if self.now() >= at {
            return Ok(());
        }
        say!(
            "\nnext: {} {} at {} ({}); waiting. Ctrl-C stops; `--resume` continues later.",
            phase.at,
            printable(&phase.title),
            crate::runbook::record::clock(self.cx.t0, at),
            show::until(self.now(), at)
        );
        if !self.cx.tty || self.cx.clock.is_simulated() {
            return self.cancellable(self.cx.clock.sleep_until(at)).await;
        }
        while self.now() < at {
            say_more!("\r  ⏳ {} {}   ", phase.at, show::until(self.now(), at));
            let _ = std::io::stdout().flush();
            self.cancellable(self.cx.clock.sleep(std::time::Duration::from_secs(1)))
                .await?;
        }
        say!();
        Ok(())
    }
}

/// A step worth offering to run again: something automated in it is not
/// green (a person's answer is not retried; it is redone with `--redo`).
fn retryable(step: &Step, result: &ItemReport) -> bool {
    if matches!(step.action, Action::Manual(_)) {
        return false;
    }
    result
        .walk()
        .into_iter()
        .filter(|i| i.items.is_empty())
        .any(|i| {
            matches!(i.status, Status::Red | Status::Yellow)
                && !matches!(i.basis, Basis::Manual | Basis::Signoff)
        })
}
