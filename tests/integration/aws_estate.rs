//! `aws_elasticache`, `aws_ecr`, `aws_acm` and `aws_budgets` against moto,
//! seeded through the SDK and picked by name; every check passing on one
//! resource and failing on another, and many items of the four kinds making
//! one call per operation.

use crate::aws_services::{p, run_items, runtime};
use crate::moto::{Counter, Moto, seed_config};
use crate::support::probe_result;

#[cfg(feature = "aws-elasticache")]
async fn seed_elasticache(endpoint: &str) {
    let ec = aws_sdk_elasticache::Client::new(&seed_config(endpoint).await);
    ec.create_replication_group()
        .replication_group_id("cf-redis-good")
        .replication_group_description("hardened")
        .engine("redis")
        .cache_node_type("cache.t4g.micro")
        .cluster_mode(aws_sdk_elasticache::types::ClusterMode::Enabled)
        .num_node_groups(2)
        .replicas_per_node_group(1)
        .at_rest_encryption_enabled(true)
        .transit_encryption_enabled(true)
        .transit_encryption_mode(aws_sdk_elasticache::types::TransitEncryptionMode::Required)
        .snapshot_retention_limit(7)
        .automatic_failover_enabled(true)
        .send()
        .await
        .expect("good group");
    ec.create_replication_group()
        .replication_group_id("cf-redis-bad")
        .replication_group_description("defaults")
        .engine("redis")
        .send()
        .await
        .expect("bad group");
}

#[cfg(feature = "aws-elasticache")]
#[test]
fn elasticache_groups_hardened_or_not() {
    let moto = Moto::start();
    runtime().block_on(seed_elasticache(&moto.url()));
    let mut probes = Vec::new();
    for (name, expect) in [
        ("cluster", "cluster_mode: true"),
        ("at-rest", "at_rest_encrypted: true"),
        ("in-transit", "in_transit_encrypted: true"),
        ("retention", "snapshot_retention_days: 7"),
        ("failover", "automatic_failover: true"),
    ] {
        for (which, group) in [("good", "cf-redis-good"), ("bad", "cf-redis-bad")] {
            probes.push(p(
                &format!("{which}-{name}"),
                &format!(
                    "aws_elasticache: {{ replication_group: {group}, expect: {{ {expect} }} }}"
                ),
            ));
        }
    }
    probes.push(p(
        "available",
        "aws_elasticache: { replication_group: cf-redis-bad }",
    ));
    probes.push(p(
        "missing",
        "aws_elasticache: { replication_group: cf-redis-nowhere }",
    ));
    let report = run_items(&moto.url(), &probes);
    for name in ["cluster", "at-rest", "in-transit", "retention", "failover"] {
        let good = probe_result(&report, &format!("good-{name}"));
        assert_eq!(good.0, "pass", "{name}: {good:?}");
    }
    assert_eq!(
        probe_result(&report, "good-retention").1,
        "cf-redis-good: available, snapshots kept 7 days"
    );
    for (name, evidence) in [
        ("cluster", "cf-redis-bad: cluster mode off"),
        ("at-rest", "cf-redis-bad: at-rest encryption off"),
        ("in-transit", "cf-redis-bad: in-transit encryption off"),
        ("retention", "cf-redis-bad: snapshot retention 0 days < 7"),
        ("failover", "cf-redis-bad: automatic failover disabled"),
    ] {
        assert_eq!(
            probe_result(&report, &format!("bad-{name}")),
            ("fail".into(), evidence.into()),
            "{name}"
        );
    }
    assert_eq!(
        probe_result(&report, "available"),
        ("pass".into(), "cf-redis-bad: available".into())
    );
    assert_eq!(
        probe_result(&report, "missing"),
        (
            "fail".into(),
            "no replication group `cf-redis-nowhere` in us-east-1 via ".to_owned() + &moto.url()
        )
    );
}

#[cfg(feature = "aws-ecr")]
async fn seed_ecr(endpoint: &str) {
    use aws_sdk_ecr::types::{
        ImageScanningConfiguration, ImageTagMutability, RegistryScanningRule, ScanFrequency,
        ScanType, ScanningRepositoryFilter, ScanningRepositoryFilterType,
    };
    let ecr = aws_sdk_ecr::Client::new(&seed_config(endpoint).await);
    ecr.create_repository()
        .repository_name("cf/api")
        .image_scanning_configuration(
            ImageScanningConfiguration::builder()
                .scan_on_push(true)
                .build(),
        )
        .image_tag_mutability(ImageTagMutability::Immutable)
        .send()
        .await
        .expect("api repository");
    for name in ["cf/web", "cf/worker"] {
        ecr.create_repository()
            .repository_name(name)
            .send()
            .await
            .expect("repository");
    }
    // A registry-wide rule scans cf/worker on push, though its own setting is off.
    ecr.put_registry_scanning_configuration()
        .scan_type(ScanType::Basic)
        .rules(
            RegistryScanningRule::builder()
                .scan_frequency(ScanFrequency::ScanOnPush)
                .repository_filters(
                    ScanningRepositoryFilter::builder()
                        .filter("cf/work*")
                        .filter_type(ScanningRepositoryFilterType::Wildcard)
                        .build()
                        .expect("filter"),
                )
                .build()
                .expect("rule"),
        )
        .send()
        .await
        .expect("registry scanning");
}

#[cfg(feature = "aws-ecr")]
#[test]
fn ecr_repositories_scanned_and_immutable_or_not() {
    let moto = Moto::start();
    runtime().block_on(seed_ecr(&moto.url()));
    let probes = [
        p("exist", "aws_ecr: { repositories: [cf/api, cf/web] }"),
        p(
            "exist-missing",
            "aws_ecr: { repositories: [cf/api, cf/billing] }",
        ),
        p(
            "scan",
            "aws_ecr: { repositories: [cf/api], expect: { scan_on_push: true } }",
        ),
        p(
            "scan-by-rule",
            "aws_ecr: { repositories: [cf/worker], expect: { scan_on_push: true } }",
        ),
        p(
            "scan-off",
            "aws_ecr: { repositories: [cf/web], expect: { scan_on_push: true } }",
        ),
        p(
            "immutable",
            "aws_ecr: { repositories: [cf/api], expect: { immutable_tags: true } }",
        ),
        p(
            "mutable",
            "aws_ecr: { repositories: [cf/web], expect: { immutable_tags: true } }",
        ),
        p(
            "every",
            "aws_ecr: { expect: { scan_on_push: true, immutable_tags: true } }",
        ),
    ];
    let report = run_items(&moto.url(), &probes);
    assert_eq!(
        probe_result(&report, "exist"),
        ("pass".into(), "2 repositories".into())
    );
    assert_eq!(
        probe_result(&report, "exist-missing"),
        (
            "fail".into(),
            format!("no repository `cf/billing` in us-east-1 via {}", moto.url())
        )
    );
    assert_eq!(
        probe_result(&report, "scan"),
        ("pass".into(), "1 repository, scan on push".into())
    );
    assert_eq!(probe_result(&report, "scan-by-rule").0, "pass");
    assert_eq!(
        probe_result(&report, "scan-off"),
        ("fail".into(), "cf/web: scan on push off".into())
    );
    assert_eq!(
        probe_result(&report, "immutable"),
        ("pass".into(), "1 repository, immutable tags".into())
    );
    assert_eq!(
        probe_result(&report, "mutable"),
        ("fail".into(), "cf/web: tags mutable (MUTABLE)".into())
    );
    assert_eq!(
        probe_result(&report, "every"),
        (
            "fail".into(),
            "cf/web: scan on push off; cf/web: tags mutable (MUTABLE); cf/worker: tags mutable (MUTABLE)".into()
        )
    );
}

/// Certificates imported into ACM (issued, with the validity given) and one
/// requested (pending validation for moto's first minute).
#[cfg(feature = "aws-acm")]
async fn seed_acm(endpoint: &str) {
    use crate::tls_support::{Cert, Validity};
    use aws_sdk_acm::primitives::Blob;
    let acm = aws_sdk_acm::Client::new(&seed_config(endpoint).await);
    for (name, validity) in [
        ("app.cf.example", Validity::current()),
        ("soon.cf.example", Validity::expiring_in(10)),
        ("*.wild.cf.example", Validity::current()),
    ] {
        let cert = Cert::self_signed(&[name], validity);
        acm.import_certificate()
            .certificate(Blob::new(cert.chain_pem.into_bytes()))
            .private_key(Blob::new(cert.key_pem.into_bytes()))
            .send()
            .await
            .expect("import");
    }
    acm.request_certificate()
        .domain_name("pending.cf.example")
        .send()
        .await
        .expect("request");
}

#[cfg(feature = "aws-acm")]
#[test]
fn acm_certificates_issued_and_lasting_or_not() {
    let moto = Moto::start();
    runtime().block_on(seed_acm(&moto.url()));
    let month = "expect: { valid_for: 30d }";
    let probes = [
        p("issued", "aws_acm: { certificate: app.cf.example }"),
        p(
            "lasting",
            &format!("aws_acm: {{ certificate: app.cf.example, {month} }}"),
        ),
        p(
            "expiring",
            &format!("aws_acm: {{ certificate: soon.cf.example, {month} }}"),
        ),
        p(
            "wildcard",
            &format!("aws_acm: {{ certificate: www.wild.cf.example, {month} }}"),
        ),
        p("pending", "aws_acm: { certificate: pending.cf.example }"),
        p("missing", "aws_acm: { certificate: nowhere.cf.example }"),
    ];
    let report = run_items(&moto.url(), &probes);
    let issued = probe_result(&report, "issued");
    assert_eq!(issued.0, "pass", "{issued:?}");
    assert!(
        issued.1.starts_with("app.cf.example (") && issued.1.ends_with("): issued"),
        "{issued:?}"
    );
    let lasting = probe_result(&report, "lasting");
    assert_eq!(lasting.0, "pass", "{lasting:?}");
    assert!(lasting.1.contains(": issued, expires in "), "{lasting:?}");
    let expiring = probe_result(&report, "expiring");
    assert_eq!(expiring.0, "fail", "{expiring:?}");
    assert!(
        expiring.1.starts_with("soon.cf.example (") && expiring.1.ends_with("< 30d"),
        "{expiring:?}"
    );
    assert_eq!(probe_result(&report, "wildcard").0, "pass");
    let pending = probe_result(&report, "pending");
    assert_eq!(pending.0, "fail", "{pending:?}");
    assert!(
        pending.1.starts_with("pending.cf.example (")
            && pending.1.ends_with("): status PENDING_VALIDATION"),
        "{pending:?}"
    );
    assert_eq!(
        probe_result(&report, "missing"),
        (
            "fail".into(),
            format!(
                "no certificate for `nowhere.cf.example` in us-east-1 via {}",
                moto.url()
            )
        )
    );
}

/// moto's account: what STS GetCallerIdentity answers.
#[cfg(feature = "aws-budgets")]
const ACCOUNT: &str = "123456789012";

#[cfg(feature = "aws-budgets")]
async fn seed_budgets(endpoint: &str) {
    use aws_sdk_budgets::types::{
        Budget, BudgetType, ComparisonOperator, Notification, NotificationType,
        NotificationWithSubscribers, Spend, Subscriber, SubscriptionType, TimeUnit,
    };
    let budgets = aws_sdk_budgets::Client::new(&seed_config(endpoint).await);
    let budget = |name: &str, kind: BudgetType, unit: &str| {
        Budget::builder()
            .budget_name(name)
            .budget_type(kind)
            .time_unit(TimeUnit::Monthly)
            .budget_limit(
                Spend::builder()
                    .amount("100")
                    .unit(unit)
                    .build()
                    .expect("spend"),
            )
            .build()
            .expect("budget")
    };
    let alert = NotificationWithSubscribers::builder()
        .notification(
            Notification::builder()
                .notification_type(NotificationType::Actual)
                .comparison_operator(ComparisonOperator::GreaterThan)
                .threshold(80.0)
                .build()
                .expect("notification"),
        )
        .subscribers(
            Subscriber::builder()
                .subscription_type(SubscriptionType::Email)
                .address("ops@cf.example")
                .build()
                .expect("subscriber"),
        )
        .build()
        .expect("alert");
    budgets
        .create_budget()
        .account_id(ACCOUNT)
        .budget(budget("cf-monthly", BudgetType::Cost, "USD"))
        .notifications_with_subscribers(alert)
        .send()
        .await
        .expect("alerting budget");
    budgets
        .create_budget()
        .account_id(ACCOUNT)
        .budget(budget("cf-silent", BudgetType::Cost, "USD"))
        .send()
        .await
        .expect("silent budget");
    budgets
        .create_budget()
        .account_id(ACCOUNT)
        .budget(budget("cf-usage", BudgetType::Usage, "GB"))
        .send()
        .await
        .expect("usage budget");
}

#[cfg(feature = "aws-budgets")]
#[test]
fn budgets_cost_budget_with_an_alert_or_not() {
    let moto = Moto::start();
    runtime().block_on(seed_budgets(&moto.url()));
    let alert = "expect: { alert: true }";
    let probes = [
        p("any-cost", "aws_budgets: {}"),
        p("any-alert", &format!("aws_budgets: {{ {alert} }}")),
        p(
            "named-alert",
            &format!("aws_budgets: {{ budget: cf-monthly, {alert} }}"),
        ),
        p(
            "named-silent",
            &format!("aws_budgets: {{ budget: cf-silent, {alert} }}"),
        ),
        p("named-usage", "aws_budgets: { budget: cf-usage }"),
        p("named-missing", "aws_budgets: { budget: cf-nowhere }"),
        p(
            "other-account",
            &format!("aws_budgets: {{ account_id: \"111122223333\", {alert} }}"),
        ),
        p(
            "this-account",
            &format!("aws_budgets: {{ account_id: \"{ACCOUNT}\", budget: cf-monthly, {alert} }}"),
        ),
    ];
    let report = run_items(&moto.url(), &probes);
    assert_eq!(
        probe_result(&report, "any-cost"),
        (
            "pass".into(),
            "2 cost budgets: cf-monthly, cf-silent".into()
        )
    );
    for id in ["any-alert", "named-alert", "this-account"] {
        assert_eq!(
            probe_result(&report, id),
            ("pass".into(), "cost budget cf-monthly with 1 alert".into()),
            "{id}"
        );
    }
    assert_eq!(
        probe_result(&report, "named-silent"),
        ("fail".into(), "cf-silent: no alert".into())
    );
    assert_eq!(
        probe_result(&report, "named-usage"),
        (
            "fail".into(),
            "cf-usage: a USAGE budget, not a cost budget".into()
        )
    );
    assert_eq!(
        probe_result(&report, "named-missing"),
        (
            "fail".into(),
            format!("no budget `cf-nowhere` in account {ACCOUNT}")
        )
    );
    assert_eq!(
        probe_result(&report, "other-account"),
        (
            "fail".into(),
            "no cost budget in account 111122223333".into()
        )
    );
}

/// Forty items of each kind, half on a good resource and half on a bad one:
/// one call per operation (per budget for its notifications), however many
/// items read it.
#[cfg(all(
    feature = "aws-elasticache",
    feature = "aws-ecr",
    feature = "aws-acm",
    feature = "aws-budgets"
))]
#[test]
fn many_items_of_the_four_kinds_make_one_call_per_operation() {
    let moto = Moto::start();
    runtime().block_on(async {
        seed_elasticache(&moto.url()).await;
        seed_ecr(&moto.url()).await;
        seed_acm(&moto.url()).await;
        seed_budgets(&moto.url()).await;
    });
    let counter = Counter::start(&moto.url());
    let mut probes = Vec::new();
    for i in 0..40 {
        let good = i % 2 == 0;
        let pick = |a: &str, b: &str| if good { a.to_owned() } else { b.to_owned() };
        probes.push(p(
            &format!("cache-{i}"),
            &format!(
                "aws_elasticache: {{ replication_group: {}, expect: {{ cluster_mode: true, at_rest_encrypted: true, in_transit_encrypted: true, snapshot_retention_days: 7, automatic_failover: true }} }}",
                pick("cf-redis-good", "cf-redis-bad")
            ),
        ));
        probes.push(p(
            &format!("ecr-{i}"),
            &format!(
                "aws_ecr: {{ repositories: [{}], expect: {{ scan_on_push: true, immutable_tags: true }} }}",
                pick("cf/api", "cf/web")
            ),
        ));
        probes.push(p(
            &format!("acm-{i}"),
            &format!(
                "aws_acm: {{ certificate: {}, expect: {{ valid_for: 30d }} }}",
                pick("app.cf.example", "soon.cf.example")
            ),
        ));
        probes.push(p(
            &format!("budget-{i}"),
            &format!(
                "aws_budgets: {{ budget: {}, expect: {{ alert: true }} }}",
                pick("cf-monthly", "cf-silent")
            ),
        ));
    }
    let report = run_items(&counter.url(), &probes);
    for kind in ["cache", "ecr", "acm", "budget"] {
        let good = probe_result(&report, &format!("{kind}-0"));
        assert_eq!(good.0, "pass", "{kind}: {good:?}");
        let bad = probe_result(&report, &format!("{kind}-1"));
        assert_eq!(bad.0, "fail", "{kind}: {bad:?}");
    }
    let counts = counter.counts();
    for op in [
        "DescribeReplicationGroups",
        "DescribeRepositories",
        "GetRegistryScanningConfiguration",
        "ListCertificates",
        "GetCallerIdentity",
        "DescribeBudgets",
    ] {
        assert_eq!(counts.get(op), Some(&1), "{op}: {counts:?}");
    }
    // One per budget asked about: cf-monthly and cf-silent.
    assert_eq!(
        counts.get("DescribeNotificationsForBudget"),
        Some(&2),
        "{counts:?}"
    );
    assert_eq!(counts.values().sum::<usize>(), 8, "{counts:?}");
}
