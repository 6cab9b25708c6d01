//! The catalogue's single views, without credentials as at Altinn: one service
//! (`metadata/formtask|correspondence/{serviceCode}/{serviceEdition}`, the target of every
//! message's `metadata` link) and its forms' schemas, the roles a service takes (`metadata/rolerequirements`), and
//! code lists (`metadata/codelists`: the municipalities and counties of the population's
//! reference data; the lists' names are this stand-in's own).

use std::sync::Arc;

use axum::extract::{RawQuery, State};
use axum::response::Response;
use fjellport_gateway::Problem;
use fjellport_gateway::extract::Path;
use fjellport_gateway::input::{invalid, only_known, pairs};
use fjellport_population::data::municipalities;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::catalogue::{Service, ServiceType};
use crate::roles::{KEY_ROLES, actions, roles_giving};
use crate::submissions::SIGNING_LEVEL;
use crate::{AltinnState, hal};

fn base(s: &AltinnState) -> String {
    format!("{}/altinn/api/metadata", s.public_url)
}

fn edition_of(edition: &str) -> Result<u32, Problem> {
    edition.parse().map_err(|_| {
        invalid("serviceEdition", format!("{edition:?} is not a service edition (a whole number)"))
    })
}

/// The service `code`/`edition` of `kind`, or 404.
fn service<'c>(
    s: &'c AltinnState,
    kind: ServiceType,
    code: &str,
    edition: u32,
) -> Result<&'c Service, Problem> {
    s.catalogue
        .services
        .iter()
        .find(|svc| svc.kind == kind && svc.code == code && svc.edition == edition)
        .ok_or_else(|| {
            Problem::not_found(format!(
                "The catalogue has no {} service {code} edition {edition} (GET /altinn/api/metadata lists them).",
                kind.as_str()
            ))
        })
}

/// A service as the catalogue's list shows it.
pub(crate) fn summary(s: &AltinnState, svc: &Service) -> Value {
    let kind = svc.kind.as_str().to_ascii_lowercase();
    json!({
        "ServiceOwnerCode": svc.owner,
        "ServiceOwnerName": s.catalogue.owner(&svc.owner).map_or("", |o| o.name.as_str()),
        "ServiceName": svc.name,
        "ServiceCode": svc.code,
        "ServiceEditionCode": svc.edition,
        "ServiceType": svc.kind.as_str(),
        "_links": {"self": {"href": format!("{}/{kind}/{}/{}", base(s), svc.code, svc.edition)}},
    })
}

/// A service in its own view: the summary and how it is used.
fn service_json(s: &AltinnState, svc: &Service) -> Value {
    let steps = match svc.kind {
        // A password login (level 1) fills in; signing takes an ID-porten login.
        ServiceType::FormTask => json!([
            {"Name": "Utfylling", "SecurityLevel": 1},
            {"Name": "Signering", "SecurityLevel": SIGNING_LEVEL},
        ]),
        ServiceType::Correspondence => json!([]),
    };
    let mut v = summary(s, svc);
    v["RestEnabled"] = json!(true);
    v["EUSEnabled"] = json!(true);
    v["EnterpriseUserEnabled"] = json!(true);
    // The data formats the service takes; none named: any well-formed form data is taken.
    let own = format!("{}/formtask/{}/{}", base(s), svc.code, svc.edition);
    let forms: Vec<Value> = svc
        .forms
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let mut form = json!({
                "FormID": i + 1,
                "FormName": f.name,
                "DataFormatProviderType": "Seres",
                "DataFormatID": f.data_format_id,
                "DataFormatVersion": f.data_format_version,
                "IsOnlyXsdValidation": f.xsd.is_some(),
                "FormType": if i == 0 { "MainForm" } else { "SubForm" },
            });
            if f.xsd.is_some() {
                form["_links"] = json!({"schema": {"href": format!(
                    "{own}/forms/{}/{}/xsd", f.data_format_id, f.data_format_version)}});
            }
            form
        })
        .collect();
    v["FormsMetaData"] = json!(forms);
    v["ProcessSteps"] = steps;
    v["AttachmentRules"] = json!([]);
    v
}

/// One form service.
#[utoipa::path(get, path = "/metadata/formtask/{serviceCode}/{serviceEdition}", tag = "altinn",
    params(("serviceCode" = String, Path), ("serviceEdition" = String, Path)),
    responses(crate::docs::Problems,
        (status = 200, description = "`{ServiceOwnerCode, ServiceOwnerName, ServiceName, ServiceCode, ServiceEditionCode, ServiceType, RestEnabled, EUSEnabled, EnterpriseUserEnabled, FormsMetaData[{FormID, FormName, DataFormatProviderType, DataFormatID, DataFormatVersion, IsOnlyXsdValidation, FormType, _links.schema}], ProcessSteps[{Name, SecurityLevel}], AttachmentRules, _links.self}`; FormsMetaData lists the data formats the catalogue names for the service (empty: any well-formed form data is taken, as the default services do)", body = Object),
        (status = 404, description = "No such form service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_formtask(
    State(s): State<Arc<AltinnState>>,
    Path((code, edition)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let svc = service(&s, ServiceType::FormTask, &code, edition_of(&edition)?)?;
    Ok(hal(&headers, service_json(&s, svc)))
}

/// The schema of one of a form service's data formats.
#[utoipa::path(get, path = "/metadata/formtask/{serviceCode}/{serviceEdition}/forms/{dataFormatId}/{dataFormatVersion}/xsd", tag = "altinn",
    params(("serviceCode" = String, Path), ("serviceEdition" = String, Path),
           ("dataFormatId" = String, Path), ("dataFormatVersion" = String, Path)),
    responses(crate::docs::Problems,
        (status = 200, description = "The XML Schema, as the catalogue has it", content_type = "application/xml", body = String),
        (status = 404, description = "No such service, data format or schema", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_form_schema(
    State(s): State<Arc<AltinnState>>,
    Path((code, edition, format, version)): Path<(String, String, String, String)>,
) -> Result<Response, Problem> {
    use axum::response::IntoResponse;
    let svc = service(&s, ServiceType::FormTask, &code, edition_of(&edition)?)?;
    let xsd = svc
        .forms
        .iter()
        .find(|f| f.data_format_id == format && f.data_format_version == version)
        .and_then(|f| f.xsd.clone())
        .ok_or_else(|| {
            Problem::not_found(format!(
                "Service {code} has no schema for data format {format} version {version}."
            ))
        })?;
    Ok(([(http::header::CONTENT_TYPE, "application/xml; charset=utf-8")], xsd).into_response())
}

/// One correspondence service.
#[utoipa::path(get, path = "/metadata/correspondence/{serviceCode}/{serviceEdition}", tag = "altinn",
    params(("serviceCode" = String, Path), ("serviceEdition" = String, Path)),
    responses(crate::docs::Problems,
        (status = 200, description = "The service, as for form services (no process steps or forms)", body = Object),
        (status = 404, description = "No such correspondence service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_correspondence(
    State(s): State<Arc<AltinnState>>,
    Path((code, edition)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let svc = service(&s, ServiceType::Correspondence, &code, edition_of(&edition)?)?;
    Ok(hal(&headers, service_json(&s, svc)))
}

/// The roles that give a service, and what each lets one do.
#[utoipa::path(get, path = "/metadata/rolerequirements", tag = "altinn",
    params(("serviceCode" = String, Query), ("serviceEditionCode" = String, Query),
           ("language" = Option<String>, Query, description = "Accepted; names are Norwegian")),
    responses(crate::docs::Problems,
        (status = 200, description = "`[{RoleDefinitionId, RoleDefinitionCode, LocalizedRoleName, ParentRoleDefinitionIds, IsDelegable, Operations[{Name, LocalizedFriendlyName, AppliesTo[{Name, SecurityLevel}]}]}]`: the roles the catalogue names for the service and, for an organization service, the key roles", body = Object),
        (status = 400, description = "serviceCode or serviceEditionCode missing or malformed, an unknown parameter", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json"),
        (status = 404, description = "No such service", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_role_requirements(
    State(s): State<Arc<AltinnState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    let params = pairs(query.unwrap_or_default().as_bytes());
    only_known(&params, &["serviceCode", "serviceEditionCode", "language"], "query parameter")?;
    let value = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let code =
        value("serviceCode").ok_or_else(|| invalid("serviceCode", "serviceCode is required"))?;
    let edition = value("serviceEditionCode")
        .ok_or_else(|| invalid("serviceEditionCode", "serviceEditionCode is required"))?;
    let edition = edition.parse::<u32>().map_err(|_| {
        invalid("serviceEditionCode", format!("{edition:?} is not a service edition"))
    })?;
    let svc = s
        .catalogue
        .services
        .iter()
        .find(|svc| svc.code == code && svc.edition == edition)
        .ok_or_else(|| {
            Problem::not_found(format!("The catalogue has no service {code} edition {edition}."))
        })?;
    let level = |action: &str| if action == "Sign" { SIGNING_LEVEL } else { 1 };
    let list: Vec<Value> = roles_giving(svc)
        .into_iter()
        .map(|d| {
            let operations: Vec<Value> = actions(svc.kind)
                .iter()
                .map(|a| {
                    json!({"Name": a, "LocalizedFriendlyName": a,
                                "AppliesTo": [{"Name": svc.name, "SecurityLevel": level(a)}]})
                })
                .collect();
            json!({"RoleDefinitionId": d.1, "RoleDefinitionCode": d.0, "LocalizedRoleName": d.3,
                   "ParentRoleDefinitionIds": [], "IsDelegable": KEY_ROLES.contains(&d.0),
                   "Operations": operations})
        })
        .collect();
    Ok(hal(&headers, Value::Array(list)))
}

/// One code: `(Code, Value1, Value2, Value3)`.
type Code = (String, String, String, String);

/// A code list: `(name, version, codes)`.
type CodeList = (&'static str, u32, Vec<Code>);

fn code_lists() -> Vec<CodeList> {
    let mut counties: Vec<Code> = Vec::new();
    let kommuner = municipalities()
        .iter()
        .map(|m| {
            if !counties.iter().any(|c| c.0 == m.county_number) {
                counties.push((
                    m.county_number.clone(),
                    m.county_name.clone(),
                    String::new(),
                    String::new(),
                ));
            }
            (m.number.clone(), m.name.clone(), m.county_number.clone(), m.county_name.clone())
        })
        .collect();
    counties.sort();
    vec![("Kommuner", 1, kommuner), ("Fylker", 1, counties)]
}

fn code_list_json(name: &str, version: u32, codes: &[Code]) -> Value {
    let codes: Vec<Value> = codes
        .iter()
        .map(|c| json!({"Code": c.0, "Value1": c.1, "Value2": c.2, "Value3": c.3}))
        .collect();
    json!({"Name": name, "Version": version, "Language": 1044, "Codes": codes})
}

/// Every code list, without their codes.
#[utoipa::path(get, path = "/metadata/codelists", tag = "altinn",
    params(("language" = Option<String>, Query, description = "Accepted; values are Norwegian (1044)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`_embedded.codelists[{Name, Version, Language, _links.self}]`: Kommuner (municipality number → name, county number, county name) and Fylker (county number → name), from the population's reference data (Kartverket)", body = Object)))]
pub(crate) async fn get_code_lists(
    State(s): State<Arc<AltinnState>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    only_known(&pairs(query.unwrap_or_default().as_bytes()), &["language"], "query parameter")?;
    let base = format!("{}/codelists", base(&s));
    let lists: Vec<Value> = code_lists()
        .iter()
        .map(|(name, version, _)| {
            json!({"Name": name, "Version": version, "Language": 1044,
            "_links": {"self": {"href": format!("{base}/{name}/{version}")}}})
        })
        .collect();
    Ok(hal(
        &headers,
        json!({"_links": {"self": {"href": base}}, "_embedded": {"codelists": lists}}),
    ))
}

/// One code list with its codes.
#[utoipa::path(get, path = "/metadata/codelists/{name}/{version}", tag = "altinn",
    params(("name" = String, Path), ("version" = String, Path),
           ("language" = Option<String>, Query, description = "Accepted; values are Norwegian (1044)")),
    responses(crate::docs::Problems,
        (status = 200, description = "`{Name, Version, Language, Codes[{Code, Value1, Value2, Value3}]}`", body = Object),
        (status = 404, description = "No such code list or version", body = fjellport_gateway::problem::ProblemDoc, content_type = "application/problem+json")))]
pub(crate) async fn get_code_list(
    Path((name, version)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    only_known(&pairs(query.unwrap_or_default().as_bytes()), &["language"], "query parameter")?;
    let lists = code_lists();
    let found = lists
        .iter()
        .find(|(n, v, _)| n.eq_ignore_ascii_case(&name) && v.to_string() == version)
        .ok_or_else(|| {
            Problem::not_found(format!(
                "No code list {name} version {version}; GET /altinn/api/metadata/codelists lists them."
            ))
        })?;
    Ok(hal(&headers, code_list_json(found.0, found.1, &found.2)))
}
