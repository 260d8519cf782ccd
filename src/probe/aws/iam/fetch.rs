//! `aws_iam` against the API, each call once per run through the call cache.

use std::time::Duration;

use aws_sdk_iam::Client;
use aws_sdk_iam::types::{ReportStateType, SummaryKeyType};

use super::IamProbe;
use super::judge::{Account, Policy, User, judge, parse_report};
use crate::probe::aws::calls::{CallKey, code, describe};
use crate::probe::{Context, Finding};

/// The most a credential report is read, in bytes.
const MAX_REPORT: usize = 8 << 20;

pub(super) async fn run(probe: &IamProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &IamProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let calls = &shared.calls;
    let key = |op| CallKey::list("iam", op, &access);
    let e = &probe.expect;
    let mut account = Account::default();
    if e.root_mfa {
        let c = client.clone();
        account.root_mfa = *calls
            .get(key("GetAccountSummary"), move || root_mfa(c))
            .await?;
    }
    if e.console_users_mfa {
        let c = client.clone();
        account.users = calls
            .get(key("GetCredentialReport"), move || report(c))
            .await?
            .to_vec();
    }
    if e.password_policy.is_some() {
        let c = client.clone();
        account.policy.clone_from(
            &*calls
                .get(key("GetAccountPasswordPolicy"), move || policy(c))
                .await?,
        );
    }
    if !e.roles.is_empty() {
        let c = client.clone();
        account.roles = calls
            .get(key("ListRoles"), move || roles(c))
            .await?
            .to_vec();
    }
    Ok(judge(&account, e))
}

async fn root_mfa(client: Client) -> Result<bool, String> {
    let out = client
        .get_account_summary()
        .send()
        .await
        .map_err(|e| describe("iam", "GetAccountSummary", &e))?;
    Ok(out
        .summary_map()
        .and_then(|m| m.get(&SummaryKeyType::AccountMfaEnabled))
        .is_some_and(|n| *n > 0))
}

async fn report(client: Client) -> Result<Vec<User>, String> {
    // A report is generated on request and may take a few seconds.
    for attempt in 0..30 {
        let state = client
            .generate_credential_report()
            .send()
            .await
            .map_err(|e| describe("iam", "GenerateCredentialReport", &e))?;
        if state.state() == Some(&ReportStateType::Complete) {
            break;
        }
        if attempt == 29 {
            return Err("the IAM credential report was still being generated after 30s".to_owned());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let out = client
        .get_credential_report()
        .send()
        .await
        .map_err(|e| describe("iam", "GetCredentialReport", &e))?;
    let bytes: &[u8] = match out.content() {
        Some(blob) => blob.as_ref(),
        None => &[],
    };
    if bytes.len() > MAX_REPORT {
        return Err(format!(
            "the IAM credential report is larger than {} MiB",
            MAX_REPORT >> 20
        ));
    }
    parse_report(&String::from_utf8_lossy(bytes))
}

async fn policy(client: Client) -> Result<Option<Policy>, String> {
    match client.get_account_password_policy().send().await {
        Ok(out) => Ok(out.password_policy().map(|p| Policy {
            min_length: p.minimum_password_length().unwrap_or(0).max(0) as u32,
            symbols: p.require_symbols(),
            numbers: p.require_numbers(),
            uppercase: p.require_uppercase_characters(),
            lowercase: p.require_lowercase_characters(),
            max_age_days: p.max_password_age().filter(|d| *d > 0).map(|d| d as u32),
            reuse_prevention: p.password_reuse_prevention().unwrap_or(0).max(0) as u32,
        })),
        Err(e) if code(&e) == Some("NoSuchEntity") => Ok(None),
        Err(e) => Err(describe("iam", "GetAccountPasswordPolicy", &e)),
    }
}

async fn roles(client: Client) -> Result<Vec<String>, String> {
    Ok(all_pages!(
        "iam",
        "ListRoles",
        client.list_roles().into_paginator(),
        |page| page.roles.into_iter().map(|r| r.role_name)
    ))
}
