//! checklists/production.yaml: valid, and holding every item of the seed.

use crate::support::{Run, seed_path};

#[test]
fn production_checklist_is_valid() {
    let ran = Run::new(&["validate", "checklists/production.yaml"]).run();
    ran.code(0);
    assert!(ran.stderr.is_empty(), "no warnings either:\n{}", ran.stderr);
}

/// Every list item of the seed appears as an item title.
#[test]
fn production_checklist_holds_every_seed_item() {
    let seed_path = seed_path();
    let seed = std::fs::read_to_string(&seed_path).unwrap_or_else(|e| {
        panic!(
            "the seed is part of the repository's surroundings ({}): {e}",
            seed_path.display()
        )
    });
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    ran.code(0);
    let listed: serde_json::Value = ran.json();
    let mut titles = Vec::new();
    fn walk(items: &serde_json::Value, out: &mut Vec<String>) {
        for item in items.as_array().into_iter().flatten() {
            out.push(normalize(item["title"].as_str().unwrap_or_default()));
            walk(&item["items"], out);
        }
    }
    walk(&listed, &mut titles);
    let mut missing = Vec::new();
    for line in seed.lines() {
        let Some(text) = seed_item_text(line) else {
            continue;
        };
        let wanted = normalize(&text);
        if !titles.iter().any(|t| t.contains(&wanted)) {
            missing.push(text);
        }
    }
    assert!(
        missing.is_empty(),
        "seed items missing from production.yaml:\n{}",
        missing.join("\n")
    );
}

/// The text of a checklist line of the seed (`- [ ] x`, `- [🟡] x`, `1. **x** [🔴]`).
fn seed_item_text(line: &str) -> Option<String> {
    let trimmed = line.trim_start();
    let rest = if let Some(rest) = trimmed.strip_prefix("- [") {
        rest.split_once(']').map(|(_, text)| text)?
    } else if trimmed.chars().next().is_some_and(|c| c.is_ascii_digit()) && trimmed.contains(". **")
    {
        trimmed.split_once(". ").map(|(_, text)| text)?
    } else {
        return None;
    };
    let text = rest.split(" [").next().unwrap_or(rest).replace("**", "");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

fn normalize(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || c.is_whitespace())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// What only a person can verify is a manual item, and signing one works.
#[test]
fn production_checklist_marks_what_people_verify_as_manual() {
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    let listed = ran.json();
    let manual = |id: &str| {
        fn find<'a>(items: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
            items.as_array()?.iter().find_map(|i| {
                if i["id"] == id {
                    Some(i)
                } else {
                    find(&i["items"], id)
                }
            })
        }
        find(&listed, id).unwrap_or_else(|| panic!("no item {id}"))["manual"] == true
    };
    for id in [
        "team-training",
        "pentest-scheduled",
        "tos-privacy-policy",
        "gdpr-compliance",
        "fv-backup-restore",
        "t4h-rollback-reviewed",
    ] {
        assert!(manual(id), "{id} is not manual");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.jsonl");
    let state = state.to_str().expect("utf-8");
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "team-training",
            "-c",
            "checklists/production.yaml",
            "--state",
            state,
            "--by",
            "Ada",
        ];
        args.extend_from_slice(extra);
        Run::new(&args).run()
    };
    let refused = sign(&[]);
    refused.code(2);
    assert!(
        refused.stderr.contains("requires evidence"),
        "{}",
        refused.stderr
    );
    sign(&["--evidence", "https://wiki.example.com/training"]).code(0);
    let ran = Run::new(&[
        "check",
        "checklists/production.yaml",
        "--state",
        state,
        "--only",
        "team-training",
        "--format",
        "json",
    ])
    .run();
    ran.code(0);
    assert_eq!(
        crate::support::item(&ran.json(), "team-training")["status"],
        "green"
    );
}

/// The seed's Kubernetes and Fly.io items carry `kubernetes` and `fly` probes
/// that run against the cluster and the app (served-shapes APIs here).
#[test]
fn production_checklist_probes_the_cluster_and_the_fly_app() {
    use crate::kube_objects::{node, service, slice};
    let ca = crate::tls_support::TestCa::new("Kube Test CA");
    let cluster = crate::kube_api::KubeApi::start(&ca, crate::kubernetes::TOKEN);
    crate::kubernetes::namespace(&cluster, "candlefish-prod", false);
    cluster.add(&service("candlefish-prod", "websocket-service"));
    cluster.add(&slice("candlefish-prod", "websocket-service", &[true]));
    cluster.add(&node("ip-10-0-1-12"));
    cluster.add(&node("ip-10-0-2-31"));
    let fly = crate::fly_api::FlyApi::start(&ca, "fo1_ProdChecklist_5tq");
    fly.add_app(
        "rtpm-api-candlefish",
        crate::fly_api::FlyApp {
            machines: vec![crate::fly_api::machine(
                "148ed193b95489",
                "iad",
                "started",
                "deployment-01JDQ3Z8W4",
                "passing",
            )],
            volumes: vec![crate::fly_api::volume(
                "vol_148ed193b95489",
                "iad",
                Some("148ed193b95489"),
            )],
            secrets: vec!["DATABASE_URL", "JWT_SECRET"],
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = crate::kubernetes::kubeconfig(dir.path(), &ca, &cluster);
    // The Fly probe's API and CA come from the environment through a copy of
    // the checklist whose fly probes point at the test server.
    let text =
        std::fs::read_to_string(crate::support::root().join("checklists/production.yaml")).unwrap();
    let ca_file = ca.write(dir.path(), "fly-ca.pem");
    let text = text.replace(
        "app: ${fly_app}\n",
        &format!(
            "app: ${{fly_app}}\n                api: {}\n                tls: {{ ca_file: {} }}\n",
            fly.url(),
            ca_file.display()
        ),
    );
    std::fs::write(dir.path().join("production.yaml"), text).unwrap();
    let mut run = Run::new(&[
        "check",
        "production.yaml",
        "--only",
        "tf-eks",
        "--only",
        "qc-service-health",
        "--only",
        "rtpm-api",
        "--format",
        "json",
    ])
    .in_dir(dir.path())
    .env("KUBECONFIG", kubeconfig.to_str().unwrap())
    .env("FLY_API_TOKEN", "fo1_ProdChecklist_5tq")
    .env("HOME", "/nonexistent")
    // tf-eks also asks EKS: with no AWS credentials and no metadata service
    // it says so at once, and nothing leaves loopback.
    .env("AWS_EC2_METADATA_DISABLED", "true");
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ] {
        run.command().env_remove(var);
    }
    let ran = run.run();
    let report = ran.json();
    let probe = |id: &str, kind: &str| {
        crate::support::item(&report, id)["probes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["kind"] == kind)
            .unwrap_or_else(|| panic!("{id} has no {kind} probe"))
            .clone()
    };
    assert_eq!(probe("tf-eks", "kubernetes")["evidence"], "2/2 nodes Ready");
    let eks = probe("tf-eks", "aws_eks");
    assert!(
        eks["evidence"]
            .as_str()
            .unwrap_or_default()
            .starts_with("no AWS credentials found"),
        "{eks}"
    );
    let services = probe("qc-service-health", "kubernetes");
    assert_eq!(services["verdict"], "pass", "{services}");
    assert_eq!(
        services["evidence"],
        "5/5 pods ready (namespace candlefish-prod); service/graphql-api: 3 ready endpoints; service/websocket-service: 1 ready endpoint"
    );
    let app = probe("rtpm-api", "fly");
    assert_eq!(app["verdict"], "pass", "{app}");
    assert_eq!(
        app["evidence"],
        "app rtpm-api-candlefish (deployed); 1 machine started (iad); 1/1 volumes attached; secrets set: DATABASE_URL, JWT_SECRET"
    );
    assert!(cluster.seen().iter().all(|s| s.method == "GET"));
}

/// The production web app's API as the T-0 user-flow probe expects it: a
/// login answering a token, documents created and read back with it, and the
/// collaboration socket that takes only that token.
fn production_app(token: &'static str) -> crate::apps::App {
    let docs = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    crate::apps::App::start(move |asked| {
        use crate::apps::Reply;
        let authorized = asked.headers.get("authorization").map(String::as_str)
            == Some(&format!("Bearer {token}"));
        let body: serde_json::Value = serde_json::from_str(&asked.body).unwrap_or_default();
        match (asked.method.as_str(), asked.path.as_str()) {
            ("POST", "/api/auth/login") if body["password"] == "launch-day-pw" => {
                Reply::json(200, format!(r#"{{"token":"{token}"}}"#))
            }
            ("POST", "/api/auth/login") => Reply::json(401, "{}"),
            ("POST", "/api/documents") if authorized => {
                let mut docs = docs.lock().unwrap();
                docs.push(body["title"].as_str().unwrap_or_default().to_owned());
                Reply::json(201, format!(r#"{{"id":"d{}"}}"#, docs.len()))
            }
            ("GET", path) if authorized && path.starts_with("/api/documents/d") => {
                let n: usize = path["/api/documents/d".len()..].parse().unwrap_or(0);
                match docs.lock().unwrap().get(n.wrapping_sub(1)) {
                    Some(title) => Reply::json(200, format!(r#"{{"title":"{title}"}}"#)),
                    None => Reply::json(404, "{}"),
                }
            }
            _ => Reply::json(404, "{}"),
        }
    })
}

#[test]
fn production_user_flows_are_probed_and_still_signed_off() {
    const TOKEN: &str = "prod-token-5f2a9c71e0";
    let app = production_app(TOKEN);
    let (ws_port, _ws) = crate::flow_app::websocket(TOKEN.to_owned(), false);
    let dir = tempfile::tempdir().expect("temp dir");
    let state = dir.path().join("state.jsonl");
    let check = |password: &str| {
        Run::new(&[
            "check",
            "checklists/production.yaml",
            "--only",
            "t0-user-flows",
            "--state",
            state.to_str().unwrap(),
            "--var",
            &format!("app_api={}", app.url("/api")),
            "--var",
            &format!("ws_url=ws://127.0.0.1:{ws_port}/collab"),
            "--format",
            "json",
        ])
        .env("E2E_USER", "launch@candlefish.ai")
        .env("E2E_PASSWORD", password)
        .run()
    };
    let ran = check("launch-day-pw");
    let report = ran.json();
    let flows = crate::support::item(&report, "t0-user-flows");
    let probe = &flows["probes"][0];
    assert_eq!(probe["kind"], "flow");
    assert_eq!(probe["verdict"], "pass", "{probe:#}");
    let steps: Vec<&str> = probe["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        steps,
        [
            "log in",
            "create a document",
            "read it back",
            "open the collaboration socket"
        ]
    );
    // What the probe cannot see still needs a person.
    assert_eq!(flows["status"], "red");
    assert_eq!(flows["basis"], "manual");
    assert!(!ran.stdout.contains(TOKEN));
    Run::new(&[
        "sign",
        "t0-user-flows",
        "-c",
        "checklists/production.yaml",
        "--state",
        state.to_str().unwrap(),
        "--by",
        "Ada",
        "--evidence",
        "walked the editor on a phone",
    ])
    .run()
    .code(0);
    let ran = check("launch-day-pw");
    let signed = crate::support::item(&ran.json(), "t0-user-flows").clone();
    assert_eq!(signed["status"], "green", "{signed:#}");
    // A wrong password: the sign-off does not hide the failing login.
    let ran = check("wrong");
    let flows = crate::support::item(&ran.json(), "t0-user-flows").clone();
    assert_eq!(flows["status"], "red");
    assert!(
        flows["reason"]
            .as_str()
            .unwrap()
            .starts_with("step 1 \"log in\": expected status 200, got 401 Unauthorized"),
        "{flows:#}"
    );
}

#[test]
fn production_deferrals_have_dates_and_turn_red_when_they_pass() {
    let run = |now: &str| {
        Run::new(&[
            "check",
            "checklists/production.yaml",
            "--only",
            "mobile-apps",
            "--only",
            "tracing",
            "--format",
            "json",
        ])
        .env("CANDLEFISH_NOW", now)
        .run()
        .json()
    };
    let before = run("2026-12-01T15:00:00Z");
    for id in ["mobile-apps", "tracing"] {
        let item = crate::support::item(&before, id);
        assert_eq!(item["status"], "white", "{id}");
        assert!(item["due"].is_string(), "{id} has a due date");
    }
    let after = run("2027-06-01T00:00:00Z");
    for id in ["mobile-apps", "tracing", "otel-xray", "mobile-prod-builds"] {
        let item = crate::support::item(&after, id);
        assert_eq!(item["status"], "red", "{id}");
        assert_eq!(item["overdue"], true, "{id}");
    }
    assert_eq!(
        after["gate"]["passed"], false,
        "an overdue deferral fails the gate"
    );
}

/// The seed's PostgreSQL, Redis and monitoring items ask the servers themselves.
#[test]
fn production_checklist_probes_databases_and_monitoring() {
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    ran.code(0);
    let listed = ran.json();
    fn kinds(items: &serde_json::Value, id: &str) -> Option<Vec<String>> {
        items.as_array()?.iter().find_map(|i| {
            if i["id"] == id {
                Some(
                    i["probes"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|p| p["kind"].as_str().unwrap_or_default().to_owned())
                        .collect(),
                )
            } else {
                kinds(&i["items"], id)
            }
        })
    }
    for (id, kind) in [
        ("pg-schema-migrations", "postgres"),
        ("pg-multi-tenant-schema", "postgres"),
        ("pg-row-level-security", "postgres"),
        ("pg-pitr-tested", "postgres"),
        ("pg-read-replicas", "postgres"),
        ("redis-cluster-mode", "redis"),
        ("redis-persistence", "redis"),
        ("redis-eviction", "redis"),
        ("redis-pubsub-channels", "redis"),
        ("redis-backup-schedule", "redis"),
        ("prometheus", "prometheus"),
        ("grafana-dashboards", "grafana"),
        ("alert-rules", "prometheus"),
        ("qc-database", "postgres"),
    ] {
        let found = kinds(&listed, id).unwrap_or_else(|| panic!("no item {id}"));
        assert!(
            found.iter().any(|k| k == kind),
            "{id} has no {kind} probe: {found:?}"
        );
    }
}

/// The seed's EKS, CloudFront and WAF items ask AWS itself.
#[test]
fn production_checklist_probes_the_cluster_cdn_and_waf_through_aws() {
    let ran = Run::new(&["list", "checklists/production.yaml", "--format", "json"]).run();
    ran.code(0);
    let listed = ran.json();
    fn find<'a>(items: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
        items.as_array()?.iter().find_map(|i| {
            if i["id"] == id {
                Some(i)
            } else {
                find(&i["items"], id)
            }
        })
    }
    for (id, kind, target) in [
        ("tf-eks", "aws_eks", "aws eks cluster candlefish-prod"),
        (
            "tf-cloudfront",
            "aws_cloudfront",
            "aws cloudfront distribution cdn.candlefish.ai",
        ),
        (
            "net-waf-rules",
            "aws_wafv2",
            "aws wafv2 web ACL candlefish-prod-edge (CLOUDFRONT)",
        ),
    ] {
        let item = find(&listed, id).unwrap_or_else(|| panic!("no item {id}"));
        let probes = item["probes"].as_array().cloned().unwrap_or_default();
        assert!(
            probes.iter().any(|p| p["kind"] == kind
                && p["target"].as_str().is_some_and(|t| t.starts_with(target))),
            "{id} has no {kind} probe on {target}: {probes:?}"
        );
    }
}
