//! Where an AWS probe looks: `region`, `profile` and `endpoint_url`.
//!
//! ```yaml
//! defaults:
//!   aws: { region: eu-west-1, profile: production }
//! sections:
//!   - id: db
//!     title: Database
//!     items:
//!       - id: db-backups
//!         title: Backups kept a week
//!         probe:
//!           aws_rds: { instance: db-prod, region: eu-central-1, expect: { backup_retention_days: 7 } }
//! ```
//!
//! A probe's own setting wins over `defaults.aws`; what neither sets comes from
//! aws-config's standard chain (`AWS_REGION`, `AWS_PROFILE`, the shared config
//! file, …). `endpoint_url` points every call at another endpoint: an emulator,
//! a VPC endpoint, a proxy.

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::web::fields::url_secrets;

/// `region`, `profile` and `endpoint_url` as written, under `defaults.aws` or
/// in a probe.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsSettings {
    /// The region (`eu-west-1`); default: aws-config's chain (`AWS_REGION`, the profile).
    #[serde(default)]
    pub region: Option<Text>,
    /// A profile in the shared config and credentials files; default: `AWS_PROFILE`, else `default`.
    #[serde(default)]
    pub profile: Option<Text>,
    /// Send every call to this endpoint instead of AWS's (`http://127.0.0.1:5000`).
    #[serde(default)]
    pub endpoint_url: Option<Text>,
}

/// The settings one probe runs with, resolved: the key under which
/// configurations and API answers are shared within a run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Access {
    /// The region, if set in the checklist.
    pub region: Option<String>,
    /// The profile, if set in the checklist.
    pub profile: Option<String>,
    /// The endpoint, if set in the checklist.
    pub endpoint_url: Option<String>,
}

impl AwsSettings {
    /// Fills what this probe leaves unset from the checklist's `defaults.aws`.
    pub fn inherit(&mut self, defaults: &AwsSettings) {
        if self.region.is_none() {
            self.region.clone_from(&defaults.region);
        }
        if self.profile.is_none() {
            self.profile.clone_from(&defaults.profile);
        }
        if self.endpoint_url.is_none() {
            self.endpoint_url.clone_from(&defaults.endpoint_url);
        }
    }

    /// The resolved settings.
    pub fn access(&self) -> Access {
        let text = |t: &Option<Text>| t.as_ref().map(|t| t.as_str().trim().to_owned());
        Access {
            region: text(&self.region),
            profile: text(&self.profile),
            endpoint_url: text(&self.endpoint_url),
        }
    }

    /// Credentials in an endpoint URL, to be masked.
    pub fn secrets(&self) -> Vec<String> {
        self.endpoint_url.iter().flat_map(url_secrets).collect()
    }

    /// Problems with the settings themselves.
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if let Some(region) = &self.region {
            let ok = !region.is_empty()
                && region
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
            if !ok {
                problems.push(format!(
                    "`{}` is not an AWS region name (like `eu-west-1`)",
                    region.as_str()
                ));
            }
        }
        if let Some(profile) = &self.profile
            && profile.trim().is_empty()
        {
            problems.push("`profile` is empty".to_owned());
        }
        if let Some(url) = &self.endpoint_url {
            match reqwest::Url::parse(url.trim()) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => {}
                Ok(parsed) => problems.push(format!(
                    "endpoint_url must be http:// or https://, not {}://",
                    parsed.scheme()
                )),
                Err(e) => problems.push(format!("endpoint_url is not a URL: {e}")),
            }
        }
        problems
    }
}

impl Access {
    /// Where, for a probe's target: ` in eu-west-1 via http://127.0.0.1:5000`.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        if let Some(profile) = &self.profile {
            out.push_str(&format!(" (profile {profile})"));
        }
        if let Some(region) = &self.region {
            out.push_str(&format!(" in {region}"));
        }
        if let Some(endpoint) = &self.endpoint_url {
            out.push_str(&format!(" via {endpoint}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_keeps_its_own_settings_and_inherits_the_rest() {
        let mut mine = AwsSettings {
            region: Some(Text::literal("eu-central-1")),
            ..AwsSettings::default()
        };
        let defaults = AwsSettings {
            region: Some(Text::literal("eu-west-1")),
            profile: Some(Text::literal("prod")),
            endpoint_url: None,
        };
        mine.inherit(&defaults);
        let access = mine.access();
        assert_eq!(access.region.as_deref(), Some("eu-central-1"));
        assert_eq!(access.profile.as_deref(), Some("prod"));
        assert_eq!(access.endpoint_url, None);
        assert_eq!(access.describe(), " (profile prod) in eu-central-1");
    }

    #[test]
    fn credentials_in_the_endpoint_are_secrets() {
        let s = AwsSettings {
            endpoint_url: Some(Text::literal("https://proxy:s3cr3t-pass@vpce.example.com")),
            ..AwsSettings::default()
        };
        assert!(
            s.secrets().iter().any(|x| x == "s3cr3t-pass"),
            "{:?}",
            s.secrets()
        );
    }

    #[test]
    fn bad_settings_are_named() {
        let bad = AwsSettings {
            region: Some(Text::literal("EU West")),
            profile: Some(Text::literal(" ")),
            endpoint_url: Some(Text::literal("ftp://x")),
        };
        let problems = bad.validate();
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[2].contains("ftp://"));
    }
}
