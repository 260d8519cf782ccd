//! The `redis` probe against real redis-server processes
//! (tests/integration/redis_server.rs): plain, AOF with allkeys-lru, a
//! password and an ACL user, a replica, cluster mode, TLS from a test CA, and
//! subscribers held open by the test.

use std::time::Duration;

use crate::redis_server::{Redis, send};
use crate::support::{Run, checklist_of, probe_result, refused_port};
use crate::tls_support::{TestCa, Validity};

const PASSWORD: &str = "redis-pw-71Kq0x";

fn probe(body: &str) -> (String, String) {
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "cache",
            &format!("redis: {{ {body} }}, timeout: 15s"),
        )]))
        .run();
    probe_result(&ran.json(), "cache")
}

#[test]
fn redis_master_and_replica_roles() {
    let master = Redis::start(&[]);
    let (v, e) = probe(&format!(
        "url: '{}', role: master, min_replicas: 1",
        master.url("")
    ));
    assert_eq!(v, "fail");
    assert_eq!(e, "expected at least 1 connected replica(s), got none");
    let replica = Redis::start(&["--replicaof", "127.0.0.1", &master.port.to_string()]);
    master.wait_for_info("connected_slaves:1", Duration::from_secs(20));
    replica.wait_for_info("master_link_status:up", Duration::from_secs(20));
    let (v, e) = probe(&format!(
        "url: '{}', role: master, min_replicas: 1",
        master.url("")
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(
        e.starts_with("Redis 7") && e.contains("master answered PING; 1 replica(s)"),
        "{e}"
    );
    let (v, e) = probe(&format!("url: '{}', role: replica", replica.url("")));
    assert_eq!(v, "pass", "{e}");
    let (v, e) = probe(&format!("url: '{}', role: master", replica.url("")));
    assert_eq!(v, "fail");
    assert_eq!(e, "expected role master, got replica");
}

#[test]
fn redis_persistence_and_memory_policy() {
    let aof = Redis::start(&[
        "--appendonly",
        "yes",
        "--maxmemory",
        "16mb",
        "--maxmemory-policy",
        "allkeys-lru",
    ]);
    let url = aof.url("");
    let (v, e) = probe(&format!(
        "url: '{url}', persistence: {{ aof: true, rdb: false }}, maxmemory_policy: allkeys-lru, max_memory_used: 90%"
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("memory ") && e.contains("of 16.0MiB"), "{e}");
    let (v, e) = probe(&format!(
        "url: '{url}', persistence: {{ rdb: true }}, maxmemory_policy: noeviction, max_memory_used: 1%"
    ));
    assert_eq!(v, "fail");
    assert!(e.starts_with("expected RDB snapshots configured, got save \"\" (off); expected maxmemory-policy noeviction, got allkeys-lru; expected memory used <= 1%, got "), "{e}");
    let plain = Redis::start(&[]);
    let (v, e) = probe(&format!(
        "url: '{}', persistence: {{ aof: true }}, maxmemory: true",
        plain.url("")
    ));
    assert_eq!(v, "fail");
    assert_eq!(
        e,
        "expected AOF on, got off; expected maxmemory set, got maxmemory 0 (no limit)"
    );
    // RDB: configured and saved just now passes; a save older than the limit fails.
    let rdb = Redis::start(&["--save", "3600 1"]);
    rdb.command(&["SET", "k", "v"]);
    assert!(rdb.command(&["SAVE"]).starts_with("+OK"));
    let (v, e) = probe(&format!(
        "url: '{}', persistence: {{ rdb: true, max_save_age: 1h }}",
        rdb.url("")
    ));
    assert_eq!(v, "pass", "{e}");
    std::thread::sleep(Duration::from_millis(2100));
    let (v, e) = probe(&format!(
        "url: '{}', persistence: {{ max_save_age: 1s }}",
        rdb.url("")
    ));
    assert_eq!(v, "fail");
    assert!(
        e.starts_with("expected the last RDB save within 1s, got "),
        "{e}"
    );
}

#[test]
fn redis_auth_failures_are_told_apart_and_passwords_never_shown() {
    let server = Redis::start(&["--requirepass", PASSWORD]);
    server.command(&[
        "ACL",
        "SETUSER",
        "probe",
        "on",
        &format!(">{PASSWORD}-acl"),
        "+@all",
        "~*",
        "&*",
    ]);
    let checklist = "version: 1\nname: Cache\nsections:\n  - id: s\n    title: S\n    items:\n      - { id: good, title: G, probe: { redis: { url: '${GOOD}', maxmemory: true } } }\n      - { id: acl, title: A, probe: { redis: { url: '${ACL}' } } }\n      - { id: noauth, title: N, probe: { redis: { url: '${NOAUTH}' } } }\n      - { id: wrong, title: W, probe: { redis: { url: '${WRONG}' } } }\n      - { id: gone, title: G, probe: { redis: { url: '${GONE}' } } }\n";
    let wrong = "not-the-pw-Yq2";
    for format in ["json", "board", "md", "html", "junit"] {
        let ran = Run::new(&["check", "--format", format])
            .with_checklist(checklist)
            .env("GOOD", &server.url(&format!(":{PASSWORD}@")))
            .env("ACL", &server.url(&format!("probe:{PASSWORD}-acl@")))
            .env("NOAUTH", &server.url(""))
            .env("WRONG", &server.url(&format!("probe:{wrong}@")))
            .env(
                "GONE",
                &format!("redis://:{PASSWORD}@127.0.0.1:{}", refused_port()),
            )
            .run();
        for secret in [PASSWORD, wrong] {
            assert!(
                !ran.stdout.contains(secret) && !ran.stderr.contains(secret),
                "{format} shows a password:\n{}{}",
                ran.stdout,
                ran.stderr
            );
        }
        if format != "json" {
            continue;
        }
        let report = ran.json();
        let (v, e) = probe_result(&report, "good");
        assert_eq!(
            (v.as_str(), e.as_str()),
            ("fail", "expected maxmemory set, got maxmemory 0 (no limit)")
        );
        assert_eq!(probe_result(&report, "acl").0, "pass");
        let (v, e) = probe_result(&report, "noauth");
        assert_eq!(v, "error");
        assert!(e.contains("requires authentication (NOAUTH)"), "{e}");
        let (v, e) = probe_result(&report, "wrong");
        assert_eq!(v, "error");
        assert!(e.contains("refused the credentials (WRONGPASS"), "{e}");
        let (v, e) = probe_result(&report, "gone");
        assert_eq!(v, "error");
        assert!(e.starts_with("connection refused (127.0.0.1:"), "{e}");
    }
}

#[test]
fn redis_cluster_mode_and_state() {
    let plain = Redis::start(&[]);
    let (v, e) = probe(&format!("url: '{}', cluster: false", plain.url("")));
    assert_eq!(v, "pass", "{e}");
    let (v, e) = probe(&format!("url: '{}', cluster: true", plain.url("")));
    assert_eq!(
        (v.as_str(), e.as_str()),
        ("fail", "expected cluster mode enabled, got disabled")
    );
    let cluster = Redis::start(&[
        "--cluster-enabled",
        "yes",
        "--cluster-config-file",
        "nodes.conf",
    ]);
    let (v, e) = probe(&format!("url: '{}', cluster: true", cluster.url("")));
    assert_eq!(v, "fail");
    assert_eq!(
        e,
        "expected cluster_state:ok, got cluster_state:fail (0 of 16384 slots assigned, 1 known node(s))"
    );
    assert!(
        cluster
            .command(&["CLUSTER", "ADDSLOTSRANGE", "0", "16383"])
            .starts_with("+OK")
    );
    cluster.wait_for_info("cluster_enabled:1", Duration::from_secs(5));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !cluster
        .command(&["CLUSTER", "INFO"])
        .contains("cluster_state:ok")
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the cluster never became ok"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (v, e) = probe(&format!("url: '{}', cluster: true", cluster.url("")));
    assert_eq!(v, "pass", "{e}");
}

#[test]
fn redis_channels_need_their_subscribers() {
    let server = Redis::start(&[]);
    let mut subscriber = server.connect();
    let reply = send(&mut subscriber, &["SUBSCRIBE", "orders"]);
    assert!(reply.contains("subscribe"), "{reply}");
    let (v, e) = probe(&format!(
        "url: '{}', channels: {{ orders: 1 }}",
        server.url("")
    ));
    assert_eq!(v, "pass", "{e}");
    let (v, e) = probe(&format!(
        "url: '{}', channels: {{ orders: 2, payments: 1 }}",
        server.url("")
    ));
    assert_eq!(v, "fail");
    assert_eq!(
        e,
        "expected channel orders with >= 2 subscriber(s), got 1; expected channel payments with >= 1 subscriber(s), got 0"
    );
    drop(subscriber);
}

#[test]
fn redis_over_tls_with_a_private_ca() {
    let ca = TestCa::new("Candlefish Test Cache CA");
    let leaf = ca.leaf(&["127.0.0.1", "localhost"], Validity::current());
    let server = Redis::start_tls(&leaf.chain_pem, &leaf.key_pem, &["--requirepass", PASSWORD]);
    let dir = tempfile::tempdir().expect("tempdir");
    let ca_file = ca.write(dir.path(), "ca.pem");
    let url = server.url(&format!(":{PASSWORD}@"));
    let (v, e) = probe(&format!("url: '{url}', ca_file: '{}'", ca_file.display()));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("over TLS answered PING"), "{e}");
    let (v, e) = probe(&format!("url: '{url}'"));
    assert_eq!(v, "error");
    assert!(
        e.contains("not trusted") || e.contains("UnknownIssuer"),
        "{e}"
    );
    assert!(!e.contains(PASSWORD));
}
