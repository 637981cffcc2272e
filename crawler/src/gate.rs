//! The gate every request to an authority's host passes: the rate and the
//! number in flight the buyer's terms allow (the trust list's
//! `requests_per_second` and `max_in_flight`, see
//! [`eco::trust::HostLimits`]), instead of the sites' per-host delay and
//! concurrency.
//!
//! [`AuthorityGate`] is the interface, so that a fleet of workers can share
//! one gate (the store's PostgreSQL gate); [`LocalGate`] holds the limits
//! for one process.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use eco::trust::HostLimits;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// A boxed future, as the object-safe traits here return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Leave to send one request to an authority's host, held while the
/// request runs: dropping it frees the in-flight slot it holds.
pub struct GatePermit {
    _held: Box<dyn Send + Sync>,
}

impl GatePermit {
    /// A permit holding `held` (a semaphore permit, a lease) until it is
    /// dropped.
    pub fn new<T: Send + Sync + 'static>(held: T) -> GatePermit {
        GatePermit {
            _held: Box::new(held),
        }
    }
}

impl std::fmt::Debug for GatePermit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("GatePermit")
    }
}

/// Limits requests to the authorities' hosts.
pub trait AuthorityGate: Send + Sync {
    /// Waits until a request to `host` (an [`eco::trust::origin`] key) may
    /// start under `limits`: first a free in-flight slot, then the start
    /// time the rate allows. The permit holds the slot; the request is
    /// sent as soon as this returns.
    fn admit<'a>(&'a self, host: &'a str, limits: HostLimits) -> BoxFuture<'a, GatePermit>;
}

/// One host's state in a [`LocalGate`].
struct LocalHost {
    slots: Arc<Semaphore>,
    /// When the next request may start.
    next_start: Mutex<Instant>,
}

/// The gate of one process: a semaphore of `max_in_flight` permits and a
/// schedule of start times `interval` apart (a GCRA without burst) per
/// host. The number of in-flight slots of a host is fixed by the first
/// request to it; the interval is read on every request. Hosts are the
/// trust list's, so the table stays small.
#[derive(Default)]
pub struct LocalGate {
    hosts: Mutex<HashMap<String, Arc<LocalHost>>>,
}

impl LocalGate {
    /// An empty gate.
    pub fn new() -> LocalGate {
        LocalGate::default()
    }

    fn host(&self, host: &str, limits: HostLimits) -> Arc<LocalHost> {
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host.to_owned())
            .or_insert_with(|| {
                Arc::new(LocalHost {
                    slots: Arc::new(Semaphore::new(limits.max_in_flight.max(1) as usize)),
                    next_start: Mutex::new(Instant::now()),
                })
            })
            .clone()
    }

    /// One of `host`'s in-flight slots, without the schedule of start
    /// times: a fleet's gate takes it before asking the fleet, so that no
    /// more of this process's requests ask for a shared slot than could
    /// hold one. None only if the semaphore were closed, which it never is.
    pub async fn in_flight_slot(
        &self,
        host: &str,
        limits: HostLimits,
    ) -> Option<tokio::sync::OwnedSemaphorePermit> {
        let state = self.host(host, limits);
        state.slots.clone().acquire_owned().await.ok()
    }

    /// [`AuthorityGate::admit`], as an ordinary async function.
    pub async fn admit_local(&self, host: &str, limits: HostLimits) -> GatePermit {
        let state = self.host(host, limits);
        // The semaphore is never closed: on the impossible error, go on
        // without a slot rather than fail the request.
        let slot = state.slots.clone().acquire_owned().await.ok();
        let start = {
            let mut next = state.next_start.lock().unwrap_or_else(|p| p.into_inner());
            let start = (*next).max(Instant::now());
            *next = start + limits.interval;
            start
        };
        tokio::time::sleep_until(start).await;
        GatePermit::new(slot)
    }
}

impl AuthorityGate for LocalGate {
    fn admit<'a>(&'a self, host: &'a str, limits: HostLimits) -> BoxFuture<'a, GatePermit> {
        Box::pin(self.admit_local(host, limits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Runs `n` requests of `hold` each through `gate` at once; returns
    /// the most in flight and the sorted start times.
    async fn run(
        gate: Arc<LocalGate>,
        limits: HostLimits,
        n: usize,
        hold: Duration,
    ) -> (usize, Vec<Instant>) {
        let in_flight = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let starts = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (gate, in_flight, most, starts) = (
                gate.clone(),
                in_flight.clone(),
                most.clone(),
                starts.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let _permit = gate.admit("http://a.test:80", limits).await;
                starts.lock().unwrap().push(Instant::now());
                let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(hold).await;
                in_flight.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let mut starts = starts.lock().unwrap().clone();
        starts.sort();
        (most.load(Ordering::SeqCst), starts)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holds_the_slots() {
        let limits = HostLimits {
            interval: Duration::from_millis(1),
            max_in_flight: 3,
        };
        let (most, _) = run(
            Arc::new(LocalGate::new()),
            limits,
            12,
            Duration::from_millis(60),
        )
        .await;
        assert_eq!(most, 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn holds_the_rate() {
        let interval = Duration::from_millis(50);
        let limits = HostLimits {
            interval,
            max_in_flight: 4,
        };
        let gate = Arc::new(LocalGate::new());
        let a = tokio::spawn(run(gate.clone(), limits, 8, Duration::from_millis(2)));
        // Another host is not held up by the first one's schedule.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let other = Instant::now();
        drop(gate.admit("http://b.test:80", limits).await);
        assert!(other.elapsed() < interval);
        let (_, starts) = a.await.unwrap();
        // A start is never early, but may be late (a busy machine): the
        // k-th start after any other is at least k intervals later, less
        // that one's lateness.
        let slack = Duration::from_millis(20);
        for (i, a) in starts.iter().enumerate() {
            for (k, b) in starts[i + 1..].iter().enumerate() {
                let least = interval * (k as u32 + 1);
                assert!(*b - *a + slack >= least, "{:?} < {least:?}", *b - *a);
            }
        }
        assert!(*starts.last().unwrap() - starts[0] >= interval * 7 - slack);
    }
}
