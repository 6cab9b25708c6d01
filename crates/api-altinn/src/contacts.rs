//! `GET /altinn/api/serviceowner/organizations/{orgNo}` and `…/personalcontacts` — an
//! organization as the register has it, and the persons who hold roles in it with their
//! contact-register (KRR) addresses, as Altinn's service-owner contact API shows them.
//! Party ids (`PersonalContactId`, `r…`) are this stand-in's own, stable per person.

use std::collections::BTreeMap;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use fjellport_gateway::Problem;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_nin::orgnr::OrgNumber;
use fjellport_population::Person;
use fjellport_store::{OrganizationFacts, PersonKey};
use http::HeaderMap;
use serde_json::{Value, json};

use crate::parties::{Party, Reportee};
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

/// Each role holder of the organization with the roles they hold there, by identity number.
async fn holders(s: &AltinnState, orgnr: &str) -> Result<BTreeMap<String, Vec<String>>, Problem> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (nin, role) in s.store.role_holders(orgnr).await? {
        let roles = out.entry(nin).or_default();
        if !roles.contains(&role) {
            roles.push(role);
        }
    }
    Ok(out)
}

/// The holder as a reportee of the organization, for the role rules.
fn as_reportee(org: &OrganizationFacts, roles: &[String]) -> Reportee {
    Reportee {
        id: String::new(),
        name: org.name.clone(),
        party: Party::Organization(org.clone()),
        roles: roles.to_vec(),
    }
}

/// The persons who hold roles in the organization, with their contact addresses.
#[utoipa::path(get, path = "/organizations/{orgNo}/personalcontacts", tag = "altinn-serviceowner",
    params(("orgNo" = String, Path, description = "The organization number"),
           ("roleDefinitionCode" = Option<String>, Query, description = "Only holders of this role (DAGL, REGN, …)"),
           ("serviceCode" = Option<String>, Query, description = "Only holders whose roles give this service of the calling owner"),
           ("serviceEdition" = Option<String>, Query, description = "With serviceCode: the edition")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.personalcontacts[{PersonalContactId, Name, SocialSecurityNumber, MobileNumber, MobileNumberChanged, EMailAddress, EMailAddressChanged, _links.roles}]`", body = Object),
        (status = 400, description = "Not a valid organization number, an unknown role code or parameter, a service edition without a service code", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such organization, or the service is not one of the calling owner's", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_personal_contacts(
    caller: fjellport_gateway::Caller,
    State(s): State<std::sync::Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, ORGANIZATIONS_SCOPE)?;
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(
        &params,
        &["roleDefinitionCode", "serviceCode", "serviceEdition"],
        "query parameter",
    )?;
    let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let role = value("roleDefinitionCode");
    if let Some(code) = role
        && crate::roles::definition(code).is_none()
    {
        return Err(invalid(
            "roleDefinitionCode",
            format!("{code:?} is not a role definition code"),
        ));
    }
    let service = crate::enduser_reportees::service_of(&s.catalogue, &params)?;
    if let Some(svc) = service {
        let owner = crate::owner_auth::owner_code(&s.catalogue, &caller)?;
        if svc.owner != owner {
            return Err(Problem::not_found(format!(
                "Service {} is not one of {owner}'s.",
                svc.code
            )));
        }
    }
    let org = organization_or_404(&s, &orgnr).await?;
    let mut contacts = Vec::new();
    let base =
        format!("{}/altinn/api/serviceowner/organizations/{orgnr}/personalcontacts", s.public_url);
    for (nin, roles) in holders(&s, &orgnr).await? {
        if role.is_some_and(|r| !roles.iter().any(|x| x == r)) {
            continue;
        }
        if service.is_some_and(|svc| !crate::roles::covers(&as_reportee(&org, &roles), svc)) {
            continue;
        }
        let Some(stored) = s.store.person(PersonKey::Nin(&nin)).await? else { continue };
        let Ok(person) = serde_json::from_str::<Person>(&stored.row.doc) else { continue };
        let krr =
            person.common_contact_register_information.as_ref().map(|k| &k.contact_information);
        let text = |v: Option<&str>| v.map_or(Value::Null, |t| json!(t));
        let id = crate::parties::person_party(stored.seq);
        contacts.push(json!({
            "PersonalContactId": id,
            "Name": format!("{} {}", stored.row.given_name, stored.row.family_name).to_uppercase(),
            "SocialSecurityNumber": nin,
            "MobileNumber": text(krr.and_then(|c| c.phone_number.as_deref())),
            "MobileNumberChanged": text(krr.and_then(|c| c.phone_number_last_updated.as_deref())),
            "EMailAddress": text(krr.map(|c| c.email.as_str()).filter(|e| !e.is_empty())),
            "EMailAddressChanged": text(krr.map(|c| c.email_last_updated.as_str()).filter(|e| !e.is_empty())),
            "_links": {"roles": {"href": format!("{base}/{id}/roles")}},
        }));
    }
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": base}}, "_embedded": {"personalcontacts": contacts}}),
    ))
}

/// The roles one personal contact holds in the organization.
#[utoipa::path(get, path = "/organizations/{orgNo}/personalcontacts/{personalContactId}/roles", tag = "altinn-serviceowner",
    params(("orgNo" = String, Path, description = "The organization number"),
           ("personalContactId" = String, Path, description = "The contact's PersonalContactId (r…)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.roles[{RoleType, RoleDefinitionId, RoleName, RoleDescription, RoleDefinitionCode, _links.roledefinition}]`", body = Object),
        (status = 404, description = "No such organization, or no contact of it with that id", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_personal_contact_roles(
    caller: fjellport_gateway::Caller,
    State(s): State<std::sync::Arc<AltinnState>>,
    Path((orgnr, contact)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, ORGANIZATIONS_SCOPE)?;
    organization_or_404(&s, &orgnr).await?;
    let gone = || Problem::not_found(format!("{orgnr} has no personal contact {contact}."));
    let mut found = None;
    for (nin, roles) in holders(&s, &orgnr).await? {
        let Some(stored) = s.store.person(PersonKey::Nin(&nin)).await? else { continue };
        if crate::parties::person_party(stored.seq).eq_ignore_ascii_case(&contact) {
            found = Some(roles);
            break;
        }
    }
    let roles = found.ok_or_else(gone)?;
    let definitions = format!("{}/altinn/api/metadata/roledefinitions", s.public_url);
    let list: Vec<Value> = roles
        .iter()
        .filter_map(|code| crate::roles::definition(code))
        .map(|d| {
            let mut v = crate::roles::definition_json(d, &definitions);
            v["_links"] = json!({"roledefinition": {"href": format!("{definitions}/{}", d.1)}});
            v
        })
        .collect();
    let href = format!(
        "{}/altinn/api/serviceowner/organizations/{orgnr}/personalcontacts/{contact}/roles",
        s.public_url
    );
    Ok(hal(&headers, json!({"_links": {"self": {"href": href}}, "_embedded": {"roles": list}})))
}
