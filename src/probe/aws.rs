//! The AWS probes: one kind per service (`aws_ec2`, `aws_rds`, `aws_s3`,
//! `aws_iam`, `aws_cloudtrail`, `aws_secretsmanager`, `aws_elasticache`,
//! `aws_ecr`, `aws_acm`, `aws_budgets`), judged from the AWS API itself.
//!
//! The edge and the cluster have theirs too: `aws_cloudfront`, `aws_wafv2`
//! (which reads distributions through `aws_cloudfront`'s call), `aws_eks`.
//!
//! What they share lives here:
//!
//! - [`settings`]: `region`, `profile` and `endpoint_url`, set once under
//!   `defaults: { aws: … }` and overridable per probe;
//! - [`session`]: aws-config's standard credential chain, loaded once per
//!   distinct setting per run, and the one sentence said when it finds no
//!   credentials;
//! - [`calls`]: the run's cache of API answers — one call per (service,
//!   operation, resource, settings), pagination followed to the end inside it,
//!   concurrent probes waiting on the same call;
//! - [`verdict`]: evidence that names the resource and the attribute
//!   (`db-prod: backup retention 0 days < 7`).
//!
//! Each service is a cargo feature (`aws-ec2`, `aws-rds`, …). The kinds are
//! always known to the loader, so a checklist stays valid for a build without
//! a service; such a build refuses the probe at validation with the feature's
//! name.

/// Gives an AWS probe struct (with `region`, `profile` and `endpoint_url`
/// fields) `settings()` and `inherit()`.
macro_rules! settings_of {
    ($probe:ty) => {
        impl $probe {
            /// Its `region`, `profile` and `endpoint_url`.
            pub fn settings(&self) -> $crate::probe::aws::AwsSettings {
                $crate::probe::aws::AwsSettings {
                    region: self.region.clone(),
                    profile: self.profile.clone(),
                    endpoint_url: self.endpoint_url.clone(),
                }
            }

            /// Fills the settings it leaves unset from `defaults.aws`.
            pub fn inherit(&mut self, defaults: &$crate::probe::aws::AwsSettings) {
                let mut mine = self.settings();
                mine.inherit(defaults);
                self.region = mine.region;
                self.profile = mine.profile;
                self.endpoint_url = mine.endpoint_url;
            }
        }
    };
}
pub(crate) use settings_of;

/// The body of an AWS kind's `run`: its `fetch::run` when Candlefish was built
/// with the kind's cargo feature, else an error naming the missing feature.
macro_rules! fetch_or_missing {
    ($feature:literal, $probe:expr, $ctx:expr) => {{
        #[cfg(feature = $feature)]
        {
            fetch::run($probe, $ctx).await
        }
        #[cfg(not(feature = $feature))]
        {
            let _ = ($probe, $ctx);
            $crate::probe::Finding::error(concat!(
                "this Candlefish was built without the cargo feature `",
                $feature,
                "`"
            ))
        }
    }};
}
pub(crate) use fetch_or_missing;

/// Reads every page of a paginated call (at most [`calls::MAX_PAGES`]) into
/// one `Vec`: `all_pages!("ec2", "DescribeVpcs", client.describe_vpcs().into_paginator(), |page| page.vpcs)`.
/// Used inside an `async` function returning `Result<_, String>`.
#[cfg(feature = "aws")]
#[allow(unused_macros)] // used by the service features only
macro_rules! all_pages {
    ($service:literal, $operation:literal, $paginator:expr, |$page:ident| $items:expr) => {{
        let mut stream = $paginator.send();
        let mut pages = 0usize;
        let mut out = Vec::new();
        while let Some(next) = stream.next().await {
            let $page =
                next.map_err(|e| $crate::probe::aws::calls::describe($service, $operation, &e))?;
            pages += 1;
            if pages > $crate::probe::aws::calls::MAX_PAGES {
                return Err(format!(
                    "{}:{} has more than {} pages",
                    $service,
                    $operation,
                    $crate::probe::aws::calls::MAX_PAGES
                ));
            }
            out.extend($items);
        }
        out
    }};
}

pub mod cloudtrail;
pub mod ec2;
pub mod iam;
pub mod rds;
pub mod s3;
pub mod secretsmanager;

pub mod acm;
pub mod budgets;
pub mod ecr;
pub mod elasticache;

pub mod settings;
pub mod verdict;

pub mod cloudfront;
pub mod eks;
pub mod wafv2;

#[cfg(feature = "aws")]
pub mod calls;
#[cfg(feature = "aws")]
pub mod session;

pub use settings::{Access, AwsSettings};

/// What a run's AWS probes share, created empty and filled on first use: a
/// checklist without AWS probes never loads any AWS configuration.
#[derive(Default)]
pub struct Shared {
    #[cfg(feature = "aws")]
    pub(crate) calls: calls::Calls,
}

impl Shared {
    /// The configuration for `access`, loaded once per run, with credentials.
    #[cfg(feature = "aws")]
    pub async fn config(
        &self,
        access: &Access,
    ) -> Result<std::sync::Arc<aws_config::SdkConfig>, String> {
        session::config(self, access).await
    }
}

/// Whether this build has the cargo feature a service needs; the problem
/// `validate` reports when it has not.
pub(crate) fn missing_feature(enabled: bool, kind: &str, feature: &str) -> Vec<String> {
    if enabled {
        Vec::new()
    } else {
        vec![format!(
            "this Candlefish was built without `{kind}`: rebuild it with the cargo feature `{feature}`"
        )]
    }
}

#[cfg(test)]
mod tests {
    use crate::checklist::{LoadOptions, Source, load_source};
    use crate::probe::ProbeKind;

    fn load(text: &str) -> Result<crate::checklist::Loaded, String> {
        let options = LoadOptions {
            env: Some(std::collections::HashMap::new()),
            ..LoadOptions::default()
        };
        let source = Source {
            name: "aws.yaml".into(),
            text: text.into(),
        };
        load_source(source, &options).map_err(|e| e.render(false))
    }

    #[test]
    fn defaults_aws_fills_what_each_probe_leaves_unset() {
        let loaded = load(
            "version: 1\nname: x\ndefaults:\n  aws: { region: eu-west-1, profile: prod, endpoint_url: \"http://127.0.0.1:1\" }\nsections:\n  - id: a\n    title: a\n    items:\n      - id: b\n        title: b\n        probe: { aws_rds: { instance: db, region: eu-central-1 } }\n",
        )
        .unwrap();
        let probe = &loaded.plan.walk()[1].probes[0];
        let ProbeKind::AwsRds(rds) = &probe.kind else {
            panic!("not rds")
        };
        let access = rds.settings().access();
        assert_eq!(access.region.as_deref(), Some("eu-central-1"));
        assert_eq!(access.profile.as_deref(), Some("prod"));
        assert_eq!(access.endpoint_url.as_deref(), Some("http://127.0.0.1:1"));
    }

    #[test]
    fn wrong_settings_and_fields_are_refused_with_a_reason() {
        let err = load(
            "version: 1\nname: x\nsections:\n  - id: a\n    title: a\n    probe: { aws_rds: { instance: db, cluster: c, region: \"EU\" } }\n",
        )
        .unwrap_err();
        assert!(
            err.contains("give `instance` or `cluster`, not both"),
            "{err}"
        );
        assert!(err.contains("`EU` is not an AWS region name"), "{err}");
        let err = load(
            "version: 1\nname: x\nsections:\n  - id: a\n    title: a\n    probe: { aws_s3: { bucket: logs, expect: { versioned: true } } }\n",
        )
        .unwrap_err();
        assert!(err.contains("versioned"), "{err}");
    }
}
