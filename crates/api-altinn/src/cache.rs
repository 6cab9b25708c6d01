//! What the message box keeps in memory: each user's reportees (for a second: roles change
//! only when the population does) and whole list answers. An answer is used only while nothing in
//! any message box changed: every change here bumps a local generation at once, and the store's
//! message revision (grown by every change on any replica, or by the CLI) is checked at most
//! once a second, so another replica's change shows within that.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use fjellport_store::{Result as StoreResult, Store, StoredSystem};
use moka::sync::Cache;

use crate::parties::{Reportee, reportees_of};

const CHECK_EVERY: Duration = Duration::from_secs(1);
const REPORTEES_TTL: Duration = Duration::from_secs(1);
const USERS: u64 = 50_000;
const ANSWERS: u64 = 20_000;
/// How long a party found to exist, or a system found registered, is taken as known without
/// asking the store again (a sending names both on every call). Neither is ever removed
/// while a server runs (a population replace restarts it), so only a later change waits.
const KNOWN_TTL: Duration = Duration::from_secs(5);
const KNOWN: u64 = 100_000;

#[derive(Debug)]
pub struct MailboxCache {
    started: Instant,
    /// Milliseconds after `started` of the last revision check.
    checked: AtomicU64,
    revision: AtomicI64,
    /// Grows with every change seen (here, or through the revision): answers of an older
    /// generation are not used.
    generation: AtomicU64,
    reportees: Cache<String, Arc<Vec<Reportee>>>,
    /// Whole answers (a list's JSON), by everything they were made from.
    answers: Cache<String, (u64, Bytes)>,
    /// Persons and organizations (by number) found to exist; what is not found is asked again.
    parties: Cache<String, ()>,
    /// Registered SOAP systems, by `systemUserName`.
    systems: Cache<String, StoredSystem>,
}

impl Default for MailboxCache {
    fn default() -> Self {
        MailboxCache {
            started: Instant::now(),
            checked: AtomicU64::new(0),
            revision: AtomicI64::new(i64::MIN),
            generation: AtomicU64::new(0),
            reportees: Cache::builder().max_capacity(USERS).time_to_live(REPORTEES_TTL).build(),
            answers: Cache::new(ANSWERS),
            parties: Cache::builder().max_capacity(KNOWN).time_to_live(KNOWN_TTL).build(),
            systems: Cache::builder().max_capacity(KNOWN).time_to_live(KNOWN_TTL).build(),
        }
    }
}

impl MailboxCache {
    /// Something changed in a message box on this replica.
    pub(crate) fn changed(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
    }

    /// Checks the store's revision when the last check is over a second old.
    async fn fresh(&self, store: &dyn Store) -> StoreResult<()> {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.checked.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < CHECK_EVERY.as_millis() as u64 {
            return Ok(());
        }
        self.checked.store(now.max(1), Ordering::Relaxed);
        let revision = store.messages_revision().await?;
        if self.revision.swap(revision, Ordering::SeqCst) != revision {
            self.changed();
        }
        Ok(())
    }

    /// The reportees of the person `pid` (`None` when no such person exists).
    pub(crate) async fn reportees(
        &self,
        store: &dyn Store,
        pid: &str,
    ) -> StoreResult<Option<Arc<Vec<Reportee>>>> {
        if let Some(hit) = self.reportees.get(pid) {
            return Ok(Some(hit));
        }
        let Some(person) = store.person(fjellport_store::PersonKey::Nin(pid)).await? else {
            return Ok(None);
        };
        let list = Arc::new(reportees_of(store, &person).await?);
        self.reportees.insert(pid.to_owned(), list.clone());
        Ok(Some(list))
    }

    /// Whether the person (11 digits) or organization (9) `number` exists.
    pub async fn party_exists(&self, store: &dyn Store, number: &str) -> StoreResult<bool> {
        if self.parties.contains_key(number) {
            return Ok(true);
        }
        let found = party_in(store, number).await?;
        if found {
            self.parties.insert(number.to_owned(), ());
        }
        Ok(found)
    }

    /// The SOAP system registered as `user_name`.
    pub(crate) async fn system(
        &self,
        store: &dyn Store,
        user_name: &str,
    ) -> StoreResult<Option<StoredSystem>> {
        if let Some(hit) = self.systems.get(user_name) {
            return Ok(Some(hit));
        }
        let found = store.system(user_name).await?;
        if let Some(system) = &found {
            self.systems.insert(user_name.to_owned(), system.clone());
        }
        Ok(found)
    }

    /// The current generation, once the store's revision is known to be fresh; an answer made
    /// now is kept under it.
    pub(crate) async fn generation(&self, store: &dyn Store) -> StoreResult<u64> {
        self.fresh(store).await?;
        Ok(self.generation.load(Ordering::SeqCst))
    }

    /// An answer made in `generation`, if nothing changed since.
    pub(crate) fn answer(&self, key: &str, generation: u64) -> Option<Bytes> {
        self.answers.get(key).filter(|(at, _)| *at == generation).map(|(_, a)| a)
    }

    pub(crate) fn keep_answer(&self, key: String, generation: u64, answer: Bytes) {
        self.answers.insert(key, (generation, answer));
    }
}

/// Whether the store holds the person (11 digits) or organization (9) `number`.
pub(crate) async fn party_in(store: &dyn Store, number: &str) -> StoreResult<bool> {
    Ok(if number.len() == 9 {
        store.organization(number).await?.is_some()
    } else {
        store.person(fjellport_store::PersonKey::Nin(number)).await?.is_some()
    })
}
