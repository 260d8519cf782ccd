//! What the web probes (`http`, `cors`, `headers`, `rate_limit`, `graphql`,
//! `openapi`) share: the one `tls:` block they all take and the rustls
//! configuration built from it ([`tls`]), clients per TLS configuration
//! ([`client`]), one bounded exchange with redirects followed by hand
//! ([`exchange`]), the stage a deadline names ([`stages`]), error descriptions
//! ([`error`]) and the configuration types they all accept ([`fields`]).

pub mod client;
pub mod decode;
pub mod error;
pub mod exchange;
pub mod fields;
pub mod stages;
pub mod tls;
pub mod zstd;

pub use client::{ClientOptions, Clients};
pub use exchange::{Body, Exchange, Failure, Limits, Request, send, send_with_jar};
pub use fields::{Method, Percent, RequestHeaders, StatusSet, Strings, redact_url};
pub use tls::{TlsBlock, TlsOptions};

use crate::probe::{Context, Finding};

/// Sends `request` with the run's client for the probe's `tls` block: the
/// exchange, or the finding of a probe that cannot go on (could not connect,
/// redirects gone wrong, a certificate file missing).
pub async fn fetch(
    ctx: &Context,
    tls: &TlsBlock,
    request: Request,
    limits: Limits,
) -> Result<Exchange, Finding> {
    let client = ctx
        .web_client(&ClientOptions {
            tls: tls.options_in(ctx),
            follow_redirects: false,
        })
        .map_err(Finding::error)?;
    send(&client, request, limits)
        .await
        .map_err(Failure::finding)
}

/// The client for `options` and the request a probe sends, or the finding of
/// a probe that cannot start (a certificate file missing, a header value that
/// cannot be sent).
pub fn prepare(
    ctx: &Context,
    tls: &TlsBlock,
    method: &Method,
    url: &str,
    headers: &RequestHeaders,
    body: Option<&crate::checklist::text::Text>,
) -> Result<(reqwest::Client, Request), Finding> {
    let options = ClientOptions {
        tls: tls.options_in(ctx),
        follow_redirects: false,
    };
    let client = ctx.web_client(&options).map_err(Finding::error)?;
    let request = Request::build(method.0.clone(), url, headers, body).map_err(Finding::error)?;
    Ok((client, request))
}

/// A random lowercase hex label, different in every call, for values no
/// server could have been configured with (a random origin, say).
pub fn random_label() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    hasher.write_u128(nanos);
    format!("{:016x}", hasher.finish())
}
