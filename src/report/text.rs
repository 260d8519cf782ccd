//! Small pieces of text every renderer needs: a probe's evidence line, timings,
//! and making peer-controlled text safe for XML.

use std::time::Duration;

use crate::checklist::scalar::format_duration;
use crate::engine::attest::day;
use crate::outcome::{ItemReport, ProbeOutcome, Report, Signoff, Status, Summary, Waiver};

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
    if gate.passed {
        return format!("candlefish: READY — {}; {counts}{waived}", gate.policy);
    }
    if gate.failing.is_empty() {
        return format!("candlefish: NOT READY — the run was interrupted; {counts}{waived}");
    }
    let n = gate.failing.len();
    let counted = gate.counted();
    format!(
        "candlefish: NOT READY — {n} {counted} {} {} ({}){waived}",
        if n == 1 { "item" } else { "items" },
        gate.blocking,
        list(&gate.failing)
    )
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

/// `due in 3 days` (`due today`, `due tomorrow`) for an item with a due date
/// that is not green and not yet overdue; `None` otherwise.
pub fn due_note(item: &ItemReport) -> Option<String> {
    let days = item.due_in_days?;
    (item.status != Status::Green && !item.overdue)
        .then(|| crate::checklist::due::label(days, false))
}

/// Items not green that are overdue, or fall due within `days` days, soonest
/// first (overdue ones before all others): the "due soon / overdue" list.
pub fn due_soon(report: &Report, days: i64) -> Vec<&ItemReport> {
    let mut found: Vec<&ItemReport> = report
        .all_items()
        .into_iter()
        .filter(|i| i.items.is_empty())
        .filter(|i| {
            i.overdue || (i.status != Status::Green && i.due_in_days.is_some_and(|d| d <= days))
        })
        .collect();
    found.sort_by_key(|i| (!i.overdue, i.due_in_days));
    found
}
