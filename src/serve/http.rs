//! The HTTP side of `serve`: hyper 1 over HTTP/1.1 on one listener.
//!
//! | path | answers |
//! |---|---|
//! | `/` | the live board (one checklist), or an index of them (several); `?checklist=NAME` picks one |
//! | `/metrics` | the Prometheus exposition ([`super::metrics`]) |
//! | `/healthz` | 200 while the process serves |
//! | `/readyz` | 200 when the latest round of every checklist passed its gate, else 503 |
//! | `/api/v1/report` | the latest JSON report (the `--format json` schema); `?checklist=NAME` |
//! | `/api/v1/history` | the latest rounds' summaries, oldest first; `?checklist=NAME`, `?limit=N` |
//! | `/api/v1/events` | server-sent events: `run` after every round (the live board's cue) |
//!
//! Bounded whatever a client does: request heads up to 16 KiB, read within
//! 10 s; request bodies are never read; at most [`MAX_CONNECTIONS`]
//! connections at once (more wait in the kernel's backlog); only `GET` and
//! `HEAD`. An event stream holds a change counter, not a queue, so a reader
//! that stops reading costs nothing. On shutdown the listener closes, event
//! streams end and open connections get [`DRAIN`] to finish.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, StreamBody, combinators::BoxBody};
use hyper::body::{Frame, Incoming};
use hyper::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use super::{Hub, live, metrics};

/// Connections served at once.
pub const MAX_CONNECTIONS: usize = 256;
/// How long open connections get to finish after shutdown starts.
pub const DRAIN: Duration = Duration::from_secs(5);
/// How often an idle event stream carries a comment.
const HEARTBEAT: Duration = Duration::from_secs(15);

type Body = BoxBody<Bytes, Infallible>;

/// Serves `hub` on `listener` until `shutdown` is cancelled, then drains.
pub async fn serve(listener: TcpListener, hub: Arc<Hub>, shutdown: CancellationToken) {
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = Arc::clone(&slots).acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = stream else {
            // Out of descriptors or a reset before accept: try again shortly.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let hub = Arc::clone(&hub);
        let stop = shutdown.clone();
        let service = hyper::service::service_fn(move |request: Request<Incoming>| {
            let hub = Arc::clone(&hub);
            let stop = stop.clone();
            async move { Ok::<_, Infallible>(route(&request, &hub, &stop)) }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(Duration::from_secs(10))
            .max_buf_size(16 * 1024)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(DRAIN, graceful.shutdown()).await;
}

fn route(request: &Request<Incoming>, hub: &Arc<Hub>, stop: &CancellationToken) -> Response<Body> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let query = Query::parse(request.uri().query());
    match request.uri().path() {
        "/" => board(hub, &query),
        "/healthz" => text(StatusCode::OK, "ok\n"),
        "/readyz" => ready(hub),
        "/metrics" => {
            let now = jiff::Timestamp::now().as_millisecond() as f64 / 1000.0;
            let body = metrics::render(&hub.lock(), now);
            with_type(StatusCode::OK, metrics::CONTENT_TYPE, body)
        }
        "/api/v1/report" => {
            let latest = {
                let state = hub.lock();
                state
                    .find(query.checklist.as_deref())
                    .map(|c| c.latest.clone())
            };
            match latest {
                Ok(Some(report)) => json(StatusCode::OK, &*report),
                Ok(None) => problem(StatusCode::SERVICE_UNAVAILABLE, "no round has finished yet"),
                Err(message) => problem(StatusCode::NOT_FOUND, &message),
            }
        }
        "/api/v1/history" => history(hub, &query),
        "/api/v1/events" => events(hub, stop.clone()),
        _ => text(
            StatusCode::NOT_FOUND,
            "not found; try /, /metrics, /healthz, /readyz, /api/v1/report, /api/v1/history\n",
        ),
    }
}

fn board(hub: &Hub, query: &Query) -> Response<Body> {
    let state = hub.lock();
    if query.checklist.is_none() && state.checklists.len() > 1 {
        let entries: Vec<(String, Option<bool>)> = state
            .checklists
            .iter()
            .map(|c| {
                let passed = c
                    .latest
                    .as_ref()
                    .map(|r| r.gate.as_ref().is_some_and(|g| g.passed));
                (c.name.clone(), passed)
            })
            .collect();
        return html(live::index(&entries));
    }
    let served = match state.find(query.checklist.as_deref()) {
        Ok(served) => served,
        Err(message) => return text(StatusCode::NOT_FOUND, &format!("{message}\n")),
    };
    let Some(report) = served.latest.clone() else {
        return html(live::waiting(&served.name));
    };
    let banner = served.invalid.as_ref().map(|why| {
        format!(
            "{} no longer validates; the board shows rounds of its last valid version.\n{why}",
            served.file
        )
    });
    drop(state);
    html(live::page(
        &crate::report::html::render(&report),
        banner.as_deref(),
    ))
}

fn ready(hub: &Hub) -> Response<Body> {
    let state = hub.lock();
    let mut problems = Vec::new();
    for c in &state.checklists {
        match c.latest.as_ref().and_then(|r| r.gate.as_ref()) {
            None => problems.push(format!("{}: no round has finished yet", c.name)),
            Some(gate) if !gate.passed => {
                let shown: Vec<&str> = gate.failing.iter().take(10).map(String::as_str).collect();
                let more = gate.failing.len().saturating_sub(shown.len());
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                problems.push(format!(
                    "{}: the gate failed ({}): {}{more}",
                    c.name,
                    gate.policy,
                    shown.join(", ")
                ));
            }
            Some(_) => {}
        }
    }
    if problems.is_empty() {
        text(StatusCode::OK, "ready\n")
    } else {
        text(
            StatusCode::SERVICE_UNAVAILABLE,
            &format!("not ready\n{}\n", problems.join("\n")),
        )
    }
}

fn history(hub: &Hub, query: &Query) -> Response<Body> {
    let state = hub.lock();
    if let Some(name) = &query.checklist
        && let Err(message) = state.find(Some(name))
    {
        return problem(StatusCode::NOT_FOUND, &message);
    }
    let runs: Vec<&super::RunSummary> = state
        .history
        .iter()
        .filter(|r| query.checklist.as_ref().is_none_or(|n| *n == r.checklist))
        .collect();
    let limit = query.limit.unwrap_or(runs.len()).min(runs.len());
    let runs = &runs[runs.len() - limit..];
    json(
        StatusCode::OK,
        &serde_json::json!({ "capacity": state.history_cap, "runs": runs }),
    )
}

/// `run` events after each round, a comment every [`HEARTBEAT`] so proxies
/// keep the stream open; the stream ends at shutdown.
fn events(hub: &Hub, stop: CancellationToken) -> Response<Body> {
    let mut rx = hub.subscribe();
    rx.mark_unchanged();
    let stream = futures::stream::unfold((rx, stop, true), |(mut rx, stop, first)| async move {
        if first {
            let hello = Bytes::from_static(b"retry: 2000\n: connected\n\n");
            return Some((Ok(Frame::data(hello)), (rx, stop, false)));
        }
        let frame = tokio::select! {
            () = stop.cancelled() => return None,
            changed = rx.changed() => match changed {
                Ok(()) => {
                    let n = *rx.borrow_and_update();
                    Bytes::from(format!("event: run\ndata: {n}\n\n"))
                }
                Err(_) => return None,
            },
            () = tokio::time::sleep(HEARTBEAT) => Bytes::from_static(b": keep-alive\n\n"),
        };
        Some((Ok::<_, Infallible>(Frame::data(frame)), (rx, stop, false)))
    });
    let mut response = Response::new(StreamBody::new(stream).boxed());
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The query parameters the server reads; others are ignored.
#[derive(Debug, Default, PartialEq)]
struct Query {
    checklist: Option<String>,
    limit: Option<usize>,
}

impl Query {
    fn parse(query: Option<&str>) -> Query {
        let mut out = Query::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            match &*key {
                "checklist" => out.checklist = Some(value.into_owned()),
                "limit" => out.limit = value.parse().ok(),
                _ => {}
            }
        }
        out
    }
}

fn with_type(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)).boxed());
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn text(status: StatusCode, body: &str) -> Response<Body> {
    with_type(status, "text/plain; charset=utf-8", body.to_owned())
}

fn html(body: String) -> Response<Body> {
    with_type(StatusCode::OK, "text/html; charset=utf-8", body)
}

fn json(status: StatusCode, value: &impl serde::Serialize) -> Response<Body> {
    let mut body = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| format!("{{\"error\": \"could not serialize: {e}\"}}"));
    body.push('\n');
    with_type(status, "application/json", body)
}

fn problem(status: StatusCode, message: &str) -> Response<Body> {
    json(status, &serde_json::json!({ "error": message }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_decoded_and_bad_limits_ignored() {
        assert_eq!(
            Query::parse(Some("checklist=Prod+API%21&limit=5&x=1")),
            Query {
                checklist: Some("Prod API!".into()),
                limit: Some(5)
            }
        );
        assert_eq!(Query::parse(Some("limit=-1")), Query::default());
        assert_eq!(Query::parse(None), Query::default());
    }
}
