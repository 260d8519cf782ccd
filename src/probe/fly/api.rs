//! The Fly.io Machines API as the `fly` probe reads it: the documented JSON
//! shapes of an app, its machines (state, region, image reference, health
//! checks, mounts), its volumes and its secrets (names and digests only), and
//! one GET per (API, app, resource, token) per run, shared through the probe
//! `Context` as an in-flight future. Every answer that is not a 200 has its
//! own sentence: unauthorized, unknown app, rate limited.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use futures::FutureExt as _;
use futures::future::{BoxFuture, Shared as SharedFuture};
use serde::Deserialize;

use crate::probe::web::{self, Limits, Request};

/// The most of one answer that is read.
pub const MAX_BODY: usize = 4 << 20;

/// `GET /v1/apps/{app}`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct App {
    /// The app's name.
    #[serde(default)]
    pub name: String,
    /// `deployed`, `pending`, `suspended`, ….
    #[serde(default)]
    pub status: Option<String>,
}

/// One machine of `GET /v1/apps/{app}/machines`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Machine {
    /// Its id (`148ed193b95489`).
    #[serde(default)]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: Option<String>,
    /// `started`, `stopped`, `suspended`, `replacing`, `destroyed`, ….
    #[serde(default)]
    pub state: String,
    /// The region code (`iad`).
    #[serde(default)]
    pub region: String,
    /// Its configuration: image, mounts, metadata.
    #[serde(default)]
    pub config: Option<MachineConfig>,
    /// The image it runs, resolved.
    #[serde(default)]
    pub image_ref: Option<ImageRef>,
    /// Its health checks' latest results.
    #[serde(default)]
    pub checks: Option<Vec<CheckStatus>>,
}

/// The part of a machine's configuration the probe reads.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct MachineConfig {
    /// The image as deployed (`registry.fly.io/app:deployment-01…`).
    #[serde(default)]
    pub image: Option<String>,
    /// Volumes mounted into the machine.
    #[serde(default)]
    pub mounts: Option<Vec<Mount>>,
    /// Metadata (`fly_process_group`, …).
    #[serde(default)]
    pub metadata: Option<HashMap<String, String>>,
}

/// A mount: the volume's id and where it is mounted.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Mount {
    /// The volume id (`vol_…`).
    #[serde(default)]
    pub volume: Option<String>,
    /// The mount path.
    #[serde(default)]
    pub path: Option<String>,
}

/// A resolved image reference.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImageRef {
    /// `registry.fly.io`.
    #[serde(default)]
    pub registry: Option<String>,
    /// `rtpm-api-candlefish`.
    #[serde(default)]
    pub repository: Option<String>,
    /// `deployment-01J…`.
    #[serde(default)]
    pub tag: Option<String>,
    /// `sha256:…`.
    #[serde(default)]
    pub digest: Option<String>,
}

/// A health check's latest result.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CheckStatus {
    /// The check's name (`servicecheck-00-http-8080`).
    #[serde(default)]
    pub name: String,
    /// `passing`, `warning` or `critical`.
    #[serde(default)]
    pub status: String,
    /// What the check saw.
    #[serde(default)]
    pub output: Option<String>,
}

/// One volume of `GET /v1/apps/{app}/volumes`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Volume {
    /// Its id (`vol_…`).
    #[serde(default)]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// `created`, `pending_destroy`, ….
    #[serde(default)]
    pub state: Option<String>,
    /// The region code.
    #[serde(default)]
    pub region: String,
    /// The machine it is attached to, if any.
    #[serde(default)]
    pub attached_machine_id: Option<String>,
}

/// `GET /v1/apps/{app}/secrets`: names and digests, never values.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Secrets {
    /// The secrets.
    #[serde(default)]
    pub secrets: Vec<SecretName>,
}

/// One secret's name.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SecretName {
    /// The name (`DATABASE_URL`).
    #[serde(default)]
    pub name: String,
}

/// What a GET found: the parsed answer, or a 404 for the app.
#[derive(Debug, Clone)]
pub enum Answer<T> {
    /// 200 and the JSON.
    Found(T),
    /// 404: the app does not exist, or the token cannot see it.
    UnknownApp,
}

type Json = Result<Option<Arc<serde_json::Value>>, String>;
type Call = SharedFuture<BoxFuture<'static, Json>>;

/// The run's Machines API reads.
#[derive(Default)]
pub struct Calls {
    calls: Mutex<HashMap<(String, String), Call>>,
}

/// Where and as whom the probe reads.
#[derive(Clone)]
pub struct Target {
    /// The API's base URL, without a trailing `/`.
    pub base: String,
    /// The app.
    pub app: String,
    /// The bearer token.
    pub token: String,
    /// The shared HTTP client for the probe's TLS settings.
    pub client: reqwest::Client,
}

impl Calls {
    /// `GET {base}/v1/apps/{app}{resource}`, once per run for the same token, parsed as `T`.
    pub async fn get<T: for<'de> Deserialize<'de>>(
        &self,
        target: &Target,
        resource: &str,
    ) -> Result<Answer<T>, String> {
        let url = format!("{}/v1/apps/{}{resource}", target.base, target.app);
        let what = if resource.is_empty() {
            format!("app {}", target.app)
        } else {
            format!("{} of app {}", resource.trim_start_matches('/'), target.app)
        };
        crate::probe::stage(format!("waiting for the Fly API to answer for the {what}"));
        let call = {
            let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
            calls
                .entry((url.clone(), target.token.clone()))
                .or_insert_with(|| {
                    let (client, token, what) =
                        (target.client.clone(), target.token.clone(), what.clone());
                    let call = async move {
                        tokio::spawn(fetch(client, url, token, what))
                            .await
                            .unwrap_or_else(|e| Err(format!("the call to the Fly API failed: {e}")))
                    };
                    call.boxed().shared()
                })
                .clone()
        };
        match call.await? {
            None => Ok(Answer::UnknownApp),
            Some(json) => serde_json::from_value::<T>((*json).clone())
                .map(Answer::Found)
                .map_err(|e| {
                    format!("the Fly API's answer for the {what} is not the documented shape: {e}")
                }),
        }
    }
}

async fn fetch(client: reqwest::Client, url: String, token: String, what: String) -> Json {
    let mut request = Request::new(reqwest::Method::GET, &url)?;
    let mut auth = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| "the Fly API token has characters a header cannot carry".to_owned())?;
    auth.set_sensitive(true);
    request.headers.insert(reqwest::header::AUTHORIZATION, auth);
    request.headers.insert(
        reqwest::header::ACCEPT,
        reqwest::header::HeaderValue::from_static("application/json"),
    );
    let limits = Limits {
        redirects: None,
        body: MAX_BODY,
        keep_body: true,
    };
    let exchange = web::send(&client, request, limits)
        .await
        .map_err(|f| match f {
            web::Failure::Transport(text) | web::Failure::Redirect(_, text) => {
                format!("the Fly API: {text}")
            }
        })?;
    let status = exchange.status.as_u16();
    let message = error_message(&exchange.body.bytes);
    match status {
        200 => {}
        401 | 403 => {
            return Err(format!(
                "the Fly API refused the token ({}){message}",
                exchange.status_line()
            ));
        }
        404 => return Ok(None),
        429 => {
            let after = exchange
                .header("retry-after")
                .map(|s| format!(", retry after {s}s"))
                .unwrap_or_default();
            return Err(format!(
                "rate limited by the Fly API (429 Too Many Requests{after})"
            ));
        }
        _ => {
            return Err(format!(
                "the Fly API answered {} for the {what}{message}",
                exchange.status_line()
            ));
        }
    }
    if exchange.body.truncated {
        return Err(format!(
            "the Fly API's answer for the {what} is larger than {} MiB",
            MAX_BODY >> 20
        ));
    }
    serde_json::from_slice(&exchange.body.bytes)
        .map(|v| Some(Arc::new(v)))
        .map_err(|e| format!("the Fly API's answer for the {what} is not JSON: {e}"))
}

/// `: <error>` from a `{"error": "…"}` body, if there is one.
fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("error")
                .and_then(|e| e.as_str())
                .map(|e| format!(": {}", crate::probe::expect::excerpt(e, 160)))
        })
        .unwrap_or_default()
}
