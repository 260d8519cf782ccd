//! `aws_s3` against the API: ListBuckets once per run, the per-bucket calls
//! once per bucket, through the call cache.

use aws_sdk_s3::Client;
use aws_sdk_s3::error::SdkError;

use super::{Bucket, S3Probe, judge};
use crate::probe::aws::Access;
use crate::probe::aws::calls::{CallKey, code, describe};
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &S3Probe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &S3Probe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let mut builder = aws_sdk_s3::config::Builder::from(config.as_ref());
    if config.endpoint_url().is_some() {
        builder = builder.force_path_style(true);
    }
    let client = Client::from_conf(builder.build());
    let calls = &shared.calls;
    let name = probe.bucket.trim().to_owned();
    let c = client.clone();
    let names = calls
        .get(CallKey::list("s3", "ListBuckets", &access), move || list(c))
        .await?;
    if !names.contains(&name) {
        let mut v = Verdicts::new();
        v.check(false, format!("bucket {name}"), "not found", || {
            format!(
                "no bucket `{name}` in the account{}",
                describe_access(&access)
            )
        });
        return Ok(v.finish(""));
    }
    let e = &probe.expect;
    let mut bucket = Bucket {
        name: name.clone(),
        ..Bucket::default()
    };
    let key = |op| CallKey::about("s3", op, &name, &access);
    if e.public_access_blocked {
        let (c, n) = (client.clone(), name.clone());
        bucket.blocks = *calls
            .get(key("GetPublicAccessBlock"), move || blocks(c, n))
            .await?;
    }
    if e.encrypted {
        let (c, n) = (client.clone(), name.clone());
        bucket.encryption.clone_from(
            &*calls
                .get(key("GetBucketEncryption"), move || encryption(c, n))
                .await?,
        );
    }
    if e.versioning {
        let (c, n) = (client.clone(), name.clone());
        bucket.versioning.clone_from(
            &*calls
                .get(key("GetBucketVersioning"), move || versioning(c, n))
                .await?,
        );
    }
    Ok(judge(&bucket, e))
}

fn describe_access(access: &Access) -> String {
    access.describe()
}

async fn list(client: Client) -> Result<Vec<String>, String> {
    Ok(all_pages!(
        "s3",
        "ListBuckets",
        client.list_buckets().into_paginator(),
        |page| {
            page.buckets
                .unwrap_or_default()
                .into_iter()
                .filter_map(|b| b.name)
        }
    ))
}

async fn blocks(client: Client, bucket: String) -> Result<Option<[bool; 4]>, String> {
    match client
        .get_public_access_block()
        .bucket(&bucket)
        .send()
        .await
    {
        Ok(out) => Ok(out.public_access_block_configuration().map(|c| {
            [
                c.block_public_acls() == Some(true),
                c.ignore_public_acls() == Some(true),
                c.block_public_policy() == Some(true),
                c.restrict_public_buckets() == Some(true),
            ]
        })),
        Err(e) if code(&e) == Some("NoSuchPublicAccessBlockConfiguration") => Ok(None),
        Err(e) => Err(describe("s3", "GetPublicAccessBlock", &e)),
    }
}

async fn encryption(client: Client, bucket: String) -> Result<Option<String>, String> {
    match client.get_bucket_encryption().bucket(&bucket).send().await {
        Ok(out) => Ok(out.server_side_encryption_configuration().and_then(|c| {
            c.rules().iter().find_map(|r| {
                r.apply_server_side_encryption_by_default()
                    .map(|d| d.sse_algorithm().as_str().to_owned())
            })
        })),
        Err(e) if code(&e) == Some("ServerSideEncryptionConfigurationNotFoundError") => Ok(None),
        Err(e) => Err(describe("s3", "GetBucketEncryption", &e)),
    }
}

async fn versioning(client: Client, bucket: String) -> Result<String, String> {
    match client.get_bucket_versioning().bucket(&bucket).send().await {
        Ok(out) => Ok(out
            .status()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default()),
        Err(SdkError::ServiceError(answer)) if answer.raw().status().as_u16() == 200 => {
            // An answer under another root element than S3's
            // <VersioningConfiguration> (moto's <GetBucketVersioningResponse>)
            // fails the SDK's parser; its <Status> means the same.
            let body = answer.raw().body().bytes().unwrap_or_default();
            let text = String::from_utf8_lossy(body);
            Ok(text
                .split_once("<Status>")
                .and_then(|(_, rest)| rest.split_once("</Status>"))
                .map(|(status, _)| status.trim().to_owned())
                .unwrap_or_default())
        }
        Err(e) => Err(describe("s3", "GetBucketVersioning", &e)),
    }
}
