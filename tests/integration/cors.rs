//! `cors` against a real nginx configured the ways people configure it: a
//! proper allowlist, a wildcard with credentials, a reflected origin, an
//! allowlist without `Vary: Origin`, and CORS headers on the preflight only
//! (the actual response lacks them, so browsers refuse to read it).

use crate::nginx::Nginx;
use crate::support::{Run, checklist_of, probe_result, statuses};

const CORS_MAP: &str = r#"
map $http_origin $allowed_origin {
    default "";
    "https://app.example.com" $http_origin;
}
"#;

fn preflight_location(path: &str, origin: &str, vary: bool) -> String {
    cors_location(path, origin, vary, true)
}

/// A location answering preflights with `origin`; with `on_actual`, the
/// actual responses carry the CORS headers too.
fn cors_location(path: &str, origin: &str, vary: bool, on_actual: bool) -> String {
    let vary = if vary {
        "add_header Vary Origin always;"
    } else {
        ""
    };
    let actual = if on_actual {
        format!(
            "add_header Access-Control-Allow-Origin {origin} always;\n    \
             add_header Access-Control-Allow-Credentials true always;\n    {vary}"
        )
    } else {
        String::new()
    };
    format!(
        r#"
location {path} {{
    if ($request_method = OPTIONS) {{
        add_header Access-Control-Allow-Origin {origin} always;
        add_header Access-Control-Allow-Methods "GET, POST, PUT" always;
        add_header Access-Control-Allow-Headers "Authorization, Content-Type" always;
        add_header Access-Control-Allow-Credentials true always;
        {vary}
        return 204;
    }}
    {actual}
    return 200 'api';
}}
"#
    )
}

fn nginx() -> Nginx {
    Nginx::builder()
        .http(CORS_MAP)
        .server(&preflight_location("/good", "$allowed_origin", true))
        .server(&preflight_location("/wildcard", "*", false))
        .server(&preflight_location("/reflect", "$http_origin", true))
        .server(&preflight_location("/no-vary", "$allowed_origin", false))
        .server(&cors_location(
            "/preflight-only",
            "$allowed_origin",
            true,
            false,
        ))
        .start()
}

fn policy(url: &str) -> String {
    format!(
        r#"cors: {{ url: "{url}", allow: [https://app.example.com], deny: [https://evil.example], methods: [GET, PUT], headers: [Authorization], credentials: true }}"#
    )
}

#[test]
fn each_cors_misconfiguration_is_caught_with_evidence() {
    let nginx = nginx();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            ("good", &policy(&nginx.url("/good"))),
            ("wildcard", &policy(&nginx.url("/wildcard"))),
            ("reflect", &policy(&nginx.url("/reflect"))),
            ("no-vary", &policy(&nginx.url("/no-vary"))),
            ("preflight-only", &policy(&nginx.url("/preflight-only"))),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let logs = nginx.logs();
    assert_eq!(
        s["good"],
        "green",
        "{:?}\n{logs}",
        probe_result(&report, "good")
    );
    assert_eq!(
        probe_result(&report, "good").1,
        "https://app.example.com allowed (GET, PUT; Authorization; credentials); refused: https://evil.example, a random origin"
    );

    let (verdict, evidence) = probe_result(&report, "wildcard");
    assert_eq!(verdict, "fail");
    // The cause first, the consequences counted, the line short.
    assert!(
        evidence.starts_with("expected no Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true, got both in one answer, which browsers refuse (+ "),
        "{evidence}"
    );
    assert!(evidence.contains(" more: "), "{evidence}");
    assert!(
        evidence.chars().count() <= 260,
        "{} characters: {evidence}",
        evidence.chars().count()
    );
    assert!(
        evidence.contains("(+ 5 more: a random origin refused; https://evil.example refused;"),
        "{evidence}"
    );

    let (verdict, evidence) = probe_result(&report, "reflect");
    assert_eq!(verdict, "fail");
    assert!(
        evidence.contains("expected a random origin refused, got Access-Control-Allow-Origin: https://candlefish-probe-"),
        "{evidence}"
    );
    assert!(
        evidence.contains(".invalid (the server reflects any origin, with credentials)"),
        "{evidence}"
    );

    assert_eq!(s["no-vary"], "yellow");
    assert_eq!(
        probe_result(&report, "no-vary").1,
        "expected Vary: Origin with the echoed origin https://app.example.com, got no Vary; \
         expected Vary: Origin with the echoed origin https://app.example.com on the actual GET response, got no Vary"
    );

    assert_eq!(s["preflight-only"], "red");
    assert_eq!(
        probe_result(&report, "preflight-only").1,
        "expected https://app.example.com allowed on the actual GET response, got no Access-Control-Allow-Origin"
    );
}

#[test]
fn a_public_api_may_allow_every_origin_without_credentials() {
    let nginx = Nginx::builder()
        .server(&preflight_location("/public", "*", false).replace(
            "add_header Access-Control-Allow-Credentials true always;",
            "",
        ))
        .start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[(
            "public",
            &format!(
                r#"cors: {{ url: "{}", allow: ["*"], methods: [GET, POST], credentials: false }}"#,
                nginx.url("/public")
            ),
        )]))
        .run();
    ran.code(0);
    assert_eq!(
        probe_result(&ran.json(), "public").1,
        "any origin allowed (GET, POST)"
    );
}

#[test]
fn origins_written_wrong_are_rejected_before_anything_runs() {
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(&checklist_of(&[(
            "cors",
            r#"cors: { url: "http://127.0.0.1:1/", allow: ["https://app.example.com/"] }"#,
        )]))
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains("allow: `https://app.example.com/` is not an origin as browsers send it: write `https://app.example.com`"),
        "{}",
        ran.stderr
    );
}
