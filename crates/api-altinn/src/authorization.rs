//! Roles and rights over HTTP: the user's own (`GET {who}/authorization/roles`, `…/rights`,
//! `…/RoleDefinitions`), the role definitions as metadata (`GET metadata/roledefinitions`, no
//! authentication), and a service owner's view of a subject at a reportee
//! (`GET serviceowner/authorization/roles|rights?subject=&reportee=`, about its own services
//! only), plus an organization's official contacts (none in the synthetic register).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_gateway::{Caller, Problem};
use fjellport_nin::Nin;
use fjellport_store::PersonKey;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::enduser::EndUser;
use crate::parties::{Reportee, reportees_of, resolve};
use crate::roles::{DEFINITIONS, definition_json, held_roles, rights};
use crate::{AltinnState, hal};

fn api(s: &AltinnState) -> String {
    format!("{}/altinn/api", s.public_url)
}

async fn acting(s: &AltinnState, user: &EndUser, who: &str) -> Result<Reportee, Problem> {
    user.require("altinn:rolesandrights.read")?;
    let reportees = user.reportees(s).await?;
    Ok(resolve(&reportees, who)?.clone())
}

/// The roles the user holds for `who`.
#[utoipa::path(get, path = "/{who}/authorization/roles", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.roles[{RoleId, RoleType, RoleDefinitionId, RoleName, RoleDescription, Delegator, DelegatedTime, _links.roledefinition}]`: the Basisrolle (no RoleId) and the register's roles", body = Object),
        (status = 401, description = "No user logged in, or a token without altinn:enduser / altinn:rolesandrights.read", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_roles(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(who): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let reportee = acting(&s, &user, &who).await?;
    let api = api(&s);
    let roles = held_roles(&reportee, &format!("{api}/{who}/authorization/RoleDefinitions"));
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": format!("{api}/{who}/authorization/roles")}},
               "_embedded": {"roles": roles}}),
    ))
}

/// The service rights the user holds for `who`.
#[utoipa::path(get, path = "/{who}/authorization/rights", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.rights[{RightID, RightType, ServiceCode, ServiceEditionCode, Action, RightSourceType, IsDelegatable}]`: from the roles (RoleTypeRights)", body = Object),
        (status = 401, description = "No user logged in", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The user may not act for who", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_rights(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(who): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let reportee = acting(&s, &user, &who).await?;
    let api = api(&s);
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": format!("{api}/{who}/authorization/rights")}},
               "_embedded": {"rights": rights(&s.catalogue, &reportee, None)}}),
    ))
}

fn definitions(base: &str) -> Value {
    let list: Vec<Value> = DEFINITIONS.iter().map(|d| definition_json(d, base)).collect();
    json!({"_links": {"self": {"href": base}}, "_embedded": {"roledefinitions": list}})
}

/// The role definitions, for a reportee.
#[utoipa::path(get, path = "/{who}/authorization/RoleDefinitions", tag = "altinn",
    params(("who" = String, Path, description = "my, an organization number, or a reportee id")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.roledefinitions[{RoleType, RoleDefinitionId, RoleName, RoleDescription, RoleDefinitionCode}]`", body = Object),
        (status = 401, description = "No user logged in", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_role_definitions(
    user: EndUser,
    State(s): State<Arc<AltinnState>>,
    Path(who): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    acting(&s, &user, &who).await?;
    Ok(hal(&headers, definitions(&format!("{}/{who}/authorization/RoleDefinitions", api(&s)))))
}

/// The role definitions (metadata: no authentication).
#[utoipa::path(get, path = "/metadata/roledefinitions", tag = "altinn",
    responses(crate::docs::Problems, (status = 200, description = "Every role definition", body = Object)))]
pub(crate) async fn get_metadata_role_definitions(
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
) -> Response {
    hal(&headers, definitions(&format!("{}/metadata/roledefinitions", api(&s))))
}

/// The subject's reportee (by number) and the calling owner's code, from `subject` and
/// `reportee`, as a service owner asks.
async fn subject_at(
    s: &AltinnState,
    caller: &Caller,
    query: Option<&str>,
) -> Result<(Value, Reportee, String), Problem> {
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(
        &params,
        &["subject", "reportee", "language", "ForceEIAuthentication"],
        "query parameter",
    )?;
    let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let subject = value("subject")
        .ok_or_else(|| invalid("subject", "subject (an identity number) is required"))?;
    let reportee = value("reportee").ok_or_else(|| {
        invalid("reportee", "reportee (an identity or organization number) is required")
    })?;
    subject.parse::<Nin>().map_err(|e| {
        invalid("subject", format!("{subject:?} is not a valid identity number: {e}"))
    })?;
    crate::owner_auth::require_scope(caller, "altinn:serviceowner/rolesandrights")?;
    let owner = crate::owner_auth::owner_code(&s.catalogue, caller)?;
    let person = s
        .store
        .person(PersonKey::Nin(&subject))
        .await?
        .ok_or_else(|| Problem::not_found("No person has that identity number."))?;
    let reportees = reportees_of(s.store.as_ref(), &person).await?;
    let who = if reportee == subject { "my" } else { reportee.as_str() };
    let at = resolve(&reportees, who)
        .map_err(|_| Problem::not_found(format!("{subject} holds no role for {reportee}.")))?;
    let name = format!("{} {}", person.row.given_name, person.row.family_name).to_uppercase();
    let subject = json!({"Name": name, "Type": "Person", "SocialSecurityNumber": subject});
    Ok((subject, at.clone(), owner))
}

fn reportee_json(r: &Reportee) -> Value {
    if r.is_organization() {
        json!({"Name": r.name, "Type": "Enterprise", "OrganizationNumber": r.number(), "Status": "Active"})
    } else {
        json!({"Name": r.name, "Type": "Person", "SocialSecurityNumber": r.number()})
    }
}

/// A subject's roles for a reportee, as far as the calling owner's services go.
#[utoipa::path(get, path = "/authorization/roles", tag = "altinn-serviceowner",
    params(
        ("subject" = String, Query, description = "The person's identity number"),
        ("reportee" = String, Query, description = "The organization number (or the person's own number)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.roles[…]`: the roles that give the subject one of the calling owner's services there (and the Basisrolle)", body = Object),
        (status = 400, description = "subject or reportee missing or malformed", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The caller owns no service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such person, or no role for that reportee", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_serviceowner_roles(
    caller: Caller,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (_, mut at, owner) = subject_at(&s, &caller, query.as_deref()).await?;
    at.roles = crate::roles::owner_roles(&s.catalogue, &at, &owner);
    let base = format!("{}/altinn/api/serviceowner/roledefinitions", s.public_url);
    Ok(hal(&headers, json!({"_embedded": {"roles": held_roles(&at, &base)}})))
}

/// A subject's rights for a reportee on the calling owner's services (Altinn's flat shape).
#[utoipa::path(get, path = "/authorization/rights", tag = "altinn-serviceowner",
    params(
        ("subject" = String, Query, description = "The person's identity number"),
        ("reportee" = String, Query, description = "The organization number (or the person's own number)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{Subject, Reportee, Rights:[{RightID, RightType, ServiceCode, ServiceEditionCode, Action, RightSourceType, IsDelegatable}], _links.self}` (not `_embedded`, as at Altinn)", body = Object),
        (status = 400, description = "subject or reportee missing or malformed", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 403, description = "The caller owns no service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such person, or no role for that reportee", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_serviceowner_rights(
    caller: Caller,
    State(s): State<Arc<AltinnState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (subject, at, owner) = subject_at(&s, &caller, query.as_deref()).await?;
    let self_href = format!(
        "{}/altinn/api/serviceowner/authorization/rights?{}",
        s.public_url,
        query.unwrap_or_default()
    );
    Ok(hal(
        &headers,
        json!({"Subject": subject, "Reportee": reportee_json(&at), "Rights": rights(&s.catalogue, &at, Some(&owner)),
               "_links": {"self": {"href": self_href}}}),
    ))
}

/// An organization's official contacts ("Felles kontaktinformasjon").
#[utoipa::path(get, path = "/organizations/{orgNo}/officialcontacts", tag = "altinn-serviceowner",
    params(("orgNo" = String, Path, description = "The organization number")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.officialcontacts[{MobileNumber, MobileNumberChanged, EMailAddress, EMailAddressChanged}]`: empty, since the synthetic register has no official contacts", body = Object),
        (status = 400, description = "Not a valid organization number", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such organization", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_official_contacts(
    caller: Caller,
    State(s): State<Arc<AltinnState>>,
    Path(orgnr): Path<String>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    crate::owner_auth::require_scope(&caller, "altinn:serviceowner/organizations")?;
    crate::contacts::organization_or_404(&s, &orgnr).await?;
    let href =
        format!("{}/altinn/api/serviceowner/organizations/{orgnr}/officialcontacts", s.public_url);
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": href}}, "_embedded": {"officialcontacts": []}}),
    ))
}
