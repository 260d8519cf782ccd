//! `aws_acm` against the API: ListCertificates once per run, every page and
//! every key type (ACM lists only RSA-2048 certificates unless asked for the
//! others), through the call cache.

use aws_sdk_acm::Client;
use aws_sdk_acm::types::{Filters, KeyAlgorithm};

use super::{AcmProbe, Certificate, judge};
use crate::probe::aws::calls::CallKey;
use crate::probe::aws::verdict::now_epoch;
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &AcmProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &AcmProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let all = shared
        .calls
        .get(
            CallKey::list("acm", "ListCertificates", &access),
            move || certificates(client),
        )
        .await?;
    let wanted = probe.certificate.trim();
    let matched: Vec<&Certificate> = all.iter().filter(|c| c.is(wanted)).collect();
    Ok(judge(
        &matched,
        wanted,
        &access.describe(),
        &probe.expect,
        now_epoch(),
    ))
}

async fn certificates(client: Client) -> Result<Vec<Certificate>, String> {
    let every_key_type = Filters::builder()
        .set_key_types(Some(
            KeyAlgorithm::values()
                .iter()
                .map(|k| KeyAlgorithm::from(*k))
                .collect(),
        ))
        .build();
    Ok(all_pages!(
        "acm",
        "ListCertificates",
        client
            .list_certificates()
            .includes(every_key_type)
            .into_paginator(),
        |page| {
            page.certificate_summary_list
                .unwrap_or_default()
                .into_iter()
                .map(|c| Certificate {
                    arn: c.certificate_arn().unwrap_or_default().to_owned(),
                    domain: c.domain_name().unwrap_or_default().to_owned(),
                    sans: c.subject_alternative_name_summaries().to_vec(),
                    status: c
                        .status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                    not_after: c.not_after().map(aws_smithy_types::DateTime::secs),
                })
        }
    ))
}
