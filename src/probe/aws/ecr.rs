//! `aws_ecr`: container repositories exist, scan images on push, and keep
//! their tags immutable.
//!
//! ```yaml
//! probe:
//!   aws_ecr:
//!     repositories: [auth-service, graphql-gateway]   # default: every repository
//!     expect: { scan_on_push: true, immutable_tags: true }
//! ```
//!
//! One DescribeRepositories call per run (every page) serves every `aws_ecr`
//! probe with the same settings; `scan_on_push` adds one
//! GetRegistryScanningConfiguration call, because registry-wide scanning rules
//! can scan a repository whose own setting is off.

#[cfg(feature = "aws-ecr")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_ecr` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcrProbe {
    /// Repositories that must exist, by name (default: every repository in
    /// the registry, of which there must be at least one).
    #[serde(default)]
    pub repositories: Vec<Text>,
    /// What each repository must look like (default: it exists).
    #[serde(default)]
    pub expect: EcrExpect,
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

/// Expectations on each repository.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EcrExpect {
    /// Images are scanned when pushed: the repository's own setting, or a
    /// registry scanning rule (scan on push or continuous) matching its name.
    #[serde(default)]
    pub scan_on_push: bool,
    /// Tags cannot be overwritten (`IMMUTABLE`, or `IMMUTABLE_WITH_EXCLUSION`).
    #[serde(default)]
    pub immutable_tags: bool,
}

super::settings_of!(EcrProbe);

/// What DescribeRepositories says about one repository.
#[derive(Debug, Clone, Default)]
pub struct Repository {
    /// Its name.
    pub name: String,
    /// Its own scan-on-push setting.
    pub scan_on_push: bool,
    /// `MUTABLE`, `IMMUTABLE`, `IMMUTABLE_WITH_EXCLUSION`, `MUTABLE_WITH_EXCLUSION`.
    pub tag_mutability: String,
}

/// A registry scanning rule: how often it scans, and the repository name
/// filters (`*` wildcards) it applies to.
#[derive(Debug, Clone, Default)]
pub struct ScanRule {
    /// `SCAN_ON_PUSH`, `CONTINUOUS_SCAN` or `MANUAL`.
    pub frequency: String,
    /// Repository name filters.
    pub filters: Vec<String>,
}

impl ScanRule {
    /// Whether this rule scans `repository` when an image is pushed.
    fn scans_on_push(&self, repository: &str) -> bool {
        matches!(self.frequency.as_str(), "SCAN_ON_PUSH" | "CONTINUOUS_SCAN")
            && self
                .filters
                .iter()
                .any(|f| glob::Pattern::new(f).is_ok_and(|p| p.matches(repository)))
    }
}

/// `1 repository`, `2 repositories`.
fn repositories(n: usize) -> String {
    if n == 1 {
        "1 repository".to_owned()
    } else {
        format!("{n} repositories")
    }
}

/// Judges the repositories: `wanted` by name (empty: all of `all`).
/// `place` says where it looked (` in us-east-1`), for repositories not found.
pub fn judge(
    all: &[Repository],
    wanted: &[String],
    rules: &[ScanRule],
    place: &str,
    e: &EcrExpect,
) -> Finding {
    let mut v = Verdicts::new();
    let mut chosen: Vec<&Repository> = Vec::new();
    if wanted.is_empty() {
        v.check(
            !all.is_empty(),
            "at least one repository",
            repositories(all.len()),
            || format!("no repositories in the registry{place}"),
        );
        chosen.extend(all);
    }
    for name in wanted {
        match all.iter().find(|r| &r.name == name) {
            Some(r) => chosen.push(r),
            None => v.check(false, format!("repository {name}"), "not found", || {
                format!("no repository `{name}`{place}")
            }),
        }
    }
    let mut summary = vec![repositories(chosen.len())];
    if e.scan_on_push {
        let mut all_scan = true;
        for r in &chosen {
            let by_rule = rules.iter().any(|rule| rule.scans_on_push(&r.name));
            let ok = r.scan_on_push || by_rule;
            all_scan &= ok;
            let how = if r.scan_on_push {
                "on"
            } else if by_rule {
                "by a registry rule"
            } else {
                "off"
            };
            v.check(ok, "scan on push", format!("{}: {how}", r.name), || {
                format!("{}: scan on push off", r.name)
            });
        }
        if all_scan {
            summary.push("scan on push".to_owned());
        }
    }
    if e.immutable_tags {
        let mut all_immutable = true;
        for r in &chosen {
            let ok = r.tag_mutability.starts_with("IMMUTABLE");
            all_immutable &= ok;
            v.check(
                ok,
                "tags immutable",
                format!("{}: {}", r.name, r.tag_mutability),
                || format!("{}: tags mutable ({})", r.name, r.tag_mutability),
            );
        }
        if all_immutable {
            summary.push("immutable tags".to_owned());
        }
    }
    v.finish(&summary.join(", "))
}

impl Probe for EcrProbe {
    fn target(&self) -> String {
        let what = if self.repositories.is_empty() {
            "every repository".to_owned()
        } else {
            self.repositories
                .iter()
                .map(Text::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!("aws ecr {what}{}", self.settings().access().describe())
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-ecr"), "aws_ecr", "aws-ecr");
        problems.extend(self.settings().validate());
        for name in &self.repositories {
            let ok = !name.trim().is_empty()
                && name
                    .trim()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._/-".contains(c));
            if !ok {
                problems.push(format!(
                    "`{}` is not a repository name (lowercase letters, digits, `.`, `_`, `-` and `/`)",
                    name.as_str()
                ));
            }
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-ecr", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn repo(name: &str, scan: bool, mutability: &str) -> Repository {
        Repository {
            name: name.into(),
            scan_on_push: scan,
            tag_mutability: mutability.into(),
        }
    }

    const BOTH: EcrExpect = EcrExpect {
        scan_on_push: true,
        immutable_tags: true,
    };

    #[test]
    fn every_repository_is_judged_when_none_is_named() {
        let all = [
            repo("api", true, "IMMUTABLE"),
            repo("web", false, "MUTABLE"),
        ];
        let f = judge(&all, &[], &[], "", &BOTH);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "web: scan on push off; web: tags mutable (MUTABLE)"
        );
        let f = judge(&all[..1], &[], &[], "", &BOTH);
        assert_eq!(f.evidence, "1 repository, scan on push, immutable tags");
        assert_eq!(
            judge(&[], &[], &[], "", &EcrExpect::default()).evidence,
            "no repositories in the registry"
        );
    }

    #[test]
    fn named_repositories_must_exist() {
        let all = [repo("api", false, "IMMUTABLE_WITH_EXCLUSION")];
        let wanted = ["api".to_owned(), "worker".to_owned()];
        let f = judge(&all, &wanted, &[], "", &EcrExpect::default());
        assert_eq!(f.evidence, "no repository `worker`");
        let f = judge(&all, &wanted[..1], &[], "", &BOTH);
        assert_eq!(f.evidence, "api: scan on push off");
    }

    #[test]
    fn a_registry_rule_scans_the_repositories_it_matches() {
        let all = [
            repo("team/api", false, "IMMUTABLE"),
            repo("web", false, "IMMUTABLE"),
        ];
        let rules = [
            ScanRule {
                frequency: "SCAN_ON_PUSH".into(),
                filters: vec!["team/*".into()],
            },
            ScanRule {
                frequency: "MANUAL".into(),
                filters: vec!["*".into()],
            },
        ];
        let f = judge(&all, &[], &rules, "", &BOTH);
        assert_eq!(f.evidence, "web: scan on push off");
        assert_eq!(f.checks[1].observed, "team/api: by a registry rule");
    }
}
