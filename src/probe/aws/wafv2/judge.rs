//! The `aws_wafv2` comparison (pure): a web ACL, what each named resource has
//! attached, and the ACL's rules, against the expectations —
//! `E2ABC (cdn.example.com): no web ACL, expected prod-edge`.

use super::Wafv2Expect;
use crate::probe::Finding;
use crate::probe::aws::verdict::{Verdicts, count};

/// A web ACL as ListWebACLs names it.
#[derive(Debug, Clone, Default)]
pub struct WebAcl {
    /// Its name.
    pub name: String,
    /// Its id.
    pub id: String,
    /// Its ARN.
    pub arn: String,
}

/// One rule of a web ACL (GetWebACL).
#[derive(Debug, Clone, Default)]
pub struct Rule {
    /// The rule's name.
    pub name: String,
    /// The managed rule group it runs, as (vendor, name).
    pub managed: Option<(String, String)>,
}

/// What a resource has attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attached {
    /// This web ACL (an ARN, or a WAF Classic id on a distribution).
    Acl(String),
    /// No web ACL.
    Nothing,
    /// The resource was not found (`why` says where it was looked for).
    Missing(String),
}

/// A resource named in `associated_with`, and what it has attached.
#[derive(Debug, Clone)]
pub struct Association {
    /// The resource for evidence: its ARN, or `E2ABC (cdn.example.com)`.
    pub resource: String,
    /// What it has.
    pub attached: Attached,
}

/// The distribution id of a CloudFront distribution's ARN
/// (`arn:aws:cloudfront::123456789012:distribution/E2ABC` → `E2ABC`).
pub fn distribution_id(arn: &str) -> Option<&str> {
    let mut parts = arn.trim().splitn(6, ':');
    let (Some("arn"), Some(_partition), Some("cloudfront"), Some(_region), Some(_account)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    parts
        .next()?
        .strip_prefix("distribution/")
        .filter(|id| !id.is_empty())
}

/// A web ACL's name from its ARN (`…:regional/webacl/NAME/ID`), else the text itself.
fn acl_name(arn_or_id: &str) -> &str {
    let mut parts = arn_or_id.rsplit('/');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(_id), Some(name), Some("webacl")) => name,
        _ => arn_or_id,
    }
}

/// Judges a web ACL: `rules` is `None` when no rule was asked about.
pub fn judge(
    acl: &WebAcl,
    associations: &[Association],
    rules: Option<&[Rule]>,
    e: &Wafv2Expect,
) -> Finding {
    let mut v = Verdicts::new();
    let name = acl.name.as_str();
    let mut summary = Vec::new();
    for a in associations {
        let resource = a.resource.as_str();
        let expected = format!("{resource}: web ACL {name}");
        match &a.attached {
            Attached::Acl(seen) if *seen == acl.arn || *seen == acl.id => {
                v.check(true, expected, format!("{resource}: {name}"), String::new);
            }
            Attached::Acl(other) => {
                let other = acl_name(other);
                v.check(false, expected, format!("{resource}: {other}"), || {
                    format!("{resource}: web ACL {other}, expected {name}")
                });
            }
            Attached::Nothing => v.check(false, expected, format!("{resource}: none"), || {
                format!("{resource}: no web ACL, expected {name}")
            }),
            Attached::Missing(why) => {
                let why = why.clone();
                v.check(false, expected, "not found", || why);
            }
        }
    }
    if !associations.is_empty()
        && associations
            .iter()
            .all(|a| matches!(&a.attached, Attached::Acl(s) if *s == acl.arn || *s == acl.id))
    {
        summary.push(format!(
            "protects {}",
            associations
                .iter()
                .map(|a| a.resource.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let rules = rules.unwrap_or_default();
    if let Some(min) = e.min_rules {
        let ok = rules.len() >= min;
        v.check(
            ok,
            format!("at least {}", count(min, "rule")),
            count(rules.len(), "rule"),
            || format!("web ACL {name}: {} < {min}", count(rules.len(), "rule")),
        );
        if ok {
            summary.push(count(rules.len(), "rule"));
        }
    }
    let mut groups_ok = true;
    for wanted in &e.managed_rule_groups {
        let wanted = wanted.trim();
        let found = rules.iter().find(|r| {
            r.managed.as_ref().is_some_and(|(vendor, group)| {
                group == wanted || format!("{vendor}/{group}") == wanted
            })
        });
        groups_ok &= found.is_some();
        v.check(
            found.is_some(),
            format!("managed rule group {wanted}"),
            found.map_or_else(|| "absent".to_owned(), |r| format!("rule {}", r.name)),
            || format!("web ACL {name}: no managed rule group {wanted}"),
        );
    }
    if !e.managed_rule_groups.is_empty() && groups_ok {
        summary.push(format!(
            "managed rule groups {}",
            e.managed_rule_groups.join(", ")
        ));
    }
    if summary.is_empty() {
        v.finish(&format!("web ACL {name} exists"))
    } else {
        v.finish(&format!("web ACL {name}: {}", summary.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::text::Text;
    use crate::outcome::Verdict;

    const ARN: &str = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/prod-edge/1111";

    fn acl() -> WebAcl {
        WebAcl {
            name: "prod-edge".into(),
            id: "1111".into(),
            arn: ARN.into(),
        }
    }

    fn managed(name: &str) -> Rule {
        Rule {
            name: format!("use-{name}"),
            managed: Some(("AWS".into(), name.into())),
        }
    }

    fn expect() -> Wafv2Expect {
        Wafv2Expect {
            associated_with: vec![Text::literal("arn:aws:cloudfront::1:distribution/E2ABC")],
            min_rules: Some(2),
            managed_rule_groups: vec![
                "AWSManagedRulesCommonRuleSet".into(),
                "AWS/AWSManagedRulesSQLiRuleSet".into(),
            ],
        }
    }

    #[test]
    fn an_attached_acl_with_its_rules_passes() {
        let a = [Association {
            resource: "E2ABC (cdn.example.com)".into(),
            attached: Attached::Acl(ARN.into()),
        }];
        let rules = [
            managed("AWSManagedRulesCommonRuleSet"),
            managed("AWSManagedRulesSQLiRuleSet"),
        ];
        let f = judge(&acl(), &a, Some(&rules), &expect());
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "web ACL prod-edge: protects E2ABC (cdn.example.com), 2 rules, managed rule groups AWSManagedRulesCommonRuleSet, AWS/AWSManagedRulesSQLiRuleSet"
        );
    }

    #[test]
    fn each_gap_is_named() {
        let a = [
            Association {
                resource: "E2ABC (cdn.example.com)".into(),
                attached: Attached::Nothing,
            },
            Association {
                resource: "E9XYZ".into(),
                attached: Attached::Acl(
                    "arn:aws:wafv2:us-east-1:1:global/webacl/staging/2222".into(),
                ),
            },
            Association {
                resource: "E0".into(),
                attached: Attached::Missing("no CloudFront distribution E0".into()),
            },
        ];
        let rules = [managed("AWSManagedRulesCommonRuleSet")];
        let f = judge(&acl(), &a, Some(&rules), &expect());
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "E2ABC (cdn.example.com): no web ACL, expected prod-edge; E9XYZ: web ACL staging, expected prod-edge; \
             no CloudFront distribution E0; web ACL prod-edge: 1 rule < 2; \
             web ACL prod-edge: no managed rule group AWS/AWSManagedRulesSQLiRuleSet"
        );
    }

    #[test]
    fn distribution_arns_are_told_apart() {
        assert_eq!(
            distribution_id("arn:aws:cloudfront::123456789012:distribution/E2ABC"),
            Some("E2ABC")
        );
        assert_eq!(
            distribution_id(
                "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/web/50dc6c495c0c9188"
            ),
            None
        );
        assert_eq!(distribution_id("arn:aws:cloudfront::1:distribution/"), None);
    }
}
