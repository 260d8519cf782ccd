//! Building the launch record from the runbook and the replayed journal:
//! each phase and step with its result, evidence and earlier attempts, and
//! every event of the day in one line.

use std::path::PathBuf;

use jiff::Timestamp;

use super::{DecisionRecord, Event, LaunchRecord, PhaseRecord, StepRecord, clock};
use crate::outcome::{GateVerdict, ItemReport, Status};
use crate::report::text::{gate_result, gate_rule, one_line, probe_line};
use crate::runbook::journal::{Decision, Finish, Mode, Record, Reply};
use crate::runbook::plan::{Action, Offset, Phase, Runbook, Step};
use crate::runbook::replay::{Attempt, Replay};
use crate::runbook::timeline::{StepState, phase_done, phase_time, step_result, step_state};
use crate::runbook::watch::shown;

/// Builds the record of the launch at `t0` from the runbook and the journal.
pub fn build(
    checklist: &str,
    runbook: &Runbook,
    replay: &Replay,
    t0: Timestamp,
    journal: &std::path::Path,
) -> LaunchRecord {
    let mut people: Vec<String> = Vec::new();
    let mut rehearsal = false;
    let mut events = Vec::new();
    for entry in &replay.entries {
        let record = &entry.record;
        if let Some(by) = who(record)
            && !people.iter().any(|p| p == by)
        {
            people.push(by.to_owned());
        }
        if let Record::Open(o) = record {
            rehearsal |= o.clock.is_some();
        }
        if let Some(what) = event_text(record, runbook) {
            events.push(Event {
                at: record.at().to_string(),
                offset: Offset::between(t0, record.at()).to_string(),
                by: who(record).unwrap_or_default().to_owned(),
                what,
            });
        }
    }
    LaunchRecord {
        schema_version: super::SCHEMA_VERSION,
        tool: format!("candlefish {}", env!("CARGO_PKG_VERSION")),
        checklist: checklist.to_owned(),
        t0: t0.to_string(),
        journal: PathBuf::from(journal).display().to_string(),
        rehearsal,
        people,
        phases: runbook
            .phases
            .iter()
            .map(|p| phase_record(p, replay, t0, checklist))
            .collect(),
        events,
        problems: replay
            .problems
            .iter()
            .map(|p| format!("line {}: {}", p.line, p.message))
            .collect(),
    }
}

fn who(record: &Record) -> Option<&str> {
    Some(match record {
        Record::Open(r) => &r.by,
        Record::Start(r) => &r.by,
        Record::Answer(r) => &r.by,
        Record::Finish(r) => &r.by,
        Record::Decide(r) => &r.by,
        Record::Proceed(r) => &r.by,
        Record::Redo(r) => &r.by,
        Record::Stop(r) => &r.by,
        Record::Sample(_) => return None,
    })
}

fn phase_record(phase: &Phase, replay: &Replay, t0: Timestamp, checklist: &str) -> PhaseRecord {
    let record_of = |d: &Decision, standing: bool| {
        let mut gate = d.gate.clone();
        if gate.passed && gate.verdict == GateVerdict::NotReady {
            // A journal written before verdicts were recorded.
            gate.verdict = GateVerdict::Ready;
        }
        let mut result = gate_result(&gate, |id| format!("`{id}`"));
        if gate.waivers_count && !gate.waived.is_empty() {
            result.push_str(&format!("; let through by a waiver: {}", ids(&gate.waived)));
        }
        if standing {
            // Red items the phase ran that the gate did not count: named, so
            // a GO never hides a red item.
            let uncounted: Vec<String> = phase
                .steps
                .iter()
                .map(|s| step_result(replay, s))
                .flat_map(|r| {
                    r.walk()
                        .into_iter()
                        .filter(|i| i.items.is_empty() && i.status == Status::Red)
                        .map(|i| i.id.clone())
                        .collect::<Vec<_>>()
                })
                .filter(|id| !gate.failing.contains(id) && !gate.waived.contains(id))
                .collect();
            if !uncounted.is_empty() {
                result.push_str(&format!(
                    "; red but outside the gate ({} items only): {}",
                    gate.counted(),
                    ids(&uncounted)
                ));
            }
        }
        DecisionRecord {
            go: d.go,
            at: d.at.to_string(),
            offset: Offset::between(t0, d.at).to_string(),
            by: d.by.clone(),
            policy: gate.policy.clone(),
            rule: gate_rule(&gate),
            result,
            blocking: d.blocking.clone(),
            skipped: d.skipped.clone(),
        }
    };
    let decision = replay.decisions.get(&phase.id).map(|d| record_of(d, true));
    let decisions: Vec<DecisionRecord> = replay
        .entries
        .iter()
        .filter_map(|e| match &e.record {
            Record::Decide(d) if d.phase == phase.id => Some(record_of(d, false)),
            _ => None,
        })
        .collect();
    // A decision taken while steps still wait (a non-interactive run stopping
    // at a missing sign-off) is shown as such, never as "not decided".
    let verdict = match &decision {
        Some(d) => match (d.go, phase_done(replay, phase)) {
            (true, true) => "GO",
            (false, true) => "NO-GO",
            (true, false) => "GO so far, steps still open",
            (false, false) => "NO-GO, steps still open",
        },
        None => "not decided",
    };
    PhaseRecord {
        id: phase.id.clone(),
        title: phase.title.clone(),
        offset: phase.at.to_string(),
        due: phase_time(t0, phase).to_string(),
        verdict: verdict.to_owned(),
        proceeded: replay.proceeds.get(&phase.id).map(|p| {
            format!(
                "{} went on at {} ({}): {}",
                p.by,
                clock(t0, p.at),
                Offset::between(t0, p.at),
                one_line(&p.reason)
            )
        }),
        decision,
        decisions,
        steps: phase
            .steps
            .iter()
            .map(|s| step_record(s, replay, t0, checklist))
            .collect(),
    }
}

fn step_record(step: &Step, replay: &Replay, t0: Timestamp, checklist: &str) -> StepRecord {
    let attempt = replay.step(&step.id);
    let state = match step_state(replay, step) {
        StepState::Done(_) => "done",
        StepState::Waiting(_) => "waiting for a sign-off",
        StepState::Started => "started, not finished",
        StepState::Pending => "not started",
    };
    let finished = attempt.finished.as_ref();
    let done = finished.map(|f| done_by(&attempt, f));
    StepRecord {
        id: step.id.clone(),
        title: step.title.clone(),
        kind: step.action.kind().to_owned(),
        state: state.to_owned(),
        status: finished.map(|f| f.result.status),
        at: done.as_ref().map(|(_, at)| at.to_string()),
        offset: done
            .as_ref()
            .map(|(_, at)| Offset::between(t0, *at).to_string()),
        by: done.map(|(by, _)| by),
        reason: finished
            .map(|f| one_line(&f.result.reason))
            .unwrap_or_default(),
        evidence: evidence(step, &attempt, t0, checklist),
        earlier: replay
            .earlier
            .get(&step.id)
            .into_iter()
            .flatten()
            .filter_map(|a| a.finished.as_ref())
            .map(|f| {
                format!(
                    "{} at {} by {}: {}",
                    f.result.status.word(),
                    clock(t0, f.at),
                    f.by,
                    one_line(&f.result.reason)
                )
            })
            .collect(),
    }
}

/// Who did a finished step, and when: the people who vouched for it (their
/// confirmations and sign-offs) when no probe ran — a confirmation given hours
/// before the phase is theirs, at their time, not the later operator's —
/// else the operator whose session finished it.
fn done_by(attempt: &Attempt, finished: &Finish) -> (String, Timestamp) {
    let result = &finished.result;
    let probed = result.walk().iter().any(|i| !i.probes.is_empty());
    let mut people: Vec<String> = Vec::new();
    let mut last: Option<Timestamp> = None;
    let mut vouch = |by: &str, at: Timestamp| {
        if !people.iter().any(|p| p == by) {
            people.push(by.to_owned());
        }
        last = Some(last.map_or(at, |l| l.max(at)));
    };
    for a in attempt.answers.iter().filter(|a| a.reply == Reply::Confirm) {
        vouch(&a.by, a.at);
    }
    for item in result.walk() {
        for s in &item.signoffs {
            if let Ok(at) = s.at.parse::<Timestamp>() {
                vouch(&s.by, at);
            }
        }
    }
    match last {
        Some(at) if !probed => (people.join(", "), at),
        _ => (finished.by.clone(), finished.at),
    }
}

/// `` `a`, `b` ``.
fn ids(ids: &[String]) -> String {
    ids.iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn evidence(step: &Step, attempt: &Attempt, t0: Timestamp, checklist: &str) -> Vec<String> {
    let mut out = Vec::new();
    // A confirmation of an item is also its sign-off: said once, as the answer.
    let confirmed: Vec<(&str, &str)> = attempt
        .answers
        .iter()
        .filter(|a| a.reply == Reply::Confirm)
        .map(|a| (a.by.as_str(), a.item.as_deref().unwrap_or(&step.id)))
        .collect();
    for a in &attempt.answers {
        let item = a
            .item
            .as_deref()
            .filter(|i| *i != step.id)
            .map(|i| format!(" `{i}`"))
            .unwrap_or_default();
        let mut line = format!(
            "{}{item} by {} at {}",
            a.reply.done(),
            a.by,
            clock(t0, a.at)
        );
        if let Some(e) = &a.evidence {
            line.push_str(&format!(": {}", one_line(e)));
        }
        if let Some(r) = &a.reason {
            line.push_str(&format!(": {}", one_line(r)));
        }
        line.push_str(&answer_signature(a, checklist));
        out.push(line);
    }
    if let Some(f) = &attempt.finished {
        item_lines(&f.result, true, t0, &confirmed, &mut out);
    }
    if let Action::Watch(_) = step.action {
        for s in &attempt.samples {
            let value = s
                .value
                .map(|v| format!(" {}", shown(v, &s.unit)))
                .unwrap_or_default();
            out.push(format!(
                "sample at {}: {}{value} — {}",
                clock(t0, s.at),
                s.verdict.word(),
                one_line(&s.evidence)
            ));
        }
    }
    out
}

/// ` (signed by SHA256:…, verified)`, or why the signature does not verify;
/// nothing for an unsigned answer.
fn answer_signature(a: &crate::runbook::journal::Answer, checklist: &str) -> String {
    let Some(sig) = &a.sig else {
        return String::new();
    };
    let payload = crate::runbook::journal::answer_payload(checklist, a);
    match crate::state::sshsig::verify(payload.as_bytes(), sig) {
        Ok(v) => format!(" (signed by {}, verified)", v.fingerprint),
        Err(reason) => format!(" (SIGNATURE DOES NOT VERIFY: {reason})"),
    }
}

/// The evidence of an item: its sign-offs and probes, then its children's.
fn item_lines(
    item: &ItemReport,
    top: bool,
    t0: Timestamp,
    confirmed: &[(&str, &str)],
    out: &mut Vec<String>,
) {
    if !top {
        let reason = if item.reason.is_empty() {
            String::new()
        } else {
            format!(" — {}", one_line(&item.reason))
        };
        out.push(format!(
            "{} `{}` {}{reason}",
            item.status.word(),
            item.id,
            item.title
        ));
    }
    for s in &item.signoffs {
        if confirmed.contains(&(s.by.as_str(), item.id.as_str())) {
            continue;
        }
        let evidence = s
            .evidence
            .as_deref()
            .map(|e| format!(": {}", one_line(e)))
            .unwrap_or_default();
        let at =
            s.at.parse::<Timestamp>()
                .map_or_else(|_| s.at.clone(), |at| clock(t0, at));
        let key = s
            .key
            .as_deref()
            .map(|k| format!(" (signed by {k}, verified)"))
            .unwrap_or_default();
        out.push(format!("signed off by {} at {at}{evidence}{key}", s.by));
    }
    if let Some(w) = &item.waiver {
        out.push(format!(
            "waived by {} until {}: {}",
            w.by,
            crate::report::text::when(&w.expires),
            one_line(&w.reason)
        ));
    }
    for p in &item.probes {
        out.push(probe_line(p));
    }
    for child in &item.items {
        item_lines(child, false, t0, confirmed, out);
    }
}

fn title_of<'a>(runbook: &'a Runbook, step: &'a str) -> &'a str {
    runbook.step(step).map_or(step, |(_, s)| s.title.as_str())
}

/// `T-4h Pre-launch`, or the id of a phase the runbook no longer has.
fn phase_name(runbook: &Runbook, id: &str) -> String {
    runbook
        .phase(id)
        .map_or_else(|| id.to_owned(), |p| format!("{} {}", p.at, p.title))
}

fn event_text(record: &Record, runbook: &Runbook) -> Option<String> {
    Some(match record {
        Record::Open(o) => {
            let mode = match o.mode {
                Mode::Interactive => "interactive",
                Mode::NonInteractive => "non-interactive",
            };
            let phase = o
                .phase
                .as_deref()
                .map(|p| format!(", phase {p}"))
                .unwrap_or_default();
            let clock = o
                .clock
                .as_deref()
                .map(|c| format!(", {c} clock"))
                .unwrap_or_default();
            format!("opened the runbook ({mode}{phase}{clock})")
        }
        Record::Start(s) => format!("started `{}` {}", s.step, title_of(runbook, &s.step)),
        Record::Answer(a) => {
            let item = a
                .item
                .as_deref()
                .filter(|i| *i != a.step)
                .map(|i| format!(" (`{i}`)"))
                .unwrap_or_default();
            let detail = a
                .evidence
                .as_deref()
                .or(a.reason.as_deref())
                .map(|t| format!(": {}", one_line(t)))
                .unwrap_or_default();
            format!("{} `{}`{item}{detail}", a.reply.done(), a.step)
        }
        Record::Sample(_) => return None,
        Record::Finish(f) => {
            let waiting = if f.settled {
                ""
            } else {
                " (waiting for a sign-off)"
            };
            let reason = if f.result.reason.is_empty() {
                String::new()
            } else {
                format!(": {}", one_line(&f.result.reason))
            };
            format!(
                "{} `{}` {}{waiting}{reason}",
                f.result.status.word(),
                f.step,
                title_of(runbook, &f.step)
            )
        }
        Record::Decide(d) => {
            let phase = phase_name(runbook, &d.phase);
            if d.go {
                format!("{phase}: GO")
            } else {
                let steps: Vec<&str> = d.blocking.iter().map(|b| b.step.as_str()).collect();
                format!("{phase}: NO-GO ({})", steps.join(", "))
            }
        }
        Record::Proceed(p) => format!(
            "went on past the NO-GO of {}: {}",
            phase_name(runbook, &p.phase),
            one_line(&p.reason)
        ),
        Record::Redo(r) => {
            let why = r
                .reason
                .as_deref()
                .map(|t| format!(": {}", one_line(t)))
                .unwrap_or_default();
            format!("asked to redo `{}`{why}", r.step)
        }
        Record::Stop(s) => {
            let at = s
                .step
                .as_deref()
                .map(|st| format!(" at `{st}`"))
                .unwrap_or_default();
            format!("stopped ({}){at}", s.why)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::model::Manual;
    use crate::outcome::fixture::leaf;
    use crate::outcome::{Basis, Status};
    use crate::runbook::journal::{Answer, Finish, Open, Redo, Reply};
    use crate::runbook::record::{RecordFormat, render};
    use crate::state::log::parse;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn runbook() -> Runbook {
        let step = |id: &str| Step {
            id: id.into(),
            title: format!("Step {id}"),
            critical: false,
            owner: None,
            notes: None,
            action: Action::Manual(Manual {
                signoffs: 1,
                ..Manual::default()
            }),
        };
        Runbook {
            phases: vec![
                Phase {
                    id: "pre".into(),
                    title: "Pre-launch".into(),
                    at: Offset(-3600),
                    notes: None,
                    steps: vec![step("flags")],
                },
                Phase {
                    id: "launch".into(),
                    title: "Launch".into(),
                    at: Offset(0),
                    notes: None,
                    steps: vec![step("go")],
                },
            ],
        }
    }

    fn finish(minute: &str, status: Status, reason: &str) -> Record {
        let mut result = leaf("flags", status);
        result.basis = Basis::Manual;
        result.reason = reason.into();
        Record::Finish(Box::new(Finish {
            at: at(&format!("2026-12-01T14:{minute}:00Z")),
            by: "Ada".into(),
            session: "s".into(),
            phase: "pre".into(),
            step: "flags".into(),
            result,
            settled: true,
            watch: None,
        }))
    }

    fn record() -> LaunchRecord {
        let records = [
            Record::Open(Open {
                at: at("2026-12-01T13:55:00Z"),
                by: "Ada".into(),
                session: "s".into(),
                t0: at("2026-12-01T15:00:00Z"),
                checklist: "C".into(),
                mode: Mode::Interactive,
                phase: None,
                clock: None,
                host: None,
                pid: None,
            }),
            finish(
                "00",
                Status::Red,
                "failed by Ada: <script>x</script> | *not* yet",
            ),
            Record::Redo(Redo {
                at: at("2026-12-01T14:05:00Z"),
                by: "Bob".into(),
                session: "s2".into(),
                step: "flags".into(),
                reason: None,
            }),
            Record::Answer(Answer {
                at: at("2026-12-01T14:06:00Z"),
                by: "Bob".into(),
                session: "s2".into(),
                phase: "pre".into(),
                step: "flags".into(),
                item: None,
                reply: Reply::Confirm,
                evidence: Some("https://flags.example/<b>on</b>".into()),
                reason: None,
                sig: None,
            }),
            finish("06", Status::Green, ""),
        ];
        let text: String = records
            .iter()
            .map(|r| serde_json::to_string(r).unwrap() + "\n")
            .collect();
        let replay = Replay::new(parse(format!("{text}{{torn").as_bytes()));
        build(
            "C",
            &runbook(),
            &replay,
            at("2026-12-01T15:00:00Z"),
            std::path::Path::new("j.jsonl"),
        )
    }

    #[test]
    fn the_record_keeps_earlier_attempts_and_what_is_undecided() {
        let r = record();
        assert_eq!(r.people, ["Ada", "Bob"]);
        assert_eq!(r.phases[0].verdict, "not decided", "no decision yet");
        let step = &r.phases[0].steps[0];
        assert_eq!(step.status, Some(Status::Green));
        // Bob's confirmation settled it, not the operator who finished it.
        assert_eq!(step.by.as_deref(), Some("Bob"));
        assert_eq!(
            step.earlier,
            ["red at 14:00 UTC by Ada: failed by Ada: <script>x</script> | *not* yet"]
        );
        assert_eq!(
            step.evidence,
            ["confirmed by Bob at 14:06 UTC: https://flags.example/<b>on</b>"]
        );
        assert_eq!(r.phases[1].steps[0].state, "not started");
        assert_eq!(r.problems.len(), 1, "the torn last line is reported");
        let events: Vec<(&str, &str)> = r
            .events
            .iter()
            .map(|e| (e.offset.as_str(), e.what.as_str()))
            .collect();
        assert_eq!(events[0], ("T-1h5m", "opened the runbook (interactive)"));
        assert_eq!(events[2], ("T-55m", "asked to redo `flags`"));
    }

    #[test]
    fn a_confirmation_that_is_also_a_sign_off_is_said_once() {
        // At the prompt Ada confirmed the item `backups` that the step runs;
        // the confirmation is also her sign-off in the store.
        let mut item = leaf("backups", Status::Green);
        item.basis = Basis::Signoff;
        item.signoffs = vec![crate::outcome::Signoff {
            by: "Ada".into(),
            at: "2026-12-01T14:02:00Z".into(),
            evidence: Some("restore drill".into()),
            note: None,
            expires: None,
            stale: false,
            key: None,
            principals: Vec::new(),
        }];
        let mut result = leaf("backups-step", Status::Green);
        result.basis = Basis::Children;
        result.items = vec![item];
        let answer = Answer {
            at: at("2026-12-01T14:02:00Z"),
            by: "Ada".into(),
            session: "s".into(),
            phase: "pre".into(),
            step: "flags".into(),
            item: Some("backups".into()),
            reply: Reply::Confirm,
            evidence: Some("restore drill".into()),
            reason: None,
            sig: None,
        };
        let finish = Finish {
            at: at("2026-12-01T14:30:00Z"),
            by: "CI".into(),
            session: "s".into(),
            phase: "pre".into(),
            step: "flags".into(),
            result,
            settled: true,
            watch: None,
        };
        let attempt = Attempt {
            answers: vec![answer],
            finished: Some(finish.clone()),
            ..Attempt::default()
        };
        let step = &runbook().phases[0].steps[0];
        let lines = evidence(step, &attempt, at("2026-12-01T15:00:00Z"), "C");
        let ada: Vec<&String> = lines.iter().filter(|l| l.contains("Ada")).collect();
        assert_eq!(
            ada,
            ["confirmed `backups` by Ada at 14:02 UTC: restore drill"],
            "{lines:?}"
        );
        // And the step is hers, at her time, not the operator's.
        assert_eq!(
            done_by(&attempt, &finish),
            ("Ada".to_owned(), at("2026-12-01T14:02:00Z"))
        );
    }

    #[test]
    fn renderers_escape_what_people_typed() {
        let r = record();
        let md = render(&r, RecordFormat::Markdown);
        assert!(
            md.contains("\\<script>x\\</script> \\| \\*not\\* yet"),
            "{md}"
        );
        assert!(md.contains("https://flags.example/\\<b>on\\</b>"), "{md}");
        let html = render(&r, RecordFormat::Html);
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(!html.contains("<script>x"));
        assert!(!html.contains("<b>on"));
        let json: serde_json::Value =
            serde_json::from_str(&render(&r, RecordFormat::Json)).expect("JSON");
        assert_eq!(json["phases"][0]["steps"][0]["status"], "green");
    }
}
