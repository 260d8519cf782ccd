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

/// Tokens in URLs — a webhook path, a query parameter — and values passed with
/// `--var`, in every command that can show a URL or an error about one.
#[test]
fn tokens_in_urls_and_vars_stay_hidden_in_every_command() {
    let app = App::start(|asked| {
        let auth = asked
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        Reply::new(500, format!("you sent {} {auth}", asked.path)).header("X-Echo", &auth)
    });
    let base = app.addr;
    let token = "tok-97531-secret";
    let var_token = "var-86420-secret";
    // The server echoes the path and the token; the evidence quotes the body.
    let quote = "expect: { body_contains: nothing, headers: { X-Echo: { equals: nothing } } }";
    let checklist = checklist_of(&[
        (
            "query",
            &format!(
                r#"http: {{ url: "http://{base}/q?api_key=${{WEB_TOKEN}}&page=2", {quote} }}"#
            ),
        ),
        (
            "webhook",
            &format!(r#"http: {{ url: "http://{base}/hooks/${{WEB_TOKEN}}", {quote} }}"#),
        ),
        (
            "whole",
            &format!(r#"http: {{ url: "${{WEBHOOK}}", {quote} }}"#),
        ),
        (
            "literal",
            &format!(
                r#"http: {{ url: "http://{base}/q?access_token=lit-24680-secret", {quote} }}"#
            ),
        ),
        (
            "var",
            &format!(
                r#"http: {{ url: "http://{base}/v", headers: {{ Authorization: "Bearer ${{VAR_TOKEN}}" }}, {quote} }}"#
            ),
        ),
    ]);
    let secrets = [token, var_token, "lit-24680-secret", "whole-97531-secret"];
    let webhook = format!("http://{base}/hooks/whole-97531-secret");
    let run = |args: &[&str]| {
        Run::new(args)
            .with_checklist(&checklist)
            .env("WEB_TOKEN", token)
            .env("WEBHOOK", &webhook)
            .run()
    };
    for args in [
        &[
            "check",
            "--format",
            "json",
            "--var",
            "VAR_TOKEN=var-86420-secret",
        ][..],
        &[
            "check",
            "--width",
            "300",
            "--var",
            "VAR_TOKEN=var-86420-secret",
        ],
        &[
            "list",
            "--format",
            "json",
            "--var",
            "VAR_TOKEN=var-86420-secret",
        ],
    ] {
        let ran = run(args);
        for output in [&ran.stdout, &ran.stderr] {
            for secret in secrets {
                assert!(
                    !output.contains(secret),
                    "{secret} leaked by {args:?}:\n{output}"
                );
            }
        }
        if args.contains(&"json") {
            assert!(ran.stdout.contains("••••"), "{args:?}: {}", ran.stdout);
        }
        if args[..3] == ["check", "--format", "json"] {
            assert!(
                ran.stdout.contains(r#"X-Echo \"nothing\", got \"••••\""#),
                "the echoed --var token is masked, not missing: {}",
                ran.stdout
            );
        }
    }
    // The base URL stays readable.
    let listed = run(&["list", "--format", "json", "--var", "VAR_TOKEN=x"]);
    assert!(
        listed
            .stdout
            .contains(&format!("http://{base}/q?api_key=••••&page=2")),
        "{}",
        listed.stdout
    );

    // Errors about malformed URLs quote them masked.
    let broken = checklist_of(&[
        (
            "port",
            r#"http: { url: "http://probe:${WEB_TOKEN}@example.com:99999/" }"#,
        ),
        (
            "scheme",
            r#"http: { url: "htp://example.com/hooks/${WEB_TOKEN}" }"#,
        ),
    ]);
    let ran = Run::new(&["validate", "candlefish.yaml"])
        .with_checklist(&broken)
        .env("WEB_TOKEN", token)
        .run();
    ran.code(2);
    assert!(!ran.stderr.contains(token), "{}", ran.stderr);
    assert!(ran.stderr.contains("is not a valid URL"), "{}", ran.stderr);
    assert!(ran.stderr.contains("has scheme `htp`"), "{}", ran.stderr);
}

/// Evidence is cut to a length; a secret the cut splits must not show its start.
#[test]
fn a_secret_cut_short_in_evidence_is_still_masked() {
    let app = App::start(|asked| {
        let auth = asked
            .headers
            .get("authorization")
            .cloned()
            .unwrap_or_default();
        Reply::json(200, format!(r#"{{"echo":"{auth}"}}"#))
    });
    let token = format!("ghp_{}", "R4nd0mT0k3n".repeat(20));
    let checklist = checklist_of(&[(
        "echo",
        &format!(
            r#"http: {{ url: "http://{}/e", headers: {{ Authorization: "Bearer ${{LONG_TOKEN}}" }}, expect: {{ json: [{{ path: "$.echo", equals: "" }}] }} }}"#,
            app.addr
        ),
    )]);
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist)
        .env("LONG_TOKEN", &token)
        .run();
    ran.code(1);
    assert!(
        ran.stdout.contains('…'),
        "the evidence was cut: {}",
        ran.stdout
    );
    assert!(!ran.stdout.contains("ghp_R4nd0m"), "{}", ran.stdout);
    assert!(ran.stdout.contains("••••"), "{}", ran.stdout);
}
