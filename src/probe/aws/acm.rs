//! `aws_acm`: a certificate in AWS Certificate Manager is issued and stays
//! valid long enough — found by a domain it covers or by its ARN.
//!
//! ```yaml
//! probe:
//!   aws_acm: { certificate: app.example.com, region: us-east-1, expect: { valid_for: 30d } }
//! ```
//!
//! One ListCertificates call per run (every page, every key type) serves every
//! `aws_acm` probe with the same settings. ACM is regional: certificates for
//! CloudFront live in `us-east-1`.

#[cfg(feature = "aws-acm")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::probe::aws::verdict::{Verdicts, age, secs};
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_acm` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmProbe {
    /// A domain name the certificate covers (its own name, one of its
    /// alternative names, or under its wildcard), or its ARN (required).
    pub certificate: Text,
    /// What the certificate must look like (default: one is `ISSUED`).
    #[serde(default)]
    pub expect: AcmExpect,
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

/// Expectations on a certificate.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmExpect {
    /// Still valid at least this long: it does not expire within it (`30d`).
    #[serde(default)]
    pub valid_for: Option<Dur>,
}

super::settings_of!(AcmProbe);

/// What ListCertificates says about one certificate.
#[derive(Debug, Clone, Default)]
pub struct Certificate {
    /// Its ARN.
    pub arn: String,
    /// Its domain name.
    pub domain: String,
    /// Its alternative names (the first hundred).
    pub sans: Vec<String>,
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, `REVOKED`, …
    pub status: String,
    /// When it expires, seconds since the epoch.
    pub not_after: Option<i64>,
}

impl Certificate {
    /// Whether it is the one asked for: its ARN, or a name it covers.
    pub fn is(&self, wanted: &str) -> bool {
        if wanted.starts_with("arn:") {
            return self.arn == wanted;
        }
        std::iter::once(&self.domain)
            .chain(&self.sans)
            .any(|name| covers(name, wanted))
    }

    /// `app.example.com (1b2c3d4e)`: the name and the end of the ARN.
    fn label(&self) -> String {
        let id = self.arn.rsplit('/').next().unwrap_or(&self.arn);
        let short: String = id.chars().take(8).collect();
        format!("{} ({short})", self.domain)
    }
}

/// Whether certificate name `name` covers `host`: the same name, or a
/// wildcard one label above it.
fn covers(name: &str, host: &str) -> bool {
    let (name, host) = (name.to_ascii_lowercase(), host.to_ascii_lowercase());
    if name == host {
        return true;
    }
    match (name.strip_prefix("*."), host.split_once('.')) {
        (Some(parent), Some((label, rest))) => !label.is_empty() && rest == parent,
        _ => false,
    }
}

/// Judges the certificates that are `wanted` at `now` (seconds since the
/// epoch): the issued one that expires last must be valid long enough.
/// `place` says where it looked (` in us-east-1`), for a certificate not found.
pub fn judge(
    matched: &[&Certificate],
    wanted: &str,
    place: &str,
    e: &AcmExpect,
    now: i64,
) -> Finding {
    let mut v = Verdicts::new();
    if matched.is_empty() {
        v.check(false, format!("certificate {wanted}"), "not found", || {
            format!("no certificate for `{wanted}`{place}")
        });
        return v.finish("");
    }
    let best = matched
        .iter()
        .filter(|c| c.status == "ISSUED")
        .max_by_key(|c| c.not_after.unwrap_or(i64::MIN));
    let Some(best) = best else {
        for c in matched {
            v.check(
                false,
                "status ISSUED",
                format!("{}: {}", c.label(), c.status),
                || format!("{}: status {}", c.label(), c.status),
            );
        }
        return v.finish("");
    };
    let label = best.label();
    v.check(
        true,
        "status ISSUED",
        format!("{label}: ISSUED"),
        String::new,
    );
    let mut summary = format!("{label}: issued");
    if let Some(valid_for) = e.valid_for {
        let wanted_left = format!("valid for {}", format_duration(valid_for.0));
        match best.not_after {
            Some(t) => {
                let left = t - now;
                let ok = left >= secs(valid_for.0);
                let observed = if left <= 0 {
                    format!("expired {} ago", age(-left))
                } else {
                    format!("expires in {}", age(left))
                };
                v.check(ok, wanted_left, format!("{label}: {observed}"), || {
                    if left <= 0 {
                        format!("{label}: {observed}")
                    } else {
                        format!("{label}: {observed} < {}", format_duration(valid_for.0))
                    }
                });
                summary.push_str(&format!(", {observed}"));
            }
            None => v.check(
                false,
                wanted_left,
                format!("{label}: no expiry date"),
                || format!("{label}: no expiry date"),
            ),
        }
    }
    v.finish(&summary)
}

impl Probe for AcmProbe {
    fn target(&self) -> String {
        format!(
            "aws acm certificate {}{}",
            self.certificate.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-acm"), "aws_acm", "aws-acm");
        problems.extend(self.settings().validate());
        let wanted = self.certificate.trim();
        if wanted.is_empty() || wanted.contains(char::is_whitespace) {
            problems.push(format!(
                "`{wanted}` is not a domain name or certificate ARN"
            ));
        }
        if self.expect.valid_for.is_some_and(|d| d.0.is_zero()) {
            problems.push("valid_for is 0: give how long it must stay valid (`30d`)".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-acm", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    const DAY: i64 = 86_400;
    const NOW: i64 = 1_000 * DAY;

    fn cert(id: &str, domain: &str, status: &str, days_left: i64) -> Certificate {
        Certificate {
            arn: format!("arn:aws:acm:us-east-1:123456789012:certificate/{id}"),
            domain: domain.into(),
            sans: vec![domain.into()],
            status: status.into(),
            not_after: Some(NOW + days_left * DAY),
        }
    }

    fn month() -> AcmExpect {
        AcmExpect {
            valid_for: Some(Dur(Duration::from_secs(30 * 86_400))),
        }
    }

    #[test]
    fn names_cover_hosts_and_wildcards_one_label_down() {
        assert!(covers("app.example.com", "APP.example.com"));
        assert!(covers("*.example.com", "app.example.com"));
        assert!(!covers("*.example.com", "a.b.example.com"));
        assert!(!covers("*.example.com", "example.com"));
        let c = cert("abc", "*.example.com", "ISSUED", 90);
        assert!(c.is("app.example.com"));
        assert!(c.is("arn:aws:acm:us-east-1:123456789012:certificate/abc"));
        assert!(!c.is("arn:aws:acm:us-east-1:123456789012:certificate/abd"));
    }

    #[test]
    fn the_issued_certificate_that_lasts_longest_is_judged() {
        let old = cert("11111111-old", "app.example.com", "EXPIRED", -3);
        let new = cert("22222222-new", "app.example.com", "ISSUED", 80);
        let f = judge(
            &[&old, &new],
            "app.example.com",
            " in us-east-1",
            &month(),
            NOW,
        );
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "app.example.com (22222222): issued, expires in 80d"
        );
    }

    #[test]
    fn not_issued_or_expiring_soon_fails_with_the_certificate_named() {
        let pending = cert("33333333", "app.example.com", "PENDING_VALIDATION", 395);
        let f = judge(
            &[&pending],
            "app.example.com",
            " in us-east-1",
            &month(),
            NOW,
        );
        assert_eq!(
            f.evidence,
            "app.example.com (33333333): status PENDING_VALIDATION"
        );
        let soon = cert("44444444", "app.example.com", "ISSUED", 10);
        let f = judge(&[&soon], "app.example.com", " in us-east-1", &month(), NOW);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "app.example.com (44444444): expires in 10d < 30d"
        );
        // ACM says EXPIRED once it is, but a stale ISSUED is judged by its date.
        let stale = cert("55555555", "app.example.com", "ISSUED", -2);
        assert_eq!(
            judge(&[&stale], "app.example.com", " in us-east-1", &month(), NOW).evidence,
            "app.example.com (55555555): expired 2d ago"
        );
        assert_eq!(
            judge(&[], "api.example.com", " in us-east-1", &month(), NOW).evidence,
            "no certificate for `api.example.com` in us-east-1"
        );
    }
}
