//! `GET /altinn/api/serviceowner/reportees?subject=` — whom a person (or an organization) may
//! act for, as a service owner sees it: the subject itself, then every organization where the
//! subject holds a role in the Enhetsregister (Altinn gives ER role holders the organization as
//! a reportee). Altinn's service-owner shape: PascalCase, `_embedded.reportees`, no ReporteeId
//! and no per-item links.

use std::collections::BTreeMap;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_gateway::{Caller, Problem};
use fjellport_nin::Nin;
use fjellport_nin::orgnr::OrgNumber;
use fjellport_store::{HeldRole, OrganizationFacts, PersonKey};
use http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::catalogue::{Catalogue, Service};
use crate::{AltinnState, hal};

/// Query parameters the call takes (Altinn's, and the certificate switch it ignores here).
const KNOWN: [&str; 6] = [
    "subject",
    "serviceCode",
    "serviceEdition",
    "roleDefinitionId",
    "showConsentReportees",
    "ForceEIAuthentication",
];

/// Organization forms that are sub-units (`Business`); every other form is an `Enterprise`.
const SUB_UNITS: [&str; 2] = ["BEDR", "AAFY"];

/// A person or organization as a service owner's reportee list shows it.
pub(crate) fn organization(o: &OrganizationFacts) -> Value {
    let kind = if SUB_UNITS.contains(&o.form.as_str()) { "Business" } else { "Enterprise" };
    json!({"Name": o.name.to_uppercase(), "Type": kind, "OrganizationNumber": o.orgnr,
           "OrganizationForm": o.form})
}

/// The organizations of `roles`, once each, by organization number.
fn organizations(roles: &[HeldRole]) -> Vec<&OrganizationFacts> {
    let by_number: BTreeMap<&str, &OrganizationFacts> =
        roles.iter().map(|r| (r.organization.orgnr.as_str(), &r.organization)).collect();
    by_number.into_values().collect()
}

/// The service a reportee list is narrowed to: it must be in the catalogue and belong to the
/// calling service owner (a service owner answers only about its own services).
fn service_filter<'c>(
    catalogue: &'c Catalogue,
    caller: &Caller,
    params: &[(String, String)],
) -> Result<Option<&'c Service>, Problem> {
    let Some(svc) = crate::enduser_reportees::service_of(catalogue, params)? else {
        return Ok(None);
    };
    let own = catalogue.owner(&svc.owner).map(|o| o.orgnr.as_str());
    if caller.owner.as_deref() != own {
        return Err(Problem::new(StatusCode::FORBIDDEN, "not-your-service", "Not your service")
            .detail(format!(
                "Service {} belongs to {}; a service owner asks only about its own services.",
                svc.code, svc.owner
            )));
    }
    Ok(Some(svc))
}

/// Reportees of a subject.
#[utoipa::path(get, path = "/reportees", tag = "altinn-serviceowner",
    params(
        ("subject" = String, Query, description = "The person's identity number (11 digits) or the organization's number (9 digits)"),
        ("serviceCode" = Option<String>, Query, description = "Only reportees for whom the subject may use this service of the calling service owner (its roles, PRIV for the person's own affairs)"),
        ("serviceEdition" = Option<String>, Query, description = "With serviceCode: the edition"),
        ("ForceEIAuthentication" = Option<String>, Query, description = "Accepted and ignored (enterprise certificates are not used here)"),
        ("ApiKey" = String, Header, description = "API key issued for the altinn-serviceowner API"),
        ("Authorization" = String, Header, description = "Bearer <the service owner's Maskinporten-like token>"),
    ),
    responses(crate::docs::Problems,
        (status = 200, description = "`{_links.self, _embedded.reportees[{Name, Type (Person|Enterprise|Business), SocialSecurityNumber | OrganizationNumber, OrganizationForm}]}`", body = Object),
        (status = 400, description = "No subject, a subject that is no valid number, a service not in the catalogue, or roleDefinitionId (not offered yet)", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "Missing key or organization token", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The service belongs to another service owner", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such person or organization", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
    ))]
pub(crate) async fn get_reportees(
    caller: Caller,
    State(s): State<std::sync::Arc<AltinnState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, "altinn:serviceowner/reportees")?;
    let query = query.unwrap_or_default();
    let params = pairs(query.as_bytes());
    only_known(&params, &KNOWN, "query parameter")?;
    let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if value("roleDefinitionId").is_some() {
        return Err(invalid(
            "roleDefinitionId",
            "roleDefinitionId filters need Altinn's role definitions, which this stand-in does not \
             have yet",
        ));
    }
    let service = service_filter(&s.catalogue, &caller, &params)?;
    let subject = value("subject").filter(|v| !v.is_empty()).ok_or_else(|| {
        invalid("subject", "subject is required: an identity number or an organization number")
    })?;
    let mut reportees = Vec::new();
    if subject.len() == 11 {
        subject.parse::<Nin>().map_err(|e| {
            invalid("subject", format!("{subject:?} is not a valid identity number: {e}"))
        })?;
        let person = s
            .store
            .person(PersonKey::Nin(subject))
            .await?
            .ok_or_else(|| Problem::not_found("No person has that identity number."))?;
        let name = format!("{} {}", person.row.given_name, person.row.family_name);
        // For a service: the person themselves when the service serves private persons (PRIV),
        // and the organizations where they hold one of its roles.
        if service.is_none_or(|svc| svc.takes("PRIV")) {
            reportees.push(json!({"Name": name.to_uppercase(), "Type": "Person",
                                  "SocialSecurityNumber": subject}));
        }
        let mut roles = s.store.roles_of(subject).await?;
        if let Some(svc) = service {
            roles.retain(|r| svc.takes(&r.role));
        }
        reportees.extend(organizations(&roles).into_iter().map(organization));
    } else if subject.len() == 9 {
        subject.parse::<OrgNumber>().map_err(|_| {
            invalid("subject", format!("{subject:?} is not a valid organization number"))
        })?;
        let org = s
            .store
            .organization(subject)
            .await?
            .ok_or_else(|| Problem::not_found("No organization has that number."))?;
        reportees.push(organization(&org));
    } else {
        return Err(invalid(
            "subject",
            "subject is an identity number (11 digits) or an organization number (9 digits)",
        ));
    }
    let self_href = format!("{}/altinn/api/serviceowner/reportees?{query}", s.public_url);
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": self_href}}, "_embedded": {"reportees": reportees}}),
    ))
}
