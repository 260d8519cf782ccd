//! Small pieces of text every renderer needs: a probe's evidence line, timings,
//! and making peer-controlled text safe for XML.

use std::time::Duration;

use crate::checklist::scalar::format_duration;
use crate::engine::attest::day;
use crate::outcome::{
    Gate, GateVerdict, ItemReport, ProbeOutcome, Report, Signoff, Status, Summary, Waiver,
};

/// One probe as one line: `http GET https://x/health — fail: expected status
/// 200, got 503 (41ms)`.
pub fn probe_line(probe: &ProbeOutcome) -> String {
    let target = if probe.target.is_empty() {
        probe.kind.clone()
    } else {
        format!("{} {}", probe.kind, probe.target)
    };
    let took = millis(probe.duration_ms);
    let timing = if probe.verdict == crate::outcome::Verdict::Skipped
        || probe.evidence.contains(&format!("in {took}"))
    {
        String::new()
    } else {
        format!(" ({took})")
    };
    format!(
        "{target} — {}: {}{timing}",
        probe.verdict.word(),
        one_line(&probe.evidence)
    )
}

/// `signed off by Ada on 2026-11-25 · https://… · until 2026-12-25`.
pub fn signoff_line(signoff: &Signoff, dot: &str) -> String {
    let mut text = format!("signed off by {} on {}", signoff.by, day(&signoff.at));
    if let Some(evidence) = &signoff.evidence {
        text.push_str(&format!(" {dot} {evidence}"));
    }
    match (&signoff.expires, signoff.stale) {
        (Some(expires), true) => text.push_str(&format!(" {dot} expired {}", day(expires))),
        (Some(expires), false) => text.push_str(&format!(" {dot} until {}", day(expires))),
        (None, _) => {}
    }
    text
}

/// `waived by Ada until 2026-12-02: vendor fix ships Monday`.
pub fn waiver_line(waiver: &Waiver) -> String {
    let (by, reason) = (&waiver.by, &waiver.reason);
    if waiver.expired {
        format!("waiver by {by} expired {}: {reason}", day(&waiver.expires))
    } else {
        format!("waived by {by} until {}: {reason}", day(&waiver.expires))
    }
}

/// What people vouched for on an item, one line each, with a marker:
/// `✓ signed off by …` for every sign-off, `⚑ waived by …` for a waiver.
pub fn attestation_lines(item: &ItemReport) -> Vec<String> {
    let mut lines: Vec<String> = item
        .signoffs
        .iter()
        .map(|s| format!("✓ {}", signoff_line(s, "·")))
        .collect();
    if let Some(waiver) = &item.waiver {
        lines.push(format!("⚑ {}", waiver_line(waiver)));
    }
    lines
}

/// An RFC 3339 timestamp as people read it: `2026-11-25 10:00:00 UTC` (the
/// text unchanged when it is not a timestamp).
pub fn when(timestamp: &str) -> String {
    timestamp.parse::<jiff::Timestamp>().map_or_else(
        |_| timestamp.to_owned(),
        |t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
    )
}

/// The glyph of a status as an emoji everywhere: ⚪ asks for emoji
/// presentation, which some fonts otherwise draw as a small text circle.
pub fn emoji(status: Status) -> String {
    match status {
        Status::White => format!("{}\u{FE0F}", status.glyph()),
        other => other.glyph().to_owned(),
    }
}

/// Probe verdict counts in words: `3 passed, 1 failed, 2 could not run`
/// (zeros left out, except passed).
pub fn probe_counts(s: &Summary) -> String {
    let mut parts = vec![format!("{} passed", s.probes_pass)];
    for (n, word) in [
        (s.probes_warn, "warned"),
        (s.probes_fail, "failed"),
        (s.probes_error, "could not run"),
        (s.probes_skipped, "skipped"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    parts.join(", ")
}

/// `1 item`, `8 items`: a count with its noun, singular for one.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Milliseconds as people read them: `41ms`, `1.2s`.
pub fn millis(ms: u64) -> String {
    format_duration(Duration::from_millis(ms))
}

/// Milliseconds as decimal seconds, as JUnit wants them: `0.041`.
pub fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Newlines, tabs and other control characters become spaces.
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Replaces characters XML 1.0 cannot carry at all (most control characters,
/// lone surrogates cannot occur in a `str`, U+FFFE/U+FFFF) with U+FFFD. Escaping
/// `<`, `&` and quotes is the XML writer's job.
pub fn clean_xml(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => '\u{FFFD}',
            c => c,
        })
        .collect()
}

/// The one-line verdict for CI logs (`check -q`):
/// `candlefish: NOT READY — 4 required items red (api-ready, …)`; with
/// `ascii`, the dash is `-`.
pub fn verdict_line(report: &Report, ascii: bool) -> String {
    let line = verdict_text(report);
    if ascii {
        line.replace('—', "-")
    } else {
        line
    }
}

fn verdict_text(report: &Report) -> String {
    let s = &report.summary;
    let counts = format!(
        "{} green, {} yellow, {} red, {} white",
        s.green, s.yellow, s.red, s.white
    );
    let Some(gate) = &report.gate else {
        return format!("candlefish: overall {} — {counts}", report.status.word());
    };
    // Waived items are named on the one line too: never silently let through.
    let waived = match (gate.waived.is_empty(), gate.waivers_count) {
        (true, _) => String::new(),
        (false, true) => format!("; let through by a waiver: {}", list(&gate.waived)),
        (false, false) => format!("; waived, not counted: {}", list(&gate.waived)),
    };
    let failing = failing_short(gate, true);
    let head = gate_headline(gate);
    match gate.verdict {
        GateVerdict::Ready => format!("candlefish: {head} — {}; {counts}{waived}", gate.policy),
        GateVerdict::NothingJudged => format!(
            "candlefish: {head} — {}; {counts}{waived}",
            gate.nothing_judged()
        ),
        GateVerdict::Interrupted => {
            let failing = failing.map_or(String::new(), |f| format!("; {f}"));
            format!(
                "candlefish: {head} — the run was interrupted, not every probe ran{failing}; {counts}{waived}"
            )
        }
        GateVerdict::NotReady => format!(
            "candlefish: {head} — {}{waived}",
            failing.unwrap_or_default()
        ),
    }
}

/// The gate's verdict in capitals, as headlines show it: `READY`, `NOT READY`,
/// `NOTHING JUDGED` (`NOTHING JUDGED (accepted)` with `--allow-empty-gate`),
/// `INTERRUPTED`.
pub fn gate_headline(gate: &Gate) -> String {
    match gate.verdict {
        GateVerdict::NothingJudged if gate.passed => "NOTHING JUDGED (accepted)".to_owned(),
        verdict => verdict.headline().to_owned(),
    }
}

/// `4 required items red (a, b, c, d)` (with `ids`) — `None` when nothing failed.
pub fn failing_short(gate: &Gate, ids: bool) -> Option<String> {
    let n = gate.failing.len();
    if n == 0 {
        return None;
    }
    let noun = if n == 1 { "item" } else { "items" };
    let mut text = format!("{n} {} {noun} {}", gate.counted(), gate.blocking);
    if ids {
        text.push_str(&format!(" ({})", list(&gate.failing)));
    }
    Some(text)
}

/// The policy as a rule, kept apart from the result so the two never read as
/// one sentence: `fails when a required item is red` (`; waived items are let
/// through` with `--allow-waivers`).
pub fn gate_rule(gate: &Gate) -> String {
    let mut rule = format!("fails when a {} item is {}", gate.counted(), gate.blocking);
    if gate.waivers_count {
        rule.push_str("; waived items are let through");
    }
    if gate.allow_empty {
        rule.push_str("; judging nothing is accepted");
    }
    rule
}

/// What the gate found, in words, for a report's "Result:": the failing items
/// (their ids formatted by `id`), that it judged nothing, that the run was
/// interrupted, or how many items it judged and found fine.
pub fn gate_result(gate: &Gate, id: impl Fn(&str) -> String) -> String {
    let n = gate.failing.len();
    let failing = || {
        let shown: Vec<String> = gate.failing.iter().take(8).map(|i| id(i)).collect();
        let more = if n > shown.len() {
            format!(" and {} more", n - shown.len())
        } else {
            String::new()
        };
        format!(
            "{n} {} {} {}: {}{more}",
            gate.counted(),
            if n == 1 { "item is" } else { "items are" },
            gate.blocking,
            shown.join(", ")
        )
    };
    match gate.verdict {
        GateVerdict::Ready => format!(
            "{} {} {} judged, none {}",
            gate.judged,
            gate.counted(),
            if gate.judged == 1 { "item" } else { "items" },
            gate.blocking
        ),
        GateVerdict::NotReady => failing(),
        GateVerdict::NothingJudged => gate.nothing_judged(),
        GateVerdict::Interrupted if n > 0 => {
            format!(
                "the run was interrupted, not every probe ran; {}",
                failing()
            )
        }
        GateVerdict::Interrupted => "the run was interrupted, not every probe ran".to_owned(),
    }
}

/// Up to five ids, then how many more.
fn list(ids: &[String]) -> String {
    let shown: Vec<&str> = ids.iter().take(5).map(String::as_str).collect();
    if ids.len() > shown.len() {
        format!("{}, and {} more", shown.join(", "), ids.len() - shown.len())
    } else {
        shown.join(", ")
    }
}

/// The glyph and word of a status: `🔴 red`.
pub fn status_label(status: Status) -> String {
    format!("{} {}", status.glyph(), status.word())
}
