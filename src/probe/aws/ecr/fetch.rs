//! `aws_ecr` against the API: DescribeRepositories once per run (every page)
//! and, for `scan_on_push`, GetRegistryScanningConfiguration once per run,
//! through the call cache.

use aws_sdk_ecr::Client;

use super::{EcrProbe, Repository, ScanRule, judge};
use crate::probe::aws::calls::{CallKey, describe};
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &EcrProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &EcrProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let calls = &shared.calls;
    let c = client.clone();
    let all = calls
        .get(
            CallKey::list("ecr", "DescribeRepositories", &access),
            move || repositories(c),
        )
        .await?;
    let rules = if probe.expect.scan_on_push {
        calls
            .get(
                CallKey::list("ecr", "GetRegistryScanningConfiguration", &access),
                move || scan_rules(client),
            )
            .await?
    } else {
        std::sync::Arc::new(Vec::new())
    };
    let wanted: Vec<String> = probe
        .repositories
        .iter()
        .map(|r| r.trim().to_owned())
        .collect();
    Ok(judge(
        &all,
        &wanted,
        &rules,
        &access.describe(),
        &probe.expect,
    ))
}

async fn repositories(client: Client) -> Result<Vec<Repository>, String> {
    Ok(all_pages!(
        "ecr",
        "DescribeRepositories",
        client.describe_repositories().into_paginator(),
        |page| {
            page.repositories
                .unwrap_or_default()
                .into_iter()
                .map(|r| Repository {
                    name: r.repository_name().unwrap_or_default().to_owned(),
                    scan_on_push: r
                        .image_scanning_configuration()
                        .is_some_and(aws_sdk_ecr::types::ImageScanningConfiguration::scan_on_push),
                    tag_mutability: r
                        .image_tag_mutability()
                        .map_or("MUTABLE", |m| m.as_str())
                        .to_owned(),
                })
        }
    ))
}

async fn scan_rules(client: Client) -> Result<Vec<ScanRule>, String> {
    let answer = client
        .get_registry_scanning_configuration()
        .send()
        .await
        .map_err(|e| describe("ecr", "GetRegistryScanningConfiguration", &e))?;
    Ok(answer
        .scanning_configuration()
        .map(aws_sdk_ecr::types::RegistryScanningConfiguration::rules)
        .unwrap_or_default()
        .iter()
        .map(|rule| ScanRule {
            frequency: rule.scan_frequency().as_str().to_owned(),
            filters: rule
                .repository_filters()
                .iter()
                .map(|f| f.filter().to_owned())
                .collect(),
        })
        .collect())
}
