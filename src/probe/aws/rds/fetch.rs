//! `aws_rds` against the API: DescribeDBInstances or DescribeDBClusters (and
//! their snapshot calls when asked), once per run through the call cache.

use aws_sdk_rds::Client;
use aws_sdk_rds::primitives::DateTime;

use super::RdsProbe;
use super::judge::{Database, Snapshot, judge};
use crate::probe::aws::calls::CallKey;
use crate::probe::aws::verdict::{Verdicts, now_epoch};
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &RdsProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &RdsProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let calls = &shared.calls;
    let (kind, id) = probe.what();
    let cluster = kind == "cluster";
    let c = client.clone();
    let all = if cluster {
        calls
            .get(
                CallKey::list("rds", "DescribeDBClusters", &access),
                move || clusters(c),
            )
            .await?
    } else {
        calls
            .get(
                CallKey::list("rds", "DescribeDBInstances", &access),
                move || instances(c),
            )
            .await?
    };
    let Some(db) = all.iter().find(|d| d.id == id) else {
        let mut v = Verdicts::new();
        v.check(false, format!("DB {kind} {id}"), "not found", || {
            format!("no DB {kind} `{id}`{}", access.describe())
        });
        return Ok(v.finish(""));
    };
    let mut snapshots = Vec::new();
    if probe.expect.snapshot_within.is_some() {
        let c = client.clone();
        let found = if cluster {
            calls
                .get(
                    CallKey::list("rds", "DescribeDBClusterSnapshots", &access),
                    move || cluster_snapshots(c),
                )
                .await?
        } else {
            calls
                .get(
                    CallKey::list("rds", "DescribeDBSnapshots", &access),
                    move || instance_snapshots(c),
                )
                .await?
        };
        snapshots = found.iter().filter(|s| s.database == id).cloned().collect();
    }
    Ok(judge(db, &snapshots, &probe.expect, now_epoch()))
}

fn secs(t: Option<&DateTime>) -> Option<i64> {
    t.map(DateTime::secs)
}

async fn instances(client: Client) -> Result<Vec<Database>, String> {
    Ok(all_pages!(
        "rds",
        "DescribeDBInstances",
        client.describe_db_instances().into_paginator(),
        |page| {
            page.db_instances
                .unwrap_or_default()
                .into_iter()
                .map(|d| Database {
                    id: d.db_instance_identifier().unwrap_or_default().to_owned(),
                    status: d.db_instance_status().unwrap_or_default().to_owned(),
                    engine: d.engine().unwrap_or_default().to_owned(),
                    version: d.engine_version().unwrap_or_default().to_owned(),
                    multi_az: d.multi_az() == Some(true),
                    encrypted: d.storage_encrypted() == Some(true),
                    deletion_protection: d.deletion_protection() == Some(true),
                    retention_days: d.backup_retention_period().unwrap_or(0),
                    latest_restorable: secs(d.latest_restorable_time()),
                    replicas: d.read_replica_db_instance_identifiers().len()
                        + d.read_replica_db_cluster_identifiers().len(),
                    public: d.publicly_accessible() == Some(true),
                })
        }
    ))
}

async fn clusters(client: Client) -> Result<Vec<Database>, String> {
    Ok(all_pages!(
        "rds",
        "DescribeDBClusters",
        client.describe_db_clusters().into_paginator(),
        |page| {
            page.db_clusters
                .unwrap_or_default()
                .into_iter()
                .map(|d| Database {
                    id: d.db_cluster_identifier().unwrap_or_default().to_owned(),
                    status: d.status().unwrap_or_default().to_owned(),
                    engine: d.engine().unwrap_or_default().to_owned(),
                    version: d.engine_version().unwrap_or_default().to_owned(),
                    multi_az: d.multi_az() == Some(true),
                    encrypted: d.storage_encrypted() == Some(true),
                    deletion_protection: d.deletion_protection() == Some(true),
                    retention_days: d.backup_retention_period().unwrap_or(0),
                    latest_restorable: secs(d.latest_restorable_time()),
                    replicas: d
                        .db_cluster_members()
                        .iter()
                        .filter(|m| m.is_cluster_writer() != Some(true))
                        .count()
                        + d.read_replica_identifiers().len(),
                    public: d.publicly_accessible() == Some(true),
                })
        }
    ))
}

async fn instance_snapshots(client: Client) -> Result<Vec<Snapshot>, String> {
    Ok(all_pages!(
        "rds",
        "DescribeDBSnapshots",
        client.describe_db_snapshots().into_paginator(),
        |page| {
            page.db_snapshots
                .unwrap_or_default()
                .into_iter()
                .map(|s| Snapshot {
                    database: s.db_instance_identifier().unwrap_or_default().to_owned(),
                    created: secs(s.snapshot_create_time()),
                    status: s.status().unwrap_or_default().to_owned(),
                })
        }
    ))
}

async fn cluster_snapshots(client: Client) -> Result<Vec<Snapshot>, String> {
    Ok(all_pages!(
        "rds",
        "DescribeDBClusterSnapshots",
        client.describe_db_cluster_snapshots().into_paginator(),
        |page| {
            page.db_cluster_snapshots
                .unwrap_or_default()
                .into_iter()
                .map(|s| Snapshot {
                    database: s.db_cluster_identifier().unwrap_or_default().to_owned(),
                    created: secs(s.snapshot_create_time()),
                    status: s.status().unwrap_or_default().to_owned(),
                })
        }
    ))
}
