//! `rate_limit`: nginx's `limit_req` is detected; a server without a limit is
//! reported; the burst never exceeds its count (a counting server says so),
//! and checklists asking for more than the caps are rejected before anything runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::apps::{App, Reply};
use crate::nginx::Nginx;
use crate::support::{Run, checklist_of, probe_result, statuses};

#[test]
fn nginx_limit_req_is_found_and_its_absence_reported() {
    let nginx = Nginx::builder()
        .http("limit_req_zone $binary_remote_addr zone=api:1m rate=5r/s;")
        .server("location /limited { limit_req zone=api burst=5 nodelay; limit_req_status 429; try_files /page.txt =404; }")
        .server("location /open { try_files /page.txt =404; }")
        .file("html/page.txt", "a page")
        .start();
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            (
                "limited",
                &format!(
                    r#"rate_limit: {{ url: "{}", requests: 60, per_second: 60 }}"#,
                    nginx.url("/limited")
                ),
            ),
            (
                "open",
                &format!(
                    r#"rate_limit: {{ url: "{}", requests: 60, per_second: 60 }}"#,
                    nginx.url("/open")
                ),
            ),
        ]))
        .run();
    ran.code(1);
    let report = ran.json();
    let s = statuses(&report);
    let (verdict, evidence) = probe_result(&report, "limited");
    assert_eq!(s["limited"], "green", "{evidence}\n{}", nginx.logs());
    assert_eq!(verdict, "pass");
    assert!(
        evidence.starts_with("429 Too Many Requests at request ")
            && evidence.ends_with(" of at most 60 (60/s)"),
        "{evidence}"
    );
    let (verdict, evidence) = probe_result(&report, "open");
    assert_eq!(verdict, "fail");
    // What the burst showed, and no more: not "(no limit)", and the time it
    // really took rather than the one planned.
    assert!(
        evidence.starts_with(
            "expected 429 within 60 requests at 60/s, got 60 × 200 OK, none limited in 60 requests over "
        ),
        "{evidence}"
    );
    assert!(!evidence.contains("no limit"), "{evidence}");
}

#[test]
fn the_burst_stops_at_its_count_and_at_the_first_refusal() {
    let never = App::start(|_| Reply::new(200, "fine"));
    let counter = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&counter);
    let limiting = App::start(move |_| {
        if seen.fetch_add(1, Ordering::SeqCst) < 10 {
            Reply::new(200, "fine").header("RateLimit-Policy", "10;w=60")
        } else {
            Reply::new(429, "slow down")
                .header("Retry-After", "30")
                .header("RateLimit", "limit=10, remaining=0, reset=30")
        }
    });
    // A limit of 10 that a burst of 5 cannot reach: the evidence says what
    // the 5 showed, not that there is no limit.
    let ten = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&ten);
    let above_the_burst = App::start(move |_| {
        if counted.fetch_add(1, Ordering::SeqCst) < 10 {
            Reply::new(200, "fine").header("RateLimit-Policy", "10;w=60")
        } else {
            Reply::new(429, "slow down")
        }
    });
    let ran = Run::new(&["check", "--format", "json"])
        .with_checklist(&checklist_of(&[
            (
                "short",
                &format!(
                    r#"rate_limit: {{ url: "{}", requests: 5, per_second: 50 }}"#,
                    above_the_burst.url("/")
                ),
            ),
            (
                "never",
                &format!(
                    r#"rate_limit: {{ url: "{}", requests: 45, per_second: 100 }}"#,
                    never.url("/")
                ),
            ),
            (
                "limiting",
                &format!(
                    r#"rate_limit: {{ url: "{}", requests: 45, per_second: 20 }}"#,
                    limiting.url("/")
                ),
            ),
        ]))
        .run();
    ran.code(1);
    assert_eq!(never.hits(), 45, "exactly the configured count, never more");
    let report = ran.json();
    let (verdict, short) = probe_result(&report, "short");
    assert_eq!(verdict, "fail", "{short}");
    assert!(
        short.starts_with(
            "expected 429 within 5 requests at 50/s, got 5 × 200 OK, none limited in 5 requests over "
        ) && short.ends_with("; RateLimit-Policy: 10;w=60"),
        "{short}"
    );
    assert_eq!(above_the_burst.hits(), 5);
    assert_eq!(
        probe_result(&report, "limiting").1,
        "429 Too Many Requests at request 11 of at most 45 (20/s); RateLimit: limit=10, remaining=0, reset=30; Retry-After: 30"
    );
    assert!(
        (11..=13).contains(&limiting.hits()),
        "the burst stops at the first refusal (requests already in flight may land): {}",
        limiting.hits()
    );
}

#[test]
fn bursts_above_the_caps_are_rejected_and_send_nothing() {
    let app = App::start(|_| Reply::new(200, "fine"));
    let ran = Run::new(&["check"])
        .with_checklist(&checklist_of(&[(
            "huge",
            &format!(
                r#"rate_limit: {{ url: "{}", requests: 10000, per_second: 5000 }}"#,
                app.url("/")
            ),
        )]))
        .run();
    ran.code(2);
    assert!(
        ran.stderr.contains(
            "requests is 10000: a burst is 1 to 500 requests (Candlefish never sends more)"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("per_second is 5000: a burst goes at 1 to 100 requests a second (Candlefish never goes faster)"),
        "{}",
        ran.stderr
    );
    assert_eq!(app.hits(), 0);
}
