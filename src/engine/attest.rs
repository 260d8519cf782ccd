//! What people vouched for, in the roll-up: sign-offs on manual items and
//! waivers on automated ones. The state store evaluates its records at one
//! instant into [`Attestations`] (plain data, no I/O); this module turns a manual
//! item's sign-offs into its status:
//!
//! - enough valid sign-offs (distinct people, with evidence when required) → 🟢;
//! - some but too few, or only expired ones, or declared in progress → 🟡;
//! - none → 🔴 "awaiting sign-off".
//!
//! A sign-off that does not count ([`Rejected`]: its signature does not
//! verify, its key is not allowed, it is unsigned where signatures are
//! required) is named in the reason, so the item says why it is not green.
//! With signatures, people are counted by key: two names on one key are one.
//!
//! A waiver never changes a status: it is carried to the report, shown beside
//! the item, and the gate policy decides whether it lets the item through.

use std::collections::HashMap;

use crate::checklist::model::Manual;
use crate::engine::plan::Declared;
use crate::outcome::{Basis, Signoff, Status, Waiver};

/// Sign-offs and the waiver of one item.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Attested {
    /// Current sign-offs: the latest of each person since the last revocation.
    pub signoffs: Vec<Signoff>,
    /// The latest waiver since the last revocation, expired or not.
    pub waiver: Option<Waiver>,
    /// Sign-offs and waivers recorded since the last revocation that do not
    /// count (unsigned where signatures are required, a key not allowed, a
    /// signature that does not verify, a second name for one key).
    pub rejected: Vec<Rejected>,
}

/// A record that does not count, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// Its line in the store.
    pub line: usize,
    /// Who it names.
    pub by: String,
    /// A waiver, not a sign-off.
    pub waiver: bool,
    /// Why it does not count: `signature by SHA256:… does not verify: …`.
    pub reason: String,
}

impl Rejected {
    /// `the sign-off by Ada (line 3) does not count: …`, for people.
    pub fn describe(&self) -> String {
        let what = if self.waiver { "waiver" } else { "sign-off" };
        format!(
            "the {what} by {} (line {}) does not count: {}",
            self.by, self.line, self.reason
        )
    }
}

/// Everything attested, by item id.
pub type Attestations = HashMap<String, Attested>;

/// The date part of an RFC 3339 timestamp, for people.
pub fn day(timestamp: &str) -> &str {
    timestamp.get(..10).unwrap_or(timestamp)
}

/// `Ada on 2026-11-25, Bob on 2026-11-26`.
fn who(signoffs: &[&Signoff]) -> String {
    signoffs
        .iter()
        .map(|s| format!("{} on {}", s.by, day(&s.at)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `reason; the sign-off by … does not count: …`.
fn with_rejected(mut reason: String, rejected: &[Rejected]) -> String {
    for r in rejected {
        if !reason.is_empty() {
            reason.push_str("; ");
        }
        reason.push_str(&r.describe());
    }
    reason
}

/// The status a manual item's sign-offs give it, where it came from, and why.
pub fn manual_status(
    rule: &Manual,
    declared: Option<Declared>,
    signoffs: &[Signoff],
    rejected: &[Rejected],
) -> (Status, Basis, String) {
    let (status, basis, reason) = status_of(rule, declared, signoffs);
    if status == Status::Green {
        return (status, basis, reason);
    }
    let rejected: Vec<Rejected> = rejected.iter().filter(|r| !r.waiver).cloned().collect();
    if rejected.is_empty() {
        return (status, basis, reason);
    }
    if signoffs.is_empty() && declared != Some(Declared::InProgress) {
        // Nothing else recorded: the rejections are the reason.
        return (
            Status::Red,
            Basis::Manual,
            with_rejected(String::new(), &rejected),
        );
    }
    (status, basis, with_rejected(reason, &rejected))
}

fn status_of(
    rule: &Manual,
    declared: Option<Declared>,
    signoffs: &[Signoff],
) -> (Status, Basis, String) {
    let has_evidence = |s: &&Signoff| !rule.evidence_required || s.evidence.is_some();
    let valid: Vec<&Signoff> = signoffs
        .iter()
        .filter(|s| !s.stale)
        .filter(has_evidence)
        .collect();
    let need = rule.signoffs.max(1) as usize;
    if valid.len() >= need {
        return (Status::Green, Basis::Signoff, String::new());
    }
    if !valid.is_empty() {
        return (
            Status::Yellow,
            Basis::Signoff,
            format!("{} of {need} sign-offs: {}", valid.len(), who(&valid)),
        );
    }
    let stale: Vec<&Signoff> = signoffs
        .iter()
        .filter(|s| s.stale)
        .filter(has_evidence)
        .collect();
    if let Some(last) = stale.last() {
        let when = last.expires.as_deref().map_or("", day);
        return (
            Status::Yellow,
            Basis::Signoff,
            format!(
                "stale: the sign-off by {} expired on {when}; sign again",
                last.by
            ),
        );
    }
    if declared == Some(Declared::InProgress) {
        return (
            Status::Yellow,
            Basis::Declared,
            "declared in progress; awaiting sign-off".to_owned(),
        );
    }
    if let Some(bare) = signoffs.iter().find(|s| s.evidence.is_none()) {
        return (
            Status::Red,
            Basis::Manual,
            format!(
                "the sign-off by {} has no evidence, which this item requires",
                bare.by
            ),
        );
    }
    let mut reason = match declared {
        Some(Declared::Blocked) => "declared blocked; awaiting sign-off".to_owned(),
        Some(Declared::Done) => "declared done, but awaiting sign-off".to_owned(),
        _ => "awaiting sign-off".to_owned(),
    };
    if let Some(instructions) = &rule.instructions {
        reason.push_str(": ");
        reason.push_str(instructions.trim());
    }
    (Status::Red, Basis::Manual, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(by: &str, evidence: Option<&str>, stale: bool) -> Signoff {
        Signoff {
            by: by.into(),
            at: "2026-11-25T10:00:00Z".into(),
            evidence: evidence.map(str::to_owned),
            note: None,
            expires: Some("2026-12-25T10:00:00Z".into()),
            stale,
            key: None,
            principals: Vec::new(),
        }
    }

    fn rule(evidence_required: bool, signoffs: u32) -> Manual {
        Manual {
            evidence_required,
            expires: None,
            signoffs,
            instructions: None,
            signers: Vec::new(),
        }
    }

    #[test]
    fn a_valid_signoff_is_green_an_expired_one_stale() {
        let r = rule(false, 1);
        assert_eq!(
            manual_status(&r, None, &[signed("Ada", None, false)], &[]).0,
            Status::Green
        );
        let (status, basis, reason) = manual_status(&r, None, &[signed("Ada", None, true)], &[]);
        assert_eq!((status, basis), (Status::Yellow, Basis::Signoff));
        assert_eq!(
            reason,
            "stale: the sign-off by Ada expired on 2026-12-25; sign again"
        );
        assert_eq!(
            manual_status(&r, None, &[], &[]),
            (Status::Red, Basis::Manual, "awaiting sign-off".into())
        );
    }

    #[test]
    fn two_person_rule_and_required_evidence() {
        let r = rule(true, 2);
        let one = [signed("Ada", Some("https://x"), false)];
        assert_eq!(
            manual_status(&r, None, &one, &[]).2,
            "1 of 2 sign-offs: Ada on 2026-11-25"
        );
        let two = [
            signed("Ada", Some("https://x"), false),
            signed("Bob", Some("ticket 42"), false),
        ];
        assert_eq!(manual_status(&r, None, &two, &[]).0, Status::Green);
        let bare = [signed("Ada", None, false)];
        assert_eq!(manual_status(&r, None, &bare, &[]).0, Status::Red);
    }

    #[test]
    fn rejected_signoffs_say_why_the_item_is_not_green() {
        let r = rule(false, 2);
        let bad = Rejected {
            line: 3,
            by: "Eve".into(),
            waiver: false,
            reason: "signature by SHA256:x does not verify: the record was changed after signing"
                .into(),
        };
        let (status, _, reason) = manual_status(&r, None, &[], std::slice::from_ref(&bad));
        assert_eq!(status, Status::Red);
        assert_eq!(
            reason,
            "the sign-off by Eve (line 3) does not count: signature by SHA256:x does not verify: the record was changed after signing"
        );
        let (status, _, reason) = manual_status(&r, None, &[signed("Ada", None, false)], &[bad]);
        assert_eq!(status, Status::Yellow);
        assert!(reason.starts_with("1 of 2 sign-offs: Ada on 2026-11-25; the sign-off by Eve"));
    }

    #[test]
    fn declared_in_progress_is_yellow_declared_done_is_not_enough() {
        let r = rule(false, 1);
        assert_eq!(
            manual_status(&r, Some(Declared::InProgress), &[], &[]).0,
            Status::Yellow
        );
        assert_eq!(
            manual_status(&r, Some(Declared::Done), &[], &[]).2,
            "declared done, but awaiting sign-off"
        );
    }
}
