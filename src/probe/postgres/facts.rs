//! What the server says: one session, read-only statements (and the
//! rolled-back write attempts of `read_only`), gathered into [`Seen`].

use std::path::PathBuf;

use tokio_postgres::error::SqlState;

use super::connect::{self, Connect, Session};
use super::migrations::{self, State};
use super::{PostgresProbe, judge};
use crate::probe::{Context, Finding};

/// What the probe saw.
#[derive(Debug, Clone, Default)]
pub struct Seen {
    /// `server_version_num`.
    pub version_num: i32,
    /// `server_version`.
    pub version: String,
    /// `None`: plain TCP; `Some(verified)`: TLS.
    pub tls: Option<bool>,
    /// Whether the server is in recovery (a replica).
    pub in_recovery: bool,
    /// The migrations table: `None` when it does not exist.
    pub migrations: Option<Option<State>>,
    /// Row-level security per table.
    pub rls: Option<Vec<RlsRow>>,
    /// Named schemas, extensions and roles that do not exist.
    pub missing: Vec<(&'static str, Vec<String>)>,
    /// The write attempts of `read_only`.
    pub writes: Option<Vec<WriteTry>>,
    /// On a primary: its replicas.
    pub replicas: Option<Vec<Replica>>,
    /// On a replica: its replay lag in seconds and the WAL receiver's status.
    pub own_lag: Option<(f64, Option<String>)>,
    /// Client connections in use and `max_connections`.
    pub connections: Option<(i64, i64)>,
    /// `pg_stat_archiver` and `archive_mode`.
    pub archiver: Option<Archiver>,
}

/// A table's row-level security.
#[derive(Debug, Clone, PartialEq)]
pub struct RlsRow {
    /// The table as named.
    pub table: String,
    /// `None` when the table does not exist; else (enabled, forced).
    pub state: Option<(bool, bool)>,
}

/// One write attempt.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteTry {
    /// `INSERT INTO public.orders`.
    pub what: String,
    /// The outcome.
    pub outcome: Tried,
}

/// How a write attempt went.
#[derive(Debug, Clone, PartialEq)]
pub enum Tried {
    /// Refused for lack of privilege (or a read-only setting): the message.
    Refused(String),
    /// It would have written.
    Allowed,
    /// Some other error: the message.
    Failed(String),
}

/// A replica as its primary sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Replica {
    /// `application_name`, or the client address.
    pub name: String,
    /// `streaming`, `catchup`, … (empty when the user may not see it).
    pub state: String,
    /// Replay lag in seconds (0 when caught up and idle).
    pub lag: f64,
}

/// WAL archiving.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Archiver {
    /// `archive_mode`.
    pub mode: String,
    /// Segments archived since the statistics were reset.
    pub archived: i64,
    /// Seconds since the last archive.
    pub since_archived: Option<f64>,
    /// Failures since the statistics were reset.
    pub failed: i64,
    /// Seconds since the last failure.
    pub since_failed: Option<f64>,
    /// The last segment that failed.
    pub failed_wal: Option<String>,
}

type Client = tokio_postgres::Client;

fn db(e: &tokio_postgres::Error) -> String {
    connect::describe(e, "the server")
}

/// `"schema"."table"` from `schema.table` or `table`.
pub fn quote_name(name: &str) -> String {
    name.split('.')
        .map(|part| format!("\"{}\"", part.replace('"', "\"\"")))
        .collect::<Vec<_>>()
        .join(".")
}

/// Connects, gathers and judges.
pub async fn run(probe: &PostgresProbe, ctx: &Context) -> Finding {
    let target = match connect::parse_url(&probe.url) {
        Ok(t) => t,
        Err(e) => return Finding::error(e),
    };
    let sslmode = probe.sslmode(Some(&target));
    let ca_file = probe
        .ca_file
        .as_ref()
        .map(|t| t.as_str().to_owned())
        .or_else(|| target.sslrootcert.clone())
        .map(|p| ctx.resolve(&PathBuf::from(p)).display().to_string());
    let statement_timeout = probe.statement_timeout(std::time::Duration::MAX);
    let session = match connect::open(
        Connect {
            target: &target,
            sslmode,
            ca_file,
            statement_timeout,
            connect_timeout: statement_timeout.max(std::time::Duration::from_secs(5)),
        },
        || ctx.tls_roots(),
    )
    .await
    {
        Ok(s) => s,
        Err(e) => return Finding::error(e),
    };
    let mut session = session;
    match gather(probe, ctx, &mut session).await {
        Ok(seen) => judge::judge(probe, sslmode, &seen),
        Err(e) => Finding::error(e),
    }
}

async fn gather(
    probe: &PostgresProbe,
    ctx: &Context,
    session: &mut Session,
) -> Result<Seen, String> {
    let tls = session.tls;
    let client = &mut session.client;
    crate::probe::stage("asking PostgreSQL for its version");
    let row = client
        .query_one(
            "SELECT current_setting('server_version_num')::int4, current_setting('server_version'), pg_is_in_recovery()",
            &[],
        )
        .await
        .map_err(|e| db(&e))?;
    let mut seen = Seen {
        version_num: row.get(0),
        version: row.get(1),
        in_recovery: row.get(2),
        tls,
        ..Seen::default()
    };
    if let Some(m) = &probe.migrations {
        crate::probe::stage("reading the migrations table");
        seen.migrations = Some(
            read_migrations(client, ctx, m)
                .await
                .map_err(|e| format!("migrations: {e}"))?,
        );
    }
    if let Some(r) = &probe.rls {
        crate::probe::stage("reading row-level security");
        seen.rls = Some(read_rls(client, r).await.map_err(|e| format!("rls: {e}"))?);
    }
    for (what, names, query) in [
        (
            "schemas",
            &probe.schemas,
            "SELECT n FROM unnest($1::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = n)",
        ),
        (
            "extensions",
            &probe.extensions,
            "SELECT n FROM unnest($1::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = n)",
        ),
        (
            "roles",
            &probe.roles,
            "SELECT n FROM unnest($1::text[]) n WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = n)",
        ),
    ] {
        if names.is_empty() {
            continue;
        }
        let rows = client
            .query(query, &[names])
            .await
            .map_err(|e| format!("{what}: {}", db(&e)))?;
        seen.missing
            .push((what, rows.iter().map(|r| r.get(0)).collect()));
    }
    if let Some(r) = &probe.read_only {
        crate::probe::stage("trying to write in a transaction that is rolled back");
        seen.writes = Some(
            try_writes(client, r, seen.in_recovery)
                .await
                .map_err(|e| format!("read_only: {e}"))?,
        );
    }
    if probe.replication.is_some() {
        crate::probe::stage("reading replication status");
        read_replication(client, &mut seen)
            .await
            .map_err(|e| format!("replication: {e}"))?;
    }
    if probe.connections.is_some() {
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int8, current_setting('max_connections')::int8",
                &[],
            )
            .await
            .map_err(|e| format!("connections: {}", db(&e)))?;
        seen.connections = Some((row.get(0), row.get(1)));
    }
    if probe.wal_archiving.is_some() {
        let row = client
            .query_one(
                "SELECT current_setting('archive_mode'), archived_count, extract(epoch FROM now() - last_archived_time)::float8, failed_count, extract(epoch FROM now() - last_failed_time)::float8, last_failed_wal FROM pg_stat_archiver",
                &[],
            )
            .await
            .map_err(|e| format!("wal_archiving: {}", db(&e)))?;
        seen.archiver = Some(Archiver {
            mode: row.get(0),
            archived: row.get(1),
            since_archived: row.get(2),
            failed: row.get(3),
            since_failed: row.get(4),
            failed_wal: row.get(5),
        });
    }
    Ok(seen)
}

async fn read_migrations(
    client: &Client,
    ctx: &Context,
    m: &super::Migrations,
) -> Result<Option<State>, String> {
    let table = m
        .table
        .clone()
        .unwrap_or_else(|| m.tool.map_or("", |t| t.default_table()).to_owned());
    let exists: bool = client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&quote_name(&table)])
        .await
        .map_err(|e| db(&e))?
        .get(0);
    if !exists {
        return Ok(None);
    }
    let query = match (m.tool, &m.column) {
        (Some(tool), _) => tool.query(&quote_name(&table)),
        (None, Some(column)) => format!(
            "SELECT {}::text, false FROM {}",
            quote_name(column),
            quote_name(&table)
        ),
        (None, None) => return Err("no tool and no column".into()),
    };
    let rows: Vec<(String, bool)> = client
        .query(&query, &[])
        .await
        .map_err(|e| db(&e))?
        .iter()
        .map(|r| {
            (
                r.get::<_, Option<String>>(0).unwrap_or_default(),
                r.get::<_, Option<bool>>(1).unwrap_or(false),
            )
        })
        .collect();
    let expected = match (&m.dir, &m.version) {
        (Some(dir), _) => {
            let path = ctx.resolve(std::path::Path::new(dir.as_str()));
            let versions = migrations::folder_versions(m.tool, &path)?;
            if versions.is_empty() {
                return Err(format!("no migration files in {}", path.display()));
            }
            versions
        }
        (None, Some(v)) => vec![migrations::Version::new(v)],
        (None, None) => Vec::new(),
    };
    Ok(Some(migrations::compare(m.tool, &rows, &expected)))
}

async fn read_rls(client: &Client, r: &super::Rls) -> Result<Vec<RlsRow>, String> {
    if let Some(schema) = &r.schema {
        let rows = client
            .query(
                "SELECT n.nspname || '.' || c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') \
                 AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = $2 AND NOT a.attisdropped)) ORDER BY 1",
                &[schema, &r.tenant_column],
            )
            .await
            .map_err(|e| db(&e))?;
        return Ok(rows
            .iter()
            .map(|row| RlsRow {
                table: row.get(0),
                state: Some((row.get(1), row.get(2))),
            })
            .collect());
    }
    let quoted: Vec<String> = r.tables.iter().map(|t| quote_name(t)).collect();
    let rows = client
        .query(
            "SELECT c.relrowsecurity, c.relforcerowsecurity FROM unnest($1::text[]) WITH ORDINALITY AS t(name, i) LEFT JOIN pg_class c ON c.oid = to_regclass(t.name) ORDER BY t.i",
            &[&quoted],
        )
        .await
        .map_err(|e| db(&e))?;
    Ok(r.tables
        .iter()
        .zip(rows.iter())
        .map(|(table, row)| RlsRow {
            table: table.clone(),
            state: row
                .get::<_, Option<bool>>(0)
                .map(|on| (on, row.get::<_, Option<bool>>(1).unwrap_or(false))),
        })
        .collect())
}

/// Tries each write under a savepoint, inside a READ WRITE transaction that
/// is rolled back whatever happens. No statement touches a row.
async fn try_writes(
    client: &mut Client,
    r: &super::ReadOnly,
    in_recovery: bool,
) -> Result<Vec<WriteTry>, String> {
    if in_recovery {
        return Err(
            "the server is a replica, where nothing can write: point read_only at the primary"
                .into(),
        );
    }
    let mut attempts: Vec<(String, String)> = Vec::new();
    for table in &r.tables {
        let t = quote_name(table);
        let column: Option<String> = client
            .query_opt(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY attnum LIMIT 1",
                &[&t],
            )
            .await
            .map_err(|e| db(&e))?
            .map(|row| row.get(0));
        let Some(column) = column else {
            return Err(format!("table {table} does not exist (or has no columns)"));
        };
        let c = quote_name(&column);
        attempts.push((
            format!("INSERT INTO {table}"),
            format!("INSERT INTO {t} SELECT * FROM {t} WHERE false"),
        ));
        attempts.push((
            format!("UPDATE {table}"),
            format!("UPDATE {t} SET {c} = {c} WHERE false"),
        ));
        attempts.push((
            format!("DELETE FROM {table}"),
            format!("DELETE FROM {t} WHERE false"),
        ));
    }
    for schema in &r.schemas {
        let name = format!(
            "candlefish_write_check_{}",
            crate::probe::web::random_label()
        );
        attempts.push((
            format!("CREATE TABLE in {schema}"),
            format!(
                "CREATE TABLE {}.{} (id int)",
                quote_name(schema),
                quote_name(&name)
            ),
        ));
    }
    let mut out = Vec::new();
    // Dropping `tx` without commit also rolls back; roll back explicitly all the same.
    let mut tx = client
        .build_transaction()
        .read_only(false)
        .start()
        .await
        .map_err(|e| db(&e))?;
    if let Some(role) = &r.role {
        tx.batch_execute(&format!("SET LOCAL ROLE {}", quote_name(role)))
            .await
            .map_err(|e| format!("SET ROLE {role}: {}", db(&e)))?;
    }
    for (what, statement) in attempts {
        let sp = tx
            .savepoint("candlefish_write_check")
            .await
            .map_err(|e| db(&e))?;
        let outcome = match sp.batch_execute(&statement).await {
            Ok(()) => Tried::Allowed,
            Err(e) => match e.code() {
                Some(code)
                    if *code == SqlState::INSUFFICIENT_PRIVILEGE
                        || *code == SqlState::READ_ONLY_SQL_TRANSACTION =>
                {
                    Tried::Refused(
                        e.as_db_error()
                            .map_or_else(|| db(&e), |d| d.message().to_owned()),
                    )
                }
                _ => Tried::Failed(db(&e)),
            },
        };
        sp.rollback().await.map_err(|e| db(&e))?;
        out.push(WriteTry { what, outcome });
    }
    tx.rollback().await.map_err(|e| db(&e))?;
    Ok(out)
}

async fn read_replication(client: &Client, seen: &mut Seen) -> Result<(), String> {
    if seen.in_recovery {
        let row = client
            .query_one(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
                 ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8, \
                 (SELECT status FROM pg_stat_wal_receiver LIMIT 1)",
                &[],
            )
            .await
            .map_err(|e| db(&e))?;
        seen.own_lag = Some((row.get(0), row.get(1)));
    } else {
        let rows = client
            .query(
                "SELECT coalesce(nullif(application_name, ''), client_addr::text, 'a replica'), coalesce(state, ''), \
                 coalesce(extract(epoch FROM greatest(replay_lag, '0'::interval)), 0)::float8 FROM pg_stat_replication ORDER BY 1",
                &[],
            )
            .await
            .map_err(|e| db(&e))?;
        seen.replicas = Some(
            rows.iter()
                .map(|r| Replica {
                    name: r.get(0),
                    state: r.get(1),
                    lag: r.get(2),
                })
                .collect(),
        );
    }
    Ok(())
}
