//! Submissions (Altinn's FormTask): `POST {who}/messages` creates one from forms and
//! attachments, `PUT {who}/messages/{id}` replaces its content or signs it, and its forms,
//! form data and attachments can be read back. The state machine follows Altinn's flags:
//! `complete=false` keeps it in "Utfylling" (filling in), `complete=true&sign=false` moves it to
//! "Signering", and both true (the default) sign and archive it ("Sendt og arkivert"), after
//! which it cannot change. Form data must be well-formed XML.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use fjellport_gateway::Problem;
use fjellport_gateway::input::{invalid, json_object, only_known, pairs};
use fjellport_store::StoredMessage;
use http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Map, Value, json};

use crate::catalogue::{Catalogue, Service, ServiceType};
use crate::enduser::EndUser;
use crate::messages::{box_urls, mailbox, message_json, one};
use crate::parties::Reportee;
use crate::xml_check::well_formed;
use crate::{AltinnState, hal};

pub(crate) const FILLING: &str = "Utfylling";
pub(crate) const SIGNING: &str = "Signering";
pub(crate) const ARCHIVED: &str = "Sendt og arkivert";
/// The security level signing takes (an ID-porten login); a password login may fill in.
pub(crate) const SIGNING_LEVEL: u8 = 3;
/// Largest attachment, after decoding.
const MAX_ATTACHMENT: usize = 256 * 1024;
const MAX_ITEMS: usize = 20;

/// The `complete` and `sign` flags (both default true).
fn flags(query: Option<&str>) -> Result<(bool, bool), Problem> {
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(&params, &["complete", "sign", "language"], "query parameter")?;
    let flag = |name: &str| match params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()) {
        None => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(invalid(name, format!("{name} is true or false, not {v:?}"))),
    };
    Ok((flag("complete")?, flag("sign")?))
}

/// A number or a string of digits, as Altinn's clients send editions and versions.
fn text_or_number(v: Option<&Value>) -> Option<String> {
    match v {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// The FormTask service a body names; it must be one the user's roles at the reportee cover.
fn service<'c>(
    catalogue: &'c Catalogue,
    body: &Map<String, Value>,
    reportee: &Reportee,
) -> Result<&'c Service, Problem> {
    match body.get("Type").and_then(Value::as_str) {
        Some("FormTask") => {}
        Some(other) => {
            return Err(invalid("Type", format!("Type {other} cannot be submitted: use FormTask")));
        }
        None => return Err(invalid("Type", "Type is required (FormTask)")),
    }
    let code = text_or_number(body.get("ServiceCode"))
        .ok_or_else(|| invalid("ServiceCode", "ServiceCode is required"))?;
    let edition = text_or_number(body.get("ServiceEdition"))
        .ok_or_else(|| invalid("ServiceEdition", "ServiceEdition is required"))?;
    formtask_service(catalogue, &code, &edition, reportee)
}

/// The FormTask service `code`/`edition` of the catalogue, which the user's roles at the
/// reportee must cover (REST's body and SOAP's `FormTasks` both name one so).
pub(crate) fn formtask_service<'c>(
    catalogue: &'c Catalogue,
    code: &str,
    edition: &str,
    reportee: &Reportee,
) -> Result<&'c Service, Problem> {
    let edition = edition.parse::<u32>().map_err(|_| {
        invalid("ServiceEdition", format!("ServiceEdition {edition:?} is not a whole number"))
    })?;
    let svc = catalogue.service(code, Some(edition)).map_err(|why| invalid("ServiceCode", why))?;
    if svc.kind != ServiceType::FormTask {
        return Err(invalid(
            "ServiceCode",
            format!("service {code} is correspondence: it takes no submissions"),
        ));
    }
    if !crate::roles::covers(reportee, svc) {
        return Err(Problem::new(StatusCode::FORBIDDEN, "no-right", "No right to this service")
            .detail(format!(
                "Service {code} ({}) needs one of the roles {} at {}; the user holds {}.",
                svc.name,
                svc.roles.join(", "),
                reportee.number(),
                reportee.roles.join(", ")
            )));
    }
    Ok(svc)
}

/// A submission document's forms or attachments.
pub(crate) fn parts<'d>(doc: &'d Value, list: &str) -> &'d [Value] {
    doc[list].as_array().map(Vec::as_slice).unwrap_or_default()
}

/// One form of a body (`field` names it in errors), checked, as the document keeps it.
pub(crate) fn form_item(f: &Value, field: &str, id: usize) -> Result<Value, Problem> {
    let kind = f.get("Type").and_then(Value::as_str).unwrap_or("MainForm");
    if kind != "MainForm" && kind != "SubForm" {
        return Err(invalid(field, format!("{field}.Type is MainForm or SubForm, not {kind}")));
    }
    let format_id = text_or_number(f.get("DataFormatId"))
        .ok_or_else(|| invalid(field, format!("{field}.DataFormatId is required")))?;
    let version = text_or_number(f.get("DataFormatVersion"))
        .ok_or_else(|| invalid(field, format!("{field}.DataFormatVersion is required")))?;
    let data = f.get("FormData").and_then(Value::as_str).ok_or_else(|| {
        invalid(field, format!("{field}.FormData is required: the XML as a string"))
    })?;
    let root =
        well_formed(data).map_err(|why| invalid(field, format!("{field}.FormData: {why}")))?;
    Ok(json!({"FormId": id, "Type": kind, "DataFormatId": format_id,
              "DataFormatVersion": version, "Name": root, "FormData": data}))
}

/// One attachment of a body (base64 `Data`), checked, as the document keeps it.
pub(crate) fn attachment_item(a: &Value, field: &str, id: usize) -> Result<Value, Problem> {
    let data = a.get("Data").and_then(Value::as_str).unwrap_or_default();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| invalid(field, format!("{field}.Data is not base64: {e}")))?;
    let name = a.get("FileName").and_then(Value::as_str).unwrap_or_default();
    let kind = a.get("AttachmentType").and_then(Value::as_str).unwrap_or("Annet");
    attachment_of(name, kind, &bytes, field, id)
}

/// An attachment's bytes as the document keeps them, checked.
pub(crate) fn attachment_of(
    name: &str,
    kind: &str,
    bytes: &[u8],
    field: &str,
    id: usize,
) -> Result<Value, Problem> {
    if name.trim().is_empty() || name.chars().count() > 255 || name.chars().any(char::is_control) {
        return Err(invalid(field, format!("{field}.FileName is required (1 to 255 characters)")));
    }
    if bytes.is_empty() || bytes.len() > MAX_ATTACHMENT {
        return Err(invalid(field, format!("{field} must be 1 to {MAX_ATTACHMENT} bytes")));
    }
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    Ok(json!({"AttachmentId": id, "FileName": name.trim(), "AttachmentType": kind,
              "FileSize": bytes.len(), "Data": data}))
}

/// The forms and attachments of a body, checked, as the document keeps them.
fn content(body: &Map<String, Value>) -> Result<Value, Problem> {
    let embedded = match body.get("_embedded") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid("_embedded", "_embedded must be an object")),
    };
    let list = |name: &str| -> Result<Vec<Value>, Problem> {
        match embedded.get(name) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(items)) if items.len() <= MAX_ITEMS => Ok(items.clone()),
            Some(Value::Array(_)) => Err(invalid(name, format!("at most {MAX_ITEMS} {name}"))),
            Some(_) => Err(invalid(name, format!("_embedded.{name} must be a list"))),
        }
    };
    let mut forms = Vec::new();
    for (i, f) in list("forms")?.iter().enumerate() {
        forms.push(form_item(f, &format!("_embedded.forms[{i}]"), i + 1)?);
    }
    let mut attachments = Vec::new();
    for (i, a) in list("attachments")?.iter().enumerate() {
        attachments.push(attachment_item(a, &format!("_embedded.attachments[{i}]"), i + 1)?);
    }
    Ok(json!({"forms": forms, "attachments": attachments}))
}

/// The status the flags lead to, checking what signing needs.
fn next_status(
    user: &EndUser,
    doc: &Value,
    complete: bool,
    sign: bool,
) -> Result<&'static str, Problem> {
    if !complete {
        return Ok(FILLING);
    }
    let has_main =
        doc["forms"].as_array().is_some_and(|f| f.iter().any(|f| f["Type"] == "MainForm"));
    if !has_main {
        return Err(invalid("_embedded.forms", "a complete submission needs a MainForm"));
    }
    if !sign {
        return Ok(SIGNING);
    }
    if user.level < SIGNING_LEVEL {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "security-level",
            "Security level too low",
        )
        .detail(format!(
            "Signing needs security level {SIGNING_LEVEL} (an ID-porten login); this login has \
                 level {}. Submit with sign=false and sign later.",
            user.level
        )));
    }
    Ok(ARCHIVED)
}

pub(crate) fn created(url: String, body: Value, headers: &HeaderMap) -> Result<Response, Problem> {
    let location = HeaderValue::from_str(&url).map_err(|_| Problem::internal("location"))?;
    let mut res = hal(headers, body);
    *res.status_mut() = StatusCode::CREATED;
    res.headers_mut().insert(LOCATION, location);
    Ok(res)
}

/// The element as the API shows it, with its form and attachment links.
pub(crate) fn element_json(m: &StoredMessage, box_url: &str, api: &str) -> Value {
    let mut v = message_json(m, box_url, api, true);
    let doc: Value = serde_json::from_str(&m.doc).unwrap_or(Value::Null);
    let me = format!("{box_url}/a{}", m.seq);
    let forms: Vec<Value> = parts(&doc, "forms")
        .iter()
        .map(|f| json!({"href": format!("{me}/forms/{}", f["FormId"]), "name": f["Name"]}))
        .collect();
    let attachments: Vec<Value> = parts(&doc, "attachments")
        .iter()
        .map(|a| {
            json!({"href": format!("{me}/attachments/{}", a["AttachmentId"]),
                        "name": a["FileName"], "fileName": a["FileName"], "encrypted": false,
                        "signinglocked": false, "signedbydefault": true, "filesize": a["FileSize"]})
        })
        .collect();
    v["_links"]["form"] = json!(forms);
    v["_links"]["attachment"] = json!(attachments);
    v
}

/// Submits a FormTask.
#[utoipa::path(post, path = "/{who}/messages", tag = "altinn",
    request_body(content = Object, content_type = "application/hal+json",
        description = "`{\"Type\": \"FormTask\", \"ServiceCode\", \"ServiceEdition\", \"_embedded\": {\"forms\": [{\"Type\": \"MainForm\"|\"SubForm\", \"DataFormatId\", \"DataFormatVersion\", \"FormData\": \"<xml as a string>\"}], \"attachments\": [{\"FileName\", \"AttachmentType\", \"Data\": \"<base64>\"}]}}`"),
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id"),
        ("complete" = Option<bool>, Query, description = "Default true; false keeps it in Utfylling"),
        ("sign" = Option<bool>, Query, description = "Default true: signed and archived (Sendt og arkivert; security level 3 needed); false: Signering")),
    responses(crate::docs::Problems,
        (status = 201, description = "Created; `Location` is the element", body = Object),
        (status = 400, description = "Not a FormTask of the catalogue, a form without DataFormatId/DataFormatVersion/FormData, FormData that is not well-formed XML, an attachment that is not base64 or too big, no MainForm for a complete one", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who, holds no role the service takes, or signs below security level 3", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_message(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(who): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, Problem> {
    user.require("altinn:instances.write")?;
    let (complete, sign) = flags(query.as_deref())?;
    let map = json_object(&headers, &body, false, &["application/hal+json", "application/json"])?;
    let (reportee, _) = mailbox(&s, &user, &who).await?;
    let svc = service(&s.catalogue, &map, &reportee)?;
    let doc = content(&map)?;
    let status = next_status(&user, &doc, complete, sign)?;
    let m = store_formtask(&s, &user, &reportee, svc, &doc, status, None).await?;
    let (box_url, api) = box_urls(&s, &reportee.id);
    created(format!("{box_url}/a{}", m.seq), element_json(&m, &box_url, &api), &headers)
}

/// Stores a new FormTask element in `status` for the reportee: REST's `POST` and SOAP's
/// `SubmitFormTaskBasic` (whose `ExternalShipmentReference` is `senders_reference`).
pub(crate) async fn store_formtask(
    s: &AltinnState,
    user: &EndUser,
    reportee: &Reportee,
    svc: &Service,
    doc: &Value,
    status: &str,
    senders_reference: Option<String>,
) -> Result<StoredMessage, Problem> {
    crate::form_schemas::check_forms(svc, parts(doc, "forms"), "forms")?;
    let by = user.display_name(s).await?;
    let now = s.now();
    let owner =
        s.catalogue.owner(&svc.owner).ok_or_else(|| Problem::internal("catalogue owner"))?;
    let m = StoredMessage {
        seq: 0,
        kind: ServiceType::FormTask.as_str().into(),
        reportee: reportee.number().to_owned(),
        service_owner: owner.code.clone(),
        service_owner_name: owner.name.clone(),
        service_code: svc.code.clone(),
        service_edition: i64::from(svc.edition),
        subject: svc.name.clone(),
        status: status.into(),
        created_at: now,
        last_changed_at: now,
        last_changed_by: by,
        confirmation_needed: false,
        confirmed_at: None,
        doc: doc.to_string(),
        senders_reference,
        visible_at: None,
    };
    let m = s.store.insert_message(&m, None).await;
    s.cache.changed();
    Ok(m?)
}

/// Replaces a FormTask's content, or signs it.
#[utoipa::path(put, path = "/{who}/messages/{messageId}", tag = "altinn",
    request_body(content = Object, content_type = "application/hal+json",
        description = "The whole FormTask (its forms and attachments replace the old), or only `{Type, ServiceCode, ServiceEdition}` to keep the content and move it on by the flags (e.g. sign it)"),
    params(
        ("who" = String, Path, description = "my, an organization number, or a reportee id"),
        ("messageId" = String, Path, description = "The element id (a…)"),
        ("complete" = Option<bool>, Query, description = "Default true"),
        ("sign" = Option<bool>, Query, description = "Default true")),
    responses(crate::docs::Problems,
        (status = 200, description = "The element, still open (Utfylling or Signering)", body = Object),
        (status = 201, description = "Signed and archived: `Location` is the archived element", body = Object),
        (status = 400, description = "As for POST, or a service other than the element's", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such element in this box", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 409, description = "Archived already (or changed meanwhile): it cannot change", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn put_message(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, Problem> {
    user.require("altinn:instances.write")?;
    let (complete, sign) = flags(query.as_deref())?;
    let map = json_object(&headers, &body, false, &["application/hal+json", "application/json"])?;
    let (reportee, m) = one(&s, &user, &who, &id).await?;
    let svc = service(&s.catalogue, &map, &reportee)?;
    if m.kind != "FormTask" || svc.code != m.service_code {
        return Err(invalid(
            "ServiceCode",
            format!("{id} is not a FormTask of service {}", svc.code),
        ));
    }
    let doc = if map.contains_key("_embedded") {
        let doc = content(&map)?;
        crate::form_schemas::check_forms(svc, parts(&doc, "forms"), "_embedded.forms")?;
        doc
    } else {
        serde_json::from_str(&m.doc).unwrap_or(Value::Null)
    };
    let status = next_status(&user, &doc, complete, sign)?;
    let by = user.display_name(&s).await?;
    let changed = s
        .store
        .replace_message(m.seq, &[FILLING, SIGNING], status, &doc.to_string(), &by, s.now())
        .await;
    s.cache.changed();
    let changed = changed?.ok_or_else(|| {
        Problem::new(StatusCode::CONFLICT, "archived", "The element cannot change")
            .detail(format!("{id} is {} (or changed meanwhile): it cannot change.", m.status))
    })?;
    let (box_url, api) = box_urls(&s, &reportee.id);
    let body = element_json(&changed, &box_url, &api);
    if status == ARCHIVED {
        return created(format!("{box_url}/a{}", changed.seq), body, &headers);
    }
    Ok(hal(&headers, body))
}

/// A FormTask element's document, for its sub-resources.
pub(crate) async fn formtask(
    s: &AltinnState,
    user: &EndUser,
    who: &str,
    id: &str,
) -> Result<(Reportee, StoredMessage, Value), Problem> {
    formtask_for(s, user, who, id, "altinn:instances.read").await
}

/// [`formtask`] for a call that needs `scope`.
pub(crate) async fn formtask_for(
    s: &AltinnState,
    user: &EndUser,
    who: &str,
    id: &str,
    scope: &str,
) -> Result<(Reportee, StoredMessage, Value), Problem> {
    user.require(scope)?;
    let (reportee, m) = one(s, user, who, id).await?;
    if m.kind != "FormTask" {
        return Err(Problem::not_found(format!("{id} is correspondence: it has no forms.")));
    }
    let doc = serde_json::from_str(&m.doc).unwrap_or(Value::Null);
    Ok((reportee, m, doc))
}

pub(crate) fn item<'d>(
    doc: &'d Value,
    list: &str,
    key: &str,
    id: &str,
) -> Result<&'d Value, Problem> {
    doc[list]
        .as_array()
        .and_then(|items| {
            items.iter().find(|i| i[key].as_u64().is_some_and(|n| n.to_string() == id))
        })
        .ok_or_else(|| Problem::not_found(format!("There is no {list} item {id}.")))
}

/// The element's forms.
#[utoipa::path(get, path = "/{who}/messages/{messageId}/forms", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id")),
    responses(crate::docs::Problems, (status = 200, description = "`_embedded.forms[{FormId, Type, DataFormatId, DataFormatVersion, ValidationStatus, Name, _links:{self, formdata}}]`", body = Object),
              (status = 404, description = "No such element", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_forms(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (reportee, m, doc) = formtask(&s, &user, &who, &id).await?;
    let (box_url, _) = box_urls(&s, &reportee.id);
    let base = format!("{box_url}/a{}/forms", m.seq);
    let forms: Vec<Value> = parts(&doc, "forms").iter().map(|f| form_json(f, &base)).collect();
    Ok(hal(&headers, json!({"_links": {"self": {"href": base}}, "_embedded": {"forms": forms}})))
}

fn form_json(f: &Value, base: &str) -> Value {
    let me = format!("{base}/{}", f["FormId"]);
    json!({"FormId": f["FormId"], "Type": f["Type"], "DataFormatId": f["DataFormatId"],
           "DataFormatVersion": f["DataFormatVersion"], "ValidationStatus": "Valid", "Name": f["Name"],
           "_links": {"self": {"href": me}, "formdata": {"href": format!("{me}/formdata"),
                                                         "mime-type": "application/xml"}}})
}

/// One form.
#[utoipa::path(get, path = "/{who}/messages/{messageId}/forms/{formId}", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id"),
           ("formId" = String, Path, description = "The form id")),
    responses(crate::docs::Problems, (status = 200, description = "The form", body = Object),
              (status = 404, description = "No such element or form", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_form(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id, form)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (reportee, m, doc) = formtask(&s, &user, &who, &id).await?;
    let (box_url, _) = box_urls(&s, &reportee.id);
    let f = item(&doc, "forms", "FormId", &form)?;
    Ok(hal(&headers, form_json(f, &format!("{box_url}/a{}/forms", m.seq))))
}

/// A form's data, as the XML it was submitted as.
#[utoipa::path(get, path = "/{who}/messages/{messageId}/forms/{formId}/formdata", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id"),
           ("formId" = String, Path, description = "The form id")),
    responses(crate::docs::Problems, (status = 200, description = "The form data", content_type = "application/xml", body = String),
              (status = 404, description = "No such element or form", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_form_data(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id, form)): Path<(String, String, String)>,
) -> Result<Response, Problem> {
    let (_, _, doc) = formtask(&s, &user, &who, &id).await?;
    let data = item(&doc, "forms", "FormId", &form)?["FormData"].as_str().unwrap_or_default();
    Ok(([(CONTENT_TYPE, "application/xml; charset=utf-8")], data.to_owned()).into_response())
}

/// The element's attachments.
#[utoipa::path(get, path = "/{who}/messages/{messageId}/attachments", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id")),
    responses(crate::docs::Problems, (status = 200, description = "`_embedded.attachments[{AttachmentId, FileName, AttachmentType, FileSize, _links.self}]`", body = Object),
              (status = 404, description = "No such element", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_attachments(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (reportee, m, doc) = formtask(&s, &user, &who, &id).await?;
    let (box_url, _) = box_urls(&s, &reportee.id);
    let base = format!("{box_url}/a{}/attachments", m.seq);
    let list: Vec<Value> = parts(&doc, "attachments")
        .iter()
        .map(|a| {
            json!({"AttachmentId": a["AttachmentId"], "FileName": a["FileName"],
                        "AttachmentType": a["AttachmentType"], "FileSize": a["FileSize"],
                        "_links": {"self": {"href": format!("{base}/{}", a["AttachmentId"])}}})
        })
        .collect();
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": base}}, "_embedded": {"attachments": list}}),
    ))
}

/// One attachment's bytes.
#[utoipa::path(get, path = "/{who}/messages/{messageId}/attachments/{attachmentId}", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id"),
           ("attachmentId" = String, Path, description = "The attachment id")),
    responses(crate::docs::Problems, (status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 404, description = "No such element or attachment", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_attachment(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id, attachment)): Path<(String, String, String)>,
) -> Result<Response, Problem> {
    let (_, _, doc) = formtask(&s, &user, &who, &id).await?;
    let a = item(&doc, "attachments", "AttachmentId", &attachment)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(a["Data"].as_str().unwrap_or_default())
        .map_err(|_| Problem::internal("stored attachment is not base64"))?;
    let name: String = a["FileName"]
        .as_str()
        .unwrap_or("attachment")
        .chars()
        .filter(|c| c.is_ascii_graphic() && *c != '"' && *c != '\\')
        .collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    Ok((
        [
            (CONTENT_TYPE, HeaderValue::from_static("application/octet-stream")),
            (CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// Whether the element's forms validate.
#[utoipa::path(get, path = "/{who}/messages/{messageId}/Validate", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id"),
           ("messageId" = String, Path, description = "The element id")),
    responses(crate::docs::Problems, (status = 200, description = "`{Success, ValidationErrors:[{FieldName, ErrorMessage, FieldXPath}], ValidationWarnings}`: well-formed XML (checked when stored) validates; no service here registers a schema yet", body = Object),
              (status = 404, description = "No such element", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_validate(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((who, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let (_, _, doc) = formtask(&s, &user, &who, &id).await?;
    let mut errors = Vec::new();
    for f in parts(&doc, "forms") {
        if let Err(why) = well_formed(f["FormData"].as_str().unwrap_or_default()) {
            errors.push(json!({"FieldName": f["Name"], "ErrorMessage": why, "FieldXPath": "/"}));
        }
    }
    Ok(hal(
        &headers,
        json!({"Success": errors.is_empty(), "ValidationErrors": errors,
                            "ValidationWarnings": []}),
    ))
}
