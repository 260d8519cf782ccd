//! `aws_rds` against moto: instances and a cluster seeded through the SDK.

use aws_sdk_rds::Client;

use crate::moto::{Counter, Moto, aws_checklist, aws_run, seed_config};
use crate::support::probe_result;

async fn instance(rds: &Client, id: &str, version: &str, good: bool) {
    rds.create_db_instance()
        .db_instance_identifier(id)
        .engine("postgres")
        .engine_version(version)
        .db_instance_class("db.t3.micro")
        .allocated_storage(20)
        .master_username("admin")
        .master_user_password("not-a-real-password-1")
        .multi_az(good)
        .storage_encrypted(good)
        .deletion_protection(good)
        .backup_retention_period(if good { 7 } else { 0 })
        .publicly_accessible(!good)
        .send()
        .await
        .expect("db instance");
}

/// `cf-db-good` (Multi-AZ, encrypted, protected, 7 days of backups, a
/// replica, a snapshot, private), `cf-db-bad` (none of that, public), and an
/// Aurora cluster `cf-aurora` with a writer and a reader.
async fn seed(endpoint: &str) {
    let rds = Client::new(&seed_config(endpoint).await);
    instance(&rds, "cf-db-good", "15.4", true).await;
    instance(&rds, "cf-db-bad", "13.4", false).await;
    // moto takes an automated snapshot even without backups; AWS would not.
    let taken = rds
        .describe_db_snapshots()
        .db_instance_identifier("cf-db-bad")
        .send()
        .await
        .expect("snapshots");
    for snapshot in taken.db_snapshots() {
        if let Some(id) = snapshot.db_snapshot_identifier() {
            rds.delete_db_snapshot()
                .db_snapshot_identifier(id)
                .send()
                .await
                .expect("delete snapshot");
        }
    }
    rds.create_db_instance_read_replica()
        .db_instance_identifier("cf-db-good-replica")
        .source_db_instance_identifier("cf-db-good")
        .db_instance_class("db.t3.micro")
        .send()
        .await
        .expect("replica");
    rds.create_db_snapshot()
        .db_instance_identifier("cf-db-good")
        .db_snapshot_identifier("cf-db-good-manual")
        .send()
        .await
        .expect("snapshot");
    rds.create_db_cluster()
        .db_cluster_identifier("cf-aurora")
        .engine("aurora-postgresql")
        .engine_version("15.4")
        .master_username("admin")
        .master_user_password("not-a-real-password-1")
        .storage_encrypted(true)
        .deletion_protection(true)
        .backup_retention_period(7)
        .send()
        .await
        .expect("cluster");
    for member in ["cf-aurora-1", "cf-aurora-2"] {
        rds.create_db_instance()
            .db_instance_identifier(member)
            .db_cluster_identifier("cf-aurora")
            .engine("aurora-postgresql")
            .db_instance_class("db.r6g.large")
            .send()
            .await
            .expect("cluster member");
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

const CHECKS: &[(&str, &str, &str)] = &[
    // (name, expectation, what the bad instance's evidence says)
    ("status", "status: available", ""),
    ("engine", "engine: postgres", ""),
    (
        "version",
        "min_version: \"15\"",
        "cf-db-bad: engine version 13.4 < 15",
    ),
    ("multi-az", "multi_az: true", "cf-db-bad: not Multi-AZ"),
    (
        "encrypted",
        "encrypted: true",
        "cf-db-bad: storage not encrypted",
    ),
    (
        "deletion",
        "deletion_protection: true",
        "cf-db-bad: deletion protection off",
    ),
    (
        "retention",
        "backup_retention_days: 7",
        "cf-db-bad: backup retention 0 days < 7",
    ),
    (
        "pitr",
        "restorable_within: 15m",
        "cf-db-bad: no point-in-time recovery (automated backups off)",
    ),
    (
        "replicas",
        "read_replicas: 1",
        "cf-db-bad: 0 read replicas < 1",
    ),
    (
        "private",
        "publicly_accessible: false",
        "cf-db-bad: publicly accessible",
    ),
    ("snapshot", "snapshot_within: 1h", "cf-db-bad: no snapshot"),
];

#[test]
fn every_rds_check_passes_on_a_good_database_and_names_the_attribute_on_a_bad_one() {
    let moto = Moto::start();
    runtime().block_on(seed(&moto.url()));
    let mut probes: Vec<(String, String)> = Vec::new();
    for (name, expect, _) in CHECKS {
        probes.push((
            format!("good-{name}"),
            format!("aws_rds: {{ instance: cf-db-good, expect: {{ {expect} }} }}"),
        ));
        probes.push((
            format!("bad-{name}"),
            format!("aws_rds: {{ instance: cf-db-bad, expect: {{ {expect} }} }}"),
        ));
    }
    probes.push((
        "wrong-engine".into(),
        "aws_rds: { instance: cf-db-good, expect: { engine: mysql } }".into(),
    ));
    probes.push((
        "not-creating".into(),
        "aws_rds: { instance: cf-db-good, expect: { status: creating } }".into(),
    ));
    probes.push((
        "cluster".into(),
        "aws_rds: { cluster: cf-aurora, expect: { engine: aurora-postgresql, min_version: \"15.4\", encrypted: true, deletion_protection: true, backup_retention_days: 7, restorable_within: 15m, read_replicas: 1 } }".into(),
    ));
    probes.push((
        "cluster-replicas".into(),
        "aws_rds: { cluster: cf-aurora, expect: { read_replicas: 2 } }".into(),
    ));
    probes.push((
        "missing".into(),
        "aws_rds: { instance: cf-db-nowhere }".into(),
    ));
    let items: Vec<(&str, &str)> = probes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let home = tempfile::tempdir().expect("home");
    let report = aws_run(&aws_checklist(&moto.url(), &items), home.path())
        .run()
        .json();
    for (name, _, bad) in CHECKS {
        let good = probe_result(&report, &format!("good-{name}"));
        assert_eq!(good.0, "pass", "good-{name}: {good:?}");
        if !bad.is_empty() {
            assert_eq!(
                probe_result(&report, &format!("bad-{name}")),
                ("fail".to_owned(), (*bad).to_owned()),
                "bad-{name}"
            );
        }
    }
    assert_eq!(
        probe_result(&report, "wrong-engine"),
        (
            "fail".into(),
            "cf-db-good: engine postgres, expected mysql".into()
        )
    );
    assert_eq!(
        probe_result(&report, "not-creating"),
        (
            "fail".into(),
            "cf-db-good: status available, expected creating".into()
        )
    );
    let cluster = probe_result(&report, "cluster");
    assert_eq!(cluster.0, "pass", "{cluster:?}");
    assert_eq!(
        probe_result(&report, "cluster-replicas"),
        ("fail".into(), "cf-aurora: 1 read replica < 2".into())
    );
    let missing = probe_result(&report, "missing");
    assert_eq!(missing.0, "fail");
    assert!(
        missing
            .1
            .starts_with("no DB instance `cf-db-nowhere` in us-east-1"),
        "{missing:?}"
    );
}

#[test]
fn fifty_rds_items_make_one_describe_call() {
    let moto = Moto::start();
    runtime().block_on(seed(&moto.url()));
    let counter = Counter::start(&moto.url());
    let probes: Vec<(String, String)> = (0..50)
        .map(|i| {
            let db = if i % 2 == 0 { "cf-db-good" } else { "cf-db-bad" };
            (format!("db-{i}"), format!("aws_rds: {{ instance: {db}, expect: {{ multi_az: true, snapshot_within: 1h }} }}"))
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
    assert_eq!(probe_result(&report, "db-0").0, "pass");
    assert_eq!(probe_result(&report, "db-1").0, "fail");
    let counts = counter.counts();
    assert_eq!(counts.get("DescribeDBInstances"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("DescribeDBSnapshots"), Some(&1), "{counts:?}");
    assert_eq!(counts.values().sum::<usize>(), 2, "{counts:?}");
}
