//! `aws_cloudfront` against the API: ListDistributions once per run, every
//! page, through the call cache (shared with `aws_wafv2`).

use std::sync::Arc;

use aws_sdk_cloudfront::Client;
use aws_sdk_cloudfront::types::DistributionSummary;

use super::CloudfrontProbe;
use super::judge::{Distribution, find, judge};
use crate::probe::aws::calls::CallKey;
use crate::probe::aws::verdict::Verdicts;
use crate::probe::aws::{Access, Shared};
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &CloudfrontProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &CloudfrontProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let all = distributions(ctx.aws(), &access).await?;
    let wanted = probe.distribution.trim();
    match find(&all, wanted) {
        Ok(d) => Ok(judge(d, &probe.expect)),
        Err(reason) => {
            let mut v = Verdicts::new();
            v.check(false, format!("distribution {wanted}"), "not found", || {
                format!("{reason}{}", access.describe())
            });
            Ok(v.finish(""))
        }
    }
}

/// Every distribution of the account, listed once per run per settings.
pub(crate) async fn distributions(
    shared: &Shared,
    access: &Access,
) -> Result<Arc<Vec<Distribution>>, String> {
    let config = shared.config(access).await?;
    let client = Client::new(&config);
    shared
        .calls
        .get(
            CallKey::list("cloudfront", "ListDistributions", access),
            move || list(client),
        )
        .await
}

async fn list(client: Client) -> Result<Vec<Distribution>, String> {
    Ok(all_pages!(
        "cloudfront",
        "ListDistributions",
        client.list_distributions().into_paginator(),
        |page| {
            page.distribution_list
                .and_then(|list| list.items)
                .unwrap_or_default()
                .into_iter()
                .map(distribution)
        }
    ))
}

fn distribution(d: DistributionSummary) -> Distribution {
    let certificate = d.viewer_certificate.as_ref();
    let mut behaviours = Vec::new();
    if let Some(default) = &d.default_cache_behavior {
        behaviours.push((
            "*".to_owned(),
            default.viewer_protocol_policy.as_str().to_owned(),
        ));
    }
    for b in d
        .cache_behaviors
        .iter()
        .flat_map(|c| c.items.iter().flatten())
    {
        behaviours.push((
            b.path_pattern.clone(),
            b.viewer_protocol_policy.as_str().to_owned(),
        ));
    }
    Distribution {
        aliases: d
            .aliases
            .as_ref()
            .and_then(|a| a.items.clone())
            .unwrap_or_default(),
        default_certificate: certificate.and_then(|c| c.cloud_front_default_certificate)
            == Some(true),
        // CloudFront's default for a certificate of one's own is TLSv1.
        min_protocol: certificate
            .and_then(|c| c.minimum_protocol_version.as_ref())
            .map_or_else(|| "TLSv1".to_owned(), |p| p.as_str().to_owned()),
        behaviours,
        id: d.id,
        arn: d.arn,
        comment: d.comment,
        status: d.status,
        enabled: d.enabled,
        web_acl: d.web_acl_id,
    }
}
