//! `aws_rds`: a database instance or Aurora cluster exists and is available,
//! runs the expected engine and version, survives a zone (Multi-AZ), is
//! encrypted, protected from deletion, backed up, recoverable to a point in
//! time within the RPO, replicated, private, and recently snapshotted.
//!
//! ```yaml
//! probe:
//!   aws_rds:
//!     instance: db-prod               # or cluster: aurora-prod
//!     expect:
//!       engine: postgres
//!       min_version: "15.4"
//!       multi_az: true
//!       encrypted: true
//!       deletion_protection: true
//!       backup_retention_days: 7
//!       restorable_within: 15m        # LatestRestorableTime no older (the RPO)
//!       read_replicas: 1
//!       publicly_accessible: false
//!       snapshot_within: 24h          # an automated or manual snapshot this recent
//! ```
//!
//! One DescribeDBInstances (or DescribeDBClusters) call per run serves every
//! `aws_rds` probe with the same settings; snapshots add one
//! DescribeDBSnapshots (DescribeDBClusterSnapshots) call, only when asked.

pub mod judge;

#[cfg(feature = "aws-rds")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::scalar::Dur;
use crate::checklist::text::Text;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_rds` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsProbe {
    /// A DB instance identifier (this or `cluster`).
    #[serde(default)]
    pub instance: Option<Text>,
    /// A DB cluster identifier (Aurora, Multi-AZ clusters).
    #[serde(default)]
    pub cluster: Option<Text>,
    /// What the database must look like (default: it exists and is `available`).
    #[serde(default)]
    pub expect: RdsExpect,
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

/// Expectations on a database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdsExpect {
    /// Its status (default `available`).
    #[serde(default = "available")]
    pub status: String,
    /// Its engine: `postgres`, `mysql`, `aurora-postgresql`, …
    #[serde(default)]
    pub engine: Option<String>,
    /// The lowest engine version accepted, compared number by number (`15.4` < `15.10`).
    #[serde(default)]
    pub min_version: Option<String>,
    /// Multi-AZ on (or off).
    #[serde(default)]
    pub multi_az: Option<bool>,
    /// Storage encrypted (or not).
    #[serde(default)]
    pub encrypted: Option<bool>,
    /// Deletion protection on (or off).
    #[serde(default)]
    pub deletion_protection: Option<bool>,
    /// Automated backups kept at least this many days.
    #[serde(default)]
    pub backup_retention_days: Option<u32>,
    /// Point-in-time recovery reaches at least this close to now (the RPO):
    /// LatestRestorableTime is no older.
    #[serde(default)]
    pub restorable_within: Option<Dur>,
    /// At least this many read replicas (a cluster: readers).
    #[serde(default)]
    pub read_replicas: Option<usize>,
    /// Reachable from the internet (or, usually, not).
    #[serde(default)]
    pub publicly_accessible: Option<bool>,
    /// An available automated or manual snapshot no older than this.
    #[serde(default)]
    pub snapshot_within: Option<Dur>,
}

impl Default for RdsExpect {
    fn default() -> Self {
        RdsExpect {
            status: available(),
            engine: None,
            min_version: None,
            multi_az: None,
            encrypted: None,
            deletion_protection: None,
            backup_retention_days: None,
            restorable_within: None,
            read_replicas: None,
            publicly_accessible: None,
            snapshot_within: None,
        }
    }
}

fn available() -> String {
    "available".to_owned()
}

super::settings_of!(RdsProbe);

impl RdsProbe {
    /// `instance db-prod` or `cluster aurora-prod`.
    pub fn what(&self) -> (&'static str, &str) {
        match (&self.instance, &self.cluster) {
            (Some(i), _) => ("instance", i.as_str()),
            (None, Some(c)) => ("cluster", c.as_str()),
            (None, None) => ("instance", ""),
        }
    }
}

impl Probe for RdsProbe {
    fn target(&self) -> String {
        let (kind, id) = self.what();
        format!("aws rds {kind} {id}{}", self.settings().access().describe())
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-rds"), "aws_rds", "aws-rds");
        problems.extend(self.settings().validate());
        match (&self.instance, &self.cluster) {
            (None, None) => problems.push("give `instance` or `cluster`".to_owned()),
            (Some(_), Some(_)) => {
                problems.push("give `instance` or `cluster`, not both".to_owned());
            }
            (Some(id), None) | (None, Some(id)) if id.trim().is_empty() => {
                problems.push("the identifier is empty".to_owned());
            }
            _ => {}
        }
        let e = &self.expect;
        if let Some(v) = &e.min_version
            && judge::version_parts(v).is_empty()
        {
            problems.push(format!("min_version `{v}` has no numbers to compare"));
        }
        for (name, d) in [
            ("restorable_within", e.restorable_within),
            ("snapshot_within", e.snapshot_within),
        ] {
            if d.is_some_and(|d| d.0.is_zero()) {
                problems.push(format!("{name} is 0: nothing can be that recent"));
            }
        }
        if e.restorable_within.is_some() && e.backup_retention_days == Some(0) {
            problems.push("point-in-time recovery needs backups: backup_retention_days cannot be 0 with restorable_within".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-rds", self, ctx)
    }
}
