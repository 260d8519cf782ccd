//! The `aws_ec2` comparison (pure): the facts the describe calls gave, the
//! probe's expectations, and the evidence naming each offender.

use std::collections::{BTreeSet, HashMap};

use super::Ec2Expect;
use crate::probe::Finding;
use crate::probe::aws::verdict::{Verdicts, count};

/// A VPC.
#[derive(Debug, Clone, Default)]
pub struct Vpc {
    /// `vpc-0abc…`.
    pub id: String,
    /// Its `Name` tag.
    pub name: Option<String>,
}

/// A subnet.
#[derive(Debug, Clone, Default)]
pub struct Subnet {
    /// `subnet-0abc…`.
    pub id: String,
    /// Its VPC's id.
    pub vpc: String,
    /// Its availability zone.
    pub zone: String,
}

/// A route table.
#[derive(Debug, Clone, Default)]
pub struct RouteTable {
    /// Its VPC's id.
    pub vpc: String,
    /// The VPC's main table (for subnets without an explicit association).
    pub main: bool,
    /// Subnets explicitly associated with it.
    pub subnets: Vec<String>,
    /// It sends 0.0.0.0/0 or ::/0 to an internet gateway (`igw-…`).
    pub to_internet: bool,
}

/// A security group.
#[derive(Debug, Clone, Default)]
pub struct SecurityGroup {
    /// `sg-0abc…`.
    pub id: String,
    /// Its group name.
    pub name: String,
    /// Its VPC's id.
    pub vpc: Option<String>,
    /// Its inbound rules.
    pub ingress: Vec<Ingress>,
}

/// One inbound permission.
#[derive(Debug, Clone, Default)]
pub struct Ingress {
    /// `tcp`, `udp`, `icmp`, or `-1` for everything.
    pub protocol: String,
    /// First port (absent for all traffic).
    pub from: Option<i32>,
    /// Last port.
    pub to: Option<i32>,
    /// IPv4 and IPv6 source ranges.
    pub sources: Vec<String>,
}

/// A network ACL.
#[derive(Debug, Clone, Default)]
pub struct NetworkAcl {
    /// `acl-0abc…`.
    pub id: String,
    /// Its VPC's id.
    pub vpc: String,
    /// The VPC's default ACL.
    pub default: bool,
    /// Subnets associated with it.
    pub subnets: Vec<String>,
    /// Its rules.
    pub entries: Vec<AclEntry>,
}

/// One network ACL rule.
#[derive(Debug, Clone, Default)]
pub struct AclEntry {
    /// Rules are evaluated from the lowest number.
    pub number: i32,
    /// An outbound rule.
    pub egress: bool,
    /// `-1` for all protocols, else a protocol number (`6` is TCP).
    pub protocol: String,
    /// `allow` (true) or `deny`.
    pub allow: bool,
    /// The IPv4 or IPv6 range it is about.
    pub cidr: String,
    /// The port range, if it has one.
    pub ports: Option<(i32, i32)>,
}

/// A flow log.
#[derive(Debug, Clone, Default)]
pub struct FlowLog {
    /// The VPC, subnet or interface it records.
    pub resource: String,
    /// `ACTIVE` when it records.
    pub status: String,
}

/// What the describe calls gave that a probe needs (the VPC's parts only).
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// The VPC's subnets.
    pub subnets: Vec<Subnet>,
    /// The VPC's route tables.
    pub route_tables: Vec<RouteTable>,
    /// The VPC's security groups.
    pub groups: Vec<SecurityGroup>,
    /// The VPC's network ACLs.
    pub acls: Vec<NetworkAcl>,
    /// Flow logs of the VPC.
    pub flow_logs: Vec<FlowLog>,
}

const WORLD: &[&str] = &["0.0.0.0/0", "::/0"];

/// The VPC named `wanted` (an id, else the Name tag): one, or why not.
pub fn find_vpc<'a>(vpcs: &'a [Vpc], wanted: &str) -> Result<&'a Vpc, String> {
    if let Some(vpc) = vpcs.iter().find(|v| v.id == wanted) {
        return Ok(vpc);
    }
    let named: Vec<&Vpc> = vpcs
        .iter()
        .filter(|v| v.name.as_deref() == Some(wanted))
        .collect();
    match named.as_slice() {
        [one] => Ok(one),
        [] => Err(format!("no VPC with id or Name tag `{wanted}`")),
        many => Err(format!(
            "{} VPCs are named `{wanted}` ({}): give the id",
            many.len(),
            many.iter()
                .map(|v| v.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// `vpc-0abc (prod)`.
pub fn label(vpc: &Vpc) -> String {
    match &vpc.name {
        Some(name) => format!("{} ({name})", vpc.id),
        None => vpc.id.clone(),
    }
}

/// Judges the VPC's network against the expectations.
pub fn judge(vpc: &Vpc, net: &Network, expect: &Ec2Expect) -> Finding {
    let mut v = Verdicts::new();
    let who = label(vpc);
    let mut summary = vec![format!("{who} exists")];
    if expect.public_subnets.is_some() || expect.private_subnets.is_some() {
        subnets(&who, net, expect, &mut v, &mut summary);
    }
    if expect.admin_ports_closed {
        let ports = expect.ports();
        let mut offenders = 0;
        for group in &net.groups {
            for line in open_ports(group, &ports) {
                offenders += 1;
                v.check(
                    false,
                    "admin ports closed to the world",
                    line.clone(),
                    || line,
                );
            }
        }
        if offenders == 0 {
            v.check(
                true,
                "admin ports closed to the world",
                format!("{} checked", count(net.groups.len(), "security group")),
                String::new,
            );
            summary.push(format!(
                "no security group opens {} to the world",
                list(&ports)
            ));
        }
    }
    if expect.restrictive_nacls {
        nacls(&who, net, &mut v, &mut summary);
    }
    if expect.flow_logs {
        let active = net
            .flow_logs
            .iter()
            .any(|f| f.status.eq_ignore_ascii_case("ACTIVE"));
        let observed = if active {
            "active".to_owned()
        } else if net.flow_logs.is_empty() {
            "none".to_owned()
        } else {
            "none active".to_owned()
        };
        v.check(
            active,
            "an active flow log",
            format!("{who}: {observed}"),
            || format!("{who}: no active flow log"),
        );
        if active {
            summary.push("flow logs on".to_owned());
        }
    }
    v.finish(&summary.join(", "))
}

fn subnets(
    who: &str,
    net: &Network,
    expect: &Ec2Expect,
    v: &mut Verdicts,
    summary: &mut Vec<String>,
) {
    let main_public = net.route_tables.iter().any(|t| t.main && t.to_internet);
    let explicit: HashMap<&str, bool> = net
        .route_tables
        .iter()
        .flat_map(|t| t.subnets.iter().map(move |s| (s.as_str(), t.to_internet)))
        .collect();
    let is_public = |s: &Subnet| explicit.get(s.id.as_str()).copied().unwrap_or(main_public);
    let (public, private): (Vec<&Subnet>, Vec<&Subnet>) =
        net.subnets.iter().partition(|s| is_public(s));
    for (kind, wanted, found) in [
        ("public", expect.public_subnets, &public),
        ("private", expect.private_subnets, &private),
    ] {
        let Some(wanted) = wanted else { continue };
        let zones: BTreeSet<&str> = found.iter().map(|s| s.zone.as_str()).collect();
        let have = found.len();
        v.check(
            have >= wanted,
            format!("at least {}", count(wanted, &format!("{kind} subnet"))),
            format!("{who}: {have}"),
            || {
                format!(
                    "{who}: {} < {wanted}",
                    count(have, &format!("{kind} subnet"))
                )
            },
        );
        let mut line = count(have, &format!("{kind} subnet"));
        if let Some(min_zones) = expect.zones {
            let zone_list = zones.iter().copied().collect::<Vec<_>>().join(", ");
            v.check(
                zones.len() >= min_zones,
                format!("{kind} subnets in at least {}", count(min_zones, "zone")),
                format!("{who}: {} ({zone_list})", zones.len()),
                || {
                    format!(
                        "{who}: {kind} subnets in {} < {min_zones}{}",
                        count(zones.len(), "zone"),
                        if zone_list.is_empty() {
                            String::new()
                        } else {
                            format!(" ({zone_list})")
                        }
                    )
                },
            );
            line.push_str(&format!(" in {}", count(zones.len(), "zone")));
        }
        summary.push(line);
    }
}

/// Inbound rules of `group` that open one of `ports` to the world, as evidence lines.
pub fn open_ports(group: &SecurityGroup, ports: &[u16]) -> Vec<String> {
    let mut lines = Vec::new();
    for rule in &group.ingress {
        let world: Vec<&str> = rule
            .sources
            .iter()
            .map(String::as_str)
            .filter(|s| WORLD.contains(s))
            .collect();
        if world.is_empty() {
            continue;
        }
        let all = rule.protocol == "-1";
        let (from, to) = (rule.from.unwrap_or(0), rule.to.unwrap_or(65_535));
        let ranged = matches!(rule.protocol.as_str(), "tcp" | "udp" | "6" | "17");
        let hit: Vec<u16> = ports
            .iter()
            .copied()
            .filter(|p| all || (ranged && (from..=to).contains(&i32::from(*p))))
            .collect();
        if hit.is_empty() {
            continue;
        }
        let protocol = match rule.protocol.as_str() {
            "6" => "tcp",
            "17" => "udp",
            other => other,
        };
        let what = if all {
            "all traffic".to_owned()
        } else if from == to {
            format!("{protocol}/{from}")
        } else {
            format!("{protocol}/{from}-{to} (covers {})", list(&hit))
        };
        lines.push(format!(
            "{} ({}): {what} open to {}",
            group.id,
            group.name,
            world.join(" and ")
        ));
    }
    lines
}

fn nacls(who: &str, net: &Network, v: &mut Verdicts, summary: &mut Vec<String>) {
    let in_use: Vec<&NetworkAcl> = net
        .acls
        .iter()
        .filter(|a| !a.subnets.is_empty() || net.subnets.is_empty())
        .collect();
    if in_use.is_empty() {
        v.check(
            false,
            "network ACLs on the subnets",
            format!("{who}: none"),
            || format!("{who}: no network ACL"),
        );
        return;
    }
    let mut bad = 0;
    for acl in &in_use {
        if let Some(line) = allows_all(acl) {
            bad += 1;
            v.check(false, "no allow-all inbound rule", line.clone(), || line);
        }
    }
    if bad == 0 {
        v.check(
            true,
            "no allow-all inbound rule",
            format!("{who}: {} checked", count(in_use.len(), "network ACL")),
            String::new,
        );
        summary.push(format!(
            "{} without an allow-all rule",
            count(in_use.len(), "network ACL")
        ));
    }
}

/// Whether `acl` lets all traffic in from anywhere before any deny rule: the
/// evidence line if so.
pub fn allows_all(acl: &NetworkAcl) -> Option<String> {
    let mut inbound: Vec<&AclEntry> = acl.entries.iter().filter(|e| !e.egress).collect();
    inbound.sort_by_key(|e| e.number);
    for entry in inbound {
        let everything =
            entry.protocol == "-1" || entry.ports.is_some_and(|(a, b)| a <= 0 && b >= 65_535);
        let anywhere = WORLD.contains(&entry.cidr.as_str());
        if !entry.allow && anywhere {
            return None;
        }
        if entry.allow && anywhere && everything {
            let name = if acl.default { " (default)" } else { "" };
            return Some(format!(
                "{}{name}: inbound rule {} allows all traffic from {}",
                acl.id, entry.number, entry.cidr
            ));
        }
    }
    None
}

fn list(ports: &[u16]) -> String {
    ports
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn subnet(id: &str, zone: &str) -> Subnet {
        Subnet {
            id: id.into(),
            vpc: "vpc-1".into(),
            zone: zone.into(),
        }
    }

    fn vpc() -> Vpc {
        Vpc {
            id: "vpc-1".into(),
            name: Some("prod".into()),
        }
    }

    #[test]
    fn vpcs_are_found_by_id_or_unique_name() {
        let vpcs = vec![
            vpc(),
            Vpc {
                id: "vpc-2".into(),
                name: Some("dup".into()),
            },
            Vpc {
                id: "vpc-3".into(),
                name: Some("dup".into()),
            },
        ];
        assert_eq!(find_vpc(&vpcs, "prod").unwrap().id, "vpc-1");
        assert_eq!(find_vpc(&vpcs, "vpc-3").unwrap().id, "vpc-3");
        assert!(find_vpc(&vpcs, "dup").unwrap_err().contains("vpc-2, vpc-3"));
        assert!(find_vpc(&vpcs, "nope").unwrap_err().contains("no VPC"));
    }

    #[test]
    fn subnets_are_public_by_their_route_table_or_the_main_one() {
        let net = Network {
            subnets: vec![subnet("a", "z1"), subnet("b", "z2"), subnet("c", "z1")],
            route_tables: vec![
                RouteTable {
                    vpc: "vpc-1".into(),
                    main: true,
                    subnets: vec![],
                    to_internet: false,
                },
                RouteTable {
                    vpc: "vpc-1".into(),
                    main: false,
                    subnets: vec!["a".into(), "b".into()],
                    to_internet: true,
                },
            ],
            ..Network::default()
        };
        let expect = Ec2Expect {
            public_subnets: Some(2),
            private_subnets: Some(2),
            zones: Some(2),
            ..Ec2Expect::default()
        };
        let f = judge(&vpc(), &net, &expect);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "vpc-1 (prod): 1 private subnet < 2; vpc-1 (prod): private subnets in 1 zone < 2 (z1)"
        );
    }

    #[test]
    fn world_open_admin_ports_are_named_with_group_and_rule() {
        let group = SecurityGroup {
            id: "sg-0abc".into(),
            name: "ssh-open".into(),
            vpc: Some("vpc-1".into()),
            ingress: vec![
                Ingress {
                    protocol: "tcp".into(),
                    from: Some(22),
                    to: Some(22),
                    sources: vec!["0.0.0.0/0".into()],
                },
                Ingress {
                    protocol: "tcp".into(),
                    from: Some(5432),
                    to: Some(5432),
                    sources: vec!["10.0.0.0/8".into()],
                },
                Ingress {
                    protocol: "tcp".into(),
                    from: Some(3000),
                    to: Some(7000),
                    sources: vec!["::/0".into()],
                },
                Ingress {
                    protocol: "tcp".into(),
                    from: Some(443),
                    to: Some(443),
                    sources: vec!["0.0.0.0/0".into()],
                },
            ],
        };
        let lines = open_ports(&group, DEFAULT_PORTS);
        assert_eq!(
            lines,
            vec![
                "sg-0abc (ssh-open): tcp/22 open to 0.0.0.0/0".to_owned(),
                "sg-0abc (ssh-open): tcp/3000-7000 (covers 3389, 5432, 3306, 6379) open to ::/0"
                    .to_owned(),
            ]
        );
        let all = SecurityGroup {
            ingress: vec![Ingress {
                protocol: "-1".into(),
                sources: vec!["0.0.0.0/0".into()],
                ..Ingress::default()
            }],
            ..group
        };
        assert_eq!(
            open_ports(&all, &[22]),
            vec!["sg-0abc (ssh-open): all traffic open to 0.0.0.0/0".to_owned()]
        );
    }

    const DEFAULT_PORTS: &[u16] = super::super::DEFAULT_ADMIN_PORTS;

    #[test]
    fn an_allow_all_acl_is_caught_unless_a_deny_comes_first() {
        let entry = |number, allow, cidr: &str| AclEntry {
            number,
            egress: false,
            protocol: "-1".into(),
            allow,
            cidr: cidr.into(),
            ports: None,
        };
        let mut acl = NetworkAcl {
            id: "acl-1".into(),
            vpc: "vpc-1".into(),
            default: true,
            subnets: vec!["a".into()],
            entries: vec![
                entry(100, true, "0.0.0.0/0"),
                entry(32_767, false, "0.0.0.0/0"),
            ],
        };
        assert_eq!(
            allows_all(&acl).unwrap(),
            "acl-1 (default): inbound rule 100 allows all traffic from 0.0.0.0/0"
        );
        acl.entries.push(entry(50, false, "0.0.0.0/0"));
        assert_eq!(allows_all(&acl), None);
        let tcp = AclEntry {
            number: 10,
            egress: false,
            protocol: "6".into(),
            allow: true,
            cidr: "0.0.0.0/0".into(),
            ports: Some((443, 443)),
        };
        acl.entries = vec![tcp, entry(32_767, false, "0.0.0.0/0")];
        assert_eq!(allows_all(&acl), None);
    }

    #[test]
    fn flow_logs_must_be_active() {
        let expect = Ec2Expect {
            flow_logs: true,
            ..Ec2Expect::default()
        };
        let none = judge(&vpc(), &Network::default(), &expect);
        assert_eq!(none.evidence, "vpc-1 (prod): no active flow log");
        let on = Network {
            flow_logs: vec![FlowLog {
                resource: "vpc-1".into(),
                status: "ACTIVE".into(),
            }],
            ..Network::default()
        };
        assert_eq!(
            judge(&vpc(), &on, &expect).evidence,
            "vpc-1 (prod) exists, flow logs on"
        );
    }
}
