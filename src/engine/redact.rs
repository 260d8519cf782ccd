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

/// A secret cut short by an excerpt is masked from this many bytes on.
pub const MIN_CUT: usize = 8;

/// How many bytes at the end of `before` are the start of `secret` cut short
/// (at least [`MIN_CUT`], starting a word), if any.
fn cut_secret(before: &str, secret: &str) -> Option<usize> {
    secret
        .char_indices()
        .map(|(i, _)| i)
        .filter(|&i| i >= MIN_CUT)
        .rev()
        .find(|&i| {
            before.ends_with(&secret[..i])
                && before[..before.len() - i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
        })
}

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

    /// A redactor for `secrets`, in every form evidence may show them: as
    /// given, with control characters as spaces (as excerpts show text), and
    /// escaped as in a JSON string. A secret that spans lines is masked line
    /// by line too — unless it holds another secret (then it is a message
    /// built around one, `AUTH ${PASSWORD}\r\nPING`, whose other lines are
    /// not secret).
    pub fn new(secrets: impl IntoIterator<Item = String>) -> Self {
        let given: Vec<String> = secrets
            .into_iter()
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        let holds_another = |s: &str| {
            given
                .iter()
                .any(|other| other.len() < s.len() && s.contains(other.as_str()))
        };
        let mut secrets: Vec<String> = given
            .iter()
            .flat_map(|secret| {
                let spaced: String = secret
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                let escaped = serde_json::to_string(secret)
                    .map(|q| q[1..q.len() - 1].to_owned())
                    .unwrap_or_default();
                let lines: Vec<String> = if secret.contains('\n') && !holds_another(secret) {
                    secret.lines().map(|l| l.trim().to_owned()).collect()
                } else {
                    Vec::new()
                };
                [secret.clone(), spaced, escaped].into_iter().chain(lines)
            })
            .filter(|s| s.len() >= MIN_SECRET_LEN)
            .collect();
        // Longest first, so a secret that contains another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// This redactor with `more` secrets: those a probe learnt while running.
    #[must_use]
    pub fn extended(&self, more: impl IntoIterator<Item = String>) -> Redactor {
        let mut secrets = self.secrets.clone();
        secrets.extend(Redactor::new(more).secrets);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Redactor { secrets }
    }

    /// `text` with every secret masked — also the start of one that an
    /// excerpt cut short (`ghp_R4nd0m…`).
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        // An excerpt's `…` may have cut a secret short: mask the start that
        // shows — at least MIN_CUT bytes at a word start, so that ordinary
        // words ("admin…" of "administrator-…") stay.
        if out.contains('…') {
            let mut masked = String::with_capacity(out.len());
            let mut rest = out.as_str();
            while let Some(at) = rest.find('…') {
                let before = &rest[..at];
                let cut = self
                    .secrets
                    .iter()
                    .filter_map(|secret| cut_secret(before, secret))
                    .max();
                match cut {
                    Some(len) => {
                        masked.push_str(&before[..before.len() - len]);
                        masked.push_str(MASK);
                    }
                    None => masked.push_str(before),
                }
                masked.push('…');
                rest = &rest[at + '…'.len_utf8()..];
            }
            masked.push_str(rest);
            out = masked;
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
        for step in &mut outcome.steps {
            step.name = self.apply(&step.name);
            step.evidence = self.apply(&step.evidence);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_secrets_cut_short_split_over_lines_or_escaped() {
        let r = Redactor::new([
            "ghp_R4nd0mT0k3n".to_owned(),
            "first\nsecondline\"q".to_owned(),
        ]);
        assert_eq!(r.apply("got \"ghp_R4nd0…"), "got \"••••…");
        let admin = Redactor::new(["administrator-Xk39".to_owned()]);
        assert_eq!(
            admin.apply("users: judy, mmmmadmin…"),
            "users: judy, mmmmadmin…"
        );
        assert_eq!(
            admin.apply("users: admin…"),
            "users: admin…",
            "too short to be a cut secret"
        );
        assert_eq!(admin.apply("users: administr…"), "users: ••••…");
        let message = Redactor::new([
            "AUTH pw-123456\r\nPING\r\n".to_owned(),
            "pw-123456".to_owned(),
        ]);
        assert_eq!(
            message.apply("+PONG, PING"),
            "+PONG, PING",
            "PING is no secret"
        );
        assert_eq!(message.apply("AUTH pw-123456"), "AUTH ••••");
        assert_eq!(r.apply("a secondline\"q b"), "a •••• b");
        assert_eq!(r.apply("first secondline\"q"), "••••");
        assert_eq!(
            r.apply(r#"{"k":"first\nsecondline\"q"}"#),
            r#"{"k":"••••"}"#
        );
        assert_eq!(
            r.apply("ghp… is too short to be a cut secret"),
            "ghp… is too short to be a cut secret"
        );
    }

    #[test]
    fn masks_longest_first_and_skips_short_ones() {
        let r = Redactor {
            secrets: vec!["Bearer s3cr3t-token".into(), "s3cr3t-token".into()],
        };
        assert_eq!(r.apply("sent Bearer s3cr3t-token"), format!("sent {MASK}"));
        assert_eq!(r.apply("echo s3cr3t-token!"), format!("echo {MASK}!"));
    }
}
