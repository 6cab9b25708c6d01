//! Per-key rate limits: GCRA (governor), one limiter per key, and — when several replicas
//! share a PostgreSQL database — [`SharedLimits`], a count per one-second window in the
//! database, so a key's limit holds across replicas rather than per replica.
//!
//! Limits run on the process's clocks, not the injectable one: a frozen `--clock` must not
//! freeze (or break) rate limiting.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
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
/// How long a replica may hold requests it counted locally before it writes them.
const WRITE_AFTER: Duration = Duration::from_millis(50);
/// Limits below this are counted in the database request by request (a few a second cost
/// nothing, and are the ones a tester checks to the request).
const LOCAL_FROM: u32 = 100;

/// One caller's current window as this replica knows it.
#[derive(Debug, Default)]
struct Tally {
    window: i64,
    /// The window's count over every replica, as of this replica's last write.
    known: i64,
    /// Requests this replica let through and has not written yet.
    pending: i64,
    /// A write of `pending` is on its way.
    writing: bool,
}

/// A limit of N requests per one-second window (wall clock, which replicas share), counted in
/// the database every replica uses: Kong's "cluster" strategy. A request of a small limit
/// costs one upsert while the window has room; a limit of [`LOCAL_FROM`] a second or more is
/// counted locally while the window is less than half spent by what the replica knows, and
/// written every [`WRITE_AFTER`] (two replicas each spending up to half before they hear of
/// each other stay within the limit; more replicas may pass it by half a limit each). A
/// per-request write on one row would serialize every request of the key on that row. Once a
/// replica has seen its window full it refuses the rest of that second without asking. If the
/// database does not answer, the local limiter's decision stands (a failing limit store must
/// not fail every request).
#[derive(Debug)]
pub struct SharedLimits {
    store: Arc<dyn ReplayStore>,
    full: moka::sync::Cache<String, i64>,
    last_prune: AtomicI64,
    tallies: Tallies,
}

type Tallies = Arc<Mutex<BTreeMap<String, Tally>>>;

fn lock(tallies: &Tallies) -> std::sync::MutexGuard<'_, BTreeMap<String, Tally>> {
    tallies.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `name`'s tally, started afresh when it is of an earlier window than `window`.
fn tally_of<'a>(
    tallies: &'a mut BTreeMap<String, Tally>,
    name: &str,
    window: i64,
) -> &'a mut Tally {
    let tally = tallies.entry(name.to_owned()).or_default();
    if tally.window != window {
        *tally = Tally { window, ..Tally::default() };
    }
    tally
}

/// After [`WRITE_AFTER`], writes what `name`'s window held and learns the total from it.
async fn write_held(store: Arc<dyn ReplayStore>, tallies: Tallies, name: String, window: i64) {
    tokio::time::sleep(WRITE_AFTER).await;
    // A window that has ended meanwhile was reset; its held counts no longer matter, and the
    // new window's are not this write's.
    let held = lock(&tallies).get_mut(&name).filter(|t| t.window == window).map_or(0, |t| {
        t.writing = false;
        std::mem::take(&mut t.pending)
    });
    if held == 0 {
        return;
    }
    match store.count_requests(&name, window, held).await {
        Ok(n) => {
            if let Some(t) = lock(&tallies).get_mut(&name).filter(|t| t.window == window) {
                t.known = t.known.max(n);
            }
        }
        Err(err) => tracing::warn!(error = %err, "could not write held rate-limit counts"),
    }
}

impl SharedLimits {
    pub fn new(store: Arc<dyn ReplayStore>) -> SharedLimits {
        SharedLimits {
            store,
            full: moka::sync::Cache::new(FULL_WINDOWS),
            last_prune: AtomicI64::new(0),
            tallies: Arc::default(),
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
        let limit_n = i64::from(limit);
        if limit >= LOCAL_FROM
            && let Some(seen) = self.count_locally(name, window, limit_n)
        {
            return Some(Decision::Allowed { limit, remaining: (limit_n - seen).max(0) as u32 });
        }
        // Near the limit (or a small one): this request and any held ones, written now.
        let held = self.take_pending(name, window);
        match self.store.count_requests(name, window, held + 1).await {
            Ok(n) => {
                self.learn(name, window, n);
                if n > limit_n {
                    self.full.insert(name.to_owned(), window);
                    Some(Decision::Limited { limit, retry_after })
                } else {
                    Some(Decision::Allowed { limit, remaining: (limit_n - n).max(0) as u32 })
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "shared rate limit unavailable; the local limit applies");
                None
            }
        }
    }

    /// Lets the request through without a round trip if the window is far from spent, and
    /// has the held requests written soon; `Some(count as known)` if so.
    fn count_locally(&self, name: &str, window: i64, limit: i64) -> Option<i64> {
        let mut tallies = lock(&self.tallies);
        let tally = tally_of(&mut tallies, name, window);
        // Counted here only while the window, as this replica knows it, is less than half
        // spent: two replicas doing so at once spend at most the whole of it before they write.
        if (tally.known + tally.pending + 1) * 2 > limit {
            return None;
        }
        tally.pending += 1;
        if !tally.writing {
            tally.writing = true;
            let write =
                write_held(self.store.clone(), self.tallies.clone(), name.to_owned(), window);
            tokio::spawn(write);
        }
        Some(tally.known + tally.pending)
    }

    /// The held requests of `name`'s current window, taken to be written with this one.
    fn take_pending(&self, name: &str, window: i64) -> i64 {
        lock(&self.tallies)
            .get_mut(name)
            .filter(|t| t.window == window)
            .map_or(0, |t| std::mem::take(&mut t.pending))
    }

    fn learn(&self, name: &str, window: i64, count: i64) {
        let mut tallies = lock(&self.tallies);
        let tally = tally_of(&mut tallies, name, window);
        tally.known = tally.known.max(count);
    }

    /// Every [`PRUNE_EVERY_SECS`], one request of this replica has old windows deleted (in
    /// the background: no caller waits for it), and forgets its own tallies of them.
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
        lock(&self.tallies).retain(|_, t| t.window >= window - 1 || t.pending > 0 || t.writing);
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
