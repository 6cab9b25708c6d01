//! The SyntPop API's HTTP handlers (mounted at `/syntpop/api`, behind the gateway): persons by
//! id and number, search, and the caller's own reserved persons. Every version (0.1, 0.2, 1.0)
//! serves the same calls; the gateway has settled authentication and deprecation before a
//! handler runs, and hands it the [`Caller`].

mod cache;
mod docs;
mod edit;
mod events;
mod family;
mod parts;
mod persons;
mod ping;
mod registers;
mod reserved;
mod search;

use std::sync::Arc;

use fjellport_clock::SharedClock;
use fjellport_gateway::{Caller, Problem};
use fjellport_population::addresses::AddressBook;
use fjellport_search_index::SearchIndex;
use fjellport_store::{PersonKey, Store, StoredPerson};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The rules of SyntPop a deployment may set (`[syntpop]` in the configuration).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SyntpopRules {
    /// Identity numbers one owner may take from one pool — the reserved numbers of one birth
    /// date, sex and kind, a few hundred shared by every team — so that no team can use up a
    /// birth date for everyone. Released persons keep their numbers, so this counts numbers
    /// taken, not persons held.
    pub reserved_per_birth_date: u32,
    /// Whether a PATCH may give contact data that could reach a real person (any e-mail
    /// domain, any phone number). Off: e-mail on `.test` domains and mobile numbers in the
    /// unassigned `+4701` series only, as the generated population has.
    pub deliverable_contact_data: bool,
}

impl Default for SyntpopRules {
    fn default() -> Self {
        SyntpopRules { reserved_per_birth_date: 50, deliverable_contact_data: false }
    }
}

/// What the SyntPop handlers share.
#[derive(Debug, Clone)]
pub struct SyntpopState {
    store: Arc<dyn Store>,
    clock: SharedClock,
    cache: Arc<cache::TestNorgeCache>,
    /// Every person's search facts in memory (searches fall back to SQL until it is current).
    index: Arc<SearchIndex>,
    /// Real street addresses for reserved persons' homes, when the server has them.
    addresses: Option<Arc<AddressBook>>,
    rules: SyntpopRules,
    /// Reservations in progress on this replica at most: they wait on each other's number
    /// locks in the database anyway, and each waiting one would hold a pooled connection that
    /// reads (and `/readyz`) need; past this they queue here, holding nothing.
    reserving: Arc<tokio::sync::Semaphore>,
}

/// Reservations one replica runs at once (see `SyntpopState::reserving`).
const RESERVING_AT_ONCE: usize = 4;

impl SyntpopState {
    pub fn new(
        store: Arc<dyn Store>,
        clock: SharedClock,
        addresses: Option<Arc<AddressBook>>,
        rules: SyntpopRules,
    ) -> SyntpopState {
        let cache = Arc::new(cache::TestNorgeCache::new());
        let reserving = Arc::new(tokio::sync::Semaphore::new(RESERVING_AT_ONCE));
        let index = SearchIndex::new();
        SyntpopState { store, clock, cache, index, addresses, rules, reserving }
    }

    /// Builds the search index and keeps it current with the store, polled every `every`
    /// (what other replicas and commands change), until the task is aborted.
    pub fn follow_index(&self, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
        self.index.follow(self.store.clone(), every)
    }

    /// The search index, for this replica's writers outside the API (the event simulation).
    pub fn index(&self) -> Arc<SearchIndex> {
        self.index.clone()
    }

    /// After a write on this replica: its own next search sees it.
    pub(crate) async fn wrote(&self) {
        self.index.catch_up(self.store.as_ref()).await;
    }
}

pub(crate) type State = axum::extract::State<Arc<SyntpopState>>;

/// Every SyntPop route, with its OpenAPI description.
pub fn router(state: SyntpopState) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(ping::get_ping))
        .routes(routes!(persons::get_person))
        .routes(routes!(persons::get_by_nin))
        .routes(routes!(persons::bulk_by_id))
        .routes(routes!(persons::bulk_by_nin))
        .routes(routes!(search::search))
        .routes(routes!(search::match_count))
        .routes(routes!(reserved::reserve_person, reserved::list_reserved))
        .routes(routes!(edit::patch_reserved, reserved::delete_reserved))
        .routes(routes!(registers::get_hpr))
        .routes(routes!(registers::post_patient))
        .routes(routes!(registers::get_patients))
        .routes(routes!(events::get_events))
        .routes(routes!(events::get_latest))
        .with_state(Arc::new(state))
}

/// Whose reserved persons a caller sees: the key's owner (0.x) or the token's `orgnr_parent`,
/// falling back to `client_id` (1.0) — the gateway has settled which.
pub(crate) fn owner_of(caller: &Caller) -> String {
    caller.owner.clone().or_else(|| caller.client_id.clone()).unwrap_or_default()
}

/// One person, from the Test-Norge cache when it is there.
pub(crate) async fn lookup(
    state: &SyntpopState,
    key: PersonKey<'_>,
) -> Result<Option<Arc<StoredPerson>>, Problem> {
    state.cache.freshen(state.store.as_ref()).await;
    let cached = match key {
        PersonKey::Id(id) => state.cache.by_id(id),
        PersonKey::Nin(nin) => state.cache.by_nin(nin),
        PersonKey::Hpr(_) => None,
    };
    if cached.is_some() {
        return Ok(cached);
    }
    Ok(state.store.person(key).await?.map(|p| state.cache.keep(&p).unwrap_or_else(|| Arc::new(p))))
}

/// `value` written out as JSON.
pub(crate) fn written<T: serde::Serialize + ?Sized>(
    value: &T,
) -> Result<axum::body::Bytes, Problem> {
    serde_json::to_vec(value)
        .map(axum::body::Bytes::from)
        .map_err(|e| Problem::internal(format!("cannot write an answer: {e}")))
}

/// A JSON answer already written out.
pub(crate) fn json_body(body: axum::body::Bytes) -> axum::response::Response {
    use axum::response::IntoResponse;
    let json = http::HeaderValue::from_static("application/json");
    ([(http::header::CONTENT_TYPE, json)], body).into_response()
}

/// Test-Norge persons are everyone's to read; a reserved person only its owner's.
pub(crate) fn visible(person: &StoredPerson, owner: &str) -> bool {
    person.row.origin != "Reserved" || person.row.owner.as_deref() == Some(owner)
}

/// The problem for a person that does not exist *for this caller* (another owner's reserved
/// person is not found, not forbidden: its existence is not disclosed).
pub(crate) fn person_not_found(what: &str) -> Problem {
    Problem::not_found(format!("No person {what} is visible to you."))
}

/// The parsers of untrusted input, without HTTP, for the fuzz targets in `fuzz/`.
#[doc(hidden)]
pub mod fuzzing {
    use serde_json::Value;

    use fjellport_gateway::input::{Members, pairs};

    fn today() -> chrono::NaiveDate {
        chrono::NaiveDate::from_ymd_opt(2026, 9, 1).unwrap_or_default()
    }

    /// A search body: the filter, then the paging members.
    pub fn search_body(data: &[u8]) -> bool {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else { return false };
        let m = Members::new(&map);
        crate::search::filter_of(&m, today()).is_ok() && crate::search::paging_of(&m).is_ok()
    }

    /// A query string with `informationParts` and `includeHistory`, then a render with it.
    pub fn view_query(data: &[u8]) -> bool {
        match crate::parts::View::from_query(&pairs(data), true) {
            Ok(view) => view.render(r#"{"id":"x","name":[{"isValid":false}]}"#).is_ok(),
            Err(_) => false,
        }
    }

    /// A reservation template, and the reservation built from it.
    pub fn reservation(data: &[u8]) -> bool {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(data) else { return false };
        let Ok(template) = crate::reserved::template_of(&Members::new(&map)) else { return false };
        let today = fjellport_nin::Date { year: 2026, month: 9, day: 1 };
        fjellport_population::reserve::reserve(&template, today, 7, &[], None).is_ok()
    }
}
