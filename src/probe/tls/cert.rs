//! What a certificate says, read with x509-parser: subject, issuer, SANs,
//! validity and key, as plain data the comparison can quote.

use std::net::IpAddr;

use rustls::pki_types::CertificateDer;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_NIST_EC_P384, OID_NIST_EC_P521,
    OID_PKCS1_RSAENCRYPTION, OID_SIG_ED448, OID_SIG_ED25519,
};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

/// The facts of one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertFacts {
    /// The subject, e.g. `CN=api.example.com`.
    pub subject: String,
    /// The issuer, e.g. `CN=R11, O=Let's Encrypt, C=US`.
    pub issuer: String,
    /// DNS names and IP addresses it is valid for.
    pub sans: Vec<String>,
    /// Start of validity, Unix seconds.
    pub not_before: i64,
    /// End of validity, Unix seconds.
    pub not_after: i64,
    /// The public key.
    pub key: Key,
}

impl CertFacts {
    /// Whether the certificate signed itself (subject and issuer are the same).
    pub fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }

    /// SANs for people: at most a few, then a count.
    pub fn sans_text(&self) -> String {
        const SHOWN: usize = 4;
        if self.sans.is_empty() {
            return "none".to_owned();
        }
        let mut text = self
            .sans
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if self.sans.len() > SHOWN {
            text.push_str(&format!(" and {} more", self.sans.len() - SHOWN));
        }
        text
    }

    /// Whether one of the SANs covers `name` (exactly, or by a `*.` wildcard
    /// for one label).
    pub fn covers(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.').to_ascii_lowercase();
        if let Ok(ip) = name.parse::<IpAddr>() {
            return self.sans.iter().any(|s| s.parse::<IpAddr>() == Ok(ip));
        }
        self.sans.iter().any(|san| {
            let san = san.to_ascii_lowercase();
            match san.strip_prefix("*.") {
                Some(rest) => name
                    .split_once('.')
                    .is_some_and(|(label, tail)| !label.is_empty() && tail == rest),
                None => san == name,
            }
        })
    }
}

/// A public key's algorithm and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// RSA with this many modulus bits.
    Rsa(usize),
    /// ECDSA on a curve of this many bits.
    Ec(usize),
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
    /// Anything else.
    Other,
}

impl std::fmt::Display for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Key::Rsa(bits) => write!(f, "RSA {bits} bits"),
            Key::Ec(bits) => write!(f, "ECDSA P-{bits}"),
            Key::Ed25519 => f.write_str("Ed25519"),
            Key::Ed448 => f.write_str("Ed448"),
            Key::Other => f.write_str("an unrecognised key type"),
        }
    }
}

/// Reads one DER certificate.
pub fn facts(der: &CertificateDer<'_>) -> Result<CertFacts, String> {
    let (_, cert) = X509Certificate::from_der(der.as_ref())
        .map_err(|e| format!("the certificate could not be parsed: {e}"))?;
    let mut sans = Vec::new();
    if let Ok(Some(ext)) = cert.subject_alternative_name() {
        for name in &ext.value.general_names {
            match name {
                GeneralName::DNSName(dns) => sans.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Some(ip) = ip_from_bytes(bytes) {
                        sans.push(ip.to_string());
                    }
                }
                _ => {}
            }
        }
    }
    let validity = cert.validity();
    Ok(CertFacts {
        subject: name_text(&cert.subject().to_string()),
        issuer: name_text(&cert.issuer().to_string()),
        sans,
        not_before: validity.not_before.timestamp(),
        not_after: validity.not_after.timestamp(),
        key: key_of(&cert),
    })
}

/// The end of validity of a DER certificate, Unix seconds.
pub fn not_after(der: &CertificateDer<'_>) -> Option<u64> {
    let (_, cert) = X509Certificate::from_der(der.as_ref()).ok()?;
    u64::try_from(cert.validity().not_after.timestamp()).ok()
}

fn name_text(name: &str) -> String {
    if name.is_empty() {
        "(empty name)".to_owned()
    } else {
        name.to_owned()
    }
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

fn key_of(cert: &X509Certificate<'_>) -> Key {
    let spki = cert.public_key();
    let algorithm = &spki.algorithm.algorithm;
    if *algorithm == OID_PKCS1_RSAENCRYPTION {
        spki.parsed().map_or(Key::Other, |k| Key::Rsa(k.key_size()))
    } else if *algorithm == OID_KEY_TYPE_EC_PUBLIC_KEY {
        let curve = spki
            .algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.as_oid().ok());
        match curve {
            Some(oid) if oid == OID_EC_P256 => Key::Ec(256),
            Some(oid) if oid == OID_NIST_EC_P384 => Key::Ec(384),
            Some(oid) if oid == OID_NIST_EC_P521 => Key::Ec(521),
            _ => spki.parsed().map_or(Key::Other, |k| Key::Ec(k.key_size())),
        }
    } else if *algorithm == OID_SIG_ED25519 {
        Key::Ed25519
    } else if *algorithm == OID_SIG_ED448 {
        Key::Ed448
    } else {
        Key::Other
    }
}

/// A Unix time as a date, `2026-05-01`.
pub fn date(unix: i64) -> String {
    jiff::Timestamp::from_second(unix).map_or_else(
        |_| format!("@{unix}"),
        |t| t.strftime("%Y-%m-%d").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_sans(sans: &[&str]) -> CertFacts {
        CertFacts {
            subject: "CN=a".into(),
            issuer: "CN=b".into(),
            sans: sans.iter().map(|s| (*s).to_owned()).collect(),
            not_before: 0,
            not_after: 0,
            key: Key::Ec(256),
        }
    }

    #[test]
    fn wildcards_cover_one_label() {
        let c = with_sans(&["*.example.com", "example.com", "127.0.0.1"]);
        assert!(c.covers("api.example.com"));
        assert!(c.covers("EXAMPLE.com."));
        assert!(!c.covers("a.b.example.com"));
        assert!(!c.covers("example.org"));
        assert!(c.covers("127.0.0.1"));
        assert!(!c.covers("127.0.0.2"));
    }

    #[test]
    fn many_sans_are_counted() {
        let c = with_sans(&["a", "b", "c", "d", "e", "f"]);
        assert_eq!(c.sans_text(), "a, b, c, d and 2 more");
        assert_eq!(with_sans(&[]).sans_text(), "none");
        assert_eq!(date(0), "1970-01-01");
    }
}
