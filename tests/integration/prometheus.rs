//! The `prometheus` probe against a real Prometheus (tests/integration/
//! prometheus_server.rs) scraping an in-test app: a query with thresholds and
//! the offending series' labels, a job's targets, rules loaded, an alert that
//! fires; and a runbook watch that samples a query.

use std::time::Duration;

use crate::apps::{App, Reply};
use crate::prometheus_server::Prometheus;
use crate::support::{Run, Workspace, checklist_of, probe_result, refused_port};

const RULES: &str = "groups:
  - name: app
    rules:
      - alert: HighErrorRate
        expr: app_errors > 5
        labels: { severity: critical }
      - alert: NeverFires
        expr: app_errors > 1000000
        labels: { severity: critical }
";

fn setup() -> (App, Prometheus) {
    let app = App::start(|_| {
        Reply::new(
            200,
            "app_errors{code=\"500\"} 90.49\napp_errors{code=\"404\"} 2\n",
        )
        .header("Content-Type", "text/plain; version=0.0.4")
    });
    let gone = format!("127.0.0.1:{}", refused_port());
    let target = app.addr.to_string();
    let prom = Prometheus::start(&[("app", &target), ("gone", &gone)], RULES);
    prom.wait_for(
        "/api/v1/alerts",
        "\"state\":\"firing\"",
        Duration::from_secs(60),
    );
    prom.wait_for(
        "/api/v1/targets?state=active",
        "\"health\":\"down\"",
        Duration::from_secs(60),
    );
    (app, prom)
}

fn probe(body: &str) -> (String, String) {
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "m",
            &format!("prometheus: {{ {body} }}, timeout: 15s"),
        )]))
        .run();
    probe_result(&ran.json(), "m")
}

#[test]
fn prometheus_queries_targets_rules_and_alerts() {
    let (_app, prom) = setup();
    let url = prom.url();
    let cases = [
        (
            format!("url: '{url}', query: 'app_errors', below: 10"),
            "fail",
            "expected value < 10 for app_errors{code=\"500\",instance=\"",
        ),
        (
            format!("url: '{url}', query: 'app_errors', below: 100"),
            "pass",
            "2 series < 100, the worst app_errors{code=\"500\"",
        ),
        (
            format!("url: '{url}', query: 'app_errors', below: 10, match: any"),
            "pass",
            "< 10",
        ),
        (
            format!("url: '{url}', query: 'sum(app_errors)', equals: 92.49"),
            "pass",
            "{} 92.49",
        ),
        (
            format!("url: '{url}', query: 'sum(app_errors)', above: 100"),
            "fail",
            "expected value > 100 for {}, got 92.49",
        ),
        (
            format!("url: '{url}', query: 'app_errors{{code=\"999\"}}', below: 1"),
            "fail",
            "got no series (the query matched nothing)",
        ),
        (
            format!("url: '{url}', query: 'app_errors[1m]', below: 1"),
            "error",
            "range vector",
        ),
        (
            format!("url: '{url}', query: 'sum(', below: 1"),
            "error",
            "400 Bad Request bad_data: ",
        ),
        (
            format!("url: '{url}', targets: app"),
            "pass",
            "job app: 1 of 1 up",
        ),
        (
            format!("url: '{url}', targets: gone"),
            "fail",
            "expected every target of job gone up, got 0 of 1 up; 127.0.0.1:",
        ),
        (
            format!("url: '{url}', targets: nothing"),
            "fail",
            "got no target in that job",
        ),
        (
            format!("url: '{url}', rules: [HighErrorRate, NeverFires]"),
            "pass",
            "2 alerting rule(s) loaded",
        ),
        (
            format!("url: '{url}', rules: [HighErrorRate, DiskFull]"),
            "fail",
            "got not loaded: DiskFull",
        ),
        (
            format!("url: '{url}', alerts: {{ severity: critical }}"),
            "fail",
            "expected no critical alert firing, got 1 firing: {alertname=\"HighErrorRate\"",
        ),
        (
            format!("url: '{url}', alerts: {{ severity: page }}"),
            "pass",
            "no page alert firing",
        ),
        (
            format!("url: '{url}', alerts: {{ ignore: [HighErrorRate] }}"),
            "pass",
            "no alert firing",
        ),
        (
            format!("url: 'http://127.0.0.1:{}', targets: app", refused_port()),
            "error",
            "connection refused",
        ),
    ];
    for (body, verdict, evidence) in cases {
        let (v, e) = probe(&body);
        assert_eq!(v, verdict, "{body}: {e}");
        assert!(e.contains(evidence), "{body}: {e}");
    }
}

#[test]
fn prometheus_token_from_the_environment_is_never_shown() {
    let (_app, prom) = setup();
    let token = "prom-token-Q7v1x9";
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[("m", &format!("prometheus: {{ url: '{}', headers: {{ Authorization: 'Bearer ${{PROM_TOKEN}}' }}, query: 'sum(app_errors)', below: 1 }}", prom.url()))]))
        .env("PROM_TOKEN", token)
        .run();
    assert_eq!(probe_result(&ran.json(), "m").0, "fail");
    assert!(!ran.stdout.contains(token) && !ran.stderr.contains(token));
}

#[test]
fn prometheus_a_runbook_watch_samples_a_query() {
    let (_app, prom) = setup();
    let checklist = format!(
        "version: 1\nname: Launch\nsections:\n  - id: s\n    title: S\n    items:\n      - {{ id: a, title: A, status: done }}\nrunbook:\n  phases:\n    - id: launch\n      title: Launch\n      at: T-0\n      steps:\n        - id: errors\n          title: Error rate after cutover\n          watch:\n            probe: {{ prometheus: {{ url: '{}', query: 'sum(app_errors)', below: 1000 }} }}\n            metric: value\n            every: 1m\n            for: 3m\n",
        prom.url()
    );
    let ws = Workspace::new(&checklist);
    let ran = ws
        .command(
            &[
                "runbook",
                "--t0",
                crate::runbook::T0,
                "--by",
                "CI",
                "--non-interactive",
            ],
            Some(crate::runbook::T0),
        )
        .env("CANDLEFISH_CLOCK", "simulated")
        .run();
    ran.code(0);
    let journal = std::fs::read_to_string(ws.path(".candlefish/runbook-20261201T150000Z.jsonl"))
        .expect("journal");
    let finish: serde_json::Value = journal
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("record"))
        .find(|r| r["op"] == "finish" && r["step"] == "errors")
        .expect("the watch finished");
    assert_eq!(finish["watch"]["samples"], 4, "{finish}");
    assert_eq!(finish["watch"]["metric"], "value", "{finish}");
    assert_eq!(finish["watch"]["worst"]["value"], 92.49, "{finish}");
    assert_eq!(finish["result"]["status"], "green", "{finish}");
}
