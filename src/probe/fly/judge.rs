//! The `fly` probe's comparisons (pure): machines started where and as many
//! as expected with their health checks passing, the expected image deployed,
//! volumes attached, secrets present by name.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::api::{Machine, Volume};
use crate::checklist::text::Text;
use crate::probe::expect::{Part, check, excerpt, soft_check};
use crate::probe::kubernetes::fields::List;

/// Settings of the `machines` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachinesCheck {
    /// At least this many machines started (default 1).
    #[serde(default = "one")]
    pub min: usize,
    /// Exactly this many machines started.
    #[serde(default)]
    pub count: Option<usize>,
    /// Regions that must each have a started machine (`iad`, `ord`).
    #[serde(default)]
    pub regions: Option<List<Text>>,
    /// Every health check of every started machine passing (default `true`;
    /// a `warning` check warns).
    #[serde(default = "yes")]
    pub checks: bool,
}

impl Default for MachinesCheck {
    fn default() -> Self {
        MachinesCheck {
            min: 1,
            count: None,
            regions: None,
            checks: true,
        }
    }
}

/// Settings of the `volumes` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VolumesCheck {
    /// At least this many volumes (default 1).
    #[serde(default = "one")]
    pub min: usize,
}

impl Default for VolumesCheck {
    fn default() -> Self {
        VolumesCheck { min: 1 }
    }
}

fn one() -> usize {
    1
}

fn yes() -> bool {
    true
}

/// `1 machine`, `2 machines`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn who(m: &Machine) -> String {
    format!("machine {} ({})", m.id, m.region)
}

fn started(machines: &[Machine]) -> Vec<&Machine> {
    machines.iter().filter(|m| m.state == "started").collect()
}

/// Machines started in number and in the regions given, health checks passing.
pub fn machines(machines: &[Machine], settings: &MachinesCheck) -> Part {
    let up = started(machines);
    let mut checks = Vec::new();
    let regions: BTreeSet<&str> = up.iter().map(|m| m.region.as_str()).collect();
    let others: Vec<String> = machines
        .iter()
        .filter(|m| m.state != "started")
        .map(|m| format!("{} {}", m.id, m.state))
        .collect();
    let mut seen = format!(
        "{} started ({})",
        plural(up.len(), "machine"),
        regions.iter().copied().collect::<Vec<_>>().join(", ")
    );
    if !others.is_empty() {
        seen.push_str(&format!("; not started: {}", others.join(", ")));
    }
    let (ok, expected) = match settings.count {
        Some(n) => (up.len() == n, format!("exactly {n} machines started")),
        None => (
            up.len() >= settings.min,
            format!("at least {} machines started", settings.min),
        ),
    };
    checks.push(check(ok, expected, seen.clone()));
    for region in settings.regions.iter().flat_map(|r| r.0.iter()) {
        let region = region.trim();
        let ok = regions.contains(region);
        let observed = if ok {
            format!("region {region}: started")
        } else {
            format!("region {region}: no started machine")
        };
        checks.push(check(
            ok,
            format!("a started machine in {region}"),
            observed,
        ));
    }
    if settings.checks {
        for m in &up {
            for c in m.checks.iter().flatten() {
                let expected = format!("{} check {} passing", who(m), c.name);
                let output = c
                    .output
                    .as_deref()
                    .map(|o| format!(": {}", excerpt(o, 120)))
                    .unwrap_or_default();
                let observed = format!("{}: check {} {}{output}", who(m), c.name, c.status);
                checks.push(match c.status.as_str() {
                    "passing" => check(true, expected, observed),
                    "warning" => soft_check(false, expected, observed),
                    _ => check(false, expected, observed),
                });
            }
        }
    }
    Part {
        checks,
        summary: seen,
    }
}

/// Whether machine `m` runs `expected`: a tag, a digest, or the image as written.
fn runs(m: &Machine, expected: &str) -> bool {
    let image = m
        .config
        .as_ref()
        .and_then(|c| c.image.as_deref())
        .unwrap_or_default();
    let r = m.image_ref.clone().unwrap_or_default();
    let tag = r.tag.unwrap_or_default();
    let digest = r.digest.unwrap_or_default();
    let repository = r.repository.unwrap_or_default();
    let candidates = [
        image.to_owned(),
        tag.clone(),
        digest,
        format!("{repository}:{tag}"),
        format!("{}/{repository}:{tag}", r.registry.unwrap_or_default()),
    ];
    !expected.is_empty() && candidates.iter().any(|c| c == expected)
        || image.rsplit_once(':').is_some_and(|(_, t)| t == expected)
        || image.rsplit_once('@').is_some_and(|(_, d)| d == expected)
}

/// The image a machine runs, as people read it.
fn image_of(m: &Machine) -> String {
    let from_config = m.config.as_ref().and_then(|c| c.image.clone());
    let from_ref = m.image_ref.as_ref().map(|r| {
        format!(
            "{}:{}",
            r.repository.clone().unwrap_or_default(),
            r.tag.clone().unwrap_or_default()
        )
    });
    from_config
        .or(from_ref)
        .unwrap_or_else(|| "no image".to_owned())
}

/// Every started machine runs `expected`.
pub fn image(machines: &[Machine], expected: &str) -> Part {
    let up = started(machines);
    let mut checks = Vec::new();
    for m in &up {
        let ok = runs(m, expected);
        let observed = if ok {
            format!("{}: runs {}", who(m), image_of(m))
        } else {
            format!("{}: runs {}, expected {expected}", who(m), image_of(m))
        };
        checks.push(check(ok, format!("{} runs {expected}", who(m)), observed));
    }
    if up.is_empty() {
        checks.push(check(
            false,
            format!("started machines running {expected}"),
            "no machine started",
        ));
    }
    Part {
        checks,
        summary: format!("{} machines run {expected}", up.len()),
    }
}

/// Enough volumes, each attached to a machine, and every mount of a started
/// machine backed by one of them.
pub fn volumes(volumes: &[Volume], machines: &[Machine], settings: &VolumesCheck) -> Part {
    let live: Vec<&Volume> = volumes
        .iter()
        .filter(|v| {
            v.state.as_deref() != Some("destroyed") && v.state.as_deref() != Some("pending_destroy")
        })
        .collect();
    let mut checks = vec![check(
        live.len() >= settings.min,
        format!("at least {} volumes", settings.min),
        format!("{} volumes", live.len()),
    )];
    for v in &live {
        let name = format!("volume {} ({}, {})", v.name, v.id, v.region);
        match v.attached_machine_id.as_deref().filter(|id| !id.is_empty()) {
            Some(id) => checks.push(check(
                true,
                format!("{name} attached"),
                format!("{name}: attached to {id}"),
            )),
            None => checks.push(check(
                false,
                format!("{name} attached"),
                format!("{name}: not attached to a machine"),
            )),
        }
    }
    for m in started(machines) {
        for mount in m.config.iter().flat_map(|c| c.mounts.iter().flatten()) {
            let id = mount.volume.clone().unwrap_or_default();
            if !live.iter().any(|v| v.id == id) {
                checks.push(check(
                    false,
                    format!("{} mount backed by a volume", who(m)),
                    format!(
                        "{}: mounts {id} at {}, which is not a volume of the app",
                        who(m),
                        mount.path.clone().unwrap_or_default()
                    ),
                ));
            }
        }
    }
    let attached = live
        .iter()
        .filter(|v| {
            v.attached_machine_id
                .as_deref()
                .is_some_and(|id| !id.is_empty())
        })
        .count();
    Part {
        checks,
        summary: format!("{attached}/{} volumes attached", live.len()),
    }
}

/// Every name in `wanted` is among the app's secrets.
pub fn secrets(names: &[String], wanted: &[&str]) -> Part {
    let checks = wanted
        .iter()
        .map(|w| {
            let ok = names.iter().any(|n| n == w);
            check(
                ok,
                format!("secret {w} set"),
                if ok {
                    format!("secret {w}: set")
                } else {
                    format!("secret {w}: not set")
                },
            )
        })
        .collect();
    Part {
        checks,
        summary: format!("secrets set: {}", wanted.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use crate::probe::fly::api::{CheckStatus, ImageRef, MachineConfig, Mount};

    fn machine(id: &str, region: &str, state: &str, check: &str, tag: &str) -> Machine {
        Machine {
            id: id.into(),
            name: None,
            state: state.into(),
            region: region.into(),
            config: Some(MachineConfig {
                image: Some(format!("registry.fly.io/rtpm-api:{tag}")),
                mounts: Some(vec![Mount {
                    volume: Some(format!("vol_{id}")),
                    path: Some("/data".into()),
                }]),
                metadata: None,
            }),
            image_ref: Some(ImageRef {
                registry: Some("registry.fly.io".into()),
                repository: Some("rtpm-api".into()),
                tag: Some(tag.into()),
                digest: Some("sha256:ab12".into()),
            }),
            checks: Some(vec![CheckStatus {
                name: "servicecheck-00-http-8080".into(),
                status: check.into(),
                output: Some("HTTP GET /health: 503".into()),
            }]),
        }
    }

    #[test]
    fn machines_count_regions_and_checks() {
        let all = [
            machine("a1", "iad", "started", "passing", "v2"),
            machine("b2", "ord", "started", "critical", "v2"),
            machine("c3", "ams", "stopped", "passing", "v2"),
        ];
        let settings = MachinesCheck {
            min: 2,
            regions: Some(List(vec![Text::literal("iad"), Text::literal("cdg")])),
            ..MachinesCheck::default()
        };
        let part = machines(&all, &settings);
        let failed: Vec<&str> = part
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.observed.as_str())
            .collect();
        assert_eq!(
            failed,
            [
                "region cdg: no started machine",
                "machine b2 (ord): check servicecheck-00-http-8080 critical: HTTP GET /health: 503"
            ]
        );
        assert_eq!(
            part.summary,
            "2 machines started (iad, ord); not started: c3 stopped"
        );
        let exact = MachinesCheck {
            count: Some(3),
            checks: false,
            ..MachinesCheck::default()
        };
        assert_eq!(machines(&all, &exact).checks[0].verdict, Verdict::Fail);
        let fine = MachinesCheck {
            checks: false,
            ..MachinesCheck::default()
        };
        assert!(
            machines(&all, &fine)
                .checks
                .iter()
                .all(|c| c.verdict == Verdict::Pass)
        );
    }

    #[test]
    fn images_match_by_tag_digest_or_reference() {
        let all = [
            machine("a1", "iad", "started", "passing", "deployment-02"),
            machine("b2", "ord", "started", "passing", "deployment-01"),
        ];
        let part = image(&all, "deployment-02");
        assert_eq!(
            part.checks[1].observed,
            "machine b2 (ord): runs registry.fly.io/rtpm-api:deployment-01, expected deployment-02"
        );
        assert_eq!(part.checks[0].verdict, Verdict::Pass);
        assert!(
            image(&all[..1], "registry.fly.io/rtpm-api:deployment-02").checks[0].verdict
                == Verdict::Pass
        );
        assert!(
            image(&all, "sha256:ab12")
                .checks
                .iter()
                .all(|c| c.verdict == Verdict::Pass)
        );
    }

    #[test]
    fn volumes_are_attached_and_back_every_mount() {
        let all = [machine("a1", "iad", "started", "passing", "v")];
        let attached = Volume {
            id: "vol_a1".into(),
            name: "data".into(),
            state: Some("created".into()),
            region: "iad".into(),
            attached_machine_id: Some("a1".into()),
        };
        let loose = Volume {
            id: "vol_zz".into(),
            name: "data".into(),
            state: Some("created".into()),
            region: "ord".into(),
            attached_machine_id: None,
        };
        let ok = volumes(
            std::slice::from_ref(&attached),
            &all,
            &VolumesCheck::default(),
        );
        assert!(
            ok.checks.iter().all(|c| c.verdict == Verdict::Pass),
            "{ok:?}"
        );
        let bad = volumes(&[loose], &all, &VolumesCheck::default());
        let failed: Vec<&str> = bad
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.observed.as_str())
            .collect();
        assert_eq!(
            failed,
            [
                "volume data (vol_zz, ord): not attached to a machine",
                "machine a1 (iad): mounts vol_a1 at /data, which is not a volume of the app"
            ]
        );
    }

    #[test]
    fn secrets_by_name() {
        let part = secrets(&["DATABASE_URL".into()], &["DATABASE_URL", "JWT_SECRET"]);
        assert_eq!(part.checks[0].verdict, Verdict::Pass);
        assert_eq!(part.checks[1].observed, "secret JWT_SECRET: not set");
    }
}
