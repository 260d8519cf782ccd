//! Whether a record of the store counts: what its signature covers
//! ([`payload`]), and the checklist's rules about who may sign ([`Policy`],
//! from `signoffs: { allowed_signers, require_signed }` and each item's
//! `manual.signers`). A sign-off or waiver that is unsigned where signatures
//! are required, signed by a key the rules do not allow, or whose signature
//! does not verify, does not count; [`Policy::judge`] says why.

use std::collections::HashMap;

use serde_json::json;

use super::allowed_signers::AllowedSigners;
use super::record::Record;
use super::sshsig::{self, NAMESPACE};
use crate::engine::plan::Plan;

/// What a signature over `record` covers: one line of JSON with every field
/// that gives the record its meaning — the checklist's name, the item, who,
/// when, evidence, note, expiry, whether it is a waiver (and why), and whether
/// it was made in a rehearsal. Fields are always present (null when unset), in
/// this order, so the text is the same wherever it is rebuilt.
pub fn payload(checklist: &str, record: &Record) -> String {
    let value = match record {
        Record::Sign(s) => json!({
            "candlefish": "sign-off/1",
            "checklist": checklist,
            "op": "sign",
            "item": s.item,
            "by": s.by,
            "at": s.at.to_string(),
            "evidence": s.evidence,
            "note": s.note,
            "expires": s.expires.map(|e| e.to_string()),
            "waiver": false,
            "reason": null,
            "rehearsal": s.rehearsal,
        }),
        Record::Waive(w) => json!({
            "candlefish": "sign-off/1",
            "checklist": checklist,
            "op": "waive",
            "item": w.item,
            "by": w.by,
            "at": w.at.to_string(),
            "evidence": null,
            "note": null,
            "expires": w.expires.to_string(),
            "waiver": true,
            "reason": w.reason,
            "rehearsal": w.rehearsal,
        }),
        Record::Unsign(u) => json!({
            "candlefish": "sign-off/1",
            "checklist": checklist,
            "op": "unsign",
            "item": u.item,
            "by": u.by,
            "at": u.at.to_string(),
            "evidence": null,
            "note": null,
            "expires": null,
            "waiver": false,
            "reason": u.reason,
            "rehearsal": u.rehearsal,
        }),
    };
    value.to_string()
}

/// The checklist's rules about signatures.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// The checklist's name (signed with every record; starts the chain).
    pub checklist: String,
    /// `signoffs.allowed_signers`, as written, and its contents.
    pub allowed: Option<(String, AllowedSigners)>,
    /// `signoffs.require_signed`.
    pub require_signed: bool,
    /// Each manual item's `manual.signers`, when it has some.
    pub signers: HashMap<String, Vec<String>>,
}

/// What a record's signature says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judgement {
    /// Unsigned, and that is allowed.
    Unsigned,
    /// Signed, verified, and allowed.
    Signed {
        /// `SHA256:…` of the key.
        key: String,
        /// The key's principals in `allowed_signers` (empty when the checklist
        /// names no allowed signers: the signature proves the record is intact
        /// and which key made it, not whose key that is).
        principals: Vec<String>,
    },
    /// It does not count, and why.
    Rejected(String),
}

impl Policy {
    /// The rules of `plan`'s checklist; reads its `allowed_signers` file.
    pub fn of(plan: &Plan) -> Result<Policy, String> {
        let rules = &plan.signoffs;
        let allowed = match &rules.allowed_signers {
            Some(path) => Some((
                path.display().to_string(),
                AllowedSigners::read(&plan.base_dir.join(path))?,
            )),
            None => None,
        };
        let signers = plan
            .walk()
            .into_iter()
            .filter_map(|i| {
                let m = i.manual.as_ref()?;
                (!m.signers.is_empty()).then(|| (i.id.clone(), m.signers.clone()))
            })
            .collect();
        Ok(Policy {
            checklist: plan.info.name.clone(),
            allowed,
            require_signed: rules.require_signed,
            signers,
        })
    }

    /// Whether `record` counts as far as signatures go.
    pub fn judge(&self, record: &Record) -> Judgement {
        let restricted = match record {
            Record::Sign(s) => self.signers.get(&s.item),
            _ => None,
        };
        let Some(signature) = record.sig() else {
            if let Some(names) = restricted {
                return Judgement::Rejected(format!(
                    "it is unsigned, and `{}` may be signed off only by {}",
                    record.item(),
                    names.join(", ")
                ));
            }
            if self.require_signed {
                return Judgement::Rejected(
                    "it is unsigned, and this checklist requires signed sign-offs (signoffs.require_signed)"
                        .to_owned(),
                );
            }
            return Judgement::Unsigned;
        };
        let verified = match sshsig::verify(payload(&self.checklist, record).as_bytes(), signature)
        {
            Ok(verified) => verified,
            Err(reason) => return Judgement::Rejected(reason),
        };
        let Some((file, allowed)) = &self.allowed else {
            return Judgement::Signed {
                key: verified.fingerprint,
                principals: Vec::new(),
            };
        };
        let lines: Vec<_> = allowed
            .lines_for(&verified.key, NAMESPACE, record.at())
            .collect();
        if lines.is_empty() {
            return Judgement::Rejected(format!(
                "it is signed by {}, a key {file} does not allow to sign",
                verified.fingerprint
            ));
        }
        let mut principals: Vec<String> = lines
            .iter()
            .flat_map(|l| l.principals.iter().filter(|p| !p.starts_with('!')).cloned())
            .collect();
        principals.dedup();
        if let Some(names) = restricted
            && !names.iter().any(|n| lines.iter().any(|l| l.is(n)))
        {
            return Judgement::Rejected(format!(
                "it is signed by {} ({}), who may not sign off `{}` (signers: {})",
                verified.fingerprint,
                principals.join(", "),
                record.item(),
                names.join(", ")
            ));
        }
        Judgement::Signed {
            key: verified.fingerprint,
            principals,
        }
    }
}

/// `signoffs:` of a checklist, resolved: where its allowed signers are
/// (relative to the checklist's directory) and whether signatures are required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rules {
    /// `allowed_signers`, relative to the checklist's directory.
    pub allowed_signers: Option<std::path::PathBuf>,
    /// `require_signed`.
    pub require_signed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::record::{Signed, Waived};

    #[test]
    fn the_payload_covers_what_gives_a_signoff_its_meaning() {
        let sign = Record::Sign(Signed {
            at: "2026-11-25T10:00:00Z".parse().unwrap(),
            item: "launch-go".into(),
            by: "Ada".into(),
            evidence: Some("minutes".into()),
            expires: Some("2026-11-26T10:00:00Z".parse().unwrap()),
            note: Some("n".into()),
            rehearsal: false,
            sig: Some("ignored: the signature is not part of what it signs".into()),
        });
        assert_eq!(
            payload("Launch", &sign),
            r#"{"candlefish":"sign-off/1","checklist":"Launch","op":"sign","item":"launch-go","by":"Ada","at":"2026-11-25T10:00:00Z","evidence":"minutes","note":"n","expires":"2026-11-26T10:00:00Z","waiver":false,"reason":null,"rehearsal":false}"#
        );
        let waive = Record::Waive(Waived {
            at: "2026-11-25T10:00:00Z".parse().unwrap(),
            item: "api".into(),
            by: "Ada".into(),
            reason: "vendor fix".into(),
            expires: "2026-12-01T10:00:00Z".parse().unwrap(),
            rehearsal: true,
            sig: None,
        });
        let text = payload("Launch", &waive);
        assert!(
            text.contains(r#""waiver":true,"reason":"vendor fix","rehearsal":true"#),
            "{text}"
        );
        assert_ne!(
            payload("Other", &waive),
            text,
            "the checklist's name is signed"
        );
    }

    #[test]
    fn unsigned_records_count_only_where_nothing_asks_for_signatures() {
        let record = Record::Sign(Signed {
            at: "2026-11-25T10:00:00Z".parse().unwrap(),
            item: "a".into(),
            by: "Ada".into(),
            evidence: None,
            expires: None,
            note: None,
            rehearsal: false,
            sig: None,
        });
        assert_eq!(Policy::default().judge(&record), Judgement::Unsigned);
        let required = Policy {
            require_signed: true,
            ..Policy::default()
        };
        assert!(matches!(required.judge(&record), Judgement::Rejected(_)));
        let mut restricted = Policy::default();
        restricted
            .signers
            .insert("a".into(), vec!["sre-leads".into()]);
        assert!(
            matches!(restricted.judge(&record), Judgement::Rejected(r) if r.contains("only by sre-leads"))
        );
    }
}
