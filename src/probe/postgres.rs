//! `postgres`: asks a PostgreSQL server itself whether it is ready — reachable
//! (over TLS as `sslmode` says), recent enough, migrations applied, row-level
//! security on, schemas, extensions and roles present, a read-only role unable
//! to write, replicas connected and close behind, connection headroom, and WAL
//! archiving working.
//!
//! ```yaml
//! probe:
//!   postgres:
//!     url: ${DATABASE_URL}
//!     sslmode: verify-full
//!     ca_file: certs/rds-ca.pem
//!     min_version: 15
//!     migrations: { tool: golang-migrate, dir: migrations }
//!     rls: { schema: public, tenant_column: tenant_id, forced: true }
//!     read_only: { role: analyst, tables: [public.orders] }
//! ```
//!
//! The session is read-only (`default_transaction_read_only`) with a statement
//! timeout; the write attempts of `read_only` run in a transaction that is
//! always rolled back. The URL's password is a secret wherever it came from.

pub mod connect;
pub mod facts;
pub mod judge;
pub mod migrations;

use std::fmt;
use std::time::Duration;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

use crate::checklist::scalar::Dur;
use crate::checklist::text::Text;
use crate::probe::web::fields::{Percent, url_secrets};
use crate::probe::{Context, Finding, Probe};
pub use connect::SslMode;
use migrations::Tool;

/// The statement timeout when none is given.
pub const DEFAULT_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);

/// Configuration of a `postgres` probe. Only the connection is checked when
/// nothing else is asked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresProbe {
    /// `postgres://USER:PASSWORD@HOST:PORT/DATABASE` (required), usually
    /// `${DATABASE_URL}`. Its password is never shown.
    pub url: Text,
    /// `disable`, `require`, `verify-ca` or `verify-full` (default: the URL's
    /// `sslmode`, else `verify-full`). `require` without `ca_file` checks no
    /// certificate and makes the probe warn at best.
    #[serde(default)]
    pub sslmode: Option<SslMode>,
    /// PEM file of the CAs to trust instead of the system's (default: the URL's
    /// `sslrootcert`, else the system's roots).
    #[serde(default)]
    pub ca_file: Option<Text>,
    /// How long one statement may run (default `5s`, and never past the probe's timeout).
    #[serde(default)]
    pub statement_timeout: Option<Dur>,
    /// The oldest acceptable server version: `15`, `15.4`.
    #[serde(default)]
    pub min_version: Option<PgVersion>,
    /// The schema migrations table is at the newest version.
    #[serde(default)]
    pub migrations: Option<Migrations>,
    /// Row-level security is enabled on these tables.
    #[serde(default)]
    pub rls: Option<Rls>,
    /// Schemas that must exist.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// Extensions that must be installed in the database.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Roles that must exist.
    #[serde(default)]
    pub roles: Vec<String>,
    /// A role that must not be able to write.
    #[serde(default)]
    pub read_only: Option<ReadOnly>,
    /// Streaming replication: replicas connected, lag bounded.
    #[serde(default)]
    pub replication: Option<Replication>,
    /// Connection headroom: client connections in use against `max_connections`.
    #[serde(default)]
    pub connections: Option<Connections>,
    /// WAL archiving works (the point-in-time recovery signal).
    #[serde(default)]
    pub wal_archiving: Option<WalArchiving>,
}

/// `migrations:` — which tool's table to read, and what it must hold.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Migrations {
    /// `golang-migrate`, `flyway`, `rails`, `diesel` or `sqlx`; or leave it out
    /// and give `table` and `column`.
    #[serde(default)]
    pub tool: Option<Tool>,
    /// The table, `schema.table` or `table` (default: the tool's).
    #[serde(default)]
    pub table: Option<String>,
    /// Without `tool`: the column holding applied versions.
    #[serde(default)]
    pub column: Option<String>,
    /// A migrations folder, relative to the checklist: every version in it must be applied.
    #[serde(default)]
    pub dir: Option<Text>,
    /// Or the version that must be applied.
    #[serde(default)]
    pub version: Option<String>,
}

/// `rls:` — tables named, or every table of a schema (with a tenant column).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rls {
    /// Tables, `schema.table` or `table`.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Every table of this schema…
    #[serde(default)]
    pub schema: Option<String>,
    /// …that has this column (default: every table).
    #[serde(default)]
    pub tenant_column: Option<String>,
    /// Also forced for the table owner (`FORCE ROW LEVEL SECURITY`; default `false`).
    #[serde(default)]
    pub forced: bool,
}

/// `read_only:` — as `role` (or the user connected), writing must be refused.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadOnly {
    /// The role to become (`SET ROLE`; the user connected must be a member).
    /// Default: the user connected.
    #[serde(default)]
    pub role: Option<String>,
    /// Tables on which INSERT, UPDATE and DELETE must be refused.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Schemas in which CREATE TABLE must be refused.
    #[serde(default)]
    pub schemas: Vec<String>,
}

/// `replication:` — on a primary, its replicas; on a replica, its own lag.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replication {
    /// `primary` or `replica`: what the server must be (default: either).
    #[serde(default)]
    pub role: Option<ServerRole>,
    /// On a primary: at least this many streaming replicas (default 1).
    #[serde(default)]
    pub min_replicas: Option<u32>,
    /// The most replay lag, on each replica (default: not checked).
    #[serde(default)]
    pub max_lag: Option<Dur>,
}

/// What a server is in replication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ServerRole {
    /// Accepts writes.
    Primary,
    /// In recovery, replaying a primary's WAL.
    Replica,
}

/// `connections:` — headroom.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connections {
    /// The most client connections in use, as a share of `max_connections` (required).
    pub max_used: Percent,
}

/// `wal_archiving:` — archive_mode on, a recent archive, no failure since.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalArchiving {
    /// The oldest the last archived segment may be (required), e.g. `10m`.
    pub max_age: Dur,
}

/// A PostgreSQL version as `server_version_num` counts it: `15` → 150000, `15.4` → 150004.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PgVersion(pub i32);

impl PgVersion {
    fn parse(text: &str) -> Result<PgVersion, String> {
        let bad = || format!("`{text}` is not a PostgreSQL version such as 15 or 15.4");
        let nums: Vec<i32> = text
            .trim()
            .split('.')
            .map(|p| p.parse::<i32>().ok().filter(|n| (0..100).contains(n)))
            .collect::<Option<_>>()
            .ok_or_else(bad)?;
        let num = match nums.as_slice() {
            [major] => major * 10000,
            [major, minor] if *major >= 10 => major * 10000 + minor,
            [major, minor] => major * 10000 + minor * 100,
            [major, minor, patch] if *major < 10 => major * 10000 + minor * 100 + patch,
            _ => return Err(bad()),
        };
        if num == 0 {
            Err(bad())
        } else {
            Ok(PgVersion(num))
        }
    }
}

impl fmt::Display for PgVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (major, rest) = (self.0 / 10000, self.0 % 10000);
        if major >= 10 {
            if rest == 0 {
                write!(f, "{major}")
            } else {
                write!(f, "{major}.{rest}")
            }
        } else {
            write!(f, "{major}.{}.{}", rest / 100, rest % 100)
        }
    }
}

impl<'de> Deserialize<'de> for PgVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = PgVersion;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a PostgreSQL version such as 15 or \"15.4\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PgVersion, E> {
                PgVersion::parse(v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PgVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PgVersion, E> {
                self.visit_str(&v.to_string())
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<PgVersion, E> {
                self.visit_str(&v.to_string())
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl PostgresProbe {
    fn sslmode(&self, target: Option<&connect::Target>) -> SslMode {
        self.sslmode
            .or_else(|| target.and_then(|t| t.sslmode))
            .unwrap_or(SslMode::VerifyFull)
    }

    fn statement_timeout(&self, timeout: Duration) -> Duration {
        self.statement_timeout
            .map_or(DEFAULT_STATEMENT_TIMEOUT, |d| d.0)
            .min(timeout)
    }
}

impl Probe for PostgresProbe {
    fn target(&self) -> String {
        match connect::parse_url(&self.url) {
            Ok(t) => format!("postgres {}", t.shown),
            Err(_) => format!("postgres {}", crate::probe::web::redact_url(&self.url)),
        }
    }

    fn host(&self) -> Option<String> {
        connect::parse_url(&self.url).ok().map(|t| t.host_port)
    }

    fn secrets(&self) -> Vec<String> {
        url_secrets(&self.url)
    }

    fn validate(&self, timeout: Duration) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = connect::parse_url(&self.url) {
            problems.push(e);
        }
        if self.sslmode == Some(SslMode::Disable) && self.ca_file.is_some() {
            problems.push(
                "sslmode: disable uses no certificate, so ca_file would be ignored: choose one"
                    .into(),
            );
        }
        if let Some(t) = self.statement_timeout
            && (t.0.is_zero() || t.0 > timeout)
        {
            problems.push(format!(
                "statement_timeout {t} must be above 0 and within the probe's timeout ({})",
                Dur(timeout)
            ));
        }
        if let Some(m) = &self.migrations {
            match (&m.tool, &m.column) {
                (None, None) => problems.push("migrations: give a tool (golang-migrate, flyway, rails, diesel, sqlx), or a table and column".into()),
                (None, Some(_)) if m.table.is_none() => problems.push("migrations: a column needs its table".into()),
                (Some(_), Some(_)) => problems.push("migrations: the tool knows its column; leave column out".into()),
                _ => {}
            }
            if m.dir.is_some() == m.version.is_some() {
                problems.push("migrations: give a dir (every version in it applied) or a version, one of them".into());
            }
        }
        if let Some(r) = &self.rls {
            if r.tables.is_empty() == r.schema.is_none() {
                problems
                    .push("rls: give tables, or a schema (with tenant_column), one of them".into());
            }
            if r.tenant_column.is_some() && r.schema.is_none() {
                problems.push("rls: tenant_column picks tables of a schema: add schema".into());
            }
        }
        if let Some(r) = &self.read_only
            && r.tables.is_empty()
            && r.schemas.is_empty()
        {
            problems.push("read_only: name tables (INSERT, UPDATE, DELETE tried) or schemas (CREATE TABLE tried)".into());
        }
        if let Some(r) = &self.replication
            && r.role == Some(ServerRole::Replica)
            && r.min_replicas.is_some()
        {
            problems.push(
                "replication: min_replicas counts a primary's replicas; a replica has none".into(),
            );
        }
        problems
    }

    async fn run(&self, ctx: &Context) -> Finding {
        facts::run(self, ctx).await
    }
}
