//! Per-key rate limits: GCRA (governor), one limiter per key.
//!
//! Limits run on the process's monotonic clock, not the injectable one: a frozen `--clock` must
//! not freeze (or break) rate limiting.

use std::num::NonZeroU32;
use std::time::Duration;

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
