//! `aws_ec2` against moto: VPCs seeded through the SDK, judged by the binary.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, FlowLogsResourceType, IpPermission, IpRange, PortRange, RuleAction, Tag, TrafficType,
};

use crate::moto::{Counter, Moto, Throttle, aws_checklist, aws_run, seed_config};
use crate::support::probe_result;

struct Seeded {
    good: String,
}

async fn named(ec2: &Client, id: &str, name: &str) {
    ec2.create_tags()
        .resources(id)
        .tags(Tag::builder().key("Name").value(name).build())
        .send()
        .await
        .expect("tag");
}

async fn subnet(ec2: &Client, vpc: &str, cidr: &str, zone: &str) -> String {
    ec2.create_subnet()
        .vpc_id(vpc)
        .cidr_block(cidr)
        .availability_zone(zone)
        .send()
        .await
        .expect("subnet")
        .subnet
        .and_then(|s| s.subnet_id)
        .expect("subnet id")
}

async fn public_table(ec2: &Client, vpc: &str, subnets: &[&str]) {
    let igw = ec2
        .create_internet_gateway()
        .send()
        .await
        .expect("igw")
        .internet_gateway
        .and_then(|g| g.internet_gateway_id)
        .expect("igw id");
    ec2.attach_internet_gateway()
        .internet_gateway_id(&igw)
        .vpc_id(vpc)
        .send()
        .await
        .expect("attach");
    let table = ec2
        .create_route_table()
        .vpc_id(vpc)
        .send()
        .await
        .expect("route table")
        .route_table
        .and_then(|t| t.route_table_id)
        .expect("table id");
    ec2.create_route()
        .route_table_id(&table)
        .destination_cidr_block("0.0.0.0/0")
        .gateway_id(&igw)
        .send()
        .await
        .expect("route");
    for s in subnets {
        ec2.associate_route_table()
            .route_table_id(&table)
            .subnet_id(*s)
            .send()
            .await
            .expect("associate");
    }
}

async fn group(ec2: &Client, vpc: &str, name: &str, port: i32, cidr: &str) {
    let id = ec2
        .create_security_group()
        .group_name(name)
        .description(name)
        .vpc_id(vpc)
        .send()
        .await
        .expect("group")
        .group_id
        .expect("group id");
    ec2.authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(port)
                .to_port(port)
                .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
                .build(),
        )
        .send()
        .await
        .expect("ingress");
}

async fn restrictive_acl(ec2: &Client, vpc: &str) {
    let acl = ec2
        .create_network_acl()
        .vpc_id(vpc)
        .send()
        .await
        .expect("acl")
        .network_acl
        .and_then(|a| a.network_acl_id)
        .expect("acl id");
    ec2.create_network_acl_entry()
        .network_acl_id(&acl)
        .rule_number(100)
        .protocol("6")
        .rule_action(RuleAction::Allow)
        .egress(false)
        .cidr_block("0.0.0.0/0")
        .port_range(PortRange::builder().from(443).to(443).build())
        .send()
        .await
        .expect("acl entry");
    let current = ec2
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .send()
        .await
        .expect("acls");
    let associations: Vec<String> = current
        .network_acls()
        .iter()
        .flat_map(|a| {
            a.associations()
                .iter()
                .filter_map(|x| x.network_acl_association_id().map(str::to_owned))
        })
        .collect();
    for association in associations {
        ec2.replace_network_acl_association()
            .association_id(association)
            .network_acl_id(&acl)
            .send()
            .await
            .expect("replace association");
    }
}

/// Two VPCs: `cf-good` (two public and two private subnets in two zones, only
/// 443 open to the world, a restrictive NACL, a flow log) and `cf-bad` (one
/// public subnet, SSH open to the world, the default allow-all NACL, no flow log).
async fn seed(endpoint: &str) -> Seeded {
    let ec2 = Client::new(&seed_config(endpoint).await);
    let vpc = |cidr: &'static str| {
        let ec2 = ec2.clone();
        async move {
            ec2.create_vpc()
                .cidr_block(cidr)
                .send()
                .await
                .expect("vpc")
                .vpc
                .and_then(|v| v.vpc_id)
                .expect("vpc id")
        }
    };
    let good = vpc("10.1.0.0/16").await;
    named(&ec2, &good, "cf-good").await;
    let pub_a = subnet(&ec2, &good, "10.1.1.0/24", "us-east-1a").await;
    let pub_b = subnet(&ec2, &good, "10.1.2.0/24", "us-east-1b").await;
    subnet(&ec2, &good, "10.1.3.0/24", "us-east-1a").await;
    subnet(&ec2, &good, "10.1.4.0/24", "us-east-1b").await;
    public_table(&ec2, &good, &[&pub_a, &pub_b]).await;
    group(&ec2, &good, "web", 443, "0.0.0.0/0").await;
    group(&ec2, &good, "ssh-internal", 22, "10.0.0.0/8").await;
    restrictive_acl(&ec2, &good).await;
    ec2.create_flow_logs()
        .resource_ids(&good)
        .resource_type(FlowLogsResourceType::Vpc)
        .traffic_type(TrafficType::All)
        .log_group_name("vpc-flow")
        .deliver_logs_permission_arn("arn:aws:iam::123456789012:role/flow-logs")
        .send()
        .await
        .expect("flow logs");

    let bad = vpc("10.2.0.0/16").await;
    named(&ec2, &bad, "cf-bad").await;
    let pub_only = subnet(&ec2, &bad, "10.2.1.0/24", "us-east-1a").await;
    public_table(&ec2, &bad, &[&pub_only]).await;
    group(&ec2, &bad, "ssh-open", 22, "0.0.0.0/0").await;
    Seeded { good }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

#[test]
fn every_ec2_check_passes_on_a_good_vpc_and_names_the_offender_on_a_bad_one() {
    let moto = Moto::start();
    let seeded = runtime().block_on(seed(&moto.url()));
    let subnets = "expect: { public_subnets: 2, private_subnets: 2, zones: 2 }";
    let items = [
        (
            "good-subnets",
            format!("aws_ec2: {{ vpc: cf-good, {subnets} }}"),
        ),
        ("good-by-id", format!("aws_ec2: {{ vpc: {} }}", seeded.good)),
        (
            "good-ports",
            "aws_ec2: { vpc: cf-good, expect: { admin_ports_closed: true } }".to_owned(),
        ),
        (
            "good-nacls",
            "aws_ec2: { vpc: cf-good, expect: { restrictive_nacls: true } }".to_owned(),
        ),
        (
            "good-flow",
            "aws_ec2: { vpc: cf-good, expect: { flow_logs: true } }".to_owned(),
        ),
        (
            "bad-subnets",
            format!("aws_ec2: {{ vpc: cf-bad, {subnets} }}"),
        ),
        (
            "bad-ports",
            "aws_ec2: { vpc: cf-bad, expect: { admin_ports_closed: true } }".to_owned(),
        ),
        (
            "bad-nacls",
            "aws_ec2: { vpc: cf-bad, expect: { restrictive_nacls: true } }".to_owned(),
        ),
        (
            "bad-flow",
            "aws_ec2: { vpc: cf-bad, expect: { flow_logs: true } }".to_owned(),
        ),
        (
            "custom-ports",
            "aws_ec2: { vpc: cf-good, expect: { admin_ports_closed: true, admin_ports: [443] } }"
                .to_owned(),
        ),
        ("missing", "aws_ec2: { vpc: cf-nowhere }".to_owned()),
    ];
    let items: Vec<(&str, &str)> = items.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let home = tempfile::tempdir().expect("home");
    let ran = aws_run(&aws_checklist(&moto.url(), &items), home.path()).run();
    let report = ran.json();
    let result = |id| probe_result(&report, id);
    for id in [
        "good-subnets",
        "good-by-id",
        "good-ports",
        "good-nacls",
        "good-flow",
    ] {
        assert_eq!(result(id).0, "pass", "{id}: {:?}", result(id));
    }
    assert!(
        result("good-subnets")
            .1
            .contains("2 public subnets in 2 zones, 2 private subnets in 2 zones"),
        "{:?}",
        result("good-subnets")
    );
    let bad = result("bad-subnets");
    assert_eq!(bad.0, "fail");
    assert!(bad.1.contains("(cf-bad): 1 public subnet < 2"), "{bad:?}");
    assert!(
        bad.1
            .contains("(cf-bad): public subnets in 1 zone < 2 (us-east-1a)"),
        "{bad:?}"
    );
    assert!(bad.1.contains("(cf-bad): 0 private subnets < 2"), "{bad:?}");
    let ports = result("bad-ports");
    assert_eq!(ports.0, "fail");
    assert!(
        ports.1.starts_with("sg-") && ports.1.ends_with("(ssh-open): tcp/22 open to 0.0.0.0/0"),
        "{ports:?}"
    );
    let nacls = result("bad-nacls");
    assert_eq!(nacls.0, "fail");
    assert!(
        nacls
            .1
            .contains("(default): inbound rule 100 allows all traffic from 0.0.0.0/0"),
        "{nacls:?}"
    );
    assert_eq!(result("bad-flow").0, "fail");
    assert!(
        result("bad-flow")
            .1
            .ends_with("(cf-bad): no active flow log"),
        "{:?}",
        result("bad-flow")
    );
    let custom = result("custom-ports");
    assert_eq!(custom.0, "fail");
    assert!(
        custom.1.ends_with("(web): tcp/443 open to 0.0.0.0/0"),
        "{custom:?}"
    );
    assert_eq!(
        result("missing"),
        (
            "fail".to_owned(),
            "no VPC with id or Name tag `cf-nowhere` in us-east-1 via ".to_owned() + &moto.url()
        )
    );
}

#[test]
fn many_ec2_items_make_one_call_per_operation() {
    let moto = Moto::start();
    runtime().block_on(seed(&moto.url()));
    let counter = Counter::start(&moto.url());
    let all = "expect: { public_subnets: 2, private_subnets: 2, zones: 2, admin_ports_closed: true, restrictive_nacls: true, flow_logs: true }";
    let probes: Vec<(String, String)> = (0..60)
        .map(|i| {
            let vpc = if i % 2 == 0 { "cf-good" } else { "cf-bad" };
            (
                format!("vpc-{i}"),
                format!("aws_ec2: {{ vpc: {vpc}, {all} }}"),
            )
        })
        .collect();
    let items: Vec<(&str, &str)> = probes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let home = tempfile::tempdir().expect("home");
    let report = aws_run(&aws_checklist(&counter.url(), &items), home.path())
        .run()
        .json();
    assert_eq!(
        probe_result(&report, "vpc-0").0,
        "pass",
        "{:?}",
        probe_result(&report, "vpc-0")
    );
    assert_eq!(probe_result(&report, "vpc-1").0, "fail");
    let counts = counter.counts();
    for op in [
        "DescribeVpcs",
        "DescribeSubnets",
        "DescribeRouteTables",
        "DescribeSecurityGroups",
        "DescribeNetworkAcls",
        "DescribeFlowLogs",
    ] {
        assert_eq!(counts.get(op), Some(&1), "{op}: {counts:?}");
    }
    assert_eq!(counts.values().sum::<usize>(), 6, "{counts:?}");
}

#[test]
fn throttling_is_retried_and_then_reported_as_throttling() {
    let moto = Moto::start();
    runtime().block_on(seed(&moto.url()));
    let counter = Counter::start(&moto.url());
    counter.throttle("DescribeVpcs", Throttle::Times(1));
    let home = tempfile::tempdir().expect("home");
    let checklist = aws_checklist(&counter.url(), &[("vpc", "aws_ec2: { vpc: cf-good }")]);
    let report = aws_run(&checklist, home.path()).run().json();
    assert_eq!(
        probe_result(&report, "vpc").0,
        "pass",
        "{:?}",
        probe_result(&report, "vpc")
    );
    assert_eq!(
        counter.count("DescribeVpcs"),
        2,
        "one throttled attempt, one retry"
    );

    counter.reset();
    counter.throttle("DescribeVpcs", Throttle::Always);
    let report = aws_run(&checklist, home.path()).run().json();
    let (verdict, evidence) = probe_result(&report, "vpc");
    assert_eq!(verdict, "error");
    assert!(
        evidence.starts_with("AWS throttled ec2:DescribeVpcs (RequestLimitExceeded)"),
        "{evidence}"
    );
    assert_eq!(
        counter.count("DescribeVpcs"),
        3,
        "the SDK's standard retry makes three attempts"
    );
}
