//! The logged-in user's reportees and profile: `GET reportees` (with the `serviceCode` /
//! `serviceEdition` filter), `GET reportees/{reporteeId}`, `GET organizations[/{orgNo}]`
//! and `GET my/profile`, in Altinn's HAL shape (PascalCase members, `_links`,
//! `_embedded`).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use fjellport_gateway::Problem;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_population::Person;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::catalogue::{Catalogue, Service};
use crate::enduser::EndUser;
use crate::parties::{Reportee, resolve};
use crate::{AltinnState, hal};

/// Altinn's paging flags, accepted (every reportee is active; consent reportees do not exist
/// here) and otherwise ignored.
const LIST_FLAGS: [&str; 3] = ["showConsentReportees", "includeInactiveReportees", "language"];

fn api(s: &AltinnState) -> String {
    format!("{}/altinn/api", s.public_url)
}

/// The reportees of the user, narrowed to those for whom a service may be used.
async fn listed(
    s: &AltinnState,
    user: &EndUser,
    query: Option<&str>,
    extra: &[&str],
) -> Result<(std::sync::Arc<Vec<Reportee>>, Vec<(String, String)>), Problem> {
    user.require("altinn:reportees")?;
    let params = pairs(query.unwrap_or_default().as_bytes());
    let known: Vec<&str> = LIST_FLAGS.iter().chain(extra).copied().collect();
    only_known(&params, &known, "query parameter")?;
    Ok((user.reportees(s).await?, params))
}

/// The service `serviceCode`/`serviceEdition` name, if they name one.
pub(crate) fn service_of<'c>(
    catalogue: &'c Catalogue,
    params: &[(String, String)],
) -> Result<Option<&'c Service>, Problem> {
    let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let Some(code) = value("serviceCode") else {
        return match value("serviceEdition") {
            Some(_) => Err(invalid("serviceEdition", "serviceEdition goes with a serviceCode")),
            None => Ok(None),
        };
    };
    let edition = value("serviceEdition")
        .map(|e| {
            e.parse::<u32>().map_err(|_| {
                invalid("serviceEdition", format!("serviceEdition {e:?} is not a whole number"))
            })
        })
        .transpose()?;
    catalogue.service(code, edition).map(Some).map_err(|why| invalid("serviceCode", why))
}

/// The reportees the user may act for.
#[utoipa::path(get, path = "/reportees", tag = "altinn",
    params(
        ("serviceCode" = Option<String>, Query, description = "Only reportees for whom the user may use this service (one of their roles there gives it; PRIV for their own affairs)"),
        ("serviceEdition" = Option<String>, Query, description = "With serviceCode: the edition"),
        ("showConsentReportees" = Option<bool>, Query, description = "Accepted; there are no consent reportees here"),
        ("includeInactiveReportees" = Option<bool>, Query, description = "Accepted; every reportee is active"),
        ("ApiKey" = String, Header, description = "API key issued for the altinn API"),
        ("Authorization" = Option<String>, Header, description = "Bearer <ID-porten access token> (or the .ASPXAUTH cookie)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{_links:{self, find}, _embedded:{reportees:[{ReporteeId, Name, Type (Person|Foretak), SocialSecurityNumber | OrganizationNumber, OrganizationForm, Status, _links:{self, messages}}]}}`: the user first, then their organizations", body = Object),
        (status = 400, description = "An unknown query parameter or service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No user logged in (WWW-Authenticate: Bearer), or a token without altinn:enduser / altinn:reportees", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_reportees(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (reportees, params) =
        listed(&s, &user, query.as_deref(), &["serviceCode", "serviceEdition"]).await?;
    let service = service_of(&s.catalogue, &params)?;
    let api = api(&s);
    let list: Vec<Value> = reportees
        .iter()
        .filter(|r| service.is_none_or(|svc| crate::roles::covers(r, svc)))
        .map(|r| r.to_json(&api))
        .collect();
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": format!("{api}/reportees")},
                          "find": {"href": format!("{api}/reportees/{{reporteeId}}"),
                                   "isTemplated": true}},
               "_embedded": {"reportees": list}}),
    ))
}

/// One of the user's reportees.
#[utoipa::path(get, path = "/reportees/{reporteeId}", tag = "altinn",
    params(("reporteeId" = String, Path, description = "A reportee id (r…), an organization number, or my")),
    responses(crate::docs::Problems,
        (status = 200, description = "The reportee", body = Object),
        (status = 400, description = "Not a reportee id", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No user logged in", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not one of the user's reportees", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_reportee(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (reportees, _) = listed(&s, &user, query.as_deref(), &[]).await?;
    let reportee = resolve(&reportees, &id)?;
    Ok(hal(&headers, reportee.to_json(&api(&s))))
}

/// Finds a reportee id from a person's number and last name, or an organization's number and
/// name (Altinn compares the first four letters of the name).
#[utoipa::path(post, path = "/reportees/ReporteeConversion", tag = "altinn",
    request_body(content = Object, content_type = "application/hal+json",
        description = "`{\"SocialSecurityNumber\", \"LastName\"}` or `{\"OrganizationNumber\", \"Name\"}`"),
    responses(crate::docs::Problems,
        (status = 200, description = "The reportee, with its ReporteeId", body = Object),
        (status = 400, description = "Neither pair, both, or a member missing", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "Not one of the user's reportees, or the name does not match", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn post_reportee_conversion(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    let map = fjellport_gateway::input::json_object(
        &headers,
        &body,
        false,
        &["application/hal+json", "application/json"],
    )?;
    let members = fjellport_gateway::input::Members::new(&map);
    members.only(&["SocialSecurityNumber", "LastName", "OrganizationNumber", "Name"])?;
    let person = (members.string("SocialSecurityNumber")?, members.string("LastName")?);
    let org = (members.string("OrganizationNumber")?, members.string("Name")?);
    let (number, name, is_org) = match (person, org) {
        ((Some(n), Some(l)), (None, None)) => (n, l, false),
        ((None, None), (Some(n), Some(l))) => (n, l, true),
        _ => {
            return Err(invalid(
                "body",
                "give SocialSecurityNumber and LastName, or OrganizationNumber and Name",
            ));
        }
    };
    let (reportees, _) = listed(&s, &user, None, &[]).await?;
    let found = reportees.iter().find(|r| {
        r.is_organization() == is_org
            && r.number() == number
            && match &r.party {
                crate::parties::Party::Person { family_name, .. } => {
                    crate::parties::same_start(family_name, name)
                }
                crate::parties::Party::Organization(o) => crate::parties::same_start(&o.name, name),
            }
    });
    let found = found.ok_or_else(|| {
        Problem::new(http::StatusCode::FORBIDDEN, "not-a-reportee", "Not a reportee of the user")
            .detail(format!("{number} with that name is not among the logged-in user's reportees."))
    })?;
    Ok(hal(&headers, found.to_json(&api(&s))))
}

/// An organization as the end-user API shows it.
fn organization_json(r: &Reportee, api: &str) -> Value {
    let mut v = r.to_json(api);
    let number = r.number().to_owned();
    v["_links"]["self"] = json!({"href": format!("{api}/organizations/{number}")});
    v
}

/// The organizations the user may act for.
#[utoipa::path(get, path = "/organizations", tag = "altinn",
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.organizations[]`: the user's organization reportees", body = Object),
        (status = 401, description = "No user logged in", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_organizations(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (reportees, _) = listed(&s, &user, query.as_deref(), &[]).await?;
    let api = api(&s);
    let list: Vec<Value> = reportees
        .iter()
        .filter(|r| r.is_organization())
        .map(|r| organization_json(r, &api))
        .collect();
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": format!("{api}/organizations")}},
               "_embedded": {"organizations": list}}),
    ))
}

/// One organization the user may act for.
#[utoipa::path(get, path = "/organizations/{orgNo}", tag = "altinn",
    params(("orgNo" = String, Path, description = "The organization number")),
    responses(crate::docs::Problems,
        (status = 200, description = "The organization", body = Object),
        (status = 400, description = "Not a valid organization number", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 401, description = "No user logged in", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for it", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_organization(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    if orgnr.len() != 9 || !orgnr.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("orgNo", format!("{orgnr:?} is not a 9-digit organization number")));
    }
    let (reportees, _) = listed(&s, &user, query.as_deref(), &[]).await?;
    let reportee = resolve(&reportees, &orgnr)?;
    Ok(hal(&headers, organization_json(reportee, &api(&s))))
}

/// An organization's profile, as the register has it.
#[utoipa::path(get, path = "/{orgNo}/profile", tag = "altinn",
    params(("orgNo" = String, Path, description = "The organization number (one the user may act for)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{Entity, Email, MobileNumber, Address, PostCode, City, BusinessAddress, BusinessPostCode, BusinessCity, LastModifiedBy, LastModifiedDate, IsSelectedForNotification, _links:{self, portalview, contactinformation}}` from the synthetic Enhetsregister; Email and MobileNumber are the first notification addresses registered (`…/profile/contactinformation`), else null", body = Object)))]
pub(crate) async fn get_organization_profile(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    user.require("altinn:profiles.read")?;
    if orgnr.len() != 9 || !orgnr.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid("orgNo", format!("{orgnr:?} is not a 9-digit organization number")));
    }
    let reportees = user.reportees(&s).await?;
    let reportee = resolve(&reportees, &orgnr)?;
    let doc: Value = s
        .store
        .organization_doc(reportee.number())
        .await?
        .and_then(|d| serde_json::from_str(&d).ok())
        .ok_or_else(|| Problem::not_found("The organization is no longer in the register."))?;
    let address =
        |k: &str| doc.pointer(&format!("/businessAddress/{k}")).cloned().unwrap_or(Value::Null);
    let api = api(&s);
    // The notification addresses registered in the profile (`…/profile/contactinformation`).
    let addresses = s.store.notification_addresses(reportee.number()).await?;
    let email = addresses.iter().find_map(|a| a.email.clone());
    let mobile = addresses.iter().find_map(|a| a.mobile.clone());
    Ok(hal(
        &headers,
        json!({
            "Entity": reportee.name,
            "Email": email,
            "MobileNumber": mobile,
            "Address": address("addressLine"),
            "PostCode": address("postalCode"),
            "City": address("city"),
            "BusinessAddress": address("addressLine"),
            "BusinessPostCode": address("postalCode"),
            "BusinessCity": address("city"),
            "LastModifiedBy": "Enhetsregisteret",
            "LastModifiedDate": doc.get("registeredDate").cloned().unwrap_or(Value::Null),
            "IsSelectedForNotification": !addresses.is_empty(),
            "_links": {"self": {"href": format!("{api}/{orgnr}/profile")},
                       "portalview": {"href": format!("{}/altinn/ui/profile/{orgnr}", s.public_url)},
                       "contactinformation": {"href": format!("{api}/{orgnr}/profile/contactinformation")}},
        }),
    ))
}

/// The logged-in person's profile.
#[utoipa::path(get, path = "/my/profile", tag = "altinn",
    responses(crate::docs::Problems,
        (status = 200, description = "`{Name, AddressLine1, AddressLine2, AddressLine3, UserName, MobileNumber, PreferredLanguage, ShowClientUnits, PrivateConsent, ProfessionalConsent, ContactInformation:{Email, Mobile, RequestsEmailReceipts}, _links:{self, portalview}}` from the person's registered address and contact-register entry", body = Object),
        (status = 401, description = "No user logged in, or a token without altinn:enduser / altinn:profiles.read", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_my_profile(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    user.require("altinn:profiles.read")?;
    let stored = user.person(&s).await?;
    let person: Person = serde_json::from_str(&stored.row.doc)
        .map_err(|e| Problem::internal(format!("person document: {e}")))?;
    let krr = person.common_contact_register_information.as_ref().map(|k| &k.contact_information);
    let email = krr.map(|c| c.email.clone()).filter(|e| !e.is_empty());
    let mobile = krr.and_then(|c| c.phone_number.clone());
    let address = address_lines(&person);
    let api = api(&s);
    Ok(hal(
        &headers,
        json!({
            "Name": format!("{} {}", stored.row.given_name, stored.row.family_name).to_uppercase(),
            "AddressLine1": address.first(),
            "AddressLine2": address.get(1),
            "AddressLine3": address.get(2),
            "UserName": Value::Null,
            "MobileNumber": mobile,
            "PreferredLanguage": "NorwegianNO",
            "ShowClientUnits": false,
            "PrivateConsent": false,
            "ProfessionalConsent": false,
            "ContactInformation": {"Email": email, "Mobile": mobile, "RequestsEmailReceipts": false},
            "_links": {"self": {"href": format!("{api}/my/profile")},
                       "portalview": {"href": format!("{}/altinn/ui/profile", s.public_url)}},
        }),
    ))
}

/// The registered home address as lines (street and number, postal code and place); none
/// for a confidential address, which Altinn does not show either.
fn address_lines(person: &Person) -> Vec<String> {
    let hidden =
        matches!(person.address_confidentiality(), Some("Confidential" | "StrictlyConfidential"));
    match person.address() {
        Some(a) if !hidden => {
            let n = &a.address_number;
            let letter = n.house_letter.as_deref().unwrap_or_default();
            vec![
                format!("{} {}{letter}", a.address_name, n.house_number),
                format!("{} {}", a.city.postal_code, a.city.city_name),
            ]
        }
        _ => Vec::new(),
    }
}
