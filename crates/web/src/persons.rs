//! `/persons`: SyntPop's search as a form (the API's own members are the field names, so the
//! API's refusals land beside their fields), paged results, and the reserved persons of the
//! person and their organizations.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::api::{self, Outcome};
use crate::owners::{self, Owner};
use crate::page::{Chrome, Form, encode, html_status};
use crate::session;
use crate::{ApiBody, WebState};

const PATH: &str = "/persons";
/// Persons per page.
const PAGE: i64 = 20;

/// `(field, label, choices)`; choices `[]` is a text field, `["yes", "no"]` a yes/no choice.
pub(crate) struct Filter {
    pub name: &'static str,
    pub label: &'static str,
    pub choices: &'static [(&'static str, &'static str)],
    pub numeric: bool,
}

const YES_NO: &[(&str, &str)] = &[("true", "Yes"), ("false", "No")];

pub(crate) const FILTERS: &[Filter] = &[
    Filter {
        name: "gender",
        label: "Gender",
        choices: &[("Female", "Female"), ("Male", "Male")],
        numeric: false,
    },
    Filter { name: "ageFrom", label: "Age from", choices: &[], numeric: true },
    Filter { name: "ageTo", label: "Age to", choices: &[], numeric: true },
    Filter {
        name: "maritalStatus",
        label: "Marital status",
        choices: &[
            ("Unmarried", "Unmarried"),
            ("Married", "Married"),
            ("Divorced", "Divorced"),
            ("Separated", "Separated"),
            ("WidowOrWidower", "Widow or widower"),
            ("RegisteredPartner", "Registered partner"),
        ],
        numeric: false,
    },
    Filter {
        name: "municipalityNumber",
        label: "Municipality number",
        choices: &[],
        numeric: false,
    },
    Filter { name: "postalCode", label: "Postal code", choices: &[], numeric: false },
    Filter {
        name: "identificationNumberType",
        label: "Identity-number type",
        choices: &[("NationalIdentityNumber", "National identity number"), ("DNumber", "D-number")],
        numeric: false,
    },
    Filter { name: "hasSpouse", label: "Has spouse", choices: YES_NO, numeric: false },
    Filter { name: "hasChildren", label: "Has children", choices: YES_NO, numeric: false },
    Filter { name: "hasGeneralPractitioner", label: "Has a GP", choices: YES_NO, numeric: false },
    Filter {
        name: "isHealthPersonnel",
        label: "Health personnel",
        choices: YES_NO,
        numeric: false,
    },
    Filter {
        name: "origin",
        label: "Origin",
        choices: &[("TestNorge", "Test-Norge"), ("Reserved", "Reserved")],
        numeric: false,
    },
];

/// One result row.
pub(crate) struct Row {
    pub id: String,
    pub name: String,
    pub born: String,
    pub age: String,
    pub gender: String,
    pub nin: String,
    pub municipality: String,
    pub origin: String,
}

impl Row {
    pub(crate) fn of(summary: &Value) -> Row {
        let t = |m: &str| summary.get(m).and_then(Value::as_str).unwrap_or_default().to_owned();
        Row {
            id: t("id"),
            name: format!("{} {}", t("givenName"), t("familyName")),
            born: t("birthDate"),
            age: summary
                .get("age")
                .and_then(Value::as_i64)
                .map(|a| a.to_string())
                .unwrap_or_default(),
            gender: t("gender"),
            nin: t("nin"),
            municipality: t("municipalityNumber"),
            origin: t("origin"),
        }
    }
}

/// Reserved persons of one owner.
struct Held {
    owner: Owner,
    rows: Vec<Row>,
}

#[derive(Template)]
#[template(path = "persons.html")]
struct PersonsPage<'a> {
    chrome: Chrome,
    filters: &'a [Filter],
    form: Form,
    searched: bool,
    total: i64,
    rows: Vec<Row>,
    next: Option<String>,
    errors: BTreeMap<String, String>,
    held: Vec<Held>,
}

impl PersonsPage<'_> {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or_default()
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

/// The search body: the form's fields as the API's members (numbers and yes/no typed; a
/// field that is not a number goes as text, for the API to refuse in its own words).
fn body_of(form: &Form) -> Value {
    let mut body = Map::new();
    for f in FILTERS {
        let Some(v) = form.get(f.name) else { continue };
        let value = match (f.numeric, v) {
            (true, n) => n.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(n)),
            (false, "true") if f.choices == YES_NO => json!(true),
            (false, "false") if f.choices == YES_NO => json!(false),
            (false, s) => json!(s),
        };
        body.insert(f.name.to_owned(), value);
    }
    body.insert("limit".into(), json!(PAGE));
    body.insert("fields".into(), json!("summary"));
    if let Some(c) = form.get("cursor") {
        body.insert("cursor".into(), json!(c));
    }
    Value::Object(body)
}

/// `GET /persons[?filters]`.
pub(crate) async fn page(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let query = query.unwrap_or_default();
    let here = crate::page::here(PATH, &query);
    let (session, user) = match session::logged_in(&state, &headers, &here).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    let form = Form::parse(query.as_bytes());
    let searched = form.get("search").is_some() || form.get("cursor").is_some();
    let (mut total, mut rows, mut next, mut errors) = (0, Vec::new(), None, BTreeMap::new());
    if searched {
        let outcome = api::syntpop(
            &state,
            Method::POST,
            "/search".into(),
            &user.pid,
            ApiBody::Json(body_of(&form)),
        )
        .await;
        match outcome {
            Outcome::Ok(page) => {
                total = page.get("totalCount").and_then(Value::as_i64).unwrap_or_default();
                rows = page["results"]
                    .as_array()
                    .map(|r| r.iter().map(Row::of).collect())
                    .unwrap_or_default();
                next = page.get("nextCursor").and_then(Value::as_str).map(|c| next_link(&form, c));
            }
            refused => errors = refused.errors(),
        }
    }
    let owners = match owners::of(&state, &user).await {
        Ok(o) => o,
        Err(e) => return crate::page::outage(&e),
    };
    let mut held = Vec::new();
    for owner in owners {
        let path = "/reserved-persons?limit=100&fields=summary".to_owned();
        if let Outcome::Ok(page) =
            api::syntpop(&state, Method::GET, path, &owner.id, ApiBody::None).await
        {
            let rows: Vec<Row> = page["results"]
                .as_array()
                .map(|r| r.iter().map(Row::of).collect())
                .unwrap_or_default();
            if !rows.is_empty() {
                held.push(Held { owner, rows });
            }
        }
    }
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = PersonsPage {
        chrome: Chrome::new("persons", &here, Some(&session)),
        filters: FILTERS,
        form,
        searched,
        total,
        rows,
        next,
        errors,
        held,
    };
    html_status(status, page.render())
}

/// The same search, from `cursor` on.
fn next_link(form: &Form, cursor: &str) -> String {
    let mut q: Vec<String> = FILTERS
        .iter()
        .filter_map(|f| form.get(f.name).map(|v| format!("{}={}", f.name, encode(v))))
        .collect();
    q.push(format!("cursor={}", encode(cursor)));
    format!("{PATH}?{}", q.join("&"))
}
