//! `aws_wafv2`: a web ACL exists, protects the resources named (a load
//! balancer, an API Gateway stage, a CloudFront distribution), and has the
//! rules and AWS managed rule groups asked for.
//!
//! ```yaml
//! probe:
//!   aws_wafv2:
//!     web_acl: prod-edge
//!     scope: CLOUDFRONT                # or REGIONAL (the default)
//!     expect:
//!       associated_with: ["arn:aws:cloudfront::123456789012:distribution/E2ABC"]
//!       min_rules: 3
//!       managed_rule_groups: [AWSManagedRulesCommonRuleSet, AWSManagedRulesSQLiRuleSet]
//! ```
//!
//! Calls, each once per run: ListWebACLs per scope (every page); GetWebACL per
//! web ACL, only for `min_rules` and `managed_rule_groups`;
//! GetWebACLForResource per resource for regional resources. A CloudFront
//! distribution's web ACL is read from the distribution itself (AWS keeps it
//! there), from the ListDistributions call `aws_cloudfront` makes — so this
//! feature brings `aws-cloudfront` with it. `CLOUDFRONT` web ACLs live in
//! us-east-1: with that scope the WAFv2 calls go there whatever `region` says.

pub mod judge;

#[cfg(feature = "aws-wafv2")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_wafv2` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wafv2Probe {
    /// The web ACL's name (required).
    pub web_acl: Text,
    /// `REGIONAL` (load balancers, API Gateway, AppSync, Cognito, App Runner,
    /// Verified Access; the default) or `CLOUDFRONT`.
    #[serde(default)]
    pub scope: WafScope,
    /// What the web ACL must look like (default: it exists).
    #[serde(default)]
    pub expect: Wafv2Expect,
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

/// Where a web ACL lives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub enum WafScope {
    /// Regional resources, in the probe's region.
    #[default]
    #[serde(rename = "REGIONAL")]
    Regional,
    /// CloudFront distributions (kept in us-east-1).
    #[serde(rename = "CLOUDFRONT")]
    Cloudfront,
}

impl WafScope {
    /// `REGIONAL` or `CLOUDFRONT`, as AWS spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            WafScope::Regional => "REGIONAL",
            WafScope::Cloudfront => "CLOUDFRONT",
        }
    }
}

/// Expectations on a web ACL.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wafv2Expect {
    /// It is associated with each of these resources, by ARN. A CloudFront
    /// distribution (`arn:aws:cloudfront::ACCOUNT:distribution/ID`) counts
    /// when its WebACLId is this web ACL.
    #[serde(default)]
    pub associated_with: Vec<Text>,
    /// It has at least this many rules.
    #[serde(default)]
    pub min_rules: Option<usize>,
    /// Each of these managed rule groups is one of its rules, by name
    /// (`AWSManagedRulesCommonRuleSet`) or as `VENDOR/NAME`.
    #[serde(default)]
    pub managed_rule_groups: Vec<String>,
}

super::settings_of!(Wafv2Probe);

impl Probe for Wafv2Probe {
    fn target(&self) -> String {
        format!(
            "aws wafv2 web ACL {} ({}){}",
            self.web_acl.as_str(),
            self.scope.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems =
            super::missing_feature(cfg!(feature = "aws-wafv2"), "aws_wafv2", "aws-wafv2");
        problems.extend(self.settings().validate());
        if self.web_acl.trim().is_empty() {
            problems.push("`web_acl` is empty: give the web ACL's name".to_owned());
        }
        for arn in &self.expect.associated_with {
            if !arn.trim().starts_with("arn:") {
                problems.push(format!(
                    "associated_with: `{}` is not an ARN (arn:aws:…)",
                    arn.as_str()
                ));
            } else if judge::distribution_id(arn).is_some() && self.scope != WafScope::Cloudfront {
                problems.push(format!(
                    "associated_with: `{}` is a CloudFront distribution: its web ACL has `scope: CLOUDFRONT`",
                    arn.as_str()
                ));
            }
        }
        if self.expect.min_rules == Some(0) {
            problems.push("`min_rules` is 0: leave it out, or ask for at least 1".to_owned());
        }
        if self
            .expect
            .managed_rule_groups
            .iter()
            .any(|g| g.trim().is_empty())
        {
            problems.push("managed_rule_groups has an empty name".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-wafv2", self, ctx)
    }
}
