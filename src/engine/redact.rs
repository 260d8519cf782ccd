//! Secrets out of every outcome. Probes declare the strings that must never be
//! shown (tokens from the environment, passwords in URLs); the engine replaces
//! them in everything a probe returns before any renderer sees it.

use crate::engine::plan::Plan;
use crate::outcome::ProbeOutcome;

/// What replaces a secret.
pub const MASK: &str = "••••";

/// Secrets shorter than this are not masked: masking `ab` would garble every
/// word containing it, and no real credential is that short.
pub const MIN_SECRET_LEN: usize = 4;

/// The secrets of one run.
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Collects every probe's secrets.
    pub fn from_plan(plan: &Plan) -> Self {
        Redactor::new(
            plan.walk()
                .iter()
                .flat_map(|item| item.probes.iter())
                .flat_map(|probe| probe.kind.secrets()),
        )
    }

    /// A redactor for `secrets`.
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every secret masked.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }

    /// Masks secrets in every text field of an outcome.
    pub fn outcome(&self, outcome: &mut ProbeOutcome) {
        if self.secrets.is_empty() {
            return;
        }
        outcome.target = self.apply(&outcome.target);
        outcome.evidence = self.apply(&outcome.evidence);
        for check in &mut outcome.checks {
            check.expected = self.apply(&check.expected);
            check.observed = self.apply(&check.observed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_longest_first_and_skips_short_ones() {
        let r = Redactor {
            secrets: vec!["Bearer s3cr3t-token".into(), "s3cr3t-token".into()],
        };
        assert_eq!(r.apply("sent Bearer s3cr3t-token"), format!("sent {MASK}"));
        assert_eq!(r.apply("echo s3cr3t-token!"), format!("echo {MASK}!"));
    }
}
