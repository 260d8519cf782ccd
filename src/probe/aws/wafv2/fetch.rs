//! `aws_wafv2` against the API: ListWebACLs once per scope, GetWebACL once
//! per web ACL, GetWebACLForResource once per regional resource, and
//! CloudFront's ListDistributions (shared with `aws_cloudfront`) for
//! distributions — each once per run through the call cache.

use aws_sdk_wafv2::Client;
use aws_sdk_wafv2::types::Scope;

use super::judge::{Association, Attached, Rule, WebAcl, distribution_id, judge};
use super::{WafScope, Wafv2Probe};
use crate::probe::aws::Access;
use crate::probe::aws::calls::{CallKey, MAX_PAGES, code, describe};
use crate::probe::aws::cloudfront::fetch::distributions;
use crate::probe::aws::cloudfront::judge::label;
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding};

/// Where AWS keeps the web ACLs of CloudFront distributions.
const CLOUDFRONT_REGION: &str = "us-east-1";

pub(super) async fn run(probe: &Wafv2Probe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &Wafv2Probe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let scope = probe.scope;
    let waf_access = match scope {
        WafScope::Regional => access.clone(),
        WafScope::Cloudfront => Access {
            region: Some(CLOUDFRONT_REGION.to_owned()),
            ..access.clone()
        },
    };
    let shared = ctx.aws();
    let config = shared.config(&waf_access).await?;
    let client = Client::new(&config);
    let calls = &shared.calls;
    let c = client.clone();
    let acls = calls
        .get(
            CallKey::about("wafv2", "ListWebACLs", scope.as_str(), &waf_access),
            move || list(c, scope),
        )
        .await?;
    let name = probe.web_acl.trim();
    let Some(acl) = acls.iter().find(|a| a.name == name) else {
        let mut v = Verdicts::new();
        v.check(false, format!("web ACL {name}"), "not found", || {
            format!(
                "no {} web ACL `{name}`{}",
                scope.as_str(),
                waf_access.describe()
            )
        });
        return Ok(v.finish(""));
    };
    let e = &probe.expect;
    let mut associations = Vec::new();
    for arn in &e.associated_with {
        let arn = arn.trim();
        if let Some(id) = distribution_id(arn) {
            let all = distributions(shared, &access).await?;
            associations.push(match all.iter().find(|d| d.id == id) {
                Some(d) => Association {
                    resource: label(d),
                    attached: if d.web_acl.is_empty() {
                        Attached::Nothing
                    } else {
                        Attached::Acl(d.web_acl.clone())
                    },
                },
                None => Association {
                    resource: arn.to_owned(),
                    attached: Attached::Missing(format!(
                        "no CloudFront distribution `{id}`{}",
                        access.describe()
                    )),
                },
            });
        } else {
            let (c, r) = (client.clone(), arn.to_owned());
            let attached = calls
                .get(
                    CallKey::about("wafv2", "GetWebACLForResource", arn, &waf_access),
                    move || attached(c, r),
                )
                .await?;
            associations.push(Association {
                resource: arn.to_owned(),
                attached: (*attached).clone(),
            });
        }
    }
    let rules = if e.min_rules.is_some() || !e.managed_rule_groups.is_empty() {
        let (c, a) = (client.clone(), acl.clone());
        Some(
            calls
                .get(
                    CallKey::about("wafv2", "GetWebACL", &acl.arn, &waf_access),
                    move || rules(c, a, scope),
                )
                .await?,
        )
    } else {
        None
    };
    Ok(judge(
        acl,
        &associations,
        rules.as_deref().map(Vec::as_slice),
        e,
    ))
}

fn sdk_scope(scope: WafScope) -> Scope {
    match scope {
        WafScope::Regional => Scope::Regional,
        WafScope::Cloudfront => Scope::Cloudfront,
    }
}

async fn list(client: Client, scope: WafScope) -> Result<Vec<WebAcl>, String> {
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let page = client
            .list_web_acls()
            .scope(sdk_scope(scope))
            .limit(100)
            .set_next_marker(marker.take())
            .send()
            .await
            .map_err(|e| describe("wafv2", "ListWebACLs", &e))?;
        let items = page.web_acls.unwrap_or_default();
        let last = items.is_empty();
        out.extend(items.into_iter().map(|a| WebAcl {
            name: a.name.unwrap_or_default(),
            id: a.id.unwrap_or_default(),
            arn: a.arn.unwrap_or_default(),
        }));
        // WAF may hand out a marker with the last page; an empty page ends it too.
        match page.next_marker {
            Some(next) if !last && !next.is_empty() => marker = Some(next),
            _ => return Ok(out),
        }
    }
    Err(format!("wafv2:ListWebACLs has more than {MAX_PAGES} pages"))
}

async fn attached(client: Client, resource: String) -> Result<Attached, String> {
    match client
        .get_web_acl_for_resource()
        .resource_arn(&resource)
        .send()
        .await
    {
        Ok(out) => Ok(match out.web_acl.map(|w| w.arn) {
            Some(arn) if !arn.is_empty() => Attached::Acl(arn),
            _ => Attached::Nothing,
        }),
        Err(e) if code(&e) == Some("WAFNonexistentItemException") => Ok(Attached::Missing(
            format!("{resource}: WAF knows no such resource"),
        )),
        Err(e) => Err(describe("wafv2", "GetWebACLForResource", &e)),
    }
}

async fn rules(client: Client, acl: WebAcl, scope: WafScope) -> Result<Vec<Rule>, String> {
    let out = client
        .get_web_acl()
        .name(acl.name)
        .id(acl.id)
        .scope(sdk_scope(scope))
        .send()
        .await
        .map_err(|e| describe("wafv2", "GetWebACL", &e))?;
    Ok(out
        .web_acl
        .and_then(|w| w.rules)
        .unwrap_or_default()
        .into_iter()
        .map(|r| Rule {
            managed: r
                .statement
                .and_then(|s| s.managed_rule_group_statement)
                .map(|m| (m.vendor_name, m.name)),
            name: r.name,
        })
        .collect())
}
