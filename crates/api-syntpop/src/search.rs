//! `POST /search` and `POST /search/match-count`: find test persons by their properties.
//!
//! The body's members are the contract (see the OpenAPI document); every one narrows the
//! search. Paging is by keyset — the cursor holds the last person's place in load order (or in
//! the seeded shuffle), so pages stay stable while others reserve persons — and a cursor only
//! continues the search it came from.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Datelike, Months, NaiveDate};
use fjellport_gateway::{Caller, Problem};
use fjellport_store::{PersonFilter, PersonPage, SearchHits, StoredPerson};
use http::HeaderMap;
use serde::Serialize;
use serde_json::{Value, json};

use crate::cache::Page;
use crate::docs::{MatchCount, Problems, SearchPage};
use crate::parts::View;
use crate::{State, owner_of};
use fjellport_gateway::input::{Members, invalid, json_object, only_known, pairs};

pub(crate) const STATUSES: [&str; 10] = [
    "Resident",
    "Emigrated",
    "Disappeared",
    "Deceased",
    "Discontinued",
    "RegisteredAtBirth",
    "Temporary",
    "Inactive",
    "NotResident",
    "Active",
];
pub(crate) const MARITAL_STATUSES: [&str; 10] = [
    "Unspecified",
    "Unmarried",
    "Married",
    "WidowOrWidower",
    "Divorced",
    "Separated",
    "RegisteredPartner",
    "SeparatedPartner",
    "DivorcedPartner",
    "SurvivingPartner",
];
pub(crate) const CONFIDENTIALITY: [&str; 4] =
    ["Unclassified", "ClientAddress", "Confidential", "StrictlyConfidential"];

/// Filter members, then paging and shape members.
const FILTER_MEMBERS: [&str; 22] = [
    "origin",
    "gender",
    "ageFrom",
    "ageTo",
    "birthDateFrom",
    "birthDateTo",
    "status",
    "maritalStatus",
    "municipalityNumber",
    "postalCode",
    "citizenship",
    "identificationNumberType",
    "addressConfidentiality",
    "hasSpouse",
    "hasChildren",
    "hasParents",
    "childrenFrom",
    "childrenTo",
    "isDeceased",
    "isHealthPersonnel",
    "isGeneralPractitioner",
    "hasGeneralPractitioner",
];
const PAGE_MEMBERS: [&str; 5] = ["limit", "cursor", "random", "seed", "fields"];

pub(crate) const MAX_LIMIT: i64 = 1000;
pub(crate) const DEFAULT_LIMIT: i64 = 100;

/// Reads the filter members of a search body.
pub(crate) fn filter_of(m: &Members<'_>, today: NaiveDate) -> Result<PersonFilter, Problem> {
    let mut f = PersonFilter {
        origin: m.choice("origin", &["TestNorge", "Reserved"])?.map(str::to_owned),
        gender: m.choice("gender", &["Female", "Male"])?.map(str::to_owned),
        statuses: m.choices("status", &STATUSES)?,
        marital_statuses: m.choices("maritalStatus", &MARITAL_STATUSES)?,
        municipality: m.digits("municipalityNumber", 4)?.map(str::to_owned),
        postal_code: m.digits("postalCode", 4)?.map(str::to_owned),
        nin_type: m
            .choice("identificationNumberType", &["NationalIdentityNumber", "DNumber"])?
            .map(str::to_owned),
        confidentiality: m.choice("addressConfidentiality", &CONFIDENTIALITY)?.map(str::to_owned),
        has_spouse: m.boolean("hasSpouse")?,
        has_parents: m.boolean("hasParents")?,
        children_from: m.int("childrenFrom", 0, 100)?,
        children_to: m.int("childrenTo", 0, 100)?,
        ..PersonFilter::default()
    };
    if let Some(c) = m.string("citizenship")? {
        if c.len() != 3 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(invalid(
                "citizenship",
                format!("citizenship must be an ISO 3166 alpha-3 code such as NOR; got {c:?}"),
            ));
        }
        f.citizenship = Some(c.to_owned());
    }
    f.is_health_personnel = m.boolean("isHealthPersonnel")?;
    f.is_gp = m.boolean("isGeneralPractitioner")?;
    f.has_gp = m.boolean("hasGeneralPractitioner")?;
    // Ranges: each bound checked against its partner, then ages turned into birth dates.
    let age_from = m.int("ageFrom", 0, 150)?;
    let age_to = m.int("ageTo", 0, 150)?;
    if let (Some(a), Some(b)) = (age_from, age_to)
        && a > b
    {
        return Err(invalid("ageFrom", format!("ageFrom {a} is above ageTo {b}")));
    }
    let born_from = m.date("birthDateFrom")?.map(to_naive);
    let born_to = m.date("birthDateTo")?.map(to_naive);
    if let (Some(a), Some(b)) = (born_from, born_to)
        && a > b
    {
        return Err(invalid(
            "birthDateFrom",
            format!("birthDateFrom {a} is after birthDateTo {b}"),
        ));
    }
    if let (Some(a), Some(b)) = (f.children_from, f.children_to)
        && a > b
    {
        return Err(invalid("childrenFrom", format!("childrenFrom {a} is above childrenTo {b}")));
    }
    // Aged at least `a` today = born on or before today minus `a` years; at most `b` = born
    // after today minus `b + 1` years.
    let age_to_date = age_from.and_then(|a| years_before(today, a));
    let age_from_date = age_to.and_then(|b| years_before(today, b + 1)?.succ_opt());
    let from = [born_from, age_from_date].into_iter().flatten().max();
    let to = [born_to, age_to_date].into_iter().flatten().min();
    if let (Some(a), Some(b)) = (from, to)
        && a > b
    {
        return Err(invalid(
            if age_from.is_some() || age_to.is_some() { "ageFrom" } else { "birthDateFrom" },
            "the age and birth-date bounds leave no possible birth date",
        ));
    }
    f.birth_from = from.map(|d| d.format("%Y-%m-%d").to_string());
    f.birth_to = to.map(|d| d.format("%Y-%m-%d").to_string());
    if let Some(has) = m.boolean("hasChildren")? {
        if has {
            f.children_from = Some(f.children_from.unwrap_or(1).max(1));
        } else {
            if f.children_from.is_some_and(|n| n > 0) {
                return Err(invalid("hasChildren", "hasChildren false contradicts childrenFrom"));
            }
            f.children_to = Some(0);
        }
    }
    if let Some(dead) = m.boolean("isDeceased")? {
        let listed = |s: &str| f.statuses.is_empty() || f.statuses.iter().any(|x| x == s);
        if dead && !listed("Deceased") {
            return Err(invalid("isDeceased", "isDeceased true contradicts status"));
        }
        if dead {
            f.statuses = vec!["Deceased".to_owned()];
        } else if f.statuses.is_empty() {
            f.statuses =
                STATUSES.iter().filter(|s| **s != "Deceased").map(|s| s.to_string()).collect();
        } else {
            f.statuses.retain(|s| s != "Deceased");
            if f.statuses.is_empty() {
                return Err(invalid("isDeceased", "isDeceased false contradicts status"));
            }
        }
    }
    Ok(f)
}

fn to_naive(d: fjellport_nin::Date) -> NaiveDate {
    NaiveDate::from_ymd_opt(i32::from(d.year), u32::from(d.month), u32::from(d.day))
        .unwrap_or_default()
}

/// `years` before `day` (29 February falls back to the 28th).
fn years_before(day: NaiveDate, years: i64) -> Option<NaiveDate> {
    day.checked_sub_months(Months::new(u32::try_from(years.checked_mul(12)?).ok()?))
}

pub(crate) fn today(state: &State) -> NaiveDate {
    state.clock.now().date_naive()
}

/// Which shape results take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    Ids,
    Summary,
    Full,
}

/// A search's paging and shape.
#[derive(Debug)]
pub(crate) struct Paging {
    pub(crate) limit: i64,
    pub(crate) cursor: Option<String>,
    pub(crate) seed: Option<i64>,
    pub(crate) fields: Fields,
}

pub(crate) fn paging_of(m: &Members<'_>) -> Result<Paging, Problem> {
    let random = m.boolean("random")?.unwrap_or(false);
    let seed = m.int("seed", i64::MIN, i64::MAX)?;
    if seed.is_some() && !random {
        return Err(invalid("seed", "seed only applies with random: true"));
    }
    let seed = random.then(|| seed.unwrap_or_else(|| i64::from(rand::random::<u32>())));
    Ok(Paging {
        limit: m.int("limit", 1, MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT),
        cursor: m.string("cursor")?.map(str::to_owned),
        seed,
        fields: match m.choice("fields", &["ids", "summary", "full"])? {
            Some("ids") => Fields::Ids,
            Some("full") => Fields::Full,
            _ => Fields::Summary,
        },
    })
}

/// A number that changes whenever the search would: a cursor from another search is refused.
/// (`DefaultHasher::new` has fixed keys, so every replica of one build agrees.)
fn fingerprint(filter_text: &str, seed: Option<i64>) -> u64 {
    let mut h = DefaultHasher::new();
    filter_text.hash(&mut h);
    seed.hash(&mut h);
    h.finish()
}

fn encode_cursor(rank: i64, seq: i64, fp: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("1:{rank}:{seq}:{fp:016x}"))
}

fn decode_cursor(cursor: &str, fp: u64) -> Result<(i64, i64), Problem> {
    let bad =
        || invalid("cursor", "cursor is not one this server issued; start again without a cursor");
    let text = URL_SAFE_NO_PAD.decode(cursor).ok().and_then(|b| String::from_utf8(b).ok());
    let text = text.ok_or_else(bad)?;
    let mut parts = text.split(':');
    let (Some("1"), Some(rank), Some(seq), Some(their_fp), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let rank: i64 = rank.parse().map_err(|_| bad())?;
    let seq: i64 = seq.parse().map_err(|_| bad())?;
    if u64::from_str_radix(their_fp, 16).map_err(|_| bad())? != fp {
        return Err(invalid(
            "cursor",
            "this cursor belongs to a different search (filters or seed changed); start again \
             without a cursor",
        ));
    }
    Ok((rank, seq))
}

/// Runs one page of a search and shapes the answer.
pub(crate) async fn page(
    state: &State,
    filter: PersonFilter,
    paging: Paging,
    view: &View,
) -> Result<Response, Problem> {
    // A page asked again while the index has taken in no change gets the answer written the
    // first time (an answer of Test-Norge persons only: see `TestNorgeCache::keep_answer`).
    let today = today(state);
    let filter_text = format!("{filter:?}");
    let key = state
        .index
        .version()
        .map(|v| format!("{v}|{today}|{filter_text}|{paging:?}|{}", view.key()));
    if let Some(body) = key.as_deref().and_then(|k| state.cache.answer(k)) {
        return Ok(crate::json_body(body));
    }
    let fp = fingerprint(&filter_text, paging.seed);
    let after = paging.cursor.as_deref().map(|c| decode_cursor(c, fp)).transpose()?;
    let limit = usize::try_from(paging.limit + 1).unwrap_or(usize::MAX);
    let (mut found, total) = match state.index.search(&filter, after, limit, paging.seed) {
        // From memory: the count and the page's positions; only the page's persons are read.
        Some(answer) => (
            persons_at(state, &answer.hits, paging.fields == Fields::Full).await?,
            i64::try_from(answer.total).unwrap_or(i64::MAX),
        ),
        None => sql_page(state, &filter, &paging, after).await?,
    };
    let more = found.len() as i64 > paging.limit;
    found.truncate(usize::try_from(paging.limit).unwrap_or(0));
    let next = match found.last() {
        Some((rank, p)) if more => Some(encode_cursor(*rank, p.seq, fp)),
        _ => None,
    };
    let only_test_norge = found.iter().all(|(_, p)| p.row.origin == "TestNorge");
    let results = found
        .iter()
        .map(|(_, p)| match paging.fields {
            Fields::Ids => Ok(Shown::Id { id: &p.row.id }),
            Fields::Summary => Ok(Shown::Summary(Summary::of(p, today))),
            Fields::Full => view.render(&p.row.doc).map(Shown::Full),
        })
        .collect::<Result<Vec<_>, Problem>>()?;
    let answer = Answer { total_count: total, results, next_cursor: next, seed: paging.seed };
    let body = crate::written(&answer)?;
    if let Some(key) = key
        && only_test_norge
    {
        state.cache.keep_answer(key, body.clone());
    }
    Ok(crate::json_body(body))
}

/// One page more than asked for and the count, by SQL (while the index is not current).
async fn sql_page(
    state: &State,
    filter: &PersonFilter,
    paging: &Paging,
    after: Option<(i64, i64)>,
) -> Result<(Vec<(i64, Arc<StoredPerson>)>, i64), Problem> {
    let (test_norge, reserved) = count_parts(filter);
    let wanted = |filter: PersonFilter, count_also: Option<PersonFilter>| PersonPage {
        filter,
        after,
        limit: paging.limit + 1,
        shuffle_seed: paging.seed,
        with_doc: paging.fields == Fields::Full,
        count_also,
    };
    // Two parts in one order: Test-Norge persons (the same for every caller, cached until the
    // population changes) and the caller's own reserved persons (read every time, counted in
    // the same round trip; usually none, so one short query).
    let mut found = Vec::new();
    let mut total = 0;
    if let Some(f) = reserved {
        let SearchHits { hits, also_counted } =
            state.store.search_persons(&wanted(f.clone(), Some(f.clone()))).await?;
        total += match also_counted {
            Some(n) => n,
            // No row to carry the count: nothing matches at all, unless a cursor skipped some.
            None if after.is_none() => 0,
            None => state.store.count_persons(&f).await?,
        };
        found.extend(hits.into_iter().map(|(rank, p)| (rank, Arc::new(p))));
    }
    if let Some(f) = test_norge {
        total += test_norge_count(state, f.clone()).await?;
        found.extend(test_norge_page(state, wanted(f, None)).await?.iter().cloned());
        found.sort_by_key(|(rank, p)| (*rank, p.seq));
    }
    Ok((found, total))
}

/// The persons at the index's page positions, in page order (one gone meanwhile is left out).
async fn persons_at(
    state: &State,
    hits: &[(i64, i64)],
    with_doc: bool,
) -> Result<Vec<(i64, Arc<StoredPerson>)>, Problem> {
    // Test-Norge summaries from memory (they change only with the population revision);
    // reserved persons, documents and misses from the store, in one statement.
    let mut read: BTreeMap<i64, Arc<StoredPerson>> = BTreeMap::new();
    if !with_doc {
        state.cache.freshen(state.store.as_ref()).await;
        read.extend(hits.iter().filter_map(|(_, seq)| Some((*seq, state.cache.summary_at(*seq)?))));
    }
    let missing: Vec<i64> =
        hits.iter().map(|(_, seq)| *seq).filter(|seq| !read.contains_key(seq)).collect();
    if !missing.is_empty() {
        for p in state.store.persons_at(&missing, with_doc).await? {
            let p = Arc::new(p);
            if !with_doc {
                state.cache.keep_summary(p.clone());
            }
            read.insert(p.seq, p);
        }
    }
    Ok(hits.iter().filter_map(|(rank, seq)| Some((*rank, read.get(seq)?.clone()))).collect())
}

/// A count split in two: the Test-Norge part (cacheable until the population changes) and the
/// caller's own reserved persons (few; counted each time).
fn count_parts(filter: &PersonFilter) -> (Option<PersonFilter>, Option<PersonFilter>) {
    let test_norge =
        PersonFilter { origin: Some("TestNorge".to_owned()), visible_to: None, ..filter.clone() };
    let reserved = PersonFilter { origin: Some("Reserved".to_owned()), ..filter.clone() };
    match filter.origin.as_deref() {
        Some("Reserved") => (None, Some(reserved)),
        Some(_) => (Some(test_norge), None),
        None => (Some(test_norge), filter.visible_to.is_some().then_some(reserved)),
    }
}

/// A page of Test-Norge persons, from the cache when this very page was read since the
/// population last changed.
async fn test_norge_page(state: &State, wanted: PersonPage) -> Result<Page, Problem> {
    state.cache.freshen(state.store.as_ref()).await;
    let key = format!("{wanted:?}");
    if let Some(page) = state.cache.page(&key) {
        return Ok(page);
    }
    let SearchHits { hits, .. } = state.store.search_persons(&wanted).await?;
    let page = Arc::new(hits.into_iter().map(|(rank, p)| (rank, Arc::new(p))).collect::<Vec<_>>());
    state.cache.keep_page(key, page.clone());
    Ok(page)
}

async fn test_norge_count(state: &State, f: PersonFilter) -> Result<i64, Problem> {
    state.cache.freshen(state.store.as_ref()).await;
    let key = format!("{f:?}");
    if let Some(n) = state.cache.count(&key) {
        return Ok(n);
    }
    let counted = state.store.count_persons(&f).await?;
    state.cache.keep_count(key, counted);
    Ok(counted)
}

/// How many persons `filter` selects.
pub(crate) async fn count(state: &State, filter: &PersonFilter) -> Result<i64, Problem> {
    if let Some(n) = state.index.count(filter) {
        return Ok(i64::try_from(n).unwrap_or(i64::MAX));
    }
    let (test_norge, reserved) = count_parts(filter);
    let mut n = 0;
    if let Some(f) = test_norge {
        n += test_norge_count(state, f).await?;
    }
    if let Some(f) = reserved {
        n += state.store.count_persons(&f).await?;
    }
    Ok(n)
}

/// A page of a search as written: its members in this order, `seed` only for a shuffle.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Answer<'a> {
    total_count: i64,
    results: Vec<Shown<'a>>,
    next_cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    seed: Option<i64>,
}

/// One result in the shape `fields` asks for.
#[derive(Serialize)]
#[expect(
    clippy::large_enum_variant,
    reason = "a page's results live only while it is written; boxing would allocate per result"
)]
#[serde(untagged)]
enum Shown<'a> {
    Id { id: &'a str },
    Summary(Summary<'a>),
    Full(Value),
}

/// The facts a search shows without reading the whole document, written straight from the
/// stored row: building them as a JSON tree first (an ordered map per person) was a tenth of
/// an uncached search (profiled).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Summary<'a> {
    id: &'a str,
    nin: &'a str,
    identification_number_type: &'a str,
    origin: &'a str,
    given_name: &'a str,
    family_name: &'a str,
    birth_date: &'a str,
    age: Option<i32>,
    gender: &'a str,
    status: &'a str,
    marital_status: &'a str,
    municipality_number: Option<&'a str>,
    postal_code: Option<&'a str>,
    citizenship: Option<&'a str>,
    address_confidentiality: Option<&'a str>,
    has_spouse: bool,
    children: i64,
    has_parents: bool,
    hpr_number: Option<&'a str>,
    is_general_practitioner: bool,
    general_practitioner_hpr_number: Option<&'a str>,
}

impl<'a> Summary<'a> {
    fn of(p: &'a StoredPerson, today: NaiveDate) -> Summary<'a> {
        let r = &p.row;
        let age = NaiveDate::parse_from_str(&r.birth_date, "%Y-%m-%d").ok().map(|b| {
            let years = today.year() - b.year();
            if (today.month(), today.day()) < (b.month(), b.day()) { years - 1 } else { years }
        });
        Summary {
            id: &r.id,
            nin: &r.nin,
            identification_number_type: &r.nin_type,
            origin: &r.origin,
            given_name: &r.given_name,
            family_name: &r.family_name,
            birth_date: &r.birth_date,
            age,
            gender: &r.gender,
            status: &r.status,
            marital_status: &r.marital_status,
            municipality_number: r.municipality.as_deref(),
            postal_code: r.postal_code.as_deref(),
            citizenship: r.citizenship.as_deref(),
            address_confidentiality: r.confidentiality.as_deref(),
            has_spouse: r.has_spouse,
            children: r.children,
            has_parents: r.has_parents,
            hpr_number: r.hpr_number.as_deref(),
            is_general_practitioner: r.is_gp,
            general_practitioner_hpr_number: r.gp_hpr.as_deref(),
        }
    }
}

/// The view for `fields: full` results: `informationParts` optional here (default All).
fn search_view(query: Option<&str>) -> Result<View, Problem> {
    let query = pairs(query.unwrap_or("").as_bytes());
    only_known(&query, &["informationParts", "includeHistory"], "query parameter")?;
    View::from_query(&query, false)
}

#[utoipa::path(
    post, path = "/search", tag = "syntpop",
    summary = "Find test persons by their properties (paged)",
    params(crate::docs::SearchViewParams, crate::docs::AuthHeaders),
    request_body(content = crate::docs::SearchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "One page of matches", body = SearchPage),
        Problems,
    )
)]
pub(crate) async fn search(
    state: State,
    caller: Caller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let view = search_view(query.as_deref())?;
    let map = json_object(&headers, &body, false, &["application/json"])?;
    let m = Members::new(&map);
    m.only(&[&FILTER_MEMBERS[..], &PAGE_MEMBERS[..]].concat())?;
    let mut filter = filter_of(&m, today(&state))?;
    filter.visible_to = Some(owner_of(&caller));
    let paging = paging_of(&m)?;
    page(&state, filter, paging, &view).await
}

#[utoipa::path(
    post, path = "/search/match-count", tag = "syntpop",
    summary = "How many test persons match (the same filters as /search)",
    params(crate::docs::AuthHeaders),
    request_body(content = crate::docs::SearchRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The number of matches", body = MatchCount),
        Problems,
    )
)]
pub(crate) async fn match_count(
    state: State,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let map = json_object(&headers, &body, false, &["application/json"])?;
    let m = Members::new(&map);
    // Paging members are accepted (a client may reuse its search body) and have no effect.
    m.only(&[&FILTER_MEMBERS[..], &PAGE_MEMBERS[..]].concat())?;
    let mut filter = filter_of(&m, today(&state))?;
    filter.visible_to = Some(owner_of(&caller));
    paging_of(&m)?;
    let n = count(&state, &filter).await?;
    Ok(Json(json!({ "matchCount": n })))
}
