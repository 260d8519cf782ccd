//! `cors`: sends real CORS preflights (OPTIONS with `Origin` and
//! `Access-Control-Request-Method`/`-Headers`) and judges the answers the way
//! a browser would: every allowed origin gets the methods, headers and
//! credentials it needs; denied origins, and a random origin nobody would
//! configure, are refused; `*` never goes with credentials; an echoed origin
//! comes with `Vary: Origin`. Then the actual request a browser would make
//! after the preflight — a `GET` only, never an unsafe method — from each of
//! those origins: a browser reads the response only if it, too, carries the
//! right `Access-Control-Allow-Origin` (and `-Credentials`).
//!
//! ```yaml
//! probe:
//!   cors:
//!     url: https://api.example.com/graphql
//!     allow: [https://app.example.com]
//!     deny: [https://evil.example]
//!     methods: [GET, POST]
//!     headers: [Authorization]
//!     credentials: true
//! ```

use std::fmt::Write as _;
use std::time::Duration;

use serde::Deserialize;

use crate::checklist::text::Text;
use crate::outcome::{Check, Verdict};
use crate::probe::expect::{Finding, check, soft_check};
use crate::probe::web::TlsBlock;
use crate::probe::web::exchange::{header_text, status_line};
use crate::probe::web::fields::validate_request;
use crate::probe::web::{Limits, Method, Request, RequestHeaders, fetch, random_label, redact_url};
use crate::probe::{Context, Probe};

/// The most origins in `allow` or `deny`.
pub const MAX_ORIGINS: usize = 20;

/// The most entries in `methods`, and in `headers`.
pub const MAX_LIST: usize = 20;

/// Methods a browser never needs permission for.
const SAFELISTED_METHODS: [&str; 3] = ["GET", "HEAD", "POST"];

/// Request headers a browser never needs permission for.
const SAFELISTED_HEADERS: [&str; 3] = ["accept", "accept-language", "content-language"];

/// Configuration of a `cors` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsProbe {
    /// The URL whose CORS policy is checked (required).
    pub url: Text,
    /// Origins that must be allowed, as browsers send them: `https://app.example.com`.
    /// `["*"]` means every origin (a public API) (default none).
    #[serde(default)]
    pub allow: Vec<Text>,
    /// Origins that must be refused; `"null"` is allowed here (default none).
    #[serde(default)]
    pub deny: Vec<Text>,
    /// Methods every allowed origin must be allowed to use; one preflight each (default `[GET]`).
    #[serde(default)]
    pub methods: Vec<Method>,
    /// Request headers every allowed origin must be allowed to send (default none).
    #[serde(default)]
    pub headers: Vec<String>,
    /// `true`: allowed origins must be allowed credentials (cookies, Authorization);
    /// `false`: no origin may be. Default: not checked.
    #[serde(default)]
    pub credentials: Option<bool>,
    /// Also send the actual request — a `GET` with `Origin` — from every origin
    /// tried, and judge its response's CORS headers as a browser would (default `true`).
    #[serde(default = "yes")]
    pub actual: bool,
    /// TLS settings: `ca_file`, `client_cert`/`client_key`, `insecure` (the
    /// same block on every web probe; default: the system's roots).
    #[serde(default)]
    pub tls: TlsBlock,
}

fn yes() -> bool {
    true
}

/// Why an origin is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Allowed,
    Denied,
    Random,
}

/// One preflight and the CORS headers of its answer.
#[derive(Debug, Clone, Default)]
struct Preflight {
    origin: String,
    method: String,
    status: u16,
    status_text: String,
    allow_origin: Option<String>,
    allow_methods: Option<String>,
    allow_headers: Option<String>,
    allow_credentials: Option<String>,
    vary: Option<String>,
}

impl Preflight {
    fn credentials(&self) -> bool {
        self.allow_credentials
            .as_deref()
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
    }

    fn shown_origin(&self) -> String {
        self.allow_origin.as_deref().map_or_else(
            || "no Access-Control-Allow-Origin".to_owned(),
            |v| format!("Access-Control-Allow-Origin: {v}"),
        )
    }

    /// Whether a browser would let `self.origin` read the response.
    fn lets_in(&self) -> bool {
        self.allow_origin
            .as_deref()
            .is_some_and(|v| v.trim() == "*" || v.trim() == self.origin)
    }
}

fn list_has(list: Option<&str>, wanted: &str) -> bool {
    list.unwrap_or("")
        .split(',')
        .any(|item| item.trim().eq_ignore_ascii_case(wanted))
}

impl CorsProbe {
    fn any_origin(&self) -> bool {
        self.allow.iter().any(|o| o.as_str() == "*")
    }

    fn methods(&self) -> Vec<String> {
        if self.methods.is_empty() {
            vec!["GET".to_owned()]
        } else {
            self.methods.iter().map(|m| m.0.to_string()).collect()
        }
    }

    /// Every (role, origin, method) to send a preflight for.
    fn plan(&self, random: &str) -> Vec<(Role, String, String)> {
        let methods = self.methods();
        let mut out = Vec::new();
        let allowed: Vec<String> = if self.any_origin() {
            vec![random.to_owned()]
        } else {
            self.allow.iter().map(|o| o.as_str().to_owned()).collect()
        };
        for origin in allowed {
            for method in &methods {
                out.push((Role::Allowed, origin.clone(), method.clone()));
            }
        }
        for origin in &self.deny {
            out.push((Role::Denied, origin.as_str().to_owned(), methods[0].clone()));
        }
        if !self.any_origin() {
            out.push((Role::Random, random.to_owned(), methods[0].clone()));
        }
        out
    }

    fn request_headers(&self) -> String {
        let mut names: Vec<String> = self
            .headers
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        names.sort();
        names.dedup();
        names.join(",")
    }

    /// A preflight for `method` from `origin`; with `method` `None`, the actual
    /// `GET` a browser sends after it.
    async fn preflight(
        &self,
        ctx: &Context,
        origin: &str,
        method: Option<&str>,
    ) -> Result<Preflight, Finding> {
        let verb = if method.is_some() {
            reqwest::Method::OPTIONS
        } else {
            reqwest::Method::GET
        };
        let mut request = Request::new(verb, &self.url).map_err(Finding::error)?;
        let headers = &mut request.headers;
        let value = |v: &str| {
            reqwest::header::HeaderValue::from_str(v)
                .map_err(|_| Finding::error(format!("`{v}` cannot be sent in a header")))
        };
        headers.insert(reqwest::header::ORIGIN, value(origin)?);
        if let Some(method) = method {
            headers.insert("access-control-request-method", value(method)?);
            let wanted = self.request_headers();
            if !wanted.is_empty() {
                headers.insert("access-control-request-headers", value(&wanted)?);
            }
        }
        let limits = Limits {
            redirects: None,
            body: 0,
            keep_body: false,
        };
        let exchange = fetch(ctx, &self.tls, request, limits).await?;
        let get = |name: &str| header_text(&exchange.headers, name);
        Ok(Preflight {
            origin: origin.to_owned(),
            method: method.unwrap_or("GET").to_owned(),
            status: exchange.status.as_u16(),
            status_text: status_line(exchange.status),
            allow_origin: get("access-control-allow-origin"),
            allow_methods: get("access-control-allow-methods"),
            allow_headers: get("access-control-allow-headers"),
            allow_credentials: get("access-control-allow-credentials"),
            vary: get("vary"),
        })
    }

    /// The checks for a preflight from an origin that must be allowed.
    fn allowed_checks(&self, p: &Preflight, checks: &mut Vec<Check>) {
        let who = if self.any_origin() {
            "any origin".to_owned()
        } else {
            p.origin.clone()
        };
        let ok_status = (200..300).contains(&p.status);
        checks.push(check(
            ok_status,
            format!("a 2xx preflight answer for {who} {}", p.method),
            p.status_text.clone(),
        ));
        if !ok_status {
            return;
        }
        let creds_wanted = self.credentials == Some(true);
        let acao = p.allow_origin.as_deref().map(str::trim);
        let origin_ok = match acao {
            Some("*") if creds_wanted => {
                checks.push(check(
                    false,
                    format!(
                        "Access-Control-Allow-Origin: {} (credentials need the exact origin)",
                        p.origin
                    ),
                    "*".to_owned(),
                ));
                return;
            }
            Some(v) => v == "*" || v == p.origin,
            None => false,
        };
        checks.push(check(origin_ok, format!("{who} allowed"), p.shown_origin()));
        if !origin_ok {
            return;
        }
        let star_counts = !creds_wanted;
        let methods = p.allow_methods.as_deref();
        let method_ok = SAFELISTED_METHODS.contains(&p.method.as_str())
            || list_has(methods, &p.method)
            || (star_counts && list_has(methods, "*"));
        checks.push(check(
            method_ok,
            format!("{} allowed for {who}", p.method),
            methods.map_or_else(
                || "no Access-Control-Allow-Methods".to_owned(),
                |m| format!("Access-Control-Allow-Methods: {m}"),
            ),
        ));
        let allowed_headers = p.allow_headers.as_deref();
        let missing: Vec<&str> = self
            .headers
            .iter()
            .map(String::as_str)
            .filter(|h| !SAFELISTED_HEADERS.contains(&h.to_ascii_lowercase().as_str()))
            .filter(|h| {
                !(list_has(allowed_headers, h)
                    || (star_counts
                        && !h.eq_ignore_ascii_case("authorization")
                        && list_has(allowed_headers, "*")))
            })
            .collect();
        if !self.headers.is_empty() {
            checks.push(check(
                missing.is_empty(),
                format!("headers {} allowed for {who}", self.headers.join(", ")),
                allowed_headers.map_or_else(
                    || "no Access-Control-Allow-Headers".to_owned(),
                    |h| format!("Access-Control-Allow-Headers: {h}"),
                ),
            ));
        }
        match self.credentials {
            Some(true) => checks.push(check(
                p.credentials(),
                format!("Access-Control-Allow-Credentials: true for {who}"),
                p.allow_credentials
                    .clone()
                    .unwrap_or_else(|| "none".to_owned()),
            )),
            Some(false) => checks.push(check(
                !p.credentials(),
                format!("no credentials for {who}"),
                "Access-Control-Allow-Credentials: true".to_owned(),
            )),
            None => {}
        }
        if acao == Some(p.origin.as_str()) {
            let vary = p.vary.as_deref();
            checks.push(soft_check(
                list_has(vary, "origin") || list_has(vary, "*"),
                format!("Vary: Origin with the echoed origin {}", p.origin),
                vary.map_or_else(|| "no Vary".to_owned(), |v| format!("Vary: {v}")),
            ));
        }
    }

    /// The checks for the actual `GET` response to `origin`.
    fn actual_checks(&self, role: Role, p: &Preflight, checks: &mut Vec<Check>) {
        let who = match role {
            Role::Allowed if self.any_origin() => "any origin".to_owned(),
            Role::Random => "a random origin".to_owned(),
            _ => p.origin.clone(),
        };
        if role != Role::Allowed {
            checks.push(check(
                !p.lets_in(),
                format!("{who} refused on the actual GET response"),
                p.shown_origin(),
            ));
            return;
        }
        let creds_wanted = self.credentials == Some(true);
        let acao = p.allow_origin.as_deref().map(str::trim);
        let ok = match acao {
            Some("*") => !creds_wanted,
            Some(v) => v == p.origin,
            None => false,
        };
        checks.push(check(
            ok,
            format!("{who} allowed on the actual GET response"),
            p.shown_origin(),
        ));
        if ok && creds_wanted {
            checks.push(check(
                p.credentials(),
                format!(
                    "Access-Control-Allow-Credentials: true on the actual GET response for {who}"
                ),
                p.allow_credentials
                    .clone()
                    .unwrap_or_else(|| "none".to_owned()),
            ));
        }
        if acao == Some(p.origin.as_str()) {
            let vary = p.vary.as_deref();
            checks.push(soft_check(
                list_has(vary, "origin") || list_has(vary, "*"),
                format!(
                    "Vary: Origin with the echoed origin {} on the actual GET response",
                    p.origin
                ),
                vary.map_or_else(|| "no Vary".to_owned(), |v| format!("Vary: {v}")),
            ));
        }
    }

    /// Compares every preflight, and every actual response, with the policy.
    ///
    /// Failures read cause first: `*` with credentials (which explains the
    /// rest), then origins let in that must not be, then allowed origins
    /// refused, then the actual responses; the line stays short and says how
    /// many more there are (every check is in the report).
    fn compare(&self, seen: &[(Role, Preflight)], actual: &[(Role, Preflight)]) -> Finding {
        let mut checks = Vec::new();
        let wildcard_with_credentials = seen
            .iter()
            .chain(actual)
            .any(|(_, p)| p.allow_origin.as_deref().map(str::trim) == Some("*") && p.credentials());
        checks.push(check(
            !wildcard_with_credentials,
            "no Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true",
            if wildcard_with_credentials {
                "both in one answer, which browsers refuse"
            } else {
                "not together"
            },
        ));
        let by_role = |wanted: Role| seen.iter().filter(move |(role, _)| *role == wanted);
        for (_, p) in by_role(Role::Random) {
            let observed = match p.allow_origin.as_deref().map(str::trim) {
                Some("*") => "Access-Control-Allow-Origin: * (any origin is allowed)".to_owned(),
                Some(v) if v == p.origin => {
                    let mut text =
                        format!("Access-Control-Allow-Origin: {v} (the server reflects any origin");
                    if p.credentials() {
                        text.push_str(", with credentials");
                    }
                    text.push(')');
                    text
                }
                _ => p.shown_origin(),
            };
            checks.push(check(!p.lets_in(), "a random origin refused", observed));
        }
        for (_, p) in by_role(Role::Denied) {
            checks.push(check(
                !p.lets_in(),
                format!("{} refused", p.origin),
                p.shown_origin(),
            ));
        }
        for (role, p) in actual.iter().filter(|(role, _)| *role != Role::Allowed) {
            self.actual_checks(*role, p, &mut checks);
        }
        for (_, p) in by_role(Role::Allowed) {
            self.allowed_checks(p, &mut checks);
        }
        for (role, p) in actual.iter().filter(|(role, _)| *role == Role::Allowed) {
            self.actual_checks(*role, p, &mut checks);
        }
        // A failure already names the wildcard; do not say it twice.
        if wildcard_with_credentials {
            checks.retain(|c| !(c.verdict == Verdict::Fail && c.observed == "*"));
        }
        // One preflight per method repeats what holds for the origin: say it once.
        let mut unique: Vec<Check> = Vec::with_capacity(checks.len());
        for c in checks {
            if !unique.contains(&c) {
                unique.push(c);
            }
        }
        let mut finding = Finding::from_checks(unique, &self.summary(), "");
        finding.evidence = short_evidence(&finding);
        finding
    }

    fn summary(&self) -> String {
        let mut out = String::new();
        let allowed = if self.any_origin() {
            "any origin".to_owned()
        } else {
            self.allow
                .iter()
                .map(Text::as_str)
                .collect::<Vec<_>>()
                .join(", ")
        };
        if !self.allow.is_empty() {
            let mut what = self.methods().join(", ");
            if !self.headers.is_empty() {
                let _ = write!(what, "; {}", self.headers.join(", "));
            }
            if self.credentials == Some(true) {
                what.push_str("; credentials");
            }
            let _ = write!(out, "{allowed} allowed ({what})");
        }
        let mut refused: Vec<String> = self.deny.iter().map(|o| o.as_str().to_owned()).collect();
        if !self.any_origin() {
            refused.push("a random origin".to_owned());
        }
        if !refused.is_empty() {
            if !out.is_empty() {
                out.push_str("; ");
            }
            let _ = write!(out, "refused: {}", refused.join(", "));
        }
        out
    }
}

/// Up to this many failures are spelled out in full on the evidence line.
const SHOWN_FAILURES: usize = 2;

/// The evidence line: up to [`SHOWN_FAILURES`] failures in full; with more,
/// the first (the cause) in full and the rest counted, their expectations
/// named and shortened.
fn short_evidence(finding: &Finding) -> String {
    if finding.verdict == Verdict::Pass {
        return finding.evidence.clone();
    }
    let bad: Vec<&Check> = finding
        .checks
        .iter()
        .filter(|c| c.verdict == finding.verdict)
        .collect();
    if bad.len() <= SHOWN_FAILURES {
        return finding.evidence.clone();
    }
    let first = format!("expected {}, got {}", bad[0].expected, bad[0].observed);
    let rest: Vec<&str> = bad[1..].iter().map(|c| c.expected.as_str()).collect();
    let more = crate::probe::expect::excerpt(&rest.join("; "), 100);
    format!("{first} (+ {} more: {more})", rest.len())
}

/// Problems with one origin as written.
fn origin_problem(field: &str, origin: &str) -> Option<String> {
    if origin == "null" || (origin == "*" && field == "allow") {
        return None;
    }
    let serialized = reqwest::Url::parse(origin)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .map(|u| u.origin().ascii_serialization());
    match serialized {
        Some(s) if s == origin => None,
        Some(s) => Some(format!(
            "{field}: `{origin}` is not an origin as browsers send it: write `{s}`"
        )),
        None => Some(format!(
            "{field}: `{origin}` is not an origin: write scheme and host, such as `https://app.example.com`"
        )),
    }
}

impl Probe for CorsProbe {
    fn host(&self) -> Option<String> {
        crate::probe::web::fields::host_of(&self.url)
    }

    fn target(&self) -> String {
        format!("OPTIONS {}", redact_url(&self.url))
    }

    fn secrets(&self) -> Vec<String> {
        crate::probe::web::fields::request_secrets(&RequestHeaders::default(), None, &self.url)
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = validate_request("cors", &self.url, &RequestHeaders::default());
        problems.extend(self.tls.problems());
        for (field, list) in [("allow", &self.allow), ("deny", &self.deny)] {
            if list.len() > MAX_ORIGINS {
                problems.push(format!(
                    "{field} lists {} origins: at most {MAX_ORIGINS}",
                    list.len()
                ));
            }
            problems.extend(list.iter().filter_map(|o| origin_problem(field, o)));
        }
        if self.any_origin() {
            if self.allow.len() > 1 {
                problems.push("allow: `*` means every origin: list it alone".to_owned());
            }
            if !self.deny.is_empty() {
                problems
                    .push("allow: [\"*\"] allows every origin, so none can be denied".to_owned());
            }
            if self.credentials == Some(true) {
                problems.push(
                    "allow: [\"*\"] with credentials: true asks for any site to act as the user: browsers refuse `*` with credentials".to_owned(),
                );
            }
        }
        for origin in &self.allow {
            if self.deny.iter().any(|d| d.as_str() == origin.as_str()) {
                problems.push(format!("`{}` is both allowed and denied", origin.as_str()));
            }
        }
        if self.methods.len() > MAX_LIST || self.headers.len() > MAX_LIST {
            problems.push(format!(
                "methods and headers list at most {MAX_LIST} entries each"
            ));
        }
        for name in &self.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                problems.push(format!("headers: `{name}` is not a valid header name"));
            }
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        self.tls.judge(self.attempt(ctx).await)
    }
}

impl CorsProbe {
    /// One attempt, before `tls.insecure` has its say.
    async fn attempt(&self, ctx: &Context) -> Finding {
        let random = format!("https://candlefish-probe-{}.invalid", random_label());
        let mut seen = Vec::new();
        let plan = self.plan(&random);
        for (role, origin, method) in &plan {
            match self.preflight(ctx, origin, Some(method)).await {
                Ok(preflight) => seen.push((*role, preflight)),
                Err(finding) => return finding,
            }
        }
        let mut actual = Vec::new();
        if self.actual {
            let mut origins: Vec<(Role, &str)> = Vec::new();
            for (role, origin, _) in &plan {
                if !origins.iter().any(|(_, o)| o == origin) {
                    origins.push((*role, origin));
                }
            }
            for (role, origin) in origins {
                match self.preflight(ctx, origin, None).await {
                    Ok(response) => actual.push((role, response)),
                    Err(finding) => return finding,
                }
            }
        }
        self.compare(&seen, &actual)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe(yaml: &str) -> CorsProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn answer(origin: &str, method: &str, headers: &[(&str, &str)]) -> Preflight {
        let get = |name: &str| {
            headers
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| (*v).to_owned())
        };
        Preflight {
            origin: origin.to_owned(),
            method: method.to_owned(),
            status: 204,
            status_text: "204 No Content".to_owned(),
            allow_origin: get("access-control-allow-origin"),
            allow_methods: get("access-control-allow-methods"),
            allow_headers: get("access-control-allow-headers"),
            allow_credentials: get("access-control-allow-credentials"),
            vary: get("vary"),
        }
    }

    const POLICY: &str = "{ url: 'http://h.test/', allow: [https://app.example.com], deny: [https://evil.example], methods: [PUT], headers: [Authorization], credentials: true }";
    const RANDOM: &str = "https://candlefish-probe-1.invalid";

    #[test]
    fn a_strict_policy_passes() {
        let p = probe(POLICY);
        let good = [
            ("Access-Control-Allow-Origin", "https://app.example.com"),
            ("Access-Control-Allow-Methods", "GET, PUT"),
            ("Access-Control-Allow-Headers", "authorization"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ];
        let seen = vec![
            (
                Role::Allowed,
                answer("https://app.example.com", "PUT", &good),
            ),
            (Role::Denied, answer("https://evil.example", "PUT", &[])),
            (Role::Random, answer(RANDOM, "PUT", &[])),
        ];
        let f = p.compare(&seen, &[]);
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
        assert_eq!(
            f.evidence,
            "https://app.example.com allowed (PUT; Authorization; credentials); refused: https://evil.example, a random origin"
        );
    }

    #[test]
    fn reflection_and_wildcards_with_credentials_fail() {
        let p = probe(POLICY);
        let reflect = |o: &str| {
            answer(
                o,
                "PUT",
                &[
                    ("Access-Control-Allow-Origin", o),
                    ("Access-Control-Allow-Methods", "PUT"),
                    ("Access-Control-Allow-Headers", "Authorization"),
                    ("Access-Control-Allow-Credentials", "true"),
                ],
            )
        };
        let seen = vec![
            (Role::Allowed, reflect("https://app.example.com")),
            (Role::Denied, reflect("https://evil.example")),
            (Role::Random, reflect(RANDOM)),
        ];
        let f = p.compare(&seen, &[]);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            format!(
                "expected a random origin refused, got Access-Control-Allow-Origin: {RANDOM} (the server reflects any origin, with credentials); expected https://evil.example refused, got Access-Control-Allow-Origin: https://evil.example + 1 warning: expected Vary: Origin with the echoed origin https://app.example.com, got no Vary"
            )
        );
        let star = [
            ("Access-Control-Allow-Origin", "*"),
            ("Access-Control-Allow-Credentials", "true"),
        ];
        let seen = vec![
            (
                Role::Allowed,
                answer("https://app.example.com", "PUT", &star),
            ),
            (Role::Random, answer(RANDOM, "PUT", &star)),
        ];
        let f = p.compare(&seen, &[]);
        assert_eq!(
            f.evidence,
            "expected no Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true, got both in one answer, which browsers refuse; expected a random origin refused, got Access-Control-Allow-Origin: * (any origin is allowed)"
        );
    }

    #[test]
    fn missing_methods_headers_and_vary_are_named() {
        let p = probe(POLICY);
        let partial = [
            ("Access-Control-Allow-Origin", "https://app.example.com"),
            ("Access-Control-Allow-Methods", "GET"),
            ("Access-Control-Allow-Credentials", "true"),
        ];
        let f = p.compare(
            &[(
                Role::Allowed,
                answer("https://app.example.com", "PUT", &partial),
            )],
            &[],
        );
        assert_eq!(
            f.evidence,
            "expected PUT allowed for https://app.example.com, got Access-Control-Allow-Methods: GET; expected headers Authorization allowed for https://app.example.com, got no Access-Control-Allow-Headers + 1 warning: expected Vary: Origin with the echoed origin https://app.example.com, got no Vary"
        );
        let p = probe("{ url: 'http://h.test/', allow: [https://app.example.com] }");
        let no_vary = [("Access-Control-Allow-Origin", "https://app.example.com")];
        let f = p.compare(
            &[(
                Role::Allowed,
                answer("https://app.example.com", "GET", &no_vary),
            )],
            &[],
        );
        assert_eq!(f.verdict, Verdict::Warn);
        assert_eq!(
            f.evidence,
            "expected Vary: Origin with the echoed origin https://app.example.com, got no Vary"
        );
    }

    #[test]
    fn the_actual_response_must_carry_the_headers_too() {
        let p =
            probe("{ url: 'http://h.test/', allow: [https://app.example.com], credentials: true }");
        let good = [
            ("Access-Control-Allow-Origin", "https://app.example.com"),
            ("Access-Control-Allow-Credentials", "true"),
            ("Vary", "Origin"),
        ];
        let seen = [(
            Role::Allowed,
            answer("https://app.example.com", "GET", &good),
        )];
        let bare: [(&str, &str); 0] = [];
        let actual = [
            (
                Role::Allowed,
                answer("https://app.example.com", "GET", &bare),
            ),
            (
                Role::Random,
                answer(
                    "https://x.invalid",
                    "GET",
                    &[("Access-Control-Allow-Origin", "https://x.invalid")],
                ),
            ),
        ];
        let f = p.compare(&seen, &actual);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected a random origin refused on the actual GET response, got Access-Control-Allow-Origin: https://x.invalid; \
             expected https://app.example.com allowed on the actual GET response, got no Access-Control-Allow-Origin"
        );
        let f = p.compare(
            &seen,
            &[(
                Role::Allowed,
                answer("https://app.example.com", "GET", &good),
            )],
        );
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
    }

    #[test]
    fn origins_are_validated_as_browsers_send_them() {
        let p = probe(
            "{ url: 'http://h.test/', allow: ['https://app.example.com/', 'https://a.test:443', '*'], deny: ['null', 'evil'] }",
        );
        assert_eq!(
            p.validate(Duration::from_secs(5)),
            [
                "allow: `https://app.example.com/` is not an origin as browsers send it: write `https://app.example.com`",
                "allow: `https://a.test:443` is not an origin as browsers send it: write `https://a.test`",
                "deny: `evil` is not an origin: write scheme and host, such as `https://app.example.com`",
                "allow: `*` means every origin: list it alone",
                "allow: [\"*\"] allows every origin, so none can be denied",
            ]
        );
    }
}
