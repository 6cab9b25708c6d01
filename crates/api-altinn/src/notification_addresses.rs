//! An organization's notification addresses in the user's profile:
//! `GET`/`POST {orgNo}/profile/contactinformation` and `GET`/`DELETE
//! …/contactinformation/{id}` — each address an e-mail address or a mobile number, kept in the
//! store. Anyone who may act for the organization reads them; only its key roles (DAGL, LEDE,
//! INNH, …) change them. Addresses stay undeliverable, as all synthetic contact data does
//! (e-mail on `.test` domains, mobile numbers in the unassigned `+4701` series).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use fjellport_gateway::Problem;
use fjellport_gateway::extract::Path;
use fjellport_gateway::input::{Members, invalid, json_object};
use fjellport_gateway::problem::with_reason;
use fjellport_population::text_rules;
use fjellport_store::StoredNotificationAddress;
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::enduser::EndUser;
use crate::parties::{Reportee, resolve};
use crate::{AltinnState, hal};

const READ: &str = "altinn:profiles.read";
const WRITE: &str = "altinn:profiles.write";

fn orgnr_of(orgnr: &str) -> Result<(), Problem> {
    if orgnr.len() != 9 || !orgnr.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("orgNo", format!("{orgnr:?} is not a 9-digit organization number")));
    }
    Ok(())
}

/// The organization as one of the user's reportees.
async fn organization(s: &AltinnState, user: &EndUser, orgnr: &str) -> Result<Reportee, Problem> {
    orgnr_of(orgnr)?;
    let reportees = user.reportees(s).await?;
    let reportee = resolve(&reportees, orgnr)?.clone();
    if !reportee.is_organization() {
        return Err(invalid("orgNo", "contact information belongs to organizations"));
    }
    Ok(reportee)
}

fn id_of(id: &str) -> Result<i64, Problem> {
    id.parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| invalid("id", format!("{id:?} is not a contact information id")))
}

fn to_json(a: &StoredNotificationAddress) -> Value {
    json!({
        "Id": a.id,
        "Name": a.created_by,
        "Email": a.email,
        "MobileNumber": a.mobile,
        "IsSelectedForNotification": true,
    })
}

/// The organization's notification addresses.
#[utoipa::path(get, path = "/{orgNo}/profile/contactinformation", tag = "altinn",
    params(("orgNo" = String, Path, description = "The organization number (one the user may act for)")),
    responses(crate::docs::Problems,
        (status = 200, description = "A plain JSON list `[{Id, Name, Email, MobileNumber, IsSelectedForNotification}]`, oldest first (Name: who registered it)", body = Object),
        (status = 403, description = "The user may not act for the organization", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_contact_information(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(orgnr): Path<String>,
) -> Result<Response, Problem> {
    user.require(READ)?;
    let reportee = organization(&s, &user, &orgnr).await?;
    let list = s.store.notification_addresses(reportee.number()).await?;
    Ok(axum::Json(list.iter().map(to_json).collect::<Vec<_>>()).into_response())
}

/// One notification address.
#[utoipa::path(get, path = "/{orgNo}/profile/contactinformation/{id}", tag = "altinn",
    params(("orgNo" = String, Path, description = "The organization number"),
           ("id" = String, Path, description = "The address's Id")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{Id, Name, Email, MobileNumber, IsSelectedForNotification}`", body = Object),
        (status = 404, description = "The organization has no address with that Id", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_one_contact_information(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((orgnr, id)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    user.require(READ)?;
    let id = id_of(&id)?;
    let reportee = organization(&s, &user, &orgnr).await?;
    let list = s.store.notification_addresses(reportee.number()).await?;
    let found = list.iter().find(|a| a.id == id).ok_or_else(|| not_found(&orgnr, id))?;
    Ok(hal(&headers, to_json(found)))
}

fn not_found(orgnr: &str, id: i64) -> Problem {
    Problem::not_found(format!("{orgnr} has no contact information {id}.")).reason("Not Found")
}

/// Changing them takes a key role there (the ones that see everything of the organization).
fn may_change(reportee: &Reportee) -> Result<(), Problem> {
    if crate::roles::sees_all(reportee) {
        return Ok(());
    }
    Err(Problem::new(StatusCode::FORBIDDEN, "no-key-role", "Not allowed to change the profile")
        .detail(format!(
            "Changing {}'s notification addresses takes a key role there (DAGL, LEDE, INNH, \
             DTPR or DTSO); the user holds {}.",
            reportee.name,
            reportee.roles.join(", ")
        ))
        .reason("Forbidden"))
}

/// Registers a notification address: exactly one of `Email` and `MobileNumber`.
#[utoipa::path(post, path = "/{orgNo}/profile/contactinformation", tag = "altinn",
    params(("orgNo" = String, Path, description = "The organization number")),
    request_body(content = Object, description = "`{\"Email\": \"…\"}` or `{\"MobileNumber\": \"…\"}` (one of them, not both): an e-mail address on a `.test` domain or a mobile number `+4701` and six digits (synthetic contact data never reaches anyone)", content_type = "application/json"),
    responses(crate::docs::Problems,
        (status = 204, description = "Contact Information Created (Altinn's reason phrase); GET lists it"),
        (status = 400, description = "Both or neither, an unknown member, an address that is not valid or could reach someone", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for the organization, or holds no key role there", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_contact_information(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    user.require(WRITE)?;
    let reportee = organization(&s, &user, &orgnr).await?;
    may_change(&reportee)?;
    let map = json_object(&headers, &body, false, &["application/json", "application/hal+json"])?;
    let m = Members::new(&map);
    m.only(&["Email", "MobileNumber"])?;
    let (email, mobile) = match (m.string("Email")?, m.string("MobileNumber")?) {
        (Some(e), None) => {
            text_rules::email(e, false).map_err(|e| invalid("Email", e.to_string()))?;
            (Some(e.to_owned()), None)
        }
        (None, Some(n)) => {
            text_rules::phone(n, false).map_err(|e| invalid("MobileNumber", e.to_string()))?;
            (None, Some(n.to_owned()))
        }
        _ => {
            return Err(invalid(
                "Email",
                "give exactly one of Email and MobileNumber (each address is one or the other)",
            ));
        }
    };
    let address = StoredNotificationAddress {
        id: 0,
        orgnr: reportee.number().to_owned(),
        email,
        mobile,
        created_by: user.display_name(&s).await?,
        created_at: s.now(),
    };
    s.store.insert_notification_address(&address).await?;
    Ok(with_reason(StatusCode::NO_CONTENT.into_response(), "Contact Information Created"))
}

/// Removes a notification address.
#[utoipa::path(delete, path = "/{orgNo}/profile/contactinformation/{id}", tag = "altinn",
    params(("orgNo" = String, Path, description = "The organization number"),
           ("id" = String, Path, description = "The address's Id")),
    responses(crate::docs::Problems,
        (status = 204, description = "Contact Information Deleted (Altinn's reason phrase)"),
        (status = 403, description = "The user may not act for the organization, or holds no key role there", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "The organization has no address with that Id", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn delete_contact_information(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path((orgnr, id)): Path<(String, String)>,
) -> Result<Response, Problem> {
    user.require(WRITE)?;
    let id = id_of(&id)?;
    let reportee = organization(&s, &user, &orgnr).await?;
    may_change(&reportee)?;
    if !s.store.delete_notification_address(reportee.number(), id).await? {
        return Err(not_found(&orgnr, id));
    }
    Ok(with_reason(StatusCode::NO_CONTENT.into_response(), "Contact Information Deleted"))
}
