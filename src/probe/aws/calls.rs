//! The run's AWS answers: one call per (service, operation, resource,
//! settings), however many probes read it.
//!
//! The first probe to ask starts the call as a task of its own; every other
//! probe — concurrent or later — awaits the same shared future. The task runs
//! to its end even when the probe that started it hits its deadline, so a
//! second probe never repeats the call; it is bounded by [`CALL_LIMIT`].
//! Pagination is followed to the end inside the task, up to [`MAX_PAGES`].
//!
//! Throttling (`Throttling`, `RequestLimitExceeded`, …) is retried by the
//! SDK's standard retry policy with its backoff (`AWS_MAX_ATTEMPTS` and
//! `max_attempts` in the profile raise the attempts); what still fails is
//! reported as throttling.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};

use super::Access;

/// The longest one call (all its pages and retries) may take.
pub const CALL_LIMIT: Duration = Duration::from_secs(120);

/// The most pages read for one call.
pub const MAX_PAGES: usize = 1000;

/// Error codes AWS uses for throttling.
const THROTTLING: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "EC2ThrottledException",
    "BandwidthLimitExceeded",
    "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException",
];

/// What identifies one call within a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallKey {
    /// `ec2`, `rds`, …
    pub service: &'static str,
    /// `DescribeVpcs`, …
    pub operation: &'static str,
    /// The resource a per-resource call is about (a bucket); empty for list calls.
    pub resource: String,
    /// Region, profile, endpoint.
    pub access: Access,
}

impl CallKey {
    /// A call about the whole account (a list or describe call).
    pub fn list(service: &'static str, operation: &'static str, access: &Access) -> Self {
        CallKey {
            service,
            operation,
            resource: String::new(),
            access: access.clone(),
        }
    }

    /// A call about one resource.
    pub fn about(
        service: &'static str,
        operation: &'static str,
        resource: &str,
        access: &Access,
    ) -> Self {
        CallKey {
            resource: resource.to_owned(),
            ..CallKey::list(service, operation, access)
        }
    }
}

type Flight<T> = Shared<BoxFuture<'static, Result<Arc<T>, String>>>;

/// Calls in flight or done, by key and answer type.
#[derive(Default)]
pub struct Calls {
    flights: Mutex<HashMap<(CallKey, TypeId), Box<dyn Any + Send + Sync>>>,
}

impl Calls {
    /// The answer to `key`: started with `start` by the first to ask, shared
    /// with everyone after.
    pub async fn get<T, F, Fut>(&self, key: CallKey, start: F) -> Result<Arc<T>, String>
    where
        T: Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, String>> + Send + 'static,
    {
        let what = format!("{}:{}", key.service, key.operation);
        let flight = {
            let mut flights = self.flights.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = flights
                .entry((key, TypeId::of::<T>()))
                .or_insert_with(|| Box::new(launch(what.clone(), start())));
            match (**entry).downcast_ref::<Flight<T>>() {
                Some(flight) => flight.clone(),
                None => return Err(format!("internal error: mixed answers for {what}")),
            }
        };
        crate::probe::stage(format!("waiting for AWS {what}"));
        flight.await
    }
}

fn launch<T, Fut>(what: String, call: Fut) -> Flight<T>
where
    T: Send + Sync + 'static,
    Fut: Future<Output = Result<T, String>> + Send + 'static,
{
    let task = tokio::spawn(tokio::time::timeout(CALL_LIMIT, call));
    async move {
        match task.await {
            Ok(Ok(Ok(answer))) => Ok(Arc::new(answer)),
            Ok(Ok(Err(reason))) => Err(reason),
            Ok(Err(_)) => Err(format!("{what} took longer than {}s", CALL_LIMIT.as_secs())),
            Err(_) => Err(format!("{what} stopped unexpectedly")),
        }
    }
    .boxed()
    .shared()
}

/// Says why a call failed, in one sentence: refused (with AWS's code),
/// throttled, unreachable, timed out.
pub fn describe<E, R>(service: &str, operation: &str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let what = format!("{service}:{operation}");
    match error {
        SdkError::ServiceError(service_error) => {
            let err = service_error.err();
            let code = err.code().unwrap_or("an unnamed error");
            let message = err.message().unwrap_or("");
            if THROTTLING.contains(&code) {
                format!(
                    "AWS throttled {what} ({code}) and kept on after the SDK's retries: try again later, or raise AWS_MAX_ATTEMPTS"
                )
            } else if message.is_empty() {
                format!("AWS refused {what}: {code}")
            } else {
                format!("AWS refused {what}: {code}: {}", one_line(message))
            }
        }
        SdkError::TimeoutError(_) => format!("{what} timed out"),
        SdkError::DispatchFailure(_) => {
            format!(
                "{what} could not be sent: {}",
                one_line(&DisplayErrorContext(error).to_string())
            )
        }
        SdkError::ResponseError(_) => format!("{what}: the answer could not be read"),
        other => format!(
            "{what} failed: {}",
            one_line(&DisplayErrorContext(other).to_string())
        ),
    }
}

/// The code AWS answered with, if it answered with one.
pub fn code<E, R>(error: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    match error {
        SdkError::ServiceError(service_error) => service_error.err().code(),
        _ => None,
    }
}

fn one_line(text: &str) -> String {
    crate::probe::expect::excerpt(text, 300)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_askers_share_one_call() {
        let calls = Arc::new(Calls::default());
        let made = Arc::new(AtomicUsize::new(0));
        let key = CallKey::list("rds", "DescribeDBInstances", &Access::default());
        let mut waiting = Vec::new();
        for _ in 0..20 {
            let calls = calls.clone();
            let made = made.clone();
            let key = key.clone();
            waiting.push(tokio::spawn(async move {
                calls
                    .get(key, move || async move {
                        made.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, String>(vec![1, 2, 3])
                    })
                    .await
            }));
        }
        for w in waiting {
            assert_eq!(*w.await.unwrap().unwrap(), vec![1, 2, 3]);
        }
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_call_outlives_the_asker_that_started_it() {
        let calls = Calls::default();
        let made = Arc::new(AtomicUsize::new(0));
        let key = CallKey::about("s3", "GetBucketVersioning", "logs", &Access::default());
        let m = made.clone();
        let first = calls.get(key.clone(), move || async move {
            m.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(50)).await;
            Ok::<_, String>("Enabled".to_owned())
        });
        // The first asker gives up early (its deadline); the call goes on.
        assert!(
            tokio::time::timeout(Duration::from_millis(5), first)
                .await
                .is_err()
        );
        let m = made.clone();
        let second = calls
            .get(key, move || async move {
                m.fetch_add(1, Ordering::SeqCst);
                Ok::<_, String>("again".to_owned())
            })
            .await;
        assert_eq!(second.unwrap().as_str(), "Enabled");
        assert_eq!(made.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn failures_are_shared_too() {
        let calls = Calls::default();
        let key = CallKey::list("ec2", "DescribeVpcs", &Access::default());
        let a: Result<Arc<u8>, String> = calls
            .get(key.clone(), || async { Err("denied".to_owned()) })
            .await;
        let b: Result<Arc<u8>, String> = calls.get(key, || async { Ok(1) }).await;
        assert_eq!(a.unwrap_err(), "denied");
        assert_eq!(b.unwrap_err(), "denied");
    }
}
