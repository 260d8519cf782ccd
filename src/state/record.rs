//! The records of the sign-off store, one JSON object per line of
//! `.candlefish/state.jsonl`, readable in review:
//!
//! ```text
//! {"op":"sign","at":"2026-11-25T10:00:00Z","item":"team-training","by":"Ada <ada@example.com>","evidence":"https://wiki/training","expires":"2026-12-25T10:00:00Z"}
//! {"op":"waive","at":"2026-11-25T10:05:00Z","item":"api-ready","by":"Ada <ada@example.com>","reason":"vendor fix ships Monday","expires":"2026-12-02T10:05:00Z"}
//! {"op":"unsign","at":"2026-11-26T09:00:00Z","item":"team-training","by":"Bob","reason":"training was cancelled"}
//! ```
//!
//! A record may carry `sig`, its SSH signature (`state::trust`), and `prev`,
//! the hash of the line before it (`state::chain`).
//!
//! Records are never rewritten: a renewed sign-off is a new `sign`, a revocation
//! an `unsign`. Unknown fields are ignored, so older versions read newer files.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// One line of the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Record {
    /// A person signed a manual item off.
    Sign(Signed),
    /// A person accepted an automated item's failure until a date.
    Waive(Waived),
    /// A person revoked every sign-off and the waiver recorded on an item so far.
    Unsign(Unsigned),
}

/// `op: sign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    /// When it was recorded.
    pub at: Timestamp,
    /// The item's id.
    pub item: String,
    /// Who signed, as given.
    pub by: String,
    /// A link or text backing it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<String>,
    /// When it stops counting; never, when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<Timestamp>,
    /// A free-form note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Recorded on the simulated clock, in a rehearsal: it counts only in
    /// rehearsals, never on the real day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
    /// The SSH signature over the record's payload (`state::trust::payload`):
    /// base64 of the SSHSIG blob; unsigned when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

/// `op: waive`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Waived {
    /// When it was recorded.
    pub at: Timestamp,
    /// The item's id.
    pub item: String,
    /// Who waived it, as given.
    pub by: String,
    /// The justification.
    pub reason: String,
    /// When it stops counting (mandatory).
    pub expires: Timestamp,
    /// Recorded on the simulated clock, in a rehearsal: it counts only in
    /// rehearsals, never on the real day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
    /// The SSH signature over the record's payload (`state::trust::payload`):
    /// base64 of the SSHSIG blob; unsigned when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

/// `op: unsign`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsigned {
    /// When it was recorded.
    pub at: Timestamp,
    /// The item's id.
    pub item: String,
    /// Who revoked, as given.
    pub by: String,
    /// Why.
    pub reason: String,
    /// Recorded on the simulated clock, in a rehearsal: it counts only in
    /// rehearsals, never on the real day.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub rehearsal: bool,
    /// The SSH signature over the record's payload (`state::trust::payload`):
    /// base64 of the SSHSIG blob; unsigned when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

impl Record {
    /// The item the record is about.
    pub fn item(&self) -> &str {
        match self {
            Record::Sign(r) => &r.item,
            Record::Waive(r) => &r.item,
            Record::Unsign(r) => &r.item,
        }
    }

    /// When it was recorded.
    pub fn at(&self) -> Timestamp {
        match self {
            Record::Sign(r) => r.at,
            Record::Waive(r) => r.at,
            Record::Unsign(r) => r.at,
        }
    }

    /// Whether it was recorded in a rehearsal.
    pub fn rehearsal(&self) -> bool {
        match self {
            Record::Sign(r) => r.rehearsal,
            Record::Waive(r) => r.rehearsal,
            Record::Unsign(r) => r.rehearsal,
        }
    }

    /// Its signature, if it is signed.
    pub fn sig(&self) -> Option<&str> {
        match self {
            Record::Sign(r) => r.sig.as_deref(),
            Record::Waive(r) => r.sig.as_deref(),
            Record::Unsign(r) => r.sig.as_deref(),
        }
    }

    /// Attaches a signature.
    pub fn set_sig(&mut self, sig: String) {
        match self {
            Record::Sign(r) => r.sig = Some(sig),
            Record::Waive(r) => r.sig = Some(sig),
            Record::Unsign(r) => r.sig = Some(sig),
        }
    }

    /// Who recorded it.
    pub fn by(&self) -> &str {
        match self {
            Record::Sign(r) => &r.by,
            Record::Waive(r) => &r.by,
            Record::Unsign(r) => &r.by,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_record_with_the_op_first() {
        let record = Record::Sign(Signed {
            at: "2026-11-25T10:00:00Z".parse().unwrap(),
            item: "team-training".into(),
            by: "Ada <ada@example.com>".into(),
            evidence: Some("line one\nline two".into()),
            expires: None,
            note: None,
            rehearsal: false,
            sig: None,
        });
        let text = serde_json::to_string(&record).unwrap();
        assert!(!text.contains('\n'));
        assert!(
            text.starts_with(r#"{"op":"sign","at":"2026-11-25T10:00:00Z","item":"team-training""#)
        );
        assert_eq!(serde_json::from_str::<Record>(&text).unwrap(), record);
    }

    #[test]
    fn unknown_fields_are_ignored_unknown_ops_are_not() {
        let newer = r#"{"op":"unsign","at":"2026-11-25T10:00:00Z","item":"a","by":"b","reason":"c","extra":1}"#;
        assert!(serde_json::from_str::<Record>(newer).is_ok());
        let unknown = r#"{"op":"bless","at":"2026-11-25T10:00:00Z","item":"a"}"#;
        assert!(serde_json::from_str::<Record>(unknown).is_err());
    }
}
