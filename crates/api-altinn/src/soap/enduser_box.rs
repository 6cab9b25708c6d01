//! The end-user system's correspondence service (`CorrespondenceExternalBasic`): read a
//! correspondence (which always marks it read: SOAP cannot leave it unread, unlike REST's
//! `markAsRead=false`), confirm it, delete it — through the message box's own rules, so REST
//! sees every change. Altinn's known limitation is kept: correspondence to an organization
//! cannot be deleted over SOAP (`AltinnFault` 40009); only REST's `DELETE` puts it in the trash.

use fjellport_soap::write::Xml;
use serde_json::Value;

use super::failure::{Failure, ids};
use super::login;
use super::{Call, ns};
use crate::messages::{altinn_time, by_number, change};

/// Altinn's SOAP status of a correspondence.
fn status(m: &fjellport_store::StoredMessage) -> &'static str {
    match (m.confirmed_at, m.status.as_str()) {
        (Some(_), _) => "Confirmed",
        (None, "Ulest") => "Created",
        _ => "Read",
    }
}

pub(super) async fn get(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let seq = call.element_id("correspondenceID")?;
    let (reportee, mut m) = by_number(call.s, &user, seq).await?;
    if m.kind != "Correspondence" {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("{seq} is a form task, not correspondence"),
        ));
    }
    if m.status == "Ulest" {
        m = change(call.s, &user, &m, &["Ulest"], "Lest", "CorrespondenceRead").await?;
    }
    let doc: Value = serde_json::from_str(&m.doc).unwrap_or(Value::Null);
    let text = |name: &str| doc.get(name).and_then(Value::as_str).unwrap_or_default().to_owned();
    let mut x = Xml::new();
    x.open("GetCorrespondenceForEndUserSystemBasicV2Response", &[("xmlns", call.svc.ns)]);
    x.open(
        "GetCorrespondenceForEndUserSystemBasicV2Result",
        &[("xmlns:a", ns::CORRESPONDENCE_DATA), ("xmlns:i", fjellport_soap::element::XSI)],
    );
    x.open("a:AttachmentList", &[]);
    for a in doc.get("Attachments").and_then(Value::as_array).into_iter().flatten() {
        x.open("a:AttachmentBEV2", &[]);
        x.leaf("a:AttachmentData", a["Data"].as_str().unwrap_or_default());
        x.leaf("a:AttachmentName", a["Name"].as_str().unwrap_or_default());
        x.leaf("a:FileName", a["FileName"].as_str().unwrap_or_default());
        x.close();
    }
    x.close();
    x.open("a:Correspondence", &[]);
    x.leaf("a:CorrespondenceID", &m.seq.to_string());
    x.leaf("a:CorrespondenceStatus", status(&m));
    x.leaf("a:CorrespondenceSubject", &m.subject);
    x.leaf("a:CorrespondenceSummary", &text("Summary"));
    x.leaf("a:CorrespondenceTitle", &m.subject);
    x.leaf("a:CorrespondenceTxt", &text("Body"));
    x.leaf("a:DateSent", &altinn_time(m.created_at));
    x.leaf("a:IsConfirmationNeeded", if m.confirmation_needed { "true" } else { "false" });
    x.leaf("a:Reportee", reportee.number());
    x.leaf("a:SentBy", &m.service_owner_name);
    x.close();
    Ok(x.finish())
}

pub(super) async fn confirm(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let seq = call.element_id("reporteeElementID")?;
    let (_, m) = by_number(call.s, &user, seq).await?;
    if !m.confirmation_needed || m.confirmed_at.is_some() {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("Correspondence {seq} does not ask for confirmation, or is confirmed already"),
        ));
    }
    let to = if m.status == "Ulest" { "Lest" } else { m.status.as_str() };
    change(call.s, &user, &m, &[m.status.as_str()], to, "CorrespondenceConfirmed").await?;
    Ok(format!("<SaveCorrespondenceConfirmationBasicResponse xmlns=\"{}\"/>", call.svc.ns))
}

pub(super) async fn delete(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let seq = call.element_id("reporteeElementID")?;
    let (reportee, m) = by_number(call.s, &user, seq).await?;
    if m.kind != "Correspondence" {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("{seq} is a form task, not correspondence"),
        ));
    }
    if reportee.is_organization() {
        return Err(Failure::cannot_delete());
    }
    change(call.s, &user, &m, &["Ulest", "Lest", "Arkivert"], "Slettet", "CorrespondenceDeleted")
        .await?;
    Ok(format!("<DeleteCorrespondenceBasicResponse xmlns=\"{}\"/>", call.svc.ns))
}
