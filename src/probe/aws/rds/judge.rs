//! The `aws_rds` comparison (pure): a database's facts against the
//! expectations, each miss a line naming the database and the attribute.

use std::cmp::Ordering;

use super::RdsExpect;
use crate::checklist::scalar::format_duration;
use crate::probe::Finding;
use crate::probe::aws::verdict::{Verdicts, age, count, secs};

/// What DescribeDBInstances or DescribeDBClusters says about one database.
#[derive(Debug, Clone, Default)]
pub struct Database {
    /// Its identifier.
    pub id: String,
    /// `available`, `creating`, …
    pub status: String,
    /// `postgres`, …
    pub engine: String,
    /// `15.4`.
    pub version: String,
    /// Multi-AZ.
    pub multi_az: bool,
    /// Storage encrypted.
    pub encrypted: bool,
    /// Deletion protection on.
    pub deletion_protection: bool,
    /// Days of automated backups.
    pub retention_days: i32,
    /// LatestRestorableTime, seconds since the epoch.
    pub latest_restorable: Option<i64>,
    /// Read replicas (a cluster: reader instances).
    pub replicas: usize,
    /// Publicly accessible.
    pub public: bool,
}

/// A snapshot of some database.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// The database it is of.
    pub database: String,
    /// When it was taken, seconds since the epoch.
    pub created: Option<i64>,
    /// `available` once complete.
    pub status: String,
}

/// The numbers of a version, for comparison: `15.4` → `[15, 4]`.
pub fn version_parts(version: &str) -> Vec<u64> {
    version
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// `observed` ≥ `minimum`, number by number (missing numbers count as 0).
pub fn version_at_least(observed: &str, minimum: &str) -> bool {
    let (a, b) = (version_parts(observed), version_parts(minimum));
    for i in 0..a.len().max(b.len()) {
        match a.get(i).unwrap_or(&0).cmp(b.get(i).unwrap_or(&0)) {
            Ordering::Greater => return true,
            Ordering::Less => return false,
            Ordering::Equal => {}
        }
    }
    true
}

/// Judges `db` (and, when asked, its snapshots) at `now` (seconds since the epoch).
pub fn judge(db: &Database, snapshots: &[Snapshot], e: &RdsExpect, now: i64) -> Finding {
    let mut v = Verdicts::new();
    let id = db.id.as_str();
    v.check(
        db.status == e.status,
        format!("status {}", e.status),
        format!("{id}: {}", db.status),
        || format!("{id}: status {}, expected {}", db.status, e.status),
    );
    if let Some(engine) = &e.engine {
        v.check(
            &db.engine == engine,
            format!("engine {engine}"),
            format!("{id}: {}", db.engine),
            || format!("{id}: engine {}, expected {engine}", db.engine),
        );
    }
    if let Some(min) = &e.min_version {
        v.check(
            version_at_least(&db.version, min),
            format!("engine version >= {min}"),
            format!("{id}: {}", db.version),
            || format!("{id}: engine version {} < {min}", db.version),
        );
    }
    flag(
        &mut v,
        id,
        e.multi_az,
        db.multi_az,
        "Multi-AZ",
        "not Multi-AZ",
    );
    flag(
        &mut v,
        id,
        e.encrypted,
        db.encrypted,
        "storage encrypted",
        "storage not encrypted",
    );
    flag(
        &mut v,
        id,
        e.deletion_protection,
        db.deletion_protection,
        "deletion protection on",
        "deletion protection off",
    );
    flag(
        &mut v,
        id,
        e.publicly_accessible,
        db.public,
        "publicly accessible",
        "not publicly accessible",
    );
    if let Some(days) = e.backup_retention_days {
        v.check(
            i64::from(db.retention_days) >= i64::from(days),
            format!("backup retention >= {days} days"),
            format!("{id}: {} days", db.retention_days),
            || format!("{id}: backup retention {} days < {days}", db.retention_days),
        );
    }
    if let Some(rpo) = e.restorable_within {
        let limit = secs(rpo.0);
        let wanted = format!("restorable to within {}", format_duration(rpo.0));
        match db.latest_restorable {
            // Without automated backups there is no point-in-time recovery,
            // whatever timestamp is reported.
            _ if db.retention_days <= 0 => v.check(
                false,
                wanted,
                format!("{id}: automated backups off"),
                || format!("{id}: no point-in-time recovery (automated backups off)"),
            ),
            Some(t) => v.check(
                now - t <= limit,
                wanted,
                format!("{id}: latest restorable time {} ago", age(now - t)),
                || {
                    format!(
                        "{id}: latest restorable time {} ago > {}",
                        age(now - t),
                        format_duration(rpo.0)
                    )
                },
            ),
            None => v.check(false, wanted, format!("{id}: none"), || {
                format!("{id}: no point-in-time recovery (no latest restorable time)")
            }),
        }
    }
    if let Some(n) = e.read_replicas {
        v.check(
            db.replicas >= n,
            format!("at least {}", count(n, "read replica")),
            format!("{id}: {}", db.replicas),
            || format!("{id}: {} < {n}", count(db.replicas, "read replica")),
        );
    }
    if let Some(within) = e.snapshot_within {
        let newest = snapshots
            .iter()
            .filter(|s| s.database == db.id && s.status == "available")
            .filter_map(|s| s.created)
            .max();
        let wanted = format!("a snapshot within {}", format_duration(within.0));
        match newest {
            Some(t) => v.check(
                now - t <= secs(within.0),
                wanted,
                format!("{id}: newest {} ago", age(now - t)),
                || {
                    format!(
                        "{id}: newest snapshot {} ago > {}",
                        age(now - t),
                        format_duration(within.0)
                    )
                },
            ),
            None => v.check(false, wanted, format!("{id}: none"), || {
                format!("{id}: no snapshot")
            }),
        }
    }
    v.finish(&format!("{id}: {} {} {}", db.status, db.engine, db.version))
}

fn flag(v: &mut Verdicts, id: &str, wanted: Option<bool>, seen: bool, yes: &str, no: &str) {
    let Some(wanted) = wanted else { return };
    let say = |b: bool| if b { yes } else { no };
    v.check(
        wanted == seen,
        say(wanted).to_owned(),
        format!("{id}: {}", say(seen)),
        || format!("{id}: {}", say(seen)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::scalar::Dur;
    use crate::outcome::Verdict;
    use std::time::Duration;

    fn db() -> Database {
        Database {
            id: "db-prod".into(),
            status: "available".into(),
            engine: "postgres".into(),
            version: "15.10".into(),
            multi_az: true,
            encrypted: true,
            deletion_protection: true,
            retention_days: 7,
            latest_restorable: Some(1_000_000 - 120),
            replicas: 1,
            public: false,
        }
    }

    fn strict() -> RdsExpect {
        RdsExpect {
            engine: Some("postgres".into()),
            min_version: Some("15.4".into()),
            multi_az: Some(true),
            encrypted: Some(true),
            deletion_protection: Some(true),
            backup_retention_days: Some(7),
            restorable_within: Some(Dur(Duration::from_secs(900))),
            read_replicas: Some(1),
            publicly_accessible: Some(false),
            snapshot_within: Some(Dur(Duration::from_secs(86_400))),
            ..RdsExpect::default()
        }
    }

    #[test]
    fn versions_compare_number_by_number() {
        assert!(version_at_least("15.10", "15.4"));
        assert!(!version_at_least("14.9", "15"));
        assert!(version_at_least("8.0.35", "8.0"));
        assert!(!version_at_least("8.0.35", "8.0.36"));
    }

    #[test]
    fn a_healthy_database_passes_every_check() {
        let snaps = vec![Snapshot {
            database: "db-prod".into(),
            created: Some(1_000_000 - 3600),
            status: "available".into(),
        }];
        let f = judge(&db(), &snaps, &strict(), 1_000_000);
        assert_eq!(f.verdict, Verdict::Pass, "{}", f.evidence);
        assert_eq!(f.evidence, "db-prod: available postgres 15.10");
        assert_eq!(f.checks.len(), 11);
    }

    #[test]
    fn every_miss_names_the_database_and_attribute() {
        let bad = Database {
            version: "13.4".into(),
            multi_az: false,
            encrypted: false,
            deletion_protection: false,
            retention_days: 0,
            latest_restorable: Some(1_000_000 - 42 * 60),
            replicas: 0,
            public: true,
            ..db()
        };
        let f = judge(&bad, &[], &strict(), 1_000_000);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "db-prod: engine version 13.4 < 15.4; db-prod: not Multi-AZ; db-prod: storage not encrypted; \
             db-prod: deletion protection off; db-prod: publicly accessible; db-prod: backup retention 0 days < 7; \
             db-prod: no point-in-time recovery (automated backups off); db-prod: 0 read replicas < 1; db-prod: no snapshot"
        );
        let late = Database {
            latest_restorable: Some(1_000_000 - 42 * 60),
            ..db()
        };
        assert_eq!(
            judge(
                &late,
                &[Snapshot {
                    database: "db-prod".into(),
                    created: Some(999_000),
                    status: "available".into()
                }],
                &strict(),
                1_000_000
            )
            .evidence,
            "db-prod: latest restorable time 42m ago > 15m"
        );
    }
}
