//! What `sign`, `unsign`, `history` and `check` share about the sign-off store:
//! where it is, the clock, the checklist's items by id, and reading it for a run.

use std::path::{Path, PathBuf};

use jiff::Timestamp;

use super::{Exit, Terminal, load_options, load_or_report};
use crate::checklist::Loaded;
use crate::checklist::diagnostic::did_you_mean;
use crate::cli::StoreArgs;
use crate::engine::attest::Attestations;
use crate::engine::plan::{Plan, PlanItem};
use crate::state::log::{Contents, Log};
use crate::state::record::Record;
use crate::state::trust::Policy;
use crate::state::{default_path, identity, signoff};

/// Replaces the clock, for tests and rehearsals: an RFC 3339 time such as
/// `2026-12-31T12:00:00Z`. Sign-offs are recorded at it and judged as of it.
pub const NOW_VAR: &str = "CANDLEFISH_NOW";

/// Now, to the second, or `CANDLEFISH_NOW` when set.
pub fn now() -> Result<Timestamp, String> {
    let now = match std::env::var(NOW_VAR) {
        Ok(text) if !text.is_empty() => text
            .parse::<Timestamp>()
            .map_err(|e| format!("{NOW_VAR}=`{text}` is not an RFC 3339 time: {e}"))?,
        _ => Timestamp::now(),
    };
    Ok(now.round(jiff::Unit::Second).unwrap_or(now))
}

/// The time `CANDLEFISH_NOW` fixes, when it is set (and valid): a run started
/// under it is stamped with it, as its sign-offs are judged by it.
pub fn fixed_now() -> Option<Timestamp> {
    std::env::var(NOW_VAR)
        .ok()
        .filter(|t| !t.is_empty())
        .and_then(|_| now().ok())
}

/// Whether this is a rehearsal: the runbook's clock is simulated
/// (`CANDLEFISH_CLOCK=simulated`). What a rehearsal records counts only in
/// rehearsals.
pub fn rehearsal() -> bool {
    std::env::var(crate::runbook::clock::CLOCK_VAR).is_ok_and(|v| v == "simulated")
}

/// The store of `checklist`: `explicit` (`--state`), else the default beside it.
pub fn store_path(checklist: &Path, explicit: Option<&Path>) -> PathBuf {
    explicit.map_or_else(|| default_path(checklist), Path::to_path_buf)
}

/// Reads the store and evaluates it as of `now` for `plan` (the checklist's
/// `manual.expires` bounding every sign-off), with the warnings a person should
/// see (a broken hash chain, unreadable lines, sign-offs for items that are
/// gone, waivers whose signatures do not count, records dated after now).
pub fn attestations(
    path: &Path,
    plan: &Plan,
    now: Timestamp,
    rehearsal: bool,
) -> Result<(Attestations, Vec<String>), String> {
    let contents: Contents<Record> = Log::new(path).read().map_err(|e| e.to_string())?;
    let policy = Policy::of(plan)?;
    let mut attested = signoff::evaluate(&contents, now, rehearsal, &policy);
    signoff::bound_by_checklist(&mut attested, plan, now);
    let mut warnings = signoff::chain_warnings(path, &contents, &plan.info.name);
    warnings.extend(signoff::warnings(path, &contents, &attested, plan));
    warnings.extend(signoff::from_the_future(path, &contents, now, rehearsal));
    Ok((attested, warnings))
}

/// A loaded checklist, its store and the time, for one command.
pub struct Opened {
    /// The checklist.
    pub loaded: Loaded,
    /// The store.
    pub log: Log,
    /// Now (or `CANDLEFISH_NOW`).
    pub now: Timestamp,
    /// A rehearsal (see [`rehearsal`]).
    pub rehearsal: bool,
}

/// Loads the checklist and locates its store, reporting problems on stderr.
pub fn open(args: &StoreArgs, term: Terminal) -> Result<Opened, Exit> {
    let usage = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    let mut options = load_options(&args.load)?;
    // Signing and reading the store run no probe: they need no secrets.
    options.nothing_runs = true;
    let now = now().map_err(usage)?;
    let loaded = load_or_report(&args.file, &options, term).ok_or(Exit::Usage)?;
    let path = store_path(&args.file, args.state.as_deref());
    let parts = super::output::checklist_files(&loaded.sources);
    super::output::refuse_clobbering(&[path.as_path()], &parts)
        .map_err(|m| usage(format!("--state: {m}")))?;
    let log = Log::new(path);
    Ok(Opened {
        loaded,
        log,
        now,
        rehearsal: rehearsal(),
    })
}

/// The item with `id`, or an error naming the closest id.
pub fn find_item<'a>(plan: &'a Plan, id: &str, file: &Path) -> Result<&'a PlanItem, String> {
    let items = plan.walk();
    if let Some(item) = items.iter().find(|i| i.id == id) {
        return Ok(item);
    }
    let hint = did_you_mean(id, items.iter().map(|i| i.id.as_str()))
        .map(|best| format!("; did you mean `{best}`?"))
        .unwrap_or_default();
    Err(format!(
        "{}: no item has the id `{id}`{hint}",
        file.display()
    ))
}

/// `--by`, else the default signer; an error when neither is known.
pub fn signer(by: Option<&str>, checklist: &Path) -> Result<String, String> {
    match by {
        Some(name) if !name.trim().is_empty() => Ok(name.trim().to_owned()),
        Some(_) => Err("--by is empty: say who you are".to_owned()),
        None => {
            identity::default_signer(&crate::checklist::directory_of(checklist)).ok_or_else(|| {
                "cannot tell who you are (no git user.name or user.email, no $USER): pass --by NAME"
                    .to_owned()
            })
        }
    }
}
