//! `aws_ec2`: a VPC, found by id or `Name` tag, and its network: public and
//! private subnets across availability zones, security groups that open admin
//! or database ports to the world, network ACLs that allow everything, flow logs.
//!
//! ```yaml
//! probe:
//!   aws_ec2:
//!     vpc: prod                       # vpc-0abc… or the Name tag
//!     expect:
//!       public_subnets: 2             # route 0.0.0.0/0 to an internet gateway
//!       private_subnets: 2
//!       zones: 2                      # each kind spread over at least 2 AZs
//!       admin_ports_closed: true      # no 0.0.0.0/0 or ::/0 on admin_ports
//!       restrictive_nacls: true       # no network ACL lets all traffic in
//!       flow_logs: true
//! ```
//!
//! Every describe call is made once per run for the whole region (DescribeVpcs,
//! DescribeSubnets, DescribeRouteTables, DescribeSecurityGroups,
//! DescribeNetworkAcls, DescribeFlowLogs), only when some probe needs it, and
//! read by every `aws_ec2` probe with the same settings.

pub mod judge;

#[cfg(feature = "aws-ec2")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::{Context, Finding, Probe};

/// Admin and database ports checked by `admin_ports_closed` unless
/// `admin_ports` says otherwise: SSH, RDP, PostgreSQL, MySQL, Redis, Elasticsearch.
pub const DEFAULT_ADMIN_PORTS: &[u16] = &[22, 3389, 5432, 3306, 6379, 9200];

/// Configuration of an `aws_ec2` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Probe {
    /// The VPC: its id (`vpc-0abc…`) or its `Name` tag (required).
    pub vpc: Text,
    /// What the VPC must look like (default: it exists).
    #[serde(default)]
    pub expect: Ec2Expect,
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

/// Expectations on a VPC.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ec2Expect {
    /// At least this many public subnets (their route table sends 0.0.0.0/0
    /// or ::/0 to an internet gateway).
    #[serde(default)]
    pub public_subnets: Option<usize>,
    /// At least this many private subnets (every other subnet).
    #[serde(default)]
    pub private_subnets: Option<usize>,
    /// The public subnets, and the private ones, each span at least this many
    /// availability zones.
    #[serde(default)]
    pub zones: Option<usize>,
    /// No security group in the VPC opens one of `admin_ports` to 0.0.0.0/0 or ::/0.
    #[serde(default)]
    pub admin_ports_closed: bool,
    /// The ports `admin_ports_closed` looks at (default 22, 3389, 5432, 3306, 6379, 9200).
    #[serde(default)]
    pub admin_ports: Option<Vec<u16>>,
    /// The VPC's subnets have network ACLs, and none of them lets all
    /// traffic in from anywhere before a deny rule.
    #[serde(default)]
    pub restrictive_nacls: bool,
    /// An active flow log records the VPC's traffic.
    #[serde(default)]
    pub flow_logs: bool,
}

super::settings_of!(Ec2Probe);

impl Probe for Ec2Probe {
    fn target(&self) -> String {
        format!(
            "aws ec2 vpc {}{}",
            self.vpc.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-ec2"), "aws_ec2", "aws-ec2");
        problems.extend(self.settings().validate());
        if self.vpc.trim().is_empty() {
            problems.push("`vpc` is empty: give its id or Name tag".to_owned());
        }
        let e = &self.expect;
        if e.zones == Some(0) {
            problems.push("`zones` is 0: leave it out, or ask for at least 1".to_owned());
        }
        if e.zones.is_some() && e.public_subnets.is_none() && e.private_subnets.is_none() {
            problems.push(
                "`zones` counts the zones of public and private subnets: also give `public_subnets` or `private_subnets`".to_owned(),
            );
        }
        if e.admin_ports.is_some() && !e.admin_ports_closed {
            problems.push("`admin_ports` is read only with `admin_ports_closed: true`".to_owned());
        }
        if e.admin_ports.as_ref().is_some_and(Vec::is_empty) {
            problems.push("`admin_ports` is empty: list at least one port".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-ec2", self, ctx)
    }
}

impl Ec2Expect {
    /// The ports `admin_ports_closed` looks at.
    pub fn ports(&self) -> Vec<u16> {
        self.admin_ports
            .clone()
            .unwrap_or_else(|| DEFAULT_ADMIN_PORTS.to_vec())
    }
}
