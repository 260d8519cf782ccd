//! The `postgres` probe against real PostgreSQL clusters (tests/integration/
//! postgres_server.rs): TLS modes with a test CA, secrets in errors,
//! migrations of each tool, row-level security, schemas/extensions/roles, a
//! read-only role, streaming replication, connection headroom, WAL archiving.

use std::sync::OnceLock;
use std::time::Duration;

use crate::postgres_server::{Options, Pg};
use crate::support::{Run, Workspace, checklist_of, probe_result, refused_port};
use crate::tls_support::{TestCa, Validity};

const APP_PASSWORD: &str = "app-pw-9d2c77Xq";

struct Shared {
    primary: Pg,
    replica: Pg,
    ca: tempfile::TempDir,
}

impl Shared {
    fn ca_file(&self) -> String {
        self.ca.path().join("ca.pem").display().to_string()
    }

    /// The app's URL to database `shop`.
    fn url(&self, query: &str) -> String {
        self.primary.url("app", APP_PASSWORD, "shop", query)
    }
}

const SETUP: &str = "
SET ROLE app;
CREATE SCHEMA tenant;
CREATE TABLE public.orders (id int, tenant_id int);
ALTER TABLE public.orders ENABLE ROW LEVEL SECURITY;
CREATE TABLE tenant.accounts (id int, tenant_id int);
ALTER TABLE tenant.accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant.accounts FORCE ROW LEVEL SECURITY;
CREATE TABLE tenant.invoices (id int, tenant_id int);
ALTER TABLE tenant.invoices ENABLE ROW LEVEL SECURITY;
CREATE TABLE tenant.lookup (id int);
CREATE TABLE public.plans (id int, tenant_id int);
GRANT USAGE ON SCHEMA tenant TO analyst, writer;
GRANT SELECT ON ALL TABLES IN SCHEMA public, tenant TO analyst;
GRANT SELECT, INSERT, UPDATE, DELETE ON public.orders TO writer;
GRANT CREATE ON SCHEMA tenant TO writer;
CREATE SCHEMA gm;
CREATE TABLE gm.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO gm.schema_migrations VALUES (2, false);
CREATE SCHEMA gmd;
CREATE TABLE gmd.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL);
INSERT INTO gmd.schema_migrations VALUES (3, true);
CREATE TABLE public._sqlx_migrations (version bigint PRIMARY KEY, description text, installed_on timestamptz DEFAULT now(), success boolean NOT NULL, checksum bytea, execution_time bigint);
INSERT INTO public._sqlx_migrations (version, description, success) VALUES (20240101, 'init', true), (20240102, 'users', true);
CREATE TABLE public.flyway_schema_history (installed_rank int, version varchar(50), description varchar(200), type varchar(20), script varchar(1000), checksum int, installed_by varchar(100), installed_on timestamp DEFAULT now(), execution_time int, success boolean);
INSERT INTO public.flyway_schema_history (installed_rank, version, success) VALUES (1, '1', true), (2, '1.1', true), (3, '2', false);
CREATE TABLE public.schema_migrations (version varchar PRIMARY KEY);
INSERT INTO public.schema_migrations VALUES ('20240101000000'), ('20240103000000');
CREATE TABLE public.__diesel_schema_migrations (version varchar(50) PRIMARY KEY, run_on timestamp DEFAULT now());
INSERT INTO public.__diesel_schema_migrations (version) VALUES ('20240101120000');
CREATE TABLE public.releases (tag text);
INSERT INTO public.releases VALUES ('v1'), ('v2');
";

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let ca = TestCa::new("Candlefish Test DB CA");
        let leaf = ca.leaf(&["localhost"], Validity::current());
        let ca_dir = tempfile::tempdir().expect("tempdir");
        ca.write(ca_dir.path(), "ca.pem");
        let primary = Pg::start(&Options {
            tls: Some((leaf.chain_pem.clone(), leaf.key_pem.clone())),
            archive: false,
        });
        primary.sql(&format!(
            "CREATE ROLE app LOGIN PASSWORD '{APP_PASSWORD}'; CREATE ROLE analyst NOLOGIN; CREATE ROLE writer NOLOGIN; GRANT analyst, writer, pg_monitor TO app;"
        ));
        primary.sql("CREATE DATABASE shop OWNER app");
        primary.sql_in("shop", SETUP);
        let replica = Pg::replica_of(&primary);
        primary.wait_for("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'", "1", Duration::from_secs(30));
        Shared { primary, replica, ca: ca_dir }
    })
}

/// Runs one `postgres` probe (a YAML flow mapping's body) and returns (verdict, evidence).
fn probe(body: &str) -> (String, String) {
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "db",
            &format!("postgres: {{ {body} }}, timeout: 20s"),
        )]))
        .run();
    probe_result(&ran.json(), "db")
}

fn disabled(s: &Shared) -> String {
    format!("url: '{}', sslmode: disable", s.url(""))
}

#[test]
fn postgres_tls_modes_verify_as_libpq_does() {
    let s = shared();
    let ca = s.ca_file();
    let localhost = s
        .primary
        .url("app", APP_PASSWORD, "shop", "")
        .replace("127.0.0.1", "localhost");
    let (v, e) = probe(&format!(
        "url: '{localhost}', sslmode: verify-full, ca_file: '{ca}', min_version: 13"
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(
        e.starts_with("PostgreSQL 15") && e.contains("over TLS (verify-full)"),
        "{e}"
    );
    // The certificate names localhost, not 127.0.0.1: verify-full refuses, verify-ca accepts.
    let (v, e) = probe(&format!(
        "url: '{}', ca_file: '{ca}'",
        s.url("?sslmode=verify-full")
    ));
    assert_eq!(v, "error", "{e}");
    assert!(
        e.contains("does not name 127.0.0.1") && e.contains("verify-ca"),
        "{e}"
    );
    let (v, e) = probe(&format!(
        "url: '{}', sslmode: verify-ca, ca_file: '{ca}'",
        s.url("")
    ));
    assert_eq!(v, "pass", "{e}");
    // Without the CA, the system's roots do not know it.
    let (v, e) = probe(&format!("url: '{localhost}'"));
    assert_eq!(v, "error", "{e}");
    assert!(e.contains("UnknownIssuer"), "{e}");
    // require: encrypted, unverified, so a warning at best.
    let (v, e) = probe(&format!("url: '{}'", s.url("?sslmode=require")));
    assert_eq!(v, "warn", "{e}");
    assert!(e.contains("any certificate accepted"), "{e}");
    let (v, e) = probe(&format!("{}, min_version: 99", disabled(s)));
    assert_eq!(v, "fail");
    assert!(e.starts_with("expected PostgreSQL >= 99, got 15"), "{e}");
}

#[test]
fn postgres_passwords_never_appear_even_in_driver_errors() {
    let s = shared();
    let wrong = "wrong-pw-Zq81x7";
    let refused = format!(
        "postgres://app:{APP_PASSWORD}@127.0.0.1:{}/shop?sslmode=disable",
        refused_port()
    );
    let checklist = "version: 1\nname: DB\nsections:\n  - id: s\n    title: S\n    items:\n      - { id: wrong, title: W, probe: { postgres: { url: '${WRONG_URL}' } } }\n      - { id: gone, title: G, probe: { postgres: { url: '${GONE_URL}' } } }\n      - { id: good, title: G, probe: { postgres: { url: '${GOOD_URL}', min_version: 99 } } }\n";
    let good = s.url("?sslmode=disable");
    for format in ["json", "board", "md", "html", "junit"] {
        let ran = Run::new(&["check", "--format", format])
            .with_checklist(checklist)
            .env(
                "WRONG_URL",
                &s.primary.url("app", wrong, "shop", "?sslmode=disable"),
            )
            .env("GONE_URL", &refused)
            .env("GOOD_URL", &good)
            .run();
        for secret in [wrong, APP_PASSWORD] {
            assert!(
                !ran.stdout.contains(secret) && !ran.stderr.contains(secret),
                "{format} shows a password:\n{}\n{}",
                ran.stdout,
                ran.stderr
            );
        }
        if format == "json" {
            let report = ran.json();
            let (v, e) = probe_result(&report, "wrong");
            assert_eq!(v, "error");
            assert!(
                e.contains("password authentication failed for user \"app\""),
                "{e}"
            );
            let (v, e) = probe_result(&report, "gone");
            assert_eq!(v, "error");
            assert!(e.contains("connection refused"), "{e}");
            assert_eq!(probe_result(&report, "good").0, "fail");
        }
    }
    // A URL the driver cannot read, and a bad sslmode: refused before anything runs, without the password.
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(&checklist_of(&[("db", "postgres: { url: '${BAD_URL}' }")]))
        .env(
            "BAD_URL",
            &format!("postgres://app:{APP_PASSWORD}@127.0.0.1:5432/shop?sslmode=prefer"),
        )
        .run();
    assert_eq!(ran.code, Some(2), "{}", ran.stderr);
    assert!(ran.stderr.contains("sslmode `prefer`"), "{}", ran.stderr);
    assert!(!ran.stderr.contains(APP_PASSWORD) && !ran.stdout.contains(APP_PASSWORD));
}

#[test]
fn postgres_migrations_of_each_tool() {
    let s = shared();
    let ws = Workspace::new("");
    let folder = |name: &str, files: &[&str]| {
        let dir = ws.path(name);
        std::fs::create_dir_all(&dir).expect("dir");
        for f in files {
            if f.ends_with('/') {
                std::fs::create_dir_all(dir.join(f)).expect("dir");
            } else {
                std::fs::write(dir.join(f), "-- sql").expect("file");
            }
        }
        dir.display().to_string()
    };
    let gm_ok = folder(
        "gm_ok",
        &[
            "1_init.up.sql",
            "1_init.down.sql",
            "2_users.up.sql",
            "2_users.down.sql",
        ],
    );
    let gm_new = folder(
        "gm_new",
        &[
            "1_init.up.sql",
            "2_users.up.sql",
            "3_orders.up.sql",
            "4_items.up.sql",
        ],
    );
    let sqlx = folder("sqlx", &["20240101_init.sql", "20240102_users.sql"]);
    let flyway = folder(
        "flyway",
        &[
            "V1__init.sql",
            "V1_1__users.sql",
            "V2__orders.sql",
            "R__views.sql",
        ],
    );
    let rails = folder(
        "rails",
        &[
            "20240101000000_init.rb",
            "20240102000000_users.rb",
            "20240103000000_orders.rb",
        ],
    );
    let diesel = folder("diesel", &["2024-01-01-120000_init/"]);
    let base = disabled(s);
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!(
                "migrations: {{ tool: golang-migrate, table: gm.schema_migrations, dir: '{gm_ok}' }}"
            ),
            "pass",
            "migrations at 2",
        ),
        (
            format!(
                "migrations: {{ tool: golang-migrate, table: gm.schema_migrations, dir: '{gm_new}' }}"
            ),
            "fail",
            "expected every migration in the folder applied, got 2 pending: 3, 4 (at 2)",
        ),
        (
            "migrations: { tool: golang-migrate, table: gmd.schema_migrations, version: 3 }"
                .to_owned(),
            "fail",
            "expected no dirty or failed migration, got dirty or failed: 3",
        ),
        (
            format!("migrations: {{ tool: sqlx, dir: '{sqlx}' }}"),
            "pass",
            "migrations at 20240102",
        ),
        (
            format!("migrations: {{ tool: flyway, dir: '{flyway}' }}"),
            "fail",
            "expected no dirty or failed migration, got dirty or failed: 2",
        ),
        (
            format!("migrations: {{ tool: rails, dir: '{rails}' }}"),
            "fail",
            "got 1 pending: 20240102000000 (at 20240103000000)",
        ),
        (
            format!("migrations: {{ tool: diesel, dir: '{diesel}' }}"),
            "pass",
            "migrations at 20240101120000",
        ),
        (
            "migrations: { table: releases, column: tag, version: v2 }".to_owned(),
            "pass",
            "migrations at v2",
        ),
        (
            "migrations: { table: releases, column: tag, version: v3 }".to_owned(),
            "fail",
            "got 1 pending: v3",
        ),
        (
            "migrations: { tool: golang-migrate, version: 1 }".to_owned(),
            "fail",
            "expected migrations table schema_migrations, got no such table",
        ),
    ];
    for (extra, verdict, evidence) in cases {
        let body = format!("{base}, {extra}");
        let body = if extra.contains("golang-migrate, version: 1") {
            // public.schema_migrations is Rails' here: ask for one in a schema that has none.
            body.replace("version: 1", "table: nowhere.schema_migrations, version: 1")
        } else {
            body
        };
        let (v, e) = probe(&body);
        assert_eq!(v, verdict, "{extra}: {e}");
        assert!(
            e.contains(
                evidence
                    .trim_start_matches("expected migrations table schema_migrations")
                    .trim()
            ),
            "{extra}: {e}"
        );
    }
}

#[test]
fn postgres_row_level_security_and_named_objects() {
    let s = shared();
    let base = disabled(s);
    let cases = [
        (
            "rls: { tables: [public.orders, tenant.accounts] }",
            "pass",
            "row-level security enabled on 2 table(s)",
        ),
        (
            "rls: { tables: [public.orders, public.plans, public.nope] }",
            "fail",
            "got off on public.plans; no table public.nope",
        ),
        (
            "rls: { schema: tenant, tenant_column: tenant_id }",
            "pass",
            "row-level security enabled on 2 table(s)",
        ),
        (
            "rls: { schema: tenant, tenant_column: tenant_id, forced: true }",
            "fail",
            "got not forced on tenant.invoices",
        ),
        (
            "rls: { schema: tenant }",
            "fail",
            "got off on tenant.lookup",
        ),
        (
            "rls: { schema: tenant, tenant_column: org_id }",
            "fail",
            "no such table",
        ),
        (
            "schemas: [public, tenant], extensions: [plpgsql], roles: [analyst, writer]",
            "pass",
            "PostgreSQL 15",
        ),
        (
            "schemas: [tenant, billing], extensions: [plpgsql, postgis], roles: [analyst, auditor]",
            "fail",
            "expected schemas tenant, billing to exist, got missing: billing; expected extensions plpgsql, postgis to exist, got missing: postgis; expected roles analyst, auditor to exist, got missing: auditor",
        ),
    ];
    for (extra, verdict, evidence) in cases {
        let (v, e) = probe(&format!("{base}, {extra}"));
        assert_eq!(v, verdict, "{extra}: {e}");
        assert!(e.contains(evidence), "{extra}: {e}");
    }
}

#[test]
fn postgres_read_only_role_is_tried_and_rolled_back() {
    let s = shared();
    let base = disabled(s);
    let (v, e) = probe(&format!(
        "{base}, read_only: {{ role: analyst, tables: [public.orders, tenant.accounts], schemas: [public, tenant] }}"
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("role analyst refused 8 write(s)"), "{e}");
    let (v, e) = probe(&format!(
        "{base}, read_only: {{ role: writer, tables: [public.orders, tenant.accounts], schemas: [tenant] }}"
    ));
    assert_eq!(v, "fail", "{e}");
    assert_eq!(
        e,
        "expected role writer unable to write, got it could INSERT INTO public.orders, UPDATE public.orders, DELETE FROM public.orders, CREATE TABLE in tenant (rolled back)"
    );
    // Nothing the writer tried is left behind.
    assert_eq!(
        s.primary.sql_in(
            "shop",
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'candlefish_write_check%'"
        ),
        "0"
    );
    // The session itself is read-only: an unknown role is an error, not a pass.
    let (v, e) = probe(&format!(
        "{base}, read_only: {{ role: ghost, tables: [public.orders] }}"
    ));
    assert_eq!(v, "error", "{e}");
    assert!(e.contains("SET ROLE ghost"), "{e}");
}

#[test]
fn postgres_replication_on_primary_and_replica() {
    let s = shared();
    let (v, e) = probe(&format!(
        "{}, replication: {{ role: primary, min_replicas: 1, max_lag: 30s }}",
        disabled(s)
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("1 streaming replica(s)"), "{e}");
    let (v, e) = probe(&format!(
        "{}, replication: {{ min_replicas: 2 }}",
        disabled(s)
    ));
    assert_eq!(v, "fail");
    assert!(
        e.starts_with("expected at least 2 streaming replica(s), got 1: "),
        "{e}"
    );
    let replica = s.replica.url("app", APP_PASSWORD, "shop", "");
    let (v, e) = probe(&format!(
        "url: '{replica}', sslmode: disable, replication: {{ role: replica, max_lag: 30s }}"
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("replica streaming, lag"), "{e}");
    let (v, e) = probe(&format!(
        "url: '{replica}', sslmode: disable, replication: {{ role: primary }}"
    ));
    assert_eq!(v, "fail");
    assert!(
        e.contains("expected the server to be a primary, got a replica"),
        "{e}"
    );
}

#[test]
fn postgres_replica_lag_grows_while_replay_is_paused() {
    let primary = Pg::start(&Options::default());
    primary.sql(&format!(
        "CREATE ROLE app LOGIN SUPERUSER PASSWORD '{APP_PASSWORD}'; CREATE TABLE t (x int)"
    ));
    let replica = Pg::replica_of(&primary);
    primary.wait_for(
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'",
        "1",
        Duration::from_secs(30),
    );
    primary.sql("INSERT INTO t VALUES (1)");
    replica.wait_for("SELECT count(*) FROM t", "1", Duration::from_secs(30));
    replica.sql("SELECT pg_wal_replay_pause()");
    std::thread::sleep(Duration::from_millis(1500));
    primary.sql("INSERT INTO t VALUES (2)");
    replica.wait_for(
        "SELECT pg_last_wal_receive_lsn() > pg_last_wal_replay_lsn()",
        "t",
        Duration::from_secs(30),
    );
    let url = replica.url("app", APP_PASSWORD, "postgres", "");
    let (v, e) = probe(&format!(
        "url: '{url}', sslmode: disable, replication: {{ max_lag: 1s }}"
    ));
    assert_eq!(v, "fail", "{e}");
    assert!(e.starts_with("expected replay lag <= 1s, got "), "{e}");
    replica.sql("SELECT pg_wal_replay_resume()");
    replica.wait_for("SELECT count(*) FROM t", "2", Duration::from_secs(30));
    let (v, e) = probe(&format!(
        "url: '{url}', sslmode: disable, replication: {{ max_lag: 1s }}"
    ));
    assert_eq!(v, "pass", "{e}");
}

#[test]
fn postgres_connection_headroom() {
    let s = shared();
    let (v, e) = probe(&format!(
        "{}, connections: {{ max_used: 90% }}",
        disabled(s)
    ));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("of max_connections 30)"), "{e}");
    let (v, e) = probe(&format!("{}, connections: {{ max_used: 1% }}", disabled(s)));
    assert_eq!(v, "fail");
    assert!(
        e.starts_with("expected connections in use <= 1%, got "),
        "{e}"
    );
}

#[test]
fn postgres_wal_archiving_works_then_fails() {
    let pg = Pg::start(&Options {
        tls: None,
        archive: true,
    });
    let url = pg.url(
        "postgres",
        crate::postgres_server::SUPER_PASSWORD,
        "postgres",
        "?sslmode=disable",
    );
    let (v, e) = probe(&format!("url: '{url}', wal_archiving: {{ max_age: 10m }}"));
    assert_eq!(v, "fail", "{e}");
    assert!(
        e.contains("expected a WAL segment archived within 10m, got none archived yet"),
        "{e}"
    );
    pg.sql("CREATE TABLE t (x int); INSERT INTO t VALUES (1)");
    pg.sql("SELECT pg_switch_wal()");
    pg.wait_for(
        "SELECT archived_count > 0 FROM pg_stat_archiver",
        "t",
        Duration::from_secs(30),
    );
    assert!(std::fs::read_dir(&pg.archive).expect("archive").count() > 0);
    let (v, e) = probe(&format!("url: '{url}', wal_archiving: {{ max_age: 10m }}"));
    assert_eq!(v, "pass", "{e}");
    assert!(e.contains("1 WAL segment(s) archived, the last"), "{e}");
    pg.sql("ALTER SYSTEM SET archive_command = 'false'");
    pg.sql("SELECT pg_reload_conf()");
    std::thread::sleep(Duration::from_millis(300));
    pg.sql("INSERT INTO t VALUES (2)");
    pg.sql("SELECT pg_switch_wal()");
    pg.wait_for(
        "SELECT failed_count > 0 FROM pg_stat_archiver",
        "t",
        Duration::from_secs(30),
    );
    let (v, e) = probe(&format!("url: '{url}', wal_archiving: {{ max_age: 10m }}"));
    assert_eq!(v, "fail", "{e}");
    assert!(
        e.contains("expected no archive failure since the last success, got "),
        "{e}"
    );
    let off = Pg::start(&Options::default());
    let url = off.url(
        "postgres",
        crate::postgres_server::SUPER_PASSWORD,
        "postgres",
        "?sslmode=disable",
    );
    let (v, e) = probe(&format!("url: '{url}', wal_archiving: {{ max_age: 10m }}"));
    assert_eq!(v, "fail");
    assert_eq!(e, "expected archive_mode on, got off");
}

#[test]
fn postgres_a_silent_server_is_bounded_by_the_deadline() {
    let silent = crate::tls_support::SilentServer::start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "db",
            &format!("postgres: {{ url: 'postgres://app:{APP_PASSWORD}@{}/shop', sslmode: disable }}, timeout: 2s", silent.addr),
        )]))
        .run();
    let (v, e) = probe_result(&ran.json(), "db");
    assert_eq!(v, "error");
    assert!(e.contains("2s") || e.contains("timed out"), "{e}");
    assert!(!ran.stdout.contains(APP_PASSWORD));
}
