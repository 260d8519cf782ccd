//! `candlefish sign` and `candlefish unsign`: validate against the checklist,
//! sign with the person's SSH key when they have one (`state::key`), then
//! append one record to the store's hash chain. Exit 0 means the record is on disk
//! (written and fsync'd); anything else means nothing was recorded.

use std::path::Path;
use std::time::Duration;

use jiff::Timestamp;

use super::store::{Opened, find_item, open, signer};
use super::{Exit, Terminal};
use crate::checklist::scalar::format_duration;
use crate::cli::{SignArgs, StoreArgs, UnsignArgs};
use crate::engine::attest::day;
use crate::engine::plan::PlanItem;
use crate::state::key::{self, Source};
use crate::state::log::Contents;
use crate::state::record::{Record, Signed, Unsigned, Waived};
use crate::state::sshsig::Key;
use crate::state::trust::{Judgement, Policy, payload};
use crate::state::{chain, signoff};

pub fn sign(args: &SignArgs, term: Terminal) -> Exit {
    record(&args.store, args.key.as_deref(), term, |opened| {
        sign_record(args, opened)
    })
}

pub fn unsign(args: &UnsignArgs, term: Terminal) -> Exit {
    record(&args.store, args.key.as_deref(), term, |opened| {
        unsign_record(args, opened)
    })
}

/// Opens the checklist and store, builds the record, signs it when there is a
/// key, appends it to the chain.
fn record(
    store: &StoreArgs,
    key: Option<&Path>,
    term: Terminal,
    build: impl FnOnce(&Opened) -> Result<Record, String>,
) -> Exit {
    let opened = match open(store, term) {
        Ok(opened) => opened,
        Err(exit) => return exit,
    };
    let dir = crate::checklist::directory_of(&store.file);
    let built = build(&opened).and_then(|record| {
        let signer = key::find(key, &dir)?;
        let policy = Policy::of(&opened.loaded.plan)?;
        seal(record, signer.as_ref().map(|(k, _)| k), &policy).map(|r| (r, signer, policy))
    });
    match built {
        Ok((record, signer, policy)) => append(&opened, &record, signer.as_ref(), &policy),
        Err(message) => {
            eprintln!("error: {message}\nnothing was recorded");
            Exit::Usage
        }
    }
}

/// Signs `record` with `key`, when there is one.
pub fn seal(mut record: Record, key: Option<&Key>, policy: &Policy) -> Result<Record, String> {
    if let Some(key) = key {
        let sig = key.sign(payload(&policy.checklist, &record).as_bytes())?;
        record.set_sig(sig);
    }
    Ok(record)
}

fn append(
    opened: &Opened,
    record: &Record,
    signer: Option<&(Key, Source)>,
    policy: &Policy,
) -> Exit {
    let genesis = chain::genesis(&policy.checklist);
    if let Err(e) = opened.log.append_chained(record, &genesis) {
        eprintln!("error: nothing was recorded: {e}");
        return Exit::Usage;
    }
    let signed = match signer {
        Some((key, source)) => {
            let from = match source {
                Source::Flag => "--key",
                Source::Git => "git's user.signingkey",
            };
            format!("; signed with {} ({from})", key.fingerprint())
        }
        None => "; unsigned (no --key, and git has no SSH signing key)".to_owned(),
    };
    super::print_out(&format!("{}{signed}\n", confirmation(record, opened)));
    if !matches!(record, Record::Unsign(_))
        && let Judgement::Rejected(reason) = policy.judge(record)
    {
        eprintln!("warning: recorded, but it does not count: {reason}");
    }
    Exit::Passed
}

fn expiry(now: Timestamp, after: Duration) -> Result<Timestamp, String> {
    if after.is_zero() {
        return Err("--expires 0 would expire at once".to_owned());
    }
    let after = jiff::SignedDuration::try_from(after).map_err(|e| e.to_string())?;
    now.checked_add(after).map_err(|_| {
        format!(
            "--expires {} is too far away",
            format_duration(after.unsigned_abs())
        )
    })
}

fn sign_record(args: &SignArgs, opened: &Opened) -> Result<Record, String> {
    let plan = &opened.loaded.plan;
    let item = find_item(plan, &args.item, &args.store.file)?;
    let by = signer(args.by.as_deref(), &args.store.file)?;
    if args.waive {
        if item.probes.is_empty() {
            return Err(not_waivable(item));
        }
        let reason = args.reason.as_deref().map(str::trim).unwrap_or_default();
        if reason.is_empty() {
            return Err("a waiver needs a justification: --reason \"…\"".to_owned());
        }
        let after = args.expires.ok_or("a waiver needs an end: --expires 7d")?;
        return Ok(Record::Waive(Waived {
            at: opened.now,
            item: item.id.clone(),
            by,
            reason: reason.to_owned(),
            expires: expiry(opened.now, after)?,
            rehearsal: opened.rehearsal,
            sig: None,
        }));
    }
    let Some(rule) = &item.manual else {
        return Err(not_signable(item));
    };
    let evidence = super::given(args.evidence.as_deref());
    if rule.evidence_required && evidence.is_none() {
        return Err(format!(
            "`{}` requires evidence: pass --evidence with a link or a description of what you checked",
            item.id
        ));
    }
    if let (Some(asked), Some(limit)) = (args.expires, rule.expires)
        && asked > limit.0
    {
        return Err(format!(
            "`{}` sign-offs last at most {} (its `manual.expires` in the checklist); --expires {} is longer",
            item.id,
            format_duration(limit.0),
            format_duration(asked)
        ));
    }
    let expires = match args.expires.or(rule.expires.map(|d| d.0)) {
        Some(after) => Some(expiry(opened.now, after)?),
        None => None,
    };
    Ok(Record::Sign(Signed {
        at: opened.now,
        item: item.id.clone(),
        by,
        evidence,
        expires,
        note: super::given(args.note.as_deref()),
        rehearsal: opened.rehearsal,
        sig: None,
    }))
}

fn not_waivable(item: &PlanItem) -> String {
    let id = &item.id;
    if item.manual.is_some() {
        format!(
            "`{id}` has no probes to waive: it is a manual item, so sign it off instead: candlefish sign {id} --evidence …"
        )
    } else {
        format!("`{id}` has no probes to waive: a waiver accepts an automated item's failure")
    }
}

fn not_signable(item: &PlanItem) -> String {
    let id = &item.id;
    if item.probes.is_empty() {
        format!(
            "`{id}` is not a manual item: add `manual: true` to it in the checklist so a person can sign it off"
        )
    } else {
        format!(
            "`{id}` is verified by probes, not signed off; to accept its failure for a while, waive it: candlefish sign {id} --waive --reason \"…\" --expires 7d"
        )
    }
}

fn unsign_record(args: &UnsignArgs, opened: &Opened) -> Result<Record, String> {
    let contents: Contents<Record> = opened.log.read().map_err(|e| e.to_string())?;
    let policy = Policy::of(&opened.loaded.plan)?;
    let attested = signoff::evaluate(&contents, opened.now, opened.rehearsal, &policy);
    // An item gone from the checklist can still have its sign-offs revoked.
    let known = attested.contains_key(&args.item);
    if !known {
        find_item(&opened.loaded.plan, &args.item, &args.store.file)?;
        return Err(format!(
            "`{}` has no sign-off or waiver to revoke",
            args.item
        ));
    }
    let reason = args.reason.trim();
    if reason.is_empty() {
        return Err("--reason must say why".to_owned());
    }
    Ok(Record::Unsign(Unsigned {
        at: opened.now,
        item: args.item.clone(),
        by: signer(args.by.as_deref(), &args.store.file)?,
        reason: reason.to_owned(),
        rehearsal: opened.rehearsal,
        sig: None,
    }))
}

fn confirmation(record: &Record, opened: &Opened) -> String {
    let store = opened.log.path().display();
    match record {
        Record::Sign(s) => {
            let until = s.expires.map_or_else(
                || "until revoked".to_owned(),
                |e| format!("until {}", day(&e.to_string()).to_owned()),
            );
            let need = opened
                .loaded
                .plan
                .walk()
                .iter()
                .find(|i| i.id == s.item)
                .and_then(|i| i.manual.as_ref())
                .map_or(1, |m| m.signoffs);
            let more = if need > 1 {
                format!("; `{}` needs {need} people to sign it off", s.item)
            } else {
                String::new()
            };
            format!(
                "recorded in {store}: `{}` signed off by {}, valid {until}{more}",
                s.item, s.by
            )
        }
        Record::Waive(w) => format!(
            "recorded in {store}: `{}` waived by {} until {}; waived items are shown as such, and the gate lets them through only with --allow-waivers",
            w.item,
            w.by,
            day(&w.expires.to_string())
        ),
        Record::Unsign(u) => format!(
            "recorded in {store}: every sign-off and waiver on `{}` revoked by {}",
            u.item, u.by
        ),
    }
}
