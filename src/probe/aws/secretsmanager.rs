//! `aws_secretsmanager`: a secret exists, rotates automatically, and was
//! rotated recently. Secret values are never read: only ListSecrets, once per
//! run (paginated), whose entries carry names and dates, never values.
//!
//! ```yaml
//! probe:
//!   aws_secretsmanager: { secret: prod/db-password, expect: { rotation: true, rotated_within: 30d } }
//! ```

#[cfg(feature = "aws-secretsmanager")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::probe::aws::verdict::{Verdicts, age, secs};
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_secretsmanager` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsProbe {
    /// The secret's name or ARN (required).
    pub secret: Text,
    /// What the secret must look like (default: it exists).
    #[serde(default)]
    pub expect: SecretExpect,
    /// See [`super::AwsSettings::region`].
    #[serde(default)]
    pub region: Option<Text>,
    /// See [`super::AwsSettings::profile`].
    #[serde(default)]
    pub profile: Option<Text>,
    /// See [`super::AwsSettings::endpoint_url`].
    #[serde(default)]
    pub endpoint_url: Option<Text>,
}

/// Expectations on a secret.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretExpect {
    /// Automatic rotation is on.
    #[serde(default)]
    pub rotation: bool,
    /// Last rotated no longer ago than this (`30d`).
    #[serde(default)]
    pub rotated_within: Option<Dur>,
}

super::settings_of!(SecretsProbe);

/// A secret's metadata.
#[derive(Debug, Clone, Default)]
pub struct Secret {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Rotation on.
    pub rotation: bool,
    /// Last rotated, seconds since the epoch.
    pub rotated: Option<i64>,
}

/// Judges a secret at `now` (seconds since the epoch).
pub fn judge(s: &Secret, e: &SecretExpect, now: i64) -> Finding {
    let mut v = Verdicts::new();
    let name = s.name.as_str();
    let mut summary = vec![format!("{name} exists")];
    if e.rotation {
        v.check(
            s.rotation,
            "rotation on",
            format!("{name}: {}", if s.rotation { "on" } else { "off" }),
            || format!("{name}: rotation off"),
        );
        if s.rotation {
            summary.push("rotation on".to_owned());
        }
    }
    if let Some(within) = e.rotated_within {
        let wanted = format!("rotated within {}", format_duration(within.0));
        match s.rotated {
            Some(t) => {
                let ok = now - t <= secs(within.0);
                v.check(ok, wanted, format!("{name}: {} ago", age(now - t)), || {
                    format!(
                        "{name}: last rotated {} ago > {}",
                        age(now - t),
                        format_duration(within.0)
                    )
                });
                if ok {
                    summary.push(format!("rotated {} ago", age(now - t)));
                }
            }
            None => v.check(false, wanted, format!("{name}: never"), || {
                format!("{name}: never rotated")
            }),
        }
    }
    v.finish(&summary.join(", "))
}

impl Probe for SecretsProbe {
    fn target(&self) -> String {
        format!(
            "aws secretsmanager {}{}",
            self.secret.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(
            cfg!(feature = "aws-secretsmanager"),
            "aws_secretsmanager",
            "aws-secretsmanager",
        );
        problems.extend(self.settings().validate());
        if self.secret.trim().is_empty() {
            problems.push("`secret` is empty: give its name or ARN".to_owned());
        }
        if self.expect.rotated_within.is_some_and(|d| d.0.is_zero()) {
            problems.push("rotated_within is 0: nothing can be that recent".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-secretsmanager", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    #[test]
    fn rotation_and_its_age() {
        let e = SecretExpect {
            rotation: true,
            rotated_within: Some(Dur(Duration::from_secs(30 * 86_400))),
        };
        let fresh = Secret {
            name: "prod/db".into(),
            rotation: true,
            rotated: Some(1_000_000 - 86_400),
            ..Secret::default()
        };
        let f = judge(&fresh, &e, 1_000_000);
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(f.evidence, "prod/db exists, rotation on, rotated 24h ago");
        let stale = Secret {
            rotation: false,
            rotated: Some(1_000_000 - 40 * 86_400),
            ..fresh.clone()
        };
        assert_eq!(
            judge(&stale, &e, 1_000_000).evidence,
            "prod/db: rotation off; prod/db: last rotated 40d ago > 30d"
        );
        let never = Secret {
            rotated: None,
            ..fresh
        };
        assert_eq!(
            judge(&never, &e, 1_000_000).evidence,
            "prod/db: never rotated"
        );
    }
}
