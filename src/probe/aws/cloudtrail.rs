//! `aws_cloudtrail`: a trail records the account — in every region, logging
//! now, with log-file validation so tampering shows.
//!
//! ```yaml
//! probe:
//!   aws_cloudtrail: { expect: { multi_region: true, logging: true, log_file_validation: true } }
//! ```
//!
//! Without `trail`, some trail must meet every expectation; with `trail: NAME`
//! (a name or ARN) that one must. One DescribeTrails call per run, and one
//! GetTrailStatus per trail, only for `logging`.

#[cfg(feature = "aws-cloudtrail")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_cloudtrail` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudtrailProbe {
    /// One trail by name or ARN (default: any trail may meet the expectations).
    #[serde(default)]
    pub trail: Option<Text>,
    /// What the trail must do (default: a trail exists).
    #[serde(default)]
    pub expect: TrailExpect,
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

/// Expectations on a trail.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrailExpect {
    /// It records every region.
    #[serde(default)]
    pub multi_region: bool,
    /// It is logging now (GetTrailStatus).
    #[serde(default)]
    pub logging: bool,
    /// Log-file integrity validation is on.
    #[serde(default)]
    pub log_file_validation: bool,
}

super::settings_of!(CloudtrailProbe);

/// A trail, as seen.
#[derive(Debug, Clone, Default)]
pub struct Trail {
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Multi-region.
    pub multi_region: bool,
    /// Log-file validation.
    pub validation: bool,
    /// Logging now (filled only when asked).
    pub logging: bool,
}

/// What keeps `t` from meeting `e`, one phrase each.
fn gaps(t: &Trail, e: &TrailExpect) -> Vec<&'static str> {
    let mut out = Vec::new();
    if e.multi_region && !t.multi_region {
        out.push("single-region");
    }
    if e.logging && !t.logging {
        out.push("not logging");
    }
    if e.log_file_validation && !t.validation {
        out.push("log-file validation off");
    }
    out
}

/// Judges the trails (already narrowed to the named one, if any).
pub fn judge(trails: &[Trail], wanted: Option<&str>, e: &TrailExpect) -> Finding {
    let mut v = Verdicts::new();
    if trails.is_empty() {
        let what = wanted.map_or_else(
            || "no CloudTrail trail".to_owned(),
            |w| format!("no trail `{w}`"),
        );
        v.check(false, "a trail", "none", || what);
        return v.finish("");
    }
    if let Some(good) = trails.iter().find(|t| gaps(t, e).is_empty()) {
        v.check(
            true,
            "a trail meeting every expectation",
            good.name.clone(),
            String::new,
        );
        let mut what = vec![format!("trail {}", good.name)];
        if e.multi_region {
            what.push("multi-region".to_owned());
        }
        if e.logging {
            what.push("logging".to_owned());
        }
        if e.log_file_validation {
            what.push("log-file validation on".to_owned());
        }
        return v.finish(&what.join(", "));
    }
    for t in trails {
        let line = format!("trail {}: {}", t.name, gaps(t, e).join(", "));
        v.check(
            false,
            "a trail meeting every expectation",
            line.clone(),
            || line,
        );
    }
    v.finish("")
}

impl Probe for CloudtrailProbe {
    fn target(&self) -> String {
        let which = self.trail.as_ref().map_or("trails", Text::as_str);
        format!(
            "aws cloudtrail {which}{}",
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(
            cfg!(feature = "aws-cloudtrail"),
            "aws_cloudtrail",
            "aws-cloudtrail",
        );
        problems.extend(self.settings().validate());
        if self.trail.as_ref().is_some_and(|t| t.trim().is_empty()) {
            problems.push("`trail` is empty".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-cloudtrail", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn all() -> TrailExpect {
        TrailExpect {
            multi_region: true,
            logging: true,
            log_file_validation: true,
        }
    }

    #[test]
    fn one_good_trail_is_enough() {
        let trails = vec![
            Trail {
                name: "old".into(),
                ..Trail::default()
            },
            Trail {
                name: "main".into(),
                multi_region: true,
                validation: true,
                logging: true,
                ..Trail::default()
            },
        ];
        let f = judge(&trails, None, &all());
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "trail main, multi-region, logging, log-file validation on"
        );
    }

    #[test]
    fn every_trail_says_what_it_lacks() {
        let trails = vec![Trail {
            name: "main".into(),
            multi_region: true,
            ..Trail::default()
        }];
        assert_eq!(
            judge(&trails, None, &all()).evidence,
            "trail main: not logging, log-file validation off"
        );
        assert_eq!(judge(&[], None, &all()).evidence, "no CloudTrail trail");
        assert_eq!(
            judge(&[], Some("audit"), &all()).evidence,
            "no trail `audit`"
        );
    }
}
