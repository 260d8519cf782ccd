//! AWS configuration for a run: aws-config's standard chain (environment,
//! shared config and credentials files with their profiles — assume-role,
//! `credential_process`, SSO when built with `aws-sso` — web identity, the
//! container endpoint, the EC2 instance metadata service), loaded once per
//! distinct [`Access`] and only when a probe asks.
//!
//! Loading also resolves the credentials once, within [`CREDENTIALS_LIMIT`]:
//! with none anywhere every AWS probe of the run gets the same one sentence,
//! naming where the chain looked, instead of each probe waiting on the
//! metadata service.

use std::sync::Arc;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_smithy_types::error::display::DisplayErrorContext;

use super::calls::CallKey;
use super::{Access, Shared};

/// The longest the credential chain may look before the run gives up on it.
pub const CREDENTIALS_LIMIT: Duration = Duration::from_secs(8);

/// The configuration for `access`, with credentials known to be there.
pub async fn config(shared: &Shared, access: &Access) -> Result<Arc<SdkConfig>, String> {
    let key = CallKey::list("config", "load", access);
    let access = access.clone();
    crate::probe::stage("loading the AWS configuration and credentials");
    shared.calls.get(key, move || load(access)).await
}

async fn load(access: Access) -> Result<SdkConfig, String> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(region) = &access.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &access.profile {
        loader = loader.profile_name(profile);
    }
    if let Some(endpoint) = &access.endpoint_url {
        loader = loader.endpoint_url(endpoint);
    }
    let config = tokio::time::timeout(CREDENTIALS_LIMIT, loader.load())
        .await
        .map_err(|_| {
            format!(
                "loading the AWS configuration took more than {}s",
                CREDENTIALS_LIMIT.as_secs()
            )
        })?;
    if config.region().is_none() {
        return Err(format!(
            "no AWS region: set `region:` in the probe or under `defaults: {{ aws: … }}`, or AWS_REGION; looked in the environment, {} and the instance metadata service",
            profile_files(&access)
        ));
    }
    let Some(provider) = config.credentials_provider() else {
        return Err(no_credentials(&access, None));
    };
    match tokio::time::timeout(CREDENTIALS_LIMIT, provider.provide_credentials()).await {
        Ok(Ok(_)) => Ok(config),
        Ok(Err(CredentialsError::CredentialsNotLoaded(_))) => Err(no_credentials(&access, None)),
        Ok(Err(CredentialsError::ProviderTimedOut(_))) | Err(_) => Err(no_credentials(
            &access,
            Some(&format!(
                "gave up after {}s (the instance metadata service did not answer)",
                CREDENTIALS_LIMIT.as_secs()
            )),
        )),
        Ok(Err(other)) => Err(format!(
            "AWS credentials could not be loaded{}: {}",
            profile_phrase(&access),
            crate::probe::expect::excerpt(&DisplayErrorContext(&other).to_string(), 300)
        )),
    }
}

/// The profile in use, for messages: ` for profile prod`.
fn profile_phrase(access: &Access) -> String {
    format!(" for profile `{}`", profile_name(access))
}

fn profile_name(access: &Access) -> String {
    access
        .profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_owned())
}

/// The shared files the chain reads, as a phrase.
fn profile_files(access: &Access) -> String {
    let file = |var: &str, default: &str| {
        std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    format!(
        "profile `{}` in {} and {}",
        profile_name(access),
        file("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
        file("AWS_CONFIG_FILE", "~/.aws/config"),
    )
}

/// The one sentence for a run without credentials.
fn no_credentials(access: &Access, extra: Option<&str>) -> String {
    let mut line = format!(
        "no AWS credentials found: looked in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), {}, a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE), the container credentials endpoint and the EC2 instance metadata service",
        profile_files(access)
    );
    if let Some(extra) = extra {
        line.push_str("; ");
        line.push_str(extra);
    }
    line
}
