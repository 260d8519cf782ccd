//! `openapi` against documents served on 127.0.0.1, in JSON and YAML.

use crate::apps::{App, Reply};
use crate::support::{Run, checklist_of, probe_result, statuses};

const YAML: &str = "openapi: 3.1.0
info: { title: Candlefish API, version: 2.0.1 }
paths:
  /health:
    get: { summary: Health, responses: { 200: { description: healthy } } }
  /users:
    get: { summary: List users, responses: { 200: { description: the users } } }
    post: { description: Create a user, responses: { 201: { description: created } } }
  /users/{id}:
    get: { responses: { 200: { description: the user } } }
    delete: { responses: { 204: { description: gone } } }
";

fn json_spec(operations: usize, documented: usize) -> String {
    let mut paths = serde_json::Map::new();
    for i in 0..operations {
        let mut op = serde_json::json!({"responses": {"200": {"description": "ok"}}});
        if i < documented {
            op["summary"] = format!("Operation {i}").into();
        }
        paths.insert(format!("/things/{i}"), serde_json::json!({ "get": op }));
    }
    serde_json::json!({"openapi": "3.0.3", "info": {"title": "Things", "version": "1"}, "paths": paths}).to_string()
}

#[test]
fn documentation_completeness_is_measured_and_named() {
    let app = App::start(|asked| match asked.path.as_str() {
        "/openapi.yaml" => Reply::new(200, YAML).header("Content-Type", "application/yaml"),
        "/complete.json" => Reply::json(200, json_spec(45, 45)),
        "/partial.json" => Reply::json(200, json_spec(45, 41)),
        "/html" => Reply::new(200, "<html>docs</html>"),
        _ => Reply::new(404, "not found"),
    });
    let probe =
        |path: &str, extra: &str| format!(r#"openapi: {{ url: "{}"{extra} }}"#, app.url(path));
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("complete", &probe("/complete.json", ", responses: true")),
            ("partial", &probe("/partial.json", ", min_documented: 95%")),
            ("lenient", &probe("/partial.json", ", min_documented: 90%")),
            ("yaml", &probe("/openapi.yaml", ", min_documented: 60%")),
            ("not-a-spec", &probe("/html", "")),
            ("missing", &probe("/nope.json", "")),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    assert_eq!(
        probe_result(&report, "complete").1,
        "45 of 45 operations documented (100%) in OpenAPI 3.0.3 \"Things\" 1; all 45 document their responses"
    );
    assert_eq!(
        probe_result(&report, "partial").1,
        "expected at least 95% of operations documented, got 41 of 45 operations documented (91%); undocumented: GET /things/41, GET /things/42, GET /things/43, GET /things/44 in OpenAPI 3.0.3 \"Things\" 1"
    );
    assert_eq!(s["lenient"], "green");
    assert_eq!(
        probe_result(&report, "yaml").1,
        "3 of 5 operations documented (60%); undocumented: GET /users/{id}, DELETE /users/{id} in OpenAPI 3.1.0 \"Candlefish API\" 2.0.1"
    );
    let (verdict, evidence) = probe_result(&report, "not-a-spec");
    assert_eq!(verdict, "fail");
    assert!(
        evidence.starts_with(
            "expected an OpenAPI document (JSON or YAML), got a 17-byte body that is "
        ),
        "{evidence}"
    );
    assert_eq!(
        probe_result(&report, "missing").1,
        "expected status 2xx, got 404 Not Found"
    );
}
