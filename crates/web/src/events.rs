//! `/events`: the Test-Norge event feed (SyntPop's `GET /events`), newest first, filterable by
//! event type, 50 at a time with a link to older ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use fjellport_population::simulate::EventType;
use http::{HeaderMap, Method, StatusCode};
use serde_json::Value;

use crate::api::{self, Outcome, text};
use crate::page::{Chrome, Form, encode, html_status};
use crate::session;
use crate::{ApiBody, WebState};

const PATH: &str = "/events";
/// Events per page.
const PAGE: usize = 50;
/// How far back one read reaches (the API reads forward from a sequence number).
const WINDOW: i64 = 1000;
/// Reads one page may take, so a rare type on a long feed cannot hold the page.
const READS: usize = 20;

struct Event {
    seq: i64,
    event_type: String,
    person_id: String,
    nin: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    chrome: Chrome,
    types: Vec<&'static str>,
    chosen: String,
    events: Vec<Event>,
    older: Option<String>,
    errors: BTreeMap<String, String>,
}

impl EventsPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// The feed's newest sequence number; `None` before the first event.
async fn latest(state: &WebState, owner: &str) -> Result<Option<i64>, Outcome> {
    match api::syntpop(state, Method::GET, "/events/latest".into(), owner, ApiBody::None).await {
        Outcome::Ok(e) => Ok(text(Some(&e), "sequenceNumber").parse().ok()),
        Outcome::Refused { status: 404, .. } => Ok(None),
        other => Err(other),
    }
}

/// Up to [`PAGE`] events of `types` before sequence number `before`, newest first, read
/// backwards in windows; and the sequence number to continue from, if older ones remain.
async fn newest(
    state: &WebState,
    owner: &str,
    types: &str,
    before: i64,
) -> Result<(Vec<Event>, Option<i64>), Outcome> {
    let mut found: Vec<Event> = Vec::new();
    let mut upper = before;
    for _ in 0..READS {
        if upper <= 1 || found.len() >= PAGE {
            break;
        }
        let from = (upper - WINDOW).max(1);
        let mut path = format!("/events?sequenceNumber={from}&limit={WINDOW}");
        if !types.is_empty() {
            path.push_str(&format!("&eventTypes={}", encode(types)));
        }
        let page = match api::syntpop(state, Method::GET, path, owner, ApiBody::None).await {
            Outcome::Ok(page) => page,
            other => return Err(other),
        };
        let mut window: Vec<Event> = page["results"]
            .as_array()
            .map(|r| r.iter().map(event).filter(|e| e.seq < upper).collect())
            .unwrap_or_default();
        window.reverse();
        found.extend(window);
        upper = from;
    }
    found.truncate(PAGE);
    let more = match found.last() {
        Some(last) if found.len() == PAGE && last.seq > 1 => Some(last.seq),
        _ if upper > 1 => Some(upper),
        _ => None,
    };
    Ok((found, more))
}

fn event(v: &Value) -> Event {
    Event {
        seq: text(Some(v), "sequenceNumber").parse().unwrap_or_default(),
        event_type: text(Some(v), "eventType").to_owned(),
        person_id: text(Some(v), "personId").to_owned(),
        nin: text(Some(v), "nin").to_owned(),
    }
}

/// `GET /events[?eventTypes=…][&before=…]`.
pub(crate) async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let here = crate::page::here(PATH, &query);
    let (session, user) = match session::logged_in(&state, &headers, &here).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let form = Form::parse(query.as_bytes());
    let chosen = form.get("eventTypes").unwrap_or_default().to_owned();
    let mut errors = BTreeMap::new();
    let (mut events, mut older) = (Vec::new(), None);
    let before = match form.get("before").map(str::parse::<i64>) {
        Some(Ok(n)) if n >= 1 => Ok(Some(n)),
        Some(_) => Err(()),
        None => Ok(None),
    };
    let result = match before {
        Err(()) => {
            errors.insert("before".into(), "before must be a sequence number".into());
            Ok(None)
        }
        Ok(Some(n)) => Ok(Some(n)),
        Ok(None) => latest(&state, &user.pid).await.map(|l| l.map(|n| n + 1)),
    };
    match result {
        Ok(Some(before)) => match newest(&state, &user.pid, &chosen, before).await {
            Ok((found, more)) => {
                events = found;
                older = more.map(|seq| {
                    let types = if chosen.is_empty() {
                        String::new()
                    } else {
                        format!("eventTypes={}&", encode(&chosen))
                    };
                    format!("{PATH}?{types}before={seq}")
                });
            }
            Err(refused) => errors = refused.errors(),
        },
        Ok(None) => {}
        Err(refused) => errors = refused.errors(),
    }
    let mut types: Vec<&'static str> = EventType::ALL.iter().map(|t| t.as_str()).collect();
    types.sort_unstable();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = EventsPage {
        chrome: Chrome::new("events", &here, Some(&session)),
        types,
        chosen,
        events,
        older,
        errors,
    };
    html_status(status, page.render())
}
