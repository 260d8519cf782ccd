//! `rollout`: deployments, statefulsets and daemonsets fully rolled out —
//! every replica updated, ready and available, the controller caught up with
//! the latest spec (observed generation), not paused. Pure: objects in,
//! checks out.

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, StatefulSet};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Part;
use crate::probe::expect::check;

/// Counts a rollout is judged on.
#[derive(Debug, Default, PartialEq)]
struct Counts {
    desired: i32,
    updated: i32,
    ready: i32,
    available: i32,
    /// Pods of every revision, when the kind reports it.
    total: Option<i32>,
}

fn judge(
    object: &str,
    meta: &ObjectMeta,
    observed: Option<i64>,
    counts: &Counts,
    extra: Vec<String>,
) -> Part {
    let mut problems = Vec::new();
    let Counts {
        desired,
        updated,
        ready,
        available,
        total,
    } = *counts;
    if ready < desired {
        problems.push(format!("{ready}/{desired} ready"));
    }
    if updated < desired {
        problems.push(format!("{updated}/{desired} updated"));
    }
    // Available lags ready by minReadySeconds; said only when it adds something.
    if available < desired && available != ready {
        problems.push(format!("{available}/{desired} available"));
    }
    if let Some(total) = total
        && total > desired
        && problems.is_empty()
    {
        problems.push(format!("{} old replicas still running", total - desired));
    }
    if let (Some(generation), Some(seen)) = (meta.generation, observed)
        && seen < generation
    {
        problems.push(format!(
            "generation {generation} not yet observed (controller at {seen})"
        ));
    } else if observed.is_none() && meta.generation.is_some() {
        problems.push("not yet observed by its controller".to_owned());
    }
    problems.extend(extra);
    let ok = problems.is_empty();
    let observed_text = if ok {
        format!("{object}: {ready}/{desired} ready")
    } else {
        format!("{object}: {}", problems.join(", "))
    };
    Part::one(
        check(
            ok,
            format!("{object} rolled out ({desired} updated, ready and available)"),
            observed_text.clone(),
        ),
        observed_text,
    )
}

/// A deployment.
pub fn deployment(d: &Deployment) -> Part {
    let name = format!("deployment/{}", d.metadata.name.as_deref().unwrap_or("?"));
    let spec = d.spec.as_ref();
    let status = d.status.clone().unwrap_or_default();
    let counts = Counts {
        desired: spec.and_then(|s| s.replicas).unwrap_or(1),
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        total: status.replicas,
    };
    let mut extra = Vec::new();
    if spec.and_then(|s| s.paused) == Some(true) {
        extra.push("paused".to_owned());
    }
    for condition in status.conditions.iter().flatten() {
        if condition.type_ == "Progressing"
            && condition.reason.as_deref() == Some("ProgressDeadlineExceeded")
        {
            extra.push("progress deadline exceeded".to_owned());
        }
        if condition.type_ == "ReplicaFailure" && condition.status == "True" {
            extra.push(format!(
                "replica failure: {}",
                crate::probe::expect::excerpt(
                    condition.message.as_deref().unwrap_or_default(),
                    120
                )
            ));
        }
    }
    judge(
        &name,
        &d.metadata,
        status.observed_generation,
        &counts,
        extra,
    )
}

/// A statefulset: also every pod on the update revision.
pub fn statefulset(s: &StatefulSet) -> Part {
    let name = format!("statefulset/{}", s.metadata.name.as_deref().unwrap_or("?"));
    let status = s.status.clone().unwrap_or_default();
    let desired = s.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
    let counts = Counts {
        desired,
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        total: Some(status.replicas),
    };
    let mut extra = Vec::new();
    if let (Some(current), Some(update)) = (&status.current_revision, &status.update_revision)
        && current != update
        && counts.updated >= desired
    {
        extra.push(format!("revision {update} not yet current (at {current})"));
    }
    judge(
        &name,
        &s.metadata,
        status.observed_generation,
        &counts,
        extra,
    )
}

/// A daemonset: one ready, updated, available pod on every node it should run on.
pub fn daemonset(d: &DaemonSet) -> Part {
    let name = format!("daemonset/{}", d.metadata.name.as_deref().unwrap_or("?"));
    let status = d.status.clone().unwrap_or_default();
    let counts = Counts {
        desired: status.desired_number_scheduled,
        updated: status.updated_number_scheduled.unwrap_or(0),
        ready: status.number_ready,
        available: status.number_available.unwrap_or(0),
        total: None,
    };
    let mut extra = Vec::new();
    if status.number_misscheduled > 0 {
        extra.push(format!("{} misscheduled", status.number_misscheduled));
    }
    judge(
        &name,
        &d.metadata,
        status.observed_generation,
        &counts,
        extra,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Verdict;
    use k8s_openapi::api::apps::v1::{DeploymentSpec, DeploymentStatus};

    fn deploy(
        replicas: i32,
        updated: i32,
        ready: i32,
        available: i32,
        generation: i64,
        observed: i64,
    ) -> Deployment {
        Deployment {
            metadata: ObjectMeta {
                name: Some("graphql-api".into()),
                generation: Some(generation),
                ..ObjectMeta::default()
            },
            spec: Some(DeploymentSpec {
                replicas: Some(replicas),
                ..DeploymentSpec::default()
            }),
            status: Some(DeploymentStatus {
                replicas: Some(updated.max(ready)),
                updated_replicas: Some(updated),
                ready_replicas: Some(ready),
                available_replicas: Some(available),
                observed_generation: Some(observed),
                ..DeploymentStatus::default()
            }),
        }
    }

    #[test]
    fn a_rolled_out_deployment_passes() {
        let part = deployment(&deploy(3, 3, 3, 3, 2, 2));
        assert_eq!(part.checks[0].verdict, Verdict::Pass);
        assert_eq!(part.summary, "deployment/graphql-api: 3/3 ready");
    }

    #[test]
    fn a_half_rolled_deployment_names_what_lags() {
        let part = deployment(&deploy(3, 1, 1, 1, 2, 2));
        assert_eq!(part.checks[0].verdict, Verdict::Fail);
        assert_eq!(
            part.checks[0].observed,
            "deployment/graphql-api: 1/3 ready, 1/3 updated"
        );
    }

    #[test]
    fn an_unobserved_generation_and_a_pause_fail() {
        let mut d = deploy(2, 2, 2, 2, 5, 4);
        d.spec.as_mut().unwrap().paused = Some(true);
        let part = deployment(&d);
        assert_eq!(
            part.checks[0].observed,
            "deployment/graphql-api: generation 5 not yet observed (controller at 4), paused"
        );
    }

    #[test]
    fn old_replicas_still_running_fail() {
        let mut d = deploy(2, 2, 2, 2, 1, 1);
        d.status.as_mut().unwrap().replicas = Some(3);
        assert_eq!(
            deployment(&d).checks[0].observed,
            "deployment/graphql-api: 1 old replicas still running"
        );
    }
}
