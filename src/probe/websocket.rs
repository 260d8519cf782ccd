//! `websocket`: opens a ws:// or wss:// connection and checks it works — how
//! long connecting took, a message sent and the reply expected, a ping
//! answered by a pong.
//!
//! ```yaml
//! probe:
//!   websocket: { url: "wss://rtpm.example.com/ws", max_connect_time: 100ms }
//! ```
//!
//! Messages and frames larger than `max_message_bytes` are refused as they
//! arrive (tungstenite checks the frame header), at most [`MAX_MESSAGES`] are
//! read while waiting for a reply, and no wait is longer than `read_timeout`.
//! TLS is rustls through the `tls:` block every web probe takes (a private
//! CA, a client certificate, or `insecure`), offering only HTTP/1.1 by ALPN.

use std::time::{Duration, Instant};

use base64::Engine as _;
use futures::{SinkExt as _, StreamExt as _};
use indexmap::IndexMap;
use serde::Deserialize;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check};
use crate::probe::http::redact_url;
use crate::probe::reply::{ReplyExpect, quote, validate_waits};
use crate::probe::tls::{is_tls_error, tls_error};
use crate::probe::web::tls::TlsBlock;
use crate::probe::{Context, Probe};

/// The most messages read while waiting for a reply or a pong.
pub const MAX_MESSAGES: usize = 64;

/// The largest `max_message_bytes` accepted.
pub const MAX_MESSAGE_LIMIT: usize = 64 << 20;

const PING_PAYLOAD: &[u8] = b"candlefish";

/// Configuration of a `websocket` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebsocketProbe {
    /// The `ws://` or `wss://` URL (required). A password in it is a secret.
    pub url: Text,
    /// Headers of the upgrade request. Values that use the environment are secret.
    #[serde(default)]
    pub headers: IndexMap<String, Text>,
    /// A text message sent once connected. Secret when it uses the environment.
    #[serde(default)]
    pub send: Option<Text>,
    /// A message from the server must look like this (after `send`, if given).
    #[serde(default)]
    pub expect: Option<ReplyExpect>,
    /// Send a ping and expect its pong (default `true`).
    #[serde(default = "yes")]
    pub ping: bool,
    /// Connecting (TCP, TLS and the upgrade) slower than this fails (default: none).
    #[serde(default)]
    pub max_connect_time: Option<Dur>,
    /// The largest message or frame accepted, in bytes (default 1048576, 1 MiB).
    #[serde(default = "default_max_message")]
    pub max_message_bytes: usize,
    /// How long to wait for a reply, and for the pong (default `5s`).
    #[serde(default = "default_read_timeout")]
    pub read_timeout: Dur,
    /// TLS settings for `wss://`, the block every web probe takes:
    /// `ca_file`, `client_cert` and `client_key`, `insecure` (default: the
    /// system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
    /// The same as `tls: { ca_file }`, kept for older checklists; relative to
    /// the checklist (default none).
    #[serde(default)]
    pub ca_file: Option<Text>,
}

fn yes() -> bool {
    true
}
fn default_max_message() -> usize {
    1 << 20
}
fn default_read_timeout() -> Dur {
    Dur(Duration::from_secs(5))
}

impl Probe for WebsocketProbe {
    fn target(&self) -> String {
        redact_url(&self.url)
    }

    fn secrets(&self) -> Vec<String> {
        let mut out = Vec::new();
        for value in self.headers.values().chain(self.send.iter()) {
            if value.from_env() {
                out.push(value.as_str().to_owned());
                out.extend(value.env_parts().iter().cloned());
            }
        }
        out.extend(crate::probe::web::fields::url_secrets(&self.url));
        out
    }

    fn validate(&self, timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        match reqwest::Url::parse(&self.url) {
            Ok(url) if !matches!(url.scheme(), "ws" | "wss") => problems.push(format!(
                "url `{}` has scheme `{}`: the websocket probe speaks ws and wss",
                redact_url(&self.url),
                url.scheme()
            )),
            Ok(_) => {}
            Err(e) => problems.push(format!(
                "url `{}` is not a valid URL: {e}",
                redact_url(&self.url)
            )),
        }
        for name in self.headers.keys() {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                problems.push(format!("`{name}` is not a valid header name"));
            }
        }
        if self.expect.as_ref().is_some_and(ReplyExpect::is_empty) {
            problems.push("`expect` expects nothing: give contains, matches or equals".to_owned());
        }
        if self.max_message_bytes == 0 || self.max_message_bytes > MAX_MESSAGE_LIMIT {
            problems.push(format!(
                "max_message_bytes must be between 1 and {MAX_MESSAGE_LIMIT}, not {}",
                self.max_message_bytes
            ));
        }
        problems.extend(validate_waits(
            self.read_timeout,
            self.max_connect_time,
            timeout,
        ));
        problems.extend(self.tls.problems());
        if self.ca_file.is_some() && (self.tls.ca_file.is_some() || self.tls.insecure) {
            problems.push(
                "ca_file is a shorthand for tls: { ca_file }: give the CA once, under tls:"
                    .to_owned(),
            );
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl WebsocketProbe {
    async fn attempt(&self, ctx: &Context) -> Finding {
        let request = match self.request() {
            Ok(request) => request,
            Err(e) => return Finding::error(e),
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.max_message_bytes))
            .max_frame_size(Some(self.max_message_bytes));
        let started = Instant::now();
        let stream = match self.open(ctx, &request).await {
            Ok(stream) => stream,
            Err(e) => return Finding::error(e),
        };
        let place = place_of(&request);
        crate::probe::stage(format!(
            "upgrading to WebSocket at {place} (connected; waiting for 101 Switching Protocols)"
        ));
        let connected =
            tokio_tungstenite::client_async_with_config(request, stream, Some(config)).await;
        let connect_time = started.elapsed();
        let mut ws = match connected {
            Ok((ws, _response)) => ws,
            Err(tungstenite::Error::Http(response)) => {
                let status = response.status();
                return Finding::from_checks(
                    vec![check(
                        false,
                        "an upgrade to WebSocket (101)",
                        format!(
                            "{} {}",
                            status.as_u16(),
                            status.canonical_reason().unwrap_or("")
                        )
                        .trim_end()
                        .to_owned(),
                    )],
                    "",
                    &format!("in {}", format_duration(connect_time)),
                );
            }
            Err(e) => return Finding::error(connect_error(&e, &self.url)),
        };
        let mut checks: Vec<Check> = Vec::new();
        let mut summary = format!("connected in {}", format_duration(connect_time));
        if let Some(max) = self.max_connect_time {
            checks.push(check(
                connect_time <= max.0,
                format!("a connection within {max}"),
                format_duration(connect_time),
            ));
        }
        let wait = self.read_timeout.0;
        let waited = format_duration(wait);
        if self.send.is_some() {
            crate::probe::stage(format!("sending the message to {place} (upgraded)"));
        }
        if let Some(send) = &self.send
            && let Err(e) = ws.send(Message::text(send.as_str())).await
        {
            checks.push(check(false, "to send the message", describe(&e)));
            return Finding::from_checks(checks, &summary, "");
        }
        if let Some(expect) = &self.expect {
            crate::probe::stage(format!(
                "waiting for a message {} from {place} (upgraded; read_timeout {waited})",
                expect.describe()
            ));
            let reply = read_until(&mut ws, wait, |m| match m {
                Message::Text(t) => expect.holds(t.as_str()),
                Message::Binary(b) => expect.holds(&String::from_utf8_lossy(b)),
                _ => false,
            })
            .await;
            summary.push_str(&format!(", reply {}", quote(&reply.last)));
            checks.push(reply.check(format!("a message {}", expect.describe()), wait));
        }
        if self.ping {
            let sent = Instant::now();
            crate::probe::stage(format!("sending a ping to {place} (upgraded)"));
            if let Err(e) = ws.send(Message::Ping(PING_PAYLOAD.to_vec().into())).await {
                checks.push(check(false, "to send a ping", describe(&e)));
            } else {
                crate::probe::stage(format!(
                    "waiting for the pong from {place} (upgraded, ping sent; read_timeout {waited})"
                ));
                let pong = read_until(
                    &mut ws,
                    wait,
                    |m| matches!(m, Message::Pong(p) if p.as_ref() == PING_PAYLOAD),
                )
                .await;
                let rtt = format_duration(sent.elapsed());
                if pong.found {
                    summary.push_str(&format!(", pong in {rtt}"));
                }
                checks.push(pong.check("a pong to our ping".to_owned(), wait));
            }
        }
        crate::probe::stage(format!("closing the connection to {place}"));
        let _ = tokio::time::timeout(Duration::from_millis(250), ws.close(None)).await;
        Finding::from_checks(checks, &summary, "")
    }

    /// The upgrade request: the URL without credentials, and the headers
    /// (URL credentials become Basic authentication).
    fn request(&self) -> Result<tungstenite::handshake::client::Request, String> {
        let mut url = reqwest::Url::parse(&self.url)
            .map_err(|e| format!("url `{}`: {e}", redact_url(&self.url)))?;
        let credentials = url
            .password()
            .map(|password| basic(url.username(), password));
        let _ = url.set_username("");
        let _ = url.set_password(None);
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| format!("url `{}`: {e}", redact_url(&self.url)))?;
        let headers = request.headers_mut();
        for (name, value) in &self.headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("`{name}` is not a valid header name"))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| format!("the value of header `{name}` is not valid in HTTP"))?;
            headers.insert(name, value);
        }
        if let Some(encoded) = credentials {
            let value = reqwest::header::HeaderValue::from_str(&format!("Basic {encoded}"))
                .map_err(|_| "the URL's credentials are not valid in HTTP".to_owned())?;
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        Ok(request)
    }

    /// The TCP connection, and over it the TLS session for `wss://`, each
    /// stage named as it begins so a deadline says which one stalled.
    async fn open(
        &self,
        ctx: &Context,
        request: &tungstenite::handshake::client::Request,
    ) -> Result<Stream, String> {
        let uri = request.uri();
        let host = uri
            .host()
            .unwrap_or_default()
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let secure = uri.scheme_str() == Some("wss");
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let place = place_of(request);
        crate::probe::stage(format!("connecting to {place}"));
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| crate::probe::tls::connect_error(&host, port, &e))?;
        let _ = tcp.set_nodelay(true);
        if !secure {
            return Ok(Stream::Plain(tcp));
        }
        let mut options = self.tls.options_in(ctx);
        if let Some(path) = &self.ca_file {
            options.ca_file = Some(ctx.resolve(std::path::Path::new(path.as_str())));
        }
        let mut config = crate::probe::web::tls::client_config(&options)?;
        // The upgrade is an HTTP/1.1 request: never let the server pick h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        // The stage below names the handshake with the port; the web clients'
        // session store, which names it from the host alone, is not needed.
        config.resumption = rustls::client::Resumption::default();
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|_| format!("`{host}` is not a valid server name"))?;
        crate::probe::stage(format!("in the TLS handshake with {place} (connected)"));
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(config))
            .connect(name, tcp)
            .await
            .map(Stream::Rustls)
            .map_err(|e| {
                if is_tls_error(&e) {
                    format!("TLS with {place} failed: {}", tls_error(&e))
                } else {
                    format!("TLS with {place} failed: {e}")
                }
            })
    }
}

type Stream = tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>;

/// `host:port` of the upgrade request, for stages and evidence.
fn place_of(request: &tungstenite::handshake::client::Request) -> String {
    let uri = request.uri();
    let port = uri
        .port_u16()
        .unwrap_or(if uri.scheme_str() == Some("wss") {
            443
        } else {
            80
        });
    format!("{}:{port}", uri.host().unwrap_or_default())
}

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// What waiting for a message found.
struct Awaited {
    found: bool,
    /// The last text or binary message seen (bounded by `max_message_bytes`).
    last: Vec<u8>,
    messages: usize,
    end: Option<String>,
}

impl Awaited {
    fn check(&self, expected: String, wait: Duration) -> Check {
        let observed = if self.found {
            if self.last.is_empty() {
                "received".to_owned()
            } else {
                quote(&self.last)
            }
        } else {
            let why = self
                .end
                .clone()
                .unwrap_or_else(|| format!("nothing more within {}", format_duration(wait)));
            match self.messages {
                0 => why,
                n => format!(
                    "{n} other message{} (last {}), then {why}",
                    if n == 1 { "" } else { "s" },
                    quote(&self.last)
                ),
            }
        };
        check(self.found, expected, observed)
    }
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Reads messages until `wanted` accepts one, the connection ends, [`MAX_MESSAGES`]
/// were read, or `wait` passed.
async fn read_until(ws: &mut Socket, wait: Duration, wanted: impl Fn(&Message) -> bool) -> Awaited {
    let deadline = tokio::time::Instant::now() + wait;
    let mut seen = Awaited {
        found: false,
        last: Vec::new(),
        messages: 0,
        end: None,
    };
    while seen.messages < MAX_MESSAGES {
        let message = match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => break,
            Ok(None) => {
                seen.end = Some("the connection ended".to_owned());
                break;
            }
            Ok(Some(Err(e))) => {
                seen.end = Some(describe(&e));
                break;
            }
            Ok(Some(Ok(message))) => message,
        };
        let accepted = wanted(&message);
        match &message {
            Message::Text(t) => seen.last = t.as_bytes().to_vec(),
            Message::Binary(b) => seen.last = b.to_vec(),
            Message::Close(frame) => {
                seen.end = Some(match frame {
                    Some(f) => format!(
                        "the server closed the connection ({} {})",
                        u16::from(f.code),
                        f.reason
                    ),
                    None => "the server closed the connection".to_owned(),
                });
                break;
            }
            _ => {}
        }
        if accepted {
            seen.found = true;
            break;
        }
        if matches!(message, Message::Text(_) | Message::Binary(_)) {
            seen.messages += 1;
        }
    }
    if !seen.found && seen.end.is_none() && seen.messages >= MAX_MESSAGES {
        seen.end = Some(format!("stopped reading after {MAX_MESSAGES} messages"));
    }
    seen
}

/// A person's account of a WebSocket error.
fn describe(error: &tungstenite::Error) -> String {
    match error {
        tungstenite::Error::Capacity(tungstenite::error::CapacityError::MessageTooLong {
            size,
            max_size,
        }) => format!("a message of {size} bytes, over max_message_bytes ({max_size})"),
        tungstenite::Error::Capacity(other) => other.to_string(),
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            "the connection closed".to_owned()
        }
        tungstenite::Error::Protocol(p) => format!("a protocol error ({p})"),
        tungstenite::Error::Io(e) => format!("a connection error ({e})"),
        other => other.to_string(),
    }
}

/// Why connecting failed, without the URL's secrets.
fn connect_error(error: &tungstenite::Error, url: &str) -> String {
    let place = reqwest::Url::parse(url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port_or_known_default()?)))
        .unwrap_or_default();
    match error {
        tungstenite::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("connection refused ({place})")
        }
        tungstenite::Error::Io(e) if is_tls_error(e) => {
            format!("TLS with {place} failed: {}", tls_error(e))
        }
        tungstenite::Error::Io(e) => format!("could not connect to {place}: {e}"),
        tungstenite::Error::Tls(e) => format!("TLS with {place} failed: {e}"),
        tungstenite::Error::Url(e) => format!("url: {e}"),
        other => format!("{} ({place})", describe(other)),
    }
}
