//! Sending correspondence: what a service owner may send, to whom, and how it is stored — one
//! rule set for every way in (the CLI's `altinn send-correspondence` and the SOAP
//! correspondence agency's `InsertCorrespondenceBasicV2`). No HTTP here.

use std::fmt;

use fjellport_nin::Nin;
use fjellport_nin::orgnr::OrgNumber;
use fjellport_store::{Store, StoreError, StoredMessage};
use serde_json::json;

use crate::cache::MailboxCache;
use crate::catalogue::{Catalogue, Service, ServiceType};

/// What a service owner sends.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// The owner's code (`SKD`).
    pub service_owner: String,
    /// An identity number (a person) or an organization number.
    pub reportee: String,
    pub title: String,
    pub summary: String,
    /// HTML, as Altinn shows it.
    pub body: String,
    /// A correspondence service of the owner; default its first.
    pub service_code: Option<String>,
    pub service_edition: Option<u32>,
    /// The recipient must confirm it (`PUT …/Confirm`).
    pub confirmation_needed: bool,
    /// The sender's own reference (SOAP's `ExternalShipmentReference`).
    pub senders_reference: Option<String>,
    /// When recipients first see it (SOAP's `VisibleDateTime`; `None`: at once).
    pub visible_at: Option<i64>,
    /// More members of the stored document (attachments, notifications, dates, as SOAP
    /// sends them).
    pub extra: serde_json::Map<String, serde_json::Value>,
}

#[derive(Debug)]
pub enum SendError {
    /// The request breaks a rule; the text names it.
    Invalid(String),
    Store(StoreError),
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Invalid(why) => f.write_str(why),
            SendError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for SendError {}

impl From<StoreError> for SendError {
    fn from(e: StoreError) -> Self {
        SendError::Store(e)
    }
}

fn invalid(why: impl Into<String>) -> SendError {
    SendError::Invalid(why.into())
}

/// The longest title and summary kept (Altinn's limits are not published; these fit its UI).
const MAX_TITLE: usize = 255;
const MAX_TEXT: usize = 100_000;

/// The correspondence service `out` names, checked against its owner.
fn service_of<'c>(catalogue: &'c Catalogue, out: &Outgoing) -> Result<&'c Service, SendError> {
    let first_own = catalogue
        .services
        .iter()
        .find(|s| s.owner == out.service_owner && s.kind == ServiceType::Correspondence);
    let Some(code) = &out.service_code else {
        if out.service_edition.is_some() {
            return Err(invalid("a service edition goes with a service code"));
        }
        return first_own.ok_or_else(|| {
            invalid(format!("service owner {} has no correspondence service", out.service_owner))
        });
    };
    let svc = catalogue.service(code, out.service_edition).map_err(invalid)?;
    if svc.owner != out.service_owner {
        return Err(invalid(format!(
            "service {code} belongs to {}, not {}",
            svc.owner, out.service_owner
        )));
    }
    if svc.kind != ServiceType::Correspondence {
        return Err(invalid(format!("service {code} is a form service, not correspondence")));
    }
    Ok(svc)
}

fn document(out: &Outgoing, owner_name: &str) -> String {
    let mut doc = out.extra.clone();
    doc.insert("Summary".into(), json!(out.summary));
    doc.insert("Body".into(), json!(out.body));
    doc.entry("MessageSender").or_insert_with(|| json!(owner_name));
    serde_json::Value::Object(doc).to_string()
}

/// Checks `out` and stores it for its reportee, unread, with a `CorrespondenceCreated` event;
/// a server passes its cache of `known` parties (the CLI asks the store).
pub async fn send(
    store: &dyn Store,
    catalogue: &Catalogue,
    out: &Outgoing,
    now: i64,
    known: Option<&MailboxCache>,
) -> Result<StoredMessage, SendError> {
    let owner = catalogue.owner(&out.service_owner).ok_or_else(|| {
        let codes: Vec<&str> = catalogue.service_owners.iter().map(|o| o.code.as_str()).collect();
        invalid(format!(
            "unknown service owner {:?}: the catalogue has {}",
            out.service_owner,
            codes.join(", ")
        ))
    })?;
    let svc = service_of(catalogue, out)?;
    let title = out.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        return Err(invalid(format!("the title must be 1 to {MAX_TITLE} characters")));
    }
    if out.summary.len() > MAX_TEXT || out.body.len() > MAX_TEXT {
        return Err(invalid(format!("summary and body may be at most {MAX_TEXT} bytes each")));
    }
    let reportee = out.reportee.trim();
    let kind = match reportee.len() {
        11 => {
            reportee.parse::<Nin>().map_err(|e| {
                invalid(format!("{reportee:?} is not a valid identity number: {e}"))
            })?;
            "person has identity number"
        }
        9 => {
            reportee
                .parse::<OrgNumber>()
                .map_err(|_| invalid(format!("{reportee:?} is not a valid organization number")))?;
            "organization has number"
        }
        _ => {
            return Err(invalid(
                "the reportee is an identity number (11 digits) or an organization number (9)",
            ));
        }
    };
    let exists = match known {
        Some(cache) => cache.party_exists(store, reportee).await?,
        None => crate::cache::party_in(store, reportee).await?,
    };
    if !exists {
        return Err(invalid(format!("no {kind} {reportee}")));
    }
    let message = StoredMessage {
        seq: 0,
        kind: ServiceType::Correspondence.as_str().into(),
        reportee: reportee.to_owned(),
        service_owner: owner.code.clone(),
        service_owner_name: owner.name.clone(),
        service_code: svc.code.clone(),
        service_edition: i64::from(svc.edition),
        subject: title.to_owned(),
        status: "Ulest".into(),
        created_at: now,
        last_changed_at: now,
        last_changed_by: owner.name.clone(),
        confirmation_needed: out.confirmation_needed,
        confirmed_at: None,
        doc: document(out, &owner.name),
        senders_reference: out.senders_reference.clone(),
        visible_at: out.visible_at.filter(|at| *at > now),
    };
    Ok(store.insert_message(&message, Some("CorrespondenceCreated")).await?)
}
