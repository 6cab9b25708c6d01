//! `GET /altinn/api/serviceowner/events/feed` — what happened to the calling service owner's
//! correspondence (created, read, confirmed, archived, deleted), in order, from an offset.
//! Altinn never documented this feed; the shape is this stand-in's own (see the OpenAPI
//! description): `EventId` grows, and `eventOffset` is the last id a reader has seen.

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_gateway::{Caller, Problem};
use http::HeaderMap;
use serde_json::{Value, json};

use crate::owner_auth::{owner_code, require_scope};
use crate::{AltinnState, hal};

const DEFAULT_FETCH: i64 = 1000;
const MAX_FETCH: i64 = 10_000;

/// Events of the service owner's correspondence.
#[utoipa::path(get, path = "/events/feed", tag = "altinn-serviceowner",
    params(
        ("eventOffset" = Option<i64>, Query, description = "The last EventId already read (default 0: from the start)"),
        ("fetch" = Option<i64>, Query, description = "At most this many events, 1 to 10000 (default 1000)"),
        ("ApiKey" = String, Header, description = "API key issued for the altinn-serviceowner API"),
        ("Authorization" = String, Header, description = "Bearer <the service owner's Maskinporten-like token>")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{_links:{self, next}, _embedded:{events:[{EventId, EventType (CorrespondenceCreated|CorrespondenceRead|CorrespondenceConfirmed|CorrespondenceArchived|CorrespondenceDeleted), CorrespondenceId, Reportee, ServiceCode, ServiceEdition, CreatedDateTime}]}}`; `next` continues after the last event", body = Object),
        (status = 400, description = "eventOffset or fetch not a whole number in range, or an unknown parameter", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The calling organization owns no service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_feed(
    caller: Caller,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    require_scope(&caller, "altinn:serviceowner/events")?;
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(&params, &["eventOffset", "fetch", "ForceEIAuthentication"], "query parameter")?;
    let number = |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match params
        .iter()
        .find(|(k, _)| k == name)
    {
        None => Ok(default),
        Some((_, v)) => v.parse::<i64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
            invalid(
                name,
                format!(
                    "{name} must be a whole number from {} to {}, not {v:?}",
                    range.start(),
                    range.end()
                ),
            )
        }),
    };
    let offset = number("eventOffset", 0, 0..=i64::MAX)?;
    let fetch = number("fetch", DEFAULT_FETCH, 1..=MAX_FETCH)?;
    let code = owner_code(&s.catalogue, &caller)?;
    let events = s.store.message_events(&code, offset, fetch).await?;
    let last = events.last().map_or(offset, |e| e.seq);
    let list: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({"EventId": e.seq, "EventType": e.event_type, "CorrespondenceId": e.message_seq,
                   "Reportee": e.reportee, "ServiceCode": e.service_code,
                   "ServiceEdition": e.service_edition,
                   "CreatedDateTime": chrono::DateTime::from_timestamp(e.created_at, 0)
                       .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))})
        })
        .collect();
    let url = format!("{}/altinn/api/serviceowner/events/feed", s.public_url);
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": format!("{url}?eventOffset={offset}&fetch={fetch}")},
                          "next": {"href": format!("{url}?eventOffset={last}&fetch={fetch}")}},
               "_embedded": {"events": list}}),
    ))
}
