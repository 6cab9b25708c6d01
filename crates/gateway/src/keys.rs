//! The in-memory view of API keys the hot path reads: no database row per request.
//!
//! A snapshot of every key is swapped in whole on change. Changes made through this process
//! (the admin API) reload at once; changes made elsewhere (the CLI against the same database,
//! another replica on PostgreSQL) are noticed by polling the store's `keys` revision — one tiny
//! read a second — so they take effect within about a second. Expiry is judged per request
//! against the clock, so it needs no reload. The same poll tells the store when keys were last
//! used (each key's last use is one atomic store per request).

// Keys are looked up by digest and origin on every request, never iterated into output.
#![allow(clippy::disallowed_types)]

use std::collections::{BTreeMap, HashMap};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use fjellport_auth::Environment;
use fjellport_auth::apikey::{ApiName, AppType};
use fjellport_auth::origin::Origin;
use fjellport_auth::secret::{digest_from_hex, digest_secret};
use fjellport_store::{KeyStore, StoreError, StoredKey};

use crate::ratelimit::Limiter;

/// One key as the gateway uses it.
#[derive(Debug)]
pub struct CachedKey {
    pub stored: StoredKey,
    pub api: ApiName,
    pub app_type: AppType,
    pub origins: Vec<Origin>,
    pub limiter: Option<Arc<Limiter>>,
    /// When this process last let a request through with the key, and what of that the
    /// store has been told (unix seconds; 0: never). Kept across reloads, like the limiter.
    uses: Arc<Uses>,
}

#[derive(Debug, Default)]
struct Uses {
    last: AtomicI64,
    noted: AtomicI64,
}

impl CachedKey {
    /// A request got through with this key at `now` (one relaxed store: the hot path).
    pub fn note_use(&self, now: DateTime<Utc>) {
        self.uses.last.fetch_max(now.timestamp(), Ordering::Relaxed);
    }

    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        self.stored.is_active(now)
    }

    /// Whether `origin` is one of this key's own, under the environment's localhost rule.
    pub fn allows_origin(&self, origin: &Origin, env: Environment) -> bool {
        origin_usable(origin, env) && self.origins.contains(origin)
    }
}

fn origin_usable(origin: &Origin, env: Environment) -> bool {
    env == Environment::Test || !origin.is_localhost()
}

#[derive(Debug, Default)]
struct Snapshot {
    revision: i64,
    by_digest: HashMap<[u8; 32], Arc<CachedKey>>,
    /// Per API: origin → the browser keys that register it (activity is judged per request).
    browser_origins: HashMap<ApiName, HashMap<Origin, Vec<Arc<CachedKey>>>>,
}

/// Shared key cache. Cheap to clone.
#[derive(Debug, Clone)]
pub struct KeyCache {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn KeyStore>,
    environment: Environment,
    default_rate: BTreeMap<ApiName, NonZeroU32>,
    snapshot: RwLock<Arc<Snapshot>>,
    reload_lock: tokio::sync::Mutex<()>,
}

impl KeyCache {
    /// Loads every key once; call [`KeyCache::watch`] to follow changes made elsewhere.
    pub async fn load(
        store: Arc<dyn KeyStore>,
        environment: Environment,
        default_rate: BTreeMap<ApiName, NonZeroU32>,
    ) -> Result<KeyCache, StoreError> {
        let cache = KeyCache {
            inner: Arc::new(Inner {
                store,
                environment,
                default_rate,
                snapshot: RwLock::new(Arc::new(Snapshot { revision: -1, ..Snapshot::default() })),
                reload_lock: tokio::sync::Mutex::new(()),
            }),
        };
        cache.reload().await?;
        Ok(cache)
    }

    /// The rate limit of callers that set none of their own (keys without one, DPoP clients).
    pub fn default_rate(&self, api: ApiName) -> Option<NonZeroU32> {
        self.inner.default_rate.get(&api).copied()
    }

    pub fn environment(&self) -> Environment {
        self.inner.environment
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        // A poisoned lock only means a panic mid-swap of an Arc; the value is still whole.
        self.inner.snapshot.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The key whose secret is `presented`, active or not.
    pub fn lookup(&self, presented: &str) -> Option<Arc<CachedKey>> {
        self.snapshot().by_digest.get(&digest_secret(presented)).cloned()
    }

    /// Whether any active browser key of `api` registers `origin` (the preflight rule).
    pub fn origin_registered(&self, api: ApiName, origin: &Origin, now: DateTime<Utc>) -> bool {
        origin_usable(origin, self.inner.environment)
            && self
                .snapshot()
                .browser_origins
                .get(&api)
                .and_then(|m| m.get(origin))
                .is_some_and(|keys| keys.iter().any(|k| k.is_active(now)))
    }

    /// Re-reads every key now (after a change made through this process).
    pub async fn reload(&self) -> Result<(), StoreError> {
        let _one_at_a_time = self.inner.reload_lock.lock().await;
        let revision = self.inner.store.keys_revision().await?;
        let keys = self.inner.store.list_keys().await?;
        let old = self.snapshot();
        let mut next = Snapshot { revision, ..Snapshot::default() };
        for stored in keys {
            let (Ok(api), Ok(app_type), Some(digest)) =
                (stored.api.parse(), stored.app_type.parse(), digest_from_hex(&stored.secret_hash))
            else {
                tracing::warn!(key_id = %stored.id, "skipping a key with an unknown API, type or hash");
                continue;
            };
            let origins: Vec<Origin> =
                stored.origins.iter().filter_map(|o| o.parse().ok()).collect();
            let rate = stored
                .rate_limit
                .and_then(NonZeroU32::new)
                .or_else(|| self.inner.default_rate.get(&api).copied());
            // Keep a key's limiter (and so its spent budget) across reloads.
            let limiter = rate.map(|rate| {
                old.by_digest
                    .get(&digest)
                    .and_then(|k| k.limiter.clone())
                    .filter(|l| l.per_second() == rate.get())
                    .unwrap_or_else(|| Arc::new(Limiter::new(rate)))
            });
            let uses = old.by_digest.get(&digest).map(|k| k.uses.clone()).unwrap_or_default();
            let key = Arc::new(CachedKey { stored, api, app_type, origins, limiter, uses });
            if key.app_type == AppType::Browser {
                let per_api = next.browser_origins.entry(api).or_default();
                for origin in &key.origins {
                    per_api.entry(origin.clone()).or_default().push(key.clone());
                }
            }
            next.by_digest.insert(digest, key);
        }
        *self.inner.snapshot.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
        Ok(())
    }

    /// Reloads when the store's revision moved since the last load.
    pub async fn refresh_if_changed(&self) -> Result<bool, StoreError> {
        let current = self.inner.store.keys_revision().await?;
        if current == self.snapshot().revision {
            return Ok(false);
        }
        self.reload().await?;
        Ok(true)
    }

    /// Tells the store when keys were last used here, for those used since it was last told.
    pub async fn note_uses(&self) -> Result<usize, StoreError> {
        let snapshot = self.snapshot();
        let mut due: Vec<(&Arc<CachedKey>, i64)> = Vec::new();
        for key in snapshot.by_digest.values() {
            let last = key.uses.last.load(Ordering::Relaxed);
            if last > key.uses.noted.load(Ordering::Relaxed) {
                due.push((key, last));
            }
        }
        if due.is_empty() {
            return Ok(0);
        }
        due.sort_by(|a, b| a.0.stored.id.cmp(&b.0.stored.id));
        let uses: Vec<(String, DateTime<Utc>)> = due
            .iter()
            .filter_map(|(k, at)| Some((k.stored.id.clone(), DateTime::from_timestamp(*at, 0)?)))
            .collect();
        self.inner.store.note_key_uses(&uses).await?;
        for (key, at) in &due {
            key.uses.noted.fetch_max(*at, Ordering::Relaxed);
        }
        Ok(due.len())
    }

    /// Follows changes made by other processes until the returned task is aborted.
    pub fn watch(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let cache = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(err) = cache.refresh_if_changed().await {
                    tracing::warn!(error = %err, "could not check API keys for changes");
                }
                if let Err(err) = cache.note_uses().await {
                    tracing::warn!(error = %err, "could not note when API keys were last used");
                }
            }
        })
    }
}
