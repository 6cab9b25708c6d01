//! Per-key rate limits: GCRA (governor), one limiter per key, and — when several replicas
//! share a PostgreSQL database — [`SharedLimits`], a count per one-second window in the
//! database, so a key's limit holds across replicas rather than per replica.
//!
//! Limits run on the process's clocks, not the injectable one: a frozen `--clock` must not
//! freeze (or break) rate limiting.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use fjellport_clock::Clock as _;

use fjellport_store::ReplayStore;

use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::{InMemoryState, NotKeyed};
use governor::{Quota, RateLimiter};

type Gcra = RateLimiter<NotKeyed, InMemoryState, DefaultClock, StateInformationMiddleware>;

/// A limiter of `per_second` requests a second with a burst of the same size.
#[derive(Debug)]
pub struct Limiter {
    per_second: NonZeroU32,
    gcra: Gcra,
}

/// The outcome the caller turns into `RateLimit-*` and `Retry-After` headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed { limit: u32, remaining: u32 },
    Limited { limit: u32, retry_after: Duration },
}

impl Limiter {
    pub fn new(per_second: NonZeroU32) -> Limiter {
        let gcra = RateLimiter::direct(Quota::per_second(per_second))
            .with_middleware::<StateInformationMiddleware>();
        Limiter { per_second, gcra }
    }

    pub fn per_second(&self) -> u32 {
        self.per_second.get()
    }

    pub fn check(&self) -> Decision {
        let limit = self.per_second.get();
        match self.gcra.check() {
            Ok(snapshot) => {
                Decision::Allowed { limit, remaining: snapshot.remaining_burst_capacity() }
            }
            Err(not_until) => Decision::Limited {
                limit,
                retry_after: not_until.wait_time_from(DefaultClock::default().now()),
            },
        }
    }
}

/// Callers whose current window is known to be full (refused without a round trip).
const FULL_WINDOWS: u64 = 100_000;
/// How often (in windows, i.e. seconds) a replica forgets old windows.
const PRUNE_EVERY_SECS: i64 = 30;

/// A limit of N requests per one-second window (wall clock, which replicas share), counted in
/// the database every replica uses: Kong's "cluster" strategy. A request costs one upsert
/// while the window has room; once a replica has seen its window full it refuses the rest of
/// that second without asking, so a caller hammering a spent key costs the database one
/// statement per second per replica. If the database does not answer, the local limiter's
/// decision stands (a failing limit store must not fail every request).
#[derive(Debug)]
pub struct SharedLimits {
    store: Arc<dyn ReplayStore>,
    full: moka::sync::Cache<String, i64>,
    last_prune: AtomicI64,
}

impl SharedLimits {
    pub fn new(store: Arc<dyn ReplayStore>) -> SharedLimits {
        SharedLimits {
            store,
            full: moka::sync::Cache::new(FULL_WINDOWS),
            last_prune: AtomicI64::new(0),
        }
    }

    /// One more request by `name` (e.g. `key:<id>`) under `limit` per second; `None` when the
    /// database could not be asked.
    pub async fn check(&self, name: &str, limit: u32) -> Option<Decision> {
        // The wall clock, which replicas share, never the injectable one (which may be frozen).
        let now = fjellport_clock::SystemClock.now();
        let window = now.timestamp();
        let into_second = Duration::from_nanos(u64::from(now.timestamp_subsec_nanos()));
        let retry_after = Duration::from_secs(1).saturating_sub(into_second);
        if self.full.get(name) == Some(window) {
            return Some(Decision::Limited { limit, retry_after });
        }
        self.prune_now_and_then(window);
        match self.store.count_request(name, window).await {
            Ok(n) if n > i64::from(limit) => {
                self.full.insert(name.to_owned(), window);
                Some(Decision::Limited { limit, retry_after })
            }
            Ok(n) => {
                Some(Decision::Allowed { limit, remaining: (i64::from(limit) - n).max(0) as u32 })
            }
            Err(err) => {
                tracing::warn!(error = %err, "shared rate limit unavailable; the local limit applies");
                None
            }
        }
    }

    /// Every [`PRUNE_EVERY_SECS`], one request of this replica has old windows deleted (in
    /// the background: no caller waits for it).
    fn prune_now_and_then(&self, window: i64) {
        let last = self.last_prune.load(Ordering::Relaxed);
        if window - last < PRUNE_EVERY_SECS
            || self
                .last_prune
                .compare_exchange(last, window, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let store = self.store.clone();
        tokio::spawn(async move {
            if let Err(err) = store.prune_rate_windows(window - 10).await {
                tracing::warn!(error = %err, "could not forget old rate-limit windows");
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_past_the_limit_is_refused_with_a_wait() {
        let l = Limiter::new(NonZeroU32::new(3).unwrap());
        for expected_remaining in [2, 1, 0] {
            assert_eq!(l.check(), Decision::Allowed { limit: 3, remaining: expected_remaining });
        }
        match l.check() {
            Decision::Limited { limit: 3, retry_after } => {
                assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_millis(334))
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }
}
