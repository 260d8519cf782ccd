//! The `fly` probe against a served-shapes Machines API over HTTPS
//! (`fly_api.rs`): a healthy app is green, each check fails on its own
//! evidence, unauthorized, unknown app and rate limiting have their own
//! reasons, the token never shows, and each GET is made once per run.

use crate::fly_api::{FlyApi, FlyApp, machine, volume};
use crate::support::{Run, item, probe_result};
use crate::tls_support::TestCa;

const TOKEN: &str = "fo1_FlyTestToken_9QmZ2xV7hL";

fn healthy() -> FlyApp {
    FlyApp {
        machines: vec![
            machine(
                "148ed193b95489",
                "iad",
                "started",
                "deployment-01JDQ3Z8W4",
                "passing",
            ),
            machine(
                "3d8d413b29d089",
                "ord",
                "started",
                "deployment-01JDQ3Z8W4",
                "passing",
            ),
        ],
        volumes: vec![
            volume("vol_148ed193b95489", "iad", Some("148ed193b95489")),
            volume("vol_3d8d413b29d089", "ord", Some("3d8d413b29d089")),
        ],
        secrets: vec!["DATABASE_URL", "JWT_SECRET", "REDIS_URL"],
    }
}

fn broken() -> FlyApp {
    FlyApp {
        machines: vec![
            machine(
                "148ed193b95489",
                "iad",
                "started",
                "deployment-01JDQ3Z8W4",
                "passing",
            ),
            machine(
                "3d8d413b29d089",
                "ord",
                "started",
                "deployment-01JCZZ0000",
                "critical",
            ),
            machine(
                "9080e6dc4d5e87",
                "ams",
                "stopped",
                "deployment-01JDQ3Z8W4",
                "passing",
            ),
        ],
        volumes: vec![
            volume("vol_148ed193b95489", "iad", Some("148ed193b95489")),
            volume("vol_99aa", "ams", None),
        ],
        secrets: vec!["DATABASE_URL"],
    }
}

fn checklist(api: &str, ca: &str, app: &str) -> String {
    format!(
        "version: 1
name: Fly
vars:
  fly_api: {api}
sections:
  - id: fly
    title: Fly.io
    items:
      - id: machines
        title: Machines started in iad and ord, checks passing
        probe: {{ fly: {{ app: {app}, api: '${{fly_api}}', tls: {{ ca_file: {ca} }}, machines: {{ min: 2, regions: [iad, ord] }} }} }}
      - id: image
        title: The release is deployed
        probe: {{ fly: {{ app: {app}, api: '${{fly_api}}', tls: {{ ca_file: {ca} }}, image: deployment-01JDQ3Z8W4 }} }}
      - id: volumes
        title: Volumes attached
        probe: {{ fly: {{ app: {app}, api: '${{fly_api}}', tls: {{ ca_file: {ca} }}, volumes: true }} }}
      - id: secrets
        title: Secrets set
        probe: {{ fly: {{ app: {app}, api: '${{fly_api}}', tls: {{ ca_file: {ca} }}, secrets: [DATABASE_URL, JWT_SECRET] }} }}
"
    )
}

fn run(api: &FlyApi, ca: &TestCa, app: &str, token: &str) -> crate::support::Ran {
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write(dir.path(), "fly-ca.pem");
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist(&api.url(), ca_file.to_str().unwrap(), app))
        .env("FLY_API_TOKEN", token)
        .run();
    assert!(
        !ran.stdout.contains(token) && !ran.stderr.contains(token),
        "the token never shows"
    );
    ran
}

#[test]
fn fly_a_healthy_app_is_green_with_evidence() {
    let ca = TestCa::new("Fly Test CA");
    let api = FlyApi::start(&ca, TOKEN);
    api.add_app("rtpm-api-candlefish", healthy());
    let ran = run(&api, &ca, "rtpm-api-candlefish", TOKEN);
    ran.code(0);
    let report = ran.json();
    let pass = |e: &str| ("pass".to_owned(), e.to_owned());
    assert_eq!(
        probe_result(&report, "machines"),
        pass("app rtpm-api-candlefish (deployed); 2 machines started (iad, ord)")
    );
    assert_eq!(
        probe_result(&report, "image"),
        pass("app rtpm-api-candlefish (deployed); 2 machines run deployment-01JDQ3Z8W4")
    );
    assert_eq!(
        probe_result(&report, "volumes"),
        pass("app rtpm-api-candlefish (deployed); 2/2 volumes attached")
    );
    assert_eq!(
        probe_result(&report, "secrets"),
        pass("app rtpm-api-candlefish (deployed); secrets set: DATABASE_URL, JWT_SECRET")
    );
    // One GET per resource per run, however many items read it; nothing but GET.
    let mut paths: Vec<String> = api
        .seen()
        .into_iter()
        .map(|(method, path, _)| format!("{method} {path}"))
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "GET /v1/apps/rtpm-api-candlefish",
            "GET /v1/apps/rtpm-api-candlefish/machines",
            "GET /v1/apps/rtpm-api-candlefish/secrets",
            "GET /v1/apps/rtpm-api-candlefish/volumes",
        ]
    );
}

#[test]
fn fly_a_broken_app_says_what_is_wrong() {
    let ca = TestCa::new("Fly Test CA");
    let api = FlyApi::start(&ca, TOKEN);
    api.add_app("rtpm-api-candlefish", broken());
    let ran = run(&api, &ca, "rtpm-api-candlefish", TOKEN);
    ran.code(1);
    let report = ran.json();
    let fail = |e: &str| ("fail".to_owned(), e.to_owned());
    assert_eq!(
        probe_result(&report, "machines"),
        fail(
            "machine 3d8d413b29d089 (ord): check health critical: GET /health: 503 Service Unavailable"
        )
    );
    assert_eq!(
        probe_result(&report, "image"),
        fail(
            "machine 3d8d413b29d089 (ord): runs registry.fly.io/rtpm-api-candlefish:deployment-01JCZZ0000, expected deployment-01JDQ3Z8W4"
        )
    );
    assert_eq!(
        probe_result(&report, "volumes"),
        fail(
            "volume rtpm_data (vol_99aa, ams): not attached to a machine; machine 3d8d413b29d089 (ord): mounts vol_3d8d413b29d089 at /data, which is not a volume of the app"
        )
    );
    assert_eq!(
        probe_result(&report, "secrets"),
        fail("secret JWT_SECRET: not set")
    );
    for id in ["machines", "image", "volumes", "secrets"] {
        assert_eq!(item(&report, id)["status"], "red");
    }
}

#[test]
fn fly_unauthorized_unknown_app_and_rate_limits_have_their_own_reasons() {
    let ca = TestCa::new("Fly Test CA");
    let api = FlyApi::start(&ca, TOKEN);
    api.add_app("rtpm-api-candlefish", healthy());
    let ids = ["machines", "image", "volumes", "secrets"];

    let ran = run(&api, &ca, "rtpm-api-candlefish", "fo1_WrongToken_x81");
    for id in ids {
        assert_eq!(
            probe_result(&ran.json(), id),
            (
                "error".to_owned(),
                "the Fly API refused the token (401 Unauthorized): unauthorized".to_owned()
            ),
            "{id}"
        );
    }

    let ran = run(&api, &ca, "rtpm-api-staging", TOKEN);
    for id in ids {
        assert_eq!(
            probe_result(&ran.json(), id),
            (
                "fail".to_owned(),
                "app rtpm-api-staging: not found (or the token cannot see it)".to_owned()
            ),
            "{id}"
        );
    }

    api.rate_limit(true);
    let ran = run(&api, &ca, "rtpm-api-candlefish", TOKEN);
    for id in ids {
        assert_eq!(
            probe_result(&ran.json(), id),
            (
                "error".to_owned(),
                "rate limited by the Fly API (429 Too Many Requests, retry after 30s)".to_owned()
            ),
            "{id}"
        );
    }

    // No token at all: said before anything is sent.
    let before = api.seen().len();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write(dir.path(), "fly-ca.pem");
    let mut no_token = Run::new(&["check", "--format", "json"]).with_checklist(&checklist(
        &api.url(),
        ca_file.to_str().unwrap(),
        "rtpm-api-candlefish",
    ));
    no_token.command().env_remove("FLY_API_TOKEN");
    let ran = no_token.run();
    let (verdict, evidence) = probe_result(&ran.json(), "machines");
    assert_eq!(verdict, "error");
    assert!(
        evidence.starts_with("no Fly API token: set FLY_API_TOKEN"),
        "{evidence}"
    );
    assert_eq!(api.seen().len(), before);
}

#[test]
fn fly_a_token_in_the_checklist_is_masked_everywhere() {
    let ca = TestCa::new("Fly Test CA");
    let api = FlyApi::start(&ca, "fo1_CheckedToken_77aa");
    let dir = tempfile::tempdir().unwrap();
    let ca_file = ca.write(dir.path(), "fly-ca.pem");
    // The token is sent, and refused by a server that expects another: the
    // error and the target must still not show it.
    let checklist = format!(
        "version: 1\nname: Fly\nsections:\n  - id: a\n    title: a\n    probe: {{ fly: {{ app: rtpm-api-candlefish, api: '{}', tls: {{ ca_file: {} }}, token: '${{MY_FLY_TOKEN}}', secrets: [X] }} }}\n",
        api.url(),
        ca_file.display()
    );
    for format in ["json", "md", "junit", "html"] {
        let ran = Run::new(&["check", "--format", format])
            .with_checklist(&checklist)
            .env("MY_FLY_TOKEN", "fo1_OtherToken_Leak_31x")
            .run();
        assert!(
            !ran.stdout.contains("fo1_OtherToken_Leak_31x"),
            "{format}:\n{}",
            ran.stdout
        );
        assert!(
            ran.stdout.contains("refused the token"),
            "{format}:\n{}",
            ran.stdout
        );
    }
    assert!(
        api.seen()
            .iter()
            .all(|(_, _, auth)| auth == "Bearer fo1_OtherToken_Leak_31x")
    );
}
