//! The `kubernetes` probe against a served-shapes Kubernetes API over HTTPS
//! (`kube_api.rs`), behind generated kubeconfigs: a healthy namespace is
//! green, a broken one says exactly what is wrong; contexts, namespaces,
//! `KUBECONFIG` lists and exec credential plugins select what kubectl would;
//! nothing but GET is sent, and each list is asked once per run.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::kube_api::{Context, KubeApi, User, exec_plugin, write_kubeconfig};
use crate::kube_objects::{deployment, pdb, pod, service, slice};
use crate::support::{Run, item, probe_result, refused_port};
use crate::tls_support::{SilentServer, TestCa};

pub const TOKEN: &str = "kube-token-7Hq2xV9mZ4";
const NS: &str = "candlefish-prod";

/// The seed's namespace: graphql-api and a worker; `broken` rolls graphql-api
/// half-way with a crash-looping pod, runs the worker from `:latest` without a
/// disruption budget, and gives rtpm-api a service with no endpoints.
pub fn namespace(api: &KubeApi, ns: &str, broken: bool) {
    let api_image = "ghcr.io/candlefish/graphql-api:2.4.1";
    let worker_image = if broken {
        "ghcr.io/candlefish/worker:latest"
    } else {
        "ghcr.io/candlefish/worker:1.9.0"
    };
    api.add(&deployment(
        ns,
        "graphql-api",
        api_image,
        3,
        if broken { 1 } else { 3 },
    ));
    api.add(&deployment(ns, "worker", worker_image, 2, 2));
    api.add(&pod(
        ns,
        "graphql-api-7d9f8-abcde",
        "graphql-api",
        api_image,
        None,
        0,
    ));
    if broken {
        api.add(&pod(
            ns,
            "graphql-api-7d9f8-fghij",
            "graphql-api",
            api_image,
            Some("CrashLoopBackOff"),
            12,
        ));
    } else {
        api.add(&pod(
            ns,
            "graphql-api-7d9f8-fghij",
            "graphql-api",
            api_image,
            None,
            0,
        ));
        api.add(&pod(
            ns,
            "graphql-api-7d9f8-klmno",
            "graphql-api",
            api_image,
            None,
            1,
        ));
    }
    api.add(&pod(
        ns,
        "worker-5c6b7-pqrst",
        "worker",
        worker_image,
        None,
        0,
    ));
    api.add(&pod(
        ns,
        "worker-5c6b7-uvwxy",
        "worker",
        worker_image,
        None,
        0,
    ));
    api.add(&service(ns, "graphql-api"));
    api.add(&slice(ns, "graphql-api", &[true, !broken, !broken]));
    api.add(&service(ns, "rtpm-api"));
    if !broken {
        api.add(&slice(ns, "rtpm-api", &[true]));
    }
    api.add(&pdb(ns, "graphql-api"));
    if !broken {
        api.add(&pdb(ns, "worker"));
    }
}

/// A kubeconfig in `dir` whose current context `prod` reaches `api` with the token.
pub fn kubeconfig(dir: &Path, ca: &TestCa, api: &KubeApi) -> std::path::PathBuf {
    write_kubeconfig(
        &dir.join("kubeconfig"),
        ca,
        &[Context {
            name: "prod",
            server: api.url(),
            namespace: Some(NS),
            user: User::Token(TOKEN),
        }],
        Some("prod"),
    )
}

/// The five workload checks of the seed's namespace, one item each.
const WORKLOAD_ITEMS: &str = "version: 1
name: Workloads
sections:
  - id: k8s
    title: Kubernetes
    items:
      - id: rollout
        title: Deployments rolled out
        probe: { kubernetes: { rollout: deployments } }
      - id: pods
        title: Pods healthy
        probe: { kubernetes: { pods: true } }
      - id: endpoints
        title: Services have endpoints
        probe: { kubernetes: { endpoints: [graphql-api, rtpm-api] } }
      - id: containers
        title: Containers declare resources, probes, pinned images
        probe: { kubernetes: { containers: true } }
      - id: pdb
        title: Every deployment has a disruption budget
        probe: { kubernetes: { pdb: true } }
      - id: graphql
        title: graphql-api ready for traffic
        probe: { kubernetes: { rollout: deployment/graphql-api, pods: { selector: app=graphql-api }, endpoints: graphql-api } }
";

fn run_with_kubeconfig(checklist: &str, kubeconfig: &Path) -> crate::support::Ran {
    Run::new(&["check", "--format", "json"])
        .with_checklist(checklist)
        .env("KUBECONFIG", kubeconfig.to_str().unwrap())
        .env("HOME", "/nonexistent")
        .run()
}

#[test]
fn kubernetes_a_healthy_namespace_is_green_with_evidence() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start(&ca, TOKEN);
    namespace(&api, NS, false);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &ca, &api);
    let ran = run_with_kubeconfig(WORKLOAD_ITEMS, &config);
    ran.code(0);
    let report = ran.json();
    let results: BTreeMap<&str, (String, String)> = [
        "rollout",
        "pods",
        "endpoints",
        "containers",
        "pdb",
        "graphql",
    ]
    .into_iter()
    .map(|id| (id, probe_result(&report, id)))
    .collect();
    let pass = |evidence: &str| ("pass".to_owned(), evidence.to_owned());
    assert_eq!(
        results["rollout"],
        pass("deployment/graphql-api: 3/3 ready; deployment/worker: 2/2 ready")
    );
    assert_eq!(
        results["pods"],
        pass("5/5 pods ready (namespace candlefish-prod)")
    );
    assert_eq!(
        results["endpoints"],
        pass("service/graphql-api: 3 ready endpoints; service/rtpm-api: 1 ready endpoint")
    );
    assert_eq!(
        results["containers"],
        pass("2 containers in 2 workloads declare resources, probes and pinned images")
    );
    assert_eq!(
        results["pdb"],
        pass(
            "covered: deployment/graphql-api by pdb/graphql-api-pdb, deployment/worker by pdb/worker-pdb"
        )
    );
    assert_eq!(
        results["graphql"],
        pass(
            "deployment/graphql-api: 3/3 ready; 3/3 pods ready (app=graphql-api in candlefish-prod); service/graphql-api: 3 ready endpoints"
        )
    );
}

#[test]
fn kubernetes_a_broken_namespace_says_exactly_what_is_wrong() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start(&ca, TOKEN);
    namespace(&api, NS, true);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &ca, &api);
    let ran = run_with_kubeconfig(WORKLOAD_ITEMS, &config);
    ran.code(1);
    let report = ran.json();
    let fail = |evidence: &str| ("fail".to_owned(), evidence.to_owned());
    assert_eq!(
        probe_result(&report, "rollout"),
        fail("deployment/graphql-api: 1/3 ready, 1/3 updated")
    );
    assert_eq!(
        probe_result(&report, "pods"),
        fail("pod graphql-api-7d9f8-fghij: CrashLoopBackOff, 12 restarts, not ready for 30m")
    );
    assert_eq!(
        probe_result(&report, "endpoints"),
        fail("service/rtpm-api: no endpoints (does its selector app=rtpm-api match a ready pod?)")
    );
    assert_eq!(
        probe_result(&report, "containers"),
        fail("deployment/worker container worker: image ghcr.io/candlefish/worker:latest")
    );
    assert_eq!(
        probe_result(&report, "pdb"),
        fail("deployment/worker: no PodDisruptionBudget covers its pods")
    );
    assert_eq!(
        probe_result(&report, "graphql"),
        fail(
            "deployment/graphql-api: 1/3 ready, 1/3 updated; pod graphql-api-7d9f8-fghij: CrashLoopBackOff, 12 restarts, not ready for 30m"
        )
    );
    for id in [
        "rollout",
        "pods",
        "endpoints",
        "containers",
        "pdb",
        "graphql",
    ] {
        assert_eq!(item(&report, id)["status"], "red", "{id}");
    }
    // The board says the same to a person.
    let board = Run::new(&["check", "--color", "never"])
        .with_checklist(WORKLOAD_ITEMS)
        .env("KUBECONFIG", config.to_str().unwrap())
        .env("HOME", "/nonexistent")
        .run();
    assert!(
        board
            .stdout
            .contains("deployment/graphql-api: 1/3 ready, 1/3 updated"),
        "{}",
        board.stdout
    );
    assert!(
        board
            .stdout
            .contains("graphql-api-7d9f8-fghij: CrashLoopBackOff, 12 restarts"),
        "{}",
        board.stdout
    );
}

#[test]
fn kubernetes_sends_only_gets_and_lists_each_kind_once_per_run() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start(&ca, TOKEN);
    namespace(&api, NS, true);
    let dir = tempfile::tempdir().unwrap();
    let config = kubeconfig(dir.path(), &ca, &api);
    run_with_kubeconfig(WORKLOAD_ITEMS, &config).code(1);
    let seen = api.seen();
    assert!(seen.iter().all(|s| s.method == "GET"), "{seen:?}");
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in &seen {
        let selector = s.query.get("labelSelector").cloned().unwrap_or_default();
        *counts.entry(format!("{} {selector}", s.path)).or_default() += 1;
    }
    let expected: BTreeMap<String, usize> = [
        "/apis/apps/v1/namespaces/candlefish-prod/deployments ",
        "/apis/apps/v1/namespaces/candlefish-prod/statefulsets ",
        "/apis/apps/v1/namespaces/candlefish-prod/daemonsets ",
        "/api/v1/namespaces/candlefish-prod/pods ",
        "/api/v1/namespaces/candlefish-prod/pods app=graphql-api",
        "/api/v1/namespaces/candlefish-prod/services ",
        "/apis/discovery.k8s.io/v1/namespaces/candlefish-prod/endpointslices ",
        "/apis/policy/v1/namespaces/candlefish-prod/poddisruptionbudgets ",
    ]
    .into_iter()
    .map(|k| (k.to_owned(), 1))
    .collect();
    assert_eq!(
        counts, expected,
        "six items read deployments three times and services twice, each listed once"
    );
}

#[test]
fn kubernetes_context_and_namespace_come_from_kubeconfig_defaults_and_probe() {
    let ca = TestCa::new("Kube Test CA");
    let prod = KubeApi::start(&ca, TOKEN);
    let staging = KubeApi::start(&ca, "staging-token-Bq81");
    namespace(&prod, NS, false);
    namespace(&staging, "candlefish-staging", true);
    namespace(&staging, "qa", false);
    let dir = tempfile::tempdir().unwrap();
    // Two files in KUBECONFIG, merged: the first sets the current context.
    let first = write_kubeconfig(
        &dir.path().join("staging.yaml"),
        &ca,
        &[Context {
            name: "staging",
            server: staging.url(),
            namespace: Some("candlefish-staging"),
            user: User::Token("staging-token-Bq81"),
        }],
        Some("staging"),
    );
    let sub = dir.path().join("more");
    std::fs::create_dir(&sub).unwrap();
    let second = write_kubeconfig(
        &sub.join("prod.yaml"),
        &ca,
        &[Context {
            name: "prod",
            server: prod.url(),
            namespace: Some(NS),
            user: User::Token(TOKEN),
        }],
        Some("prod"),
    );
    let list = format!("{}:{}", first.display(), second.display());
    let checklist = "version: 1
name: Contexts
sections:
  - id: k8s
    title: Kubernetes
    items:
      - id: current
        title: The current context and its namespace
        probe: { kubernetes: { rollout: deployment/graphql-api } }
      - id: prod
        title: Another context by name
        probe: { kubernetes: { context: prod, rollout: deployment/graphql-api } }
      - id: qa
        title: Another namespace by name
        probe: { kubernetes: { namespace: qa, rollout: deployment/graphql-api } }
";
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(checklist)
        .env("KUBECONFIG", &list)
        .env("HOME", "/nonexistent")
        .run();
    let report = ran.json();
    assert_eq!(
        probe_result(&report, "current"),
        (
            "fail".into(),
            "deployment/graphql-api: 1/3 ready, 1/3 updated".into()
        )
    );
    assert_eq!(
        probe_result(&report, "prod"),
        ("pass".into(), "deployment/graphql-api: 3/3 ready".into())
    );
    assert_eq!(
        probe_result(&report, "qa"),
        ("pass".into(), "deployment/graphql-api: 3/3 ready".into())
    );
    let paths = |api: &KubeApi| api.seen().into_iter().map(|s| s.path).collect::<Vec<_>>();
    assert_eq!(
        paths(&prod),
        ["/apis/apps/v1/namespaces/candlefish-prod/deployments"]
    );
    let mut staged = paths(&staging);
    staged.sort();
    assert_eq!(
        staged,
        [
            "/apis/apps/v1/namespaces/candlefish-staging/deployments",
            "/apis/apps/v1/namespaces/qa/deployments"
        ]
    );

    // defaults.kubernetes sets both once for the checklist; a probe still overrides.
    let with_defaults = format!(
        "version: 1\nname: Defaults\ndefaults:\n  kubernetes: {{ context: prod, namespace: qa }}\n{}",
        &checklist[checklist.find("sections:").unwrap()..]
    );
    let prod_qa = KubeApi::start(&ca, TOKEN);
    namespace(&prod_qa, "qa", true);
    let second = write_kubeconfig(
        &sub.join("prod.yaml"),
        &ca,
        &[Context {
            name: "prod",
            server: prod_qa.url(),
            namespace: Some(NS),
            user: User::Token(TOKEN),
        }],
        None,
    );
    let list = format!("{}:{}", first.display(), second.display());
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&with_defaults)
        .env("KUBECONFIG", &list)
        .env("HOME", "/nonexistent")
        .run();
    let report = ran.json();
    assert_eq!(
        probe_result(&report, "current").0,
        "fail",
        "defaults: prod/qa, broken there"
    );
    assert_eq!(probe_result(&report, "prod").0, "fail");
    let mut asked = paths(&prod_qa);
    asked.sort();
    asked.dedup();
    assert_eq!(asked, ["/apis/apps/v1/namespaces/qa/deployments"]);
}

#[test]
fn kubernetes_client_certificates_authenticate() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start_mtls(&ca);
    namespace(&api, NS, false);
    let dir = tempfile::tempdir().unwrap();
    let client = ca.leaf(&["candlefish-ci"], crate::tls_support::Validity::current());
    let config = write_kubeconfig(
        &dir.path().join("kubeconfig"),
        &ca,
        &[Context {
            name: "prod",
            server: api.url(),
            namespace: Some(NS),
            user: User::Certificate(&client),
        }],
        Some("prod"),
    );
    let checklist = crate::support::checklist_of(&[(
        "ready",
        "kubernetes: { rollout: deployment/graphql-api }",
    )]);
    let ran = run_with_kubeconfig(&checklist, &config);
    assert_eq!(
        probe_result(&ran.json(), "ready"),
        ("pass".into(), "deployment/graphql-api: 3/3 ready".into())
    );

    // Without a certificate the handshake is refused: one clear reason, no hang.
    let anonymous = write_kubeconfig(
        &dir.path().join("anonymous"),
        &ca,
        &[Context {
            name: "prod",
            server: api.url(),
            namespace: Some(NS),
            user: User::Token("unused"),
        }],
        Some("prod"),
    );
    let ran = run_with_kubeconfig(&checklist, &anonymous);
    let (verdict, evidence) = probe_result(&ran.json(), "ready");
    assert_eq!(verdict, "error", "{evidence}");
    assert!(
        evidence
            .starts_with("listing deployments in namespace candlefish-prod at https://127.0.0.1:"),
        "{evidence}"
    );
}

#[test]
fn kubernetes_exec_credential_plugin_supplies_the_token() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start(&ca, "from-the-plugin-Zr55");
    namespace(&api, NS, false);
    let dir = tempfile::tempdir().unwrap();
    let plugin = exec_plugin(dir.path(), "from-the-plugin-Zr55");
    let config = write_kubeconfig(
        &dir.path().join("kubeconfig"),
        &ca,
        &[Context {
            name: "eks",
            server: api.url(),
            namespace: Some(NS),
            user: User::Exec(&plugin),
        }],
        Some("eks"),
    );
    let checklist = crate::support::checklist_of(&[(
        "ready",
        "kubernetes: { rollout: deployment/graphql-api }",
    )]);
    let ran = run_with_kubeconfig(&checklist, &config);
    assert_eq!(
        probe_result(&ran.json(), "ready"),
        ("pass".into(), "deployment/graphql-api: 3/3 ready".into())
    );

    // Six items on one context build one client: the plugin runs as often as
    // for one item (kube runs it a few times while building a client).
    let log = dir.path().join("plugin-runs");
    let script = std::fs::read_to_string(&plugin).unwrap().replacen(
        "#!/bin/sh\n",
        &format!("#!/bin/sh\necho run >> {}\n", log.display()),
        1,
    );
    std::fs::write(&plugin, script).unwrap();
    let runs = || std::fs::read_to_string(&log).map_or(0, |t| t.lines().count());
    run_with_kubeconfig(&checklist, &config).code(0);
    let for_one = runs();
    assert!(for_one >= 1);
    run_with_kubeconfig(WORKLOAD_ITEMS, &config).code(0);
    assert_eq!(
        runs() - for_one,
        for_one,
        "one client per (kubeconfig, context) per run"
    );

    // Under --no-exec (here CANDLEFISH_NO_EXEC) the plugin is a program the
    // checklist would make run: refused, and it never starts.
    let before = runs();
    let refused = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .env("KUBECONFIG", config.to_str().unwrap())
        .env("HOME", "/nonexistent")
        .env("CANDLEFISH_NO_EXEC", "1")
        .run();
    let (verdict, evidence) = probe_result(&refused.json(), "ready");
    assert_eq!(verdict, "error");
    assert!(
        evidence.contains(
            "runs an exec credential plugin for user `eks-user`, and exec is disabled by policy"
        ),
        "{evidence}"
    );
    assert_eq!(runs(), before, "the plugin did not run");

    // A plugin that fails is named with what it said.
    std::fs::write(
        &plugin,
        "#!/bin/sh\necho 'token expired: run aws sso login' >&2\nexit 3\n",
    )
    .unwrap();
    let ran = run_with_kubeconfig(&checklist, &config);
    let (verdict, evidence) = probe_result(&ran.json(), "ready");
    assert_eq!(verdict, "error");
    assert!(
        evidence.contains("the exec credential plugin"),
        "{evidence}"
    );
    assert!(
        evidence.contains("token expired: run aws sso login"),
        "{evidence}"
    );
}

/// Every item of `report` is red, could not run, with evidence containing `reason`.
fn all_could_not_run(report: &serde_json::Value, ids: &[&str], reason: &str) {
    for id in ids {
        let (verdict, evidence) = probe_result(report, id);
        assert_eq!(verdict, "error", "{id}: {evidence}");
        assert!(evidence.contains(reason), "{id}: {evidence}");
        assert_eq!(item(report, id)["status"], "red");
    }
}

const IDS: &[&str] = &[
    "rollout",
    "pods",
    "endpoints",
    "containers",
    "pdb",
    "graphql",
];

#[test]
fn kubernetes_an_unreachable_cluster_is_fast_and_clear() {
    let ca = TestCa::new("Kube Test CA");
    let dir = tempfile::tempdir().unwrap();
    let refused = write_kubeconfig(
        &dir.path().join("refused"),
        &ca,
        &[Context {
            name: "prod",
            server: format!("https://127.0.0.1:{}", refused_port()),
            namespace: Some(NS),
            user: User::Token(TOKEN),
        }],
        Some("prod"),
    );
    let started = Instant::now();
    let ran = run_with_kubeconfig(WORKLOAD_ITEMS, &refused);
    ran.code(1);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    all_could_not_run(&ran.json(), IDS, "connection refused");

    // A server that accepts and never answers: each item stops at its timeout.
    let silent = SilentServer::start();
    let hanging = write_kubeconfig(
        &dir.path().join("silent"),
        &ca,
        &[Context {
            name: "prod",
            server: format!("https://{}", silent.addr),
            namespace: Some(NS),
            user: User::Token(TOKEN),
        }],
        Some("prod"),
    );
    let checklist =
        WORKLOAD_ITEMS.replace("version: 1\n", "version: 1\ndefaults: { timeout: 2s }\n");
    let started = Instant::now();
    let ran = run_with_kubeconfig(&checklist, &hanging);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    all_could_not_run(&ran.json(), IDS, "no answer within 2s");
}

#[test]
fn kubernetes_without_any_kubeconfig_outside_a_pod_says_so() {
    let mut run = Run::new(&["check", "--format", "json"])
        .with_checklist(WORKLOAD_ITEMS)
        .env("HOME", "/nonexistent");
    run.command()
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    let ran = run.run();
    ran.code(1);
    all_could_not_run(
        &ran.json(),
        IDS,
        "no kubeconfig (KUBECONFIG is not set, ~/.kube/config does not exist) and not running in a pod",
    );
}

#[test]
fn kubernetes_bad_kubeconfigs_and_credentials_are_one_clear_reason() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start(&ca, TOKEN);
    namespace(&api, NS, false);
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage");
    std::fs::write(&garbage, "clusters: [this is: not, a kubeconfig\n").unwrap();
    let ran = run_with_kubeconfig(WORKLOAD_ITEMS, &garbage);
    all_could_not_run(&ran.json(), IDS, "not a kubeconfig");

    let wrong = write_kubeconfig(
        &dir.path().join("wrong"),
        &ca,
        &[Context {
            name: "prod",
            server: api.url(),
            namespace: Some(NS),
            user: User::Token("not-the-token-Qx"),
        }],
        Some("prod"),
    );
    let ran = run_with_kubeconfig(WORKLOAD_ITEMS, &wrong);
    all_could_not_run(
        &ran.json(),
        IDS,
        "the API server refused the credentials (401 Unauthorized)",
    );
    assert!(!ran.stdout.contains("not-the-token-Qx"));

    let other_ca = TestCa::new("Someone Else's CA");
    let untrusted = write_kubeconfig(
        &dir.path().join("untrusted"),
        &other_ca,
        &[Context {
            name: "prod",
            server: api.url(),
            namespace: Some(NS),
            user: User::Token(TOKEN),
        }],
        Some("prod"),
    );
    let ran = run_with_kubeconfig(WORKLOAD_ITEMS, &untrusted);
    all_could_not_run(&ran.json(), IDS, "certificate");
    assert!(!ran.stdout.contains(TOKEN), "the bearer token never shows");

    let checklist = crate::support::checklist_of(&[(
        "ready",
        "kubernetes: { context: nope, rollout: deployments }",
    )]);
    let config = kubeconfig(dir.path(), &ca, &api);
    let ran = run_with_kubeconfig(&checklist, &config);
    let (verdict, evidence) = probe_result(&ran.json(), "ready");
    assert_eq!(verdict, "error");
    assert!(
        evidence.ends_with("has no context `nope` (it has: prod)"),
        "{evidence}"
    );
}

/// Runs `checklist` as a pod would: no kubeconfig anywhere, the API server in
/// `KUBERNETES_SERVICE_HOST`/`_PORT`, and the service account's token, CA and
/// namespace in `/var/run/secrets/kubernetes.io/serviceaccount`. That path is
/// fixed, so the binary runs in a mount namespace of its own (`unshare -m`,
/// root) with a tmpfs over `/run` holding the three files: nothing outside the
/// test sees them.
fn run_in_pod(checklist: &str, api: &KubeApi, ca: &TestCa, token: &str) -> crate::support::Ran {
    let account = tempfile::tempdir().unwrap();
    ca.write(account.path(), "ca.crt");
    std::fs::write(account.path().join("token"), token).unwrap();
    std::fs::write(account.path().join("namespace"), NS).unwrap();
    let script = "set -e
run=$(readlink -f /var/run)
mount -t tmpfs candlefish-test \"$run\"
mkdir -p \"$run/secrets/kubernetes.io/serviceaccount\"
cp \"$ACCOUNT\"/* \"$run/secrets/kubernetes.io/serviceaccount/\"
exec \"$@\"";
    let probe = std::process::Command::new("unshare")
        .args(["-m", "true"])
        .output();
    assert!(
        probe.as_ref().is_ok_and(|o| o.status.success()),
        "this test needs `unshare -m` (util-linux) run as root, to give the binary its own \
         /var/run/secrets: {probe:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("candlefish.yaml"), checklist).unwrap();
    let mut run = Run::via(
        &["unshare", "-m", "sh", "-c", script, "sh"],
        &["check", "--format", "json"],
    )
    .in_dir(dir.path())
    .env("ACCOUNT", account.path().to_str().unwrap())
    .env("HOME", "/nonexistent")
    .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    .env("KUBERNETES_SERVICE_PORT", &api.addr.port().to_string());
    run.command().env_remove("KUBECONFIG");
    let mut ran = run.run();
    ran.dir = Some(dir);
    ran
}

#[test]
fn kubernetes_in_a_pod_uses_the_service_account() {
    let ca = TestCa::new("Kube Test CA");
    let api = KubeApi::start(&ca, TOKEN);
    namespace(&api, NS, false);
    // The items name no namespace: the service account's namespace file gives it.
    let ran = run_in_pod(WORKLOAD_ITEMS, &api, &ca, TOKEN);
    ran.code(0);
    let report = ran.json();
    assert_eq!(
        probe_result(&report, "pods"),
        (
            "pass".to_owned(),
            "5/5 pods ready (namespace candlefish-prod)".to_owned()
        )
    );
    assert!(
        api.seen().iter().all(|s| s.method == "GET"),
        "{:?}",
        api.seen()
    );

    // A token the API server does not accept: one clear reason on every item.
    let ran = run_in_pod(WORKLOAD_ITEMS, &api, &ca, "expired-token");
    ran.code(1);
    let report = ran.json();
    for id in IDS {
        let (verdict, evidence) = probe_result(&report, id);
        assert_eq!(verdict, "error", "{id}: {evidence}");
        assert!(
            evidence.contains("401") || evidence.to_lowercase().contains("unauthorized"),
            "{id}: {evidence}"
        );
        assert!(!evidence.contains("expired-token"), "{id}: {evidence}");
    }
}
