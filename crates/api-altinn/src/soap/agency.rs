//! The correspondence agency (`CorrespondenceAgencyExternalBasic`): service owners send
//! correspondence (`InsertCorrespondenceBasicV2`, through the same rules as every other way
//! in) and follow what became of it (`GetCorrespondenceStatusDetailsBasicV3`,
//! `GetCorrespondenceStatusHistoryBasic`, from the events the message box records).

use std::collections::BTreeMap;

use base64::Engine;
use fjellport_nin::Nin;
use fjellport_nin::orgnr::OrgNumber;
use fjellport_soap::Element;
use fjellport_soap::write::Xml;
use fjellport_store::{MessageEvent, OwnerMessageQuery, StoredMessage};
use serde_json::{Map, Value, json};

use super::failure::{Failure, ids};
use super::login::{self, Place};
use super::receipt::{self, Receipt};
use super::{Call, instant, ns, xs_boolean};
use crate::catalogue::ServiceType;
use crate::correspondence::{Outgoing, SendError, send};
use crate::messages::altinn_time;

/// Most statuses one look-up answers (then `LimitReached`).
const STATUS_LIMIT: i64 = 1_000;
/// Most references one history request may name (Altinn's documented bound).
const HISTORY_REFERENCES: usize = 10_000;

fn required<'e>(e: &'e Element, namespace: &str, name: &str, id: u32) -> Result<&'e str, Failure> {
    e.text_of(namespace, name).ok_or_else(|| Failure::altinn(id, format!("{name} is required")))
}

/// The reportee's number, with Altinn's error for one that cannot be a person or an
/// organization.
pub(super) fn reportee_number(text: &str) -> Result<String, Failure> {
    let t = text.trim();
    match t.len() {
        9 => t.parse::<OrgNumber>().map(|_| t.to_owned()).map_err(|_| {
            Failure::altinn(
                ids::INVALID_ORG_NUMBER,
                format!("{t} is not a valid organization number"),
            )
        }),
        _ => t.parse::<Nin>().map(|_| t.to_owned()).map_err(|e| {
            Failure::altinn(ids::INVALID_SSN, format!("{t} is not a valid identity number: {e}"))
        }),
    }
}

fn attachments(content: &Element) -> Result<Vec<Value>, Failure> {
    let mut out = Vec::new();
    let list = content.child(ns::CORRESPONDENCE_DATA, "Attachments");
    for a in list.into_iter().flat_map(|l| {
        l.items(
            ns::CORRESPONDENCE_DATA,
            "BinaryAttachments",
            ns::REPORTEE_ELEMENT_LIST,
            "BinaryAttachmentV2",
        )
    }) {
        let text = |name| a.text_of(ns::REPORTEE_ELEMENT_LIST, name);
        let file = text("FileName").ok_or_else(|| {
            Failure::altinn(ids::GENERAL, "every BinaryAttachmentV2 needs a FileName")
        })?;
        let data = text("Data").unwrap_or_default();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data.split_ascii_whitespace().collect::<String>())
            .map_err(|_| {
                Failure::altinn(
                    ids::GENERAL,
                    format!("the Data of attachment {file} is not base64"),
                )
            })?;
        out.push(json!({
            "FileName": file,
            "Name": text("Name").unwrap_or(file),
            "DestinationType": text("DestinationType").unwrap_or("Default"),
            "FunctionType": text("FunctionType").unwrap_or("Unspecified"),
            "Encrypted": text("Encrypted") == Some("true"),
            "SendersReference": text("SendersReference"),
            "Size": bytes.len(),
            "Data": base64::engine::general_purpose::STANDARD.encode(&bytes),
        }));
    }
    Ok(out)
}

/// Notifications as asked for: they are recorded as sent at their shipment time (this
/// stand-in delivers nothing; synthetic addresses are undeliverable anyway).
fn notifications(c: &Element, now: i64) -> Result<Vec<Value>, Failure> {
    let mut out = Vec::new();
    for n in c.items(ns::CORRESPONDENCE_DATA, "Notifications", ns::NOTIFICATION, "Notification") {
        let at = instant(n, ns::NOTIFICATION, "ShipmentDateTime")?.unwrap_or(now).max(now);
        for end in
            n.items(ns::NOTIFICATION, "ReceiverEndPoints", ns::NOTIFICATION, "ReceiverEndPoint")
        {
            let transport = end.text_of(ns::NOTIFICATION, "TransportType").unwrap_or("Email");
            if !["Email", "SMS", "Both", "SMSPreferred", "EmailPreferred"].contains(&transport) {
                return Err(Failure::altinn(
                    ids::GENERAL,
                    format!(
                        "TransportType {transport:?} is not Email, SMS, Both, SMSPreferred or EmailPreferred"
                    ),
                ));
            }
            out.push(json!({
                "Recipient": end.text_of(ns::NOTIFICATION, "ReceiverAddress").unwrap_or_default(),
                "TransportType": transport,
                "SentDate": at,
            }));
        }
    }
    Ok(out)
}

/// Reply options as the REST message shows them (`{Type, ServiceCode, ServiceEditionCode}`,
/// `{Type, ArchiveReference}`, `{Type, URL, Text}`); each names one kind.
fn reply_options(c: &Element) -> Result<Vec<Value>, Failure> {
    let mut out = Vec::new();
    for o in c.items(ns::CORRESPONDENCE_DATA, "ReplyOptions", ns::REPLY_OPTIONS, "ReplyOption") {
        let part = |name| o.child(ns::REPLY_OPTIONS, name);
        let text = |e: &Element, name| e.text_of(ns::REPLY_OPTIONS, name).map(str::to_owned);
        let option = match (part("Service"), part("ArchiveReference"), part("URL")) {
            (Some(s), None, None) => {
                json!({"Type": "Service", "ServiceCode": text(s, "ServiceCode"),
                                            "ServiceEditionCode": text(s, "ServiceEdition")})
            }
            (None, Some(a), None) => {
                json!({"Type": "ArchiveReference", "ArchiveReference": text(a, "ArchiveRef")})
            }
            (None, None, Some(u)) => {
                let url = text(u, "LinkURL").unwrap_or_default();
                if !(url.starts_with("https://") || url.starts_with("http://")) {
                    return Err(Failure::altinn(
                        ids::GENERAL,
                        format!("a reply option's LinkURL must be an http(s) URL, not {url:?}"),
                    ));
                }
                json!({"Type": "URL", "URL": url, "Text": text(u, "LinkText")})
            }
            _ => {
                return Err(Failure::altinn(
                    ids::GENERAL,
                    "each ReplyOption names one of Service, ArchiveReference or URL",
                ));
            }
        };
        out.push(option);
    }
    Ok(out)
}

pub(super) async fn insert(call: &Call<'_>) -> Result<String, Failure> {
    let system = login::service_owner(call, Place::Body).await?;
    let b = call.body();
    let svc_ns = call.svc.ns;
    let user_code = required(b, svc_ns, "SystemUserCode", ids::SYSTEM_USER_CODE_MISSING)?;
    if !user_code.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(&system.owner)) {
        return Err(Failure::altinn(
            ids::NOT_ALLOWED,
            format!(
                "SystemUserCode {user_code} is not one of {}'s (it starts with the owner's code)",
                system.owner
            ),
        ));
    }
    let reference =
        required(b, svc_ns, "ExternalShipmentReference", ids::EXTERNAL_REFERENCE_MISSING)?;
    let c = b
        .child(svc_ns, "Correspondence")
        .ok_or_else(|| Failure::altinn(ids::GENERAL, "Correspondence is required"))?;
    let code = required(c, ns::CORRESPONDENCE_DATA, "ServiceCode", ids::SERVICE_CODE_MISSING)?;
    let edition =
        required(c, ns::CORRESPONDENCE_DATA, "ServiceEdition", ids::SERVICE_CODE_MISSING)?;
    let edition = edition.parse::<u32>().map_err(|_| {
        Failure::altinn(
            ids::NOT_A_VALID_SERVICE,
            format!("ServiceEdition {edition:?} is not a number"),
        )
    })?;
    let reportee =
        reportee_number(required(c, ns::CORRESPONDENCE_DATA, "Reportee", ids::REPORTEE_MISSING)?)?;
    let content = c
        .child(ns::CORRESPONDENCE_DATA, "Content")
        .ok_or_else(|| Failure::altinn(ids::MESSAGE_TITLE_MISSING, "Content is required"))?;
    let language =
        required(content, ns::CORRESPONDENCE_DATA, "LanguageCode", ids::LANGUAGE_CODE_MISSING)?;
    if !["1044", "2068", "1033"].contains(&language) {
        return Err(Failure::altinn(
            ids::LANGUAGE_CODE_MISSING,
            format!(
                "LanguageCode {language:?} is not 1044 (bokmål), 2068 (nynorsk) or 1033 (English)"
            ),
        ));
    }
    let title =
        required(content, ns::CORRESPONDENCE_DATA, "MessageTitle", ids::MESSAGE_TITLE_MISSING)?;
    let summary =
        required(content, ns::CORRESPONDENCE_DATA, "MessageSummary", ids::MESSAGE_SUMMARY_MISSING)?;
    let body =
        required(content, ns::CORRESPONDENCE_DATA, "MessageBody", ids::MESSAGE_BODY_MISSING)?;
    let now = call.s.now();
    let mut extra = Map::new();
    extra.insert("LanguageCode".into(), json!(language));
    extra.insert("Attachments".into(), Value::Array(attachments(content)?));
    extra.insert("Notifications".into(), Value::Array(notifications(c, now)?));
    extra.insert("ReplyOptions".into(), Value::Array(reply_options(c)?));
    for name in ["VisibleDateTime", "DueDateTime", "AllowSystemDeleteDateTime"] {
        if let Some(t) = instant(c, ns::CORRESPONDENCE_DATA, name)? {
            extra.insert(name.into(), json!(t));
        }
    }
    for name in
        ["ArchiveReference", "MessageSender", "AllowForwarding", "IsReservable", "OnBehalfOfOrgNr"]
    {
        if let Some(v) = c.text_of(ns::CORRESPONDENCE_DATA, name) {
            extra.insert(name.into(), json!(v));
        }
    }
    if let Some(v) = content.text_of(ns::CORRESPONDENCE_DATA, "CustomMessageData") {
        extra.insert("CustomMessageData".into(), json!(v));
    }
    let out = Outgoing {
        service_owner: system.owner.clone(),
        reportee: reportee.clone(),
        title: title.to_owned(),
        summary: summary.to_owned(),
        body: body.to_owned(),
        service_code: Some(code.to_owned()),
        service_edition: Some(edition),
        confirmation_needed: false,
        senders_reference: Some(reference.to_owned()),
        visible_at: extra.get("VisibleDateTime").and_then(Value::as_i64),
        extra,
    };
    let sent = send(call.s.store.as_ref(), &call.s.catalogue, &out, now, Some(&call.s.cache)).await;
    call.s.cache.changed();
    let references = vec![
        ("ExternalShipmentReference", reference.to_owned()),
        ("OwnerPartyReference", reportee),
    ];
    let (id, status, text) = match sent {
        Ok(m) => (m.seq, receipt::OK, "Correspondence Saved Successfully".to_owned()),
        Err(SendError::Invalid(why)) => (0, receipt::VALIDATION_FAILED, why),
        Err(SendError::Store(e)) => return Err(Failure::from(e)),
    };
    let mut x = Xml::new();
    x.open("InsertCorrespondenceBasicV2Response", &[("xmlns", svc_ns)]);
    Receipt { id, status, text: &text, type_name: "Correspondence", references, last_changed: now }
        .write(&mut x, "InsertCorrespondenceBasicV2Result");
    Ok(x.finish())
}

/// Altinn's status of a change the message box records, if it is one Altinn reports.
fn status_type(event: &str) -> Option<&'static str> {
    match event {
        "CorrespondenceCreated" => Some("Created"),
        "CorrespondenceRead" => Some("Read"),
        "CorrespondenceConfirmed" => Some("Confirmed"),
        _ => None,
    }
}

/// Each message's status changes, oldest first.
async fn histories(
    call: &Call<'_>,
    messages: &[StoredMessage],
) -> Result<BTreeMap<i64, Vec<MessageEvent>>, Failure> {
    let seqs: Vec<i64> = messages.iter().map(|m| m.seq).collect();
    let mut by_message: BTreeMap<i64, Vec<MessageEvent>> = BTreeMap::new();
    for e in call.s.store.events_of_messages(&seqs).await? {
        if status_type(&e.event_type).is_some() {
            by_message.entry(e.message_seq).or_default().push(e);
        }
    }
    Ok(by_message)
}

/// `CorrespondenceStatusDetailsList` and `LimitReached`, as children of the open element.
fn write_statuses(
    x: &mut Xml,
    prefix: &str,
    messages: &[StoredMessage],
    histories: &BTreeMap<i64, Vec<MessageEvent>>,
    limit_reached: bool,
) {
    x.open(
        &format!("{prefix}:CorrespondenceStatusDetailsList"),
        &[("xmlns:b", ns::STATUS_V2), ("xmlns:c", ns::STATUS_CHANGE)],
    );
    for m in messages {
        let doc: Value = serde_json::from_str(&m.doc).unwrap_or(Value::Null);
        x.open("b:StatusV2", &[]);
        x.leaf("b:CorrespondenceID", &m.seq.to_string());
        x.leaf("b:CreatedDate", &altinn_time(m.created_at));
        x.open("b:Notifications", &[]);
        for n in doc.get("Notifications").and_then(Value::as_array).into_iter().flatten() {
            x.open("c:Notification", &[]);
            x.leaf("c:Recipient", n["Recipient"].as_str().unwrap_or_default());
            x.leaf_or_nil("c:SentDate", n["SentDate"].as_i64().map(altinn_time).as_deref());
            x.leaf("c:TransportType", n["TransportType"].as_str().unwrap_or("Email"));
            x.close();
        }
        x.close();
        x.leaf("b:Reportee", &m.reportee);
        x.leaf_or_nil("b:SendersReference", m.senders_reference.as_deref());
        x.open("b:StatusChanges", &[]);
        for e in histories.get(&m.seq).into_iter().flatten() {
            x.open("c:StatusChangeV2", &[]);
            x.leaf("c:StatusDate", &altinn_time(e.created_at));
            x.leaf("c:StatusType", status_type(&e.event_type).unwrap_or("Created"));
            x.close();
        }
        x.close();
        x.close();
    }
    x.close();
    x.leaf(&format!("{prefix}:LimitReached"), if limit_reached { "true" } else { "false" });
}

fn current_status(history: Option<&Vec<MessageEvent>>) -> &'static str {
    let mut current = "Created";
    for e in history.into_iter().flatten() {
        match status_type(&e.event_type) {
            Some("Read") if current == "Created" => current = "Read",
            Some("Confirmed") => current = "Confirmed",
            _ => {}
        }
    }
    current
}

pub(super) async fn status_details(call: &Call<'_>) -> Result<String, Failure> {
    let system = login::service_owner(call, Place::Body).await?;
    let f = call
        .body()
        .child(call.svc.ns, "filterCriteria")
        .ok_or_else(|| Failure::altinn(ids::GENERAL, "filterCriteria is required"))?;
    let code = required(f, ns::STATUS, "ServiceCode", ids::SERVICE_CODE_MISSING)?;
    let edition = required(f, ns::STATUS, "ServiceEditionCode", ids::SERVICE_CODE_MISSING)?;
    let edition = edition.parse::<u32>().map_err(|_| {
        Failure::altinn(
            ids::NOT_A_VALID_SERVICE,
            format!("ServiceEditionCode {edition:?} is not a number"),
        )
    })?;
    let svc = call
        .s
        .catalogue
        .service(code, Some(edition))
        .ok()
        .filter(|s| s.owner == system.owner && s.kind == ServiceType::Correspondence)
        .ok_or_else(|| {
            Failure::altinn(
                ids::NOT_A_VALID_SERVICE,
                format!(
                    "{code} edition {edition} is not a correspondence service of {}",
                    system.owner
                ),
            )
        })?;
    let wanted_status = f.text_of(ns::STATUS, "CurrentStatus");
    if let Some(s) = wanted_status
        && !["Created", "Read", "Confirmed"].contains(&s)
    {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("CurrentStatus {s:?} is not Created, Read or Confirmed"),
        ));
    }
    let notified = xs_boolean(f.text_of(ns::STATUS, "NotificationSent"), "NotificationSent")?;
    let q = OwnerMessageQuery {
        service_owner: system.owner.clone(),
        kind: Some(ServiceType::Correspondence.as_str().into()),
        service_code: Some(svc.code.clone()),
        service_edition: Some(i64::from(svc.edition)),
        reportee: f.text_of(ns::STATUS, "Reportee").map(reportee_number).transpose()?,
        senders_references: f
            .text_of(ns::STATUS, "SendersReference")
            .map(str::to_owned)
            .into_iter()
            .collect(),
        created_after: instant(f, ns::STATUS, "CreatedAfterDate")?,
        created_before: instant(f, ns::STATUS, "CreatedBeforeDate")?,
        limit: STATUS_LIMIT + 1,
    };
    let mut found = call.s.store.owner_messages(&q).await?;
    let history = histories(call, &found).await?;
    // The document is read here only when the filter asks about notifications.
    let has_notifications = |m: &StoredMessage| {
        let doc: Value = serde_json::from_str(&m.doc).unwrap_or(Value::Null);
        doc["Notifications"].as_array().is_some_and(|n| !n.is_empty())
    };
    found.retain(|m| {
        wanted_status.is_none_or(|s| current_status(history.get(&m.seq)) == s)
            && notified.is_none_or(|n| n == has_notifications(m))
    });
    let limit_reached = found.len() as i64 > STATUS_LIMIT;
    found.truncate(STATUS_LIMIT as usize);
    let mut x = Xml::new();
    x.open("GetCorrespondenceStatusDetailsBasicV3Response", &[("xmlns", call.svc.ns)]);
    x.open(
        "GetCorrespondenceStatusDetailsBasicV3Result",
        &[("xmlns:a", ns::STATUS), ("xmlns:i", fjellport_soap::element::XSI)],
    );
    x.open("a:CorrespondenceStatusInformation", &[]);
    write_statuses(&mut x, "a", &found, &history, limit_reached);
    x.close();
    x.nil("a:SdpStatusInformation");
    x.leaf("a:ServiceCode", &svc.code);
    x.leaf("a:ServiceEditionCode", &svc.edition.to_string());
    Ok(x.finish())
}

pub(super) async fn status_history(call: &Call<'_>) -> Result<String, Failure> {
    let system = login::service_owner(call, Place::Header).await?;
    let refs: Vec<String> = call
        .body()
        .items(call.svc.ns, "CorrespondenceSendersReferences", ns::ARRAYS, "string")
        .map(|s| s.text.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    if refs.is_empty() {
        return Err(Failure::altinn(
            ids::GENERAL,
            "CorrespondenceSendersReferences names no reference",
        ));
    }
    if refs.len() > HISTORY_REFERENCES {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("at most {HISTORY_REFERENCES} references per request"),
        ));
    }
    let q = OwnerMessageQuery {
        service_owner: system.owner.clone(),
        kind: Some(ServiceType::Correspondence.as_str().into()),
        senders_references: refs,
        limit: STATUS_LIMIT + 1,
        ..Default::default()
    };
    let mut found = call.s.store.owner_messages(&q).await?;
    let limit_reached = found.len() as i64 > STATUS_LIMIT;
    found.truncate(STATUS_LIMIT as usize);
    let history = histories(call, &found).await?;
    let mut x = Xml::new();
    x.open(
        "CorrespondenceStatusHistoryResult",
        &[
            ("xmlns", call.svc.ns),
            ("xmlns:a", ns::STATUS),
            ("xmlns:i", fjellport_soap::element::XSI),
        ],
    );
    x.open("CorrespondenceStatusInformation", &[]);
    write_statuses(&mut x, "a", &found, &history, limit_reached);
    Ok(x.finish())
}
