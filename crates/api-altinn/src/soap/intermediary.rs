//! The intermediary inbound service (`IntermediaryInboundBasic`): an end-user system submits a
//! form task for a reportee (`SubmitFormTaskBasic`) and asks what became of it
//! (`GetAltinnSubmissionStatusBasic`). A submission is the REST API's FormTask element, made
//! by the same function under the same rules (the catalogue's service, the roles that cover
//! it, well-formed form data), so it is in the REST message box and archive at once.
//!
//! Where it ends: a form not `Completed` keeps the element in Utfylling (filling in); all
//! completed and a PIN login (`AltinnPin`/`SMSPin`, security level 2, Altinn's signing method
//! for end-user systems) sign it and archive it (Sendt og arkivert); all completed with only a
//! password (level 1) leave it in Signering for someone to sign over REST or later.

use base64::Engine;
use fjellport_soap::Element;
use fjellport_soap::write::Xml;
use fjellport_store::StoredMessage;
use serde_json::{Value, json};

use super::agency::reportee_number;
use super::failure::{Failure, ids};
use super::login;
use super::receipt::{self, Receipt};
use super::{Call, ns};
use crate::messages::{altinn_time, by_number};
use crate::submissions::{self, attachment_of, form_item, formtask_service, store_formtask};

/// The login level that signs a submission made over SOAP (a PIN login).
const SOAP_SIGNING_LEVEL: u8 = 2;
/// Most forms and attachments in one shipment.
const MAX_PARTS: usize = 20;
/// Most receipts one status request may name.
const STATUS_REQUESTS: usize = 1_000;

fn data<'e>(e: &'e Element, name: &str) -> Option<&'e str> {
    e.text_of(ns::SHIPMENT_DATA, name)
}

fn children<'e>(e: &'e Element, list: &str, item: &'e str) -> Vec<&'e Element> {
    e.items(ns::SHIPMENT_DATA, list, ns::SHIPMENT_DATA, item).collect()
}

/// The shipment's forms and attachments as the element's document keeps them, and whether
/// every form is completed; the text says what is wrong with them.
fn content(shipment: &Element, task: &Element) -> Result<(Value, bool), String> {
    let forms = children(task, "Forms", "Form");
    if forms.is_empty() {
        return Err("FormTasks.Forms holds no Form: a submission needs its main form".into());
    }
    let attachments = children(shipment, "Attachments", "Attachment");
    if forms.len() > MAX_PARTS || attachments.len() > MAX_PARTS {
        return Err(format!("at most {MAX_PARTS} forms and {MAX_PARTS} attachments"));
    }
    let mut complete = true;
    let mut kept = Vec::new();
    for (i, f) in forms.iter().enumerate() {
        complete &= matches!(data(f, "Completed"), Some("true" | "1"));
        let item = json!({
            // The first form is the main form; the rest are its sub-forms.
            "Type": if i == 0 { "MainForm" } else { "SubForm" },
            "DataFormatId": data(f, "DataFormatId"),
            "DataFormatVersion": data(f, "DataFormatVersion"),
            "FormData": f.child(ns::SHIPMENT_DATA, "FormData").map(|d| d.text.as_str()),
        });
        let field = format!("Forms.Form[{i}]");
        let mut form = form_item(&item, &field, i + 1).map_err(|p| p.detail)?;
        form["EndUserSystemReference"] = json!(data(f, "EndUserSystemReference"));
        kept.push(form);
    }
    let mut files = Vec::new();
    for (i, a) in attachments.iter().enumerate() {
        let field = format!("Attachments.Attachment[{i}]");
        let text: String =
            data(a, "AttachmentData").unwrap_or_default().split_ascii_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text)
            .map_err(|e| format!("{field}.AttachmentData is not base64: {e}"))?;
        let name = data(a, "FileName").unwrap_or_default();
        let kind = data(a, "AttachmentTypeName").unwrap_or("Annet");
        let mut file = attachment_of(name, kind, &bytes, &field, i + 1).map_err(|p| p.detail)?;
        file["EndUserSystemReference"] = json!(data(a, "EndUserSystemReference"));
        files.push(file);
    }
    Ok((json!({"forms": kept, "attachments": files}), complete))
}

pub(super) async fn submit(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let shipment = call
        .body()
        .child(call.svc.ns, "formTaskShipment")
        .ok_or_else(|| Failure::altinn(ids::GENERAL, "formTaskShipment is required"))?;
    let number = reportee_number(
        data(shipment, "Reportee")
            .ok_or_else(|| Failure::altinn(ids::REPORTEE_MISSING, "Reportee is required"))?,
    )?;
    let reference = data(shipment, "ExternalShipmentReference").ok_or_else(|| {
        Failure::altinn(ids::EXTERNAL_REFERENCE_MISSING, "ExternalShipmentReference is required")
    })?;
    let task = shipment
        .child(ns::SHIPMENT_DATA, "FormTasks")
        .ok_or_else(|| Failure::altinn(ids::SERVICE_CODE_MISSING, "FormTasks is required"))?;
    let missing = |name| Failure::altinn(ids::SERVICE_CODE_MISSING, format!("{name} is required"));
    let code = data(task, "ServiceCode").ok_or_else(|| missing("FormTasks.ServiceCode"))?;
    let edition =
        data(task, "ServiceEdition").ok_or_else(|| missing("FormTasks.ServiceEdition"))?;
    let reportees = user.reportees(call.s).await?;
    let reportee = reportees.iter().find(|r| r.number() == number).ok_or_else(|| {
        Failure::altinn(
            ids::NOT_AUTHORIZED_FOR_REPORTEE,
            format!("The user may not act for {number}: it is not among their reportees"),
        )
    })?;
    let svc = formtask_service(&call.s.catalogue, code, edition, reportee).map_err(|p| {
        if p.status == http::StatusCode::FORBIDDEN {
            Failure::from(p)
        } else {
            Failure::altinn(ids::NOT_A_VALID_SERVICE, p.detail)
        }
    })?;
    let now = call.s.now();
    let mut references = vec![("ExternalShipmentReference", reference.to_owned())];
    let (id, status, text) = match content(shipment, task) {
        Err(why) => (0, receipt::VALIDATION_FAILED, why),
        Ok((doc, complete)) => {
            let (to, text) = match (complete, user.level >= SOAP_SIGNING_LEVEL) {
                (false, _) => (submissions::FILLING, "Form task saved: it is being filled in"),
                (true, true) => (submissions::ARCHIVED, "Form task signed and archived"),
                (true, false) => (
                    submissions::SIGNING,
                    "Form task saved for signing: a password login (security level 1) does \
                     not sign; log in with AltinnPin or SMSPin to sign over SOAP",
                ),
            };
            let m =
                store_formtask(call.s, &user, reportee, svc, &doc, to, Some(reference.to_owned()))
                    .await?;
            references.push(("ReporteeElementId", m.seq.to_string()));
            if to == submissions::ARCHIVED {
                references.push(("ArchiveReference", format!("AR{}", m.seq)));
            }
            (m.seq, receipt::OK, text.to_owned())
        }
    };
    let mut x = Xml::new();
    x.open("SubmitFormTaskBasicResponse", &[("xmlns", call.svc.ns)]);
    Receipt { id, status, text: &text, type_name: "FormTask", references, last_changed: now }
        .write(&mut x, "SubmitFormTaskBasicResult");
    Ok(x.finish())
}

/// Altinn's name for an element's state.
fn submission_status(m: &StoredMessage) -> &'static str {
    match m.status.as_str() {
        s if s == submissions::FILLING => "FormFilling",
        s if s == submissions::SIGNING => "Signing",
        s if s == submissions::ARCHIVED => "Archived",
        _ => "Deleted",
    }
}

pub(super) async fn status(call: &Call<'_>) -> Result<String, Failure> {
    let user = login::end_user(call).await?;
    let requests: Vec<_> = call
        .body()
        .items(
            call.svc.ns,
            "submissionStatusRequestList",
            ns::SHIPMENT_DATA,
            "SubmissionStatusRequest",
        )
        .collect();
    if requests.is_empty() {
        return Err(Failure::altinn(
            ids::GENERAL,
            "submissionStatusRequestList names no SubmissionStatusRequest",
        ));
    }
    if requests.len() > STATUS_REQUESTS {
        return Err(Failure::altinn(
            ids::GENERAL,
            format!("at most {STATUS_REQUESTS} requests per call"),
        ));
    }
    let mut x = Xml::new();
    x.open("GetAltinnSubmissionStatusBasicResponse", &[("xmlns", call.svc.ns)]);
    x.open(
        "GetAltinnSubmissionStatusBasicResult",
        &[("xmlns:a", ns::SHIPMENT_DATA), ("xmlns:i", fjellport_soap::element::XSI)],
    );
    for r in requests {
        let text = data(r, "ReceiptId").unwrap_or_default();
        let id = text.parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(|| {
            Failure::altinn(ids::GENERAL, format!("ReceiptId must be a positive number: {text:?}"))
        })?;
        // An element the user cannot see, or correspondence, is not a submission of theirs.
        let found = match by_number(call.s, &user, id).await {
            Ok((reportee, m)) if m.kind == "FormTask" => Some((reportee, m)),
            Ok(_) => None,
            Err(p) if p.status == http::StatusCode::NOT_FOUND => None,
            Err(p) => return Err(p.into()),
        };
        x.open("a:SubmissionStatus", &[]);
        match found {
            None => {
                x.nil("a:ArchiveReference");
                x.nil("a:ExternalShipmentReference");
                x.nil("a:LastChanged");
                x.leaf("a:ReceiptId", &id.to_string());
                x.nil("a:Reportee");
                x.nil("a:ServiceCode");
                x.nil("a:ServiceEdition");
                x.leaf("a:Status", "NotFound");
            }
            Some((reportee, m)) => {
                let archived = m.status == submissions::ARCHIVED;
                x.leaf_or_nil(
                    "a:ArchiveReference",
                    archived.then(|| format!("AR{}", m.seq)).as_deref(),
                );
                x.leaf_or_nil("a:ExternalShipmentReference", m.senders_reference.as_deref());
                x.leaf("a:LastChanged", &altinn_time(m.last_changed_at));
                x.leaf("a:ReceiptId", &m.seq.to_string());
                x.leaf("a:Reportee", reportee.number());
                x.leaf("a:ServiceCode", &m.service_code);
                x.leaf("a:ServiceEdition", &m.service_edition.to_string());
                x.leaf("a:Status", submission_status(&m));
            }
        }
        x.close();
    }
    Ok(x.finish())
}
