//! SyntPop's person search, answered from memory.
//!
//! Every person's search facts are kept as one set of persons per value (a bitset for a value
//! many share, a sorted list for the rest), birth days in buckets and bit slices for the
//! number of children, so that any filter combination is an intersection — a count is its size, a page the first members after the cursor (or the least
//! in a seed's shuffle) — and only the page's persons are read from the store.
//!
//! [`SearchIndex`] builds itself from the store in the background (until then, and whenever it
//! is not known to be current, it answers `None` and the caller asks SQL), and follows the
//! store's person change log: at once after a write on this replica ([`SearchIndex::catch_up`]),
//! and on a short poll for writes elsewhere; a bulk load makes it start over.

mod birth_days;
mod bits;
mod bsi;
mod index;
mod query;
mod rows;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use fjellport_store::{PersonFilter, PersonMarks, PersonStore, SearchFacts, StoreError};

use index::Index;
pub use index::Unindexable;

/// Persons read per statement while building. SQLite's driver copies every value of a result
/// into a C allocation of its own (about 90 bytes a value) until the page is dropped, and C's
/// allocator keeps that memory for the connection's thread: at 20,000 persons a page, 34 MB
/// for each of the pool's connections stayed with the server after a build (measured).
const BUILD_PAGE: i64 = 2_000;

/// A count and one page of a search: `(rank, seq)` in page order (rank 0 in load order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub total: u64,
    pub hits: Vec<(i64, i64)>,
}

#[derive(Debug)]
pub struct SearchIndex {
    /// `None` while there is none that is current: callers then ask SQL.
    current: RwLock<Option<Index>>,
    /// Grows with every change to `current` (under its write lock): kept answers of an older
    /// version are not used.
    version: AtomicU64,
    /// One catch-up at a time (local writes and the poll).
    updating: tokio::sync::Mutex<()>,
    /// The load whose persons could not be indexed (not tried again until the next load).
    refused_load: std::sync::Mutex<Option<i64>>,
}

impl Default for SearchIndex {
    fn default() -> SearchIndex {
        SearchIndex {
            current: RwLock::default(),
            version: AtomicU64::new(0),
            updating: tokio::sync::Mutex::default(),
            refused_load: std::sync::Mutex::default(),
        }
    }
}

impl SearchIndex {
    pub fn new() -> Arc<SearchIndex> {
        Arc::new(SearchIndex::default())
    }

    /// An index of these persons, current at once: for benchmarks and tools that hold the
    /// facts rather than a store (it follows no change log).
    pub fn from_facts<'a>(
        facts: impl IntoIterator<Item = &'a SearchFacts>,
    ) -> Result<SearchIndex, Unindexable> {
        let mut ix = Index::new(PersonMarks::default());
        for f in facts {
            ix.put(f)?;
        }
        ix.built();
        let me = SearchIndex::default();
        *me.write() = Some(ix);
        Ok(me)
    }

    /// A number that grows with every change the index takes in, while it answers searches
    /// (`None` otherwise): an answer kept under one number is current as long as it holds.
    pub fn version(&self) -> Option<u64> {
        let guard = self.read();
        guard.as_ref().map(|_| self.version.load(Ordering::Acquire))
    }

    /// Whether searches are answered from memory now.
    pub fn is_ready(&self) -> bool {
        self.read().is_some()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Option<Index>> {
        self.current.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The index, to change (every kept answer is then out of date).
    fn refused_load(&self) -> std::sync::MutexGuard<'_, Option<i64>> {
        self.refused_load.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Option<Index>> {
        let guard = self.current.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        self.version.fetch_add(1, Ordering::AcqRel);
        guard
    }

    /// How many persons `filter` selects, if the index is current.
    pub fn count(&self, filter: &PersonFilter) -> Option<u64> {
        self.read().as_ref().map(|ix| {
            let found = query::select(ix, filter);
            let n = found.len();
            found.recycle();
            n
        })
    }

    /// The count and up to `limit` persons of a search after the keyset position `after`, in
    /// load order or in the shuffle of `seed`, if the index is current. Nothing is kept here:
    /// the caller keeps answers as written.
    pub fn search(
        &self,
        filter: &PersonFilter,
        after: Option<(i64, i64)>,
        limit: usize,
        seed: Option<i64>,
    ) -> Option<Answer> {
        let guard = self.read();
        let ix = guard.as_ref()?;
        let found = query::select(ix, filter);
        let answer = Answer { total: found.len(), hits: query::page(&found, after, limit, seed) };
        found.recycle();
        Some(answer)
    }

    /// Polls the store every `every` (and builds the index first), until the task is aborted.
    pub fn follow<S>(
        self: &Arc<Self>,
        store: Arc<S>,
        every: Duration,
    ) -> tokio::task::JoinHandle<()>
    where
        S: PersonStore + ?Sized + 'static,
    {
        let me = self.clone();
        tokio::spawn(async move {
            let mut failing = false;
            loop {
                match me.refresh(store.as_ref()).await {
                    Ok(()) => failing = false,
                    Err(e) if !failing => {
                        failing = true;
                        tracing::warn!(error = %e, "search index: cannot read the store; will retry");
                    }
                    Err(_) => {}
                }
                tokio::time::sleep(every).await;
            }
        })
    }

    /// Applies what changed since the index last looked; after a write on this replica, so
    /// that its own next search sees it. Does nothing while there is no index (SQL answers).
    pub async fn catch_up<S: PersonStore + ?Sized>(&self, store: &S) {
        if !self.is_ready() {
            return;
        }
        let _one = self.updating.lock().await;
        let applied = match store.person_marks().await {
            Ok(now) => self.apply_changes(store, now).await,
            Err(e) => Err(e),
        };
        if let Err(e) = applied {
            // The poll tries again shortly; until then this replica may miss its own change.
            tracing::warn!(error = %e, "search index: cannot read the change log");
        }
    }

    /// Brings the index up to date with the store: the changes since it last looked, or a
    /// build from scratch when there is none or a load replaced the persons.
    pub async fn refresh<S: PersonStore + ?Sized>(&self, store: &S) -> Result<(), StoreError> {
        let marks = store.person_marks().await?;
        let have = self.read().as_ref().map(|ix| ix.marks);
        match have {
            Some(have) if have.loads == marks.loads => {
                if have.stamp != marks.stamp {
                    let _one = self.updating.lock().await;
                    self.apply_changes(store, marks).await?;
                }
                return Ok(());
            }
            Some(_) => {
                *self.write() = None;
                tracing::info!("persons were loaded: searches use SQL until the index is rebuilt");
            }
            None => {}
        }
        if *self.refused_load() == Some(marks.loads) {
            return Ok(());
        }
        let started = Instant::now();
        let built = match build(store).await? {
            Ok(ix) => ix,
            Err(why) => {
                tracing::warn!(%why, "search index: cannot index these persons; searches stay on SQL");
                *self.refused_load() = Some(marks.loads);
                return Ok(());
            }
        };
        let _one = self.updating.lock().await;
        let now = store.person_marks().await?;
        if now.loads != built.marks.loads {
            return Ok(()); // another load meanwhile: the next poll builds again
        }
        let persons = built.alive.len();
        let bytes = built.bytes();
        *self.write() = Some(built);
        self.apply_changes(store, now).await?;
        tracing::info!(
            persons,
            seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
            megabytes = bytes / 1_000_000,
            "search index ready: searches are answered from memory"
        );
        give_back_soon();
        Ok(())
    }

    /// The change log from the index's stamp up to `now` (marks just read), applied (the
    /// caller holds `updating`).
    async fn apply_changes<S: PersonStore + ?Sized>(
        &self,
        store: &S,
        now: PersonMarks,
    ) -> Result<(), StoreError> {
        let Some(since) = self.read().as_ref().map(|ix| ix.marks) else { return Ok(()) };
        if now.loads != since.loads {
            return Ok(()); // the poll rebuilds
        }
        if now.stamp == since.stamp {
            return Ok(());
        }
        let Some(changes) = store.person_changes(since.stamp).await? else {
            *self.write() = None;
            tracing::info!("search index fell behind the change log: rebuilding");
            return Ok(());
        };
        let mut guard = self.write();
        let Some(ix) = guard.as_mut() else { return Ok(()) };
        let mut stamp = now.stamp;
        for change in &changes {
            stamp = stamp.max(change.stamp);
            let put = match &change.facts {
                Some(facts) => ix.put(facts),
                None => {
                    ix.remove(change.seq);
                    Ok(())
                }
            };
            if let Err(why) = put {
                *guard = None;
                tracing::warn!(%why, "search index: a changed person cannot be indexed; searches use SQL");
                *self.refused_load() = Some(now.loads);
                return Ok(());
            }
        }
        ix.marks.stamp = stamp;
        Ok(())
    }
}

/// Has the allocator give the build's freed pages back to the system once they may be.
///
/// mimalloc returns freed pages only when later allocator work finds their purge delay (1 s)
/// past, and an idle server does none: the build's garbage stayed resident (`serve` held
/// 185-215 MB more after a 1.2-million build instead of ~100, measured). A thread that ends
/// is such work (the allocator collects its heap and purges what is due), so one is started
/// after the delay; it allocates one small value so that it has a heap to collect.
fn give_back_soon() {
    tokio::spawn(async {
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        let started = std::thread::Builder::new()
            .name("fjellport-give-back".into())
            .spawn(|| drop(std::hint::black_box(vec![0u8; 64])));
        if let Err(e) = started {
            tracing::debug!(error = %e, "could not start the thread that lets the allocator purge");
        }
    });
}

/// Reads every person's facts into a new index (changes made meanwhile are in the change log
/// after the marks it records).
async fn build<S: PersonStore + ?Sized>(
    store: &S,
) -> Result<Result<Index, Unindexable>, StoreError> {
    let mut ix = Index::new(store.person_marks().await?);
    let mut after = 0;
    loop {
        let page = store.search_facts(after, BUILD_PAGE).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for facts in &page {
            if let Err(why) = ix.put(facts) {
                return Ok(Err(why));
            }
        }
    }
    ix.built();
    Ok(Ok(ix))
}
