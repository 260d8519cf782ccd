//! `aws_cloudfront`, `aws_wafv2` and `aws_eks` against moto, seeded through
//! the SDK: two distributions, three web ACLs, two clusters.

use aws_sdk_cloudfront::types::{
    Aliases, CacheBehavior, CacheBehaviors, CustomOriginConfig, DefaultCacheBehavior,
    DistributionConfig, MinimumProtocolVersion, Origin, OriginProtocolPolicy, Origins,
    SslSupportMethod, ViewerCertificate, ViewerProtocolPolicy,
};
use aws_sdk_eks::types::{LogSetup, LogType, Logging, VpcConfigRequest};
use aws_sdk_wafv2::types::{
    AllowAction, DefaultAction, ManagedRuleGroupStatement, NoneAction, OverrideAction, Rule, Scope,
    Statement, VisibilityConfig,
};

use crate::aws_services::{p, run_items};
use crate::moto::{Counter, Moto, seed_config};
use crate::support::probe_result;

const ALB_API: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/cf-api/50dc6c495c0c9188";
const ALB_STAGING: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/cf-staging/6d0ecf831eec9f09";
const ALB_BARE: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/cf-bare/0a1b2c3d4e5f6789";

/// What seeding made that the probes name by id.
struct Seeded {
    /// `cdn.cf-test.example`: TLSv1.2_2021, HTTPS, behind `cf-edge`.
    modern: (String, String),
    /// Comment `cf-legacy`: disabled, TLSv1, allow-all, no web ACL.
    legacy: (String, String),
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

fn visibility(name: &str) -> VisibilityConfig {
    VisibilityConfig::builder()
        .sampled_requests_enabled(false)
        .cloud_watch_metrics_enabled(false)
        .metric_name(name)
        .build()
        .expect("visibility")
}

fn managed(group: &str, priority: i32) -> Rule {
    Rule::builder()
        .name(format!("use-{group}"))
        .priority(priority)
        .statement(
            Statement::builder()
                .managed_rule_group_statement(
                    ManagedRuleGroupStatement::builder()
                        .vendor_name("AWS")
                        .name(group)
                        .build()
                        .expect("managed group"),
                )
                .build(),
        )
        .override_action(
            OverrideAction::builder()
                .none(NoneAction::builder().build())
                .build(),
        )
        .visibility_config(visibility(group))
        .build()
        .expect("rule")
}

async fn web_acl(
    waf: &aws_sdk_wafv2::Client,
    name: &str,
    scope: Scope,
    rules: Vec<Rule>,
) -> String {
    waf.create_web_acl()
        .name(name)
        .scope(scope)
        .default_action(
            DefaultAction::builder()
                .allow(AllowAction::builder().build())
                .build(),
        )
        .visibility_config(visibility(name))
        .set_rules(Some(rules))
        .send()
        .await
        .expect("web acl")
        .summary
        .and_then(|s| s.arn)
        .expect("web acl arn")
}

async fn distribution(
    cf: &aws_sdk_cloudfront::Client,
    comment: &str,
    alias: Option<&str>,
    enabled: bool,
    tls: MinimumProtocolVersion,
    viewers: ViewerProtocolPolicy,
    web_acl: &str,
) -> (String, String) {
    let origin = Origin::builder()
        .id("web")
        .domain_name("origin.cf-test.example")
        .custom_origin_config(
            CustomOriginConfig::builder()
                .http_port(80)
                .https_port(443)
                .origin_protocol_policy(OriginProtocolPolicy::HttpsOnly)
                .build()
                .expect("origin config"),
        )
        .build()
        .expect("origin");
    let mut config = DistributionConfig::builder()
        .caller_reference(comment)
        .comment(comment)
        .enabled(enabled)
        .origins(
            Origins::builder()
                .quantity(1)
                .items(origin)
                .build()
                .expect("origins"),
        )
        .default_cache_behavior(
            DefaultCacheBehavior::builder()
                .target_origin_id("web")
                .viewer_protocol_policy(viewers)
                .build()
                .expect("default behaviour"),
        )
        .cache_behaviors(
            CacheBehaviors::builder()
                .quantity(1)
                .items(
                    CacheBehavior::builder()
                        .path_pattern("/api/*")
                        .target_origin_id("web")
                        .viewer_protocol_policy(ViewerProtocolPolicy::HttpsOnly)
                        .build()
                        .expect("behaviour"),
                )
                .build()
                .expect("behaviours"),
        )
        .viewer_certificate(
            ViewerCertificate::builder()
                .cloud_front_default_certificate(false)
                .acm_certificate_arn("arn:aws:acm:us-east-1:123456789012:certificate/cf-test")
                .ssl_support_method(SslSupportMethod::SniOnly)
                .minimum_protocol_version(tls)
                .build(),
        )
        .web_acl_id(web_acl);
    if let Some(alias) = alias {
        config = config.aliases(
            Aliases::builder()
                .quantity(1)
                .items(alias)
                .build()
                .expect("aliases"),
        );
    }
    let made = cf
        .create_distribution()
        .distribution_config(config.build().expect("distribution config"))
        .send()
        .await
        .expect("distribution")
        .distribution
        .expect("distribution");
    (made.id, made.arn)
}

async fn cluster(
    eks: &aws_sdk_eks::Client,
    name: &str,
    version: &str,
    public: bool,
    logs: &[LogType],
) {
    let mut vpc = VpcConfigRequest::builder()
        .subnet_ids("subnet-0cf1")
        .subnet_ids("subnet-0cf2")
        .endpoint_public_access(public)
        .endpoint_private_access(!public);
    if public {
        vpc = vpc.public_access_cidrs("0.0.0.0/0");
    }
    let mut request = eks
        .create_cluster()
        .name(name)
        .version(version)
        .role_arn("arn:aws:iam::123456789012:role/cf-eks")
        .resources_vpc_config(vpc.build());
    if !logs.is_empty() {
        request = request.logging(
            Logging::builder()
                .cluster_logging(
                    LogSetup::builder()
                        .set_types(Some(logs.to_vec()))
                        .enabled(true)
                        .build(),
                )
                .build(),
        );
    }
    request.send().await.expect("cluster");
}

async fn seed(endpoint: &str) -> Seeded {
    let config = seed_config(endpoint).await;
    let waf = aws_sdk_wafv2::Client::new(&config);
    let edge = web_acl(
        &waf,
        "cf-edge",
        Scope::Cloudfront,
        vec![
            managed("AWSManagedRulesCommonRuleSet", 0),
            managed("AWSManagedRulesSQLiRuleSet", 1),
        ],
    )
    .await;
    let api = web_acl(
        &waf,
        "cf-api",
        Scope::Regional,
        vec![managed("AWSManagedRulesCommonRuleSet", 0)],
    )
    .await;
    let staging = web_acl(&waf, "cf-api-staging", Scope::Regional, Vec::new()).await;
    for (acl, resource) in [(&api, ALB_API), (&staging, ALB_STAGING)] {
        waf.associate_web_acl()
            .web_acl_arn(acl)
            .resource_arn(resource)
            .send()
            .await
            .expect("associate");
    }
    let cf = aws_sdk_cloudfront::Client::new(&config);
    let modern = distribution(
        &cf,
        "cf-modern",
        Some("cdn.cf-test.example"),
        true,
        MinimumProtocolVersion::TlSv122021,
        ViewerProtocolPolicy::RedirectToHttps,
        &edge,
    )
    .await;
    let legacy = distribution(
        &cf,
        "cf-legacy",
        None,
        false,
        MinimumProtocolVersion::TlSv1,
        ViewerProtocolPolicy::AllowAll,
        "",
    )
    .await;
    let eks = aws_sdk_eks::Client::new(&config);
    cluster(
        &eks,
        "cf-prod",
        "1.31",
        false,
        &[LogType::Api, LogType::Audit, LogType::Authenticator],
    )
    .await;
    cluster(&eks, "cf-old", "1.27", true, &[]).await;
    Seeded { modern, legacy }
}

fn pair(verdict: &str, evidence: &str) -> (String, String) {
    (verdict.to_owned(), evidence.to_owned())
}

#[test]
fn cloudfront_distributions_deployed_tls_and_https() {
    let moto = Moto::start();
    let seeded = runtime().block_on(seed(&moto.url()));
    let (modern, legacy) = (&seeded.modern.0, &seeded.legacy.0);
    let probes = [
        p(
            "modern",
            "aws_cloudfront: { distribution: cdn.cf-test.example }",
        ),
        p("legacy", "aws_cloudfront: { distribution: cf-legacy }"),
        p(
            "tls",
            &format!(
                "aws_cloudfront: {{ distribution: {modern}, expect: {{ min_tls: TLSv1.2_2021 }} }}"
            ),
        ),
        p(
            "old-tls",
            "aws_cloudfront: { distribution: cf-legacy, expect: { enabled: false, min_tls: TLSv1.2_2021 } }",
        ),
        p(
            "https",
            "aws_cloudfront: { distribution: cf-modern, expect: { viewer_protocol: redirect-to-https } }",
        ),
        p(
            "http",
            "aws_cloudfront: { distribution: cf-legacy, expect: { enabled: false, viewer_protocol: redirect-to-https } }",
        ),
        p(
            "https-only",
            "aws_cloudfront: { distribution: cdn.cf-test.example, expect: { viewer_protocol: https-only } }",
        ),
        p("missing", "aws_cloudfront: { distribution: cf-nowhere }"),
    ];
    let report = run_items(&moto.url(), &probes);
    let m = format!("{modern} (cdn.cf-test.example)");
    let l = format!("{legacy} (cf-legacy)");
    assert_eq!(
        probe_result(&report, "modern"),
        pair("pass", &format!("{m}: deployed, enabled"))
    );
    // moto makes every distribution Deployed at once: the InProgress case is
    // a unit test of the comparison.
    assert_eq!(
        probe_result(&report, "legacy"),
        pair("fail", &format!("{l}: disabled"))
    );
    assert_eq!(
        probe_result(&report, "tls"),
        pair(
            "pass",
            &format!("{m}: deployed, enabled, minimum TLS TLSv1.2_2021")
        )
    );
    assert_eq!(
        probe_result(&report, "old-tls"),
        pair("fail", &format!("{l}: minimum TLS TLSv1 < TLSv1.2_2021"))
    );
    assert_eq!(
        probe_result(&report, "https"),
        pair(
            "pass",
            &format!("{m}: deployed, enabled, viewers kept on HTTPS")
        )
    );
    assert_eq!(
        probe_result(&report, "http"),
        pair(
            "fail",
            &format!("{l}: behaviour * viewer protocol allow-all")
        )
    );
    assert_eq!(
        probe_result(&report, "https-only"),
        pair(
            "fail",
            &format!("{m}: behaviour * viewer protocol redirect-to-https")
        )
    );
    assert_eq!(
        probe_result(&report, "missing"),
        pair(
            "fail",
            &format!(
                "no CloudFront distribution with id, alias or comment `cf-nowhere` in us-east-1 via {}",
                moto.url()
            )
        )
    );
}

#[test]
fn wafv2_web_acls_protect_resources_with_their_rules() {
    let moto = Moto::start();
    let seeded = runtime().block_on(seed(&moto.url()));
    let (modern, legacy) = (&seeded.modern, &seeded.legacy);
    let edge = |expect: &str| {
        format!("aws_wafv2: {{ web_acl: cf-edge, scope: CLOUDFRONT, expect: {{ {expect} }} }}")
    };
    let api = |expect: &str| format!("aws_wafv2: {{ web_acl: cf-api, expect: {{ {expect} }} }}");
    let probes = [
        p(
            "edge-cdn",
            &edge(&format!("associated_with: [\"{}\"]", modern.1)),
        ),
        p(
            "edge-legacy",
            &edge(&format!("associated_with: [\"{}\"]", legacy.1)),
        ),
        p(
            "api-alb",
            &api(&format!("associated_with: [\"{ALB_API}\"]")),
        ),
        p(
            "api-other-albs",
            &api(&format!(
                "associated_with: [\"{ALB_STAGING}\", \"{ALB_BARE}\"]"
            )),
        ),
        p(
            "edge-rules",
            &edge(
                "min_rules: 2, managed_rule_groups: [AWSManagedRulesCommonRuleSet, AWS/AWSManagedRulesSQLiRuleSet]",
            ),
        ),
        p(
            "api-rules",
            &api("min_rules: 2, managed_rule_groups: [AWSManagedRulesSQLiRuleSet]"),
        ),
        p("wrong-scope", "aws_wafv2: { web_acl: cf-edge }"),
        p(
            "missing",
            "aws_wafv2: { web_acl: cf-nowhere, scope: CLOUDFRONT }",
        ),
    ];
    let report = run_items(&moto.url(), &probes);
    assert_eq!(
        probe_result(&report, "edge-cdn"),
        pair(
            "pass",
            &format!(
                "web ACL cf-edge: protects {} (cdn.cf-test.example)",
                modern.0
            )
        )
    );
    assert_eq!(
        probe_result(&report, "edge-legacy"),
        pair(
            "fail",
            &format!("{} (cf-legacy): no web ACL, expected cf-edge", legacy.0)
        )
    );
    assert_eq!(
        probe_result(&report, "api-alb"),
        pair("pass", &format!("web ACL cf-api: protects {ALB_API}"))
    );
    assert_eq!(
        probe_result(&report, "api-other-albs"),
        pair(
            "fail",
            &format!(
                "{ALB_STAGING}: web ACL cf-api-staging, expected cf-api; {ALB_BARE}: no web ACL, expected cf-api"
            )
        )
    );
    assert_eq!(
        probe_result(&report, "edge-rules"),
        pair(
            "pass",
            "web ACL cf-edge: 2 rules, managed rule groups AWSManagedRulesCommonRuleSet, AWS/AWSManagedRulesSQLiRuleSet"
        )
    );
    assert_eq!(
        probe_result(&report, "api-rules"),
        pair(
            "fail",
            "web ACL cf-api: 1 rule < 2; web ACL cf-api: no managed rule group AWSManagedRulesSQLiRuleSet"
        )
    );
    assert_eq!(
        probe_result(&report, "wrong-scope"),
        pair(
            "fail",
            &format!(
                "no REGIONAL web ACL `cf-edge` in us-east-1 via {}",
                moto.url()
            )
        )
    );
    assert_eq!(
        probe_result(&report, "missing"),
        pair(
            "fail",
            &format!(
                "no CLOUDFRONT web ACL `cf-nowhere` in us-east-1 via {}",
                moto.url()
            )
        )
    );
}

#[test]
fn eks_clusters_version_endpoint_and_logs() {
    let moto = Moto::start();
    runtime().block_on(seed(&moto.url()));
    let probes = [
        p("active", "aws_eks: { cluster: cf-prod }"),
        p(
            "version",
            "aws_eks: { cluster: cf-prod, expect: { min_version: \"1.30\" } }",
        ),
        p(
            "old-version",
            "aws_eks: { cluster: cf-old, expect: { min_version: \"1.30\" } }",
        ),
        p(
            "private",
            "aws_eks: { cluster: cf-prod, expect: { public_endpoint: false } }",
        ),
        p(
            "public",
            "aws_eks: { cluster: cf-old, expect: { public_endpoint: false } }",
        ),
        p(
            "logs",
            "aws_eks: { cluster: cf-prod, expect: { logging: [api, audit, authenticator] } }",
        ),
        p(
            "no-logs",
            "aws_eks: { cluster: cf-old, expect: { logging: [api, audit, authenticator] } }",
        ),
        p("missing", "aws_eks: { cluster: cf-nowhere }"),
    ];
    let report = run_items(&moto.url(), &probes);
    // moto makes every cluster ACTIVE at once: another status is a unit test.
    assert_eq!(
        probe_result(&report, "active"),
        pair("pass", "cf-prod: ACTIVE Kubernetes 1.31")
    );
    assert_eq!(probe_result(&report, "version").0, "pass");
    assert_eq!(
        probe_result(&report, "old-version"),
        pair("fail", "cf-old: Kubernetes 1.27 < 1.30")
    );
    assert_eq!(
        probe_result(&report, "private"),
        pair("pass", "cf-prod: ACTIVE Kubernetes 1.31, private endpoint")
    );
    assert_eq!(
        probe_result(&report, "public"),
        pair("fail", "cf-old: public endpoint (0.0.0.0/0)")
    );
    assert_eq!(
        probe_result(&report, "logs"),
        pair(
            "pass",
            "cf-prod: ACTIVE Kubernetes 1.31, api, audit, authenticator logs on"
        )
    );
    assert_eq!(
        probe_result(&report, "no-logs"),
        pair("fail", "cf-old: api, audit, authenticator logs off")
    );
    assert_eq!(
        probe_result(&report, "missing"),
        pair(
            "fail",
            &format!(
                "no EKS cluster `cf-nowhere` in us-east-1 via {}",
                moto.url()
            )
        )
    );
}

#[test]
fn many_edge_and_cluster_items_make_one_call_per_operation() {
    let moto = Moto::start();
    let seeded = runtime().block_on(seed(&moto.url()));
    let counter = Counter::start(&moto.url());
    let mut probes = Vec::new();
    for i in 0..30 {
        let distribution = if i % 2 == 0 {
            "cdn.cf-test.example"
        } else {
            "cf-legacy"
        };
        probes.push(p(
            &format!("cdn-{i}"),
            &format!("aws_cloudfront: {{ distribution: {distribution}, expect: {{ min_tls: TLSv1.2_2021, viewer_protocol: redirect-to-https }} }}"),
        ));
        let waf = match i % 3 {
            0 => format!(
                "aws_wafv2: {{ web_acl: cf-edge, scope: CLOUDFRONT, expect: {{ associated_with: [\"{}\"], min_rules: 2 }} }}",
                seeded.modern.1
            ),
            1 => format!(
                "aws_wafv2: {{ web_acl: cf-api, expect: {{ associated_with: [\"{ALB_API}\", \"{ALB_STAGING}\"], managed_rule_groups: [AWSManagedRulesCommonRuleSet] }} }}"
            ),
            _ => format!(
                "aws_wafv2: {{ web_acl: cf-edge, scope: CLOUDFRONT, expect: {{ associated_with: [\"{}\"] }} }}",
                seeded.legacy.1
            ),
        };
        probes.push(p(&format!("waf-{i}"), &waf));
        let cluster = if i % 2 == 0 { "cf-prod" } else { "cf-old" };
        probes.push(p(
            &format!("eks-{i}"),
            &format!("aws_eks: {{ cluster: {cluster}, expect: {{ min_version: \"1.30\", public_endpoint: false, logging: [api, audit] }} }}"),
        ));
    }
    let report = run_items(&counter.url(), &probes);
    for (id, verdict) in [
        ("cdn-0", "pass"),
        ("cdn-1", "fail"),
        ("waf-0", "pass"),
        ("waf-1", "fail"),
        ("waf-2", "fail"),
        ("eks-0", "pass"),
        ("eks-1", "fail"),
    ] {
        assert_eq!(
            probe_result(&report, id).0,
            verdict,
            "{id}: {:?}",
            probe_result(&report, id)
        );
    }
    let counts = counter.counts();
    for (op, want) in [
        // Shared by the 30 aws_cloudfront probes and the CloudFront-scope aws_wafv2 ones.
        ("ListDistributions", 1),
        // One per scope: CLOUDFRONT and REGIONAL.
        ("ListWebACLs", 2),
        // One per web ACL whose rules are asked about: cf-edge and cf-api.
        ("GetWebACL", 2),
        // One per load balancer.
        ("GetWebACLForResource", 2),
        // One per cluster.
        ("DescribeCluster", 2),
    ] {
        assert_eq!(counts.get(op), Some(&want), "{op}: {counts:?}");
    }
    assert_eq!(counts.values().sum::<usize>(), 9, "{counts:?}");
}
