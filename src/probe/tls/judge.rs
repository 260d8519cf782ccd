//! The `tls` probe's comparison: what the handshake and the chain showed,
//! against what the probe expects. Pure: no I/O, so every verdict is unit-tested.

use rustls::CertificateError;

use super::cert::{CertFacts, Key, date};
use super::legacy::{Legacy, version_name};
use super::{Handshake, KeyType, TlsProbe};
use crate::outcome::{Check, Verdict};
use crate::probe::expect::{Finding, check};

/// Everything one `tls` probe saw.
#[derive(Debug)]
pub(crate) struct Observed {
    /// The name the certificate must cover.
    pub name: String,
    /// The handshake, or why it failed.
    pub handshake: Result<Handshake, String>,
    /// The leaf certificate, if one was presented.
    pub leaf: Option<Result<CertFacts, String>>,
    /// The rest of the chain.
    pub chain: Vec<CertFacts>,
    /// Whether the chain leads to a trusted root.
    pub trust: Option<Result<(), rustls::Error>>,
    /// Whether the leaf covers `name`.
    pub name_match: Option<Result<(), rustls::Error>>,
    /// What the chain was checked against, for evidence.
    pub trusted_by: String,
    /// The legacy-version check, if made.
    pub legacy: Option<Legacy>,
    /// Now, Unix seconds.
    pub now: i64,
}

const DAY: i64 = 86_400;

pub(crate) fn compare(probe: &TlsProbe, seen: &Observed) -> Finding {
    let mut checks = Vec::new();
    let min = version_name(probe.min_version.0);
    match &seen.handshake {
        Ok(done) => {
            checks.push(check(
                done.version >= probe.min_version.0,
                format!("{min} or newer"),
                version_name(done.version),
            ));
            checks.push(check(true, "a cipher suite", done.suite.clone()));
        }
        Err(why) => match &seen.legacy {
            // rustls speaks TLS 1.2 and 1.3 only; the hand-made hello found
            // a server that speaks only something older.
            Some(Legacy::Accepted(old)) => {
                let old_name = version_name(*old);
                let refused = why
                    .strip_prefix("the server refused the handshake ")
                    .map_or_else(
                        || format!("refused TLS 1.2 and 1.3: {why}"),
                        |alert| format!("refused TLS 1.2 and 1.3 {alert}"),
                    );
                let told = format!(
                    "the server accepts {old_name} and {refused}; Candlefish speaks TLS 1.2 and 1.3 only"
                );
                if *old >= probe.min_version.0 {
                    return Finding::error(format!("{told}, so it cannot inspect the certificate"));
                }
                checks.push(check(
                    false,
                    format!("{min} or newer"),
                    format!("{old_name} at most ({told})"),
                ));
            }
            _ => checks.push(check(false, "a TLS handshake", why.clone())),
        },
    }
    let leaf = match &seen.leaf {
        Some(Ok(leaf)) => Some(leaf),
        Some(Err(why)) => {
            checks.push(check(false, "a readable certificate", why.clone()));
            None
        }
        None => None,
    };
    let mut expiry_ok = true;
    if let Some(leaf) = leaf {
        checks.push(trust_check(seen, leaf));
        checks.push(match &seen.name_match {
            Some(Ok(())) | None => check(
                true,
                format!("a certificate for {}", seen.name),
                format!("covered by {}", leaf.sans_text()),
            ),
            Some(Err(_)) => check(
                false,
                format!("a certificate for {}", seen.name),
                format!("one for {}", leaf.sans_text()),
            ),
        });
        let expiry = expiry_check(probe, leaf, seen.now);
        expiry_ok = expiry.verdict == Verdict::Pass;
        checks.push(expiry);
        checks.push(key_check(probe, leaf.key));
        for wanted in &probe.sans.0 {
            checks.push(check(
                leaf.covers(wanted),
                format!("a certificate covering {}", wanted.as_str()),
                if leaf.covers(wanted) {
                    "covered".to_owned()
                } else {
                    format!("one for {}", leaf.sans_text())
                },
            ));
        }
    }
    if let Some(legacy) = &seen.legacy {
        checks.push(legacy_check(probe, legacy));
    }
    let summary = match (&seen.handshake, leaf) {
        (Ok(done), Some(leaf)) => format!(
            "{} in {}, {}",
            version_name(done.version),
            super::took(done.elapsed),
            describe(leaf, seen.now, true)
        ),
        (Ok(done), None) => version_name(done.version),
        (Err(why), _) => why.clone(),
    };
    let context = leaf.map_or_else(String::new, |leaf| {
        format!("({})", describe(leaf, seen.now, expiry_ok))
    });
    Finding::from_checks(checks, &summary, &context)
}

/// `certificate for a, b issued by CN=X, expires 2026-08-01 (in 89 days)`.
fn describe(leaf: &CertFacts, now: i64, with_expiry: bool) -> String {
    let mut text = format!(
        "certificate for {} issued by {}",
        leaf.sans_text(),
        leaf.issuer
    );
    if with_expiry {
        text.push_str(&format!(", {}", expiry_text(leaf.not_after, now)));
    }
    text
}

fn expiry_text(not_after: i64, now: i64) -> String {
    let left = not_after - now;
    let when = date(not_after);
    if left < 0 {
        format!("expired {when} ({} ago)", span(-left))
    } else {
        format!("expires {when} (in {})", span(left))
    }
}

fn span(seconds: i64) -> String {
    match seconds / DAY {
        0 => match seconds / 3600 {
            1 => "1 hour".to_owned(),
            h => format!("{h} hours"),
        },
        1 => "1 day".to_owned(),
        d => format!("{d} days"),
    }
}

fn expiry_check(probe: &TlsProbe, leaf: &CertFacts, now: i64) -> Check {
    let left = leaf.not_after - now;
    let secs = |d: crate::checklist::scalar::Dur| i64::try_from(d.0.as_secs()).unwrap_or(i64::MAX);
    let observed = expiry_text(leaf.not_after, now);
    if leaf.not_before > now {
        return check(
            false,
            "a certificate that is already valid",
            format!("valid from {}", date(leaf.not_before)),
        );
    }
    let (warn, fail) = (probe.expiry_warn(), probe.expiry_fail());
    let (verdict, limit) = if left < secs(fail) {
        (Verdict::Fail, fail)
    } else if left < secs(warn) {
        (Verdict::Warn, warn)
    } else {
        (Verdict::Pass, warn)
    };
    Check {
        expected: format!("more than {} before expiry", days(limit)),
        observed,
        verdict,
    }
}

/// `14 days` for whole days, else the duration as written.
pub(crate) fn days(limit: crate::checklist::scalar::Dur) -> String {
    let secs = limit.0.as_secs();
    match secs / 86_400 {
        1 if secs.is_multiple_of(86_400) => "1 day".to_owned(),
        n if secs.is_multiple_of(86_400) => format!("{n} days"),
        _ => limit.to_string(),
    }
}

fn trust_check(seen: &Observed, leaf: &CertFacts) -> Check {
    let expected = format!("a chain trusted by {}", seen.trusted_by);
    let observed = match &seen.trust {
        Some(Ok(())) | None => return check(true, expected, "trusted"),
        Some(Err(_)) if leaf.self_signed() && seen.chain.is_empty() => {
            format!("a self-signed certificate ({})", leaf.subject)
        }
        Some(Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer))) => {
            let top = seen.chain.last().unwrap_or(leaf);
            format!("an unknown issuer ({})", top.issuer)
        }
        Some(Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. },
        ))) => "a certificate in the chain that is not valid yet".to_owned(),
        Some(Err(rustls::Error::General(why))) => why.clone(),
        Some(Err(other)) => other.to_string(),
    };
    check(false, expected, observed)
}

fn key_check(probe: &TlsProbe, key: Key) -> Check {
    if let Some(wanted) = probe.key_type {
        let matches = matches!(
            (wanted, key),
            (KeyType::Rsa, Key::Rsa(_))
                | (KeyType::Ecdsa, Key::Ec(_))
                | (KeyType::Ed25519, Key::Ed25519)
        );
        if !matches {
            let name = match wanted {
                KeyType::Rsa => "an RSA key",
                KeyType::Ecdsa => "an ECDSA key",
                KeyType::Ed25519 => "an Ed25519 key",
            };
            return check(false, name, key.to_string());
        }
    }
    match key {
        Key::Rsa(bits) => check(
            bits >= probe.min_rsa_bits,
            format!("an RSA key of at least {} bits", probe.min_rsa_bits),
            key.to_string(),
        ),
        Key::Ec(bits) => check(
            bits >= probe.min_ec_bits,
            format!("an ECDSA key of at least {} bits", probe.min_ec_bits),
            key.to_string(),
        ),
        Key::Ed25519 | Key::Ed448 => check(true, "a strong key", key.to_string()),
        Key::Other => check(false, "an RSA, ECDSA or EdDSA key", key.to_string()),
    }
}

fn legacy_check(probe: &TlsProbe, legacy: &Legacy) -> Check {
    let refused = if probe.min_version.0 >= 0x0303 {
        "TLS 1.0 and 1.1 refused".to_owned()
    } else {
        format!(
            "nothing older than {} accepted",
            version_name(probe.min_version.0)
        )
    };
    match legacy {
        Legacy::Accepted(version) => check(
            *version >= probe.min_version.0,
            refused,
            format!("{} accepted", version_name(*version)),
        ),
        Legacy::Refused(how) => check(true, refused, format!("refused ({how})")),
        Legacy::Unknown(why) => check(true, refused, format!("not accepted ({why})")),
    }
}

#[cfg(test)]
mod tests;
