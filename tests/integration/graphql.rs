//! `graphql` against a small gateway on 127.0.0.1 that knows one nesting field
//! (`friends`), can refuse introspection, and can limit query depth.

use crate::apps::{App, Asked, Reply};
use crate::support::{Run, checklist_of, probe_result, statuses};

/// How deeply `{ … }` nest in a query.
fn depth(query: &str) -> usize {
    let (mut now, mut max) = (0usize, 0usize);
    for c in query.chars() {
        match c {
            '{' => {
                now += 1;
                max = max.max(now);
            }
            '}' => now = now.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn error(message: &str) -> Reply {
    Reply::json(
        200,
        format!(r#"{{"errors":[{{"message":"{message}"}}],"data":null}}"#),
    )
}

/// `/locked`: no introspection, depth at most 5. `/open`: anything goes.
/// Echoes the Authorization header into its error for an unknown field.
fn gateway(asked: &Asked) -> Reply {
    let body: serde_json::Value = serde_json::from_str(&asked.body).unwrap_or_default();
    let query = body["query"].as_str().unwrap_or_default();
    let locked = asked.path == "/locked";
    if query.contains("nosuch") {
        let auth = asked
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        return error(&format!(
            "Cannot query field nosuch on type Query (caller {auth})"
        ));
    }
    if query.contains("__schema") {
        return if locked {
            error("GraphQL introspection is not allowed")
        } else {
            Reply::json(
                200,
                r#"{"data":{"__schema":{"queryType":{"name":"Query"}}}}"#,
            )
        };
    }
    if locked && depth(query) > 5 {
        return error(&format!(
            "Query depth {} exceeds the limit of 5",
            depth(query)
        ));
    }
    Reply::json(200, r#"{"data":{"__typename":"Query","friends":[]}}"#)
}

#[test]
fn a_locked_gateway_passes_and_an_open_one_is_caught() {
    let app = App::start(gateway);
    let probe = |path: &str, extra: &str| {
        format!(
            r#"graphql: {{ url: "{}", complexity: {{ field: friends, depth: 12 }}{extra} }}"#,
            app.url(path)
        )
    };
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("locked", &probe("/locked", "")),
            ("open", &probe("/open", "")),
            ("open-by-design", &probe("/open", ", introspection: enabled")),
            ("wrong-field", &format!(r#"graphql: {{ url: "{}", complexity: {{ field: nosuch }} }}"#, app.url("/locked"))),
            ("hand-written", &format!(r#"graphql: {{ url: "{}", introspection: any, complexity: {{ query: "{{ a {{ b {{ c {{ d {{ e {{ f }} }} }} }} }} }}" }} }}"#, app.url("/locked"))),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let (_, evidence) = probe_result(&report, "locked");
    assert_eq!(s["locked"], "green", "{evidence}");
    assert!(
        evidence.starts_with("query answered with data in ")
            && evidence.ends_with("; introspection disabled (refused: GraphQL introspection is not allowed); a 12-deep query refused: Query depth 13 exceeds the limit of 5"),
        "{evidence}"
    );
    assert_eq!(
        probe_result(&report, "open").1,
        "expected introspection disabled, got the schema (query type Query); expected a 12-deep query refused, got data {\"__typename\":\"Query\",\"friends\":[]}"
    );
    assert_eq!(
        probe_result(&report, "open-by-design").1,
        "expected a 12-deep query refused, got data {\"__typename\":\"Query\",\"friends\":[]}"
    );
    assert_eq!(
        probe_result(&report, "wrong-field").1,
        "expected the control query (`nosuch` once) to answer, so the field is right, got refused: Cannot query field nosuch on type Query (caller )"
    );
    assert_eq!(
        s["hand-written"],
        "green",
        "{:?}",
        probe_result(&report, "hand-written")
    );
}

#[test]
fn tokens_sent_to_the_gateway_never_show() {
    let app = App::start(gateway);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "token",
            &format!(r#"graphql: {{ url: "{}", headers: {{ Authorization: "Bearer ${{GQL_TOKEN}}" }}, query: "{{ nosuch }}" }}"#, app.url("/locked")),
        )]))
        .env("GQL_TOKEN", "gql-secret-98765")
        .run();
    ran.code(1);
    assert!(!ran.stdout.contains("gql-secret-98765"), "{}", ran.stdout);
    assert!(ran.stdout.contains("(caller ••••)"), "{}", ran.stdout);
    let asked = &app.asked()[0];
    assert_eq!(asked.method, "POST");
    assert_eq!(asked.headers["content-type"], "application/json");
    assert_eq!(asked.headers["authorization"], "Bearer gql-secret-98765");
}
