//! DNS answers shared within a run: every probe to the same host waits on one
//! lookup (concurrent askers included), so a checklist with 200 probes against
//! one API asks the resolver once. A new run starts with an empty cache.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use tokio::sync::OnceCell;

type Answer = Result<Vec<SocketAddr>, String>;

/// A resolver for reqwest that looks each name up once per run.
#[derive(Debug, Default)]
pub struct SharedResolver {
    answers: Mutex<HashMap<String, Arc<OnceCell<Answer>>>>,
    lookups: AtomicUsize,
}

impl SharedResolver {
    /// Resolves `host`, asking the system resolver only the first time.
    pub async fn lookup(&self, host: &str) -> Answer {
        let cell = {
            let mut answers = self
                .answers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(answers.entry(host.to_owned()).or_default())
        };
        cell.get_or_init(|| async {
            self.lookups.fetch_add(1, Ordering::Relaxed);
            tokio::net::lookup_host((host, 0))
                .await
                .map(Iterator::collect)
                .map_err(|e| e.to_string())
        })
        .await
        .clone()
    }

    /// How many times the system resolver was asked.
    pub fn lookups(&self) -> usize {
        self.lookups.load(Ordering::Relaxed)
    }
}

/// The reqwest-facing handle.
#[derive(Debug, Clone, Default)]
pub struct ResolverHandle(pub Arc<SharedResolver>);

impl Resolve for ResolverHandle {
    fn resolve(&self, name: Name) -> Resolving {
        let resolver = Arc::clone(&self.0);
        Box::pin(async move {
            match resolver.lookup(name.as_str()).await {
                Ok(addrs) => Ok(Box::new(addrs.into_iter()) as Addrs),
                Err(message) => Err(message.into()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn concurrent_lookups_of_one_name_ask_once() {
        let resolver = Arc::new(SharedResolver::default());
        let mut joins = Vec::new();
        for _ in 0..20 {
            let r = Arc::clone(&resolver);
            joins.push(tokio::spawn(async move { r.lookup("localhost").await }));
        }
        for j in joins {
            let answer = j.await.expect("join").expect("localhost resolves");
            assert!(answer.iter().all(|a| a.ip().is_loopback()));
        }
        assert_eq!(resolver.lookups(), 1);
        resolver
            .lookup("127.0.0.1")
            .await
            .expect("an address resolves to itself");
        assert_eq!(resolver.lookups(), 2);
    }
}
