//! `aws_cloudtrail` against the API: DescribeTrails once per run,
//! GetTrailStatus once per trail, through the call cache.

use aws_sdk_cloudtrail::Client;

use super::{CloudtrailProbe, Trail, judge};
use crate::probe::aws::calls::{CallKey, describe};
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &CloudtrailProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &CloudtrailProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let calls = &shared.calls;
    let c = client.clone();
    let all = calls
        .get(
            CallKey::list("cloudtrail", "DescribeTrails", &access),
            move || trails(c),
        )
        .await?;
    let wanted = probe.trail.as_ref().map(|t| t.trim().to_owned());
    let mut chosen: Vec<Trail> = all
        .iter()
        .filter(|t| wanted.as_ref().is_none_or(|w| &t.name == w || &t.arn == w))
        .cloned()
        .collect();
    if probe.expect.logging {
        for t in &mut chosen {
            let (c, arn) = (client.clone(), t.arn.clone());
            let key = CallKey::about("cloudtrail", "GetTrailStatus", &t.arn, &access);
            t.logging = *calls.get(key, move || logging(c, arn)).await?;
        }
    }
    Ok(judge(&chosen, wanted.as_deref(), &probe.expect))
}

async fn trails(client: Client) -> Result<Vec<Trail>, String> {
    let out = client
        .describe_trails()
        .include_shadow_trails(true)
        .send()
        .await
        .map_err(|e| describe("cloudtrail", "DescribeTrails", &e))?;
    Ok(out
        .trail_list()
        .iter()
        .map(|t| Trail {
            name: t.name().unwrap_or_default().to_owned(),
            arn: t.trail_arn().unwrap_or_default().to_owned(),
            multi_region: t.is_multi_region_trail() == Some(true),
            validation: t.log_file_validation_enabled() == Some(true),
            logging: false,
        })
        .collect())
}

async fn logging(client: Client, arn: String) -> Result<bool, String> {
    let out = client
        .get_trail_status()
        .name(arn)
        .send()
        .await
        .map_err(|e| describe("cloudtrail", "GetTrailStatus", &e))?;
    Ok(out.is_logging() == Some(true))
}
