//! The end-user system's view of a message box (`ReporteeElementListExternalBasic`): the
//! reportee's elements (correspondence and form tasks) as Altinn's `ReporteeElementBEV2`
//! list, and deleting one — through the REST box's rules (who sees what, the trash), with
//! Altinn's limitation that an organization's correspondence cannot be deleted over SOAP.

use fjellport_soap::write::Xml;
use fjellport_store::{Comparison, MessageField, MessageQuery, MessageValue, StoredMessage};

use super::failure::Failure;
use super::login;
use super::{Call, instant, ns};
use crate::messages::{altinn_time, by_number, mailbox, trash};
use crate::submissions;

/// Most elements one list answers.
const LIST_LIMIT: i64 = 1_000;

/// Altinn's element status for a message box status.
fn status(m: &StoredMessage) -> &'static str {
    let needs = m.confirmation_needed && m.confirmed_at.is_none();
    match m.status.as_str() {
        _ if m.confirmed_at.is_some() => "Confirmed",
        "Ulest" if needs => "NotOpenedConfirmationReq",
        "Ulest" => "NotOpenedNoConfirmationReq",
        "Lest" if needs => "OpenedNotConfirmed",
        "Lest" => "OpenedNoConfirmedReq",
        s if s == submissions::FILLING => "FillIn",
        s if s == submissions::SIGNING => "SignIn",
        _ => "Archive",
    }
}

fn archived(m: &StoredMessage) -> bool {
    m.status == "Arkivert" || m.status == submissions::ARCHIVED
}

pub(super) async fn list(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let search = call.body().child(call.svc.ns, "Search");
    let text = |name| search.and_then(|s| s.text_of(ns::REPORTEE_ELEMENT_DATA, name));
    let who = text("Reportee").unwrap_or("my");
    let (reportee, visible) = mailbox(call.s, &user, who).await?;
    let mut conditions = Vec::new();
    for (name, op) in [("FromDate", Comparison::Ge), ("ToDate", Comparison::Le)] {
        if let Some(at) =
            search.map(|s| instant(s, ns::REPORTEE_ELEMENT_DATA, name)).transpose()?.flatten()
        {
            conditions.push((MessageField::LastChanged, op, MessageValue::Int(at)));
        }
    }
    if let Some(owner) = text("ServiceOwnerCode") {
        let name = call.s.catalogue.owner(owner).map(|o| o.name.clone()).unwrap_or_default();
        conditions.push((MessageField::ServiceOwner, Comparison::Eq, MessageValue::Text(name)));
    }
    let q = MessageQuery {
        reportee: reportee.number().to_owned(),
        trashed: false,
        service_codes: visible,
        conditions,
        skip: 0,
        limit: LIST_LIMIT,
        visible_at: Some(call.s.now()),
    };
    let found = call.s.store.messages(&q).await?;
    let mut x = Xml::new();
    x.open("GetReporteeElementListBasicV2Response", &[("xmlns", call.svc.ns)]);
    x.open(
        "GetReporteeElementListBasicV2Result",
        &[("xmlns:a", ns::REPORTEE_ELEMENT_DATA), ("xmlns:i", fjellport_soap::element::XSI)],
    );
    for m in &found {
        x.open("a:ReporteeElementBEV2", &[]);
        x.leaf("a:ExternalServiceCode", &m.service_code);
        x.leaf("a:LastChangedBy", &m.last_changed_by);
        x.leaf("a:LastChangedDate", &altinn_time(m.last_changed_at));
        let code = format!("{}{}", if archived(m) { "A2A" } else { "A2E" }, m.seq);
        x.leaf("a:ReporteeElementCode", &code);
        x.leaf("a:ReporteeElementId", &m.seq.to_string());
        x.leaf("a:ReporteeElementType", &m.kind);
        x.leaf("a:ReporteeName", &reportee.name);
        x.leaf("a:ServiceEditionVersion", &m.service_edition.to_string());
        x.leaf("a:ServiceOwnerCode", &m.service_owner);
        x.leaf("a:Status", status(m));
        x.leaf("a:Title", &m.subject);
        x.close();
    }
    Ok(x.finish())
}

pub(super) async fn delete(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let seq = call.element_id("reporteeElementID")?;
    let (reportee, m) = by_number(call.s, &user, seq).await?;
    if m.kind == "Correspondence" && reportee.is_organization() {
        return Err(Failure::cannot_delete());
    }
    trash(call.s, &user, &m).await?;
    Ok(format!("<DeleteReporteeElementBasicResponse xmlns=\"{}\"/>", call.svc.ns))
}
