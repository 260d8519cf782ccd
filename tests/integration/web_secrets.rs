//! Secrets never reach output, whichever web probe carries them: a password in
//! the URL (and its Basic-auth form) or a token from the environment in a
//! header, even when the server echoes them into every place a probe quotes.

use base64::Engine as _;

use crate::apps::{App, Reply};
use crate::support::{Run, checklist_of};

#[test]
fn no_web_probe_ever_shows_a_password_or_token() {
    // Echo the Authorization header everywhere evidence quotes from.
    let app = App::start(|asked| {
        let auth = asked
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        match asked.path.as_str() {
            "/cors" => Reply::new(204, "").header("Access-Control-Allow-Origin", &auth),
            "/headers" => Reply::new(200, "").header("Server", &format!("echo/1.0 {auth}")),
            "/limit" => Reply::new(429, "").header("Retry-After", &auth),
            "/graphql" => Reply::json(
                200,
                format!(r#"{{"errors":[{{"message":"who is {auth}"}}]}}"#),
            ),
            "/openapi" => Reply::json(
                200,
                format!(
                    r#"{{"openapi":"3.0.0","info":{{"title":"{auth}","version":"1"}},"paths":{{}}}}"#
                ),
            ),
            _ => Reply::new(500, format!("you sent {auth}")),
        }
    });
    let base = app.addr;
    let with_password = |path: &str| format!("http://probe:${{WEB_PASSWORD}}@{base}{path}");
    let token = r#"headers: { Authorization: "Bearer ${WEB_TOKEN}" }"#;
    let checklist = checklist_of(&[
        (
            "http",
            &format!(
                r#"http: {{ url: "{}", expect: {{ body_contains: nothing }} }}"#,
                with_password("/http")
            ),
        ),
        (
            "cors",
            &format!(
                r#"cors: {{ url: "{}", deny: [https://evil.example] }}"#,
                with_password("/cors")
            ),
        ),
        (
            "headers",
            &format!(
                r#"headers: {{ url: "{}", require: [nosniff] }}"#,
                with_password("/headers")
            ),
        ),
        (
            "limit-password",
            &format!(
                r#"rate_limit: {{ url: "{}", requests: 3, per_second: 50 }}"#,
                with_password("/limit")
            ),
        ),
        (
            "limit-token",
            &format!(
                r#"rate_limit: {{ url: "http://{base}/limit", requests: 3, per_second: 50, {token} }}"#
            ),
        ),
        (
            "graphql",
            &format!(r#"graphql: {{ url: "http://{base}/graphql", {token} }}"#),
        ),
        (
            "openapi",
            &format!(r#"openapi: {{ url: "http://{base}/openapi", {token} }}"#),
        ),
    ]);
    let password = "pw-24680-secret";
    let token_value = "tok-13579-secret";
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("probe:{password}"));
    for format in ["json", "board"] {
        let ran = Run::new(&["check", "--format", format, "--width", "300"])
            .with_checklist(&checklist)
            .env("WEB_PASSWORD", password)
            .env("WEB_TOKEN", token_value)
            .run();
        ran.code(1);
        for output in [&ran.stdout, &ran.stderr] {
            for secret in [password, token_value, basic.as_str()] {
                assert!(
                    !output.contains(secret),
                    "{secret} leaked in {format}:\n{output}"
                );
            }
        }
        assert!(
            ran.stdout.contains("••••"),
            "the echoes are masked, not missing:\n{}",
            ran.stdout
        );
    }
    assert!(
        app.asked().iter().any(|a| a
            .headers
            .get("authorization")
            .is_some_and(|v| v.ends_with(token_value))),
        "the token was sent"
    );
}
