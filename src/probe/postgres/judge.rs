//! The `postgres` comparison (pure): what was seen against what the probe
//! asks, as checks with evidence that names the offending tables, versions,
//! replicas and segments.

use crate::checklist::scalar::format_duration;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check, soft_check};

use super::facts::{Seen, Tried};
use super::{PgVersion, PostgresProbe, ServerRole, SslMode};

/// At most this many names are listed in one piece of evidence.
const LIST: usize = 8;

fn list(names: &[String]) -> String {
    let mut shown = names
        .iter()
        .take(LIST)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > LIST {
        shown.push_str(&format!(" and {} more", names.len() - LIST));
    }
    shown
}

fn seconds(s: f64) -> String {
    format_duration(std::time::Duration::from_secs_f64(s.max(0.0)))
}

/// Turns what was seen into a finding.
pub fn judge(probe: &PostgresProbe, sslmode: SslMode, seen: &Seen) -> Finding {
    let mut checks: Vec<Check> = Vec::new();
    let transport = match seen.tls {
        None => "plain TCP".to_owned(),
        Some(true) => format!("TLS ({})", sslmode.name()),
        Some(false) => "TLS, certificate not checked".to_owned(),
    };
    let mut summary = vec![format!("PostgreSQL {} over {transport}", seen.version)];
    if seen.tls == Some(false) {
        checks.push(soft_check(
            false,
            "a verified server certificate (sslmode verify-ca or verify-full, or a ca_file)",
            "sslmode require without ca_file: any certificate accepted",
        ));
    }
    if let Some(min) = probe.min_version {
        checks.push(check(
            seen.version_num >= min.0,
            format!("PostgreSQL >= {min}"),
            format!("{} ({})", seen.version, PgVersion(seen.version_num)),
        ));
    }
    migrations(probe, seen, &mut checks, &mut summary);
    rls(probe, seen, &mut checks, &mut summary);
    for (what, missing) in &seen.missing {
        let names = match *what {
            "schemas" => &probe.schemas,
            "extensions" => &probe.extensions,
            _ => &probe.roles,
        };
        checks.push(check(
            missing.is_empty(),
            format!("{what} {} to exist", list(names)),
            if missing.is_empty() {
                "all present".to_owned()
            } else {
                format!("missing: {}", list(missing))
            },
        ));
    }
    writes(probe, seen, &mut checks, &mut summary);
    replication(probe, seen, &mut checks, &mut summary);
    if let (Some(c), Some((used, max))) = (&probe.connections, seen.connections) {
        let share = if max > 0 {
            used as f64 * 100.0 / max as f64
        } else {
            100.0
        };
        let observed = format!("{share:.1}% ({used} of max_connections {max})");
        checks.push(check(
            share <= c.max_used.0,
            format!("connections in use <= {}", c.max_used),
            observed.clone(),
        ));
        summary.push(format!("connections {observed}"));
    }
    archiving(probe, seen, &mut checks, &mut summary);
    Finding::from_checks(checks, &summary.join("; "), "")
}

fn migrations(
    probe: &PostgresProbe,
    seen: &Seen,
    checks: &mut Vec<Check>,
    summary: &mut Vec<String>,
) {
    let (Some(m), Some(state)) = (&probe.migrations, &seen.migrations) else {
        return;
    };
    let table = m
        .table
        .clone()
        .unwrap_or_else(|| m.tool.map_or("", |t| t.default_table()).to_owned());
    let Some(state) = state else {
        checks.push(check(
            false,
            format!("migrations table {table}"),
            "no such table: no migration has run here",
        ));
        return;
    };
    let current = state.current.clone().unwrap_or_else(|| "none".to_owned());
    let expected = match &m.version {
        Some(v) => format!("migration {v} applied"),
        None => "every migration in the folder applied".to_owned(),
    };
    let observed = if state.pending.is_empty() {
        format!("at {current}")
    } else {
        format!(
            "{} pending: {} (at {current})",
            state.pending.len(),
            list(&state.pending)
        )
    };
    checks.push(check(state.pending.is_empty(), expected, observed));
    checks.push(check(
        state.dirty.is_empty(),
        "no dirty or failed migration",
        format!("dirty or failed: {}", list(&state.dirty)),
    ));
    summary.push(format!("migrations at {current}"));
}

fn rls(probe: &PostgresProbe, seen: &Seen, checks: &mut Vec<Check>, summary: &mut Vec<String>) {
    let (Some(r), Some(rows)) = (&probe.rls, &seen.rls) else {
        return;
    };
    let what = if r.forced {
        "row-level security enabled and forced"
    } else {
        "row-level security enabled"
    };
    if rows.is_empty() {
        let scope = match &r.tenant_column {
            Some(col) => format!(
                "tables with a `{col}` column in schema {}",
                r.schema.as_deref().unwrap_or("")
            ),
            None => format!("tables in schema {}", r.schema.as_deref().unwrap_or("")),
        };
        checks.push(check(false, format!("{what} on {scope}"), "no such table"));
        return;
    }
    let missing: Vec<String> = rows
        .iter()
        .filter(|r| r.state.is_none())
        .map(|r| r.table.clone())
        .collect();
    let off: Vec<String> = rows
        .iter()
        .filter(|r| matches!(r.state, Some((false, _))))
        .map(|r| r.table.clone())
        .collect();
    let unforced: Vec<String> = rows
        .iter()
        .filter(|row| r.forced && matches!(row.state, Some((true, false))))
        .map(|r| r.table.clone())
        .collect();
    let mut problems = Vec::new();
    if !off.is_empty() {
        problems.push(format!("off on {}", list(&off)));
    }
    if !unforced.is_empty() {
        problems.push(format!("not forced on {}", list(&unforced)));
    }
    if !missing.is_empty() {
        problems.push(format!("no table {}", list(&missing)));
    }
    let ok = problems.is_empty();
    checks.push(check(
        ok,
        format!("{what} on {} table(s)", rows.len()),
        if ok {
            "on every one".to_owned()
        } else {
            problems.join("; ")
        },
    ));
    if ok {
        summary.push(format!("{what} on {} table(s)", rows.len()));
    }
}

fn writes(probe: &PostgresProbe, seen: &Seen, checks: &mut Vec<Check>, summary: &mut Vec<String>) {
    let (Some(r), Some(tries)) = (&probe.read_only, &seen.writes) else {
        return;
    };
    let who = r.role.as_deref().map_or_else(
        || "the user connected".to_owned(),
        |role| format!("role {role}"),
    );
    let allowed: Vec<String> = tries
        .iter()
        .filter(|t| t.outcome == Tried::Allowed)
        .map(|t| t.what.clone())
        .collect();
    let failed: Vec<String> = tries
        .iter()
        .filter_map(|t| match &t.outcome {
            Tried::Failed(e) => Some(format!("{}: {e}", t.what)),
            _ => None,
        })
        .collect();
    let observed = if !allowed.is_empty() {
        format!("it could {} (rolled back)", list(&allowed))
    } else if !failed.is_empty() {
        format!("could not tell: {}", list(&failed))
    } else {
        "every write refused".to_owned()
    };
    checks.push(check(
        allowed.is_empty() && failed.is_empty(),
        format!("{who} unable to write"),
        observed,
    ));
    if allowed.is_empty() && failed.is_empty() {
        summary.push(format!("{who} refused {} write(s)", tries.len()));
    }
}

fn replication(
    probe: &PostgresProbe,
    seen: &Seen,
    checks: &mut Vec<Check>,
    summary: &mut Vec<String>,
) {
    let Some(r) = &probe.replication else { return };
    let is = if seen.in_recovery {
        ServerRole::Replica
    } else {
        ServerRole::Primary
    };
    let name = |role: ServerRole| {
        if role == ServerRole::Primary {
            "a primary"
        } else {
            "a replica"
        }
    };
    if let Some(want) = r.role {
        checks.push(check(
            want == is,
            format!("the server to be {}", name(want)),
            name(is),
        ));
    }
    if let Some(replicas) = &seen.replicas {
        let streaming: Vec<_> = replicas.iter().filter(|x| x.state == "streaming").collect();
        let min = r.min_replicas.unwrap_or(1);
        let shown: Vec<String> = replicas
            .iter()
            .map(|x| {
                format!(
                    "{} {} (lag {})",
                    x.name,
                    if x.state.is_empty() { "?" } else { &x.state },
                    seconds(x.lag)
                )
            })
            .collect();
        checks.push(check(
            streaming.len() >= min as usize,
            format!("at least {min} streaming replica(s)"),
            if replicas.is_empty() {
                "none connected".to_owned()
            } else {
                format!("{}: {}", streaming.len(), list(&shown))
            },
        ));
        if let Some(max) = r.max_lag {
            let behind: Vec<String> = replicas
                .iter()
                .filter(|x| x.lag > max.0.as_secs_f64())
                .map(|x| format!("{} {}", x.name, seconds(x.lag)))
                .collect();
            let worst = replicas.iter().map(|x| x.lag).fold(0.0_f64, f64::max);
            checks.push(check(
                behind.is_empty(),
                format!("replay lag <= {max}"),
                if behind.is_empty() {
                    seconds(worst)
                } else {
                    list(&behind)
                },
            ));
        }
        summary.push(format!("{} streaming replica(s)", streaming.len()));
    }
    if let Some((lag, status)) = &seen.own_lag {
        let status = status
            .clone()
            .unwrap_or_else(|| "no WAL receiver".to_owned());
        checks.push(check(
            status == "streaming",
            "the WAL receiver streaming from the primary",
            status.clone(),
        ));
        if let Some(max) = r.max_lag {
            checks.push(check(
                *lag <= max.0.as_secs_f64(),
                format!("replay lag <= {max}"),
                seconds(*lag),
            ));
        }
        summary.push(format!("replica {status}, lag {}", seconds(*lag)));
    }
}

fn archiving(
    probe: &PostgresProbe,
    seen: &Seen,
    checks: &mut Vec<Check>,
    summary: &mut Vec<String>,
) {
    let (Some(w), Some(a)) = (&probe.wal_archiving, &seen.archiver) else {
        return;
    };
    let on = matches!(a.mode.as_str(), "on" | "always");
    checks.push(check(on, "archive_mode on", a.mode.clone()));
    if !on {
        return;
    }
    let age = a.since_archived;
    checks.push(check(
        age.is_some_and(|s| s <= w.max_age.0.as_secs_f64()),
        format!("a WAL segment archived within {}", w.max_age),
        age.map_or_else(
            || "none archived yet".to_owned(),
            |s| format!("the last {} ago", seconds(s)),
        ),
    ));
    let failing = match (a.since_failed, age) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(failed), Some(archived)) => failed < archived,
    };
    checks.push(check(
        !failing,
        "no archive failure since the last success",
        format!(
            "{} failure(s), the last {} ago{}",
            a.failed,
            seconds(a.since_failed.unwrap_or(0.0)),
            a.failed_wal
                .as_ref()
                .map(|w| format!(" ({w})"))
                .unwrap_or_default()
        ),
    ));
    if let Some(s) = age {
        summary.push(format!(
            "{} WAL segment(s) archived, the last {} ago",
            a.archived,
            seconds(s)
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::facts::{Archiver, Replica, RlsRow, WriteTry};
    use super::*;
    use crate::outcome::Verdict;

    fn probe(yaml: &str) -> PostgresProbe {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn seen() -> Seen {
        Seen {
            version_num: 150_008,
            version: "15.8".into(),
            tls: Some(true),
            ..Seen::default()
        }
    }

    #[test]
    fn versions_and_unverified_tls() {
        let p = probe("{ url: 'postgres://u@h/d', min_version: 16 }");
        let f = judge(&p, SslMode::VerifyFull, &seen());
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(f.evidence, "expected PostgreSQL >= 16, got 15.8 (15.8)");
        let ok = probe("{ url: 'postgres://u@h/d', min_version: '15.2' }");
        let s = Seen {
            tls: Some(false),
            ..seen()
        };
        let f = judge(&ok, SslMode::Require, &s);
        assert_eq!(f.verdict, Verdict::Warn, "{}", f.evidence);
    }

    #[test]
    fn rls_names_the_tables_that_are_off() {
        let p = probe("{ url: 'postgres://u@h/d', rls: { tables: [a, b, c], forced: true } }");
        let s = Seen {
            rls: Some(vec![
                RlsRow {
                    table: "a".into(),
                    state: Some((true, true)),
                },
                RlsRow {
                    table: "b".into(),
                    state: Some((false, false)),
                },
                RlsRow {
                    table: "c".into(),
                    state: Some((true, false)),
                },
            ]),
            ..seen()
        };
        assert_eq!(
            judge(&p, SslMode::VerifyFull, &s).evidence,
            "expected row-level security enabled and forced on 3 table(s), got off on b; not forced on c"
        );
    }

    #[test]
    fn writes_allowed_fail() {
        let p = probe("{ url: 'postgres://u@h/d', read_only: { role: ro, tables: [t] } }");
        let s = Seen {
            writes: Some(vec![
                WriteTry {
                    what: "INSERT INTO t".into(),
                    outcome: Tried::Allowed,
                },
                WriteTry {
                    what: "DELETE FROM t".into(),
                    outcome: Tried::Refused("permission denied".into()),
                },
            ]),
            ..seen()
        };
        assert_eq!(
            judge(&p, SslMode::VerifyFull, &s).evidence,
            "expected role ro unable to write, got it could INSERT INTO t (rolled back)"
        );
    }

    #[test]
    fn replicas_and_archiving() {
        let p = probe(
            "{ url: 'postgres://u@h/d', replication: { min_replicas: 2, max_lag: 5s }, wal_archiving: { max_age: 10m } }",
        );
        let s = Seen {
            replicas: Some(vec![Replica {
                name: "r1".into(),
                state: "streaming".into(),
                lag: 7.5,
            }]),
            archiver: Some(Archiver {
                mode: "on".into(),
                archived: 3,
                since_archived: Some(30.0),
                failed: 1,
                since_failed: Some(5.0),
                failed_wal: Some("0001".into()),
            }),
            ..seen()
        };
        assert_eq!(
            judge(&p, SslMode::VerifyFull, &s).evidence,
            "expected at least 2 streaming replica(s), got 1: r1 streaming (lag 7.5s); expected replay lag <= 5s, got r1 7.5s; expected no archive failure since the last success, got 1 failure(s), the last 5s ago (0001)"
        );
    }
}
