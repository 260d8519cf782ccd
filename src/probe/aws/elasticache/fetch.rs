//! `aws_elasticache` against the API: DescribeReplicationGroups once per run,
//! every page, through the call cache.

use aws_sdk_elasticache::Client;

use super::{ElasticacheProbe, Group, judge};
use crate::probe::aws::calls::CallKey;
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &ElasticacheProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &ElasticacheProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let all = shared
        .calls
        .get(
            CallKey::list("elasticache", "DescribeReplicationGroups", &access),
            move || groups(client),
        )
        .await?;
    let id = probe.replication_group.trim();
    let Some(group) = all.iter().find(|g| g.id == id) else {
        let mut v = Verdicts::new();
        v.check(
            false,
            format!("replication group {id}"),
            "not found",
            || format!("no replication group `{id}`{}", access.describe()),
        );
        return Ok(v.finish(""));
    };
    Ok(judge(group, &probe.expect))
}

async fn groups(client: Client) -> Result<Vec<Group>, String> {
    Ok(all_pages!(
        "elasticache",
        "DescribeReplicationGroups",
        client.describe_replication_groups().into_paginator(),
        |page| {
            page.replication_groups
                .unwrap_or_default()
                .into_iter()
                .map(|g| Group {
                    id: g.replication_group_id().unwrap_or_default().to_owned(),
                    status: g.status().unwrap_or_default().to_owned(),
                    cluster_mode: g.cluster_enabled() == Some(true),
                    at_rest: g.at_rest_encryption_enabled() == Some(true),
                    in_transit: g.transit_encryption_enabled() == Some(true),
                    transit_mode: g
                        .transit_encryption_mode()
                        .map(|m| m.as_str().to_owned())
                        .unwrap_or_default(),
                    retention_days: g.snapshot_retention_limit().unwrap_or(0),
                    failover: g
                        .automatic_failover()
                        .map(|f| f.as_str().to_owned())
                        .unwrap_or_default(),
                })
        }
    ))
}
