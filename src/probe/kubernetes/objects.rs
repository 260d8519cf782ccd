//! Objects that must be there or done: jobs completed (`job`), secrets and
//! config maps present (`exists`, metadata only), nodes Ready and under no
//! pressure (`nodes`), and no Warning events lately (`events`).

use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Node, Secret};
use serde::Deserialize;

use super::fields::{Named, NamedKind};
use super::{Part, Reads};
use crate::checklist::scalar::Dur;
use crate::checklist::text::Text;
use crate::outcome::Check;
use crate::probe::expect::{check, excerpt, soft_check};

/// Settings of the `nodes` check.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodesCheck {
    /// A label selector for the nodes (default: all of them).
    #[serde(default)]
    pub selector: Option<Text>,
    /// At least this many nodes Ready (default 1).
    #[serde(default)]
    pub min_ready: Option<usize>,
}

/// Settings of the `events` check.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsCheck {
    /// How far back to look (default 15m).
    #[serde(default = "quarter_hour")]
    pub within: Dur,
    /// How many Warning events are tolerated (default 0).
    #[serde(default)]
    pub max: usize,
    /// `true`: more than `max` fails the probe; by default it warns.
    #[serde(default)]
    pub fail: bool,
}

impl Default for EventsCheck {
    fn default() -> Self {
        EventsCheck {
            within: quarter_hour(),
            max: 0,
            fail: false,
        }
    }
}

fn quarter_hour() -> Dur {
    Dur(std::time::Duration::from_secs(900))
}

pub(super) async fn jobs(reads: &Reads<'_>, names: &[Text]) -> Result<Part, String> {
    let jobs = reads
        .lists
        .typed::<Job>(reads.cluster, reads.query(None))
        .await?;
    let mut checks = Vec::new();
    for name in names {
        let name = name.trim();
        let job = jobs
            .iter()
            .find(|j| j.metadata.name.as_deref() == Some(name));
        checks.push(judge_job(name, job, &reads.namespace));
    }
    let summary = checks
        .iter()
        .map(|c| c.observed.clone())
        .collect::<Vec<_>>()
        .join("; ");
    Ok(Part { checks, summary })
}

/// Whether job `name` completed.
pub fn judge_job(name: &str, job: Option<&Job>, namespace: &str) -> Check {
    let object = format!("job/{name}");
    let expected = format!("{object} completed");
    let Some(job) = job else {
        return check(
            false,
            expected,
            format!("{object}: not found in namespace {namespace}"),
        );
    };
    let status = job.status.clone().unwrap_or_default();
    let condition = |kind: &str| {
        status
            .conditions
            .iter()
            .flatten()
            .find(|c| c.type_ == kind && c.status == "True")
            .cloned()
    };
    let succeeded = status.succeeded.unwrap_or(0);
    let completions = job.spec.as_ref().and_then(|s| s.completions).unwrap_or(1);
    if condition("Complete").is_some() {
        return check(
            true,
            expected,
            format!("{object}: completed ({succeeded}/{completions} succeeded)"),
        );
    }
    if let Some(failed) = condition("Failed") {
        let why = failed.reason.unwrap_or_default();
        let message = failed
            .message
            .map(|m| format!(": {}", excerpt(&m, 120)))
            .unwrap_or_default();
        return check(
            false,
            expected,
            format!("{object}: failed ({why}{message})"),
        );
    }
    let active = status.active.unwrap_or(0);
    let failed = status.failed.unwrap_or(0);
    check(
        false,
        expected,
        format!(
            "{object}: not complete ({active} active, {succeeded}/{completions} succeeded, {failed} failed)"
        ),
    )
}

pub(super) async fn exists(reads: &Reads<'_>, wanted: &[Named]) -> Result<Part, String> {
    let needs = |kind| wanted.iter().any(|w| w.kind == kind);
    let secrets = if needs(NamedKind::Secret) {
        Some(
            reads
                .lists
                .metadata::<Secret>(reads.cluster, reads.query(None))
                .await?,
        )
    } else {
        None
    };
    let maps = if needs(NamedKind::ConfigMap) {
        Some(
            reads
                .lists
                .metadata::<ConfigMap>(reads.cluster, reads.query(None))
                .await?,
        )
    } else {
        None
    };
    let mut checks = Vec::new();
    for w in wanted {
        let list = match w.kind {
            NamedKind::Secret => &secrets,
            NamedKind::ConfigMap => &maps,
        };
        let found = list
            .iter()
            .flat_map(|l| l.iter())
            .any(|m| m.name.as_deref() == Some(w.name.as_str()));
        let object = format!("{}/{}", w.kind.word(), w.name);
        let observed = if found {
            format!("{object}: present")
        } else {
            format!("{object}: not found in namespace {}", reads.namespace)
        };
        checks.push(check(found, format!("{object} exists"), observed));
    }
    let names: Vec<String> = wanted
        .iter()
        .map(|w| format!("{}/{}", w.kind.word(), w.name))
        .collect();
    Ok(Part {
        checks,
        summary: format!("present: {}", names.join(", ")),
    })
}

pub(super) async fn nodes(reads: &Reads<'_>, settings: &NodesCheck) -> Result<Part, String> {
    let labels = settings.selector.as_ref().map(|s| s.trim());
    let query = super::lists::Query {
        namespace: None,
        labels,
        fields: None,
    };
    let nodes = reads
        .lists
        .cluster_wide::<Node>(reads.cluster, query)
        .await?;
    Ok(judge_nodes(&nodes, settings.min_ready.unwrap_or(1)))
}

/// Each node Ready and under no pressure; at least `min_ready` Ready.
pub fn judge_nodes(nodes: &[Node], min_ready: usize) -> Part {
    let mut checks = Vec::new();
    let mut ready = 0;
    for node in nodes {
        let object = format!("node/{}", node.metadata.name.as_deref().unwrap_or("?"));
        let conditions = node
            .status
            .as_ref()
            .and_then(|s| s.conditions.clone())
            .unwrap_or_default();
        let is = |kind: &str| {
            conditions
                .iter()
                .find(|c| c.type_ == kind)
                .map(|c| c.status.as_str() == "True")
        };
        let mut problems = Vec::new();
        if is("Ready") == Some(true) {
            ready += 1;
        } else {
            problems.push("NotReady".to_owned());
        }
        for pressure in [
            "MemoryPressure",
            "DiskPressure",
            "PIDPressure",
            "NetworkUnavailable",
        ] {
            if is(pressure) == Some(true) {
                problems.push(pressure.to_owned());
            }
        }
        let expected = format!("{object} Ready, no pressure");
        if !problems.is_empty() {
            checks.push(check(
                false,
                expected,
                format!("{object}: {}", problems.join(", ")),
            ));
        } else if node.spec.as_ref().and_then(|s| s.unschedulable) == Some(true) {
            checks.push(soft_check(false, expected, format!("{object}: cordoned")));
        } else {
            checks.push(check(true, expected, format!("{object}: Ready")));
        }
    }
    let observed = format!("{ready}/{} nodes Ready", nodes.len());
    checks.insert(
        0,
        check(
            ready >= min_ready,
            format!("at least {min_ready} node(s) Ready"),
            observed.clone(),
        ),
    );
    Part {
        checks,
        summary: observed,
    }
}

pub(super) async fn events(
    reads: &Reads<'_>,
    settings: &EventsCheck,
    now: i64,
) -> Result<Part, String> {
    let query = super::lists::Query {
        namespace: Some(&reads.namespace),
        labels: None,
        fields: Some("type=Warning"),
    };
    let events = reads.lists.typed::<Event>(reads.cluster, query).await?;
    Ok(judge_events(&events, settings, now, &reads.namespace))
}

/// Warning events seen within the window, newest first.
pub fn judge_events(events: &[Event], settings: &EventsCheck, now: i64, namespace: &str) -> Part {
    let window = i64::try_from(settings.within.0.as_secs()).unwrap_or(i64::MAX);
    let mut recent: Vec<(i64, &Event)> = events
        .iter()
        .filter(|e| e.type_.as_deref() == Some("Warning"))
        .filter_map(|e| last_seen(e).map(|t| (t, e)))
        .filter(|(t, _)| now.saturating_sub(*t) <= window)
        .collect();
    recent.sort_by_key(|(t, _)| std::cmp::Reverse(*t));
    let within = crate::checklist::scalar::format_duration(settings.within.0);
    let expected = format!(
        "at most {} Warning events in {namespace} within {within}",
        settings.max
    );
    let ok = recent.len() <= settings.max;
    let mut checks = Vec::new();
    let summary = format!(
        "{} Warning events in {namespace} within {within}",
        recent.len()
    );
    for (_, e) in &recent {
        let object = e
            .involved_object
            .kind
            .as_deref()
            .unwrap_or("object")
            .to_ascii_lowercase();
        let name = e.involved_object.name.as_deref().unwrap_or("?");
        let count = e
            .count
            .filter(|c| *c > 1)
            .map(|c| format!(" (×{c})"))
            .unwrap_or_default();
        let observed = format!(
            "event {} on {object}/{name}{count}: {}",
            e.reason.as_deref().unwrap_or("Warning"),
            excerpt(e.message.as_deref().unwrap_or_default(), 120)
        );
        checks.push(if ok {
            check(true, &expected, observed)
        } else if settings.fail {
            check(false, &expected, observed)
        } else {
            soft_check(false, &expected, observed)
        });
    }
    if recent.is_empty() {
        checks.push(check(true, expected, summary.clone()));
    }
    Part { checks, summary }
}

fn last_seen(e: &Event) -> Option<i64> {
    e.series
        .as_ref()
        .and_then(|s| s.last_observed_time.as_ref())
        .map(|t| t.0.as_second())
        .or_else(|| e.last_timestamp.as_ref().map(|t| t.0.as_second()))
        .or_else(|| e.event_time.as_ref().map(|t| t.0.as_second()))
        .or_else(|| {
            e.metadata
                .creation_timestamp
                .as_ref()
                .map(|t| t.0.as_second())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use k8s_openapi::api::batch::v1::{JobCondition, JobStatus};
    use k8s_openapi::api::core::v1::{NodeCondition, NodeStatus, ObjectReference};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};

    fn job(condition: Option<(&str, &str)>) -> Job {
        Job {
            metadata: ObjectMeta {
                name: Some("migrate".into()),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(JobStatus {
                succeeded: Some(i32::from(condition.is_some_and(|c| c.0 == "Complete"))),
                active: Some(i32::from(condition.is_none())),
                conditions: condition.map(|(kind, reason)| {
                    vec![JobCondition {
                        type_: kind.into(),
                        status: "True".into(),
                        reason: Some(reason.into()),
                        ..JobCondition::default()
                    }]
                }),
                ..JobStatus::default()
            }),
        }
    }

    #[test]
    fn jobs_complete_fail_or_run() {
        assert_eq!(
            judge_job("migrate", Some(&job(Some(("Complete", "")))), "p").observed,
            "job/migrate: completed (1/1 succeeded)"
        );
        let failed = judge_job(
            "migrate",
            Some(&job(Some(("Failed", "BackoffLimitExceeded")))),
            "p",
        );
        assert_eq!(
            (failed.verdict, failed.observed.as_str()),
            (Verdict::Fail, "job/migrate: failed (BackoffLimitExceeded)")
        );
        assert_eq!(
            judge_job("migrate", Some(&job(None)), "p").observed,
            "job/migrate: not complete (1 active, 0/1 succeeded, 0 failed)"
        );
        assert_eq!(judge_job("x", None, "p").verdict, Verdict::Fail);
    }

    fn node(name: &str, ready: bool, pressure: Option<&str>) -> Node {
        let mut conditions = vec![NodeCondition {
            type_: "Ready".into(),
            status: if ready { "True" } else { "False" }.into(),
            ..NodeCondition::default()
        }];
        if let Some(p) = pressure {
            conditions.push(NodeCondition {
                type_: p.into(),
                status: "True".into(),
                ..NodeCondition::default()
            });
        }
        Node {
            metadata: ObjectMeta {
                name: Some(name.into()),
                ..ObjectMeta::default()
            },
            spec: None,
            status: Some(NodeStatus {
                conditions: Some(conditions),
                ..NodeStatus::default()
            }),
        }
    }

    #[test]
    fn nodes_ready_without_pressure() {
        let ok = judge_nodes(&[node("a", true, None), node("b", true, None)], 2);
        assert!(ok.checks.iter().all(|c| c.verdict == Verdict::Pass));
        let bad = judge_nodes(
            &[
                node("a", true, Some("DiskPressure")),
                node("b", false, None),
            ],
            1,
        );
        let failed: Vec<&str> = bad
            .checks
            .iter()
            .filter(|c| c.verdict == Verdict::Fail)
            .map(|c| c.observed.as_str())
            .collect();
        assert_eq!(failed, ["node/a: DiskPressure", "node/b: NotReady"]);
    }

    fn event(seconds_ago: i64, reason: &str) -> Event {
        Event {
            metadata: ObjectMeta {
                name: Some(format!("e{seconds_ago}")),
                ..ObjectMeta::default()
            },
            involved_object: ObjectReference {
                kind: Some("Pod".into()),
                name: Some("api-1".into()),
                ..ObjectReference::default()
            },
            type_: Some("Warning".into()),
            reason: Some(reason.into()),
            message: Some("Back-off restarting failed container".into()),
            count: Some(12),
            last_timestamp: Some(Time(
                k8s_openapi::jiff::Timestamp::from_second(1_800_000_000 - seconds_ago).unwrap(),
            )),
            ..Event::default()
        }
    }

    #[test]
    fn recent_warnings_warn_and_old_ones_do_not_count() {
        let settings = EventsCheck::default();
        let part = judge_events(
            &[event(60, "BackOff"), event(7200, "Old")],
            &settings,
            1_800_000_000,
            "prod",
        );
        assert_eq!(part.checks.len(), 1);
        assert_eq!(part.checks[0].verdict, Verdict::Warn);
        assert_eq!(
            part.checks[0].observed,
            "event BackOff on pod/api-1 (×12): Back-off restarting failed container"
        );
        let quiet = judge_events(&[event(7200, "Old")], &settings, 1_800_000_000, "prod");
        assert_eq!(quiet.checks[0].verdict, Verdict::Pass);
        let strict = EventsCheck {
            fail: true,
            ..settings
        };
        assert_eq!(
            judge_events(&[event(60, "BackOff")], &strict, 1_800_000_000, "prod").checks[0].verdict,
            Verdict::Fail
        );
    }
}
