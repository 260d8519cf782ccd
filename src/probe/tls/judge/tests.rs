use std::time::Duration;

use super::*;
use crate::checklist::scalar::Dur;
use crate::checklist::text::Text;
use crate::probe::Probe as _;
use crate::probe::http::Strings;
use crate::probe::tls::TlsVersion;

const NOW: i64 = 1_800_000_000;

fn probe() -> TlsProbe {
    TlsProbe {
        host: Text::literal("api.example.com"),
        port: 443,
        sni: None,
        ca_file: None,
        expiry_warn: None,
        expiry_fail: None,
        min_version: TlsVersion::default(),
        key_type: None,
        min_rsa_bits: 2048,
        min_ec_bits: 256,
        sans: Strings::default(),
        check_legacy: true,
    }
}

fn leaf(days_left: i64, key: Key) -> CertFacts {
    CertFacts {
        subject: "CN=api.example.com".into(),
        issuer: "CN=R11, O=Let's Encrypt".into(),
        sans: vec!["api.example.com".into(), "www.example.com".into()],
        not_before: NOW - 60 * DAY,
        not_after: NOW + days_left * DAY + 3600,
        key,
    }
}

fn seen(leaf: CertFacts, legacy: Legacy) -> Observed {
    Observed {
        name: "api.example.com".into(),
        handshake: Ok(Handshake {
            version: 0x0304,
            suite: "TLS13_AES_128_GCM_SHA256".into(),
            elapsed: Duration::from_millis(12),
        }),
        leaf: Some(Ok(leaf)),
        chain: Vec::new(),
        trust: Some(Ok(())),
        name_match: Some(Ok(())),
        trusted_by: "the system roots".into(),
        legacy: Some(legacy),
        now: NOW,
    }
}

#[test]
fn a_good_certificate_reads_as_one_line_with_its_details() {
    let f = compare(
        &probe(),
        &seen(
            leaf(89, Key::Ec(256)),
            Legacy::Refused("alert protocol_version".into()),
        ),
    );
    assert_eq!(f.verdict, Verdict::Pass);
    assert_eq!(
        f.evidence,
        "TLS 1.3 in 12ms, certificate for api.example.com, www.example.com issued by CN=R11, O=Let's Encrypt, expires 2027-04-14 (in 89 days)"
    );
}

#[test]
fn expiry_thresholds_warn_then_fail() {
    let warn = compare(
        &probe(),
        &seen(leaf(20, Key::Ec(256)), Legacy::Refused("x".into())),
    );
    assert_eq!(warn.verdict, Verdict::Warn);
    assert!(
        warn.evidence.starts_with(
            "expected more than 30 days before expiry, got expires 2027-02-04 (in 20 days)"
        ),
        "{}",
        warn.evidence
    );
    let fail = compare(
        &probe(),
        &seen(leaf(5, Key::Ec(256)), Legacy::Refused("x".into())),
    );
    assert_eq!(fail.verdict, Verdict::Fail);
    let expired = compare(
        &probe(),
        &seen(leaf(-3, Key::Ec(256)), Legacy::Refused("x".into())),
    );
    assert!(
        expired
            .evidence
            .contains("got expired 2027-01-12 (2 days ago)"),
        "{}",
        expired.evidence
    );
}

#[test]
fn weak_keys_and_legacy_versions_fail() {
    let f = compare(
        &probe(),
        &seen(leaf(89, Key::Rsa(1024)), Legacy::Accepted(0x0301)),
    );
    assert_eq!(f.verdict, Verdict::Fail);
    assert!(
        f.evidence.starts_with(
            "expected an RSA key of at least 2048 bits, got RSA 1024 bits; expected TLS 1.0 and 1.1 refused, got TLS 1.0 accepted"
        ),
        "{}",
        f.evidence
    );
    let mut old_ok = probe();
    old_ok.min_version = TlsVersion(0x0301);
    let f = compare(
        &old_ok,
        &seen(leaf(89, Key::Ec(256)), Legacy::Accepted(0x0301)),
    );
    assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
}

#[test]
fn a_failed_handshake_without_a_chain_is_a_failure_with_the_reason() {
    let mut observed = seen(leaf(89, Key::Ec(256)), Legacy::Accepted(0x0301));
    observed.handshake = Err("the server refused the handshake (alert ProtocolVersion)".into());
    observed.leaf = None;
    let f = compare(&probe(), &observed);
    assert_eq!(f.verdict, Verdict::Fail);
    assert_eq!(
        f.evidence,
        "expected TLS 1.2 or newer, got TLS 1.0 at most (the server accepts TLS 1.0 and refused TLS 1.2 and 1.3 (alert ProtocolVersion); Candlefish speaks TLS 1.2 and 1.3 only); expected TLS 1.0 and 1.1 refused, got TLS 1.0 accepted"
    );
    let mut refused = observed;
    refused.legacy = Some(Legacy::Refused("alert protocol_version".into()));
    let f = compare(&probe(), &refused);
    assert_eq!(
        f.evidence,
        "expected a TLS handshake, got the server refused the handshake (alert ProtocolVersion)"
    );
    let mut legacy_allowed = probe();
    legacy_allowed.min_version = TlsVersion(0x0301);
    let mut only_old = seen(leaf(89, Key::Ec(256)), Legacy::Accepted(0x0301));
    only_old.handshake = Err("the server refused the handshake (alert ProtocolVersion)".into());
    only_old.leaf = None;
    let f = compare(&legacy_allowed, &only_old);
    assert_eq!(f.verdict, Verdict::Error);
    assert_eq!(
        f.evidence,
        "the server accepts TLS 1.0 and refused TLS 1.2 and 1.3 (alert ProtocolVersion); Candlefish speaks TLS 1.2 and 1.3 only, so it cannot inspect the certificate"
    );
}

#[test]
fn versions_parse_and_thresholds_are_validated() {
    assert_eq!(TlsVersion::parse("TLSv1.3"), Ok(TlsVersion(0x0304)));
    assert_eq!(TlsVersion::parse("1.0"), Ok(TlsVersion(0x0301)));
    assert!(TlsVersion::parse("2").is_err());
    let mut p = probe();
    p.expiry_warn = Some(Dur(Duration::from_secs(7 * DAY as u64)));
    p.expiry_fail = Some(Dur(Duration::from_secs(14 * DAY as u64)));
    let problems = p.validate(Duration::from_secs(10));
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("expiry_warn (7 days) must be longer than expiry_fail (14 days)"),
        "{problems:?}"
    );
    // One written alone moves the other's default: nothing to contradict.
    let mut p = probe();
    p.expiry_fail = Some(Dur(Duration::from_secs(30 * DAY as u64)));
    assert!(p.validate(Duration::from_secs(10)).is_empty());
    assert_eq!(p.expiry_warn().0.as_secs(), 60 * DAY as u64);
    let mut p = probe();
    p.expiry_warn = Some(Dur(Duration::from_secs(10 * DAY as u64)));
    assert!(p.validate(Duration::from_secs(10)).is_empty());
    assert_eq!(p.expiry_fail().0.as_secs(), 5 * DAY as u64);
    let p = probe();
    assert_eq!(
        (p.expiry_warn().0.as_secs(), p.expiry_fail().0.as_secs()),
        (30 * DAY as u64, 14 * DAY as u64)
    );
}
