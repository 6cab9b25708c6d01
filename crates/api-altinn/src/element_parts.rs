//! Changing one part of a submission that is still open (filling in or signing): adding an
//! attachment as JSON (`POST …/attachments`) or as a stream (`POST
//! …/attachments/streamedattachment?fileName=&attachmentType=`), adding a form (`POST
//! …/forms`, a SubForm usually), and deleting either. An archived submission cannot change.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use fjellport_gateway::Problem;
use fjellport_gateway::input::{invalid, json_object, only_known, pairs};
use fjellport_store::StoredMessage;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::AltinnState;
use crate::enduser::EndUser;
use crate::messages::box_urls;
use crate::submissions::{
    ARCHIVED, FILLING, SIGNING, attachment_item, attachment_of, created, form_item, formtask_for,
    item,
};

const MAX_PARTS: usize = 20;

/// The open FormTask `id` and its document, for a change.
async fn open_element(
    s: &AltinnState,
    user: &EndUser,
    who: &str,
    id: &str,
) -> Result<(String, StoredMessage, Value), Problem> {
    let (reportee, m, doc) = formtask_for(s, user, who, id, "altinn:instances.write").await?;
    if m.status == ARCHIVED {
        return Err(Problem::new(StatusCode::CONFLICT, "archived", "The element cannot change")
            .detail(format!("{id} is archived: its forms and attachments cannot change.")));
    }
    Ok((reportee.id, m, doc))
}

/// Writes `doc` back, keeping the element's status.
async fn save(
    s: &AltinnState,
    user: &EndUser,
    m: &StoredMessage,
    doc: &Value,
) -> Result<(), Problem> {
    let by = user.display_name(s).await?;
    let saved = s
        .store
        .replace_message(m.seq, &[FILLING, SIGNING], &m.status, &doc.to_string(), &by, s.now())
        .await;
    s.cache.changed();
    saved?.map(drop).ok_or_else(|| {
        Problem::new(StatusCode::CONFLICT, "message-changed", "The element changed meanwhile")
            .detail("Another call signed, archived or deleted it; read it again.")
    })
}

/// The next id in `list` (one more than the largest).
fn next_id(doc: &Value, list: &str, key: &str) -> Result<usize, Problem> {
    let items = crate::submissions::parts(doc, list);
    if items.len() >= MAX_PARTS {
        return Err(invalid(list, format!("an element has at most {MAX_PARTS} {list}")));
    }
    Ok(items.iter().filter_map(|i| i[key].as_u64()).max().unwrap_or(0) as usize + 1)
}

/// Adds `part` to `list` and answers 201 with its address.
async fn add(
    s: &AltinnState,
    user: &EndUser,
    (rid, m, mut doc): (String, StoredMessage, Value),
    list: &str,
    part: Value,
    id: usize,
    headers: &HeaderMap,
) -> Result<Response, Problem> {
    match doc[list].as_array_mut() {
        Some(items) => items.push(part.clone()),
        None => doc[list] = json!([part.clone()]),
    }
    save(s, user, &m, &doc).await?;
    let (box_url, _) = box_urls(s, &rid);
    let mut shown = part;
    if let Some(o) = shown.as_object_mut() {
        o.remove("Data");
        o.remove("FormData");
    }
    created(format!("{box_url}/a{}/{list}/{id}", m.seq), shown, headers)
}

/// Adds an attachment sent as JSON.
#[utoipa::path(post, path = "/{who}/messages/{messageId}/attachments", tag = "altinn",
    request_body(content = Object, content_type = "application/hal+json", description = "`{\"FileName\", \"AttachmentType\", \"Data\": \"<base64>\"}`"),
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id")),
    responses(crate::docs::Problems,
        (status = 201, description = "Added; `Location` is the attachment", body = Object),
        (status = 409, description = "The element is archived", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_attachment(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let map = json_object(&headers, &body, false, &["application/hal+json", "application/json"])?;
    let element = open_element(&s, &user, &who, &id).await?;
    let n = next_id(&element.2, "attachments", "AttachmentId")?;
    let part = attachment_item(&Value::Object(map), "attachment", n)?;
    add(&s, &user, element, "attachments", part, n, &headers).await
}

/// Adds an attachment sent as the body itself.
#[utoipa::path(post, path = "/{who}/messages/{messageId}/attachments/streamedattachment", tag = "altinn",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The file's bytes"),
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id"),
           ("fileName" = String, Query, description = "The file name (URL-encoded)"),
           ("attachmentType" = Option<String>, Query, description = "The functional attachment type (default Annet)")),
    responses(crate::docs::Problems,
        (status = 201, description = "Added; `Location` is the attachment", body = Object),
        (status = 409, description = "The element is archived", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_streamed_attachment(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, Problem> {
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(&params, &["fileName", "attachmentType", "language"], "query parameter")?;
    let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let name = value("fileName").ok_or_else(|| invalid("fileName", "fileName is required"))?;
    let element = open_element(&s, &user, &who, &id).await?;
    let n = next_id(&element.2, "attachments", "AttachmentId")?;
    let kind = value("attachmentType").unwrap_or("Annet");
    let part = attachment_of(name, kind, &body, "attachment", n)?;
    add(&s, &user, element, "attachments", part, n, &headers).await
}

/// Adds a form.
#[utoipa::path(post, path = "/{who}/messages/{messageId}/forms", tag = "altinn",
    request_body(content = Object, content_type = "application/hal+json", description = "`{\"Type\": \"SubForm\", \"DataFormatId\", \"DataFormatVersion\", \"FormData\": \"<xml>\"}`"),
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id")),
    responses(crate::docs::Problems,
        (status = 201, description = "Added; `Location` is the form", body = Object),
        (status = 409, description = "The element is archived", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_form(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    let map = json_object(&headers, &body, false, &["application/hal+json", "application/json"])?;
    let element = open_element(&s, &user, &who, &id).await?;
    let n = next_id(&element.2, "forms", "FormId")?;
    let part = form_item(&Value::Object(map), "form", n)?;
    // The element's service decides which data formats (and schemas) it takes.
    let edition = u32::try_from(element.1.service_edition).unwrap_or_default();
    if let Ok(svc) = s.catalogue.service(&element.1.service_code, Some(edition)) {
        crate::form_schemas::check_forms(svc, std::slice::from_ref(&part), "form")?;
    }
    add(&s, &user, element, "forms", part, n, &headers).await
}

/// Takes `part` out of `list`.
async fn remove(
    s: &AltinnState,
    user: &EndUser,
    (who, id, part): (String, String, String),
    list: &str,
    key: &str,
) -> Result<Response, Problem> {
    let (_, m, mut doc) = open_element(s, user, &who, &id).await?;
    item(&doc, list, key, &part)?;
    if let Some(items) = doc[list].as_array_mut() {
        items.retain(|i| i[key].as_u64().is_none_or(|n| n.to_string() != part));
    }
    save(s, user, &m, &doc).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Deletes an attachment.
#[utoipa::path(delete, path = "/{who}/messages/{messageId}/attachments/{attachmentId}", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id"),
           ("attachmentId" = String, Path, description = "The attachment id")),
    responses(crate::docs::Problems,
        (status = 204, description = "Deleted"),
        (status = 409, description = "The element is archived", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn delete_attachment(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, Problem> {
    remove(&s, &user, path, "attachments", "AttachmentId").await
}

/// Deletes a form.
#[utoipa::path(delete, path = "/{who}/messages/{messageId}/forms/{formId}", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id"),
           ("formId" = String, Path, description = "The form id")),
    responses(crate::docs::Problems,
        (status = 204, description = "Deleted"),
        (status = 409, description = "The element is archived", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn delete_form(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, Problem> {
    remove(&s, &user, path, "forms", "FormId").await
}
