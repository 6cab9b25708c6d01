//! The end-user message box: `GET {who}/messages` (HAL list, 50 per page, OData `$filter`,
//! `$top`, `$skip`, `dateFrom`/`dateTo`), `GET {who}/messages/{id}` (marks it read unless
//! `markAsRead=false`), `DELETE` (to the trash: status `Slettet`), `GET {who}/messages/trashbin`,
//! `PUT …/Confirm` and `PUT …/Archive`. Every user who may act for the reportee sees its
//! messages: key roles (DAGL, LEDE, INNH, DTPR, DTSO, and PRIV in one's own box) all of them,
//! other roles those of the services their roles cover.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use chrono::DateTime;
use fjellport_gateway::Problem;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_store::{Comparison, MessageField, MessageQuery, MessageValue, StoredMessage};
use http::header::LOCATION;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use crate::enduser::EndUser;
use crate::parties::{Reportee, resolve};
use crate::{AltinnState, hal, hal_text, odata, roles, submissions};

/// Altinn's list cap.
const PAGE: i64 = 50;

/// The reportee `who` names for the user, and which services' messages they see there.
pub(crate) async fn mailbox(
    s: &AltinnState,
    user: &EndUser,
    who: &str,
) -> Result<(Reportee, Option<Vec<String>>), Problem> {
    let reportees = user.reportees(s).await?;
    let reportee = resolve(&reportees, who)?.clone();
    let visible = if roles::sees_all(&reportee) {
        None
    } else {
        let covered = s
            .catalogue
            .services
            .iter()
            .filter(|svc| roles::covers(&reportee, svc))
            .map(|svc| svc.code.to_owned())
            .collect();
        Some(covered)
    };
    Ok((reportee, visible))
}

/// Altinn's time format: no offset, milliseconds.
pub(crate) fn altinn_time(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
        .unwrap_or_default()
}

pub(crate) fn message_json(m: &StoredMessage, box_url: &str, api: &str, full: bool) -> Value {
    let doc: Value = serde_json::from_str(&m.doc).unwrap_or(Value::Null);
    let metadata = format!(
        "{api}/metadata/{}/{}/{}",
        m.kind.to_ascii_lowercase(),
        m.service_code,
        m.service_edition
    );
    let mut v = json!({
        "MessageId": format!("a{}", m.seq),
        "Subject": m.subject,
        "Status": m.status,
        "LastChangedDateTime": altinn_time(m.last_changed_at),
        "LastChangedBy": m.last_changed_by,
        "CreatedDate": altinn_time(m.created_at),
        "ServiceOwner": m.service_owner_name,
        "Type": m.kind,
        "MessageSender": doc.get("MessageSender").cloned().unwrap_or(Value::Null),
        "ServiceCode": m.service_code,
        "ServiceEdition": m.service_edition,
        "_links": {"self": {"href": format!("{box_url}/a{}", m.seq)},
                   "metadata": {"href": metadata}},
    });
    if full {
        v["Summary"] = doc.get("Summary").cloned().unwrap_or(Value::Null);
        v["Body"] = doc.get("Body").cloned().unwrap_or(Value::Null);
        v["ConfirmationNeeded"] = json!(m.confirmation_needed);
        v["ConfirmedDateTime"] = m.confirmed_at.map_or(Value::Null, |t| json!(altinn_time(t)));
        v["ReplyOptions"] = doc.get("ReplyOptions").cloned().unwrap_or_else(|| json!([]));
    }
    v
}

/// A non-negative whole number from the query, or 400 naming it.
fn count(params: &[(String, String)], name: &str) -> Result<Option<i64>, Problem> {
    match params.iter().find(|(k, _)| k == name) {
        None => Ok(None),
        Some((_, v)) => v.parse::<i64>().ok().filter(|n| *n >= 0).map(Some).ok_or_else(|| {
            invalid(name, format!("{name} must be a non-negative whole number, not {v:?}"))
        }),
    }
}

/// `dateFrom`/`dateTo`: a date (the whole day) or a date and time.
fn date_bound(
    params: &[(String, String)],
    name: &str,
    end_of_day: bool,
) -> Result<Option<i64>, Problem> {
    let Some((_, v)) = params.iter().find(|(k, _)| k == name) else { return Ok(None) };
    let text = if v.len() == 10 {
        format!("{v}T{}", if end_of_day { "23:59:59" } else { "00:00:00" })
    } else {
        v.clone()
    };
    odata::instant(&text).map(Some).map_err(|_| {
        invalid(name, format!("{name} must be a date (2024-01-31) or a date and time, not {v:?}"))
    })
}

pub(crate) fn box_urls(s: &AltinnState, who: &str) -> (String, String) {
    let api = format!("{}/altinn/api", s.public_url);
    (format!("{api}/{who}/messages"), api)
}

/// A page of messages, and the answer for it.
async fn listing(
    s: &AltinnState,
    user: &EndUser,
    who: &str,
    query: Option<&str>,
    trashed: bool,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    user.require("altinn:instances.meta")?;
    let query = query.unwrap_or_default();
    let params = pairs(query.as_bytes());
    let known: &[&str] = if trashed {
        &["$top", "$skip", "language"]
    } else {
        &["$filter", "$top", "$skip", "dateFrom", "dateTo", "language"]
    };
    only_known(&params, known, "query parameter")?;
    let mut conditions = match params.iter().find(|(k, _)| k == "$filter") {
        Some((_, f)) => odata::parse(f).map_err(|why| invalid("$filter", why))?,
        None => Vec::new(),
    };
    for (name, op, end) in [("dateFrom", Comparison::Ge, false), ("dateTo", Comparison::Le, true)] {
        if let Some(t) = date_bound(&params, name, end)? {
            conditions.push((MessageField::LastChanged, op, MessageValue::Int(t)));
        }
    }
    let top = count(&params, "$top")?.unwrap_or(PAGE).min(PAGE);
    let skip = count(&params, "$skip")?.unwrap_or(0);
    let (reportee, visible) = mailbox(s, user, who).await?;
    let q = MessageQuery {
        reportee: reportee.number().to_owned(),
        trashed,
        service_codes: visible,
        conditions,
        skip,
        limit: top,
        // Not before its VisibleDateTime (in the cache key: a message that becomes visible
        // changes no revision, so the answer of an earlier second is not reused).
        visible_at: Some(s.now()),
    };
    // The same question asked again while nothing changed gets the same answer, from memory.
    let generation = s.cache.generation(s.store.as_ref()).await?;
    let key = format!("{q:?}|{}|{query}", reportee.id);
    if let Some(answer) = s.cache.answer(&key, generation) {
        return Ok(hal_text(headers, answer));
    }
    let page = s.store.messages(&q).await?;
    // Links name the reportee by its id, however the call named it.
    let (box_url, api) = box_urls(s, &reportee.id);
    let list: Vec<Value> = page
        .iter()
        .map(|m| {
            let mut v = message_json(m, &box_url, &api, false);
            if trashed {
                // The trash shows only the metadata link: nothing there can be opened.
                v["_links"] = json!({"metadata": v["_links"]["metadata"].clone()});
            }
            v
        })
        .collect();
    let self_href = if trashed { format!("{box_url}/trashbin") } else { box_url.clone() };
    let mut links = json!({"self": {"href": format!("{self_href}{}{query}",
                                                      if query.is_empty() { "" } else { "?" })},
                           "find": {"href": format!("{box_url}/{{messageId}}"), "isTemplated": true}});
    if page.len() as i64 == top && top > 0 {
        let mut next = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params.iter().filter(|(k, _)| k != "$skip") {
            next.append_pair(k, v);
        }
        next.append_pair("$skip", &(skip + top).to_string());
        links["next"] = json!({"href": format!("{self_href}?{}", next.finish())});
    }
    let answer = axum::body::Bytes::from(
        json!({"_links": links, "_embedded": {"messages": list}}).to_string(),
    );
    s.cache.keep_answer(key, generation, answer.clone());
    Ok(hal_text(headers, answer))
}

/// The reportee's messages.
#[utoipa::path(get, path = "/{who}/messages", tag = "altinn",
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id (r…)"),
        ("$filter" = Option<String>, Query, description = "OData: comparisons (eq, ne, gt, ge, lt, le) of ServiceOwner, ServiceCode, ServiceEdition, Status, Type, Subject, LastChangedDateTime, CreatedDate with 'text', numbers or DateTime'yyyy-MM-ddTHH:mm:ss' (UTC), joined by and"),
        ("$top" = Option<i64>, Query, description = "At most this many (and never more than 50)"),
        ("$skip" = Option<i64>, Query, description = "Skip this many, newest first"),
        ("dateFrom" = Option<String>, Query, description = "Last changed on or after this date (yyyy-MM-dd) or instant"),
        ("dateTo" = Option<String>, Query, description = "Last changed on or before this date or instant"),
        ("ApiKey" = String, Header, description = "API key issued for the altinn API"),
        ("Authorization" = Option<String>, Header, description = "Bearer <ID-porten access token> (or the .ASPXAUTH cookie)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{_links:{self, find, next?}, _embedded:{messages:[{MessageId, Subject, Status, LastChangedDateTime, LastChangedBy, CreatedDate, ServiceOwner, Type, MessageSender, ServiceCode, ServiceEdition, _links}]}}`, newest first; `next` when the page is full", body = Object),
        (status = 400, description = "A malformed who, a bad $filter, $top or $skip, an unknown parameter", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No user logged in, or a token without altinn:enduser / altinn:instances.meta", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_messages(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(who): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    listing(&s, &user, &who, query.as_deref(), false, &headers).await
}

/// The reportee's trash.
#[utoipa::path(get, path = "/{who}/messages/trashbin", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id")),
    responses(crate::docs::Problems,
        (status = 200, description = "Deleted messages (`Status: Slettet`), each with only a metadata link; they cannot be restored", body = Object),
        (status = 401, description = "No user logged in", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_trashbin(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(who): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    listing(&s, &user, &who, query.as_deref(), true, &headers).await
}

/// One message the user may see, not in the trash.
pub(crate) async fn one(
    s: &AltinnState,
    user: &EndUser,
    who: &str,
    id: &str,
) -> Result<(Reportee, StoredMessage), Problem> {
    let seq =
        id.strip_prefix('a').and_then(|n| n.parse::<i64>().ok()).filter(|n| *n > 0).ok_or_else(
            || invalid("messageId", format!("{id:?} is not a message id (a and digits)")),
        )?;
    let (reportee, visible) = mailbox(s, user, who).await?;
    let gone = || Problem::not_found(format!("{who} has no message {id}."));
    let m = s.store.message(seq).await?.ok_or_else(gone)?;
    let seen = visible.as_ref().is_none_or(|codes| codes.contains(&m.service_code));
    let hidden = m.visible_at.is_some_and(|at| at > s.now());
    if m.reportee != reportee.number() || !seen || m.status == "Slettet" || hidden {
        return Err(gone());
    }
    Ok((reportee, m))
}

/// Message `seq` when the user may see it, in whichever of their reportees' boxes it is (SOAP
/// names elements by number alone).
pub(crate) async fn by_number(
    s: &AltinnState,
    user: &EndUser,
    seq: i64,
) -> Result<(Reportee, StoredMessage), Problem> {
    let gone = || Problem::not_found(format!("The user has no message {seq}."));
    let m = s.store.message(seq).await?.ok_or_else(gone)?;
    let reportees = user.reportees(s).await?;
    let reportee = reportees.iter().find(|r| r.number() == m.reportee).ok_or_else(gone)?;
    one(s, user, &reportee.id, &format!("a{seq}")).await
}

/// Changes a message's status, or says why it cannot change.
pub(crate) async fn change(
    s: &AltinnState,
    user: &EndUser,
    m: &StoredMessage,
    from: &[&str],
    to: &str,
    event: &str,
) -> Result<StoredMessage, Problem> {
    let by = user.display_name(s).await?;
    let changed = s.store.change_message(m.seq, from, to, &by, event, s.now()).await;
    s.cache.changed();
    changed?.ok_or_else(|| {
        Problem::new(StatusCode::CONFLICT, "message-changed", "The message changed meanwhile")
            .detail("Another call changed or deleted the message; read it again.")
    })
}

/// One message; opening it marks it read.
#[utoipa::path(get, path = "/{who}/messages/{messageId}", tag = "altinn",
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id"),
        ("messageId" = String, Path, description = "The message id (a…)"),
        ("markAsRead" = Option<bool>, Query, description = "Default true: an unread correspondence becomes Lest (and the service owner's feed says CorrespondenceRead)")),
    responses(crate::docs::Problems,
        (status = 200, description = "The message with Summary, Body, ConfirmationNeeded, ConfirmedDateTime, ReplyOptions", body = Object),
        (status = 400, description = "A malformed id or who, markAsRead not true/false", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No user logged in, or a token without altinn:enduser / altinn:instances.read", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such message in this box (or it is in the trash)", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_message(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    user.require("altinn:instances.read")?;
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(&params, &["markAsRead", "language"], "query parameter")?;
    let mark = match params.iter().find(|(k, _)| k == "markAsRead").map(|(_, v)| v.as_str()) {
        None => true,
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        Some(v) => {
            return Err(invalid("markAsRead", format!("markAsRead is true or false, not {v:?}")));
        }
    };
    let (reportee, mut m) = one(&s, &user, &who, &id).await?;
    if mark && m.status == "Ulest" {
        m = change(&s, &user, &m, &["Ulest"], "Lest", "CorrespondenceRead").await?;
    }
    let (box_url, api) = box_urls(&s, &reportee.id);
    if m.kind == "FormTask" {
        return Ok(hal(&headers, submissions::element_json(&m, &box_url, &api)));
    }
    Ok(hal(&headers, message_json(&m, &box_url, &api, true)))
}

/// Deletes a message: it goes to the trash.
#[utoipa::path(delete, path = "/{who}/messages/{messageId}", tag = "altinn",
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id"),
        ("messageId" = String, Path, description = "The message id (a…)")),
    responses(crate::docs::Problems,
        (status = 204, description = "In the trash (Status Slettet). For correspondence to an organization this is the only way there: Altinn's SOAP services cannot delete it (a known limitation, kept on purpose)"),
        (status = 401, description = "No user logged in, or a token without altinn:enduser / altinn:instances.write", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such message in this box", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn delete_message(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    user.require("altinn:instances.write")?;
    let (_, m) = one(&s, &user, &who, &id).await?;
    trash(&s, &user, &m).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Puts a message in the trash (status `Slettet`): REST's `DELETE` and SOAP's deletes.
pub(crate) async fn trash(
    s: &AltinnState,
    user: &EndUser,
    m: &StoredMessage,
) -> Result<(), Problem> {
    if m.kind == "FormTask" {
        // Submissions go to the trash too; the feed reports correspondence only.
        let by = user.display_name(s).await?;
        let from = [submissions::FILLING, submissions::SIGNING, submissions::ARCHIVED];
        let trashed = s.store.replace_message(m.seq, &from, "Slettet", &m.doc, &by, s.now()).await;
        s.cache.changed();
        trashed?;
    } else {
        let from = ["Ulest", "Lest", "Arkivert"];
        change(s, user, m, &from, "Slettet", "CorrespondenceDeleted").await?;
    }
    Ok(())
}

/// Confirms a correspondence that asks for it.
#[utoipa::path(put, path = "/{who}/messages/{messageId}/Confirm", tag = "altinn",
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id"),
        ("messageId" = String, Path, description = "The message id (a…)")),
    responses(crate::docs::Problems,
        (status = 204, description = "Confirmed (the service owner's feed says CorrespondenceConfirmed)"),
        (status = 400, description = "It does not ask for confirmation, or is confirmed already", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such message in this box", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn put_confirm(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    user.require("altinn:instances.write")?;
    let (_, m) = one(&s, &user, &who, &id).await?;
    if !m.confirmation_needed || m.confirmed_at.is_some() {
        return Err(Problem::bad_request(
            "nothing-to-confirm",
            format!("Message {id} does not ask for confirmation, or is confirmed already."),
        ));
    }
    let status = if m.status == "Ulest" { "Lest" } else { m.status.as_str() };
    change(&s, &user, &m, &[m.status.as_str()], status, "CorrespondenceConfirmed").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Archives a correspondence.
#[utoipa::path(put, path = "/{who}/messages/{messageId}/Archive", tag = "altinn",
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id"),
        ("messageId" = String, Path, description = "The message id (a…)")),
    responses(crate::docs::Problems,
        (status = 204, description = "Archived (Status Arkivert); `Location` is the archived element (this stand-in keeps the id)"),
        (status = 400, description = "It asks for confirmation and is not confirmed, or is archived already", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such message in this box", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn put_archive(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    user.require("altinn:instances.write")?;
    let (_, m) = one(&s, &user, &who, &id).await?;
    if m.confirmation_needed && m.confirmed_at.is_none() {
        return Err(Problem::bad_request(
            "confirm-first",
            format!("Message {id} asks for confirmation: confirm it before archiving it."),
        ));
    }
    if m.status == "Arkivert" {
        return Err(Problem::bad_request("archived-already", format!("{id} is archived already.")));
    }
    change(&s, &user, &m, &["Ulest", "Lest"], "Arkivert", "CorrespondenceArchived").await?;
    let (box_url, _) = box_urls(&s, &who);
    let location = HeaderValue::from_str(&format!("{box_url}/{id}"))
        .map_err(|_| Problem::internal("unrepresentable location"))?;
    Ok((StatusCode::NO_CONTENT, [(LOCATION, location)]).into_response())
}
