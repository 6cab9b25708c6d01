//! Test-Norge persons, match counts and search pages, kept in memory.
//!
//! Test-Norge persons change only in bulk (a population load, the life-event simulation), and
//! each such change grows the store's population revision; the cache checks that revision at
//! most once a second and lets everything go when it moved. Reserved persons are never cached:
//! an owner's edit must be visible at once on every replica.

use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use fjellport_store::{PersonStore, StoredPerson};
use foldhash::quality::RandomState;
use moka::sync::Cache as Moka;

use crate::parts::View;
use fjellport_gateway::Problem;

/// How stale a replica's view of a population change may be.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// Persons kept (documents of ~3 KB: ≈ 150 MB at most).
const PERSONS: u64 = 50_000;
const COUNTS: u64 = 10_000;
/// Persons kept without their documents, for search pages (~500 bytes each: ≈ 50 MB at most).
const SUMMARIES: u64 = 100_000;
/// Bytes of search pages kept (a page of summaries is a few kB; of full documents, more).
const PAGE_BYTES: u64 = 64 << 20;
/// Bytes of documents kept as a view writes them.
const RENDERED_BYTES: u64 = 64 << 20;
/// Bytes of search answers kept as written.
const ANSWER_BYTES: u64 = 32 << 20;

/// Questions remembered (by hash) for the answer cache's door: an answer is kept only when
/// its question was asked before.
const SEEN_SLOTS: usize = 1 << 16;

/// The caches here hash with foldhash: moka's default SipHash of long search keys showed in
/// every search's profile.
type Cache<K, V> = Moka<K, V, RandomState>;

/// A cache of at most `n` entries.
fn cache<K, V>(n: u64) -> Cache<K, V>
where
    K: std::hash::Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    Moka::builder().max_capacity(n).build_with_hasher(RandomState::default())
}

/// A cache of at most `bytes` of written answers.
fn bytes_cache(bytes: u64) -> Cache<String, Bytes> {
    Moka::builder()
        .max_capacity(bytes)
        .weigher(|k: &String, b: &Bytes| weigh(k, b))
        .build_with_hasher(RandomState::default())
}

/// A page of a search: `(rank, person)` in page order.
pub(crate) type Page = Arc<Vec<(i64, Arc<StoredPerson>)>>;

/// What a written answer weighs in a cache: its bytes, its key's and some for the entry.
fn weigh(key: &str, body: &Bytes) -> u32 {
    u32::try_from(key.len() + body.len() + 64).unwrap_or(u32::MAX)
}

#[derive(Debug)]
pub(crate) struct TestNorgeCache {
    started: Instant,
    /// Milliseconds after `started` of the last revision check.
    checked: AtomicU64,
    revision: AtomicI64,
    by_id: Cache<String, Arc<StoredPerson>>,
    id_by_nin: Cache<String, String>,
    counts: Cache<String, i64>,
    pages: Cache<String, Page>,
    /// By load-order position, without documents (what a search page of summaries shows).
    by_seq: Cache<i64, Arc<StoredPerson>>,
    /// Persons' documents as a view shows them, written out, by id and view: reading a
    /// person's JSON into a tree and writing it again was a quarter of a `GET /persons/{id}`
    /// (profiled), and a person asked for once is often asked for again in the same view.
    rendered: Cache<String, Bytes>,
    /// Search answers as written, by the search index's version and the whole question.
    answers: Cache<String, Bytes>,
    /// The door to `answers`: the hash of the last question seen in each slot. A search asked
    /// for the first time is answered and not kept (most first-time searches are never asked
    /// again, and keeping each cost an insert that made the cache churn, profiled); asked a
    /// second time, its answer is kept.
    seen: Box<[AtomicU64]>,
    hasher: RandomState,
}

impl TestNorgeCache {
    pub(crate) fn new() -> TestNorgeCache {
        TestNorgeCache {
            started: Instant::now(),
            checked: AtomicU64::new(0),
            revision: AtomicI64::new(i64::MIN),
            by_id: cache(PERSONS),
            id_by_nin: cache(PERSONS),
            counts: cache(COUNTS),
            by_seq: cache(SUMMARIES),
            rendered: bytes_cache(RENDERED_BYTES),
            answers: bytes_cache(ANSWER_BYTES),
            seen: (0..SEEN_SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::default(),
            pages: Moka::builder()
                .max_capacity(PAGE_BYTES)
                .weigher(|key: &String, page: &Page| {
                    let bytes: usize = page
                        .iter()
                        .map(|(_, p)| {
                            512 + p.row.doc.len() + p.row.hpr_doc.as_ref().map_or(0, String::len)
                        })
                        .sum();
                    u32::try_from(key.len() + bytes).unwrap_or(u32::MAX)
                })
                .build_with_hasher(RandomState::default()),
        }
    }

    /// Drops everything if the population changed since the last look (looked at no more than
    /// once a second; one request pays for the look, the rest go on).
    pub(crate) async fn freshen(&self, store: &dyn PersonStore) {
        let now = self.started.elapsed().as_millis() as u64;
        let last = self.checked.load(Ordering::Relaxed);
        let due = now.saturating_sub(last) >= CHECK_EVERY.as_millis() as u64
            || self.revision.load(Ordering::Relaxed) == i64::MIN;
        if !due
            || self
                .checked
                .compare_exchange(last, now, Ordering::AcqRel, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        match store.population_revision().await {
            Ok(rev) if rev != self.revision.swap(rev, Ordering::AcqRel) => {
                self.drop_all();
            }
            Ok(_) => {}
            // Unknown state: keep nothing rather than serve what may be stale.
            Err(_) => {
                self.revision.store(i64::MIN, Ordering::Relaxed);
                self.drop_all();
            }
        }
    }

    /// Whether the population's revision is known (until it is, nothing is kept).
    fn current(&self) -> bool {
        self.revision.load(Ordering::Relaxed) != i64::MIN
    }

    fn drop_all(&self) {
        self.by_id.invalidate_all();
        self.id_by_nin.invalidate_all();
        self.counts.invalidate_all();
        self.pages.invalidate_all();
        self.by_seq.invalidate_all();
        self.rendered.invalidate_all();
        self.answers.invalidate_all();
    }

    /// A Test-Norge person's facts (no document), by load-order position.
    pub(crate) fn summary_at(&self, seq: i64) -> Option<Arc<StoredPerson>> {
        self.by_seq.get(&seq)
    }

    /// Keeps a person read without its document, if it is a Test-Norge person.
    pub(crate) fn keep_summary(&self, p: Arc<StoredPerson>) {
        if p.row.origin == "TestNorge" && self.current() {
            self.by_seq.insert(p.seq, p);
        }
    }

    pub(crate) fn by_id(&self, id: &str) -> Option<Arc<StoredPerson>> {
        self.by_id.get(id)
    }

    pub(crate) fn by_nin(&self, nin: &str) -> Option<Arc<StoredPerson>> {
        self.id_by_nin.get(nin).and_then(|id| self.by_id.get(&id))
    }

    /// Keeps a person read from the store, if it is a Test-Norge person.
    pub(crate) fn keep(&self, p: &StoredPerson) -> Option<Arc<StoredPerson>> {
        if p.row.origin != "TestNorge" || !self.current() {
            return None;
        }
        let p = Arc::new(p.clone());
        self.id_by_nin.insert(p.row.nin.clone(), p.row.id.clone());
        self.by_id.insert(p.row.id.clone(), p.clone());
        Some(p)
    }

    /// `p`'s document as `view` shows it, written once for a Test-Norge person and kept (a
    /// reserved person's may change at any time on any replica: written every time).
    pub(crate) fn rendered(&self, p: &StoredPerson, view: &View) -> Result<Bytes, Problem> {
        let write = || crate::written(&view.render(&p.row.doc)?);
        if p.row.origin != "TestNorge" || !self.current() {
            return write();
        }
        let key = format!("{}|{}", p.row.id, view.key());
        if let Some(body) = self.rendered.get(&key) {
            return Ok(body);
        }
        let body = write()?;
        self.rendered.insert(key, body.clone());
        Ok(body)
    }

    /// A search answer kept under `key` (which names the search index's version: any change
    /// to any person makes a new one).
    pub(crate) fn answer(&self, key: &str) -> Option<Bytes> {
        self.answers.get(key)
    }

    /// Keeps a search answer asked for the second time (see `seen`); only one of Test-Norge
    /// persons, which change in bulk only (a reserved person's edit on another replica reaches
    /// this one's index up to 2 s later, and its owner must see it at once).
    pub(crate) fn keep_answer(&self, key: String, body: Bytes) {
        if !self.current() {
            return;
        }
        let hash = self.hasher.hash_one(&key) | 1; // never 0, an empty slot
        if self.seen[(hash as usize) % SEEN_SLOTS].swap(hash, Ordering::Relaxed) == hash {
            self.answers.insert(key, body);
        }
    }

    pub(crate) fn count(&self, key: &str) -> Option<i64> {
        self.counts.get(key)
    }

    pub(crate) fn page(&self, key: &str) -> Option<Page> {
        self.pages.get(key)
    }

    pub(crate) fn keep_page(&self, key: String, page: Page) {
        if self.current() {
            self.pages.insert(key, page);
        }
    }

    pub(crate) fn keep_count(&self, key: String, n: i64) {
        if self.current() {
            self.counts.insert(key, n);
        }
    }
}
