//! `GET /altinn/api/serviceowner/organizations/{orgNo}` and `…/personalcontacts` — an
//! organization as the register has it, and the persons who hold roles in it with their
//! contact-register (KRR) addresses, as Altinn's service-owner contact API shows them.
//! Party ids (`PersonalContactId`, `r…`) are this stand-in's own, stable per person.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use fjellport_gateway::Problem;
use fjellport_gateway::input::invalid;
use fjellport_nin::orgnr::OrgNumber;
use fjellport_population::Person;
use fjellport_store::{OrganizationFacts, PersonKey};
use http::HeaderMap;
use serde_json::{Value, json};

use crate::{AltinnState, hal};

/// The scope of the contact look-ups.
const ORGANIZATIONS_SCOPE: &str = "altinn:serviceowner/organizations";

pub(crate) async fn organization_or_404(
    s: &AltinnState,
    orgnr: &str,
) -> Result<OrganizationFacts, Problem> {
    orgnr
        .parse::<OrgNumber>()
        .map_err(|_| invalid("orgNo", format!("{orgnr:?} is not a valid organization number")))?;
    s.store
        .organization(orgnr)
        .await?
        .ok_or_else(|| Problem::not_found("No organization has that number."))
}

/// One organization.
#[utoipa::path(get, path = "/organizations/{orgNo}", tag = "altinn-serviceowner",
    params(("orgNo" = String, Path, description = "The organization number")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{Name, OrganizationNumber, Type, OrganizationForm, _links:{self, personalcontacts}}`", body = Object),
        (status = 400, description = "Not a valid organization number", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_organization(
    caller: fjellport_gateway::Caller,
    State(s): State<std::sync::Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, ORGANIZATIONS_SCOPE)?;
    let org = organization_or_404(&s, &orgnr).await?;
    let base = format!("{}/altinn/api/serviceowner/organizations/{orgnr}", s.public_url);
    let mut body = crate::reportees::organization(&org);
    body["_links"] = json!({"self": {"href": base},
                            "personalcontacts": {"href": format!("{base}/personalcontacts")}});
    Ok(hal(&headers, body))
}

/// The persons who hold roles in the organization, with their contact addresses.
#[utoipa::path(get, path = "/organizations/{orgNo}/personalcontacts", tag = "altinn-serviceowner",
    params(("orgNo" = String, Path, description = "The organization number")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.personalcontacts[{PersonalContactId, Name, SocialSecurityNumber, MobileNumber, MobileNumberChanged, EMailAddress, EMailAddressChanged}]`", body = Object),
        (status = 400, description = "Not a valid organization number", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_personal_contacts(
    caller: fjellport_gateway::Caller,
    State(s): State<std::sync::Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, ORGANIZATIONS_SCOPE)?;
    organization_or_404(&s, &orgnr).await?;
    let holders: BTreeMap<String, ()> =
        s.store.role_holders(&orgnr).await?.into_iter().map(|(nin, _)| (nin, ())).collect();
    let mut contacts = Vec::new();
    for nin in holders.keys() {
        let Some(stored) = s.store.person(PersonKey::Nin(nin)).await? else { continue };
        let Ok(person) = serde_json::from_str::<Person>(&stored.row.doc) else { continue };
        let krr =
            person.common_contact_register_information.as_ref().map(|k| &k.contact_information);
        let text = |v: Option<&str>| v.map_or(Value::Null, |t| json!(t));
        contacts.push(json!({
            "PersonalContactId": crate::parties::person_party(stored.seq),
            "Name": format!("{} {}", stored.row.given_name, stored.row.family_name).to_uppercase(),
            "SocialSecurityNumber": nin,
            "MobileNumber": text(krr.and_then(|c| c.phone_number.as_deref())),
            "MobileNumberChanged": text(krr.and_then(|c| c.phone_number_last_updated.as_deref())),
            "EMailAddress": text(krr.map(|c| c.email.as_str()).filter(|e| !e.is_empty())),
            "EMailAddressChanged": text(krr.map(|c| c.email_last_updated.as_str()).filter(|e| !e.is_empty())),
        }));
    }
    let href =
        format!("{}/altinn/api/serviceowner/organizations/{orgnr}/personalcontacts", s.public_url);
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": href}}, "_embedded": {"personalcontacts": contacts}}),
    ))
}
