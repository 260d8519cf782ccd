//! `aws_eks`: an EKS cluster is active, runs a recent enough Kubernetes,
//! keeps its API endpoint off the internet, and sends the control-plane logs
//! asked for to CloudWatch.
//!
//! ```yaml
//! probe:
//!   aws_eks:
//!     cluster: prod
//!     expect: { min_version: "1.30", public_endpoint: false, logging: [api, audit, authenticator] }
//! ```
//!
//! One DescribeCluster call per cluster per run, however many probes read it.

#[cfg(feature = "aws-eks")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::aws::rds::judge::{version_at_least, version_parts};
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding, Probe};

/// The control-plane log types EKS knows.
pub const LOG_TYPES: &[&str] = &[
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// Configuration of an `aws_eks` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EksProbe {
    /// The cluster's name (required).
    pub cluster: Text,
    /// What the cluster must look like (default: it is `ACTIVE`).
    #[serde(default)]
    pub expect: EksExpect,
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

/// Expectations on a cluster (its status must always be `ACTIVE`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EksExpect {
    /// The lowest Kubernetes version accepted (`"1.30"`), compared number by number.
    #[serde(default)]
    pub min_version: Option<String>,
    /// The API server endpoint is reachable from the internet (or, usually, not).
    #[serde(default)]
    pub public_endpoint: Option<bool>,
    /// These control-plane log types are enabled: `api`, `audit`,
    /// `authenticator`, `controllerManager`, `scheduler`.
    #[serde(default)]
    pub logging: Vec<String>,
}

super::settings_of!(EksProbe);

/// What DescribeCluster says.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    /// Its name.
    pub name: String,
    /// `ACTIVE`, `CREATING`, `UPDATING`, …
    pub status: String,
    /// Kubernetes version (`1.30`).
    pub version: String,
    /// The API endpoint is public.
    pub public: bool,
    /// The CIDR blocks allowed to reach the public endpoint.
    pub public_cidrs: Vec<String>,
    /// The enabled control-plane log types.
    pub logging: Vec<String>,
}

/// Judges a cluster against the expectations.
pub fn judge(c: &Cluster, e: &EksExpect) -> Finding {
    let mut v = Verdicts::new();
    let name = c.name.as_str();
    let mut summary = vec![format!("{name}: {} Kubernetes {}", c.status, c.version)];
    v.check(
        c.status == "ACTIVE",
        "status ACTIVE",
        format!("{name}: {}", c.status),
        || format!("{name}: status {}, expected ACTIVE", c.status),
    );
    if let Some(min) = &e.min_version {
        v.check(
            version_at_least(&c.version, min),
            format!("Kubernetes >= {min}"),
            format!("{name}: {}", c.version),
            || format!("{name}: Kubernetes {} < {min}", c.version),
        );
    }
    if let Some(wanted) = e.public_endpoint {
        let seen = if c.public {
            format!("public endpoint ({})", c.public_cidrs.join(", "))
        } else {
            "private endpoint".to_owned()
        };
        let expected = if wanted {
            "public endpoint"
        } else {
            "private endpoint"
        };
        v.check(
            wanted == c.public,
            expected,
            format!("{name}: {seen}"),
            || format!("{name}: {seen}"),
        );
        if wanted == c.public {
            summary.push(seen);
        }
    }
    let missing: Vec<&str> = e
        .logging
        .iter()
        .map(String::as_str)
        .filter(|t| !c.logging.iter().any(|l| l == t))
        .collect();
    if !e.logging.is_empty() {
        v.check(
            missing.is_empty(),
            format!("logging {}", e.logging.join(", ")),
            format!("{name}: logging {}", c.logging.join(", ")),
            || format!("{name}: {} logs off", missing.join(", ")),
        );
        if missing.is_empty() {
            summary.push(format!("{} logs on", e.logging.join(", ")));
        }
    }
    v.finish(&summary.join(", "))
}

impl Probe for EksProbe {
    fn target(&self) -> String {
        format!(
            "aws eks cluster {}{}",
            self.cluster.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-eks"), "aws_eks", "aws-eks");
        problems.extend(self.settings().validate());
        if self.cluster.trim().is_empty() {
            problems.push("`cluster` is empty: give the cluster's name".to_owned());
        }
        if let Some(v) = &self.expect.min_version
            && version_parts(v).is_empty()
        {
            problems.push(format!("min_version `{v}` has no numbers to compare"));
        }
        for t in &self.expect.logging {
            if !LOG_TYPES.contains(&t.as_str()) {
                problems.push(format!(
                    "logging: `{t}` is not an EKS log type (one of {})",
                    LOG_TYPES.join(", ")
                ));
            }
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-eks", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn prod() -> Cluster {
        Cluster {
            name: "prod".into(),
            status: "ACTIVE".into(),
            version: "1.31".into(),
            public: false,
            public_cidrs: Vec::new(),
            logging: vec!["api".into(), "audit".into()],
        }
    }

    fn strict() -> EksExpect {
        EksExpect {
            min_version: Some("1.30".into()),
            public_endpoint: Some(false),
            logging: vec!["api".into(), "audit".into()],
        }
    }

    #[test]
    fn an_active_private_logged_cluster_passes() {
        let f = judge(&prod(), &strict());
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "prod: ACTIVE Kubernetes 1.31, private endpoint, api, audit logs on"
        );
    }

    #[test]
    fn each_gap_is_named() {
        let old = Cluster {
            status: "UPDATING".into(),
            version: "1.29".into(),
            public: true,
            public_cidrs: vec!["0.0.0.0/0".into()],
            logging: vec!["api".into()],
            ..prod()
        };
        let f = judge(&old, &strict());
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "prod: status UPDATING, expected ACTIVE; prod: Kubernetes 1.29 < 1.30; \
             prod: public endpoint (0.0.0.0/0); prod: audit logs off"
        );
    }
}
