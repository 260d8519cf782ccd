//! The `redis` comparison (pure): INFO and friends against what the probe asks.

use crate::checklist::scalar::format_duration;
use crate::outcome::Check;
use crate::probe::expect::{Finding, check};

use super::{RedisProbe, Role, Seen};

fn get<'a>(seen: &'a Seen, key: &str) -> &'a str {
    seen.info.get(key).map_or("", String::as_str)
}

fn number(seen: &Seen, key: &str) -> i64 {
    get(seen, key).parse().unwrap_or(0)
}

fn mib(bytes: i64) -> String {
    format!("{:.1}MiB", bytes as f64 / 1_048_576.0)
}

/// Turns what was seen into a finding.
pub fn judge(probe: &RedisProbe, seen: &Seen) -> Finding {
    let mut checks: Vec<Check> = Vec::new();
    let role = get(seen, "role");
    let shown_role = if role == "slave" { "replica" } else { role };
    let mut summary = vec![format!(
        "Redis {} {shown_role}{} answered PING",
        get(seen, "redis_version"),
        if seen.tls { " over TLS" } else { "" }
    )];
    if let Some(want) = probe.role {
        let (name, ok) = match want {
            Role::Master => ("master", role == "master"),
            Role::Replica => ("replica", role == "slave"),
        };
        checks.push(check(ok, format!("role {name}"), shown_role.to_owned()));
    }
    if role == "slave" {
        let link = get(seen, "master_link_status");
        checks.push(check(
            link == "up",
            "the link to the master up",
            format!("master_link_status {link}"),
        ));
    }
    if let Some(min) = probe.min_replicas {
        let connected = number(seen, "connected_slaves");
        let online: Vec<String> = (0..connected)
            .filter_map(|i| seen.info.get(&format!("slave{i}")))
            .map(|line| {
                let field = |name: &str| {
                    line.split(',')
                        .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                        .unwrap_or("?")
                        .to_owned()
                };
                format!("{}:{} {}", field("ip"), field("port"), field("state"))
            })
            .collect();
        let ok = connected >= i64::from(min);
        checks.push(check(
            ok,
            format!("at least {min} connected replica(s)"),
            if online.is_empty() {
                "none".to_owned()
            } else {
                format!("{connected}: {}", online.join(", "))
            },
        ));
        summary.push(format!("{connected} replica(s)"));
    }
    if let Some(want) = probe.cluster {
        let enabled = get(seen, "cluster_enabled") == "1";
        checks.push(check(
            enabled == want,
            if want {
                "cluster mode enabled"
            } else {
                "cluster mode disabled"
            },
            if enabled { "enabled" } else { "disabled" },
        ));
        if want && enabled {
            let state = seen.cluster.get("cluster_state").map_or("", String::as_str);
            checks.push(check(
                state == "ok",
                "cluster_state:ok",
                format!(
                    "cluster_state:{state} ({} of 16384 slots assigned, {} known node(s))",
                    seen.cluster
                        .get("cluster_slots_assigned")
                        .map_or("?", String::as_str),
                    seen.cluster
                        .get("cluster_known_nodes")
                        .map_or("?", String::as_str),
                ),
            ));
        }
    }
    if let Some(p) = &probe.persistence {
        if let Some(want) = p.aof {
            let on = get(seen, "aof_enabled") == "1";
            checks.push(check(
                on == want,
                format!("AOF {}", if want { "on" } else { "off" }),
                if on { "on" } else { "off" },
            ));
            if on {
                for key in ["aof_last_write_status", "aof_last_bgrewrite_status"] {
                    let status = get(seen, key);
                    checks.push(check(
                        status == "ok",
                        format!("{key} ok"),
                        status.to_owned(),
                    ));
                }
            }
        }
        if let (Some(want), Some(save)) = (p.rdb, &seen.save) {
            match save {
                Ok(points) => {
                    let on = !points.trim().is_empty();
                    checks.push(check(
                        on == want,
                        format!("RDB snapshots {}", if want { "configured" } else { "off" }),
                        if on {
                            format!("save \"{points}\"")
                        } else {
                            "save \"\" (off)".to_owned()
                        },
                    ));
                }
                Err(e) => checks.push(check(
                    false,
                    "RDB configuration readable (CONFIG GET save)",
                    e.clone(),
                )),
            }
        }
        if let Some(max) = p.max_save_age {
            let last = number(seen, "rdb_last_save_time");
            let age = (seen.now - last).max(0);
            let status = get(seen, "rdb_last_bgsave_status");
            checks.push(check(
                (age as u64) <= max.0.as_secs(),
                format!("the last RDB save within {max}"),
                format!(
                    "{} ago",
                    format_duration(std::time::Duration::from_secs(age as u64))
                ),
            ));
            checks.push(check(
                status == "ok",
                "the last background save ok",
                format!("rdb_last_bgsave_status {status}"),
            ));
        }
    }
    let maxmemory = number(seen, "maxmemory");
    if probe.maxmemory.is_some() || probe.max_memory_used.is_some() {
        let want = probe.maxmemory.unwrap_or(true);
        checks.push(check(
            (maxmemory > 0) == want,
            if want {
                "maxmemory set"
            } else {
                "maxmemory unset"
            },
            if maxmemory > 0 {
                format!("maxmemory {}", mib(maxmemory))
            } else {
                "maxmemory 0 (no limit)".to_owned()
            },
        ));
    }
    if let Some(policy) = &probe.maxmemory_policy {
        let got = get(seen, "maxmemory_policy");
        checks.push(check(
            got == policy,
            format!("maxmemory-policy {policy}"),
            got.to_owned(),
        ));
    }
    if let Some(max) = probe.max_memory_used
        && maxmemory > 0
    {
        let used = number(seen, "used_memory");
        let share = used as f64 * 100.0 / maxmemory as f64;
        let observed = format!("{share:.1}% ({} of {})", mib(used), mib(maxmemory));
        checks.push(check(
            share <= max.0,
            format!("memory used <= {max}"),
            observed.clone(),
        ));
        summary.push(format!("memory {observed}"));
    }
    for (channel, min) in &probe.channels {
        let got = seen
            .subscribers
            .iter()
            .find(|(c, _)| c == channel)
            .map_or(0, |(_, n)| *n);
        checks.push(check(
            got >= *min,
            format!("channel {channel} with >= {min} subscriber(s)"),
            got.to_string(),
        ));
    }
    Finding::from_checks(checks, &summary.join("; "), "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;

    fn seen(info: &str) -> Seen {
        Seen {
            info: super::super::parse_info(info),
            now: 1_000_000,
            ..Seen::default()
        }
    }

    #[test]
    fn replicas_and_memory() {
        let p: RedisProbe = serde_saphyr::from_str(
            "{ url: 'redis://h', role: master, min_replicas: 2, max_memory_used: 50%, maxmemory_policy: allkeys-lru }",
        )
        .unwrap();
        let s = seen(
            "# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=10.0.0.2,port=6379,state=online,offset=1,lag=0\r\nredis_version:7.0.15\r\nmaxmemory:1048576\r\nused_memory:786432\r\nmaxmemory_policy:noeviction\r\n",
        );
        let f = judge(&p, &s);
        assert_eq!(f.verdict, Verdict::Fail);
        assert_eq!(
            f.evidence,
            "expected at least 2 connected replica(s), got 1: 10.0.0.2:6379 online; expected maxmemory-policy allkeys-lru, got noeviction; expected memory used <= 50%, got 75.0% (0.8MiB of 1.0MiB)"
        );
    }

    #[test]
    fn old_saves_fail() {
        let p: RedisProbe =
            serde_saphyr::from_str("{ url: 'redis://h', persistence: { max_save_age: 1h } }")
                .unwrap();
        let s = seen("role:master\r\nrdb_last_save_time:990000\r\nrdb_last_bgsave_status:err\r\n");
        assert_eq!(
            judge(&p, &s).evidence,
            "expected the last RDB save within 1h, got 2h 46m 40s ago; expected the last background save ok, got rdb_last_bgsave_status err"
        );
    }
}
