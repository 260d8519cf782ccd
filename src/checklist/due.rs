//! `due:` — the date (or moment) by which an item must be green.
//!
//! `due: 2026-12-15` means by the end of that day, UTC: the item is overdue
//! from 2026-12-16T00:00Z. `due: 2026-12-15T17:00+01:00` (or `…Z`) is a
//! moment; a date and time without an offset is read as UTC.

use std::fmt;

use jiff::civil::{Date, DateTime};
use jiff::{Timestamp, tz::TimeZone};
use serde::{Deserialize, Deserializer};

/// A due date or moment.
#[derive(Clone, PartialEq, Eq)]
pub struct Due {
    /// From this instant on, an item that is not green is overdue.
    pub deadline: Timestamp,
    /// The day it falls due, in UTC (for "due in 3 days").
    pub day: Date,
    /// As people read it: `2026-12-15`, or `2026-12-15T17:00:00+01:00`.
    pub shown: String,
}

impl fmt::Debug for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Due({})", self.shown)
    }
}

impl fmt::Display for Due {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.shown)
    }
}

impl Due {
    /// Parses `2026-12-15`, `2026-12-15T17:00Z`, `2026-12-15T17:00+01:00` or
    /// `2026-12-15T17:00` (UTC).
    pub fn parse(text: &str) -> Result<Due, String> {
        let text = text.trim();
        // A date alone (`2026-12-15`); jiff would also read the date of a date-time.
        if let Some(day) = (text.len() == 10)
            .then(|| text.parse::<Date>().ok())
            .flatten()
        {
            let deadline = day
                .tomorrow()
                .and_then(|next| next.to_zoned_datetime(TimeZone::UTC))
                .map_err(|e| format!("due date `{text}`: {e}"))?
                .timestamp();
            return Ok(Due {
                deadline,
                day,
                shown: day.to_string(),
            });
        }
        let deadline = if let Ok(at) = text.parse::<Timestamp>() {
            at
        } else if let Ok(at) = text.parse::<DateTime>() {
            at.to_zoned_datetime(TimeZone::UTC)
                .map_err(|e| format!("due `{text}`: {e}"))?
                .timestamp()
        } else {
            return Err(format!(
                "`{text}` is not a due date: write a date (2026-12-15) or a date and time (2026-12-15T17:00Z, or with an offset such as +01:00; UTC when none)"
            ));
        };
        Ok(Due {
            deadline,
            day: deadline.to_zoned_datetime(TimeZone::UTC).date(),
            shown: text.to_owned(),
        })
    }

    /// Whether the item is overdue at `now` (if it is not green).
    pub fn passed(&self, now: Timestamp) -> bool {
        now >= self.deadline
    }

    /// Days from `now`'s day to the due day, in UTC: 0 today, negative once past.
    pub fn days_left(&self, now: Timestamp) -> i64 {
        let today = now.to_zoned_datetime(TimeZone::UTC).date();
        today
            .until(self.day)
            .map_or(0, |span| i64::from(span.get_days()))
    }
}

/// Warns about an item whose own `due` is later than its group's: the group's
/// date holds for it, so its own can never matter.
pub(crate) fn check(
    items: &[crate::checklist::model::Item],
    group: Option<&Due>,
    problems: &mut Vec<crate::checklist::Diagnostic>,
) {
    for item in items {
        let own = item.due.as_ref();
        if let (Some(own), Some(group)) = (own, group)
            && own.value.deadline > group.deadline
        {
            problems.push(
                crate::checklist::Diagnostic::warning(
                    format!(
                        "`{}` is due {}, after its group's {}: the group's date holds",
                        item.id.value, own.value, group
                    ),
                    item.span_of(own),
                )
                .with_help("give it a date on or before its group's, or none"),
            );
        }
        let earliest = match (own.map(|d| &d.value), group) {
            (Some(own), Some(group)) if group.deadline < own.deadline => Some(group),
            (Some(own), _) => Some(own),
            (None, group) => group,
        };
        check(&item.items, earliest, problems);
    }
}

/// `due today`, `due tomorrow`, `due in 3 days`, `overdue`.
pub fn label(days_left: i64, overdue: bool) -> String {
    match days_left {
        _ if overdue => "overdue".to_owned(),
        i64::MIN..=0 => "due today".to_owned(),
        1 => "due tomorrow".to_owned(),
        n => format!("due in {n} days"),
    }
}

impl<'de> Deserialize<'de> for Due {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Due::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn a_date_is_due_by_the_end_of_its_day_in_utc() {
        let due = Due::parse("2026-12-15").unwrap();
        assert!(!due.passed(at("2026-12-15T23:59:59Z")));
        assert!(due.passed(at("2026-12-16T00:00:00Z")));
        assert_eq!(due.days_left(at("2026-12-12T09:00:00Z")), 3);
        assert_eq!(due.days_left(at("2026-12-15T09:00:00Z")), 0);
        assert_eq!(due.days_left(at("2026-12-17T09:00:00Z")), -2);
    }

    #[test]
    fn a_moment_keeps_its_offset_or_is_utc() {
        let due = Due::parse("2026-12-15T17:00+01:00").unwrap();
        assert_eq!(due.shown, "2026-12-15T17:00+01:00");
        assert!(due.passed(at("2026-12-15T16:00:00Z")));
        assert!(!due.passed(at("2026-12-15T15:59:00Z")));
        let utc = Due::parse("2026-12-15T17:00").unwrap();
        assert_eq!(utc.deadline, at("2026-12-15T17:00:00Z"));
        assert!(
            Due::parse("next week")
                .unwrap_err()
                .contains("not a due date")
        );
    }

    #[test]
    fn labels_read_for_people() {
        assert_eq!(label(3, false), "due in 3 days");
        assert_eq!(label(1, false), "due tomorrow");
        assert_eq!(label(0, false), "due today");
        assert_eq!(label(-1, true), "overdue");
    }
}
