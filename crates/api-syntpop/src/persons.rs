//! Reading persons: by opaque id, and by identity number through form POSTs (a number never
//! appears in a URL, where logs and proxies would keep it), one or up to 100 at a time.

use axum::Json;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::response::Response;
use fjellport_gateway::extract::Path;
use fjellport_gateway::{Caller, Problem};
use fjellport_nin::Nin;
use std::sync::Arc;

use fjellport_store::{PersonKey, PersonKeys, StoredPerson};
use http::HeaderMap;
use serde_json::{Value, json};

use crate::docs::{BulkResult, PersonDoc, Problems};
use crate::parts::View;
use crate::{State, lookup, owner_of, person_not_found, visible};
use fjellport_gateway::input::{Pairs, form, invalid, only_known, pairs};

/// Most persons one bulk call may ask for (Persontjenesten's cap).
pub(crate) const BULK_MAX: usize = 100;

const VIEW_PARAMS: [&str; 2] = ["informationParts", "includeHistory"];

pub(crate) fn view_of(query: Option<&str>) -> Result<View, Problem> {
    let query = pairs(query.unwrap_or("").as_bytes());
    only_known(&query, &VIEW_PARAMS, "query parameter")?;
    View::from_query(&query, true)
}

/// An opaque person id: 1–64 characters of `[A-Za-z0-9_-]`.
pub(crate) fn check_id(member: &str, id: &str) -> Result<(), Problem> {
    let ok = (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(invalid(member, format!("{id:?} is not a person id (1–64 letters, digits, - or _)")))
    }
}

/// A valid identity number (fødselsnummer, D-, H- or FH-number, synthetic or not).
pub(crate) fn check_nin(member: &str, nin: &str) -> Result<(), Problem> {
    Nin::parse(nin).map(|_| ()).map_err(|e| {
        invalid(member, format!("{nin:?} is not a valid identity number: {e}"))
            .with("reason", e.code())
    })
}

#[utoipa::path(
    get, path = "/persons/{id}", tag = "syntpop",
    summary = "One person by opaque id",
    params(
        ("id" = String, Path, description = "Opaque person id (never an identity number)"),
        crate::docs::ViewParams,
        crate::docs::AuthHeaders,
    ),
    responses(
        (status = 200, description = "The person", body = PersonDoc),
        Problems,
    )
)]
pub(crate) async fn get_person(
    state: State,
    caller: Caller,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let view = view_of(query.as_deref())?;
    check_id("id", &id)?;
    let owner = owner_of(&caller);
    match lookup(&state, PersonKey::Id(&id)).await? {
        Some(p) if visible(&p, &owner) => Ok(crate::json_body(state.cache.rendered(&p, &view)?)),
        _ => Err(person_not_found(&format!("with id {id}"))),
    }
}

#[utoipa::path(
    post, path = "/persons/get-by-nin", tag = "syntpop",
    summary = "One person by identity number (form field nin)",
    params(crate::docs::ViewParams, crate::docs::AuthHeaders),
    request_body(content = crate::docs::NinForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The person", body = PersonDoc),
        Problems,
    )
)]
pub(crate) async fn get_by_nin(
    state: State,
    caller: Caller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let view = view_of(query.as_deref())?;
    let fields = form(&headers, &body)?;
    only_known(&fields, &["nin"], "form field")?;
    let nin = single(&fields, "nin")?;
    check_nin("nin", nin)?;
    let owner = owner_of(&caller);
    match lookup(&state, PersonKey::Nin(nin)).await? {
        Some(p) if visible(&p, &owner) => Ok(crate::json_body(state.cache.rendered(&p, &view)?)),
        _ => Err(person_not_found("with that identity number")),
    }
}

/// The one value of a required, non-repeated form field.
pub(crate) fn single<'a>(fields: &'a Pairs, name: &str) -> Result<&'a str, Problem> {
    let mut values = fields.iter().filter(|(k, _)| k == name);
    match (values.next(), values.next()) {
        (Some((_, v)), None) => Ok(v),
        (None, _) => Err(invalid(name, format!("the form field {name} is required"))),
        (Some(_), Some(_)) => Err(invalid(name, format!("give the form field {name} once"))),
    }
}

/// The values of a repeated form field: 1 to [`BULK_MAX`], duplicates folded.
fn many(fields: &Pairs, name: &str) -> Result<Vec<String>, Problem> {
    let mut values: Vec<String> = Vec::new();
    for (_, v) in fields.iter().filter(|(k, _)| k == name) {
        if !values.contains(v) {
            values.push(v.clone());
        }
    }
    if values.is_empty() {
        return Err(invalid(name, format!("give at least one {name} field (repeat it for more)")));
    }
    if values.len() > BULK_MAX {
        return Err(invalid(
            name,
            format!("at most {BULK_MAX} {name} per call; got {}", values.len()),
        ));
    }
    Ok(values)
}

#[utoipa::path(
    post, path = "/persons/bulk-by-id", tag = "syntpop",
    summary = "Up to 100 persons by id (repeated form field personIds)",
    params(crate::docs::ViewParams, crate::docs::AuthHeaders),
    request_body(content = crate::docs::IdsForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The persons found, and the ids that were not", body = BulkResult),
        Problems,
    )
)]
pub(crate) async fn bulk_by_id(
    state: State,
    caller: Caller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    bulk(&state, &caller, query.as_deref(), &headers, &body, true).await
}

#[utoipa::path(
    post, path = "/persons/bulk-by-nin", tag = "syntpop",
    summary = "Up to 100 persons by identity number (repeated form field nins)",
    params(crate::docs::ViewParams, crate::docs::AuthHeaders),
    request_body(content = crate::docs::NinsForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The persons found, and the numbers that were not", body = BulkResult),
        Problems,
    )
)]
pub(crate) async fn bulk_by_nin(
    state: State,
    caller: Caller,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    bulk(&state, &caller, query.as_deref(), &headers, &body, false).await
}

/// A bulk read by ids (form field `personIds`) or numbers (`nins`).
async fn bulk(
    state: &crate::SyntpopState,
    caller: &Caller,
    query: Option<&str>,
    headers: &HeaderMap,
    body: &Bytes,
    by_id: bool,
) -> Result<Json<Value>, Problem> {
    let view = view_of(query)?;
    let fields = form(headers, body)?;
    let field = if by_id { "personIds" } else { "nins" };
    only_known(&fields, &[field], "form field")?;
    let keys = many(&fields, field)?;
    for key in &keys {
        if by_id { check_id(field, key)? } else { check_nin(field, key)? }
    }
    let found = many_persons(state, &keys, by_id).await?;
    let key = |p: &StoredPerson| if by_id { p.row.id.clone() } else { p.row.nin.clone() };
    bulk_answer(&view, &owner_of(caller), &keys, found, key)
}

/// Persons by id (or number), from the Test-Norge cache where it has them.
async fn many_persons(
    state: &crate::SyntpopState,
    keys: &[String],
    by_id: bool,
) -> Result<Vec<Arc<StoredPerson>>, Problem> {
    state.cache.freshen(state.store.as_ref()).await;
    let mut found = Vec::with_capacity(keys.len());
    let mut missing = Vec::new();
    for k in keys {
        let hit = if by_id { state.cache.by_id(k) } else { state.cache.by_nin(k) };
        match hit {
            Some(p) => found.push(p),
            None => missing.push(k.clone()),
        }
    }
    if !missing.is_empty() {
        let read = if by_id {
            state.store.persons(PersonKeys::Ids(&missing)).await?
        } else {
            state.store.persons(PersonKeys::Nins(&missing)).await?
        };
        found.extend(read.into_iter().map(|p| state.cache.keep(&p).unwrap_or_else(|| Arc::new(p))));
    }
    Ok(found)
}

/// The persons in the order asked, and what was not found (or not visible) listed apart.
fn bulk_answer(
    view: &View,
    owner: &str,
    asked: &[String],
    found: Vec<Arc<StoredPerson>>,
    key: impl Fn(&StoredPerson) -> String,
) -> Result<Json<Value>, Problem> {
    let mut persons = Vec::with_capacity(found.len());
    let mut not_found = Vec::new();
    for wanted in asked {
        match found.iter().find(|p| &key(p) == wanted && visible(p, owner)) {
            Some(p) => persons.push(view.render(&p.row.doc)?),
            None => not_found.push(wanted.clone()),
        }
    }
    Ok(Json(json!({ "persons": persons, "notFound": not_found })))
}
