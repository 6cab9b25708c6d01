//! `/altinn`: the message box (a message at `/altinn/messages/{who}/{id}`). The logged-in person's reportees (themselves and the
//! organizations they hold a role in) and each one's messages, newest first; opening a message
//! reads it, and "Confirm", "Archive" and "Delete" do what Altinn's REST API does (its own
//! handlers, called in the process for the person; its refusals shown as they are).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::Value;

use crate::WebState;
use crate::api::{self, Outcome, text};
use crate::page::{Chrome, encode, html_status, message, see_other};
use crate::session::{self, Session};

const PATH: &str = "/altinn";

struct Reportee {
    id: String,
    name: String,
    kind: String,
    number: String,
}

struct Message {
    id: String,
    subject: String,
    status: String,
    owner: String,
    created: String,
}

#[derive(Template)]
#[template(path = "altinn.html")]
struct BoxPage {
    chrome: Chrome,
    reportees: Vec<Reportee>,
    chosen: Option<String>,
    messages: Vec<Message>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "altinn_message.html")]
struct MessagePage {
    chrome: Chrome,
    who: String,
    id: String,
    subject: String,
    status: String,
    owner: String,
    created: String,
    summary: String,
    body: String,
    confirm: bool,
    archivable: bool,
}

fn refused(session: &Session, outcome: Outcome) -> Response {
    match outcome {
        Outcome::Refused { status, detail, .. } => message(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            Some(session),
            "Altinn refused",
            &detail,
        ),
        Outcome::Failed(why) => {
            message(StatusCode::BAD_GATEWAY, Some(session), "Altinn did not answer", &why)
        }
        Outcome::Ok(_) => message(StatusCode::OK, Some(session), "Done", ""),
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct Chosen {
    who: Option<String>,
}

/// `GET /altinn[?who=r…]`.
pub(crate) async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    Query(q): Query<Chosen>,
) -> Response {
    let here = match &q.who {
        Some(w) => format!("{PATH}?who={}", encode(w)),
        None => PATH.to_owned(),
    };
    let (session, user) = match session::logged_in(&state, &headers, &here).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let listed = api::altinn(&state, Method::GET, "/reportees".into(), &user).await;
    let Outcome::Ok(listed) = listed else { return refused(&session, listed) };
    let reportees: Vec<Reportee> = listed
        .pointer("/_embedded/reportees")
        .and_then(Value::as_array)
        .map(|all| all.iter().map(reportee).collect())
        .unwrap_or_default();
    let chosen = q.who.clone().or_else(|| reportees.first().map(|r| r.id.clone()));
    let (mut messages, mut error) = (Vec::new(), None);
    if let Some(who) = &chosen {
        let path = format!("/{}/messages?$top=50", encode(who));
        match api::altinn(&state, Method::GET, path, &user).await {
            Outcome::Ok(v) => {
                messages = v
                    .pointer("/_embedded/messages")
                    .and_then(Value::as_array)
                    .map(|all| all.iter().map(summary).collect())
                    .unwrap_or_default();
            }
            Outcome::Refused { detail, .. } | Outcome::Failed(detail) => error = Some(detail),
        }
    }
    let status = if error.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
    let page = BoxPage {
        chrome: Chrome::new("altinn", &here, Some(&session)),
        reportees,
        chosen,
        messages,
        error,
    };
    html_status(status, page.render())
}

fn reportee(r: &Value) -> Reportee {
    let number = match text(Some(r), "OrganizationNumber") {
        "" => text(Some(r), "SocialSecurityNumber"),
        orgnr => orgnr,
    };
    Reportee {
        id: text(Some(r), "ReporteeId").to_owned(),
        name: text(Some(r), "Name").to_owned(),
        kind: text(Some(r), "Type").to_owned(),
        number: number.to_owned(),
    }
}

fn summary(m: &Value) -> Message {
    Message {
        id: text(Some(m), "MessageId").to_owned(),
        subject: text(Some(m), "Subject").to_owned(),
        status: text(Some(m), "Status").to_owned(),
        owner: text(Some(m), "ServiceOwner").to_owned(),
        created: text(Some(m), "CreatedDate").to_owned(),
    }
}

/// `GET /altinn/{who}/{id}`: opens (and so reads) a message.
pub(crate) async fn open(
    State(state): State<Arc<WebState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let here = format!("{PATH}/messages/{}/{}", encode(&who), encode(&id));
    let (session, user) = match session::logged_in(&state, &headers, &here).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let path = format!("/{}/messages/{}", encode(&who), encode(&id));
    let outcome = api::altinn(&state, Method::GET, path, &user).await;
    let Outcome::Ok(m) = outcome else { return refused(&session, outcome) };
    let status = text(Some(&m), "Status").to_owned();
    let confirm = m.get("ConfirmationNeeded").and_then(Value::as_bool).unwrap_or(false)
        && m.get("ConfirmedDateTime").is_none_or(Value::is_null);
    let page = MessagePage {
        chrome: Chrome::new("altinn", &here, Some(&session)),
        subject: text(Some(&m), "Subject").to_owned(),
        owner: text(Some(&m), "ServiceOwner").to_owned(),
        created: text(Some(&m), "CreatedDate").to_owned(),
        summary: text(Some(&m), "Summary").to_owned(),
        body: text(Some(&m), "Body").to_owned(),
        archivable: status != "Arkivert" && text(Some(&m), "Type") == "Correspondence",
        status,
        confirm,
        who,
        id,
    };
    html_status(StatusCode::OK, page.render())
}

/// `POST /altinn/{who}/{id}/{action}`: `confirm`, `archive` or `delete`.
pub(crate) async fn act(
    State(state): State<Arc<WebState>>,
    Path((who, id, action)): Path<(String, String, String)>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let (session, user, _) = match session::posted(&state, &headers, &body).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let base = format!("/{}/messages/{}", encode(&who), encode(&id));
    let (method, path) = match action.as_str() {
        "confirm" => (Method::PUT, format!("{base}/Confirm")),
        "archive" => (Method::PUT, format!("{base}/Archive")),
        "delete" => (Method::DELETE, base),
        _ => {
            return message(
                StatusCode::NOT_FOUND,
                Some(&session),
                "No such action",
                "Use confirm, archive or delete.",
            );
        }
    };
    match api::altinn(&state, method, path, &user).await {
        Outcome::Ok(_) => done(&action, &who, &id),
        other => refused(&session, other),
    }
}

fn done(action: &str, who: &str, id: &str) -> Response {
    match action {
        "delete" => see_other(&format!("{PATH}?who={}", encode(who)), None),
        _ => see_other(&format!("{PATH}/messages/{}/{}", encode(who), encode(id)), None),
    }
}
