//! Configuration types the web probes share: methods, status sets, one-or-many
//! strings, request headers (with their secrets), URLs (with their passwords
//! hidden), and the sizes and shares people write (`95%`).

use std::fmt;

use base64::Engine as _;
use indexmap::IndexMap;
use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::text::Text;

/// An HTTP method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Method(pub reqwest::Method);

impl Default for Method {
    fn default() -> Self {
        Method(reqwest::Method::GET)
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl<'de> Deserialize<'de> for Method {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        const KNOWN: &[&str] = &["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
        let text = String::deserialize(deserializer)?;
        let upper = text.to_ascii_uppercase();
        if KNOWN.contains(&upper.as_str()) {
            return Ok(Method(upper.parse().map_err(de::Error::custom)?));
        }
        Err(de::Error::custom(format!(
            "unknown HTTP method `{text}`: use one of {}",
            KNOWN.join(", ")
        )))
    }
}

/// A set of acceptable statuses: exact codes and classes such as `2xx`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSet(pub Vec<StatusPattern>);

/// One acceptable status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    /// Exactly this code.
    Code(u16),
    /// Any code of this class: `2` for `2xx`.
    Class(u16),
}

impl StatusSet {
    /// Any 2xx status.
    pub fn success() -> Self {
        StatusSet(vec![StatusPattern::Class(2)])
    }

    /// Exactly one code.
    pub fn code(code: u16) -> Self {
        StatusSet(vec![StatusPattern::Code(code)])
    }

    /// Whether `code` is acceptable.
    pub fn contains(&self, code: u16) -> bool {
        self.0.iter().any(|p| match *p {
            StatusPattern::Code(c) => c == code,
            StatusPattern::Class(k) => code / 100 == k,
        })
    }
}

impl fmt::Display for StatusSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| match p {
                StatusPattern::Code(c) => c.to_string(),
                StatusPattern::Class(k) => format!("{k}xx"),
            })
            .collect();
        f.write_str(&parts.join(" or "))
    }
}

/// Parses `200` or `2xx`.
pub fn parse_status(text: &str) -> Result<StatusPattern, String> {
    let lower = text.trim().to_ascii_lowercase();
    if let Some(class) = lower.strip_suffix("xx") {
        return match class.parse::<u16>() {
            Ok(k @ 1..=5) => Ok(StatusPattern::Class(k)),
            _ => Err(format!("`{text}` is not a status class: use 1xx to 5xx")),
        };
    }
    match lower.parse::<u16>() {
        Ok(code @ 100..=599) => Ok(StatusPattern::Code(code)),
        _ => Err(format!(
            "`{text}` is not an HTTP status: use a code from 100 to 599 or a class like 2xx"
        )),
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StatusVisitor;
        impl<'de> Visitor<'de> for StatusVisitor {
            type Value = StatusSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a status (200), a class (2xx), or a list of them")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<StatusSet, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<StatusSet, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StatusSet, E> {
                parse_status(v)
                    .map(|p| StatusSet(vec![p]))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut all = Vec::new();
                while let Some(one) = seq.next_element::<StatusSet>()? {
                    all.extend(one.0);
                }
                if all.is_empty() {
                    return Err(de::Error::custom("an empty status list accepts nothing"));
                }
                Ok(StatusSet(all))
            }
        }
        deserializer.deserialize_any(StatusVisitor)
    }
}

/// One string or a list of strings, each interpolated.
#[derive(Debug, Clone, Default)]
pub struct Strings(pub Vec<Text>);

impl<'de> Deserialize<'de> for Strings {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StringsVisitor;
        impl<'de> Visitor<'de> for StringsVisitor {
            type Value = Strings;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Strings, E> {
                Text::resolve(v.to_owned())
                    .map(|t| Strings(vec![t]))
                    .map_err(E::custom)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strings, A::Error> {
                let mut all = Vec::new();
                while let Some(text) = seq.next_element::<Text>()? {
                    all.push(text);
                }
                Ok(Strings(all))
            }
        }
        deserializer.deserialize_any(StringsVisitor)
    }
}

/// A share written `95%` (or a number from 0 to 100).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Percent(pub f64);

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PercentVisitor;
        impl Visitor<'_> for PercentVisitor {
            type Value = Percent;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a percentage such as 95%")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Percent, E> {
                let number = v.trim().strip_suffix('%').unwrap_or(v).trim();
                match number.parse::<f64>() {
                    Ok(p) => self.visit_f64(p),
                    Err(_) => Err(E::custom(format!(
                        "`{v}` is not a percentage: write it like 95%"
                    ))),
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Percent, E> {
                if (0.0..=100.0).contains(&v) {
                    Ok(Percent(v))
                } else {
                    Err(E::custom(format!(
                        "`{v}%` is not a percentage from 0% to 100%"
                    )))
                }
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Percent, E> {
                self.visit_f64(v as f64)
            }
        }
        deserializer.deserialize_any(PercentVisitor)
    }
}

/// A size in bytes, written with a unit: `512KiB`, `1MiB`, `4MB`, `300B`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ByteSize(pub usize);

impl ByteSize {
    /// Parses `512KiB`, `1 MiB`, `4MB`, `300B`.
    pub fn parse(text: &str) -> Result<ByteSize, String> {
        let trimmed = text.trim();
        let split = trimmed
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(trimmed.len());
        let (number, unit) = trimmed.split_at(split);
        let scale: usize = match unit.trim().to_ascii_lowercase().as_str() {
            "b" => 1,
            "kb" => 1000,
            "kib" | "k" => 1 << 10,
            "mb" => 1_000_000,
            "mib" | "m" => 1 << 20,
            _ => {
                return Err(format!(
                    "`{text}` is not a size: write it with a unit, such as 512KiB or 4MiB"
                ));
            }
        };
        number
            .parse::<usize>()
            .ok()
            .and_then(|n| n.checked_mul(scale))
            .map(ByteSize)
            .ok_or_else(|| format!("`{text}` is not a size: write it like 512KiB or 4MiB"))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::exchange::format_bytes(self.0))
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ByteSize::parse(&text).map_err(de::Error::custom)
    }
}

/// Request headers as written in a checklist. Values that use the environment are secret.
pub type RequestHeaders = IndexMap<String, Text>;

/// The secrets in request headers, a body and a URL: header values and bodies that
/// use the environment, and what in the URL is secret (see [`url_secrets`]).
pub fn request_secrets(headers: &RequestHeaders, body: Option<&Text>, url: &Text) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for value in headers.values().chain(body) {
        if value.from_env() {
            out.push(value.as_str().to_owned());
            out.extend(value.env_parts().iter().cloned());
        }
    }
    out.extend(url_secrets(url));
    out
}

/// Query parameters whose values are credentials whatever their source; a
/// name ending in `_token`, `-key` and so on counts too.
const SECRET_PARAMS: &[&str] = &[
    "access_token",
    "api_key",
    "apikey",
    "auth",
    "key",
    "password",
    "secret",
    "sig",
    "signature",
    "token",
];

fn secret_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_PARAMS.iter().any(|p| {
        name == *p
            || name
                .strip_suffix(p)
                .is_some_and(|head| head.ends_with(['_', '-']))
    })
}

/// What in a URL must never be shown: a password (and the Basic-auth form the
/// client sends), the value of a credential-like query parameter (`token=`,
/// `api_key=`, `sig=`, …), and any part taken from the environment (or `--var`)
/// that lands in the user info, the path, the query or the fragment. Also for URLs that do not
/// parse, so that an error about a malformed URL cannot show its password.
pub fn url_secrets(url: &Text) -> Vec<String> {
    let raw = url.as_str();
    let mut out: Vec<String> = Vec::new();
    // Credentials need an `@`, secret parameters a `?`: without either, the
    // URL is not parsed (a checklist of thousands of plain URLs pays nothing).
    match raw.contains(['@', '?']).then(|| reqwest::Url::parse(raw)) {
        None => {}
        Some(Ok(parsed)) => {
            if let Some(password) = parsed.password() {
                let decoded = percent_decode(password);
                // The client sends URL credentials as Basic auth: mask the encoded form too.
                let pair = format!("{}:{decoded}", percent_decode(parsed.username()));
                out.push(base64::engine::general_purpose::STANDARD.encode(pair));
                out.push(password.to_owned());
                out.push(decoded);
            }
            if let Some(query) = parsed.query() {
                for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
                    if secret_param(&percent_decode(name)) && !value.is_empty() {
                        out.push(percent_decode(value));
                        out.push(value.to_owned());
                    }
                }
            }
        }
        Some(Err(_)) => out.extend(raw_password(raw).map(str::to_owned)),
    }
    // Everything but the scheme and the host: a base URL from the environment
    // stays readable, a token in a webhook path does not — also when one
    // value holds the whole URL (`WEBHOOK=https://hooks.example/T0/B0/secret`).
    let scheme_end = raw.find("://").map_or(0, |i| i + 3);
    let after_scheme = &raw[scheme_end..];
    let authority_end = scheme_end
        + after_scheme
            .find(['/', '?', '#'])
            .unwrap_or(after_scheme.len());
    let userinfo = raw[scheme_end..authority_end]
        .rfind('@')
        .map(|at| scheme_end..scheme_end + at);
    let sensitive: Vec<std::ops::Range<usize>> = userinfo
        .into_iter()
        .chain(std::iter::once(authority_end..raw.len()))
        .collect();
    // With credentials in the URL, a value before the last `@` is part of them
    // wholly, even when a `#`, `/` or `?` in it (not percent-encoded) moved
    // where the parser thinks the host starts.
    let credentials_end = raw[scheme_end..].rfind('@').map(|at| scheme_end + at);
    for part in url.env_parts().iter().filter(|p| !p.is_empty()) {
        for (start, _) in raw.match_indices(part.as_str()) {
            let end = start + part.len();
            // A value that begins inside the authority, with an `@` after
            // it, is (part of) the credentials — wholly, even when a `#`, `/`
            // or `?` in it moved where the parser thinks the host starts. A
            // value that begins at the scheme (a base URL) is not.
            if start >= scheme_end
                && start < authority_end
                && credentials_end.is_some_and(|at| at > start)
            {
                out.push(part.clone());
            }
            for range in &sensitive {
                let (from, to) = (start.max(range.start), end.min(range.end));
                if from < to {
                    out.push(raw[from..to].to_owned());
                }
            }
        }
    }
    out
}

/// The password in `scheme://user:password@host…`, found by hand for URLs the
/// parser rejects (a bad port, a bad host).
fn raw_password(raw: &str) -> Option<&str> {
    let rest = raw.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let (info, _) = authority.rsplit_once('@')?;
    let (_, password) = info.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let byte = (bytes[i] == b'%')
            .then(|| text.get(i + 1..i + 3))
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        if let Some(b) = byte {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` with any password in it replaced, for display; by hand for a URL
/// that does not parse.
pub fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => match raw_password(url) {
            Some(password) => url.replacen(&format!(":{password}@"), ":***@", 1),
            None => url.to_owned(),
        },
    }
}

/// `host:port` of a URL, for the engine's per-host limits; `None` when it has none.
pub fn host_of(url: &str) -> Option<String> {
    let url = reqwest::Url::parse(url).ok()?;
    Some(format!(
        "{}:{}",
        url.host_str()?,
        url.port_or_known_default()?
    ))
}

/// Problems with a probe's URL and request header names, for `Probe::validate`.
pub fn validate_request(kind: &str, url: &str, headers: &RequestHeaders) -> Vec<String> {
    let mut problems = Vec::new();
    match reqwest::Url::parse(url) {
        Ok(parsed) if !matches!(parsed.scheme(), "http" | "https") => problems.push(format!(
            "url `{}` has scheme `{}`: the {kind} probe speaks http and https",
            redact_url(url),
            parsed.scheme()
        )),
        Ok(_) => {}
        Err(e) => problems.push(format!("url `{}` is not a valid URL: {e}", redact_url(url))),
    }
    for name in headers.keys() {
        if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
            problems.push(format!("`{name}` is not a valid header name"));
        }
    }
    problems
}

/// The header map to send. Values are never quoted in errors: they may be secret.
pub fn header_map(headers: &RequestHeaders) -> Result<reqwest::header::HeaderMap, String> {
    let mut map = reqwest::header::HeaderMap::new();
    for (name, value) in headers {
        let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("`{name}` is not a valid header name"))?;
        let mut header = reqwest::header::HeaderValue::from_str(value.as_str()).map_err(|_| {
            format!("the value of header `{name}` has characters a header cannot hold")
        })?;
        // Secret values stay behind when a redirect leaves the origin.
        header.set_sensitive(value.from_env());
        map.append(name, header);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `raw` resolved with `env` as the environment.
    fn text(raw: &str, env: &[(&str, &str)]) -> Text {
        let scope = crate::checklist::text::Scope {
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            ..Default::default()
        };
        crate::checklist::text::with_scope(scope, || Text::resolve(raw.to_owned()))
            .0
            .expect("resolves")
    }

    #[test]
    fn url_secrets_cover_credentials_and_environment_parts_past_the_host() {
        let base = text(
            "${BASE}/hooks/${HOOK}?page=2",
            &[("BASE", "https://api.example.com"), ("HOOK", "T0k3nPath")],
        );
        assert_eq!(
            url_secrets(&base),
            ["T0k3nPath"],
            "the base URL stays readable"
        );
        let query = text(
            "https://x.test/q?api_key=lit3ral&X-Auth-Token=hdr&page=2",
            &[],
        );
        assert_eq!(url_secrets(&query), ["lit3ral", "lit3ral", "hdr", "hdr"]);
        let password = text("https://ada:p%40ss@x.test/", &[]);
        let found = url_secrets(&password);
        assert!(found.contains(&"p%40ss".to_owned()) && found.contains(&"p@ss".to_owned()));
        let unparsable = text("http://ada:s3cret@x.test:99999/", &[]);
        assert_eq!(url_secrets(&unparsable), ["s3cret"]);
        assert_eq!(
            redact_url("http://ada:s3cret@x.test:99999/"),
            "http://ada:***@x.test:99999/"
        );
        assert!(!secret_param("monkey"), "a suffix counts only after _ or -");
        assert!(secret_param("x-api-key") && secret_param("client_secret"));
        let whole = text(
            "${HOOK}",
            &[("HOOK", "https://hooks.test/services/T0/B0/s3cr3t")],
        );
        assert_eq!(
            url_secrets(&whole),
            ["/services/T0/B0/s3cr3t"],
            "the host stays readable"
        );
    }

    #[test]
    fn status_classes_and_codes() {
        assert_eq!(parse_status("2xx"), Ok(StatusPattern::Class(2)));
        assert_eq!(parse_status("204"), Ok(StatusPattern::Code(204)));
        assert!(parse_status("6xx").is_err());
        assert!(parse_status("99").is_err());
        let set = StatusSet(vec![StatusPattern::Class(2), StatusPattern::Code(304)]);
        assert!(set.contains(204) && set.contains(304) && !set.contains(301));
        assert_eq!(set.to_string(), "2xx or 304");
    }

    #[test]
    fn hosts_carry_their_ports() {
        assert_eq!(
            host_of("https://u:p@api.test/x").as_deref(),
            Some("api.test:443")
        );
        assert_eq!(
            host_of("http://127.0.0.1:8080/").as_deref(),
            Some("127.0.0.1:8080")
        );
        assert_eq!(host_of("not a url"), None);
    }

    #[test]
    fn passwords_in_urls_are_hidden() {
        assert_eq!(
            redact_url("https://u:hunter2@h.test/x"),
            "https://u:***@h.test/x"
        );
        assert_eq!(redact_url("https://h.test/x"), "https://h.test/x");
    }

    #[test]
    fn sizes_need_units() {
        assert_eq!(ByteSize::parse("1MiB"), Ok(ByteSize(1 << 20)));
        assert_eq!(ByteSize::parse("512 KiB"), Ok(ByteSize(512 << 10)));
        assert_eq!(ByteSize::parse("4MB"), Ok(ByteSize(4_000_000)));
        assert!(ByteSize::parse("1024").is_err());
        assert!(ByteSize::parse("lots").is_err());
    }

    #[test]
    fn percentages_read_as_people_write_them() {
        let p: Percent = serde_json::from_str("\"95%\"").unwrap();
        assert_eq!(p, Percent(95.0));
        let p: Percent = serde_json::from_str("80").unwrap();
        assert_eq!(p.to_string(), "80%");
        assert!(serde_json::from_str::<Percent>("\"120%\"").is_err());
        assert!(serde_json::from_str::<Percent>("\"most\"").is_err());
    }
}
