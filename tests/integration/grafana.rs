//! The `grafana` probe against an in-test server speaking the documented
//! shapes of Grafana's HTTP API (`/api/health`, `/api/dashboards/uid/…`,
//! `/api/search`, `/api/datasources/name/…`, `/api/datasources/uid/…/health`),
//! answering 401 without the right service-account token as Grafana does.
//! No Grafana package exists in Debian, so this is the closest to real here.

use crate::apps::{App, Asked, Reply};
use crate::support::{Run, checklist_of, probe_result};

const TOKEN: &str = "glsa_candlefish_5Xk2q9Lw";

fn grafana(database: &'static str) -> App {
    App::start(move |asked: &Asked| {
        if asked.path == "/api/health" {
            return Reply::json(
                200,
                format!(r#"{{"commit":"0f3a1c2","database":"{database}","version":"10.4.2"}}"#),
            );
        }
        if asked.headers.get("authorization").map(String::as_str)
            != Some(&format!("Bearer {TOKEN}"))
        {
            return Reply::json(401, r#"{"message":"invalid API key","traceID":""}"#);
        }
        match asked.path.as_str() {
            "/api/dashboards/uid/api-overview" => Reply::json(
                200,
                r#"{"dashboard":{"id":1,"uid":"api-overview","title":"API overview","version":3},"meta":{"slug":"api-overview","folderTitle":"General"}}"#,
            ),
            "/api/search" if asked.uri.contains("query=Launch%20day") => Reply::json(
                200,
                r#"[{"id":2,"uid":"launch","title":"Launch day","uri":"db/launch-day","type":"dash-db","tags":[]},{"id":3,"uid":"launch-old","title":"Launch day (old)","type":"dash-db","tags":[]}]"#,
            ),
            "/api/search" => Reply::json(200, "[]"),
            "/api/datasources/name/Prometheus" => Reply::json(
                200,
                r#"{"id":1,"uid":"P1809F7CD0C75ACF3","orgId":1,"name":"Prometheus","type":"prometheus","access":"proxy","url":"http://prometheus:9090"}"#,
            ),
            "/api/datasources/name/Loki" => Reply::json(
                200,
                r#"{"id":2,"uid":"P8E80F9AEF21F6940","orgId":1,"name":"Loki","type":"loki","access":"proxy","url":"http://loki:3100"}"#,
            ),
            "/api/datasources/uid/P1809F7CD0C75ACF3/health" => Reply::json(
                200,
                r#"{"message":"Successfully queried the Prometheus API.","status":"OK"}"#,
            ),
            "/api/datasources/uid/P8E80F9AEF21F6940/health" => Reply::json(
                400,
                r#"{"message":"Unable to connect with Loki. Please check the server logs for more details.","status":"ERROR"}"#,
            ),
            p if p.starts_with("/api/dashboards/uid/") => {
                Reply::json(404, r#"{"message":"Dashboard not found"}"#)
            }
            p if p.starts_with("/api/datasources/name/") => {
                Reply::json(404, r#"{"message":"Data source not found"}"#)
            }
            _ => Reply::json(404, r#"{"message":"Not found"}"#),
        }
    })
}

fn check(body: &str) -> (String, String, crate::support::Ran) {
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[("g", &format!("grafana: {{ {body} }}"))]))
        .env("GRAFANA_TOKEN", TOKEN)
        .run();
    let (v, e) = probe_result(&ran.json(), "g");
    (v, e, ran)
}

#[test]
fn grafana_health_dashboards_and_data_sources() {
    let app = grafana("ok");
    let url = app.url("");
    let cases = [
        (format!("url: '{url}'"), "pass", "Grafana 10.4.2 healthy"),
        (
            format!(
                "url: '{url}', token: '${{GRAFANA_TOKEN}}', dashboards: {{ uids: [api-overview], titles: [Launch day] }}, datasources: [Prometheus]"
            ),
            "pass",
            "2 dashboard(s) found; data source(s) Prometheus checked",
        ),
        (
            format!(
                "url: '{url}', token: '${{GRAFANA_TOKEN}}', dashboards: {{ uids: [api-overview, gone], titles: [Launch, Launch day] }}"
            ),
            "fail",
            "expected 4 dashboard(s) to exist, got missing: uid gone, title \"Launch\"",
        ),
        (
            format!(
                "url: '{url}', token: '${{GRAFANA_TOKEN}}', datasources: [Prometheus, Loki, Tempo]"
            ),
            "fail",
            "expected data source Loki healthy, got ERROR: Unable to connect with Loki. Please check the server logs for more details.; expected data source Tempo healthy, got no such data source",
        ),
        (
            format!("url: '{url}', dashboards: {{ uids: [api-overview] }}"),
            "error",
            "401 Unauthorized from /api/dashboards/uid/api-overview: the token is missing, wrong or lacks permission",
        ),
    ];
    for (body, verdict, evidence) in cases {
        let (v, e, ran) = check(&body);
        assert_eq!(v, verdict, "{body}: {e}");
        assert!(e.contains(evidence), "{body}: {e}");
        assert!(!ran.stdout.contains(TOKEN) && !ran.stderr.contains(TOKEN));
    }
    let asked = app.asked();
    assert!(asked.iter().any(|a| {
        a.headers
            .get("authorization")
            .is_some_and(|h| h.ends_with(TOKEN))
    }));
}

#[test]
fn grafana_a_failing_database_fails_health() {
    let app = grafana("failing");
    let (v, e, _) = check(&format!("url: '{}'", app.url("")));
    assert_eq!(v, "fail");
    assert_eq!(e, "expected /api/health database ok, got database failing");
    let (v, e, _) = check(&format!(
        "url: 'http://127.0.0.1:{}'",
        crate::support::refused_port()
    ));
    assert_eq!(v, "error");
    assert!(e.contains("connection refused"), "{e}");
}
