//! `headers`: the security headers of a page — HSTS with a long enough
//! max-age, a Content-Security-Policy (🟡 when scripts may run `unsafe-inline`
//! or `unsafe-eval`), `X-Content-Type-Options: nosniff`, frame protection
//! (`X-Frame-Options` or CSP `frame-ancestors`), a Referrer-Policy — and
//! 🟡 when `Server` or `X-Powered-By` give away a version.
//!
//! ```yaml
//! probe:
//!   headers:
//!     url: https://app.example.com/
//!     require: [hsts, csp, nosniff, frame, referrer]
//!     hsts_min_age: 180d
//! ```

use std::time::Duration;

use serde::Deserialize;

use crate::checklist::scalar::{Dur, format_duration};
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check, soft_check};
use crate::probe::web::TlsBlock;
use crate::probe::web::exchange::header_text;
use crate::probe::web::fields::{request_secrets, validate_request};
use crate::probe::web::{Exchange, Limits, Request, RequestHeaders, fetch, redact_url};
use crate::probe::{Context, Probe};

/// The default shortest HSTS max-age: 180 days.
pub const DEFAULT_HSTS_MIN_AGE: Duration = Duration::from_secs(180 * 86_400);

/// Headers that give away what runs behind a server.
const LEAKY: [&str; 4] = [
    "server",
    "x-powered-by",
    "x-aspnet-version",
    "x-aspnetmvc-version",
];

/// One security header the page must send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Requirement {
    /// `Strict-Transport-Security` with a long enough max-age.
    Hsts,
    /// `Content-Security-Policy`.
    Csp,
    /// `X-Content-Type-Options: nosniff`.
    Nosniff,
    /// `X-Frame-Options` (DENY or SAMEORIGIN) or CSP `frame-ancestors`.
    Frame,
    /// `Referrer-Policy`.
    Referrer,
}

const ALL: [Requirement; 5] = [
    Requirement::Hsts,
    Requirement::Csp,
    Requirement::Nosniff,
    Requirement::Frame,
    Requirement::Referrer,
];

/// Configuration of a `headers` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersProbe {
    /// The page whose response headers are checked (required).
    pub url: Text,
    /// The headers that must be there: `hsts`, `csp`, `nosniff`, `frame`,
    /// `referrer` (default all five). `[]` checks only for versions given away
    /// (`warn_on_version`). HSTS counts only on a response over HTTPS.
    #[serde(default)]
    pub require: Option<Vec<Requirement>>,
    /// The shortest acceptable HSTS max-age (default `180d`).
    #[serde(default)]
    pub hsts_min_age: Option<Dur>,
    /// HSTS must carry `includeSubDomains` (default `false`).
    #[serde(default)]
    pub hsts_subdomains: bool,
    /// Judge the page redirects lead to, following up to 10 (default `true`).
    #[serde(default = "yes")]
    pub follow_redirects: bool,
    /// Warn when `Server`, `X-Powered-By` or `X-AspNet-Version` carry a version number (default `true`).
    #[serde(default = "yes")]
    pub warn_on_version: bool,
    /// TLS settings: `ca_file`, `client_cert`/`client_key`, `insecure` (the
    /// same block on every web probe; default: the system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
}

fn yes() -> bool {
    true
}

/// A Content-Security-Policy, directive by directive (names lowercased).
struct Csp(Vec<(String, Vec<String>)>);

impl Csp {
    fn parse(text: &str) -> Csp {
        Csp(text
            .split(';')
            .filter_map(|d| {
                let mut words = d.split_whitespace();
                let name = words.next()?.to_ascii_lowercase();
                Some((name, words.map(str::to_owned).collect()))
            })
            .collect())
    }

    fn directive(&self, name: &str) -> Option<&[String]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_slice())
    }

    /// The unsafe sources scripts may use: `'unsafe-inline'` (unless a nonce or
    /// hash disables it) and `'unsafe-eval'`, from `script-src` or else `default-src`.
    fn unsafe_script_sources(&self) -> Vec<&'static str> {
        let Some(sources) = self
            .directive("script-src")
            .or_else(|| self.directive("default-src"))
        else {
            return Vec::new();
        };
        let has = |s: &str| sources.iter().any(|v| v.eq_ignore_ascii_case(s));
        let nonce_or_hash = sources.iter().any(|v| {
            let v = v.to_ascii_lowercase();
            v.starts_with("'nonce-")
                || v.starts_with("'sha256-")
                || v.starts_with("'sha384-")
                || v.starts_with("'sha512-")
        });
        let mut out = Vec::new();
        if has("'unsafe-inline'") && !nonce_or_hash {
            out.push("'unsafe-inline'");
        }
        if has("'unsafe-eval'") {
            out.push("'unsafe-eval'");
        }
        out
    }
}

/// `180d`, `1d`, or `2h 30m` when not whole days: how HSTS ages read.
fn show_age(d: Duration) -> String {
    let secs = d.as_secs();
    if secs >= 86_400 && secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else {
        format_duration(d)
    }
}

/// `max-age` in seconds and whether subdomains are included, from an HSTS value.
fn parse_hsts(value: &str) -> (Option<u64>, bool) {
    let mut age = None;
    let mut subdomains = false;
    for part in value.split(';') {
        let part = part.trim();
        if let Some((name, v)) = part.split_once('=') {
            if name.trim().eq_ignore_ascii_case("max-age") {
                age = v.trim().trim_matches('"').parse::<u64>().ok();
            }
        } else if part.eq_ignore_ascii_case("includesubdomains") {
            subdomains = true;
        }
    }
    (age, subdomains)
}

impl HeadersProbe {
    fn required(&self) -> Vec<Requirement> {
        self.require.clone().unwrap_or_else(|| ALL.to_vec())
    }

    fn min_age(&self) -> Duration {
        self.hsts_min_age.map_or(DEFAULT_HSTS_MIN_AGE, |d| d.0)
    }

    fn hsts_checks(&self, exchange: &Exchange, checks: &mut Vec<Check>, found: &mut Vec<String>) {
        // Browsers heed the first Strict-Transport-Security header only.
        let first = exchange
            .headers
            .get("strict-transport-security")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        // Browsers ignore HSTS received over plain HTTP (RFC 6797 §8.1): only
        // a page reached over HTTPS can set it.
        if exchange.url.scheme() != "https" {
            let observed = match &first {
                Some(value) => {
                    format!("{value:?} over plain HTTP, which browsers ignore (RFC 6797 §8.1)")
                }
                None => "none, and over plain HTTP it would be ignored (RFC 6797 §8.1)".to_owned(),
            };
            checks.push(check(
                false,
                "Strict-Transport-Security on an HTTPS response",
                observed,
            ));
            return;
        }
        let Some(value) = first else {
            checks.push(check(false, "Strict-Transport-Security", "none"));
            return;
        };
        let (age, subdomains) = parse_hsts(&value);
        let min = self.min_age();
        let Some(age) = age else {
            checks.push(check(false, "HSTS with a max-age", format!("{value:?}")));
            return;
        };
        let age_text = show_age(Duration::from_secs(age));
        checks.push(check(
            Duration::from_secs(age) >= min,
            format!("HSTS max-age >= {}", show_age(min)),
            format!("{age_text} (max-age={age})"),
        ));
        if self.hsts_subdomains {
            checks.push(check(
                subdomains,
                "HSTS with includeSubDomains",
                format!("{value:?}"),
            ));
        }
        found.push(if subdomains {
            format!("HSTS {age_text} with subdomains")
        } else {
            format!("HSTS {age_text}")
        });
    }

    fn compare(&self, exchange: &Exchange) -> Finding {
        let mut checks: Vec<Check> = Vec::new();
        let mut found: Vec<String> = Vec::new();
        let get = |name: &str| header_text(&exchange.headers, name);
        let csp_text = get("content-security-policy");
        let csp = csp_text.as_deref().map(Csp::parse);
        let required = self.required();
        for requirement in &required {
            match requirement {
                Requirement::Hsts => self.hsts_checks(exchange, &mut checks, &mut found),
                Requirement::Csp => {
                    match &csp {
                        None => {
                            let report_only = get("content-security-policy-report-only").is_some();
                            checks.push(check(
                            false,
                            "Content-Security-Policy",
                            if report_only { "only Content-Security-Policy-Report-Only, which enforces nothing" } else { "none" },
                        ));
                        }
                        Some(policy) => {
                            let unsafe_sources = policy.unsafe_script_sources();
                            checks.push(soft_check(
                                unsafe_sources.is_empty(),
                                "a CSP whose scripts exclude 'unsafe-inline' and 'unsafe-eval'",
                                format!("scripts allow {}", unsafe_sources.join(" and ")),
                            ));
                            found.push("CSP".to_owned());
                        }
                    }
                }
                Requirement::Nosniff => {
                    let value = get("x-content-type-options");
                    let ok = value
                        .as_deref()
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("nosniff"));
                    checks.push(check(
                        ok,
                        "X-Content-Type-Options: nosniff",
                        value.map_or_else(|| "none".to_owned(), |v| format!("{v:?}")),
                    ));
                    if ok {
                        found.push("nosniff".to_owned());
                    }
                }
                Requirement::Frame => {
                    let xfo = get("x-frame-options");
                    let xfo_ok = xfo.as_deref().is_some_and(|v| {
                        let v = v.trim();
                        v.eq_ignore_ascii_case("deny") || v.eq_ignore_ascii_case("sameorigin")
                    });
                    let ancestors = csp
                        .as_ref()
                        .and_then(|c| c.directive("frame-ancestors"))
                        .map(|v| v.join(" "));
                    let observed = match (&xfo, &ancestors) {
                        (_, Some(a)) => format!("frame-ancestors {a}"),
                        (Some(v), None) => format!("X-Frame-Options: {v}"),
                        (None, None) => {
                            "neither X-Frame-Options nor CSP frame-ancestors".to_owned()
                        }
                    };
                    let ok = xfo_ok || ancestors.is_some();
                    checks.push(check(ok, "frame protection (X-Frame-Options DENY or SAMEORIGIN, or CSP frame-ancestors)", observed.clone()));
                    if ok {
                        found.push(observed);
                    }
                }
                Requirement::Referrer => {
                    let value = get("referrer-policy");
                    // A list gives fallbacks; browsers use the last one they know.
                    let last = value
                        .as_deref()
                        .and_then(|v| v.split(',').map(str::trim).rfind(|p| !p.is_empty()))
                        .map(str::to_ascii_lowercase);
                    match last {
                        None => checks.push(check(false, "Referrer-Policy", "none")),
                        Some(policy) => {
                            checks.push(soft_check(
                                policy != "unsafe-url",
                                "a Referrer-Policy that keeps URLs from other sites",
                                format!("Referrer-Policy: {policy}"),
                            ));
                            found.push(format!("Referrer-Policy {policy}"));
                        }
                    }
                }
            }
        }
        if self.warn_on_version {
            for name in LEAKY {
                if let Some(value) = get(name)
                    && value.chars().any(|c| c.is_ascii_digit())
                {
                    checks.push(soft_check(
                        false,
                        format!("no version in {}", display_name(name)),
                        format!("{}: {value}", display_name(name)),
                    ));
                }
            }
        }
        let place = format!(
            "{} from {}",
            exchange.status_line(),
            redact_url(exchange.url.as_str())
        );
        let summary = if required.is_empty() {
            format!("no version in Server, X-Powered-By or X-AspNet-Version ({place})")
        } else {
            format!(
                "{} of {} security headers in place: {} ({place})",
                found.len(),
                required.len(),
                found.join(", ")
            )
        };
        Finding::from_checks(checks, &summary, &format!("({place})"))
    }
}

fn display_name(lower: &str) -> &'static str {
    match lower {
        "server" => "Server",
        "x-powered-by" => "X-Powered-By",
        "x-aspnet-version" => "X-AspNet-Version",
        _ => "X-AspNetMvc-Version",
    }
}

impl Probe for HeadersProbe {
    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn target(&self) -> String {
        format!("GET {}", redact_url(&self.url))
    }

    fn secrets(&self) -> Vec<String> {
        request_secrets(&RequestHeaders::default(), None, &self.url)
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("headers", &self.url, &RequestHeaders::default());
        problems.extend(self.tls.problems());
        let required = self.required();
        if required.is_empty() && !self.warn_on_version {
            problems.push(
                "require is empty and warn_on_version is false: the probe would check nothing; list one of hsts, csp, nosniff, frame, referrer, or keep warn_on_version"
                    .to_owned(),
            );
        }
        if !required.contains(&Requirement::Hsts)
            && (self.hsts_min_age.is_some() || self.hsts_subdomains)
        {
            problems.push("hsts_min_age and hsts_subdomains need `hsts` in require".to_owned());
        }
        if self.hsts_min_age.is_some_and(|d| d.0.is_zero()) {
            problems.push(
                "hsts_min_age is 0: any max-age would do; give a duration such as 180d".to_owned(),
            );
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl HeadersProbe {
    /// One attempt, before `tls.insecure` has its say.
    async fn attempt(&self, ctx: &Context) -> Finding {
        let request = match Request::new(reqwest::Method::GET, &self.url) {
            Ok(request) => request,
            Err(e) => return Finding::error(e),
        };
        let limits = Limits {
            redirects: self.follow_redirects.then_some(10),
            body: 0,
            keep_body: false,
        };
        match fetch(ctx, &self.tls, request, limits).await {
            Ok(exchange) => self.compare(&exchange),
            Err(finding) => finding,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn probe(yaml: &str) -> HeadersProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn page(headers: &[(&str, &str)]) -> Exchange {
        let mut exchange = Exchange::fake(200, headers, "");
        exchange.url = reqwest::Url::parse("https://app.test/").unwrap();
        exchange
    }

    const GOOD: [(&str, &str); 5] = [
        (
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ),
        (
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ];

    #[test]
    fn a_hardened_page_passes() {
        let f = probe("{ url: 'https://app.test/', hsts_subdomains: true }").compare(&page(&GOOD));
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
        assert_eq!(
            f.evidence,
            "5 of 5 security headers in place: HSTS 365d with subdomains, CSP, nosniff, frame-ancestors 'none', Referrer-Policy strict-origin-when-cross-origin (200 OK from https://app.test/)"
        );
    }

    #[test]
    fn missing_headers_fail_and_weak_ones_warn() {
        let p = probe("{ url: 'https://app.test/' }");
        let f = p.compare(&page(&[("Server", "nginx/1.22.1")]));
        assert_eq!(f.verdict, Verdict::Fail);
        assert!(f.evidence.starts_with("expected Strict-Transport-Security, got none; expected Content-Security-Policy, got none; "), "{}", f.evidence);
        let weak = [
            ("Strict-Transport-Security", "max-age=86400"),
            (
                "Content-Security-Policy",
                "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
            ),
        ];
        let f = probe("{ url: 'https://app.test/', require: [hsts, csp] }").compare(&page(&weak));
        assert_eq!(
            f.evidence,
            "expected HSTS max-age >= 180d, got 1d (max-age=86400) (200 OK from https://app.test/) + 1 warning: expected a CSP whose scripts exclude 'unsafe-inline' and 'unsafe-eval', got scripts allow 'unsafe-inline' and 'unsafe-eval'"
        );
        let f = probe("{ url: 'https://app.test/', require: [csp] }").compare(&page(&weak));
        assert_eq!(f.verdict, Verdict::Warn);
        assert_eq!(
            f.evidence,
            "expected a CSP whose scripts exclude 'unsafe-inline' and 'unsafe-eval', got scripts allow 'unsafe-inline' and 'unsafe-eval' (200 OK from https://app.test/)"
        );
        let nonce = [(
            "Content-Security-Policy",
            "script-src 'nonce-abc' 'unsafe-inline'",
        )];
        assert_eq!(
            probe("{ url: 'https://app.test/', require: [csp] }")
                .compare(&page(&nonce))
                .verdict,
            Verdict::Pass
        );
    }

    #[test]
    fn hsts_over_plain_http_does_not_count() {
        let p = probe("{ url: 'http://app.test/', require: [hsts] }");
        let mut plain = page(&GOOD);
        plain.url = reqwest::Url::parse("http://app.test/").unwrap();
        let f = p.compare(&plain);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected Strict-Transport-Security on an HTTPS response, got \"max-age=31536000; includeSubDomains\" over plain HTTP, which browsers ignore (RFC 6797 §8.1) (200 OK from http://app.test/)"
        );
    }

    #[test]
    fn an_empty_require_checks_only_versions() {
        let p = probe("{ url: 'https://app.test/', require: [] }");
        assert!(p.validate(Duration::from_secs(5)).is_empty());
        let f = p.compare(&page(&[("Server", "nginx")]));
        assert_eq!(f.verdict, Verdict::Pass);
        assert_eq!(
            f.evidence,
            "no version in Server, X-Powered-By or X-AspNet-Version (200 OK from https://app.test/)"
        );
        let f = p.compare(&page(&[("Server", "nginx/1.22.1")]));
        assert_eq!(f.verdict, Verdict::Warn);
        let nothing = probe("{ url: 'https://app.test/', require: [], warn_on_version: false }");
        assert_eq!(nothing.validate(Duration::from_secs(5)).len(), 1);
    }

    #[test]
    fn versions_in_server_headers_warn() {
        let mut headers = GOOD.to_vec();
        headers.push(("X-Powered-By", "PHP/8.2.1"));
        headers.push(("Server", "nginx"));
        let f = probe("{ url: 'https://app.test/' }").compare(&page(&headers));
        assert_eq!(f.verdict, Verdict::Warn);
        assert_eq!(
            f.evidence,
            "expected no version in X-Powered-By, got X-Powered-By: PHP/8.2.1 (200 OK from https://app.test/)"
        );
    }
}
