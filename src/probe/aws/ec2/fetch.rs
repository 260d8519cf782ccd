//! `aws_ec2` against the API: the region's describe calls, each made once per
//! run through the run's call cache, turned into [`super::judge`]'s facts.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{RuleAction, Tag};

use super::Ec2Probe;
use super::judge::{
    AclEntry, FlowLog, Ingress, Network, NetworkAcl, RouteTable, SecurityGroup, Subnet, Vpc,
    find_vpc, judge,
};
use crate::probe::aws::Access;
use crate::probe::aws::calls::CallKey;
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &Ec2Probe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &Ec2Probe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let calls = &shared.calls;
    let key = |op| CallKey::list("ec2", op, &access);
    let c = client.clone();
    let vpcs = calls.get(key("DescribeVpcs"), move || vpcs(c)).await?;
    let vpc = match find_vpc(&vpcs, &probe.vpc) {
        Ok(vpc) => vpc.clone(),
        Err(reason) => return Ok(not_found(&probe.vpc, &reason, &access)),
    };
    let e = &probe.expect;
    let mut net = Network::default();
    if e.public_subnets.is_some() || e.private_subnets.is_some() || e.restrictive_nacls {
        let c = client.clone();
        let all = calls
            .get(key("DescribeSubnets"), move || subnets(c))
            .await?;
        net.subnets = all.iter().filter(|s| s.vpc == vpc.id).cloned().collect();
    }
    if e.public_subnets.is_some() || e.private_subnets.is_some() {
        let c = client.clone();
        let all = calls
            .get(key("DescribeRouteTables"), move || route_tables(c))
            .await?;
        net.route_tables = all.iter().filter(|t| t.vpc == vpc.id).cloned().collect();
    }
    if e.admin_ports_closed {
        let c = client.clone();
        let all = calls
            .get(key("DescribeSecurityGroups"), move || groups(c))
            .await?;
        net.groups = all
            .iter()
            .filter(|g| g.vpc.as_deref() == Some(vpc.id.as_str()))
            .cloned()
            .collect();
    }
    if e.restrictive_nacls {
        let c = client.clone();
        let all = calls
            .get(key("DescribeNetworkAcls"), move || acls(c))
            .await?;
        net.acls = all.iter().filter(|a| a.vpc == vpc.id).cloned().collect();
    }
    if e.flow_logs {
        let c = client.clone();
        let all = calls
            .get(key("DescribeFlowLogs"), move || flow_logs(c))
            .await?;
        net.flow_logs = all
            .iter()
            .filter(|f| f.resource == vpc.id)
            .cloned()
            .collect();
    }
    Ok(judge(&vpc, &net, e))
}

fn not_found(wanted: &str, reason: &str, access: &Access) -> Finding {
    let mut v = crate::probe::aws::verdict::Verdicts::new();
    v.check(false, format!("VPC {wanted}"), "not found", || {
        format!("{reason}{}", access.describe())
    });
    v.finish("")
}

fn name_of(tags: &[Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value().map(str::to_owned))
}

async fn vpcs(client: Client) -> Result<Vec<Vpc>, String> {
    Ok(all_pages!(
        "ec2",
        "DescribeVpcs",
        client.describe_vpcs().into_paginator(),
        |page| {
            page.vpcs.unwrap_or_default().into_iter().map(|v| Vpc {
                id: v.vpc_id().unwrap_or_default().to_owned(),
                name: name_of(v.tags()),
            })
        }
    ))
}

async fn subnets(client: Client) -> Result<Vec<Subnet>, String> {
    Ok(all_pages!(
        "ec2",
        "DescribeSubnets",
        client.describe_subnets().into_paginator(),
        |page| {
            page.subnets
                .unwrap_or_default()
                .into_iter()
                .map(|s| Subnet {
                    id: s.subnet_id().unwrap_or_default().to_owned(),
                    vpc: s.vpc_id().unwrap_or_default().to_owned(),
                    zone: s.availability_zone().unwrap_or_default().to_owned(),
                })
        }
    ))
}

async fn route_tables(client: Client) -> Result<Vec<RouteTable>, String> {
    Ok(all_pages!(
        "ec2",
        "DescribeRouteTables",
        client.describe_route_tables().into_paginator(),
        |page| {
            page.route_tables
                .unwrap_or_default()
                .into_iter()
                .map(|t| RouteTable {
                    vpc: t.vpc_id().unwrap_or_default().to_owned(),
                    main: t.associations().iter().any(|a| a.main() == Some(true)),
                    subnets: t
                        .associations()
                        .iter()
                        .filter_map(|a| a.subnet_id().map(str::to_owned))
                        .collect(),
                    to_internet: t.routes().iter().any(|r| {
                        let default = r.destination_cidr_block() == Some("0.0.0.0/0")
                            || r.destination_ipv6_cidr_block() == Some("::/0");
                        default && r.gateway_id().is_some_and(|g| g.starts_with("igw-"))
                    }),
                })
        }
    ))
}

async fn groups(client: Client) -> Result<Vec<SecurityGroup>, String> {
    Ok(all_pages!(
        "ec2",
        "DescribeSecurityGroups",
        client.describe_security_groups().into_paginator(),
        |page| {
            page.security_groups
                .unwrap_or_default()
                .into_iter()
                .map(|g| SecurityGroup {
                    id: g.group_id().unwrap_or_default().to_owned(),
                    name: g.group_name().unwrap_or_default().to_owned(),
                    vpc: g.vpc_id().map(str::to_owned),
                    ingress: g
                        .ip_permissions()
                        .iter()
                        .map(|p| Ingress {
                            protocol: p.ip_protocol().unwrap_or("-1").to_owned(),
                            from: p.from_port(),
                            to: p.to_port(),
                            sources: p
                                .ip_ranges()
                                .iter()
                                .filter_map(|r| r.cidr_ip().map(str::to_owned))
                                .chain(
                                    p.ipv6_ranges()
                                        .iter()
                                        .filter_map(|r| r.cidr_ipv6().map(str::to_owned)),
                                )
                                .collect(),
                        })
                        .collect(),
                })
        }
    ))
}

async fn acls(client: Client) -> Result<Vec<NetworkAcl>, String> {
    Ok(all_pages!(
        "ec2",
        "DescribeNetworkAcls",
        client.describe_network_acls().into_paginator(),
        |page| {
            page.network_acls
                .unwrap_or_default()
                .into_iter()
                .map(|a| NetworkAcl {
                    id: a.network_acl_id().unwrap_or_default().to_owned(),
                    vpc: a.vpc_id().unwrap_or_default().to_owned(),
                    default: a.is_default() == Some(true),
                    subnets: a
                        .associations()
                        .iter()
                        .filter_map(|s| s.subnet_id().map(str::to_owned))
                        .collect(),
                    entries: a
                        .entries()
                        .iter()
                        .map(|e| AclEntry {
                            number: e.rule_number().unwrap_or(i32::MAX),
                            egress: e.egress() == Some(true),
                            protocol: e.protocol().unwrap_or("-1").to_owned(),
                            allow: e.rule_action() == Some(&RuleAction::Allow),
                            cidr: e
                                .cidr_block()
                                .or(e.ipv6_cidr_block())
                                .unwrap_or_default()
                                .to_owned(),
                            ports: e
                                .port_range()
                                .map(|r| (r.from().unwrap_or(0), r.to().unwrap_or(65_535))),
                        })
                        .collect(),
                })
        }
    ))
}

async fn flow_logs(client: Client) -> Result<Vec<FlowLog>, String> {
    Ok(all_pages!(
        "ec2",
        "DescribeFlowLogs",
        client.describe_flow_logs().into_paginator(),
        |page| {
            page.flow_logs
                .unwrap_or_default()
                .into_iter()
                .map(|f| FlowLog {
                    resource: f.resource_id().unwrap_or_default().to_owned(),
                    status: f.flow_log_status().unwrap_or_default().to_owned(),
                })
        }
    ))
}
