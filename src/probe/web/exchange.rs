//! One HTTP exchange, bounded: sends a request, follows redirects itself (so a
//! loop or a long chain is reported with the URLs it went through, and
//! credentials never follow a redirect to another origin), and reads at most a
//! given number of body bytes.
//!
//! Time is bounded by the engine's deadline around the probe; memory by the
//! body limit here and by the client's limits on response heads.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName};
use reqwest::{StatusCode, Url};

use crate::probe::expect::{Finding, check, excerpt};
use crate::probe::web::decode::{Decoder, Encoding, Sink, Stop};
use crate::probe::web::error::describe_error;
use crate::probe::web::fields::redact_url;

/// A request to send.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: reqwest::Method,
    /// The URL.
    pub url: Url,
    /// Headers. Values marked sensitive are dropped on a redirect to another origin.
    pub headers: HeaderMap,
    /// A body.
    pub body: Option<Bytes>,
}

impl Request {
    /// A request with the checklist's headers and body. Errors never show a
    /// password or a header value.
    pub fn build(
        method: reqwest::Method,
        url: &str,
        headers: &crate::probe::web::RequestHeaders,
        body: Option<&crate::checklist::text::Text>,
    ) -> Result<Request, String> {
        let mut request = Request::new(method, url)?;
        request.headers = crate::probe::web::fields::header_map(headers)?;
        request.body = body.map(|b| Bytes::from(b.as_str().to_owned()));
        Ok(request)
    }

    /// A request without headers or body. The error never shows a password.
    pub fn new(method: reqwest::Method, url: &str) -> Result<Request, String> {
        let url = Url::parse(url)
            .map_err(|e| format!("url `{}` is not a valid URL: {e}", redact_url(url)))?;
        Ok(Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
        })
    }
}

/// How to send: redirects to follow and body bytes to read.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `None`: judge the first response. `Some(n)`: follow up to `n` redirects.
    pub redirects: Option<usize>,
    /// Read at most this many body bytes; 0 reads none.
    pub body: usize,
    /// Keep the bytes read. Without, they are counted and dropped, so memory
    /// stays flat however many probes run at once.
    pub keep_body: bool,
}

/// Why an exchange did not produce a response to judge.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The probe could not run: refused, DNS, TLS, a broken response.
    Transport(String),
    /// The server answered with redirects that went wrong: `(expected, observed)`.
    Redirect(String, String),
}

impl Failure {
    /// The finding for a probe that stops here.
    pub fn finding(self) -> Finding {
        match self {
            Failure::Transport(text) => Finding::error(text),
            Failure::Redirect(expected, observed) => {
                Finding::from_checks(vec![check(false, expected, observed)], "", "")
            }
        }
    }
}

/// A response body, or its first bytes.
#[derive(Debug, Clone, Default)]
pub struct Body {
    /// The bytes read, when kept.
    pub bytes: Vec<u8>,
    /// How many bytes were read.
    pub seen: usize,
    /// Whether the body went on past the limit.
    pub truncated: bool,
    /// The content coding it was decoded from (`gzip`, `deflate`, `br`), and
    /// how many compressed bytes were read.
    pub encoding: Option<(&'static str, usize)>,
}

/// What one exchange showed.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// The final status.
    pub status: StatusCode,
    /// The final response's headers.
    pub headers: HeaderMap,
    /// The final URL.
    pub url: Url,
    /// The URLs that redirected, in order.
    pub redirects: Vec<Url>,
    /// From sending the first request to reading the body.
    pub latency: Duration,
    /// The body, up to the limit.
    pub body: Body,
}

impl Exchange {
    /// An exchange as if `http://h.test/` had answered, for unit tests.
    #[cfg(test)]
    pub(crate) fn fake(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            map.append(
                HeaderName::from_bytes(name.as_bytes()).expect("header name"),
                value.parse().expect("header value"),
            );
        }
        Exchange {
            status: StatusCode::from_u16(status).expect("status"),
            headers: map,
            url: Url::parse("http://h.test/").expect("url"),
            redirects: Vec::new(),
            latency: Duration::from_millis(1),
            body: Body {
                bytes: body.as_bytes().to_vec(),
                seen: body.len(),
                truncated: false,
                encoding: None,
            },
        }
    }

    /// `503 Service Unavailable`.
    pub fn status_line(&self) -> String {
        status_line(self.status)
    }

    /// Every value of header `name`, joined with `, `, shortened for evidence.
    pub fn header(&self, name: &str) -> Option<String> {
        header_text(&self.headers, name)
    }
}

/// `503 Service Unavailable`.
pub fn status_line(status: StatusCode) -> String {
    format!(
        "{} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_owned()
}

/// Every value of header `name` in `headers`, joined with `, `, shortened for evidence.
pub fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<String> = headers
        .get_all(name)
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    (!values.is_empty()).then(|| excerpt(&values.join(", "), 200))
}

/// Sends `request`, following redirects as `limits` allows, and reads the body.
pub async fn send(
    client: &reqwest::Client,
    request: Request,
    limits: Limits,
) -> Result<Exchange, Failure> {
    let started = Instant::now();
    let mut current = request;
    let mut redirects: Vec<Url> = Vec::new();
    loop {
        let mut headers = current.headers.clone();
        if !headers.contains_key(header::ACCEPT_ENCODING) {
            headers.insert(
                header::ACCEPT_ENCODING,
                header::HeaderValue::from_static(super::decode::ACCEPT),
            );
        }
        let mut builder = client
            .request(current.method.clone(), current.url.clone())
            .headers(headers);
        if let Some(body) = &current.body {
            builder = builder.body(body.clone());
        }
        super::stages::waiting_for_headers(
            &super::fields::host_of(current.url.as_str()).unwrap_or_default(),
        );
        let response = builder
            .send()
            .await
            .map_err(|e| Failure::Transport(describe_error(&e, &current.url)))?;
        let status = response.status();
        if let Some(max) = limits.redirects
            && is_redirect(status)
            && let Some(next) = location(&response, &current.url)?
        {
            redirects.push(current.url.clone());
            if redirects.contains(&next) {
                let mut path = redirects.clone();
                path.push(next);
                return Err(Failure::Redirect(
                    "no redirect loop".to_owned(),
                    format!("a loop: {}", show_chain(&path)),
                ));
            }
            if redirects.len() > max {
                let mut path = redirects.clone();
                path.push(next);
                return Err(Failure::Redirect(
                    format!("at most {max} redirects"),
                    format!("more: {}", show_chain(&path)),
                ));
            }
            current = redirected(current, status, next);
            continue;
        }
        let headers = response.headers().clone();
        let url = response.url().clone();
        let body = if limits.body == 0 {
            Body::default()
        } else {
            read_bounded(response, limits.body, limits.keep_body).await?
        };
        return Ok(Exchange {
            status,
            headers,
            url,
            redirects,
            latency: started.elapsed(),
            body,
        });
    }
}

fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// Where a redirect points, resolved against `base`; `None` without a Location.
fn location(response: &reqwest::Response, base: &Url) -> Result<Option<Url>, Failure> {
    let Some(value) = response.headers().get(header::LOCATION) else {
        return Ok(None);
    };
    let text = String::from_utf8_lossy(value.as_bytes()).into_owned();
    let bad = |why: String| {
        Failure::Redirect(
            "a redirect to an http(s) URL".to_owned(),
            format!(
                "{} with Location {:?} ({why})",
                status_line(response.status()),
                excerpt(&text, 120)
            ),
        )
    };
    let next = base.join(&text).map_err(|e| bad(e.to_string()))?;
    if !matches!(next.scheme(), "http" | "https") {
        return Err(bad(format!("scheme {}", next.scheme())));
    }
    Ok(Some(next))
}

/// The request to send after a redirect: 303 (and 301/302 after a POST) become a
/// GET without body; credentials stay behind when the origin changes.
fn redirected(mut request: Request, status: StatusCode, next: Url) -> Request {
    let to_get = match status.as_u16() {
        303 => request.method != reqwest::Method::HEAD,
        301 | 302 => request.method == reqwest::Method::POST,
        _ => false,
    };
    if to_get {
        request.method = reqwest::Method::GET;
        request.body = None;
        for name in [
            header::CONTENT_TYPE,
            header::CONTENT_LENGTH,
            header::CONTENT_ENCODING,
        ] {
            request.headers.remove(name);
        }
    }
    if next.origin() != request.url.origin() {
        let sensitive: Vec<HeaderName> = request
            .headers
            .iter()
            .filter(|(name, value)| {
                value.is_sensitive()
                    || [
                        header::AUTHORIZATION,
                        header::COOKIE,
                        header::PROXY_AUTHORIZATION,
                    ]
                    .contains(name)
            })
            .map(|(name, _)| name.clone())
            .collect();
        for name in sensitive {
            request.headers.remove(name);
        }
    }
    request.url = next;
    request
}

/// `http://h/a → /b → https://other/c`: the first URL whole, then paths while
/// the origin stays the same. Passwords are hidden.
pub fn show_chain(urls: &[Url]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut origin = None;
    for url in urls {
        if origin.as_ref() == Some(&url.origin()) {
            let mut path = url.path().to_owned();
            if let Some(query) = url.query() {
                path.push('?');
                path.push_str(query);
            }
            parts.push(path);
        } else {
            parts.push(redact_url(url.as_str()));
            origin = Some(url.origin());
        }
    }
    excerpt(&parts.join(" → "), 300)
}

/// Reads the body up to `limit` decoded bytes, decoding gzip, deflate and br
/// as it arrives ([`super::decode`]).
async fn read_bounded(
    mut response: reqwest::Response,
    limit: usize,
    keep: bool,
) -> Result<Body, Failure> {
    let url = response.url().clone();
    let place = super::fields::host_of(url.as_str()).unwrap_or_default();
    let coding = response
        .headers()
        .get(header::CONTENT_ENCODING)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    // A coding Candlefish cannot decode matters only when the body is read;
    // otherwise its bytes are counted as they come.
    let encoding = match Encoding::from_header(coding.as_deref()) {
        Ok(encoding) => encoding,
        Err(_) if !keep => None,
        Err(name) => {
            return Err(Failure::Transport(format!(
                "the body from {place} is {name}-encoded, which Candlefish does not decode (it asks for {})",
                super::decode::ACCEPT
            )));
        }
    };
    let expected = response
        .content_length()
        .map_or_else(String::new, |n| format!(" of {n}"));
    let sink = Sink::new(limit, keep);
    let mut decoder = encoding.map(|e| Decoder::new(e, Sink::new(limit, keep)));
    let mut plain = sink;
    let mut wire = 0usize;
    crate::probe::stage(format!("reading the body (0{expected} bytes so far)"));
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| Failure::Transport(describe_error(&e, &url)))?
    {
        wire += chunk.len();
        // A deadline in the middle of a slow body says how far it got.
        crate::probe::stage(format!("reading the body ({wire}{expected} bytes so far)"));
        let more = match &mut decoder {
            None => plain.take(&chunk),
            Some(decoder) => match decoder.feed(&chunk) {
                Ok(()) => true,
                Err(Stop::Full) => false,
                Err(Stop::Bomb(why) | Stop::Corrupt(why)) => {
                    return Err(Failure::Transport(format!("{why} ({place})")));
                }
            },
        };
        if !more {
            break;
        }
    }
    let body = match decoder {
        None => plain,
        Some(mut decoder) => {
            if !decoder.sink().truncated
                && let Err(Stop::Bomb(why) | Stop::Corrupt(why)) = decoder.finish()
            {
                return Err(Failure::Transport(format!("{why} ({place})")));
            }
            let wire = decoder.wire;
            let name = encoding.map_or("", Encoding::name);
            let sink = decoder.into_sink();
            return Ok(Body {
                bytes: sink.bytes,
                seen: sink.seen,
                truncated: sink.truncated,
                encoding: Some((name, wire)),
            });
        }
    };
    Ok(Body {
        bytes: body.bytes,
        seen: body.seen,
        truncated: body.truncated,
        encoding: None,
    })
}

/// `a 12-byte body`, `more than 1 MiB of body`, with the coding when the
/// body came compressed (`a 2300-byte body (gzip, 410 bytes sent)`), for evidence.
pub fn describe_size(body: &Body, limit: usize) -> String {
    let size = if body.truncated {
        format!("more than {} of body", format_bytes(limit))
    } else {
        format!("a {}-byte body", body.seen)
    };
    match body.encoding {
        Some((name, wire)) => format!("{size} ({name}, {wire} bytes sent)"),
        None => size,
    }
}

/// `1 MiB`, `64 KiB`, `300 bytes`.
pub fn format_bytes(n: usize) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else if n >= 1 << 10 && n.is_multiple_of(1 << 10) {
        format!("{} KiB", n >> 10)
    } else {
        format!("{n} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn chains_show_paths_within_an_origin() {
        let chain = [
            url("http://u:pw@h.test/a"),
            url("http://u:pw@h.test/b?x=1"),
            url("https://other.test/c"),
        ];
        assert_eq!(
            show_chain(&chain),
            "http://u:***@h.test/a → /b?x=1 → https://other.test/c"
        );
    }

    #[test]
    fn redirects_change_methods_and_drop_credentials_across_origins() {
        let mut request = Request::new(reqwest::Method::POST, "http://h.test/login").unwrap();
        request
            .headers
            .insert(header::AUTHORIZATION, "Bearer x".parse().unwrap());
        let mut secret: reqwest::header::HeaderValue = "k".parse().unwrap();
        secret.set_sensitive(true);
        request.headers.insert("x-api-key", secret);
        request.headers.insert("x-plain", "p".parse().unwrap());
        request.body = Some(Bytes::from_static(b"{}"));
        let same = redirected(
            request.clone(),
            StatusCode::FOUND,
            url("http://h.test/home"),
        );
        assert_eq!(same.method, reqwest::Method::GET);
        assert!(same.body.is_none());
        assert!(same.headers.contains_key(header::AUTHORIZATION));
        let other = redirected(
            request.clone(),
            StatusCode::TEMPORARY_REDIRECT,
            url("https://elsewhere.test/"),
        );
        assert_eq!(other.method, reqwest::Method::POST);
        assert!(other.body.is_some());
        assert!(!other.headers.contains_key(header::AUTHORIZATION));
        assert!(!other.headers.contains_key("x-api-key"));
        assert!(other.headers.contains_key("x-plain"));
    }

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(format_bytes(1 << 20), "1 MiB");
        assert_eq!(format_bytes(64 << 10), "64 KiB");
        assert_eq!(format_bytes(300), "300 bytes");
    }
}
