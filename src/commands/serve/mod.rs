//! `candlefish serve`: load every checklist (exit 2 if one does not
//! validate), bind the address, start one round loop per checklist
//! ([`round`]) and the HTTP server (`serve::http`), then wait for SIGTERM or
//! Ctrl-C: rounds in flight are cancelled, the server drains, exit 0.
//! A line per round goes to stderr; nothing goes to stdout.

mod round;

use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio_util::sync::CancellationToken;

use super::store::{now, store_path};
use super::{Exit, Terminal, load_options, load_or_report};
use crate::cli::ServeArgs;
use crate::serve::Hub;

pub async fn run(args: ServeArgs, term: Terminal) -> Exit {
    let usage = |message: String| {
        eprintln!("error: {message}");
        Exit::Usage
    };
    if args.state.is_some() && args.files.len() > 1 {
        return usage(
            "--state names one store: with several checklists, each uses the one beside it".into(),
        );
    }
    if let Err(message) = now() {
        return usage(message);
    }
    let mut options = match load_options(&args.load) {
        Ok(options) => options,
        Err(exit) => return exit,
    };
    options.plan.default_timeout = args.timeout;
    let mut runners = Vec::new();
    let mut names: Vec<(String, String)> = Vec::new();
    for (index, file) in args.files.iter().enumerate() {
        let Some(loaded) = load_or_report(file, &options, term) else {
            return Exit::Usage;
        };
        let name = loaded.plan.info.name.clone();
        if let Some((_, other)) = names.iter().find(|(n, _)| *n == name) {
            return usage(format!(
                "{} and {other} are both called `{name}`: the name labels the metrics, give each checklist its own",
                file.display()
            ));
        }
        names.push((name.clone(), file.display().to_string()));
        runners.push(round::Runner {
            index,
            name,
            file: file.clone(),
            options: options.clone(),
            store: store_path(file, args.state.as_deref()),
            plan: loaded.plan,
            concurrency: args.concurrency,
            per_host: args.per_host,
            policy: args.gate.policy(),
            interval: args.interval,
            jitter: args.jitter,
            shown_problem: None,
            shown_warnings: Vec::new(),
        });
    }
    let listener = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(listener) => listener,
        Err(e) => return usage(format!("cannot listen on {}: {e}", args.listen)),
    };
    let address = listener.local_addr().unwrap_or(args.listen);
    let hub = Hub::new(names, args.history);
    let cancel = CancellationToken::new();
    tokio::spawn(stop_on_signal(cancel.clone()));
    eprintln!(
        "candlefish serve: {} checklist{} every {} on http://{address}/ (metrics at /metrics)",
        runners.len(),
        if runners.len() == 1 { "" } else { "s" },
        crate::checklist::scalar::format_duration(args.interval),
    );
    let server = tokio::spawn(crate::serve::http::serve(
        listener,
        Arc::clone(&hub),
        cancel.clone(),
    ));
    let mut rounds = tokio::task::JoinSet::new();
    for runner in runners {
        rounds.spawn(runner.run(Arc::clone(&hub), cancel.clone()));
    }
    while rounds.join_next().await.is_some() {}
    let _ = server.await;
    eprintln!("candlefish serve: stopped");
    Exit::Passed
}

/// Cancels `cancel` at the first SIGTERM, SIGINT (Ctrl-C) or SIGHUP.
async fn stop_on_signal(cancel: CancellationToken) {
    let (Ok(mut term), Ok(mut hup)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::hangup()),
    ) else {
        eprintln!("warning: cannot watch for SIGTERM; stop with SIGKILL");
        return;
    };
    let which = tokio::select! {
        _ = tokio::signal::ctrl_c() => "SIGINT",
        _ = term.recv() => "SIGTERM",
        _ = hup.recv() => "SIGHUP",
    };
    eprintln!("candlefish serve: {which}: stopping (rounds in flight are cancelled)");
    cancel.cancel();
}
