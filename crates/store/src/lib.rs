//! Fjellport's persistence.
//!
//! One trait per aggregate ([`KeyStore`], [`ClientStore`], [`PersonStore`], [`EventStore`],
//! [`ReplayStore`], [`CodeStore`], [`MessageStore`], [`SettingsStore`]), bundled as [`Store`]; consumers take the trait they
//! need. One store type serves SQLite (the embedded default) and PostgreSQL (several
//! replicas): each aggregate's SQL is written once, in its own module (`keys`, `clients`,
//! `persons` with `search`, `person_columns` and `load`, `events`, `settings`), and what the
//! two databases do differently lives in `dialect`. The same versioned migrations are applied
//! at open.

mod checkpoint;
mod clients;
mod codes;
mod dialect;
mod error;
mod events;
mod keys;
mod load;
mod message_writer;
mod messages;
mod migrate;
mod model;
mod notification_addresses;
mod open;
mod organizations;
mod packed;
mod person_changes;
mod person_columns;
mod persons;
#[cfg(test)]
mod plan_tests;
mod search;
mod sessions;
mod settings;
mod sql;
mod store;
mod systems;
pub mod testing;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

pub use error::StoreError;
pub use model::{
    Comparison, HeldRole, LifeChanges, MessageEvent, MessageField, MessageQuery, MessageValue,
    OrganizationFacts, OrganizationRow, OwnerMessageQuery, PersonChange, PersonFilter, PersonMarks,
    PersonPage, PersonRow, SearchFacts, SearchHits, StoredClient, StoredEvent, StoredKey,
    StoredMessage, StoredNotificationAddress, StoredPerson, StoredSystem, TakenNin, shuffle_rank,
};
pub use open::{Backend, open, open_serving, redact};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// API keys. Every change bumps the `keys` revision in the same transaction.
#[async_trait]
pub trait KeyStore: Send + Sync + std::fmt::Debug {
    async fn insert_key(&self, key: &StoredKey) -> Result<()>;
    async fn list_keys(&self) -> Result<Vec<StoredKey>>;
    async fn get_key(&self, id: &str) -> Result<StoredKey>;
    /// Revokes a key; revoking twice keeps the first instant.
    async fn revoke_key(&self, id: &str, at: DateTime<Utc>) -> Result<StoredKey>;
    /// Grows with every change to any key: a cheap "did anything change?" for caches.
    async fn keys_revision(&self) -> Result<i64>;
    /// Notes when keys were last used (each only moves forward); not a change of the keys:
    /// the revision stays.
    async fn note_key_uses(&self, uses: &[(String, DateTime<Utc>)]) -> Result<()>;
}

/// OAuth clients of the embedded issuers.
#[async_trait]
pub trait ClientStore: Send + Sync + std::fmt::Debug {
    async fn insert_client(&self, client: &StoredClient) -> Result<()>;
    async fn get_client(&self, client_id: &str) -> Result<StoredClient>;
    async fn list_clients(&self) -> Result<Vec<StoredClient>>;
    /// Marks the client revoked at `at` (once: a second call keeps the first time) and returns it.
    async fn revoke_client(&self, client_id: &str, at: DateTime<Utc>) -> Result<StoredClient>;
}

/// Persons (the synthetic population and reserved persons).
#[async_trait]
pub trait PersonStore: Send + Sync + std::fmt::Debug {
    /// How many persons there are, of one origin or all.
    async fn person_count(&self, origin: Option<&str>) -> Result<i64>;
    /// Starts replacing every person of `origin`, in one transaction: rows are added in batches
    /// and become visible at `commit`; dropping the load without committing changes nothing.
    async fn load_persons(&self, origin: &str) -> Result<Box<dyn PersonLoad>>;
    /// Grows whenever Test-Norge persons change (loads; reserved persons do not count): a
    /// cheap "is my cached copy still good?" for readers.
    async fn population_revision(&self) -> Result<i64>;
    /// One person by opaque id, or by identity number.
    async fn person(&self, by: PersonKey<'_>) -> Result<Option<StoredPerson>>;
    /// Many persons by id or number, in no particular order; unknown ones are simply absent.
    async fn persons(&self, by: PersonKeys<'_>) -> Result<Vec<StoredPerson>>;
    /// One page of the persons `page.filter` selects, in `(rank, seq)` order, with each
    /// person's rank (0 unless shuffled).
    async fn search_persons(&self, page: &PersonPage) -> Result<SearchHits>;
    /// How many persons `filter` selects.
    async fn count_persons(&self, filter: &PersonFilter) -> Result<i64>;
    /// Up to `limit` Test-Norge persons with this family name (exactly) and, when given, a
    /// given name starting with `given_prefix`, by given name (index `persons_name`): the test
    /// login page's search.
    async fn persons_named(
        &self,
        family_name: &str,
        given_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<StoredPerson>>;
    /// Which of `nins` were ever reserved (or are held by any person).
    async fn taken_nins(&self, nins: &[String]) -> Result<Vec<String>>;
    /// Reserves persons for `owner` in one transaction that no other reservation overlaps, so
    /// that many callers reserving at once (on one replica or several) never draw the same
    /// number: `draw` is given which of `candidates` are already taken, and by whom, and
    /// gives the rows to insert (`None`: it gives up, and keeps why). Returns their load
    /// order, or `None` when `draw` gave up.
    async fn reserve_persons(
        &self,
        owner: &str,
        candidates: &[String],
        at: i64,
        draw: &mut (dyn for<'t> FnMut(&'t [TakenNin]) -> Option<Vec<PersonRow>> + Send),
    ) -> Result<Option<Vec<i64>>>;
    /// Adds reserved persons, all or none, recording their numbers as reserved forever:
    /// [`StoreError::Conflict`] if any number was taken meanwhile. Returns their load order.
    async fn insert_reserved(&self, owner: &str, rows: Vec<PersonRow>, at: i64)
    -> Result<Vec<i64>>;
    /// Rewrites persons, all or none; each must still have the given version
    /// ([`StoreError::Conflict`] otherwise), which then grows by one.
    async fn update_persons(&self, rows: Vec<(PersonRow, i64)>) -> Result<()>;
    /// Deletes one reserved person if `owner` owns it (false if there was none) and, in the
    /// same transaction, rewrites `updates` as [`PersonStore::update_persons`] does.
    async fn delete_person(
        &self,
        id: &str,
        owner: &str,
        updates: Vec<(PersonRow, i64)>,
    ) -> Result<bool>;
    /// Where the change log stands: an in-memory search index that saw these marks is
    /// current.
    async fn person_marks(&self) -> Result<PersonMarks>;
    /// The search facts of up to `limit` persons after load-order position `after`, in load
    /// order (an index's build, a page at a time).
    async fn search_facts(&self, after: i64, limit: i64) -> Result<Vec<SearchFacts>>;
    /// Every person changed after `stamp` (outside loads), in stamp order, with its facts now;
    /// `None` when the log no longer reaches back that far (the index must start over).
    async fn person_changes(&self, stamp: i64) -> Result<Option<Vec<PersonChange>>>;
    /// Persons by load-order position, in no particular order (gone ones absent); documents
    /// only `with_doc`.
    async fn persons_at(&self, seqs: &[i64], with_doc: bool) -> Result<Vec<StoredPerson>>;
    /// Calls `each` with every organization's JSON document in load order.
    async fn export_organizations(
        &self,
        each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
    ) -> Result<u64>;
    /// Calls `each` with every person's JSON document in load order, a page at a time.
    async fn export_persons(
        &self,
        each: &mut (dyn for<'s> FnMut(&'s str) -> std::io::Result<()> + Send),
    ) -> Result<u64>;
}

/// How to find one person.
#[derive(Debug, Clone, Copy)]
pub enum PersonKey<'a> {
    Id(&'a str),
    Nin(&'a str),
    /// Health personnel by HPR number.
    Hpr(&'a str),
}

/// How to find several persons.
#[derive(Debug, Clone, Copy)]
pub enum PersonKeys<'a> {
    Ids(&'a [String]),
    Nins(&'a [String]),
}

/// A load in progress (see [`PersonStore::load_persons`]).
#[async_trait]
pub trait PersonLoad: Send {
    /// Adds rows (taken by value: a bulk load should not copy every field once more).
    async fn add(&mut self, rows: Vec<PersonRow>) -> Result<()>;
    /// Adds organizations (a Test-Norge load replaces every organization).
    async fn add_organizations(&mut self, rows: Vec<OrganizationRow>) -> Result<()>;
    /// Also releases every reserved person, of every owner, in the same transaction (their
    /// numbers stay retired); returns how many.
    async fn release_reserved(&mut self) -> Result<u64>;
    /// Sets a setting in the load's transaction: what describes the population (its day, its
    /// seed) becomes visible with it, or not at all.
    async fn set_setting(&mut self, name: &str, value: &str) -> Result<()>;
    async fn commit(self: Box<Self>) -> Result<()>;
}

/// The synthetic Enhetsregister as Altinn reads it: who holds which role where.
#[async_trait]
pub trait OrganizationStore: Send + Sync + std::fmt::Debug {
    /// Every role the person with number `nin` holds, with its organization, by organization
    /// number and role.
    async fn roles_of(&self, nin: &str) -> Result<Vec<HeldRole>>;
    /// One organization, by number.
    async fn organization(&self, orgnr: &str) -> Result<Option<OrganizationFacts>>;
    /// One organization's register document (JSON), by number.
    async fn organization_doc(&self, orgnr: &str) -> Result<Option<String>>;
    /// Who holds roles in the organization `orgnr`: `(nin, role)` by number and role.
    async fn role_holders(&self, orgnr: &str) -> Result<Vec<(String, String)>>;
}

/// The Test-Norge event feed and the life events behind it.
#[async_trait]
pub trait EventStore: Send + Sync + std::fmt::Debug {
    /// Writes one day of life events — births, changed persons, GP lists, the events — in one
    /// transaction, and records the day as the population's.
    async fn apply_life(&self, changes: LifeChanges) -> Result<()>;
    /// Events from sequence number `from` (inclusive), of the given types (all when empty).
    async fn events(&self, from: i64, types: &[String], limit: i64) -> Result<Vec<StoredEvent>>;
    async fn latest_event(&self) -> Result<Option<StoredEvent>>;
}

/// The replay record replicas share.
#[async_trait]
pub trait ReplayStore: Send + Sync + std::fmt::Debug {
    /// True the first time `key` is seen before it expires; records it until `expires`.
    async fn first_use(&self, key: &str, expires: i64, now: i64) -> Result<bool>;
    /// Forgets keys that expired before `now`.
    async fn prune_replay(&self, now: i64) -> Result<u64>;
    /// Counts `n` requests of `name` in the one-second window that began at `window_start`
    /// (wall-clock unix seconds) and returns the window's count so far, over every replica.
    async fn count_requests(&self, name: &str, window_start: i64, n: i64) -> Result<i64>;
    /// Forgets windows that began before `before`.
    async fn prune_rate_windows(&self, before: i64) -> Result<u64>;
}

/// Altinn's message box and the service owners' event feed.
#[async_trait]
pub trait MessageStore: Send + Sync + std::fmt::Debug {
    /// Stores a new message (its `seq` is given by the database) and records `event` for it
    /// (when there is one), in one transaction; returns it with its `seq`.
    async fn insert_message(
        &self,
        message: &StoredMessage,
        event: Option<&str>,
    ) -> Result<StoredMessage>;
    async fn message(&self, seq: i64) -> Result<Option<StoredMessage>>;
    /// One page of a reportee's messages, newest first.
    async fn messages(&self, query: &MessageQuery) -> Result<Vec<StoredMessage>>;
    /// Moves a message whose status is one of `from` to `to` (by `by`, at `at`) and records
    /// `event`, in one transaction; `None` when it is gone or in another status.
    async fn change_message(
        &self,
        seq: i64,
        from: &[&str],
        to: &str,
        by: &str,
        event: &str,
        at: i64,
    ) -> Result<Option<StoredMessage>>;
    /// Rewrites the document (forms, attachments) of a message whose status is one of `from`,
    /// and sets its status to `to`; `None` when it is gone or in another status. No event:
    /// the feed reports correspondence only.
    async fn replace_message(
        &self,
        seq: i64,
        from: &[&str],
        to: &str,
        doc: &str,
        by: &str,
        at: i64,
    ) -> Result<Option<StoredMessage>>;
    /// What a service owner sent, oldest first (SOAP status look-ups).
    async fn owner_messages(&self, query: &OwnerMessageQuery) -> Result<Vec<StoredMessage>>;
    /// Every event of these messages, in order.
    async fn events_of_messages(&self, seqs: &[i64]) -> Result<Vec<MessageEvent>>;
    /// Grows with every change to any message: a cheap "did anything change?" for caches.
    async fn messages_revision(&self) -> Result<i64>;
    /// Up to `limit` events of `service_owner`'s services after event `after`, in order.
    async fn message_events(
        &self,
        service_owner: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<MessageEvent>>;
}

/// Authorization codes (the ID-porten-like issuer's login), shared by replicas.
#[async_trait]
pub trait CodeStore: Send + Sync + std::fmt::Debug {
    /// Keeps `grant` under `code_hash` until `expires`, and forgets codes that expired before
    /// `now`.
    async fn put_code(&self, code_hash: &str, grant: &str, expires: i64, now: i64) -> Result<()>;
    /// The grant kept under `code_hash`, once: redeeming takes it away. `None` when unknown,
    /// already redeemed or expired.
    async fn take_code(&self, code_hash: &str, now: i64) -> Result<Option<String>>;
}

/// The web app's browser sessions, by the hash of the cookie's value, shared by replicas.
#[async_trait]
pub trait SessionStore: Send + Sync + std::fmt::Debug {
    /// Keeps `doc` under `id_hash` until `expires` (replacing what was there), and forgets
    /// sessions that expired before `now`.
    async fn put_session(&self, id_hash: &str, doc: &str, expires: i64, now: i64) -> Result<()>;
    /// The session under `id_hash`, unless unknown or expired at `now`.
    async fn session(&self, id_hash: &str, now: i64) -> Result<Option<String>>;
    /// Ends a session (logging out); `true` when there was one.
    async fn delete_session(&self, id_hash: &str) -> Result<bool>;
}

/// Organizations' notification addresses (Altinn profile), shared by replicas.
#[async_trait]
pub trait NotificationAddressStore: Send + Sync + std::fmt::Debug {
    /// An organization's addresses, oldest first.
    async fn notification_addresses(&self, orgnr: &str) -> Result<Vec<StoredNotificationAddress>>;
    /// Adds one (its `id` is ignored); returns it with the id the database gave it.
    async fn insert_notification_address(
        &self,
        address: &StoredNotificationAddress,
    ) -> Result<StoredNotificationAddress>;
    /// Removes the organization's address `id`; `false` when it has none of that id.
    async fn delete_notification_address(&self, orgnr: &str, id: i64) -> Result<bool>;
}

/// Small named values the server keeps across restarts (e.g. the admin token's hash).
#[async_trait]
pub trait SettingsStore: Send + Sync + std::fmt::Debug {
    async fn get_setting(&self, name: &str) -> Result<Option<String>>;
    /// Stores `value` unless `name` is set already; returns the value in force afterwards, so
    /// two replicas starting at once agree on one value.
    async fn put_setting_if_absent(&self, name: &str, value: &str) -> Result<String>;
    /// Sets `name` to `value`, whatever it was.
    async fn set_setting(&self, name: &str, value: &str) -> Result<()>;
}

/// Everything the product stores.
/// Altinn's SOAP systems. A user name is registered once.
#[async_trait]
pub trait SystemStore: Send + Sync + std::fmt::Debug {
    /// Registers a system; a taken user name is [`StoreError::Conflict`].
    async fn insert_system(&self, system: &StoredSystem) -> Result<()>;
    async fn system(&self, user_name: &str) -> Result<Option<StoredSystem>>;
    async fn systems(&self) -> Result<Vec<StoredSystem>>;
}

#[async_trait]
pub trait Store:
    KeyStore
    + ClientStore
    + PersonStore
    + OrganizationStore
    + EventStore
    + ReplayStore
    + CodeStore
    + SessionStore
    + NotificationAddressStore
    + MessageStore
    + SystemStore
    + SettingsStore
    + std::fmt::Debug
{
    fn backend(&self) -> Backend;
    /// A round trip to the database that reads our schema, for `/readyz`.
    async fn ping(&self) -> Result<()>;
    /// Waits for in-flight statements and closes the pool.
    async fn close(&self);
    /// Bytes our data takes on disk (SQLite: the file's pages; PostgreSQL: our tables and
    /// their indexes in the current schema), for load summaries.
    async fn size_bytes(&self) -> Result<u64>;
}
