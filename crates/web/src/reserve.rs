//! `/persons/reserve`: reserves a new person from a template, as `POST /reserved-persons`
//! does, owned by the person or one of their organizations; the new person's page follows.

use std::collections::BTreeMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode};
use serde_json::{Map, Value, json};

use crate::api::{self, Outcome};
use crate::owners::{self, Owner};
use crate::page::{Chrome, Form, encode, html_status, outage, see_other};
use crate::session::{self, Session, User};
use crate::{ApiBody, WebState};

const PATH: &str = "/persons/reserve";

#[derive(Template)]
#[template(path = "reserve.html")]
struct ReservePage {
    chrome: Chrome,
    owners: Vec<Owner>,
    form: Form,
    errors: BTreeMap<String, String>,
}

impl ReservePage {
    fn value(&self, name: &str) -> &str {
        self.form.get(name).unwrap_or_default()
    }

    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field).map(String::as_str)
    }
}

async fn render(
    state: &WebState,
    session: &Session,
    user: &User,
    form: Form,
    errors: BTreeMap<String, String>,
) -> Response {
    let owners = match owners::of(state, user).await {
        Ok(o) => o,
        Err(e) => return outage(&e),
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page =
        ReservePage { chrome: Chrome::new("persons", PATH, Some(session)), owners, form, errors };
    html_status(status, page.render())
}

/// `GET /persons/reserve`.
pub(crate) async fn page(State(state): State<Arc<WebState>>, headers: HeaderMap) -> Response {
    let (session, user) = match session::logged_in(&state, &headers, PATH).await {
        Ok(s) => s,
        Err(answer) => return answer,
    };
    render(&state, &session, &user, Form::default(), BTreeMap::new()).await
}

/// The template: the form's fields as the API's members.
fn template_of(form: &Form) -> Value {
    let mut t = Map::new();
    for name in ["gender", "municipalityNumber", "maritalStatus", "identificationNumberType"] {
        if let Some(v) = form.get(name) {
            t.insert(name.into(), json!(v));
        }
    }
    for name in ["ageFrom", "ageTo", "children"] {
        if let Some(v) = form.get(name) {
            t.insert(name.into(), v.parse::<i64>().map(Value::from).unwrap_or_else(|_| json!(v)));
        }
    }
    if form.get("withSpouse").is_some() {
        t.insert("withSpouse".into(), json!(true));
    }
    Value::Object(t)
}

/// `POST /persons/reserve`.
pub(crate) async fn reserve(
    State(state): State<Arc<WebState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let owners::Acting { session, user, form, owners } =
        match owners::posted(&state, &headers, &body).await {
            Ok(a) => a,
            Err(answer) => return answer,
        };
    let owner = form.get("owner").unwrap_or_default().to_owned();
    if !owners::includes(&owners, &owner) {
        let mut errors = BTreeMap::new();
        errors.insert("owner".into(), "Choose yourself or one of your organizations.".into());
        return render(&state, &session, &user, form, errors).await;
    }
    let body = ApiBody::Json(template_of(&form));
    match api::syntpop(&state, Method::POST, "/reserved-persons".into(), &owner, body).await {
        Outcome::Ok(person) => {
            let id = person.get("id").and_then(Value::as_str).unwrap_or_default();
            tracing::info!(person = %id, %owner, "web: person reserved");
            see_other(&format!("/persons/{}", encode(id)), None)
        }
        refused => {
            let errors = refused.errors();
            render(&state, &session, &user, form, errors).await
        }
    }
}
