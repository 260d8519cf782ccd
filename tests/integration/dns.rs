//! The `dns` probe against an authoritative server on 127.0.0.1 that these
//! tests run in-process: a small UDP and TCP responder built from
//! hickory-proto's message types, answering from a fixed zone (no Debian
//! package needed). One variant never answers.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, CAA, CNAME, MX, NS, SRV, TXT};
use hickory_resolver::proto::rr::{Name, RData, Record};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::tls::outcome;
use crate::tls_support::runtime;

/// An authoritative DNS server for a fixed zone, on UDP and TCP.
struct DnsServer {
    addr: SocketAddr,
    _runtime: tokio::runtime::Runtime,
}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("name")
}

fn zone() -> Vec<Record> {
    let r = |owner: &str, data: RData| Record::from_rdata(name(owner), 300, data);
    vec![
        r(
            "candlefish.test.",
            RData::A(A(Ipv4Addr::new(192, 0, 2, 10))),
        ),
        r(
            "candlefish.test.",
            RData::A(A(Ipv4Addr::new(192, 0, 2, 11))),
        ),
        r(
            "candlefish.test.",
            RData::AAAA(AAAA(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10))),
        ),
        r(
            "candlefish.test.",
            RData::MX(MX::new(10, name("mx1.candlefish.test."))),
        ),
        r(
            "candlefish.test.",
            RData::MX(MX::new(20, name("mx2.candlefish.test."))),
        ),
        r(
            "candlefish.test.",
            RData::NS(NS(name("ns1.candlefish.test."))),
        ),
        r(
            "candlefish.test.",
            RData::TXT(TXT::new(vec!["v=spf1 include:_spf.mail.test -all".into()])),
        ),
        r(
            "candlefish.test.",
            RData::TXT(TXT::new(vec!["site-verification=abc123".into()])),
        ),
        r(
            "candlefish.test.",
            RData::CAA(CAA::new_issue(false, Some(name("letsencrypt.org")), vec![])),
        ),
        r(
            "_dmarc.candlefish.test.",
            RData::TXT(TXT::new(vec![
                "v=DMARC1; p=reject; rua=mailto:d@candlefish.test".into(),
            ])),
        ),
        r(
            "www.candlefish.test.",
            RData::CNAME(CNAME(name("edge.cdn.test."))),
        ),
        r("nomail.test.", RData::A(A(Ipv4Addr::new(192, 0, 2, 20)))),
        r(
            "_sip._tcp.candlefish.test.",
            RData::SRV(SRV::new(10, 5, 5060, name("sip1.candlefish.test."))),
        ),
        r(
            "_sip._tcp.candlefish.test.",
            RData::SRV(SRV::new(20, 5, 5060, name("sip2.candlefish.test."))),
        ),
        r(
            "wild.test.",
            RData::CAA(CAA::new_issue(false, Some(name("letsencrypt.org")), vec![])),
        ),
        r(
            "wild.test.",
            RData::CAA(CAA::new_issuewild(false, Some(name("pki.goog")), vec![])),
        ),
        r(
            "locked.test.",
            RData::CAA(CAA::new_issue(false, None, vec![])),
        ),
    ]
}

fn answer(query: &[u8], zone: &[Record]) -> Option<Vec<u8>> {
    let request = Message::from_vec(query).ok()?;
    let mut response = Message::response(request.metadata.id, request.metadata.op_code);
    response.metadata.authoritative = true;
    response.metadata.recursion_desired = request.metadata.recursion_desired;
    for q in &request.queries {
        response.add_query(q.clone());
        let owned: Vec<&Record> = zone.iter().filter(|r| r.name == q.name).collect();
        if owned.is_empty() {
            response.metadata.response_code = ResponseCode::NXDomain;
        }
        for record in owned
            .into_iter()
            .filter(|r| r.record_type() == q.query_type)
        {
            response.add_answer(record.clone());
        }
    }
    response.to_vec().ok()
}

impl DnsServer {
    fn start(silent: bool) -> DnsServer {
        let runtime = runtime();
        // One port for both: a free UDP port may be taken for TCP, so retry.
        let (udp, tcp) = runtime.block_on(async {
            for _ in 0..50 {
                let udp = tokio::net::UdpSocket::bind("127.0.0.1:0")
                    .await
                    .expect("udp");
                let addr = udp.local_addr().expect("addr");
                if let Ok(tcp) = tokio::net::TcpListener::bind(addr).await {
                    return (udp, tcp);
                }
            }
            panic!("no port free for both UDP and TCP on 127.0.0.1")
        });
        let addr = udp.local_addr().expect("addr");
        let zone = Arc::new(zone());
        let udp_zone = Arc::clone(&zone);
        runtime.spawn(async move {
            let mut buf = vec![0u8; 4096];
            while let Ok((n, peer)) = udp.recv_from(&mut buf).await {
                if silent {
                    continue;
                }
                if let Some(reply) = answer(&buf[..n], &udp_zone) {
                    let _ = udp.send_to(&reply, peer).await;
                }
            }
        });
        runtime.spawn(async move {
            while let Ok((mut stream, _)) = tcp.accept().await {
                let zone = Arc::clone(&zone);
                tokio::spawn(async move {
                    let mut len = [0u8; 2];
                    while stream.read_exact(&mut len).await.is_ok() {
                        let mut query = vec![0u8; usize::from(u16::from_be_bytes(len))];
                        if stream.read_exact(&mut query).await.is_err() || silent {
                            return;
                        }
                        let Some(reply) = answer(&query, &zone) else {
                            return;
                        };
                        let mut framed = (reply.len() as u16).to_be_bytes().to_vec();
                        framed.extend(reply);
                        if stream.write_all(&framed).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        DnsServer {
            addr,
            _runtime: runtime,
        }
    }
}

#[test]
fn records_meet_equals_contains_and_one_of() {
    let ns = DnsServer::start(false);
    let out = outcome(&format!(
        r#"dns:
  name: candlefish.test
  nameserver: "{}"
  a: [192.0.2.11, 192.0.2.10]
  aaaa: {{ one_of: ["2001:db8::10", "2001:db8::11"] }}
  cname: {{ exists: false }}
  mx: {{ contains: [mx1.candlefish.test, 20 mx2.candlefish.test.] }}
  txt: {{ matches: '^site-verification=' }}
  caa: issue letsencrypt.org
  ns: ns1.candlefish.test
  spf: true
  dmarc: true"#,
        ns.addr
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    let e = out["evidence"].as_str().unwrap_or_default();
    assert!(
        e.starts_with(
            "candlefish.test: A 192.0.2.10, 192.0.2.11; AAAA 2001:db8::10; CNAME no records; TXT "
        ),
        "{e}"
    );
    assert!(
        e.contains("SPF v=spf1 include:_spf.mail.test -all; DMARC v=DMARC1; p=reject"),
        "{e}"
    );
    assert!(e.ends_with(&format!("(via {})", ns.addr)), "{e}");
}

#[test]
fn a_cutover_not_done_yet_is_red_with_the_answer() {
    let ns = DnsServer::start(false);
    let out = outcome(&format!(
        "dns: {{ name: candlefish.test, nameserver: \"{}\", a: 203.0.113.5 }}",
        ns.addr
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "expected A 203.0.113.5, got 192.0.2.10, 192.0.2.11 (via {})",
            ns.addr
        )
    );
}

#[test]
fn cname_and_missing_names_are_explained() {
    let ns = DnsServer::start(false);
    let out = outcome(&format!(
        "dns: {{ name: www.candlefish.test, nameserver: \"{}\", cname: edge.cdn.test }}",
        ns.addr
    ));
    assert_eq!(out["verdict"], "pass", "{out}");
    let out = outcome(&format!(
        "dns: {{ name: missing.candlefish.test, nameserver: \"{}\", a: {{ exists: true }} }}",
        ns.addr
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "expected A records, got no such name (NXDOMAIN) (via {})",
            ns.addr
        )
    );
}

#[test]
fn a_mail_domain_without_spf_or_dmarc_is_red() {
    let ns = DnsServer::start(false);
    let out = outcome(&format!(
        "dns: {{ name: nomail.test, nameserver: \"{}\", spf: true, dmarc: true }}",
        ns.addr
    ));
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "expected one SPF record (TXT \"v=spf1 …\"), got no records; expected one DMARC record (TXT \"v=DMARC1 …\"), got no such name (NXDOMAIN) (via {})",
            ns.addr
        )
    );
}

#[test]
fn a_nameserver_that_never_answers_is_red_in_bounded_time() {
    let ns = DnsServer::start(true);
    let out = outcome(&format!(
        "dns: {{ name: candlefish.test, nameserver: \"{}\", a: 192.0.2.10 }}\ntimeout: 1s",
        ns.addr
    ));
    assert_eq!(out["verdict"], "error", "{out}");
    let evidence = out["evidence"].as_str().unwrap_or_default();
    assert!(
        evidence.starts_with("no answer within 1s (timeout) waiting for 127.0.0.1:")
            && evidence.ends_with("to answer A candlefish.test."),
        "{evidence}"
    );
}

#[test]
fn srv_records_for_service_discovery() {
    let ns = DnsServer::start(false);
    let dns = |extra: &str| {
        outcome(&format!(
            "dns: {{ name: _sip._tcp.candlefish.test, nameserver: \"{}\", {extra} }}",
            ns.addr
        ))
    };
    let out =
        dns("srv: { contains: [10 5 5060 sip1.candlefish.test, 5060 sip2.candlefish.test.] }");
    assert_eq!(out["verdict"], "pass", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .starts_with("_sip._tcp.candlefish.test: SRV 10 5 5060 sip1.candlefish.test, 20 5 5060 sip2.candlefish.test"),
        "{out}"
    );
    let out = dns("srv: [sip1.candlefish.test]");
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "expected SRV sip1.candlefish.test, got 10 5 5060 sip1.candlefish.test, 20 5 5060 sip2.candlefish.test (via {})",
            ns.addr
        )
    );
    let out = dns("srv: { contains: [5061 sip1.candlefish.test] }");
    assert_eq!(out["verdict"], "fail", "{out}");
}

#[test]
fn caa_says_which_cas_may_issue_climbing_to_the_parent() {
    let ns = DnsServer::start(false);
    let dns = |name: &str, extra: &str| {
        outcome(&format!(
            "dns: {{ name: {name}, nameserver: \"{}\", {extra} }}",
            ns.addr
        ))
    };
    // No CAA at api.candlefish.test: the parent's set is the relevant one.
    let out = dns("api.candlefish.test", "caa_issuers: letsencrypt.org");
    assert_eq!(out["verdict"], "pass", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "api.candlefish.test: certificates from letsencrypt.org (CAA at candlefish.test) (via {})",
            ns.addr
        )
    );
    let out = dns("api.candlefish.test", "caa_issuers: pki.goog");
    assert_eq!(out["verdict"], "fail", "{out}");
    assert_eq!(
        out["evidence"],
        format!(
            "expected CAs that may issue certificates for api.candlefish.test: exactly pki.goog, got letsencrypt.org (CAA at candlefish.test) (via {})",
            ns.addr
        )
    );
    // issuewild takes the place of issue for wildcard certificates.
    let out = dns(
        "wild.test",
        "caa_issuers: letsencrypt.org, caa_wildcard_issuers: pki.goog",
    );
    assert_eq!(out["verdict"], "pass", "{out}");
    // `issue ";"` lets no CA issue; no CAA anywhere lets any CA issue.
    let out = dns(
        "locked.test",
        "caa_issuers: { contains: [letsencrypt.org] }",
    );
    assert_eq!(out["verdict"], "fail", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .starts_with("expected letsencrypt.org among the CAs that may issue certificates for locked.test, got no CA (CAA at locked.test allows none)"),
        "{out}"
    );
    let out = dns("nomail.test", "caa_issuers: { exists: true }");
    assert_eq!(out["verdict"], "fail", "{out}");
    assert!(
        out["evidence"]
            .as_str()
            .unwrap_or_default()
            .contains("got any CA (no CAA record on nomail.test or its parents)"),
        "{out}"
    );
}
