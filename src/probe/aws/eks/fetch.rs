//! `aws_eks` against the API: DescribeCluster once per cluster per run,
//! through the call cache.

use aws_sdk_eks::Client;

use super::{Cluster, EksProbe, judge};
use crate::probe::aws::calls::{CallKey, code, describe};
use crate::probe::aws::verdict::Verdicts;
use crate::probe::{Context, Finding};

pub(super) async fn run(probe: &EksProbe, ctx: &Context) -> Finding {
    gather(probe, ctx).await.unwrap_or_else(Finding::error)
}

async fn gather(probe: &EksProbe, ctx: &Context) -> Result<Finding, String> {
    let access = probe.settings().access();
    let shared = ctx.aws();
    let config = shared.config(&access).await?;
    let client = Client::new(&config);
    let name = probe.cluster.trim().to_owned();
    let n = name.clone();
    let found = shared
        .calls
        .get(
            CallKey::about("eks", "DescribeCluster", &name, &access),
            move || cluster(client, n),
        )
        .await?;
    let Some(cluster) = found.as_ref() else {
        let mut v = Verdicts::new();
        v.check(false, format!("EKS cluster {name}"), "not found", || {
            format!("no EKS cluster `{name}`{}", access.describe())
        });
        return Ok(v.finish(""));
    };
    Ok(judge(cluster, &probe.expect))
}

async fn cluster(client: Client, name: String) -> Result<Option<Cluster>, String> {
    let out = match client.describe_cluster().name(&name).send().await {
        Ok(out) => out,
        Err(e) if code(&e) == Some("ResourceNotFoundException") => return Ok(None),
        Err(e) => return Err(describe("eks", "DescribeCluster", &e)),
    };
    let Some(c) = out.cluster else {
        return Ok(None);
    };
    let vpc = c.resources_vpc_config.as_ref();
    Ok(Some(Cluster {
        name: c.name.clone().unwrap_or(name),
        status: c
            .status
            .as_ref()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        version: c.version.clone().unwrap_or_default(),
        public: vpc.is_some_and(|v| v.endpoint_public_access),
        public_cidrs: vpc
            .and_then(|v| v.public_access_cidrs.clone())
            .unwrap_or_default(),
        logging: c
            .logging
            .iter()
            .flat_map(|l| l.cluster_logging.iter().flatten())
            .filter(|setup| setup.enabled == Some(true))
            .flat_map(|setup| setup.types.iter().flatten())
            .map(|t| t.as_str().to_owned())
            .collect(),
    }))
}
