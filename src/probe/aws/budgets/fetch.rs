//! `aws_budgets` against the API: the account id from STS GetCallerIdentity
//! (unless given), DescribeBudgets for that account and, for `alert`,
//! DescribeNotificationsForBudget per cost budget — each once per run,
//! through the call cache.

use aws_sdk_budgets::Client;

use super::{Budget, BudgetsProbe, judge};
use crate::probe::aws::Access;
use crate::probe::aws::calls::{CallKey, Calls, describe};
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &BudgetsProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &BudgetsProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let calls = &shared.calls;
    let account = match &probe.account_id {
        Some(id) => id.trim().to_owned(),
        None => caller_account(calls, &config, &access).await?,
    };
    let client = Client::new(&config);
    let (c, a) = (client.clone(), account.clone());
    let all = calls
        .get(
            CallKey::about("budgets", "DescribeBudgets", &account, &access),
            move || budgets(c, a),
        )
        .await?;
    let wanted = probe.budget.as_ref().map(|b| b.trim().to_owned());
    let mut chosen: Vec<Budget> = all
        .iter()
        .filter(|b| wanted.as_ref().is_none_or(|w| &b.name == w))
        .cloned()
        .collect();
    if probe.expect.alert {
        for b in chosen.iter_mut().filter(|b| b.kind == "COST") {
            let key = CallKey::about(
                "budgets",
                "DescribeNotificationsForBudget",
                &format!("{account}/{}", b.name),
                &access,
            );
            let (c, a, name) = (client.clone(), account.clone(), b.name.clone());
            b.alerts = *calls.get(key, move || notifications(c, a, name)).await?;
        }
    }
    Ok(judge(&chosen, wanted.as_deref(), &account, &probe.expect))
}

/// The account the credentials belong to, asked of STS once per run.
async fn caller_account(
    calls: &Calls,
    config: &aws_config::SdkConfig,
    access: &Access,
) -> Result<String, String> {
    let sts = aws_sdk_sts::Client::new(config);
    let id = calls
        .get(
            CallKey::list("sts", "GetCallerIdentity", access),
            move || async move {
                let answer = sts
                    .get_caller_identity()
                    .send()
                    .await
                    .map_err(|e| describe("sts", "GetCallerIdentity", &e))?;
                answer
                    .account()
                    .map(str::to_owned)
                    .ok_or_else(|| "sts:GetCallerIdentity named no account".to_owned())
            },
        )
        .await?;
    Ok(id.as_str().to_owned())
}

async fn budgets(client: Client, account: String) -> Result<Vec<Budget>, String> {
    Ok(all_pages!(
        "budgets",
        "DescribeBudgets",
        client
            .describe_budgets()
            .account_id(account)
            .into_paginator(),
        |page| {
            page.budgets
                .unwrap_or_default()
                .into_iter()
                .map(|b| Budget {
                    name: b.budget_name().to_owned(),
                    kind: b.budget_type().as_str().to_owned(),
                    alerts: 0,
                })
        }
    ))
}

async fn notifications(client: Client, account: String, budget: String) -> Result<usize, String> {
    let found = all_pages!(
        "budgets",
        "DescribeNotificationsForBudget",
        client
            .describe_notifications_for_budget()
            .account_id(account)
            .budget_name(budget)
            .into_paginator(),
        |page| page.notifications.unwrap_or_default()
    );
    Ok(found.len())
}
