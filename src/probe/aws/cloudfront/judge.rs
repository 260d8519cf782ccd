//! The `aws_cloudfront` comparison (pure): a distribution's facts against the
//! expectations, each miss a line naming the distribution and the attribute —
//! `E2ABC (cdn.example.com): minimum TLS TLSv1 < TLSv1.2_2021`.

use super::{CloudfrontExpect, ViewerProtocol};
use crate::probe::Finding;
use crate::probe::aws::verdict::Verdicts;

/// What ListDistributions says about one distribution.
#[derive(Debug, Clone, Default)]
pub struct Distribution {
    /// Its id (`E2ABC…`).
    pub id: String,
    /// Its ARN.
    pub arn: String,
    /// Its alternate domain names (CNAMEs).
    pub aliases: Vec<String>,
    /// Its comment.
    pub comment: String,
    /// `Deployed` or `InProgress`.
    pub status: String,
    /// Serving requests.
    pub enabled: bool,
    /// It uses the default `*.cloudfront.net` certificate.
    pub default_certificate: bool,
    /// The viewer certificate's MinimumProtocolVersion (`TLSv1.2_2021`).
    pub min_protocol: String,
    /// Each cache behaviour's path pattern (`*` for the default one) and
    /// viewer protocol policy (`allow-all`, `redirect-to-https`, `https-only`).
    pub behaviours: Vec<(String, String)>,
    /// The web ACL attached: a WAFv2 ARN, a WAF Classic id, or empty.
    pub web_acl: String,
}

/// `E2ABC (cdn.example.com)`: the id and the first alias, else the comment.
pub fn label(d: &Distribution) -> String {
    match d.aliases.first() {
        Some(alias) => format!("{} ({alias})", d.id),
        None if !d.comment.is_empty() => format!("{} ({})", d.id, d.comment),
        None => d.id.clone(),
    }
}

/// The distribution `wanted` names: by id or ARN, else by alias, else by comment.
pub fn find<'a>(all: &'a [Distribution], wanted: &str) -> Result<&'a Distribution, String> {
    if let Some(d) = all.iter().find(|d| d.id == wanted || d.arn == wanted) {
        return Ok(d);
    }
    if let Some(d) = all
        .iter()
        .find(|d| d.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted)))
    {
        return Ok(d);
    }
    let commented: Vec<&Distribution> = all.iter().filter(|d| d.comment == wanted).collect();
    match commented.as_slice() {
        [one] => Ok(one),
        [] => Err(format!(
            "no CloudFront distribution with id, alias or comment `{wanted}`"
        )),
        many => Err(format!(
            "{} distributions have the comment `{wanted}` ({}): give the id or an alias",
            many.len(),
            many.iter()
                .map(|d| d.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// How strict a security policy is, for comparison: `TLSv1.2_2021` → (12, 2021).
/// `None` for a name that is not a policy.
pub fn tls_rank(policy: &str) -> Option<(u8, u16)> {
    let (protocol, year) = match policy.trim().split_once('_') {
        Some((p, y)) => (p, y.parse().ok()?),
        None => (policy.trim(), 0),
    };
    let level = match protocol {
        "SSLv3" => 3,
        "TLSv1" => 10,
        "TLSv1.1" => 11,
        "TLSv1.2" => 12,
        "TLSv1.3" => 13,
        _ => return None,
    };
    Some((level, year))
}

/// The policy viewers actually get: the default certificate allows TLSv1.
fn effective_policy(d: &Distribution) -> &str {
    if d.default_certificate {
        "TLSv1"
    } else {
        d.min_protocol.as_str()
    }
}

/// Judges a distribution against the expectations.
pub fn judge(d: &Distribution, e: &CloudfrontExpect) -> Finding {
    let mut v = Verdicts::new();
    let who = label(d);
    let mut summary = Vec::new();
    if e.deployed {
        let ok = d.status == "Deployed";
        v.check(
            ok,
            "status Deployed",
            format!("{who}: {}", d.status),
            || format!("{who}: status {}, not Deployed", d.status),
        );
        if ok {
            summary.push("deployed".to_owned());
        }
    }
    if e.enabled {
        let seen = if d.enabled { "enabled" } else { "disabled" };
        v.check(d.enabled, "enabled", format!("{who}: {seen}"), || {
            format!("{who}: disabled")
        });
        if d.enabled {
            summary.push("enabled".to_owned());
        }
    }
    if let Some(wanted) = &e.min_tls {
        let policy = effective_policy(d);
        let ok = matches!(
            (tls_rank(policy), tls_rank(wanted)),
            (Some(seen), Some(want)) if seen >= want
        );
        let why = if d.default_certificate {
            " (the default *.cloudfront.net certificate)"
        } else {
            ""
        };
        v.check(
            ok,
            format!("minimum TLS >= {wanted}"),
            format!("{who}: {policy}{why}"),
            || format!("{who}: minimum TLS {policy} < {wanted}{why}"),
        );
        if ok {
            summary.push(format!("minimum TLS {policy}"));
        }
    }
    if let Some(wanted) = e.viewer_protocol {
        let allowed: &[&str] = match wanted {
            ViewerProtocol::RedirectToHttps => &["redirect-to-https", "https-only"],
            ViewerProtocol::HttpsOnly => &["https-only"],
        };
        let expected = match wanted {
            ViewerProtocol::RedirectToHttps => "every behaviour redirect-to-https or https-only",
            ViewerProtocol::HttpsOnly => "every behaviour https-only",
        };
        let mut all_ok = true;
        for (path, policy) in &d.behaviours {
            let ok = allowed.contains(&policy.as_str());
            all_ok &= ok;
            v.check(
                ok,
                expected,
                format!("{who}: behaviour {path}: {policy}"),
                || format!("{who}: behaviour {path} viewer protocol {policy}"),
            );
        }
        if all_ok {
            summary.push(match wanted {
                ViewerProtocol::RedirectToHttps => "viewers kept on HTTPS".to_owned(),
                ViewerProtocol::HttpsOnly => "HTTPS only".to_owned(),
            });
        }
    }
    if summary.is_empty() {
        v.finish(&format!("{who} exists"))
    } else {
        v.finish(&format!("{who}: {}", summary.join(", ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn cdn() -> Distribution {
        Distribution {
            id: "E2ABC".into(),
            arn: "arn:aws:cloudfront::123456789012:distribution/E2ABC".into(),
            aliases: vec!["cdn.example.com".into()],
            comment: "assets".into(),
            status: "Deployed".into(),
            enabled: true,
            default_certificate: false,
            min_protocol: "TLSv1.2_2021".into(),
            behaviours: vec![
                ("*".into(), "redirect-to-https".into()),
                ("/api/*".into(), "https-only".into()),
            ],
            web_acl: String::new(),
        }
    }

    fn strict() -> CloudfrontExpect {
        CloudfrontExpect {
            min_tls: Some("TLSv1.2_2021".into()),
            viewer_protocol: Some(ViewerProtocol::RedirectToHttps),
            ..CloudfrontExpect::default()
        }
    }

    #[test]
    fn a_modern_distribution_passes() {
        let f = judge(&cdn(), &strict());
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "E2ABC (cdn.example.com): deployed, enabled, minimum TLS TLSv1.2_2021, viewers kept on HTTPS"
        );
    }

    #[test]
    fn each_gap_names_the_distribution_and_the_attribute() {
        let old = Distribution {
            status: "InProgress".into(),
            enabled: false,
            min_protocol: "TLSv1".into(),
            behaviours: vec![
                ("*".into(), "allow-all".into()),
                ("/api/*".into(), "https-only".into()),
            ],
            ..cdn()
        };
        let f = judge(&old, &strict());
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "E2ABC (cdn.example.com): status InProgress, not Deployed; E2ABC (cdn.example.com): disabled; \
             E2ABC (cdn.example.com): minimum TLS TLSv1 < TLSv1.2_2021; E2ABC (cdn.example.com): behaviour * viewer protocol allow-all"
        );
        let https_only = CloudfrontExpect {
            viewer_protocol: Some(ViewerProtocol::HttpsOnly),
            ..CloudfrontExpect::default()
        };
        assert_eq!(
            judge(&cdn(), &https_only).evidence,
            "E2ABC (cdn.example.com): behaviour * viewer protocol redirect-to-https"
        );
    }

    #[test]
    fn the_default_certificate_is_tlsv1_whatever_it_says() {
        let d = Distribution {
            aliases: Vec::new(),
            default_certificate: true,
            ..cdn()
        };
        assert_eq!(
            judge(&d, &strict()).evidence,
            "E2ABC (assets): minimum TLS TLSv1 < TLSv1.2_2021 (the default *.cloudfront.net certificate)"
        );
    }

    #[test]
    fn policies_order_by_protocol_then_year() {
        let order = [
            "SSLv3",
            "TLSv1",
            "TLSv1_2016",
            "TLSv1.1_2016",
            "TLSv1.2_2018",
            "TLSv1.2_2019",
            "TLSv1.2_2021",
            "TLSv1.2_2025",
            "TLSv1.3_2025",
        ];
        for pair in order.windows(2) {
            assert!(tls_rank(pair[0]) < tls_rank(pair[1]), "{pair:?}");
        }
        assert_eq!(tls_rank("TLS1.2"), None);
        assert_eq!(tls_rank("TLSv1.2_x"), None);
    }

    #[test]
    fn found_by_id_alias_or_a_unique_comment() {
        let other = Distribution {
            id: "E9XYZ".into(),
            aliases: Vec::new(),
            comment: "assets".into(),
            ..cdn()
        };
        let all = vec![cdn(), other];
        assert_eq!(find(&all, "E9XYZ").unwrap().id, "E9XYZ");
        assert_eq!(find(&all, "CDN.example.com").unwrap().id, "E2ABC");
        assert_eq!(
            find(&all, "assets").unwrap_err(),
            "2 distributions have the comment `assets` (E2ABC, E9XYZ): give the id or an alias"
        );
        assert_eq!(
            find(&all, "www.example.com").unwrap_err(),
            "no CloudFront distribution with id, alias or comment `www.example.com`"
        );
    }
}
