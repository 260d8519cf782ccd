//! `fly`: a Fly.io app ready for traffic, read through the Machines REST API:
//! the app exists; machines are started in the expected regions and number,
//! their health checks passing; the expected image is deployed; volumes are
//! attached; named secrets are set (names only — the API never returns
//! values unless asked to, and this probe never asks).
//!
//! ```yaml
//! probe:
//!   fly:
//!     app: rtpm-api-candlefish
//!     machines: { min: 2, regions: [iad, ord] }
//!     image: deployment-01JDQ3Z8W4
//!     volumes: true
//!     secrets: [DATABASE_URL, JWT_SECRET]
//! ```
//!
//! The token comes from `token` (`${FLY_API_TOKEN}`), else the environment's
//! `FLY_API_TOKEN`, and is a secret: it never appears in any output. Each GET
//! is made once per run and shared ([`api::Calls`]).

pub mod api;
mod judge;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::probe::expect::{Part, check};
use crate::probe::kubernetes::fields::{Enabled, List};
use crate::probe::web::ClientOptions;
use crate::probe::{Context, Finding, Probe};
use api::{Answer, App, Machine, Secrets, Target, Volume};
pub use judge::{MachinesCheck, VolumesCheck};

/// The public Machines API.
pub const DEFAULT_API: &str = "https://api.machines.dev";

/// The environment variable read when `token` is not given.
pub const TOKEN_VARIABLE: &str = "FLY_API_TOKEN";

/// Configuration of a `fly` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlyProbe {
    /// The app's name (required).
    pub app: Text,
    /// The API token (default: the environment's `FLY_API_TOKEN`). A secret.
    #[serde(default)]
    pub token: Option<Text>,
    /// The Machines API's base URL (default `https://api.machines.dev`;
    /// `http://_api.internal:4280` inside Fly's private network).
    #[serde(default)]
    pub api: Option<Text>,
    /// TLS settings for `api`, as every web probe takes them
    /// (`tls: { ca_file: … }` for a private endpoint).
    #[serde(default)]
    pub tls: crate::probe::web::TlsBlock,
    /// Machines started, in number and regions, with passing health checks.
    #[serde(default)]
    pub machines: Enabled<MachinesCheck>,
    /// Every started machine runs this image: a tag (`deployment-01J…`), a
    /// digest (`sha256:…`), or the reference as deployed.
    #[serde(default)]
    pub image: Option<Text>,
    /// Volumes exist and are attached; every machine's mount has its volume.
    #[serde(default)]
    pub volumes: Enabled<VolumesCheck>,
    /// Secrets that must be set, by name.
    #[serde(default)]
    pub secrets: Option<List<Text>>,
}

impl FlyProbe {
    fn token(&self) -> Option<String> {
        match &self.token {
            Some(t) => Some(t.as_str().to_owned()),
            None => std::env::var(TOKEN_VARIABLE).ok(),
        }
        .filter(|t| !t.trim().is_empty())
    }

    fn base(&self) -> String {
        self.api
            .as_ref()
            .map_or(DEFAULT_API, |a| a.trim())
            .trim_end_matches('/')
            .to_owned()
    }
}

/// What the run's `fly` probes share.
#[derive(Default)]
pub struct Shared {
    calls: api::Calls,
}

impl Probe for FlyProbe {
    fn target(&self) -> String {
        format!("fly app {}", self.app.as_str())
    }

    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.base())
    }

    fn secrets(&self) -> Vec<String> {
        let mut all: Vec<String> = self.token().into_iter().collect();
        if let Some(api) = &self.api {
            all.extend(crate::probe::web::fields::url_secrets(api));
        }
        all
    }

    fn validate(&self, _timeout: std::time::Duration) -> Vec<String> {
        let mut problems = Vec::new();
        let app = self.app.trim();
        if app.is_empty()
            || !app
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            problems.push(format!(
                "`{app}` is not a Fly app name: lowercase letters, digits and `-`"
            ));
        }
        if let Some(api) = &self.api
            && reqwest::Url::parse(api.trim())
                .map_or(true, |u| !matches!(u.scheme(), "http" | "https"))
        {
            problems.push(format!(
                "api `{}` is not an http(s) URL",
                crate::probe::web::redact_url(api.trim())
            ));
        }
        problems.extend(self.tls.problems());
        if self.token.as_ref().is_some_and(|t| t.trim().is_empty()) {
            problems.push("token is empty: write token: ${FLY_API_TOKEN}".to_owned());
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        let Some(token) = self.token() else {
            return Finding::error(format!(
                "no Fly API token: set {TOKEN_VARIABLE} (e.g. `fly tokens create readonly`) or give token:"
            ));
        };
        let options = ClientOptions {
            tls: self.tls.options(),
            follow_redirects: false,
        };
        let client = match ctx.web_client(&options) {
            Ok(client) => client,
            Err(e) => return Finding::error(e),
        };
        let target = Target {
            base: self.base(),
            app: self.app.trim().to_owned(),
            token,
            client,
        };
        match self.gather(ctx, &target).await {
            Ok(parts) => self.tls.judge(Part::finish(parts)),
            Err(Stop::Error(e)) => Finding::error(e),
            Err(Stop::UnknownApp) => {
                let observed =
                    format!("app {}: not found (or the token cannot see it)", target.app);
                Part::finish(vec![Part::one(
                    check(
                        false,
                        format!("app {} exists", target.app),
                        observed.clone(),
                    ),
                    observed,
                )])
            }
        }
    }
}

enum Stop {
    Error(String),
    UnknownApp,
}

async fn read<T: for<'de> Deserialize<'de>>(
    ctx: &Context,
    target: &Target,
    resource: &str,
) -> Result<T, Stop> {
    match ctx.fly().calls.get::<T>(target, resource).await {
        Ok(Answer::Found(value)) => Ok(value),
        Ok(Answer::UnknownApp) => Err(Stop::UnknownApp),
        Err(e) => Err(Stop::Error(e)),
    }
}

impl FlyProbe {
    async fn gather(&self, ctx: &Context, target: &Target) -> Result<Vec<Part>, Stop> {
        let app: App = read(ctx, target, "").await?;
        let status = app
            .status
            .clone()
            .map(|s| format!(" ({s})"))
            .unwrap_or_default();
        let mut parts = vec![Part::one(
            check(
                true,
                format!("app {} exists", target.app),
                format!("app {}{status}", target.app),
            ),
            format!("app {}{status}", target.app),
        )];
        let needs_machines =
            self.machines.0.is_some() || self.image.is_some() || self.volumes.0.is_some();
        let machines: Vec<Machine> = if needs_machines {
            read(ctx, target, "/machines").await?
        } else {
            Vec::new()
        };
        if let Some(settings) = &self.machines.0 {
            parts.push(judge::machines(&machines, settings));
        }
        if let Some(expected) = &self.image {
            parts.push(judge::image(&machines, expected.trim()));
        }
        if let Some(settings) = &self.volumes.0 {
            let volumes: Vec<Volume> = read(ctx, target, "/volumes").await?;
            parts.push(judge::volumes(&volumes, &machines, settings));
        }
        if let Some(wanted) = &self.secrets {
            let found: Secrets = read(ctx, target, "/secrets").await?;
            let names: Vec<String> = found.secrets.into_iter().map(|s| s.name).collect();
            let wanted: Vec<&str> = wanted.0.iter().map(|w| w.trim()).collect();
            parts.push(judge::secrets(&names, &wanted));
        }
        Ok(parts)
    }
}

impl Context {
    /// What the run's `fly` probes share.
    pub fn fly(&self) -> &Shared {
        &self.fly
    }
}
