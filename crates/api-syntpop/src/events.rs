//! The Test-Norge event feed, in Persontjenesten's shape: `EventDocument`s with a strictly
//! increasing `sequenceNumber`, read from a sequence number on, at most 1,000 at a time.
//! Reserved persons never appear (they receive no events).

use axum::Json;
use axum::extract::RawQuery;
use fjellport_gateway::Problem;
use fjellport_store::StoredEvent;
use serde_json::{Value, json};

use fjellport_population::simulate::EventType;

use crate::State;
use crate::docs::Problems;
use fjellport_gateway::input::{invalid, only_known, pairs};

/// Most events per call (Persontjenesten's page).
const PAGE: i64 = 1000;

/// The event types a filter may name: those the population's life simulator produces, and
/// `ChangeInStatus`, which Persontjenesten has and this stand-in never emits (a filter on it
/// is valid and finds nothing).
fn event_types() -> Vec<&'static str> {
    let mut known: Vec<&str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    known.push("ChangeInStatus");
    known
}

fn document(e: &StoredEvent) -> Value {
    json!({
        "sequenceNumber": e.seq.to_string(),
        "personId": e.person_id,
        "eventType": e.event_type,
        "nin": e.nin,
    })
}

#[utoipa::path(
    get, path = "/events", tag = "syntpop",
    summary = "Test-Norge events from a sequence number on (at most 1,000)",
    params(crate::docs::EventParams, crate::docs::AuthHeaders),
    responses(
        (status = 200, description = "Events in sequence order", body = crate::docs::EventPage),
        Problems,
    )
)]
pub(crate) async fn get_events(
    state: State,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, Problem> {
    let query = pairs(query.unwrap_or_default().as_bytes());
    only_known(&query, &["sequenceNumber", "eventTypes", "limit"], "query parameter")?;
    let last = |name: &str| query.iter().rfind(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let from = match last("sequenceNumber") {
        None => 1,
        Some(v) => v.parse::<i64>().ok().filter(|n| *n >= 1).ok_or_else(|| {
            invalid("sequenceNumber", "sequenceNumber must be a whole number of 1 or more")
        })?,
    };
    let limit = match last("limit") {
        None => PAGE,
        Some(v) => v.parse::<i64>().ok().filter(|n| (1..=PAGE).contains(n)).ok_or_else(|| {
            invalid("limit", format!("limit must be a whole number from 1 to {PAGE}"))
        })?,
    };
    let mut types = Vec::new();
    let known = event_types();
    for (_, v) in query.iter().filter(|(k, _)| k == "eventTypes") {
        for t in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if !known.contains(&t) {
                return Err(invalid(
                    "eventTypes",
                    format!("unknown event type {t:?}; known: {}", known.join(", ")),
                ));
            }
            types.push(t.to_owned());
        }
    }
    let events = state.store.events(from, &types, limit).await?;
    Ok(Json(json!({ "results": events.iter().map(document).collect::<Vec<_>>() })))
}

#[utoipa::path(
    get, path = "/events/latest", tag = "syntpop",
    summary = "The newest Test-Norge event",
    params(crate::docs::AuthHeaders),
    responses(
        (status = 200, description = "The newest event", body = crate::docs::EventDoc),
        Problems,
    )
)]
pub(crate) async fn get_latest(state: State) -> Result<Json<Value>, Problem> {
    match state.store.latest_event().await? {
        Some(e) => Ok(Json(document(&e))),
        None => Err(Problem::not_found(
            "No events yet: the population has not changed since it was generated (see \
             `fjellport population advance` and `serve --simulate-events`).",
        )),
    }
}
