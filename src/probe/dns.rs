//! `dns`: looks a name up — at the system's resolver, or straight at a given
//! nameserver to check a cutover before it propagates — and compares the A,
//! AAAA, CNAME, TXT, MX, SRV, CAA and NS answers with expectations; checks
//! which CAs may issue certificates for the name (CAA as a CA reads it); checks
//! that a mail domain publishes SPF and DMARC.
//!
//! ```yaml
//! probe:
//!   dns: { name: candlefish.ai, a: [203.0.113.10], spf: true, dmarc: true }
//! ```
//!
//! All lookups of one probe run at once; resolvers are shared per nameserver
//! for the run ([`Context::dns_resolver`]).

mod caa;
mod judge;
mod resolve;

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::proto::rr::RecordType;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::scalar::Pattern;
use crate::checklist::text::Text;
use crate::probe::http::Strings;
use crate::probe::{Context, Finding, Probe};
pub use resolve::Resolvers;

/// Configuration of a `dns` probe.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DnsProbe {
    /// The domain name to look up (required).
    pub name: Text,
    /// Ask this server (`IP` or `IP:port`, port 53 by default) instead of the
    /// system's resolvers.
    #[serde(default)]
    pub nameserver: Option<Nameserver>,
    /// Expected A (IPv4) records.
    #[serde(default, deserialize_with = "records")]
    pub a: Option<Box<Records>>,
    /// Expected AAAA (IPv6) records.
    #[serde(default, deserialize_with = "records")]
    pub aaaa: Option<Box<Records>>,
    /// Expected CNAME target.
    #[serde(default, deserialize_with = "records")]
    pub cname: Option<Box<Records>>,
    /// Expected TXT records (each record's strings joined).
    #[serde(default, deserialize_with = "records")]
    pub txt: Option<Box<Records>>,
    /// Expected MX records: `10 mx.example.com`, or just the host.
    #[serde(default, deserialize_with = "records")]
    pub mx: Option<Box<Records>>,
    /// Expected CAA records: `issue letsencrypt.org`.
    #[serde(default, deserialize_with = "records")]
    pub caa: Option<Box<Records>>,
    /// Expected NS records.
    #[serde(default, deserialize_with = "records")]
    pub ns: Option<Box<Records>>,
    /// Expected SRV records (service discovery, at `_service._proto.name`):
    /// `10 5 5060 sip.example.com`, `5060 sip.example.com` (port and target),
    /// or just the target.
    #[serde(default, deserialize_with = "records")]
    pub srv: Option<Box<Records>>,
    /// The CAs that may issue certificates for `name`, read from CAA as a CA
    /// reads it (the closest CAA record set up the tree; none lets any CA issue):
    /// `letsencrypt.org`, a list, or `{ equals | contains | one_of | matches | exists }`.
    #[serde(default, deserialize_with = "records")]
    pub caa_issuers: Option<Box<Records>>,
    /// The same for wildcard certificates (`issuewild`, else `issue`).
    #[serde(default, deserialize_with = "records")]
    pub caa_wildcard_issuers: Option<Box<Records>>,
    /// `true`: exactly one TXT record starting `v=spf1` (default `false`).
    #[serde(default)]
    pub spf: bool,
    /// `true`: `_dmarc.<name>` has a TXT record starting `v=DMARC1` (default `false`).
    #[serde(default)]
    pub dmarc: bool,
}

/// A nameserver address: `192.0.2.53`, `192.0.2.53:5353` or `[2001:db8::53]:53`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nameserver(pub SocketAddr);

impl<'de> Deserialize<'de> for Nameserver {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = Text::deserialize(deserializer)?;
        let raw = text.trim();
        if let Ok(ip) = raw.parse::<IpAddr>() {
            return Ok(Nameserver(SocketAddr::new(ip, 53)));
        }
        raw.parse::<SocketAddr>().map(Nameserver).map_err(|_| {
            de::Error::custom(format!(
                "nameserver `{raw}` is not an IP address or IP:port (e.g. 192.0.2.53 or 192.0.2.53:5353)"
            ))
        })
    }
}

/// Expectations on the records of one type. Written as a value or a list
/// (shorthand for `equals`), or as a mapping.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Records {
    /// The records are exactly these, in any order.
    #[serde(default)]
    pub equals: Option<Strings>,
    /// The records include each of these.
    #[serde(default)]
    pub contains: Strings,
    /// Every record is one of these (and there is at least one).
    #[serde(default)]
    pub one_of: Option<Strings>,
    /// At least one record matches this regular expression.
    #[serde(default)]
    pub matches: Option<Pattern>,
    /// `true`: at least one record (the default); `false`: none at all.
    #[serde(default)]
    pub exists: Option<bool>,
}

/// Reads `Records` from a string, a list, or a mapping.
fn records<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Box<Records>>, D::Error> {
    struct RecordsVisitor;
    impl<'de> Visitor<'de> for RecordsVisitor {
        type Value = Records;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a record value, a list of them, or a mapping with equals, contains, one_of, matches or exists")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Records, E> {
            let text = Text::resolve(v.to_owned()).map_err(E::custom)?;
            Ok(Records {
                equals: Some(Strings(vec![text])),
                ..Records::default()
            })
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Records, A::Error> {
            let mut all = Vec::new();
            while let Some(text) = seq.next_element::<Text>()? {
                all.push(text);
            }
            Ok(Records {
                equals: Some(Strings(all)),
                ..Records::default()
            })
        }
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Records, A::Error> {
            Records::deserialize(de::value::MapAccessDeserializer::new(map))
        }
    }
    deserializer
        .deserialize_any(RecordsVisitor)
        .map(|r| Some(Box::new(r)))
}

impl DnsProbe {
    /// The CAA issuer expectations: (wildcard, expectation).
    fn issuer_expectations(&self) -> Vec<(bool, &Records)> {
        [
            (false, &self.caa_issuers),
            (true, &self.caa_wildcard_issuers),
        ]
        .into_iter()
        .filter_map(|(wild, records)| records.as_deref().map(|r| (wild, r)))
        .collect()
    }

    /// Every record type with expectations, with them.
    fn expectations(&self) -> Vec<(RecordType, &Records)> {
        [
            (RecordType::A, &self.a),
            (RecordType::AAAA, &self.aaaa),
            (RecordType::CNAME, &self.cname),
            (RecordType::TXT, &self.txt),
            (RecordType::MX, &self.mx),
            (RecordType::CAA, &self.caa),
            (RecordType::NS, &self.ns),
            (RecordType::SRV, &self.srv),
        ]
        .into_iter()
        .filter_map(|(kind, records)| records.as_deref().map(|r| (kind, r)))
        .collect()
    }

    /// The name as a fully qualified name, so no search domain is appended.
    fn fqdn(&self) -> String {
        let name = self.name.trim();
        if name.ends_with('.') {
            name.to_owned()
        } else {
            format!("{name}.")
        }
    }

    fn server(&self) -> String {
        self.nameserver
            .map_or_else(|| "the system resolver".to_owned(), |ns| ns.0.to_string())
    }
}

impl Probe for DnsProbe {
    fn target(&self) -> String {
        match self.nameserver {
            Some(ns) => format!("dns {} @{}", self.name.as_str(), ns.0),
            None => format!("dns {}", self.name.as_str()),
        }
    }

    fn validate(&self, _timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push("name is empty".to_owned());
        } else if self.name.trim().contains(char::is_whitespace) {
            problems.push(format!(
                "`{}` is not a domain name: it has a space",
                self.name.trim()
            ));
        } else if hickory_resolver::proto::rr::Name::from_utf8(self.fqdn()).is_err() {
            problems.push(format!(
                "`{}` is not a domain name: labels of letters, digits and `-`, separated by dots",
                self.name.trim()
            ));
        }
        if self.expectations().is_empty()
            && self.issuer_expectations().is_empty()
            && !self.spf
            && !self.dmarc
        {
            problems.push(
                "the dns probe checks nothing: give a, aaaa, cname, txt, mx, srv, caa, ns, caa_issuers, caa_wildcard_issuers, spf or dmarc"
                    .to_owned(),
            );
        }
        for (wildcard, records) in self.issuer_expectations() {
            let field = if wildcard {
                "caa_wildcard_issuers"
            } else {
                "caa_issuers"
            };
            let given = records.equals.is_some()
                || !records.contains.0.is_empty()
                || records.one_of.is_some()
                || records.matches.is_some();
            if records.exists.is_some() && given {
                problems.push(format!(
                    "{field}: `exists` says whether any CAA record limits issuance; it cannot be combined with other expectations"
                ));
            }
        }
        if self.srv.is_some() && !self.name.trim().starts_with('_') {
            problems.push(format!(
                "srv: SRV records live at _service._proto.name (e.g. _sip._tcp.{}), not at `{}`",
                self.name.trim(),
                self.name.trim()
            ));
        }
        for (kind, records) in self.expectations() {
            problems.extend(judge::validate(kind, records));
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        let resolver = match ctx.dns_resolver(self.nameserver.map(|ns| ns.0)) {
            Ok(resolver) => resolver,
            Err(e) => return Finding::error(e),
        };
        let server = self.server();
        let fqdn = self.fqdn();
        let dmarc_name = format!("_dmarc.{fqdn}");
        let mut wanted: Vec<(String, RecordType)> = self
            .expectations()
            .iter()
            .map(|(kind, _)| (fqdn.clone(), *kind))
            .collect();
        if self.spf {
            wanted.push((fqdn.clone(), RecordType::TXT));
        }
        if self.dmarc {
            wanted.push((dmarc_name.clone(), RecordType::TXT));
        }
        wanted.dedup();
        let lookups = wanted
            .iter()
            .map(|(name, kind)| resolve::lookup(&resolver, name, *kind, &server));
        let mut answers = Vec::new();
        for (asked, found) in wanted.iter().zip(futures::future::join_all(lookups).await) {
            match found {
                Ok(answer) => answers.push((asked.clone(), answer)),
                Err(e) => return Finding::error(e),
            }
        }
        let answer = |name: &str, kind: RecordType| {
            answers
                .iter()
                .find(|((n, k), _)| n == name && *k == kind)
                .map(|(_, a)| a.clone())
                .unwrap_or_default()
        };
        let mut checks = Vec::new();
        let mut seen = Vec::new();
        for (kind, records) in self.expectations() {
            let found = answer(&fqdn, kind);
            seen.push(format!("{kind} {}", judge::listed(&found)));
            checks.extend(judge::compare(kind, records, &found));
        }
        for (wildcard, expect) in self.issuer_expectations() {
            let found = match caa::relevant(&resolver, &fqdn, &server, wildcard).await {
                Ok(found) => found,
                Err(e) => return Finding::error(e),
            };
            let certificates = if wildcard {
                "wildcard certificates"
            } else {
                "certificates"
            };
            let what = format!(
                "CAs that may issue {certificates} for {}",
                resolve::name_text(&fqdn)
            );
            seen.push(format!("{certificates} from {}", found.shown(&fqdn)));
            checks.extend(caa::compare(&what, expect, &found, &fqdn));
        }
        if self.spf {
            let (check, text) = judge::policy("SPF", "v=spf1", &answer(&fqdn, RecordType::TXT));
            seen.push(text);
            checks.push(check);
        }
        if self.dmarc {
            let (check, text) =
                judge::policy("DMARC", "v=DMARC1", &answer(&dmarc_name, RecordType::TXT));
            seen.push(text);
            checks.push(check);
        }
        let via = format!("(via {server})");
        let summary = format!("{}: {} {via}", resolve::name_text(&fqdn), seen.join("; "));
        Finding::from_checks(checks, &summary, &via)
    }
}
