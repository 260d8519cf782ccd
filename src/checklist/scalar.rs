//! Small scalar types the checklist accepts as strings: durations (`500ms`, `5s`,
//! `30d`) and regular expressions. Each rejects bad input during deserialization,
//! so the error carries the value's line and column.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written with a unit: `250ms`, `5s`, `2m`, `1h`, `30d`, `1h 30m`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Dur(pub Duration);

impl Dur {
    /// Parses `500ms`, `5s`, `30d`, ….
    pub fn parse(text: &str) -> Result<Dur, String> {
        let text = text.trim();
        if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "`{text}` has no unit: write `{text}ms`, `{text}s`, `{text}m`, `{text}h` or `{text}d`"
            ));
        }
        humantime::parse_duration(text)
            .map(Dur)
            // humantime's own words ("expected number at 0") are for programmers.
            .map_err(|_| {
                format!("`{text}` is not a duration; write a number and a unit: 500ms, 5s, 2m, 30d")
            })
    }

    /// The inner [`Duration`].
    pub fn get(self) -> Duration {
        self.0
    }
}

impl fmt::Debug for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Dur {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_duration(self.0))
    }
}

/// Formats a duration the way people write it: `41 ms`, `1.2 s`, `2m 5s`, `30d`.
pub fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if ms < 60_000 {
        let tenths = ms / 100;
        return if tenths.is_multiple_of(10) {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        };
    }
    if ms.is_multiple_of(86_400_000) {
        // Whole days, as expiries and ages are written: `30d`, not `1month 6h`.
        return format!("{}d", ms / 86_400_000);
    }
    humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
}

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurVisitor;
        impl Visitor<'_> for DurVisitor {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration with a unit, such as 500ms, 5s or 30d")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Dur, E> {
                Dur::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dur, E> {
                Dur::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                Err(E::custom(format!(
                    "`{v}` is not a duration: it needs a unit, such as 500ms or 5s"
                )))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                Err(E::custom(format!(
                    "`{v}` is not a duration: it needs a unit, such as 500ms or 5s"
                )))
            }
        }
        deserializer.deserialize_any(DurVisitor)
    }
}

impl Serialize for Dur {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

/// A regular expression, compiled when the checklist loads.
#[derive(Clone)]
pub struct Pattern(pub regex::Regex);

impl Pattern {
    /// The source text of the expression.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "/{}/", self.0.as_str())
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let source = String::deserialize(deserializer)?;
        regex::RegexBuilder::new(&source)
            .size_limit(1 << 20)
            .build()
            .map(Pattern)
            .map_err(|e| {
                let detail = e.to_string();
                let last = detail
                    .lines()
                    .last()
                    .unwrap_or("invalid")
                    .trim()
                    .trim_start_matches("error: ");
                de::Error::custom(format!("invalid regular expression `{source}`: {last}"))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units() {
        assert_eq!(Dur::parse("500ms").unwrap().0, Duration::from_millis(500));
        assert_eq!(
            Dur::parse("30d").unwrap().0,
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(Dur::parse("1h 30m").unwrap().0, Duration::from_secs(5400));
        assert!(Dur::parse("500").unwrap_err().contains("no unit"));
        assert!(Dur::parse("soon").unwrap_err().contains("not a duration"));
    }

    #[test]
    fn durations_format_for_people() {
        assert_eq!(format_duration(Duration::from_millis(41)), "41ms");
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.2s");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m 5s");
        assert_eq!(format_duration(Duration::from_secs(30 * 86_400)), "30d");
    }
}
