//! `pods`: the pods of a selector are Ready; none is crash-looping, failing to
//! pull its image, OOM-killed, or Pending past a grace period; restarts stay
//! under a threshold. Pure: pods and the time in, checks out.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use serde::Deserialize;

use super::Part;
use crate::checklist::scalar::Dur;
use crate::outcome::Check;
use crate::probe::expect::{check, excerpt, soft_check};

/// Settings of the `pods` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodsCheck {
    /// The pods to look at (default: the probe's `selector`, else every pod
    /// in the namespace).
    #[serde(default)]
    pub selector: Option<crate::checklist::text::Text>,
    /// More restarts than this (of any one pod, all containers together) fail (default 5).
    #[serde(default = "default_restarts")]
    pub max_restarts: i32,
    /// A pod Pending or not Ready for longer than this fails; younger, it
    /// warns (default 5m).
    #[serde(default = "default_grace")]
    pub pending_grace: Dur,
    /// At least this many pods must be Ready (default 1).
    #[serde(default = "default_min")]
    pub min_ready: usize,
}

impl Default for PodsCheck {
    fn default() -> Self {
        PodsCheck {
            selector: None,
            max_restarts: default_restarts(),
            pending_grace: default_grace(),
            min_ready: default_min(),
        }
    }
}

fn default_restarts() -> i32 {
    5
}

fn default_grace() -> Dur {
    Dur(std::time::Duration::from_secs(300))
}

fn default_min() -> usize {
    1
}

/// Container states that never get better by waiting.
const BAD_WAITING: &[&str] = &[
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

/// Judges `pods` (already selected) at `now` (Unix seconds); `scope` says
/// which pods they are, for evidence (`app=graphql-api in candlefish-prod`).
pub fn judge(pods: &[Pod], settings: &PodsCheck, now: i64, scope: &str) -> Part {
    let grace = i64::try_from(settings.pending_grace.0.as_secs()).unwrap_or(i64::MAX);
    let mut checks = Vec::new();
    let mut ready = 0usize;
    let mut counted = 0usize;
    for pod in pods {
        let phase = pod
            .status
            .as_ref()
            .and_then(|s| s.phase.as_deref())
            .unwrap_or("Unknown");
        if phase == "Succeeded" {
            continue;
        }
        counted += 1;
        let (pod_check, is_ready) = one(pod, phase, settings, now, grace);
        ready += usize::from(is_ready);
        checks.push(pod_check);
    }
    let enough = ready >= settings.min_ready;
    let observed = if counted == 0 {
        format!("no pods ({scope})")
    } else {
        format!("{ready}/{counted} pods ready ({scope})")
    };
    checks.insert(
        0,
        check(
            enough,
            format!("at least {} pod(s) ready ({scope})", settings.min_ready),
            observed.clone(),
        ),
    );
    Part {
        checks,
        summary: observed,
    }
}

fn one(pod: &Pod, phase: &str, settings: &PodsCheck, now: i64, grace: i64) -> (Check, bool) {
    let name = format!("pod {}", pod.metadata.name.as_deref().unwrap_or("?"));
    let status = pod.status.clone().unwrap_or_default();
    let containers: Vec<&ContainerStatus> = status
        .init_container_statuses
        .iter()
        .flatten()
        .chain(status.container_statuses.iter().flatten())
        .collect();
    let mut problems: Vec<String> = Vec::new();
    let mut waiting = false;
    if phase == "Failed" {
        problems.push(format!(
            "Failed{}",
            status
                .reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ));
    }
    for c in &containers {
        let state = c.state.as_ref();
        if let Some(reason) = state
            .and_then(|s| s.waiting.as_ref())
            .and_then(|w| w.reason.as_deref())
            && BAD_WAITING.contains(&reason)
            && !problems.iter().any(|p| p == reason)
        {
            problems.push(reason.to_owned());
        }
        let oom = |t: Option<&k8s_openapi::api::core::v1::ContainerStateTerminated>| {
            t.and_then(|t| t.reason.as_deref()) == Some("OOMKilled")
        };
        if (oom(state.and_then(|s| s.terminated.as_ref()))
            || oom(c.last_state.as_ref().and_then(|s| s.terminated.as_ref())))
            && !problems.iter().any(|p| p == "OOMKilled")
        {
            problems.push("OOMKilled".to_owned());
        }
    }
    let restarts: i32 = containers.iter().map(|c| c.restart_count).sum();
    if restarts > settings.max_restarts || (!problems.is_empty() && restarts > 0) {
        problems.push(format!("{restarts} restarts"));
    }
    let conditions = status.conditions.clone().unwrap_or_default();
    let ready_condition = conditions.iter().find(|c| c.type_ == "Ready");
    let is_ready = phase == "Running" && ready_condition.is_some_and(|c| c.status == "True");
    let age = |since: Option<i64>| since.map_or(i64::MAX, |t| now.saturating_sub(t));
    if phase == "Pending" {
        let created = pod
            .metadata
            .creation_timestamp
            .as_ref()
            .map(|t| t.0.as_second());
        let for_ = age(created);
        let why = conditions
            .iter()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False")
            .map(|c| {
                let reason = c.reason.clone().unwrap_or_default();
                match c.message.as_deref() {
                    Some(m) => format!(" ({reason}: {})", excerpt(m, 120)),
                    None => format!(" ({reason})"),
                }
            })
            .unwrap_or_default();
        problems.push(format!("Pending for {}{why}", minutes(for_)));
        waiting = for_ <= grace && problems.len() == 1;
    } else if phase == "Running" && !is_ready {
        let since = ready_condition
            .and_then(|c| c.last_transition_time.as_ref())
            .map(|t| t.0.as_second());
        let for_ = age(since);
        problems.push(format!("not ready for {}", minutes(for_)));
        waiting = for_ <= grace && problems.len() == 1;
    }
    let expected = format!("{name} ready, no restarts over {}", settings.max_restarts);
    if problems.is_empty() {
        return (check(true, expected, format!("{name}: ready")), is_ready);
    }
    let observed = format!("{name}: {}", problems.join(", "));
    let verdict = if waiting {
        soft_check(false, expected, observed)
    } else {
        check(false, expected, observed)
    };
    (verdict, is_ready)
}

fn minutes(seconds: i64) -> String {
    match seconds {
        i64::MAX => "an unknown time".to_owned(),
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use k8s_openapi::api::core::v1::{
        ContainerState, ContainerStateWaiting, PodCondition, PodStatus,
    };
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

    const NOW: i64 = 1_800_000_000;

    fn at(seconds_ago: i64) -> Time {
        Time(k8s_openapi::jiff::Timestamp::from_second(NOW - seconds_ago).unwrap())
    }

    fn pod(name: &str, phase: &str, ready: bool, waiting: Option<&str>, restarts: i32) -> Pod {
        Pod {
            metadata: ObjectMeta {
                name: Some(name.into()),
                creation_timestamp: Some(at(3600)),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(PodStatus {
                phase: Some(phase.into()),
                conditions: Some(vec![PodCondition {
                    type_: "Ready".into(),
                    status: if ready { "True" } else { "False" }.into(),
                    last_transition_time: Some(at(1800)),
                    ..PodCondition::default()
                }]),
                container_statuses: Some(vec![ContainerStatus {
                    name: "api".into(),
                    restart_count: restarts,
                    ready,
                    state: waiting.map(|reason| ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: Some(reason.into()),
                            message: None,
                        }),
                        ..ContainerState::default()
                    }),
                    ..ContainerStatus::default()
                }]),
                ..PodStatus::default()
            }),
        }
    }

    #[test]
    fn ready_pods_pass() {
        let part = judge(
            &[pod("api-1", "Running", true, None, 0)],
            &PodsCheck::default(),
            NOW,
            "app=api",
        );
        assert!(part.checks.iter().all(|c| c.verdict == Verdict::Pass));
        assert_eq!(part.summary, "1/1 pods ready (app=api)");
    }

    #[test]
    fn a_crash_loop_names_the_pod_reason_and_restarts() {
        let part = judge(
            &[
                pod("api-1", "Running", true, None, 0),
                pod("api-7d9", "Running", false, Some("CrashLoopBackOff"), 12),
            ],
            &PodsCheck::default(),
            NOW,
            "app=api",
        );
        let failed: Vec<&str> = part
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.observed.as_str())
            .collect();
        assert_eq!(
            failed,
            ["pod api-7d9: CrashLoopBackOff, 12 restarts, not ready for 30m"]
        );
    }

    #[test]
    fn restarts_over_the_threshold_fail_alone() {
        let part = judge(
            &[pod("api-1", "Running", true, None, 6)],
            &PodsCheck::default(),
            NOW,
            "app=api",
        );
        assert_eq!(part.checks[1].observed, "pod api-1: 6 restarts");
        assert_eq!(part.checks[1].verdict, Verdict::Fail);
    }

    #[test]
    fn pending_within_the_grace_period_warns_then_fails() {
        let mut young = pod("api-2", "Pending", false, None, 0);
        young.metadata.creation_timestamp = Some(at(30));
        young.status.as_mut().unwrap().conditions = None;
        let part = judge(
            &[young.clone()],
            &PodsCheck {
                min_ready: 0,
                ..PodsCheck::default()
            },
            NOW,
            "app=api",
        );
        assert_eq!(part.checks[1].verdict, Verdict::Warn);
        assert_eq!(part.checks[1].observed, "pod api-2: Pending for 30s");
        young.metadata.creation_timestamp = Some(at(900));
        let part = judge(&[young], &PodsCheck::default(), NOW, "app=api");
        assert_eq!(part.checks[1].verdict, Verdict::Fail);
        assert_eq!(part.checks[0].observed, "0/1 pods ready (app=api)");
    }

    #[test]
    fn no_pods_fail() {
        let part = judge(&[], &PodsCheck::default(), NOW, "app=api in prod");
        assert_eq!(part.checks[0].verdict, Verdict::Fail);
        assert_eq!(part.checks[0].observed, "no pods (app=api in prod)");
    }
}
