//! `aws_iam`: the account's identity hygiene — MFA on the root user, MFA on
//! every user who can sign in to the console, a password policy at least as
//! strict as asked, and the roles deployments rely on.
//!
//! ```yaml
//! probe:
//!   aws_iam:
//!     expect:
//!       root_mfa: true
//!       console_users_mfa: true
//!       password_policy: { min_length: 14, require_symbols: true, require_numbers: true, max_age_days: 90 }
//!       roles: [deploy, ${READONLY_ROLE:-readonly}]
//! ```
//!
//! Calls, each once per run: GetAccountSummary (`root_mfa`), the credential
//! report (GenerateCredentialReport until complete, then GetCredentialReport:
//! `console_users_mfa`), GetAccountPasswordPolicy, ListRoles. IAM is global:
//! `region` only chooses the endpoint.

pub mod judge;

#[cfg(feature = "aws-iam")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_iam` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamProbe {
    /// What the account must look like (at least one expectation).
    pub expect: IamExpect,
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

/// Expectations on the account's IAM.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IamExpect {
    /// The root user has MFA.
    #[serde(default)]
    pub root_mfa: bool,
    /// Every IAM user with a console password has MFA.
    #[serde(default)]
    pub console_users_mfa: bool,
    /// A password policy at least this strict.
    #[serde(default)]
    pub password_policy: Option<PolicyExpect>,
    /// These roles exist (by name).
    #[serde(default)]
    pub roles: Vec<Text>,
}

/// The least a password policy must ask.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyExpect {
    /// Passwords at least this long.
    #[serde(default)]
    pub min_length: Option<u32>,
    /// A symbol required.
    #[serde(default)]
    pub require_symbols: bool,
    /// A digit required.
    #[serde(default)]
    pub require_numbers: bool,
    /// An uppercase letter required.
    #[serde(default)]
    pub require_uppercase: bool,
    /// A lowercase letter required.
    #[serde(default)]
    pub require_lowercase: bool,
    /// Passwords expire within this many days.
    #[serde(default)]
    pub max_age_days: Option<u32>,
    /// At least this many previous passwords cannot be reused.
    #[serde(default)]
    pub reuse_prevention: Option<u32>,
}

super::settings_of!(IamProbe);

impl Probe for IamProbe {
    fn target(&self) -> String {
        format!("aws iam account{}", self.settings().access().describe())
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-iam"), "aws_iam", "aws-iam");
        problems.extend(self.settings().validate());
        let e = &self.expect;
        if !e.root_mfa && !e.console_users_mfa && e.password_policy.is_none() && e.roles.is_empty()
        {
            problems.push(
                "`expect` asks nothing: give root_mfa, console_users_mfa, password_policy or roles"
                    .to_owned(),
            );
        }
        if e.roles.iter().any(|r| r.trim().is_empty()) {
            problems.push("a role name in `roles` is empty".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-iam", self, ctx)
    }
}
