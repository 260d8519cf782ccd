//! `aws_secretsmanager` against the API: ListSecrets once per run (metadata
//! only — no call here can return a secret's value).

use aws_sdk_secretsmanager::Client;

use super::{Secret, SecretsProbe, judge};
use crate::probe::aws::calls::CallKey;
use crate::probe::aws::verdict::{Verdicts, now_epoch};
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &SecretsProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &SecretsProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let all = shared
        .calls
        .get(
            CallKey::list("secretsmanager", "ListSecrets", &access),
            move || list(client),
        )
        .await?;
    let wanted = probe.secret.trim();
    let Some(secret) = all.iter().find(|s| s.name == wanted || s.arn == wanted) else {
        let mut v = Verdicts::new();
        v.check(false, format!("secret {wanted}"), "not found", || {
            format!("no secret `{wanted}`{}", access.describe())
        });
        return Ok(v.finish(""));
    };
    Ok(judge(secret, &probe.expect, now_epoch()))
}

async fn list(client: Client) -> Result<Vec<Secret>, String> {
    Ok(all_pages!(
        "secretsmanager",
        "ListSecrets",
        client.list_secrets().into_paginator(),
        |page| {
            page.secret_list
                .unwrap_or_default()
                .into_iter()
                .map(|s| Secret {
                    name: s.name().unwrap_or_default().to_owned(),
                    arn: s.arn().unwrap_or_default().to_owned(),
                    rotation: s.rotation_enabled() == Some(true),
                    rotated: s.last_rotated_date().map(aws_smithy_types::DateTime::secs),
                })
        }
    ))
}
