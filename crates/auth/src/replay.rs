//! The per-node memory of spent one-time ids (DPoP proof `jti`s, client-assertion `jti`s).
//!
//! Entries are grouped by when they expire, in buckets a few seconds wide. A replay carries the
//! same `iat`/`exp` as the original, so it has the same expiry and is looked up in one bucket;
//! a bucket whose last entry has expired is dropped whole. Nothing ever scans the live entries,
//! so a node under sustained load pays the same per request at the millionth id as at the first
//! (a single map pruned by scanning stalled every request behind its lock for milliseconds once
//! it filled up, and refused proofs past the capacity).

// Hash sets of ids, for membership only: never iterated into any output.
#![allow(clippy::disallowed_types)]

use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

/// Seconds of expiry one bucket covers: about a tenth of the default 65 s proof window, so
/// memory is given back in small steps.
const BUCKET_SECS: i64 = 8;

/// Remembers ids until they expire. Memory is bounded: past `capacity` live entries a new id
/// is refused (fail closed) rather than letting a replay through.
#[derive(Debug)]
pub struct ReplayCache {
    inner: Mutex<Buckets>,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Buckets {
    /// By bucket number (`expires / BUCKET_SECS`).
    by_expiry: BTreeMap<i64, HashSet<u128, BuildHasherDefault<DigestHasher>>>,
    len: usize,
    /// Size of the largest bucket seen, to size new ones without rehashing as they fill.
    typical: usize,
}

impl ReplayCache {
    pub fn new(capacity: usize) -> ReplayCache {
        ReplayCache { inner: Mutex::new(Buckets::default()), capacity }
    }

    /// True the first time (`scope`, `id`) is seen before `expires` (Unix seconds); `scope`
    /// keeps ids apart (a proof's `htu`, an assertion's client).
    pub fn first_use(&self, scope: &str, id: &str, now: i64, expires: i64) -> bool {
        if expires < now {
            return true; // already expired: nothing to remember
        }
        let key = digest_key(scope, id);
        let bucket = expires.div_euclid(BUCKET_SECS);
        let mut b = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        b.drop_expired(now);
        if b.by_expiry.get(&bucket).is_some_and(|set| set.contains(&key)) {
            return false;
        }
        if b.len >= self.capacity {
            return false;
        }
        let typical = b.typical;
        let set = b.by_expiry.entry(bucket).or_insert_with(|| {
            HashSet::with_capacity_and_hasher(typical.min(1 << 20), Default::default())
        });
        set.insert(key);
        let size = set.len();
        b.len += 1;
        b.typical = b.typical.max(size);
        true
    }

    /// Live entries.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).len
    }
}

impl Buckets {
    /// Drops every bucket whose entries all expired before `now`.
    fn drop_expired(&mut self, now: i64) {
        while let Some(entry) = self.by_expiry.first_entry() {
            // Bucket n holds expiries n*W ..= n*W + W-1, all past once now reaches (n+1)*W.
            if entry.key().saturating_add(1).saturating_mul(BUCKET_SECS) > now {
                break;
            }
            self.len -= entry.remove().len();
        }
    }
}

/// 128 bits of SHA-256 over scope and id: fixed size, and no id can be chosen to collide.
fn digest_key(scope: &str, id: &str) -> u128 {
    let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
    ctx.update(scope.as_bytes());
    ctx.update(&[0]);
    ctx.update(id.as_bytes());
    let d = ctx.finish();
    let mut k = [0u8; 16];
    k.copy_from_slice(&d.as_ref()[..16]);
    u128::from_le_bytes(k)
}

/// The keys are already uniform (a digest), so hashing them again would only cost time.
#[derive(Default)]
struct DigestHasher(u64);

impl Hasher for DigestHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.0 = self.0.rotate_left(5) ^ u64::from_le_bytes(b);
        }
    }
    fn write_u128(&mut self, n: u128) {
        self.0 = (n as u64) ^ ((n >> 64) as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_refused_while_it_lives_and_forgotten_after() {
        let cache = ReplayCache::new(10);
        assert!(cache.first_use("u", "a", 100, 165));
        assert!(!cache.first_use("u", "a", 120, 165));
        assert!(!cache.first_use("u", "a", 165, 165), "still live at its expiry second");
        assert!(cache.first_use("u", "a", 166, 165), "expired: nothing to remember");
        assert!(cache.first_use("v", "a", 120, 165), "ids are per scope");
    }

    #[test]
    fn extreme_expiries_neither_panic_nor_evict_the_rest() {
        let cache = ReplayCache::new(10);
        assert!(cache.first_use("u", "far", 100, i64::MAX));
        assert!(!cache.first_use("u", "far", 100, i64::MAX));
        assert!(cache.first_use("u", "near", 100, 160));
        assert!(cache.first_use("u", "past", i64::MAX, i64::MIN));
        assert!(!cache.first_use("u", "near", 150, 160));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn the_cache_stays_bounded_fails_closed_and_frees_whole_buckets() {
        let cache = ReplayCache::new(2);
        assert!(cache.first_use("u", "a", 100, 160));
        assert!(cache.first_use("u", "b", 100, 170));
        assert!(!cache.first_use("u", "c", 100, 160), "full of live entries: refuse");
        assert!(!cache.first_use("u", "a", 100, 160), "and still a replay");
        // Once the first bucket's expiries have all passed, its entries go and make room.
        assert!(cache.first_use("u", "c", 168, 230));
        assert_eq!(cache.len(), 2);
        assert!(!cache.first_use("u", "b", 169, 170), "the other bucket is kept");
        assert!(!cache.first_use("u", "c", 200, 230));
    }

    #[test]
    fn many_ids_over_a_long_run_stay_within_the_live_window() {
        let cache = ReplayCache::new(1_000_000);
        for second in 0..600i64 {
            for n in 0..200 {
                let id = format!("{second}-{n}");
                assert!(cache.first_use("u", &id, second, second + 65));
            }
        }
        // 200 ids a second for 65 s (plus up to one bucket) are live; the rest were dropped.
        let live = cache.len();
        assert!((200 * 65..=200 * (66 + BUCKET_SECS as usize)).contains(&live), "{live}");
        assert!(!cache.first_use("u", "599-7", 599, 664));
    }
}
