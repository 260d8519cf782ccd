//! `aws_cloudfront`: a distribution, found by id, alias (CNAME) or comment, is
//! deployed and enabled, refuses old TLS (its viewer certificate's security
//! policy), and keeps viewers on HTTPS.
//!
//! ```yaml
//! probe:
//!   aws_cloudfront:
//!     distribution: cdn.example.com    # E2ABC…, an alias, or the comment
//!     expect:
//!       min_tls: TLSv1.2_2021          # the viewer certificate's MinimumProtocolVersion
//!       viewer_protocol: redirect-to-https
//! ```
//!
//! One ListDistributions call per run (every page) serves every
//! `aws_cloudfront` probe with the same settings, and the `aws_wafv2` probes
//! that look for a distribution's web ACL. CloudFront is global: `region` only
//! chooses the endpoint.

pub mod judge;

#[cfg(feature = "aws-cloudfront")]
pub(crate) mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_cloudfront` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudfrontProbe {
    /// The distribution: its id (`E2ABC…`), one of its aliases (CNAMEs), or its
    /// comment (required).
    pub distribution: Text,
    /// What the distribution must look like (default: it is deployed and enabled).
    #[serde(default)]
    pub expect: CloudfrontExpect,
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

/// Expectations on a distribution.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloudfrontExpect {
    /// Its status is `Deployed` (its last change has reached every edge); default true.
    #[serde(default = "yes")]
    pub deployed: bool,
    /// It is enabled (serves requests); default true.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The oldest security policy accepted for viewers (`TLSv1.2_2021`):
    /// the viewer certificate's MinimumProtocolVersion must be at least as
    /// strict. The default `*.cloudfront.net` certificate counts as `TLSv1`.
    #[serde(default)]
    pub min_tls: Option<String>,
    /// Every cache behaviour keeps viewers on HTTPS: `redirect-to-https`
    /// (redirecting or refusing HTTP both hold) or `https-only` (only refusing holds).
    #[serde(default)]
    pub viewer_protocol: Option<ViewerProtocol>,
}

impl Default for CloudfrontExpect {
    fn default() -> Self {
        CloudfrontExpect {
            deployed: true,
            enabled: true,
            min_tls: None,
            viewer_protocol: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// How strictly viewers must be kept on HTTPS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewerProtocol {
    /// `redirect-to-https` or `https-only`.
    RedirectToHttps,
    /// `https-only`.
    HttpsOnly,
}

super::settings_of!(CloudfrontProbe);

impl Probe for CloudfrontProbe {
    fn target(&self) -> String {
        format!(
            "aws cloudfront distribution {}{}",
            self.distribution.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(
            cfg!(feature = "aws-cloudfront"),
            "aws_cloudfront",
            "aws-cloudfront",
        );
        problems.extend(self.settings().validate());
        if self.distribution.trim().is_empty() {
            problems
                .push("`distribution` is empty: give its id, an alias or its comment".to_owned());
        }
        if let Some(policy) = &self.expect.min_tls
            && judge::tls_rank(policy).is_none()
        {
            problems.push(format!(
                "min_tls `{policy}` is not a CloudFront security policy (like TLSv1.2_2021)"
            ));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-cloudfront", self, ctx)
    }
}
