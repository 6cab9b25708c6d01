//! The health registers: a health-personnel record by HPR number, a person's GP (FLR), and a
//! GP's patient list. Only Test-Norge persons are registered; reserved persons have no entries.

use axum::Json;
use axum::body::Bytes;
use axum::extract::RawQuery;
use axum::response::Response;
use fjellport_gateway::extract::Path;
use fjellport_gateway::{Caller, Problem};
use fjellport_store::{PersonFilter, PersonKey, StoredPerson};
use http::HeaderMap;
use serde_json::{Value, json};

use crate::docs::{Problems, SearchPage};
use crate::parts::View;
use crate::persons::{check_nin, single};
use crate::search::{DEFAULT_LIMIT, Fields, MAX_LIMIT, Paging, page};
use crate::{State, owner_of, visible};
use fjellport_gateway::input::{form, invalid, only_known, pairs};

fn check_hpr(hpr: &str) -> Result<(), Problem> {
    if (1..=9).contains(&hpr.len()) && hpr.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(invalid("hprNumber", format!("{hpr:?} is not an HPR number (1–9 digits)")))
    }
}

/// The health-personnel record of `hpr`, if it is a registered one.
async fn personnel(state: &State, hpr: &str) -> Result<(StoredPerson, Value), Problem> {
    check_hpr(hpr)?;
    let found = state.store.person(PersonKey::Hpr(hpr)).await?;
    let Some(p) = found else {
        return Err(Problem::not_found(format!("No health personnel with HPR number {hpr}.")));
    };
    let doc = p.row.hpr_doc.as_deref().unwrap_or("null");
    let record = serde_json::from_str(doc)
        .map_err(|e| Problem::internal(format!("a stored HPR record does not parse: {e}")))?;
    Ok((p, record))
}

#[utoipa::path(
    get, path = "/hpr/{hprNumber}", tag = "syntpop",
    summary = "A health-personnel record (HPR) by HPR number",
    params(("hprNumber" = String, Path, description = "HPR number (1–9 digits)"), crate::docs::AuthHeaders),
    responses(
        (status = 200, description = "The record: authorizations, specialities, a GP's municipality", body = crate::docs::HprRecord),
        Problems,
    )
)]
pub(crate) async fn get_hpr(state: State, Path(hpr): Path<String>) -> Result<Json<Value>, Problem> {
    Ok(Json(personnel(&state, &hpr).await?.1))
}

#[utoipa::path(
    post, path = "/flr/patient", tag = "syntpop",
    summary = "A person's GP (form field nin)",
    params(crate::docs::AuthHeaders),
    request_body(content = crate::docs::NinForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, description = "The GP (gpHprNr is empty for a person without one)", body = crate::docs::PatientGp),
        Problems,
    )
)]
pub(crate) async fn post_patient(
    state: State,
    caller: Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, Problem> {
    let fields = form(&headers, &body)?;
    only_known(&fields, &["nin"], "form field")?;
    let nin = single(&fields, "nin")?;
    check_nin("nin", nin)?;
    let found = state.store.person(PersonKey::Nin(nin)).await?;
    let Some(p) = found.filter(|p| visible(p, &owner_of(&caller))) else {
        return Err(crate::person_not_found("with that identity number"));
    };
    let Some(gp) = &p.row.gp_hpr else {
        return Ok(Json(json!({
            "nin": nin, "personId": p.row.id, "gpHprNr": [], "generalPractitioner": null, "onListSince": null,
        })));
    };
    let (_, record) = personnel(&state, gp).await?;
    Ok(Json(json!({
        "nin": nin,
        "personId": p.row.id,
        "gpHprNr": [gp],
        "generalPractitioner": {
            "hprNumber": gp,
            "givenName": record["givenName"],
            "familyName": record["familyName"],
            "municipalityNumber": record["gpMunicipalityNumber"],
        },
        "onListSince": p.row.gp_since,
    })))
}

#[utoipa::path(
    get, path = "/flr/doctors/{hprNumber}/patients", tag = "syntpop",
    summary = "A GP's patient list (paged)",
    params(
        ("hprNumber" = String, Path, description = "The GP's HPR number"),
        crate::docs::ListParams, crate::docs::SearchViewParams, crate::docs::AuthHeaders,
    ),
    responses(
        (status = 200, description = "One page of the GP's patients", body = SearchPage),
        Problems,
    )
)]
pub(crate) async fn get_patients(
    state: State,
    caller: Caller,
    Path(hpr): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let (view, paging) = list_query(query.as_deref())?;
    let (gp, _) = personnel(&state, &hpr).await?;
    if !gp.row.is_gp {
        return Err(Problem::not_found(format!(
            "HPR number {hpr} is not a GP with a patient list."
        )));
    }
    let filter = PersonFilter {
        visible_to: Some(owner_of(&caller)),
        gp: Some(hpr),
        ..PersonFilter::default()
    };
    page(&state, filter, paging, &view).await
}

/// The query of a GET list of persons: its view (`informationParts`, `includeHistory`) and
/// its paging (`limit`, `cursor`, `fields`).
pub(crate) fn list_query(query: Option<&str>) -> Result<(View, Paging), Problem> {
    let query = pairs(query.unwrap_or_default().as_bytes());
    only_known(
        &query,
        &["limit", "cursor", "fields", "informationParts", "includeHistory"],
        "query parameter",
    )?;
    Ok((View::from_query(&query, false)?, list_paging(&query)?))
}

fn list_paging(query: &fjellport_gateway::input::Pairs) -> Result<Paging, Problem> {
    let last = |name: &str| query.iter().rfind(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let limit = match last("limit") {
        None => DEFAULT_LIMIT,
        Some(v) => {
            v.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)).ok_or_else(|| {
                invalid("limit", format!("limit must be a whole number from 1 to {MAX_LIMIT}"))
            })?
        }
    };
    let fields = match last("fields") {
        None | Some("summary") => Fields::Summary,
        Some("ids") => Fields::Ids,
        Some("full") => Fields::Full,
        Some(other) => {
            return Err(invalid(
                "fields",
                format!("fields must be ids, summary or full; got {other:?}"),
            ));
        }
    };
    Ok(Paging { limit, cursor: last("cursor").map(str::to_owned), seed: None, fields })
}
