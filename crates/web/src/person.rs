//! `/persons/{id}`: one person as SyntPop serves them (by id, or by identity number from a
//! family link) with family as links, address, GP and HPR record; for a reserved person of the
//! logged-in person or their organizations, editing (name, e-mail) and "Release". Test-Norge
//! persons are read-only, as in the API.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};

use crate::api::{self, Outcome, current, text};
use crate::owners::{self, Owner};
use crate::page::{Chrome, encode, html_status, message, outage, see_other};
use crate::session::{self, Session, User};
use crate::{ApiBody, WebState};

pub(crate) struct Relative {
    pub role: String,
    pub nin: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    chrome: Chrome,
    id: String,
    name: String,
    given: String,
    family: String,
    nin: String,
    nin_type: String,
    born: String,
    gender: String,
    status: String,
    marital: String,
    address: Vec<String>,
    email: String,
    phone: String,
    relatives: Vec<Relative>,
    gp: Option<String>,
    hpr: Option<String>,
    /// The owner holding this reserved person, when it is one of the user's.
    owned_by: Option<Owner>,
    reserved: bool,
    errors: BTreeMap<String, String>,
}

impl PersonPage {
    /// The edit form's fields: `(name, label, current value)`.
    fn edit_fields(&self) -> [(&'static str, &'static str, &str); 3] {
        [
            ("givenName", "Given name", &self.given),
            ("familyName", "Family name", &self.family),
            ("email", "E-mail", &self.email),
        ]
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// The person under `key` as the first of the user's owners that may see them, with that owner.
async fn find(
    state: &WebState,
    owners: &[Owner],
    key: &str,
) -> Result<Option<(Value, Owner)>, Response> {
    let by_nin = key.len() == 11 && key.bytes().all(|b| b.is_ascii_digit());
    for owner in owners {
        let outcome = if by_nin {
            let form = format!("nin={key}");
            let path = "/persons/get-by-nin?informationParts=All".to_owned();
            api::syntpop(state, Method::POST, path, &owner.id, ApiBody::Form(form)).await
        } else {
            let path = format!("/persons/{}?informationParts=All", encode(key));
            api::syntpop(state, Method::GET, path, &owner.id, ApiBody::None).await
        };
        match outcome {
            Outcome::Ok(person) => return Ok(Some((person, owner.clone()))),
            Outcome::Refused { status: 404, .. } => continue,
            Outcome::Refused { status: 400, detail, .. } => {
                return Err(message(StatusCode::BAD_REQUEST, None, "Not a person's id", &detail));
            }
            Outcome::Refused { detail, .. } | Outcome::Failed(detail) => {
                return Err(message(
                    StatusCode::BAD_GATEWAY,
                    None,
                    "SyntPop did not answer",
                    &detail,
                ));
            }
        }
    }
    Ok(None)
}

async fn render(
    state: &WebState,
    session: &Session,
    user: &User,
    key: &str,
    errors: BTreeMap<String, String>,
) -> Response {
    let owners = match owners::of(state, user).await {
        Ok(o) => o,
        Err(e) => return outage(&e),
    };
    let (person, owner) = match find(state, &owners, key).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return message(
                StatusCode::NOT_FOUND,
                Some(session),
                "No such person",
                "No Test-Norge person, and none of your reserved persons, has this id or number.",
            );
        }
        Err(answer) => return answer,
    };
    let id = text(Some(&person), "id").to_owned();
    let name = current(&person, "name");
    let number = current(&person, "norwegianIdentificationNumber");
    let nin = text(number, "identificationNumber").to_owned();
    let address = current(&person, "residentialAddress").and_then(|a| a.get("streetAddress"));
    let address_lines = address
        .map(|a| {
            let house =
                a.pointer("/addressNumber/houseNumber").and_then(Value::as_str).unwrap_or_default();
            let letter =
                a.pointer("/addressNumber/houseLetter").and_then(Value::as_str).unwrap_or_default();
            let city = a.get("city");
            vec![
                format!("{} {house}{letter}", text(Some(a), "addressName")).trim().to_owned(),
                format!("{} {}", text(city, "postalCode"), text(city, "cityName"))
                    .trim()
                    .to_owned(),
                format!(
                    "{} ({})",
                    text(Some(a), "municipalityName"),
                    text(Some(a), "municipalityNumber")
                ),
            ]
        })
        .unwrap_or_default();
    let contact = person.pointer("/commonContactRegisterInformation/contactInformation");
    let relatives = person["familyRelation"]
        .as_array()
        .map(|rels| {
            rels.iter()
                .filter(|r| r.get("isValid").and_then(Value::as_bool).unwrap_or(true))
                .map(|r| Relative {
                    role: text(Some(r), "relatedPersonsRole").to_owned(),
                    nin: text(Some(r), "relatedPerson").to_owned(),
                })
                .filter(|r| !r.nin.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let gp = gp_of(state, &owner.id, &nin).await;
    // The person document does not carry its origin or owner; the store's row does.
    let row = match state.store.person(fjellport_store::PersonKey::Id(&id)).await {
        Ok(row) => row,
        Err(e) => return outage(&e),
    };
    let reserved = row.as_ref().is_some_and(|p| p.row.origin == "Reserved");
    let hpr = match row.as_ref().and_then(|p| p.row.hpr_number.clone()) {
        Some(number) => Some(hpr_of(state, &owner.id, &number).await),
        None => None,
    };
    let owned_by = row
        .and_then(|p| p.row.owner)
        .and_then(|o| owners.iter().find(|x| x.id == o).cloned())
        .filter(|_| reserved);
    let page = PersonPage {
        chrome: Chrome::new("persons", &format!("/persons/{id}"), Some(session)),
        name: format!("{} {}", text(name, "givenName"), text(name, "familyName")).trim().to_owned(),
        given: text(name, "givenName").to_owned(),
        family: text(name, "familyName").to_owned(),
        nin_type: text(number, "identificationNumberType").to_owned(),
        born: text(current(&person, "birth"), "birthDate").get(..10).unwrap_or_default().to_owned(),
        gender: text(current(&person, "gender"), "gender").to_owned(),
        status: text(current(&person, "status"), "status").to_owned(),
        marital: text(current(&person, "maritalStatus"), "status").to_owned(),
        address: address_lines,
        email: text(contact, "email").to_owned(),
        phone: text(contact, "phoneNumber").to_owned(),
        relatives,
        gp,
        hpr,
        owned_by,
        reserved,
        id,
        nin,
        errors,
    };
    let status = if page.errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    html_status(status, page.render())
}

async fn gp_of(state: &WebState, owner: &str, nin: &str) -> Option<String> {
    let form = format!("nin={nin}");
    match api::syntpop(state, Method::POST, "/flr/patient".into(), owner, ApiBody::Form(form)).await
    {
        Outcome::Ok(v) => v.get("generalPractitioner").filter(|g| !g.is_null()).map(|g| {
            format!(
                "{} {} (HPR {})",
                text(Some(g), "givenName"),
                text(Some(g), "familyName"),
                text(Some(g), "hprNumber")
            )
        }),
        _ => None,
    }
}

/// The HPR record in a line: the number and the authorizations' categories.
async fn hpr_of(state: &WebState, owner: &str, hpr: &str) -> String {
    let path = format!("/hpr/{}", encode(hpr));
    match api::syntpop(state, Method::GET, path, owner, ApiBody::None).await {
        Outcome::Ok(record) => {
            let kinds: Vec<String> = record["authorizations"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|x| {
                            format!(
                                "{} ({})",
                                text(Some(x), "categoryName"),
                                text(Some(x), "category")
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            format!("HPR number {hpr}: {}", kinds.join(", "))
        }
        _ => format!("HPR number {hpr}"),
    }
}

/// `GET /persons/{key}`.
pub(crate) async fn page(
    State(state): State<Arc<WebState>>,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    let here = format!("/persons/{}", encode(&key));
    let (session, user) = match session::logged_in(&state, &headers, &here).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    render(&state, &session, &user, &key, BTreeMap::new()).await
}

/// The owner (the person or one of their organizations) holding reserved person `id`; the
/// person themselves when none does (the API then refuses in its own words).
async fn holder(
    state: &WebState,
    owners: &[Owner],
    user: &User,
    id: &str,
) -> Result<String, Response> {
    match state.store.person(fjellport_store::PersonKey::Id(id)).await {
        Ok(Some(p)) => Ok(p
            .row
            .owner
            .filter(|o| owners.iter().any(|x| &x.id == o))
            .unwrap_or_else(|| user.pid.clone())),
        Ok(None) => Ok(user.pid.clone()),
        Err(e) => Err(outage(&e)),
    }
}

/// `POST /persons/{id}/edit`: a merge patch of the name and e-mail, as `PATCH
/// /reserved-persons/{id}` takes it.
pub(crate) async fn edit(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, user, form, owners } =
        match owners::posted(&state, &headers, &body).await {
            Ok(a) => a,
            Err(answer) => return answer,
        };
    let owner = match holder(&state, &owners, &user, &id).await {
        Ok(o) => o,
        Err(answer) => return answer,
    };
    let mut patch = serde_json::Map::new();
    let given = form.get("givenName").unwrap_or_default();
    let family = form.get("familyName").unwrap_or_default();
    patch.insert("name".into(), json!({"givenName": given, "familyName": family}));
    if let Some(email) = form.get("email") {
        patch.insert(
            "commonContactRegisterInformation".into(),
            json!({"contactInformation": {"email": email}}),
        );
    }
    let path = format!("/reserved-persons/{}", encode(&id));
    match api::syntpop(&state, Method::PATCH, path, &owner, ApiBody::MergePatch(patch.into())).await
    {
        Outcome::Ok(_) => see_other(&format!("/persons/{}", encode(&id)), None),
        refused => {
            let mut errors = refused.errors();
            // The API names the part (`name.givenName`, …); the form's fields are its members.
            errors = errors
                .into_iter()
                .map(|(k, v)| (k.rsplit('.').next().unwrap_or(&k).to_owned(), v))
                .collect();
            render(&state, &session, &user, &id, errors).await
        }
    }
}

/// `POST /persons/{id}/release`.
pub(crate) async fn release(
    State(state): State<Arc<WebState>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, user, owners, .. } =
        match owners::posted(&state, &headers, &body).await {
            Ok(a) => a,
            Err(answer) => return answer,
        };
    let owner = match holder(&state, &owners, &user, &id).await {
        Ok(o) => o,
        Err(answer) => return answer,
    };
    let path = format!("/reserved-persons/{}", encode(&id));
    match api::syntpop(&state, Method::DELETE, path, &owner, ApiBody::None).await {
        Outcome::Ok(_) => see_other("/persons", None),
        Outcome::Refused { status, detail, .. } => message(
            StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            Some(&session),
            "Not released",
            &detail,
        ),
        Outcome::Failed(why) => {
            message(StatusCode::BAD_GATEWAY, Some(&session), "Not released", &why)
        }
    }
}
