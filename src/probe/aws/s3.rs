//! `aws_s3`: a bucket exists, blocks every kind of public access, encrypts by
//! default, and keeps versions.
//!
//! ```yaml
//! probe:
//!   aws_s3:
//!     bucket: ${ASSETS_BUCKET}
//!     expect: { public_access_blocked: true, encrypted: true, versioning: true }
//! ```
//!
//! Existence comes from one ListBuckets call per run; the rest from one
//! GetPublicAccessBlock, GetBucketEncryption and GetBucketVersioning call per
//! bucket, only when asked. Give the bucket's `region` (S3 answers calls about
//! a bucket in its own region). With an endpoint (`endpoint_url`,
//! `AWS_ENDPOINT_URL`), buckets are addressed by path
//! (`http://127.0.0.1:5000/bucket`), as emulators and VPC endpoints expect.
//! The account-wide public access block (S3 Control) is not read.

#[cfg(feature = "aws-s3")]
mod fetch;

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding, Probe};

/// Configuration of an `aws_s3` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Probe {
    /// The bucket's name (required).
    pub bucket: Text,
    /// What the bucket must look like (default: it exists).
    #[serde(default)]
    pub expect: S3Expect,
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

/// Expectations on a bucket.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Expect {
    /// All four public access blocks on: BlockPublicAcls, IgnorePublicAcls,
    /// BlockPublicPolicy, RestrictPublicBuckets.
    #[serde(default)]
    pub public_access_blocked: bool,
    /// Default encryption configured (SSE-S3 or SSE-KMS).
    #[serde(default)]
    pub encrypted: bool,
    /// Versioning enabled.
    #[serde(default)]
    pub versioning: bool,
}

super::settings_of!(S3Probe);

/// What the calls said about a bucket.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    /// Its name.
    pub name: String,
    /// The four blocks, in the order of [`S3Expect::public_access_blocked`]; `None`: no configuration.
    pub blocks: Option<[bool; 4]>,
    /// The default encryption's algorithm (`AES256`, `aws:kms`); `None`: none.
    pub encryption: Option<String>,
    /// `Enabled`, `Suspended`, or empty when never enabled.
    pub versioning: String,
}

const BLOCK_NAMES: [&str; 4] = [
    "BlockPublicAcls",
    "IgnorePublicAcls",
    "BlockPublicPolicy",
    "RestrictPublicBuckets",
];

/// Judges a bucket against the expectations.
pub fn judge(b: &Bucket, e: &S3Expect) -> Finding {
    let mut v = Verdicts::new();
    let name = b.name.as_str();
    let mut summary = vec![format!("{name} exists")];
    if e.public_access_blocked {
        let off: Vec<&str> = match b.blocks {
            None => BLOCK_NAMES.to_vec(),
            Some(blocks) => BLOCK_NAMES
                .iter()
                .zip(blocks)
                .filter(|(_, on)| !on)
                .map(|(n, _)| *n)
                .collect(),
        };
        let observed = if b.blocks.is_none() {
            "no public access block".to_owned()
        } else if off.is_empty() {
            "all four on".to_owned()
        } else {
            format!("{} off", off.join(", "))
        };
        v.check(
            off.is_empty(),
            "all four public access blocks on",
            format!("{name}: {observed}"),
            || format!("{name}: {observed}"),
        );
        if off.is_empty() {
            summary.push("public access blocked".to_owned());
        }
    }
    if e.encrypted {
        let observed = b.encryption.clone().unwrap_or_else(|| "none".to_owned());
        v.check(
            b.encryption.is_some(),
            "default encryption",
            format!("{name}: {observed}"),
            || format!("{name}: no default encryption"),
        );
        if b.encryption.is_some() {
            summary.push(format!("encrypted ({observed})"));
        }
    }
    if e.versioning {
        let observed = if b.versioning.is_empty() {
            "never enabled"
        } else {
            b.versioning.as_str()
        };
        v.check(
            b.versioning == "Enabled",
            "versioning Enabled",
            format!("{name}: {observed}"),
            || format!("{name}: versioning {}", observed.to_lowercase()),
        );
        if b.versioning == "Enabled" {
            summary.push("versioned".to_owned());
        }
    }
    v.finish(&summary.join(", "))
}

impl Probe for S3Probe {
    fn target(&self) -> String {
        format!(
            "aws s3 bucket {}{}",
            self.bucket.as_str(),
            self.settings().access().describe()
        )
    }

    fn secrets(&self) -> Vec<String> {
        self.settings().secrets()
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = super::missing_feature(cfg!(feature = "aws-s3"), "aws_s3", "aws-s3");
        problems.extend(self.settings().validate());
        let name = self.bucket.trim();
        if name.len() < 3 || name.len() > 63 || name.contains('/') {
            problems.push(format!(
                "`{name}` is not a bucket name (3 to 63 characters, no `/`)"
            ));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        super::fetch_or_missing!("aws-s3", self, ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    #[test]
    fn a_locked_down_bucket_passes() {
        let b = Bucket {
            name: "assets".into(),
            blocks: Some([true; 4]),
            encryption: Some("aws:kms".into()),
            versioning: "Enabled".into(),
        };
        let e = S3Expect {
            public_access_blocked: true,
            encrypted: true,
            versioning: true,
        };
        let f = judge(&b, &e);
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "assets exists, public access blocked, encrypted (aws:kms), versioned"
        );
    }

    #[test]
    fn each_gap_is_named() {
        let b = Bucket {
            name: "assets".into(),
            blocks: Some([true, false, true, false]),
            encryption: None,
            versioning: "Suspended".into(),
        };
        let e = S3Expect {
            public_access_blocked: true,
            encrypted: true,
            versioning: true,
        };
        let f = judge(&b, &e);
        assert_eq!(
            f.evidence,
            "assets: IgnorePublicAcls, RestrictPublicBuckets off; assets: no default encryption; assets: versioning suspended"
        );
        let none = Bucket { blocks: None, ..b };
        assert!(
            judge(&none, &e)
                .evidence
                .starts_with("assets: no public access block;")
        );
    }
}
