//! The stages of one web exchange, so that a deadline names the one that
//! stalled: waiting for the response headers (the exchange says so before
//! sending), connecting (a connector layer says so when reqwest opens a new
//! connection, and puts the waiting stage back when it is open), and the TLS
//! handshake (the rustls session store says so as the ClientHello is written,
//! see [`super::tls`]). A request on a pooled connection never connects, so
//! its stage stays "waiting for the response headers".

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

const WAITING: &str = "waiting for the response headers from ";
const CONNECTING: &str = "connecting to ";

/// The exchange is about to send to `place` (`host:port`).
pub fn waiting_for_headers(place: &str) {
    crate::probe::stage(format!("{WAITING}{place}"));
}

/// The place the exchange in this task talks to, from its stage.
fn place() -> Option<String> {
    let now = crate::probe::current_stage()?;
    now.strip_prefix(WAITING)
        .or_else(|| now.strip_prefix(CONNECTING))
        .map(|p| p.split(" (").next().unwrap_or(p).to_owned())
}

/// rustls began a handshake with `server_name`.
pub fn handshake_started(server_name: &str) {
    let place = place().unwrap_or_else(|| server_name.to_owned());
    crate::probe::stage(format!(
        "in the TLS handshake with {place} (connected; no answer to the TLS hello yet)"
    ));
}

/// A connector layer that names the connecting stage.
#[derive(Debug, Clone, Copy, Default)]
pub struct ConnectStages;

impl<S> tower_layer::Layer<S> for ConnectStages {
    type Service = Staged<S>;
    fn layer(&self, inner: S) -> Staged<S> {
        Staged(inner)
    }
}

/// See [`ConnectStages`].
#[derive(Debug, Clone)]
pub struct Staged<S>(S);

impl<S, R> tower_service::Service<R> for Staged<S>
where
    S: tower_service::Service<R>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: R) -> Self::Future {
        let place = place();
        if let Some(place) = &place {
            crate::probe::stage(format!("{CONNECTING}{place}"));
        }
        let connecting = self.0.call(request);
        Box::pin(async move {
            let done = connecting.await;
            if let Some(place) = &place {
                waiting_for_headers(place);
            }
            done
        })
    }
}
