//! `aws_budgets`: the account has a cost budget, and it alerts someone.
//!
//! ```yaml
//! probe:
//!   aws_budgets: { budget: monthly-cost, expect: { alert: true } }   # or any cost budget
//! ```
//!
//! Calls, each once per run: STS GetCallerIdentity for the account id (unless
//! `account_id` is given), DescribeBudgets (every page) for the account, and
//! DescribeNotificationsForBudget per cost budget when `alert` is asked.
//! Budgets is global: `region` only chooses the endpoint.

#[cfg(feature = "aws-budgets")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::aws::verdict::{Verdicts, count};
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_budgets` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetsProbe {
    /// One budget by name (default: any cost budget of the account may meet
    /// the expectations).
    #[serde(default)]
    pub budget: Option<Text>,
    /// The account whose budgets are read, 12 digits (default: the caller's,
    /// from STS GetCallerIdentity).
    #[serde(default)]
    pub account_id: Option<Text>,
    /// What the budget must do (default: a cost budget exists).
    #[serde(default)]
    pub expect: BudgetExpect,
    /// See [`super::AwsSettings::region`].
    #[serde(default)]
    pub region: Option<Text>,
    /// See [`super::AwsSettings::profile`].
    #[serde(default)]
    pub profile: Option<Text>,
    /// See [`super::AwsSettings::endpoint_url`].
    #[serde(default)]
    pub endpoint_url: Option<Text>,
}

/// Expectations on a cost budget.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetExpect {
    /// It has at least one alert: a notification, which AWS only creates
    /// with a subscriber (an email address or an SNS topic).
    #[serde(default)]
    pub alert: bool,
}

super::settings_of!(BudgetsProbe);

/// What DescribeBudgets (and DescribeNotificationsForBudget) say about one budget.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// Its name.
    pub name: String,
    /// `COST`, `USAGE`, `RI_UTILIZATION`, …
    pub kind: String,
    /// Its notifications, when read.
    pub alerts: usize,
}

/// Judges the account's budgets (alerts filled in for cost budgets when
/// `alert` is asked): `wanted` by name, else any cost budget.
pub fn judge(all: &[Budget], wanted: Option<&str>, account: &str, e: &BudgetExpect) -> Finding {
    let mut v = Verdicts::new();
    let chosen: Vec<&Budget> = if let Some(name) = wanted {
        let Some(b) = all.iter().find(|b| b.name == name) else {
            v.check(false, format!("budget {name}"), "not found", || {
                format!("no budget `{name}` in account {account}")
            });
            return v.finish("");
        };
        v.check(
            b.kind == "COST",
            "a cost budget",
            format!("{name}: {}", b.kind),
            || format!("{name}: a {} budget, not a cost budget", b.kind),
        );
        vec![b]
    } else {
        let cost: Vec<&Budget> = all.iter().filter(|b| b.kind == "COST").collect();
        v.check(
            !cost.is_empty(),
            "a cost budget",
            count(cost.len(), "cost budget"),
            || format!("no cost budget in account {account}"),
        );
        cost
    };
    let names = |list: &[&Budget]| {
        list.iter()
            .map(|b| b.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut summary = match chosen.as_slice() {
        [one] => format!("cost budget {}", one.name),
        many => format!("{}: {}", count(many.len(), "cost budget"), names(many)),
    };
    if e.alert && !chosen.is_empty() {
        let alerting = chosen.iter().find(|b| b.alerts > 0);
        let observed = match alerting {
            Some(b) => format!("{}: {}", b.name, count(b.alerts, "alert")),
            None => "no alert".to_owned(),
        };
        v.check(alerting.is_some(), "an alert", observed, || {
            match chosen.as_slice() {
                [one] => format!("{}: no alert", one.name),
                many => format!("no cost budget has an alert ({})", names(many)),
            }
        });
        if let Some(b) = alerting {
            summary = format!("cost budget {} with {}", b.name, count(b.alerts, "alert"));
        }
    }
    v.finish(&summary)
}

impl Probe for BudgetsProbe {
    fn target(&self) -> String {
        let what = self.budget.as_ref().map_or_else(
            || "any cost budget".to_owned(),
            |b| format!("budget {}", b.as_str()),
        );
        format!("aws budgets {what}{}", self.settings().access().describe())
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems =
            super::missing_feature(cfg!(feature = "aws-budgets"), "aws_budgets", "aws-budgets");
        problems.extend(self.settings().validate());
        if let Some(id) = &self.account_id {
            let id = id.trim();
            if id.len() != 12 || !id.chars().all(|c| c.is_ascii_digit()) {
                problems.push(format!(
                    "account_id `{id}` is not an AWS account id (12 digits)"
                ));
            }
        }
        if self.budget.as_ref().is_some_and(|b| b.trim().is_empty()) {
            problems.push(
                "`budget` is empty: give its name, or leave it out for any cost budget".to_owned(),
            );
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-budgets", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn budget(name: &str, kind: &str, alerts: usize) -> Budget {
        Budget {
            name: name.into(),
            kind: kind.into(),
            alerts,
        }
    }

    const ALERT: BudgetExpect = BudgetExpect { alert: true };

    #[test]
    fn any_cost_budget_with_an_alert_will_do() {
        let all = [
            budget("usage", "USAGE", 1),
            budget("monthly", "COST", 0),
            budget("yearly", "COST", 2),
        ];
        let f = judge(&all, None, "123456789012", &ALERT);
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(f.evidence, "cost budget yearly with 2 alerts");
        let f = judge(&all[..2], None, "123456789012", &ALERT);
        assert_eq!(f.evidence, "monthly: no alert");
        let f = judge(&all[..1], None, "123456789012", &ALERT);
        assert_eq!(f.evidence, "no cost budget in account 123456789012");
    }

    #[test]
    fn a_named_budget_must_be_a_cost_budget_with_an_alert() {
        let all = [budget("usage", "USAGE", 1), budget("monthly", "COST", 0)];
        assert_eq!(
            judge(&all, Some("usage"), "1", &BudgetExpect::default()).evidence,
            "usage: a USAGE budget, not a cost budget"
        );
        assert_eq!(
            judge(&all, Some("monthly"), "1", &ALERT).evidence,
            "monthly: no alert"
        );
        assert_eq!(
            judge(&all, Some("gone"), "123456789012", &ALERT).evidence,
            "no budget `gone` in account 123456789012"
        );
        let f = judge(&all, Some("monthly"), "1", &BudgetExpect::default());
        assert_eq!(
            (f.verdict, f.evidence.as_str()),
            (Verdict::Pass, "cost budget monthly")
        );
    }
}
