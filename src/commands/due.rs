//! `candlefish list --due 14d`: what falls due within a window (and what is
//! already past its due date), grouped by owner, soonest first. Nothing runs,
//! so it speaks of dates, not statuses: an item declared `done` is left out,
//! every other one is listed. The clock is `CANDLEFISH_NOW` when set.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;

use super::{Exit, print_out};
use crate::checklist::due::label;
use crate::cli::ListFormat;
use crate::engine::plan::{Declared, Plan, PlanItem};

/// One line of the list.
struct Entry<'a> {
    item: &'a PlanItem,
    due: &'a crate::checklist::due::Due,
    days: i64,
    past: bool,
}

pub fn run(plan: &Plan, window: Duration, format: ListFormat) -> Exit {
    let now = match super::store::now() {
        Ok(now) => now,
        Err(message) => {
            eprintln!("error: {message}");
            return Exit::Usage;
        }
    };
    let horizon = jiff::SignedDuration::try_from(window)
        .ok()
        .and_then(|w| now.checked_add(w).ok())
        .unwrap_or(jiff::Timestamp::MAX);
    let mut by_owner: BTreeMap<Option<&str>, Vec<Entry<'_>>> = BTreeMap::new();
    for item in plan.walk() {
        let Some(deadline) = &item.due else { continue };
        if !item.items.is_empty() || item.declared == Some(Declared::Done) {
            continue;
        }
        // Due on or before the horizon's day.
        if deadline.due.day > horizon_day(horizon) {
            continue;
        }
        by_owner
            .entry(deadline.owner.as_deref())
            .or_default()
            .push(Entry {
                item,
                due: &deadline.due,
                days: deadline.due.days_left(now),
                past: deadline.due.passed(now),
            });
    }
    for entries in by_owner.values_mut() {
        entries.sort_by_key(|e| (e.due.deadline, e.item.id.clone()));
    }
    // Named owners in order, then items nobody owns.
    let mut groups: Vec<(Option<&str>, Vec<Entry<'_>>)> = by_owner.into_iter().collect();
    groups.sort_by_key(|(owner, _)| (owner.is_none(), owner.map(str::to_owned)));
    let window_text = crate::checklist::scalar::format_duration(window);
    match format {
        ListFormat::Json => {
            let owners: Vec<serde_json::Value> = groups
                .iter()
                .map(|(owner, entries)| {
                    json!({
                        "owner": owner,
                        "items": entries.iter().map(|e| json!({
                            "id": e.item.id,
                            "title": e.item.title,
                            "due": e.due.shown,
                            "due_in_days": e.days,
                            "past_due": e.past,
                        })).collect::<Vec<_>>(),
                    })
                })
                .collect();
            print_out(&format!(
                "{}\n",
                serde_json::to_string_pretty(&json!({
                    "now": now.to_string(),
                    "window": window_text,
                    "owners": owners,
                }))
                .unwrap_or_default()
            ));
        }
        ListFormat::Tree => {
            let count: usize = groups.iter().map(|(_, e)| e.len()).sum();
            let mut out = format!(
                "{}: {count} item{} due within {window_text} of {} or past due\n",
                plan.info.name,
                if count == 1 { "" } else { "s" },
                crate::engine::attest::day(&now.to_string()),
            );
            let when = |e: &Entry<'_>| {
                if e.past {
                    "past due".to_owned()
                } else {
                    label(e.days, false)
                }
            };
            let all = groups.iter().flat_map(|(_, e)| e.iter());
            let widths = all.fold((0, 0, 0), |(d, w, i), e| {
                (
                    d.max(e.due.shown.chars().count()),
                    w.max(when(e).chars().count()),
                    i.max(e.item.id.chars().count()),
                )
            });
            for (owner, entries) in &groups {
                out.push_str(&format!("\n{}\n", owner.unwrap_or("(no owner)")));
                for e in entries {
                    out.push_str(&format!(
                        "  {:<dw$}  {:<ww$}  {:<iw$}  {}\n",
                        e.due.shown,
                        when(e),
                        e.item.id,
                        e.item.title,
                        dw = widths.0,
                        ww = widths.1,
                        iw = widths.2,
                    ));
                }
            }
            print_out(&out);
        }
    }
    Exit::Passed
}

fn horizon_day(horizon: jiff::Timestamp) -> jiff::civil::Date {
    horizon.to_zoned_datetime(jiff::tz::TimeZone::UTC).date()
}
