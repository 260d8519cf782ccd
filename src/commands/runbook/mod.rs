//! `candlefish runbook`: load the checklist's runbook, open its journal, then
//! either print the launch record (`--report`) or walk the crew through the
//! phases ([`driver`]), running steps ([`steps`]), asking people ([`prompt`])
//! and printing as it goes ([`show`]).

mod driver;
mod manual;
mod prompt;
mod show;
mod steps;
mod watch;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::store::{NOW_VAR, now, signer, store_path};
use super::{Exit, Terminal, interrupt, load_or_report, write_atomically};
use crate::cli::RunbookArgs;
use crate::runbook::clock::Clock;
use crate::runbook::journal::{Mode, Record};
use crate::runbook::record::{self, RecordSpec};
use crate::runbook::replay::Replay;
use crate::runbook::{default_journal, plan::Runbook};
use crate::state::log::{Contents, Log};
use crate::state::sshsig::Key;

pub async fn run(args: RunbookArgs, term: Terminal) -> Exit {
    match start(args, term).await {
        Ok(exit) | Err(exit) => exit,
    }
}

fn usage(message: impl std::fmt::Display) -> Exit {
    eprintln!("error: {message}");
    Exit::Usage
}

async fn start(args: RunbookArgs, term: Terminal) -> Result<Exit, Exit> {
    let overrides = crate::checklist::load::parse_overrides(&args.load.vars).map_err(usage)?;
    let mut options = crate::checklist::LoadOptions {
        overrides,
        ..crate::checklist::LoadOptions::default()
    };
    options.plan.default_timeout = args.timeout;
    // The launch record and --confirm run no probe: they need no secrets.
    options.nothing_runs = !args.reports.is_empty() || !args.confirm.is_empty();
    let loaded = load_or_report(&args.file, &options, term).ok_or(Exit::Usage)?;
    let Some(runbook) = loaded.runbook.clone() else {
        return Err(usage(format!(
            "{} has no `runbook:` section; see `candlefish runbook --help` and the README's \"Launch day\"",
            args.file.display()
        )));
    };
    // The journal and the store are written; neither may be the checklist,
    // nor each other.
    {
        let store = store_path(&args.file, args.state.as_deref());
        let parts = crate::commands::output::checklist_files(&loaded.sources);
        crate::commands::output::refuse_clobbering(&[store.as_path()], &parts)
            .map_err(|m| usage(format!("--state: {m}")))?;
        if let Some(journal) = &args.journal {
            let mut taken = parts.clone();
            taken.push((store.as_path(), "the sign-off store"));
            crate::commands::output::refuse_clobbering(&[journal.as_path()], &taken)
                .map_err(|m| usage(format!("--journal: {m}")))?;
        }
    }
    let (journal, replay, t0) = open_journal(&args)?;
    for problem in &replay.problems {
        eprintln!(
            "warning: {}:{}: {}",
            journal.path().display(),
            problem.line,
            problem.message
        );
    }
    if !args.reports.is_empty() {
        return write_record(
            &args,
            &loaded.plan.info.name,
            &loaded.sources,
            &runbook,
            &replay,
            t0,
            &journal,
        );
    }
    let start = match std::env::var_os(NOW_VAR) {
        Some(value) if !value.is_empty() => Some(now().map_err(usage)?),
        _ => None,
    };
    let clock = Clock::from_env(start).map_err(usage)?;
    // A journal records its checklist's name. Another name with the same steps
    // is this checklist renamed: go on, and say so. Otherwise it belongs to
    // another checklist.
    if let Some(other) = replay
        .opens()
        .map(|o| o.checklist.as_str())
        .find(|name| *name != loaded.plan.info.name)
    {
        let known: std::collections::HashSet<&str> = runbook.step_ids().collect();
        let same_steps = replay.steps.keys().all(|id| known.contains(id.as_str()));
        if same_steps {
            eprintln!(
                "note: {} was recorded for checklist \"{other}\"; its steps are this runbook's, so it continues as \"{}\"",
                journal.path().display(),
                loaded.plan.info.name
            );
        } else {
            return Err(usage(format!(
                "{} is the journal of checklist \"{other}\", whose steps this runbook does not have: pass the right checklist, or --journal with another file",
                journal.path().display()
            )));
        }
    }
    refuse_mixing(&replay, &journal, clock.is_simulated())?;
    if !args.confirm.is_empty() {
        let by = signer(args.by.as_deref(), &args.file).map_err(usage)?;
        let key = operator_key(&args)?;
        return confirm(
            &args,
            &runbook,
            (&journal, &replay),
            &clock,
            t0,
            &loaded.plan.info.name,
            (by.as_str(), key.as_ref()),
        );
    }
    // A cron job may pass --resume from its first run on; say so, in case
    // a different --journal or --t0 was meant.
    if args.resume && replay.entries.is_empty() {
        eprintln!(
            "note: {} holds nothing to continue yet: starting the launch there",
            journal.path().display()
        );
    }
    if !replay.entries.is_empty() && !args.resume && args.redo.is_empty() {
        return Err(usage(format!(
            "{} already holds the launch at T-0 {t0}: add --resume to continue it (nothing done is repeated), or --journal PATH to start another",
            journal.path().display()
        )));
    }
    let phase = match &args.phase {
        Some(name) => Some(find_phase(&runbook, name)?),
        None => None,
    };
    for step in &args.redo {
        if runbook.step(step).is_none() {
            let hint = crate::checklist::diagnostic::did_you_mean(step, runbook.step_ids())
                .map(|best| format!("; did you mean `{best}`?"))
                .unwrap_or_default();
            return Err(usage(format!(
                "--redo {step}: the runbook has no such step{hint}"
            )));
        }
    }
    let by = signer(args.by.as_deref(), &args.file).map_err(usage)?;
    let key = if args.non_interactive {
        None
    } else {
        operator_key(&args)?
    };
    let mode = if args.non_interactive {
        Mode::NonInteractive
    } else {
        Mode::Interactive
    };
    let context = driver::Context {
        file: args.file.clone(),
        name: loaded.plan.info.name.clone(),
        plan: loaded.plan,
        runbook,
        journal,
        store: store_path(&args.file, args.state.as_deref()),
        clock,
        t0,
        by,
        key,
        mode,
        policy: args.gate.policy(),
        ascii: args.ascii,
        tty: std::io::stdout().is_terminal(),
        cancel: interrupt::install(),
    };
    let mut driver = driver::Driver::new(context);
    driver.open(phase.as_deref(), &args.redo)?;
    Ok(driver.run(phase.as_deref()).await)
}

/// `--confirm STEP…`: journals a confirmation of each step-level manual step,
/// as an operator at the prompt would, so that a `--non-interactive` run (CI,
/// cron) finds it. Nothing else runs; every step is checked before anything is
/// written.
fn confirm(
    args: &RunbookArgs,
    runbook: &Runbook,
    (journal, replay): (&Log, &Replay),
    clock: &Clock,
    t0: Timestamp,
    checklist: &str,
    (by, key): (&str, Option<&Key>),
) -> Result<Exit, Exit> {
    use crate::runbook::journal::{Answer, Reply};
    use crate::runbook::plan::Action;
    let evidence = crate::commands::given(args.evidence.as_deref());
    let mut steps = Vec::new();
    for id in &args.confirm {
        let Some((phase, step)) = runbook.step(id) else {
            let hint = crate::checklist::diagnostic::did_you_mean(id, runbook.step_ids())
                .map(|best| format!("; did you mean `{best}`?"))
                .unwrap_or_default();
            return Err(usage(format!(
                "--confirm {id}: the runbook has no such step{hint}"
            )));
        };
        let Action::Manual(rule) = &step.action else {
            return Err(usage(format!(
                "--confirm {id}: `{id}` is a {} step, not a manual one; items it runs are signed off with `candlefish sign ITEM`",
                step.action.kind()
            )));
        };
        if rule.evidence_required && evidence.is_none() {
            return Err(usage(format!(
                "--confirm {id}: the step requires evidence: add --evidence with a link or what you checked"
            )));
        }
        let attempt = replay.step(id);
        if attempt.done() {
            return Err(usage(format!(
                "--confirm {id}: the step is already done in {}; `--redo {id}` does it again",
                journal.path().display()
            )));
        }
        if attempt
            .answers
            .iter()
            .any(|a| a.item.is_none() && a.reply == Reply::Confirm && a.by == by)
        {
            return Err(usage(format!(
                "--confirm {id}: {} already confirmed it; another person must, if it needs more",
                crate::report::printable(by)
            )));
        }
        steps.push((phase.id.clone(), step.id.clone()));
    }
    let session = driver::session_id();
    let write = |record: &Record| {
        journal
            .append(record)
            .map_err(|e| usage(format!("nothing more was recorded: {e}")))
    };
    write(&driver::open_record(
        clock,
        by,
        &session,
        (t0, checklist),
        Mode::NonInteractive,
        None,
    ))?;
    for (phase, step) in steps {
        let mut answer = Answer {
            at: clock.now(),
            by: by.to_owned(),
            session: session.clone(),
            phase,
            step: step.clone(),
            item: None,
            reply: Reply::Confirm,
            evidence: evidence.clone(),
            reason: None,
            sig: None,
        };
        let signed = sign_answer(&mut answer, checklist, key).map_err(usage)?;
        write(&Record::Answer(answer))?;
        crate::commands::print_out(&format!(
            "recorded in {}: `{step}` confirmed by {}{signed}\n",
            journal.path().display(),
            crate::report::printable(by)
        ));
    }
    Ok(Exit::Passed)
}

/// The operator's signing key: `--key`, else git's signing key, else none.
fn operator_key(args: &RunbookArgs) -> Result<Option<Key>, Exit> {
    let dir = crate::checklist::directory_of(&args.file);
    crate::state::key::find(args.key.as_deref(), &dir)
        .map(|found| found.map(|(key, _)| key))
        .map_err(usage)
}

/// Signs `answer` with `key`, when there is one: `; signed with SHA256:…`.
pub(super) fn sign_answer(
    answer: &mut crate::runbook::journal::Answer,
    checklist: &str,
    key: Option<&Key>,
) -> Result<String, String> {
    let Some(key) = key else {
        return Ok(String::new());
    };
    let payload = crate::runbook::journal::answer_payload(checklist, answer);
    answer.sig = Some(key.sign(payload.as_bytes())?);
    Ok(format!("; signed with {}", key.fingerprint()))
}

/// A rehearsal and the real day never share a journal: the rehearsal's steps
/// would count as done on the day, or the day's as rehearsed.
fn refuse_mixing(replay: &Replay, journal: &Log, simulated: bool) -> Result<(), Exit> {
    let other = replay.entries.iter().find_map(|e| match &e.record {
        Record::Open(o) if o.clock.is_some() != simulated => Some((e.line, o)),
        _ => None,
    });
    let Some((line, o)) = other else {
        return Ok(());
    };
    let (theirs, ours) = if simulated {
        ("the real clock", "a rehearsal")
    } else {
        ("the simulated clock (a rehearsal)", "the real clock")
    };
    Err(usage(format!(
        "{}:{line}: {} ran this journal on {theirs} at {}; this session runs on {ours}, \
         and the two never share a journal\n\
         hint: pass --journal with another file (one per rehearsal), or move the rehearsal's journal away",
        journal.path().display(),
        crate::report::printable(&o.by),
        o.at
    )))
}

/// The journal, what it holds, and T-0 (from `--t0`, else from the journal).
fn open_journal(args: &RunbookArgs) -> Result<(Log, Replay, Timestamp), Exit> {
    let path: PathBuf = match (&args.journal, args.t0) {
        (Some(path), _) => path.clone(),
        (None, Some(t0)) => default_journal(&args.file, t0),
        (None, None) => {
            return Err(usage(
                "say when T-0 is: --t0 2026-12-01T15:00Z (or --journal PATH of a launch that has it)",
            ));
        }
    };
    let journal = Log::new(path);
    let contents: Contents<Record> = journal.read().map_err(usage)?;
    let replay = Replay::new(contents);
    let t0 = match (args.t0, replay.t0()) {
        (Some(given), Some(recorded)) if given != recorded => {
            return Err(usage(format!(
                "{} is the journal of the launch at T-0 {recorded}, not {given}",
                journal.path().display()
            )));
        }
        (Some(t0), _) | (None, Some(t0)) => t0,
        (None, None) => {
            return Err(usage(format!(
                "{} holds no launch yet: say when T-0 is with --t0",
                journal.path().display()
            )));
        }
    };
    Ok((journal, replay, t0))
}

fn find_phase(runbook: &Runbook, name: &str) -> Result<String, Exit> {
    if let Some(phase) = runbook.phase(name) {
        return Ok(phase.id.clone());
    }
    let names: Vec<String> = runbook
        .phases
        .iter()
        .map(|p| format!("{} ({})", p.id, p.at))
        .collect();
    Err(usage(format!(
        "--phase {name}: the runbook has no such phase; its phases: {}",
        names.join(", ")
    )))
}

fn write_record(
    args: &RunbookArgs,
    name: &str,
    sources: &[crate::checklist::Source],
    runbook: &Runbook,
    replay: &Replay,
    t0: Timestamp,
    journal: &Log,
) -> Result<Exit, Exit> {
    if replay.entries.is_empty() {
        return Err(usage(format!(
            "{} holds nothing yet: no launch record to write (is --t0 right?)",
            journal.path().display()
        )));
    }
    let outputs: Vec<&Path> = args
        .reports
        .iter()
        .filter_map(|r| r.path.as_deref())
        .collect();
    let store = store_path(&args.file, args.state.as_deref());
    let mut inputs = crate::commands::output::checklist_files(sources);
    inputs.push((journal.path(), "the journal"));
    inputs.push((store.as_path(), "the sign-off store"));
    crate::commands::output::refuse_clobbering(&outputs, &inputs).map_err(usage)?;
    let built = record::build(name, runbook, replay, t0, journal.path());
    let mut failed = false;
    for RecordSpec { format, path } in &args.reports {
        let text = record::render(&built, *format);
        match path {
            None => crate::commands::print_out(&text),
            Some(path) => {
                if let Err(e) = write_atomically(path, text.as_bytes()) {
                    eprintln!(
                        "error: cannot write the launch record to {}: {e}",
                        path.display()
                    );
                    failed = true;
                }
            }
        }
    }
    if failed {
        Err(Exit::Usage)
    } else {
        Ok(Exit::Passed)
    }
}
